//! The checks the hosted API applies when variants are made or changed, as typed problems; the
//! mutation that met a problem words it (each payload has its own error type and codes).

use super::{ProductOption, Shape, VariantRow, MAX_VARIANTS};
use crate::variant::input::{VariantChanges, VariantOptionValueInput};
use rust_decimal::Decimal;

/// The bound every amount stays under: 10^18.
const AMOUNT_LIMIT: &str = "1000000000000000000";

/// Which mutation met a problem: codes differ between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Asking {
    BulkCreate,
    BulkUpdate,
    Set,
}

/// A rule an input broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Broken {
    ProductMissing,
    OptionMissing,
    DuplicatedOptionName(String),
    NeedOptionValues(String),
    VariantExists(String),
    VariantMissing,
    VariantIdMissing,
    QuantitiesOnUpdate,
    PriceNegative,
    PriceTooHigh,
    CompareAtPriceTooHigh,
    CostNegative,
    CostTooHigh,
    TooManyVariants,
}

/// A broken rule at its place in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) field: Vec<String>,
    pub(crate) broken: Broken,
}

impl Problem {
    pub(crate) fn at(field: &[&str], broken: Broken) -> Self {
        Self {
            field: field.iter().map(|part| (*part).to_owned()).collect(),
            broken,
        }
    }

    pub(crate) fn under(mut self, prefix: &[&str]) -> Self {
        let mut field: Vec<String> = prefix.iter().map(|part| (*part).to_owned()).collect();
        field.append(&mut self.field);
        self.field = field;
        self
    }

    /// The message and code the hosted API answers for this problem in `asking`'s payload.
    pub(crate) fn words(&self, asking: Asking) -> (String, Option<&'static str>) {
        use Asking::*;
        use Broken::*;
        let limit = AMOUNT_LIMIT;
        match (&self.broken, asking) {
            (ProductMissing, Set) => ("Product does not exist".into(), Some("PRODUCT_DOES_NOT_EXIST")),
            (ProductMissing, _) => ("Product does not exist".into(), Some("PRODUCT_DOES_NOT_EXIST")),
            (OptionMissing, BulkUpdate) => ("Option does not exist".into(), Some("OPTION_DOES_NOT_EXIST")),
            (OptionMissing, _) => ("Option does not exist".into(), Some("INVALID_INPUT")),
            (DuplicatedOptionName(name), _) => {
                (format!("Duplicated option name '{name}'"), Some("INVALID_INPUT"))
            }
            (NeedOptionValues(names), _) => (
                format!("You need to add option values for {names}"),
                Some("NEED_TO_ADD_OPTION_VALUES"),
            ),
            (VariantExists(title), Set) => (
                format!("The variant '{title}' already exists. Please change at least one option value."),
                None,
            ),
            (VariantExists(title), _) => (
                format!("The variant '{title}' already exists. Please change at least one option value."),
                Some("VARIANT_ALREADY_EXISTS"),
            ),
            (VariantMissing, _) => (
                "Product variant does not exist".into(),
                Some("PRODUCT_VARIANT_DOES_NOT_EXIST"),
            ),
            (VariantIdMissing, _) => (
                "Product variant is missing ID attribute".into(),
                Some("PRODUCT_VARIANT_ID_MISSING"),
            ),
            (QuantitiesOnUpdate, _) => (
                "Inventory quantities can only be provided during create. To update inventory for existing variants, use inventoryAdjustQuantities.".into(),
                Some("NO_INVENTORY_QUANTITIES_ON_VARIANTS_UPDATE"),
            ),
            (PriceNegative, Set) => ("Price must be greater than or equal to 0".into(), Some("INVALID_VARIANT")),
            (PriceNegative, _) => (
                "Price must be greater than or equal to 0".into(),
                Some("GREATER_THAN_OR_EQUAL_TO"),
            ),
            (PriceTooHigh, Set) => (format!("Price must be less than {limit}"), Some("INVALID_VARIANT")),
            (PriceTooHigh, _) => (format!("must be less than {limit}"), Some("INVALID_INPUT")),
            (CompareAtPriceTooHigh, Set) => (
                format!("Compare at price must be less than {limit}"),
                Some("INVALID_VARIANT"),
            ),
            (CompareAtPriceTooHigh, _) => (format!("must be less than {limit}"), Some("INVALID_INPUT")),
            (CostNegative, Set) => (
                "Cost per item must be greater than or equal to 0".into(),
                Some("INVALID_VARIANT"),
            ),
            (CostNegative, _) => (
                "Cost per item must be greater than or equal to 0".into(),
                Some("GREATER_THAN_OR_EQUAL_TO"),
            ),
            (CostTooHigh, Set) => (
                format!("Cost per item must be less than {limit}"),
                Some("INVALID_VARIANT"),
            ),
            (CostTooHigh, _) => (format!("Cost per item must be less than {limit}"), Some("INVALID_INPUT")),
            (TooManyVariants, Set) => (
                format!("You can only have a maximum of {MAX_VARIANTS} variants per product"),
                Some("VARIANTS_OVER_LIMIT"),
            ),
            (TooManyVariants, _) => (
                format!("You can only have a maximum of {MAX_VARIANTS} variants per product"),
                Some("LIMIT_EXCEEDED"),
            ),
        }
    }
}

/// The amounts of a variant input out of range, each at its field under the variant.
pub(crate) fn amount_problems(changes: &VariantChanges) -> Vec<Problem> {
    let limit: Decimal = AMOUNT_LIMIT.parse().unwrap_or(Decimal::MAX);
    let mut problems = Vec::new();
    // The hosted API reports the compare-at price before the price.
    if let Some(compare_at) = changes.compare_at_price {
        if compare_at.0 >= limit {
            problems.push(Problem::at(
                &["compareAtPrice"],
                Broken::CompareAtPriceTooHigh,
            ));
        }
    }
    if let Some(price) = changes.price {
        if price.0.is_sign_negative() && !price.0.is_zero() {
            problems.push(Problem::at(&["price"], Broken::PriceNegative));
        } else if price.0 >= limit {
            problems.push(Problem::at(&["price"], Broken::PriceTooHigh));
        }
    }
    if let Some(cost) = changes.inventory_item.as_ref().and_then(|item| item.cost) {
        if cost.0.is_sign_negative() && !cost.0.is_zero() {
            problems.push(Problem::at(
                &["inventoryItem", "cost"],
                Broken::CostNegative,
            ));
        } else if cost.0 >= limit {
            problems.push(Problem::at(&["inventoryItem", "cost"], Broken::CostTooHigh));
        }
    }
    problems
}

fn same_name(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

impl Shape {
    fn option_index(&self, input: &VariantOptionValueInput) -> Option<usize> {
        if let Some(id) = &input.option_id {
            let id = stevedore_core::Gid::parse_as(id, "ProductOption").ok()?;
            return self.options.iter().position(|option| option.id == id);
        }
        let name = input.option_name.as_deref()?;
        self.options
            .iter()
            .position(|option| same_name(&option.name, name))
    }

    /// The value names, in the options' order, that `inputs` give a variant; values an option
    /// does not have yet are added to it. `partial` (an update) keeps `current`'s value of an
    /// option the inputs leave out.
    pub(crate) fn place_values(
        &mut self,
        inputs: &[VariantOptionValueInput],
        current: Option<&VariantRow>,
    ) -> Result<Vec<String>, Problem> {
        let mut chosen: Vec<Option<String>> = vec![None; self.options.len()];
        for (index, input) in inputs.iter().enumerate() {
            let Some(option) = self.option_index(input) else {
                return Err(Problem::at(
                    &["optionValues", &index.to_string()],
                    Broken::OptionMissing,
                ));
            };
            if chosen[option].is_some() {
                return Err(Problem::at(
                    &["optionValues"],
                    Broken::DuplicatedOptionName(self.options[option].name.clone()),
                ));
            }
            let value = match (&input.id, &input.name) {
                (Some(id), _) => {
                    let id = stevedore_core::Gid::parse_as(id, "ProductOptionValue").ok();
                    let found = self.options[option]
                        .values
                        .iter()
                        .find(|value| Some(value.id) == id);
                    match found {
                        Some(value) => value.name.clone(),
                        None => {
                            return Err(Problem::at(
                                &["optionValues", &index.to_string()],
                                Broken::OptionMissing,
                            ))
                        }
                    }
                }
                (None, Some(name)) => name.clone(),
                (None, None) => {
                    return Err(Problem::at(
                        &["optionValues", &index.to_string()],
                        Broken::OptionMissing,
                    ))
                }
            };
            chosen[option] = Some(value);
        }
        if let Some(current) = current {
            for (slot, value) in chosen.iter_mut().zip(current.values()) {
                if slot.is_none() {
                    *slot = Some(value.to_owned());
                }
            }
        }
        let missing: Vec<&str> = chosen
            .iter()
            .zip(&self.options)
            .filter(|(value, _)| value.is_none())
            .map(|(_, option)| option.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(Problem::at(
                &[],
                Broken::NeedOptionValues(missing.join(", ")),
            ));
        }
        let values: Vec<String> = chosen.into_iter().flatten().collect();
        for (option, value) in self.options.iter_mut().zip(&values) {
            add_value(option, value);
        }
        // The value as the option spells it.
        Ok(self
            .options
            .iter()
            .zip(values)
            .map(|(option, value)| {
                option
                    .value_named(&value)
                    .map_or(value, |kept| kept.name.clone())
            })
            .collect())
    }

    /// The variant other than `except` with these values, if any.
    pub(crate) fn variant_with_values(
        &self,
        values: &[String],
        except: Option<usize>,
    ) -> Option<usize> {
        self.variants
            .iter()
            .enumerate()
            .position(|(index, variant)| {
                Some(index) != except
                    && variant.values().count() == values.len()
                    && variant.values().zip(values).all(|(a, b)| same_name(a, b))
            })
    }
}

fn add_value(option: &mut ProductOption, value: &str) {
    if option.value_named(value).is_none() {
        option.values.push(super::OptionValue {
            id: 0,
            name: value.to_owned(),
        });
    }
}
