//! What the bulk validators need to know about the Admin schema (fields and their types,
//! input objects, enums), read once from the schema's own SDL.

use async_graphql_parser::types::{
    BaseType, InlineFragment, InputValueDefinition, InterfaceType, ObjectType, OperationType, Type,
    TypeKind, TypeSystemDefinition,
};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone)]
pub struct InputField {
    pub name: String,
    pub ty: Type,
    pub has_default: bool,
}

#[derive(Debug, Default)]
pub struct TypeIndex {
    /// Object and interface types: field name → the field's type.
    pub outputs: HashMap<String, HashMap<String, Type>>,
    pub inputs: HashMap<String, Vec<InputField>>,
    /// Object and interface types: field name → the field's arguments.
    pub arguments: HashMap<String, HashMap<String, Vec<InputField>>>,
    pub enums: HashMap<String, Vec<String>>,
    pub scalars: HashSet<String>,
}

impl TypeIndex {
    pub fn from_sdl(sdl: &str) -> Self {
        let document =
            async_graphql_parser::parse_schema(sdl).expect("the schema's own SDL parses");
        let mut index = TypeIndex::default();
        for definition in document.definitions {
            let TypeSystemDefinition::Type(definition) = definition else {
                continue;
            };
            let definition = definition.node;
            let name = definition.name.node.to_string();
            match definition.kind {
                TypeKind::Object(ObjectType { fields, .. })
                | TypeKind::Interface(InterfaceType { fields, .. }) => {
                    let mut types = HashMap::new();
                    let mut arguments = HashMap::new();
                    for field in fields {
                        let field = field.node;
                        let field_name = field.name.node.to_string();
                        arguments.insert(
                            field_name.clone(),
                            field
                                .arguments
                                .into_iter()
                                .map(|a| input_field(a.node))
                                .collect(),
                        );
                        types.insert(field_name, field.ty.node);
                    }
                    index.outputs.insert(name.clone(), types);
                    index.arguments.insert(name, arguments);
                }
                TypeKind::InputObject(input) => {
                    let fields = input
                        .fields
                        .into_iter()
                        .map(|f| input_field(f.node))
                        .collect();
                    index.inputs.insert(name, fields);
                }
                TypeKind::Enum(enumeration) => {
                    let values = enumeration
                        .values
                        .into_iter()
                        .map(|v| v.node.value.node.to_string())
                        .collect();
                    index.enums.insert(name, values);
                }
                TypeKind::Scalar => {
                    index.scalars.insert(name);
                }
                TypeKind::Union(_) => {}
            }
        }
        for builtin in ["String", "Int", "Float", "Boolean", "ID"] {
            index.scalars.insert(builtin.to_owned());
        }
        index
    }
}

impl TypeIndex {
    pub fn query_root(&self) -> &'static str {
        "QueryRoot"
    }

    /// The root type an operation of `kind` selects on.
    pub fn root(&self, kind: OperationType) -> &'static str {
        match kind {
            OperationType::Mutation => crate::schema::MUTATION_ROOT,
            _ => self.query_root(),
        }
    }

    /// The type of `parent.field`, for object and interface types.
    pub fn field_type(&self, parent: &str, field: &str) -> Option<&Type> {
        self.outputs.get(parent)?.get(field)
    }

    /// A Relay connection: `…Connection` with edges or nodes.
    pub fn is_connection(&self, type_name: &str) -> bool {
        type_name.ends_with("Connection")
            && self
                .outputs
                .get(type_name)
                .is_some_and(|fields| fields.contains_key("edges") || fields.contains_key("nodes"))
    }
}

fn input_field(definition: InputValueDefinition) -> InputField {
    InputField {
        name: definition.name.node.to_string(),
        ty: definition.ty.node,
        has_default: definition.default_value.is_some(),
    }
}

/// The named type at the bottom of a (list / non-null) type.
pub fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

/// The type an inline fragment's fields are selected on: its type condition, or, without one,
/// the type it sits in.
pub fn fragment_type<'a>(fragment: &'a InlineFragment, parent: &'a str) -> &'a str {
    fragment
        .type_condition
        .as_ref()
        .map_or(parent, |condition| condition.node.on.node.as_str())
}
