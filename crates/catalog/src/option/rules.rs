//! What the `productOptions*` mutations do to a product's shape, and what they refuse: options
//! added (their values given to the variants there are, or every combination made), one option
//! renamed, moved and its values changed, options deleted (the variants they told apart merged)
//! and options and values put in a new order. Pure changes of a [`Shape`]; the mutations load
//! and save it (see `crate::shape::change`).
//!
//! Messages and codes are the captured ones where a capture shows them (`INVALID_NAME`, "Option
//! does not exist", the reorder codes); the others use the code the hosted schema documents with
//! its documented description as the message.

use crate::shape::{ProductOption, Shape, VariantRow, DEFAULT_OPTION, MAX_OPTIONS, MAX_VARIANTS};
use crate::user_errors::Refusal;

/// The longest option or value name, in characters.
const NAME_LIMIT: usize = 255;

fn same(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// What is wrong with an option's name, if anything.
fn option_name_refusal(name: &str, at: &[&str]) -> Option<Refusal> {
    if name.trim().is_empty() {
        Some(Refusal::new(
            at,
            "Option name can't be blank.",
            "OPTION_NAME_MISSING",
        ))
    } else if name.chars().count() > NAME_LIMIT {
        Some(Refusal::new(
            at,
            format!("Option name is too long (maximum is {NAME_LIMIT} characters)."),
            "OPTION_NAME_TOO_LONG",
        ))
    } else {
        delimiter_refusal(name, at)
    }
}

/// What is wrong with an option value's name, if anything.
fn value_name_refusal(name: &str, at: &[&str]) -> Option<Refusal> {
    if name.trim().is_empty() {
        Some(Refusal::new(
            at,
            "Option value name can't be blank.",
            "INVALID_NAME",
        ))
    } else if name.chars().count() > NAME_LIMIT {
        Some(Refusal::new(
            at,
            format!("Option value name is too long (maximum is {NAME_LIMIT} characters)."),
            "OPTION_VALUE_NAME_TOO_LONG",
        ))
    } else {
        delimiter_refusal(name, at)
    }
}

fn delimiter_refusal(name: &str, at: &[&str]) -> Option<Refusal> {
    super::has_delimiter(name).then(|| {
        Refusal::new(
            at,
            "The name contains unsupported sequence ' / '",
            "INVALID_NAME",
        )
    })
}

fn too_many_variants(at: &[&str], code: &'static str) -> Refusal {
    Refusal::new(
        at,
        format!("You can only have a maximum of {MAX_VARIANTS} variants per product"),
        code,
    )
}

/// An option `productOptionsCreate` adds.
#[derive(Debug, Clone)]
pub(crate) struct NewOption {
    pub(crate) name: String,
    /// 1-based, where the caller asked for one.
    pub(crate) position: Option<i32>,
    pub(crate) values: Vec<String>,
}

/// Whether `productOptionsCreate` makes a variant of every new combination of values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Combinations {
    /// Existing variants take each new option's first value; nothing else is made.
    LeaveAsIs,
    /// … and a variant is made for every other combination, after them.
    Create,
}

/// A variant made beside `source` by a change of options: its prices and settings, none of its
/// identity (SKU, barcode) or stock.
fn sibling_of(source: &VariantRow, values: &[String]) -> VariantRow {
    let mut row = source.clone();
    row.id = 0;
    row.sku = None;
    row.barcode = None;
    row.inventory_quantity = 0;
    row.set_values(values);
    row
}

/// Adds `options` to `shape`. A product with only the default variant loses its default option
/// ("Title"): its one variant takes the first value of each new option and keeps its id.
pub(crate) fn create_options(
    shape: &mut Shape,
    options: &[NewOption],
    combinations: Combinations,
) -> Result<(), Vec<Refusal>> {
    let replaces_default = shape.has_only_default_variant();
    let existing: &[ProductOption] = if replaces_default {
        &[]
    } else {
        &shape.options
    };
    let mut refusals = Vec::new();
    for (index, option) in options.iter().enumerate() {
        let at = index.to_string();
        let name_at = ["options", at.as_str(), "name"];
        if let Some(refusal) = option_name_refusal(&option.name, &name_at) {
            refusals.push(refusal);
        } else if options[..index]
            .iter()
            .any(|earlier| same(&earlier.name, &option.name))
        {
            refusals.push(Refusal::new(
                &name_at,
                "Duplicated option name.",
                "DUPLICATED_OPTION_NAME",
            ));
        } else if existing.iter().any(|other| same(&other.name, &option.name)) {
            refusals.push(Refusal::new(
                &name_at,
                "Option already exists.",
                "OPTION_ALREADY_EXISTS",
            ));
        }
        if option.position.is_some_and(|position| position < 1) {
            refusals.push(Refusal::new(
                &["options", &at, "position"],
                "Position is out of bounds.",
                "POSITION_OUT_OF_BOUNDS",
            ));
        }
        if option.values.is_empty() {
            refusals.push(Refusal::new(
                &["options", &at, "values"],
                "Option values are missing.",
                "OPTION_VALUES_MISSING",
            ));
        }
        for (value_index, value) in option.values.iter().enumerate() {
            let value_at = value_index.to_string();
            let at = ["options", at.as_str(), "values", value_at.as_str(), "name"];
            if let Some(refusal) = value_name_refusal(value, &at) {
                refusals.push(refusal);
            } else if option.values[..value_index]
                .iter()
                .any(|earlier| same(earlier, value))
            {
                refusals.push(Refusal::new(
                    &at,
                    "Duplicated option value.",
                    "DUPLICATED_OPTION_VALUE",
                ));
            }
        }
    }
    if existing.len() + options.len() > MAX_OPTIONS {
        refusals.push(Refusal::new(
            &["options"],
            format!("Can only specify a maximum of {MAX_OPTIONS} options"),
            "OPTIONS_OVER_LIMIT",
        ));
    }
    if !refusals.is_empty() {
        return Err(refusals);
    }

    // Where each option goes: those with a position in its order, the others last.
    enum Slot {
        Old(usize),
        New(usize),
    }
    let mut slots: Vec<Slot> = (0..existing.len()).map(Slot::Old).collect();
    let mut placed: Vec<usize> = (0..options.len()).collect();
    placed.sort_by_key(|&index| (options[index].position.unwrap_or(i32::MAX), index));
    for index in placed {
        let at = options[index]
            .position
            .map_or(slots.len(), |position| position as usize - 1)
            .min(slots.len());
        slots.insert(at, Slot::New(index));
    }
    let new_options: Vec<ProductOption> = slots
        .iter()
        .map(|slot| match slot {
            Slot::Old(index) => existing[*index].clone(),
            Slot::New(index) => {
                ProductOption::new(&options[*index].name, options[*index].values.clone())
            }
        })
        .collect();
    // Each variant's values in the new order, the new options at their first value.
    let values_of = |variant: &VariantRow, choice: &dyn Fn(usize) -> usize| -> Vec<String> {
        let old: Vec<&str> = variant.values().collect();
        slots
            .iter()
            .map(|slot| match slot {
                Slot::Old(index) => old.get(*index).copied().unwrap_or_default().to_owned(),
                Slot::New(index) => options[*index].values[choice(*index)].clone(),
            })
            .collect()
    };
    let mut made = Vec::new();
    if combinations == Combinations::Create {
        // Every combination of the new options' values but the first of each, per variant.
        let sizes: Vec<usize> = options.iter().map(|option| option.values.len()).collect();
        let total: usize = sizes.iter().product();
        for variant in &shape.variants {
            for combination in 1..total {
                let mut rest = combination;
                let mut chosen = vec![0; sizes.len()];
                // The last option in slot order turns fastest, as the hosted API lists them.
                for slot in slots.iter().rev() {
                    if let Slot::New(index) = slot {
                        chosen[*index] = rest % sizes[*index];
                        rest /= sizes[*index];
                    }
                }
                made.push(sibling_of(
                    variant,
                    &values_of(variant, &|index| chosen[index]),
                ));
            }
        }
    }
    if shape.variants.len() + made.len() > MAX_VARIANTS {
        return Err(vec![too_many_variants(
            &["options"],
            "TOO_MANY_VARIANTS_CREATED",
        )]);
    }
    for variant in &mut shape.variants {
        let values = values_of(variant, &|_| 0);
        variant.set_values(&values);
    }
    shape.variants.extend(made);
    shape.options = new_options;
    Ok(())
}

/// What `productOptionUpdate` asks of one option.
#[derive(Debug, Clone, Default)]
pub(crate) struct OptionUpdate {
    /// The option, by id (None: not an id of this kind).
    pub(crate) id: Option<i64>,
    pub(crate) name: Option<String>,
    pub(crate) position: Option<i32>,
    pub(crate) values_to_add: Vec<String>,
    /// Values renamed: (id, new name).
    pub(crate) values_to_update: Vec<(Option<i64>, Option<String>)>,
    pub(crate) values_to_delete: Vec<Option<i64>>,
    /// Whether variants are made and deleted as the values require (`MANAGE`), or the change is
    /// refused where it would need that (`LEAVE_AS_IS`).
    pub(crate) manage_variants: bool,
}

/// Changes one option of `shape` as `update` asks.
pub(crate) fn update_option(shape: &mut Shape, update: &OptionUpdate) -> Result<(), Vec<Refusal>> {
    let Some(index) = update
        .id
        .and_then(|id| shape.options.iter().position(|option| option.id == id))
    else {
        return Err(vec![Refusal::new(
            &["option"],
            "Option does not exist",
            "OPTION_DOES_NOT_EXIST",
        )]);
    };
    let mut refusals = Vec::new();
    if let Some(name) = &update.name {
        if let Some(refusal) = option_name_refusal(name, &["option", "name"]) {
            refusals.push(refusal);
        } else if shape
            .options
            .iter()
            .enumerate()
            .any(|(other, option)| other != index && same(&option.name, name))
        {
            refusals.push(Refusal::new(
                &["option", "name"],
                "Duplicated option name.",
                "DUPLICATED_OPTION_NAME",
            ));
        }
    }
    let option = &shape.options[index];
    let find =
        |id: Option<i64>| id.and_then(|id| option.values.iter().position(|value| value.id == id));
    // The names the option will have, to find duplicates among them.
    let mut names: Vec<String> = option
        .values
        .iter()
        .map(|value| value.name.clone())
        .collect();
    for (at, (id, name)) in update.values_to_update.iter().enumerate() {
        let at = at.to_string();
        let Some(found) = find(*id) else {
            refusals.push(Refusal::new(
                &["optionValuesToUpdate", &at, "id"],
                "Option value does not exist.",
                "OPTION_VALUE_DOES_NOT_EXIST",
            ));
            continue;
        };
        if let Some(name) = name {
            let name_at = ["optionValuesToUpdate", at.as_str(), "name"];
            if let Some(refusal) = value_name_refusal(name, &name_at) {
                refusals.push(refusal);
            } else {
                names[found] = name.clone();
            }
        }
    }
    let mut deleted = Vec::new();
    for (at, id) in update.values_to_delete.iter().enumerate() {
        match find(*id) {
            Some(found) => deleted.push(found),
            None => refusals.push(Refusal::new(
                &["optionValuesToDelete", &at.to_string()],
                "Option value does not exist.",
                "OPTION_VALUE_DOES_NOT_EXIST",
            )),
        }
    }
    for (at, name) in update.values_to_add.iter().enumerate() {
        let at = ["optionValuesToAdd", &at.to_string(), "name"].map(str::to_owned);
        let at: Vec<&str> = at.iter().map(String::as_str).collect();
        if let Some(refusal) = value_name_refusal(name, &at) {
            refusals.push(refusal);
        } else {
            names.push(name.clone());
        }
    }
    let kept: Vec<&String> = names
        .iter()
        .enumerate()
        .filter(|(at, _)| !deleted.contains(at))
        .map(|(_, name)| name)
        .collect();
    if let Some(duplicate) = kept
        .iter()
        .enumerate()
        .find(|(at, name)| kept[..*at].iter().any(|earlier| same(earlier, name)))
    {
        refusals.push(Refusal::new(
            &["optionValuesToAdd"],
            format!("Duplicated option value '{}'.", duplicate.1),
            "DUPLICATED_OPTION_VALUE",
        ));
    }
    if !deleted.is_empty() && kept.is_empty() {
        refusals.push(Refusal::new(
            &["optionValuesToDelete"],
            "Deleting all option values of an option is not allowed.",
            "CANNOT_DELETE_ALL_OPTION_VALUES_IN_OPTION",
        ));
    }
    if !refusals.is_empty() {
        return Err(refusals);
    }

    let old_names: Vec<String> = option
        .values
        .iter()
        .map(|value| value.name.clone())
        .collect();
    let deleted_names: Vec<String> = deleted.iter().map(|at| old_names[*at].clone()).collect();
    let uses_deleted = |variant: &VariantRow| {
        variant
            .values()
            .nth(index)
            .is_some_and(|value| deleted_names.iter().any(|name| name == value))
    };
    if !update.manage_variants && shape.variants.iter().any(uses_deleted) {
        return Err(vec![Refusal::new(
            &["optionValuesToDelete"],
            "Cannot update the option because it would result in deleting variants.",
            "CANNOT_DELETE_VARIANT_WITHOUT_PERMISSION",
        )]);
    }
    shape.variants.retain(|variant| !uses_deleted(variant));
    if shape.variants.is_empty() {
        return Err(vec![Refusal::new(
            &["optionValuesToDelete"],
            "An option cannot be left only with option values that are not linked to any variant.",
            "CANNOT_LEAVE_OPTIONS_WITHOUT_VARIANTS",
        )]);
    }
    // Renamed values: the variants that have them follow.
    let option = &mut shape.options[index];
    for (id, name) in &update.values_to_update {
        let (Some(found), Some(name)) = (
            id.and_then(|id| option.values.iter().position(|value| value.id == id)),
            name,
        ) else {
            continue;
        };
        let old = std::mem::replace(&mut option.values[found].name, name.clone());
        for variant in &mut shape.variants {
            let mut values: Vec<String> = variant.values().map(str::to_owned).collect();
            if values.get(index) == Some(&old) {
                values[index] = name.clone();
                variant.set_values(&values);
            }
        }
    }
    let mut at = 0;
    option.values.retain(|_| {
        at += 1;
        !deleted.contains(&(at - 1))
    });
    option.values.extend(
        update
            .values_to_add
            .iter()
            .map(|name| crate::shape::OptionValue {
                id: 0,
                name: name.clone(),
            }),
    );
    if let Some(name) = &update.name {
        option.name = name.clone();
    }
    if let Some(position) = update.position {
        let to = (position.max(1) as usize - 1).min(shape.options.len() - 1);
        let mut order: Vec<usize> = (0..shape.options.len()).collect();
        let moved = order.remove(index);
        order.insert(to, moved);
        shape.reorder_options(&order);
    }
    Ok(())
}

/// How `productOptionsDelete` treats variants the deleted options told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeleteStrategy {
    /// Only options with at most one value in use go.
    Default,
    /// Refused where variants would have to go.
    NonDestructive,
    /// Of variants that become the same, the first by position stays.
    Position,
}

/// Deletes the options named by `ids` from `shape`; the ids of those deleted. Deleting every
/// option leaves the default option with the first variant.
pub(crate) fn delete_options(
    shape: &mut Shape,
    ids: &[Option<i64>],
    strategy: DeleteStrategy,
) -> Result<Vec<i64>, Vec<Refusal>> {
    let mut refusals = Vec::new();
    let mut doomed = Vec::new();
    for (at, id) in ids.iter().enumerate() {
        let at = at.to_string();
        match id.and_then(|id| shape.options.iter().position(|option| option.id == id)) {
            None => refusals.push(Refusal::new(
                &["options", &at],
                "Option does not exist",
                "OPTION_DOES_NOT_EXIST",
            )),
            Some(index) => {
                let in_use = shape.options[index]
                    .values
                    .iter()
                    .filter(|value| shape.value_has_variants(index, &value.name))
                    .count();
                if strategy == DeleteStrategy::Default && in_use > 1 {
                    refusals.push(Refusal::new(
                        &["options", &at],
                        "Can't delete option with multiple values.",
                        "CANNOT_DELETE_OPTION_WITH_MULTIPLE_VALUES",
                    ));
                }
                if !doomed.contains(&index) {
                    doomed.push(index);
                }
            }
        }
    }
    if !refusals.is_empty() {
        return Err(refusals);
    }
    let kept: Vec<usize> = (0..shape.options.len())
        .filter(|index| !doomed.contains(index))
        .collect();
    let mut variants: Vec<VariantRow> = Vec::with_capacity(shape.variants.len());
    for variant in &shape.variants {
        let old: Vec<&str> = variant.values().collect();
        let values: Vec<String> = kept
            .iter()
            .map(|index| old.get(*index).copied().unwrap_or_default().to_owned())
            .collect();
        let duplicate = variants
            .iter()
            .any(|earlier| earlier.values().zip(&values).all(|(a, b)| same(a, b)));
        if duplicate {
            if strategy == DeleteStrategy::NonDestructive {
                return Err(vec![Refusal::new(
                    &["options"],
                    "Cannot delete options without deleting variants.",
                    "CANNOT_USE_NON_DESTRUCTIVE_STRATEGY",
                )]);
            }
            continue;
        }
        let mut variant = variant.clone();
        variant.set_values(&values);
        variants.push(variant);
    }
    let deleted = doomed
        .iter()
        .map(|index| shape.options[*index].id)
        .collect();
    shape.options = kept
        .iter()
        .map(|index| shape.options[*index].clone())
        .collect();
    shape.variants = variants;
    if shape.options.is_empty() {
        let default = Shape::with_options(
            vec![ProductOption::new(
                DEFAULT_OPTION,
                [crate::shape::DEFAULT_VALUE.to_owned()],
            )],
            0,
        );
        shape.options = default.options;
        shape.variants.truncate(1);
        for variant in &mut shape.variants {
            variant.set_values(&[crate::shape::DEFAULT_VALUE.to_owned()]);
        }
    }
    Ok(deleted)
}

/// One option of a `productOptionsReorder` input: by id or by name, with its values likewise.
#[derive(Debug, Clone)]
pub(crate) struct OptionOrder {
    pub(crate) option: Selector,
    pub(crate) values: Vec<Selector>,
}

/// An option or value named by id or by name (exactly one: the schema sees to that).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selector {
    /// Its numeric id, or None for an id of another kind (which names nothing).
    Id(Option<i64>, String),
    Name(String),
}

/// Puts the options of `shape`, and the values of each, in the order `orders` gives (those not
/// named keep their order after those named); the variants follow their values' new order.
pub(crate) fn reorder_options(
    shape: &mut Shape,
    orders: &[OptionOrder],
) -> Result<(), Vec<Refusal>> {
    let one =
        |message: String, code: &'static str| Err(vec![Refusal::new(&["options"], message, code)]);
    let by_id = |selector: &Selector| matches!(selector, Selector::Id(..));
    if orders.iter().any(|order| by_id(&order.option))
        && !orders.iter().all(|order| by_id(&order.option))
    {
        return one(
            "Only specify one of `id` or `name` fields for options.".into(),
            "MIXING_ID_AND_NAME_KEYS_IS_NOT_ALLOWED",
        );
    }
    // Values are named one way within an option; another option may name its own the other.
    let mixed = |values: &[Selector]| values.iter().any(by_id) && !values.iter().all(by_id);
    if orders.iter().any(|order| mixed(&order.values)) {
        return one(
            "Only specify one of `id` or `name` fields for option values.".into(),
            "MIXING_ID_AND_NAME_KEYS_IS_NOT_ALLOWED",
        );
    }
    let mut option_order = Vec::new();
    let mut value_orders = Vec::new();
    for (at, order) in orders.iter().enumerate() {
        let found = match &order.option {
            Selector::Id(id, text) => {
                match id.and_then(|id| shape.options.iter().position(|o| o.id == id)) {
                    Some(found) => found,
                    None => {
                        return one(
                            format!("Option id '{}' does not exist.", gid_tail(text)),
                            "OPTION_ID_DOES_NOT_EXIST",
                        )
                    }
                }
            }
            Selector::Name(name) => match shape.options.iter().position(|o| same(&o.name, name)) {
                Some(found) => found,
                None => {
                    return one(
                        format!("Option name '{name}' does not exist."),
                        "OPTION_NAME_DOES_NOT_EXIST",
                    )
                }
            },
        };
        if option_order.contains(&found) {
            return Err(vec![Refusal::new(
                &["options", &at.to_string()],
                format!("Duplicated option name '{}'.", shape.options[found].name),
                "DUPLICATED_OPTION_NAME",
            )]);
        }
        option_order.push(found);
        let option = &shape.options[found];
        let mut value_order = Vec::new();
        for (value_at, value) in order.values.iter().enumerate() {
            let found = match value {
                Selector::Id(id, text) => {
                    match id.and_then(|id| option.values.iter().position(|v| v.id == id)) {
                        Some(found) => found,
                        None => {
                            return one(
                                format!("Option value id '{}' does not exist.", gid_tail(text)),
                                "OPTION_VALUE_ID_DOES_NOT_EXIST",
                            )
                        }
                    }
                }
                Selector::Name(name) => {
                    match option.values.iter().position(|v| same(&v.name, name)) {
                        Some(found) => found,
                        None => {
                            return one(
                                format!("Option value '{name}' does not exist."),
                                "OPTION_VALUE_DOES_NOT_EXIST",
                            )
                        }
                    }
                }
            };
            if value_order.contains(&found) {
                return Err(vec![Refusal::new(
                    &["options", &value_at.to_string()],
                    format!("Duplicated option value '{}'.", option.values[found].name),
                    "DUPLICATED_OPTION_VALUE",
                )]);
            }
            value_order.push(found);
        }
        value_orders.push((found, value_order));
    }
    for (option, order) in value_orders {
        let values = &mut shape.options[option].values;
        let order = completed(order, values.len());
        *values = order.iter().map(|index| values[*index].clone()).collect();
    }
    shape.reorder_options(&completed(option_order, shape.options.len()));
    // Variants in the order of their values' positions, option by option.
    let rank = |variant: &VariantRow| -> Vec<usize> {
        variant
            .values()
            .zip(&shape.options)
            .map(|(value, option)| {
                option
                    .values
                    .iter()
                    .position(|candidate| candidate.name == value)
                    .unwrap_or(usize::MAX)
            })
            .collect()
    };
    let mut ranked: Vec<(Vec<usize>, VariantRow)> = shape
        .variants
        .drain(..)
        .map(|variant| (rank(&variant), variant))
        .collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0));
    shape.variants = ranked.into_iter().map(|(_, variant)| variant).collect();
    Ok(())
}

/// `order` (indexes below `len`) followed by the indexes it does not name, in their order.
fn completed(mut order: Vec<usize>, len: usize) -> Vec<usize> {
    let rest: Vec<usize> = (0..len).filter(|index| !order.contains(index)).collect();
    order.extend(rest);
    order
}

/// The numeric part of a global id as written (`gid://shopify/ProductOption/12` → `12`).
fn gid_tail(text: &str) -> &str {
    text.rsplit('/').next().unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{OptionValue, DEFAULT_VALUE};

    fn option(id: i64, name: &str, values: &[(i64, &str)]) -> ProductOption {
        ProductOption {
            id,
            name: name.into(),
            values: values
                .iter()
                .map(|(id, name)| OptionValue {
                    id: *id,
                    name: (*name).into(),
                })
                .collect(),
        }
    }

    fn variant(id: i64, values: &[&str]) -> VariantRow {
        let mut row = VariantRow::new(1, 0);
        row.id = id;
        row.set_values(&values.iter().map(|v| (*v).to_owned()).collect::<Vec<_>>());
        row
    }

    fn default_shape() -> Shape {
        Shape {
            product_id: 1,
            options: vec![option(10, DEFAULT_OPTION, &[(20, DEFAULT_VALUE)])],
            variants: vec![variant(30, &[DEFAULT_VALUE])],
        }
    }

    fn titles(shape: &Shape) -> Vec<String> {
        shape.variants.iter().map(VariantRow::title).collect()
    }

    fn new_option(name: &str, position: Option<i32>, values: &[&str]) -> NewOption {
        NewOption {
            name: name.into(),
            position,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    #[test]
    fn new_options_replace_the_default_option_and_keep_its_variant() {
        let mut shape = default_shape();
        let options = [
            new_option("Size", Some(2), &["Small"]),
            new_option("Color", Some(1), &["Red", "Green"]),
        ];
        create_options(&mut shape, &options, Combinations::LeaveAsIs).unwrap();
        let names: Vec<&str> = shape.options.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["Color", "Size"]);
        assert_eq!(titles(&shape), ["Red / Small"]);
        assert_eq!(shape.variants[0].id, 30);
    }

    #[test]
    fn the_create_strategy_makes_every_combination_after_the_existing_variants() {
        let mut shape = Shape {
            product_id: 1,
            options: vec![option(10, "Seed", &[(1, "A"), (2, "B")])],
            variants: vec![variant(30, &["A"]), variant(31, &["B"])],
        };
        let options = [new_option("Second", Some(2), &["x", "y", "z"])];
        create_options(&mut shape, &options, Combinations::Create).unwrap();
        assert_eq!(
            titles(&shape),
            ["A / x", "B / x", "A / y", "A / z", "B / y", "B / z"]
        );
    }

    #[test]
    fn option_names_with_the_title_delimiter_are_refused() {
        let mut shape = default_shape();
        let refused = create_options(
            &mut shape,
            &[new_option("Size / Fit", None, &["S"])],
            Combinations::LeaveAsIs,
        )
        .unwrap_err();
        assert_eq!(refused[0].field, ["options", "0", "name"]);
        assert_eq!(refused[0].code, "INVALID_NAME");
        assert_eq!(shape, default_shape());
    }

    #[test]
    fn a_fourth_option_is_refused() {
        let mut shape = Shape {
            product_id: 1,
            options: vec![
                option(1, "A", &[(4, "a")]),
                option(2, "B", &[(5, "b")]),
                option(3, "C", &[(6, "c")]),
            ],
            variants: vec![variant(30, &["a", "b", "c"])],
        };
        let refused = create_options(
            &mut shape,
            &[new_option("D", None, &["d"])],
            Combinations::LeaveAsIs,
        )
        .unwrap_err();
        assert_eq!(refused[0].code, "OPTIONS_OVER_LIMIT");
    }

    #[test]
    fn an_update_renames_moves_adds_and_deletes_values() {
        let mut shape = Shape {
            product_id: 1,
            options: vec![
                option(10, "Color", &[(1, "Red"), (2, "Green")]),
                option(11, "Size", &[(3, "Small")]),
            ],
            variants: vec![variant(30, &["Red", "Small"])],
        };
        let update = OptionUpdate {
            id: Some(10),
            name: Some("Shade".into()),
            position: Some(2),
            values_to_add: vec!["Blue".into()],
            values_to_update: vec![(Some(1), Some("Crimson".into()))],
            values_to_delete: vec![Some(2)],
            manage_variants: false,
        };
        update_option(&mut shape, &update).unwrap();
        let names: Vec<&str> = shape.options.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["Size", "Shade"]);
        let values: Vec<&str> = shape.options[1]
            .values
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(values, ["Crimson", "Blue"]);
        assert_eq!(titles(&shape), ["Small / Crimson"]);
    }

    #[test]
    fn an_unknown_option_is_refused() {
        let mut shape = default_shape();
        let update = OptionUpdate {
            id: Some(999),
            ..OptionUpdate::default()
        };
        let refused = update_option(&mut shape, &update).unwrap_err();
        assert_eq!(refused[0].message, "Option does not exist");
    }

    #[test]
    fn deleting_every_option_brings_back_the_default_one() {
        let mut shape = Shape {
            product_id: 1,
            options: vec![
                option(10, "Color", &[(1, "Red"), (2, "Green")]),
                option(11, "Size", &[(3, "Small")]),
            ],
            variants: vec![variant(30, &["Red", "Small"])],
        };
        let deleted =
            delete_options(&mut shape, &[Some(11), Some(10)], DeleteStrategy::Default).unwrap();
        assert_eq!(deleted, [11, 10]);
        assert_eq!(shape.options[0].name, DEFAULT_OPTION);
        assert_eq!(titles(&shape), [DEFAULT_VALUE]);
        assert_eq!(shape.variants[0].id, 30);
    }

    #[test]
    fn deleting_an_option_that_tells_variants_apart_depends_on_the_strategy() {
        let shape = Shape {
            product_id: 1,
            options: vec![
                option(10, "Color", &[(1, "Red"), (2, "Green")]),
                option(11, "Size", &[(3, "Small")]),
            ],
            variants: vec![
                variant(30, &["Red", "Small"]),
                variant(31, &["Green", "Small"]),
            ],
        };
        let refused =
            delete_options(&mut shape.clone(), &[Some(10)], DeleteStrategy::Default).unwrap_err();
        assert_eq!(refused[0].code, "CANNOT_DELETE_OPTION_WITH_MULTIPLE_VALUES");
        let refused = delete_options(
            &mut shape.clone(),
            &[Some(10)],
            DeleteStrategy::NonDestructive,
        )
        .unwrap_err();
        assert_eq!(refused[0].code, "CANNOT_USE_NON_DESTRUCTIVE_STRATEGY");
        let mut kept = shape.clone();
        delete_options(&mut kept, &[Some(10)], DeleteStrategy::Position).unwrap();
        assert_eq!(titles(&kept), ["Small"]);
        assert_eq!(kept.variants[0].id, 30);
    }

    #[test]
    fn a_reorder_moves_options_values_and_variants() {
        let mut shape = Shape {
            product_id: 1,
            options: vec![
                option(10, "Color", &[(1, "Red"), (2, "Green")]),
                option(11, "Size", &[(3, "Small")]),
            ],
            variants: vec![
                variant(30, &["Red", "Small"]),
                variant(31, &["Green", "Small"]),
            ],
        };
        let id = |n: i64| Selector::Id(Some(n), format!("gid://shopify/X/{n}"));
        let orders = [
            OptionOrder {
                option: id(11),
                values: vec![id(3)],
            },
            OptionOrder {
                option: id(10),
                values: vec![id(2), id(1)],
            },
        ];
        reorder_options(&mut shape, &orders).unwrap();
        assert_eq!(titles(&shape), ["Small / Green", "Small / Red"]);
    }

    #[test]
    fn a_reorder_names_what_does_not_exist() {
        let mut shape = default_shape();
        let orders = [OptionOrder {
            option: Selector::Id(
                Some(999999999),
                "gid://shopify/ProductOption/999999999".into(),
            ),
            values: vec![],
        }];
        let refused = reorder_options(&mut shape, &orders).unwrap_err();
        assert_eq!(refused[0].message, "Option id '999999999' does not exist.");
        assert_eq!(refused[0].code, "OPTION_ID_DOES_NOT_EXIST");
    }
}
