//! Product options and their values: the `ProductOption` and `ProductOptionValue` reads, and
//! the `productOptions*` mutations.

pub(crate) mod mutation;
pub(crate) mod rules;

use crate::shape::Shape;
use async_graphql::{InputObject, Object, ID};
use std::sync::Arc;
use stevedore_core::Gid;

/// `ProductOption`: option `index` of a product's shape.
#[derive(Clone, Debug)]
pub struct ProductOption {
    pub(crate) shape: Arc<Shape>,
    pub(crate) index: usize,
}

impl ProductOption {
    fn option(&self) -> &crate::shape::ProductOption {
        &self.shape.options[self.index]
    }

    /// Every option of `shape`, in order.
    pub(crate) fn all(shape: &Arc<Shape>) -> Vec<Self> {
        (0..shape.options.len())
            .map(|index| Self {
                shape: shape.clone(),
                index,
            })
            .collect()
    }
}

#[Object]
impl ProductOption {
    pub async fn id(&self) -> ID {
        ID(Gid::new("ProductOption", self.option().id).to_string())
    }
    async fn name(&self) -> &str {
        &self.option().name
    }
    async fn position(&self) -> i32 {
        self.index as i32 + 1
    }
    /// The names of the values some variant has, in order.
    async fn values(&self) -> Vec<String> {
        self.option()
            .values
            .iter()
            .filter(|value| self.shape.value_has_variants(self.index, &value.name))
            .map(|value| value.name.clone())
            .collect()
    }
    async fn option_values(&self) -> Vec<ProductOptionValue> {
        (0..self.option().values.len())
            .map(|value| ProductOptionValue {
                shape: self.shape.clone(),
                option: self.index,
                value,
            })
            .collect()
    }
}

/// `ProductOptionValue`: value `value` of option `option` of a product's shape.
#[derive(Clone, Debug)]
pub struct ProductOptionValue {
    pub(crate) shape: Arc<Shape>,
    pub(crate) option: usize,
    pub(crate) value: usize,
}

impl ProductOptionValue {
    fn value(&self) -> &crate::shape::OptionValue {
        &self.shape.options[self.option].values[self.value]
    }
}

#[Object]
impl ProductOptionValue {
    pub async fn id(&self) -> ID {
        ID(Gid::new("ProductOptionValue", self.value().id).to_string())
    }
    async fn name(&self) -> &str {
        &self.value().name
    }
    async fn has_variants(&self) -> bool {
        self.shape
            .value_has_variants(self.option, &self.value().name)
    }
}

/// `OptionValueCreateInput`.
#[derive(InputObject, Clone, Debug, Default)]
pub struct OptionValueCreateInput {
    pub name: Option<String>,
    pub linked_metafield_value: Option<String>,
}

/// `OptionCreateInput`.
#[derive(InputObject, Clone, Debug, Default)]
pub struct OptionCreateInput {
    pub name: Option<String>,
    pub position: Option<i32>,
    pub values: Option<Vec<OptionValueCreateInput>>,
}

/// The sequence that joins a variant's values into its title, which no name may contain.
pub(crate) const NAME_DELIMITER: &str = " / ";

/// The options `inputs` ask for, in their positions' order (those without one keep their
/// place after those with one), each with its values; a variant of the first value of each is
/// made by the caller.
pub(crate) fn ordered_options(inputs: &[OptionCreateInput]) -> Vec<crate::shape::ProductOption> {
    let mut indexed: Vec<(usize, &OptionCreateInput)> = inputs.iter().enumerate().collect();
    indexed.sort_by_key(|(index, input)| (input.position.map_or(i64::MAX, i64::from), *index));
    indexed
        .into_iter()
        .map(|(_, input)| {
            crate::shape::ProductOption::new(
                input.name.as_deref().unwrap_or_default(),
                input
                    .values
                    .iter()
                    .flatten()
                    .filter_map(|value| value.name.clone()),
            )
        })
        .collect()
}

/// Whether an option or value name contains the title delimiter.
pub(crate) fn has_delimiter(name: &str) -> bool {
    name.contains(NAME_DELIMITER)
}
