//! Bundles, combos and multi-packs: a variant made of other variants, each so many times ("combo áo + quần" =
//! 1 shirt + 1 trousers; "lốc 6 chai" = 6 bottles). A bundle holds no stock of its own: what it has is what its
//! components make, and selling it moves them. Pure rules: the derived level, a bundle's movement as its
//! components' movements, and the checks of a composition.

use std::collections::HashSet;

use super::errors::{ErrorCode, FieldError};
use super::inventory::{Delta, Quantities};

/// Most components one bundle may have.
pub const MAX_COMPONENTS: usize = 50;
/// Most units of one component in one bundle.
pub const MAX_COMPONENT_QUANTITY: i64 = 10_000;

/// One component: `quantity` units of the variant go into one bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Component {
    pub variant_id: i64,
    pub quantity: i64,
}

/// How many bundles `level` of a component makes, on hand and available (rounded down: 13 bottles make two packs
/// of 6). A level below zero (an oversold component) makes fewer than zero.
pub fn bundles_from(level: Quantities, quantity: i64) -> (i64, i64) {
    let per = quantity.max(1);
    (level.on_hand.div_euclid(per), level.available().div_euclid(per))
}

/// A bundle's level in one warehouse, from each component's level there with its units per bundle: as many bundles
/// as the scarcest component makes, on hand and available alike. Committed is the difference, so the quantity rules
/// read a bundle as any variant; nothing of a bundle awaits export (its components' units do). No components: zero.
pub fn derived_level(components: &[(Quantities, i64)]) -> Quantities {
    let made: Vec<(i64, i64)> = components.iter().map(|(level, quantity)| bundles_from(*level, *quantity)).collect();
    let (Some(on_hand), Some(available)) = (made.iter().map(|m| m.0).min(), made.iter().map(|m| m.1).min()) else {
        return Quantities::default();
    };
    // Available never exceeds on hand for a component, so neither does the minimum.
    Quantities { on_hand, committed: on_hand - available, pending_export: 0 }
}

/// The component that limits the bundle (fewest bundles available from it; the first on a tie), by index.
pub fn limiting(components: &[(Quantities, i64)]) -> Option<usize> {
    components
        .iter()
        .enumerate()
        .min_by_key(|(i, (level, quantity))| (bundles_from(*level, *quantity).1, *i))
        .map(|(i, _)| i)
}

/// A bundle's movement as one component's: each quantity times the component's units per bundle. `None` on
/// overflow (the caller refuses it as too large).
pub fn component_delta(delta: Delta, quantity: i64) -> Option<Delta> {
    Some(Delta {
        on_hand: delta.on_hand.checked_mul(quantity)?,
        committed: delta.committed.checked_mul(quantity)?,
        pending_export: delta.pending_export.checked_mul(quantity)?,
    })
}

/// What a composition check needs to know of the variants around it.
pub struct Neighbourhood<'a> {
    /// The variant becoming a bundle.
    pub bundle_id: i64,
    /// The components of each named variant that is a bundle already.
    pub components_of: &'a (dyn Fn(i64) -> Option<Vec<i64>> + Sync),
    /// The bundles the variant is a component of, by name.
    pub contained_in: Vec<String>,
    /// The name of each component variant, for messages.
    pub name_of: &'a (dyn Fn(i64) -> String + Sync),
}

/// Checks a new composition of `around.bundle_id` (empty: it stops being a bundle). Bundles are one level deep: a
/// component can't be a bundle, and a component of a bundle can't become one; a bundle containing itself, directly
/// or through another bundle, is a cycle. Errors are under `components.<i>` (and `variantId` for the bundle itself).
pub fn check_composition(components: &[Component], around: &Neighbourhood<'_>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if components.len() > MAX_COMPONENTS {
        errors.push(FieldError::new(
            &["components"],
            ErrorCode::TooMany,
            format!("a bundle has at most {MAX_COMPONENTS} components"),
        ));
    }
    if !components.is_empty() && !around.contained_in.is_empty() {
        errors.push(FieldError::new(
            &["variantId"],
            ErrorCode::BundleNested,
            format!(
                "this variant is a component of {}: a bundle can't be a component of another bundle",
                around.contained_in.join(", ")
            ),
        ));
    }
    let mut seen = HashSet::new();
    for (i, c) in components.iter().enumerate() {
        let index = i.to_string();
        if !(1..=MAX_COMPONENT_QUANTITY).contains(&c.quantity) {
            errors.push(FieldError::new(
                &["components", &index, "quantity"],
                ErrorCode::Invalid,
                format!("quantity must be between 1 and {MAX_COMPONENT_QUANTITY}, not {}", c.quantity),
            ));
        }
        let at = ["components", index.as_str(), "variantId"];
        if c.variant_id == around.bundle_id {
            errors.push(FieldError::new(&at, ErrorCode::BundleCycle, "a bundle can't contain itself"));
        } else if !seen.insert(c.variant_id) {
            errors.push(FieldError::new(
                &at,
                ErrorCode::DuplicateEntry,
                "this component appears twice: add up its quantities",
            ));
        } else if let Some(inner) = (around.components_of)(c.variant_id) {
            let name = (around.name_of)(c.variant_id);
            errors.push(if inner.contains(&around.bundle_id) {
                FieldError::new(
                    &at,
                    ErrorCode::BundleCycle,
                    format!("{name} is a bundle containing this variant: a bundle can't contain itself through another bundle"),
                )
            } else {
                FieldError::new(
                    &at,
                    ErrorCode::BundleNested,
                    format!("{name} is itself a bundle: list its components instead"),
                )
            });
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(on_hand: i64, committed: i64, pending_export: i64) -> Quantities {
        Quantities { on_hand, committed, pending_export }
    }

    #[test]
    fn a_bundle_has_what_its_scarcest_component_makes() {
        // (components with units per bundle, the bundle's level, the limiting component)
        type Case<'a> = (&'a [(Quantities, i64)], Quantities, Option<usize>);
        let cases: &[Case] = &[
            // No component: nothing.
            (&[], level(0, 0, 0), None),
            // 13 bottles make two packs of 6.
            (&[(level(13, 0, 0), 6)], level(2, 0, 0), Some(0)),
            // Shirt 10 (3 reserved), trousers 5 (1 awaiting export): 5 on hand, 4 available (trousers limit).
            (&[(level(10, 3, 0), 1), (level(5, 0, 1), 1)], level(5, 1, 0), Some(1)),
            // Two of the first per bundle: 7 on hand make 3, 4 available make 2.
            (&[(level(7, 3, 0), 2), (level(9, 0, 0), 1)], level(3, 1, 0), Some(0)),
            // An oversold component makes a negative number of bundles, never a rounded-up zero.
            (&[(level(-1, 0, 0), 2), (level(9, 0, 0), 1)], level(-1, 0, 0), Some(0)),
            // A tie names the first.
            (&[(level(4, 0, 0), 2), (level(2, 0, 0), 1)], level(2, 0, 0), Some(0)),
        ];
        for (components, expected, limit) in cases {
            assert_eq!(derived_level(components), *expected, "{components:?}");
            assert_eq!(limiting(components), *limit, "{components:?}");
        }
    }

    #[test]
    fn a_bundle_movement_scales_to_each_component() {
        let sold = Delta { on_hand: 0, committed: 2, pending_export: 0 };
        assert_eq!(component_delta(sold, 6), Some(Delta { on_hand: 0, committed: 12, pending_export: 0 }));
        assert_eq!(component_delta(Delta { on_hand: i64::MAX, ..Delta::default() }, 2), None);
    }

    #[test]
    fn compositions_are_checked() {
        // Variant 9 is a bundle of 1 and 2; variant 8 a bundle of 7 (the one being edited) and 3.
        let components_of = |id: i64| match id {
            9 => Some(vec![1, 2]),
            8 => Some(vec![7, 3]),
            _ => None,
        };
        let name_of = |id: i64| format!("V{id}");
        let around = |contained_in: Vec<String>| Neighbourhood {
            bundle_id: 7,
            components_of: &components_of,
            contained_in,
            name_of: &name_of,
        };
        let c = |variant_id, quantity| Component { variant_id, quantity };
        let codes = |components: &[Component], contained_in: Vec<String>| -> Vec<(String, ErrorCode)> {
            check_composition(components, &around(contained_in))
                .into_iter()
                .map(|e| (e.field.join("."), e.code))
                .collect()
        };
        assert_eq!(codes(&[c(1, 1), c(2, 6)], vec![]), vec![]);
        assert_eq!(codes(&[], vec!["V8".into()]), vec![], "clearing a component's composition is fine");
        assert_eq!(codes(&[c(7, 1)], vec![]), vec![("components.0.variantId".into(), ErrorCode::BundleCycle)]);
        assert_eq!(codes(&[c(8, 1)], vec![]), vec![("components.0.variantId".into(), ErrorCode::BundleCycle)]);
        assert_eq!(codes(&[c(9, 1)], vec![]), vec![("components.0.variantId".into(), ErrorCode::BundleNested)]);
        assert_eq!(
            codes(&[c(1, 0), c(2, -3), c(3, MAX_COMPONENT_QUANTITY + 1)], vec![]),
            vec![
                ("components.0.quantity".into(), ErrorCode::Invalid),
                ("components.1.quantity".into(), ErrorCode::Invalid),
                ("components.2.quantity".into(), ErrorCode::Invalid),
            ]
        );
        assert_eq!(
            codes(&[c(1, 1), c(1, 2)], vec![]),
            vec![("components.1.variantId".into(), ErrorCode::DuplicateEntry)]
        );
        assert_eq!(codes(&[c(1, 1)], vec!["V8".into()]), vec![("variantId".into(), ErrorCode::BundleNested)]);
        let many: Vec<Component> = (100..100 + MAX_COMPONENTS as i64 + 1).map(|id| c(id, 1)).collect();
        assert_eq!(codes(&many, vec![]), vec![("components".into(), ErrorCode::TooMany)]);
    }
}
