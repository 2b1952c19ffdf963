//! A channel's price rule (issue 21): the pushed price is the policy's base price, then a markup or markdown
//! (a percent, then an amount), then rounding (to a multiple, or up to an ending such as …9,000), then bounds
//! (never below the cost price, never above the channel's list price where the channel has one). Every step is
//! kept, so a pushed price can be explained figure by figure.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::errors::{ErrorCode, FieldError};

/// A sale price for a time: from `starts_at` until `ends_at` the variant sells at `price` (minor units), where the
/// marketplace schedules sale prices (Lazada's SalePrice, SaleStartDate, SaleEndDate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledSale {
    pub price: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl ScheduledSale {
    /// Checks a sale given for a variant priced `regular` (minor units) at time `now`: a price above 0 and below
    /// the regular price, an end after its start and still ahead. Errors name `sale.price` or `sale.endsAt`.
    pub fn check(&self, regular: i64, now: DateTime<Utc>) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.price <= 0 || self.price >= regular {
            errors.push(FieldError::new(
                &["sale", "price"],
                ErrorCode::Invalid,
                "a sale price is above 0 and below the variant's price",
            ));
        }
        if self.ends_at <= self.starts_at {
            errors.push(FieldError::new(&["sale", "endsAt"], ErrorCode::Invalid, "a sale ends after it starts"));
        } else if self.ends_at <= now {
            errors.push(FieldError::new(&["sale", "endsAt"], ErrorCode::Invalid, "this sale has already ended"));
        }
        errors
    }
}

/// A percent adjustment in hundredths of a percent (basis points): 1000 = +10%, -550 = -5.5%.
pub const MIN_ADJUST_BASIS_POINTS: i64 = -9_999;
pub const MAX_ADJUST_BASIS_POINTS: i64 = 100_000;

/// How the adjusted price is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Rounding {
    /// Kept as computed (minor units).
    #[default]
    None,
    /// To the nearest multiple of `step` (half up): 1,000 turns 153,450 into 153,000 and 153,500 into 154,000.
    NearestMultiple { step: i64 },
    /// Up to the nearest price ending in `ending` (the ending's digits, the power of ten above it): 9,000 turns
    /// 153,450 into 159,000 and 159,000 stays; 990 turns 12,345 into 12,990.
    UpToEnding { ending: i64 },
}

/// A channel's price rule. The default changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceRule {
    /// Markup (> 0) or markdown (< 0) in basis points, applied first.
    pub adjust_basis_points: i64,
    /// Then an amount added (> 0) or taken off (< 0), minor units.
    pub adjust_amount: i64,
    pub rounding: Rounding,
}

/// One step of a computed price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
pub enum PriceStepKind {
    /// The policy's base price (retail, list or cost).
    Base,
    /// The percent markup or markdown.
    Percent,
    /// The amount added or taken off.
    Amount,
    /// Rounded.
    Rounded,
    /// Raised to the cost price: never sold below cost.
    CostFloor,
    /// Lowered to the channel's list price, which the channel's price may not exceed.
    ListPriceCeiling,
}

/// A step and the price after it (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceStep {
    pub kind: PriceStepKind,
    pub price: i64,
}

/// A computed price: the steps that changed it (the base always first) and the result, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceComputation {
    pub steps: Vec<PriceStep>,
    /// The price to push; `None` when the rule took it to 0 or below (nothing is pushed, and it is reported).
    pub price: Option<i64>,
}

/// What bounds the rule's result: the rule never takes a price below `cost` nor above `list_price_ceiling` (it
/// leaves a base price already beyond them where it is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PriceBounds {
    /// The variant's cost price.
    pub cost: Option<i64>,
    /// The channel's list price for the listing, where the channel caps prices at it (Tiki).
    pub list_price_ceiling: Option<i64>,
}

/// The price pushed from `base` under `rule` within `bounds`, with its steps.
pub fn apply(base: i64, rule: &PriceRule, bounds: PriceBounds) -> PriceComputation {
    let mut steps = vec![PriceStep { kind: PriceStepKind::Base, price: base }];
    let mut price = base;
    let mut step = |kind, next: i64, price: &mut i64| {
        if next != *price {
            *price = next;
            steps.push(PriceStep { kind, price: next });
        }
    };
    if rule.adjust_basis_points != 0 {
        step(PriceStepKind::Percent, percent_of(price, rule.adjust_basis_points), &mut price);
    }
    if rule.adjust_amount != 0 {
        step(PriceStepKind::Amount, price.saturating_add(rule.adjust_amount), &mut price);
    }
    if price > 0 {
        step(PriceStepKind::Rounded, round(price, rule.rounding), &mut price);
    }
    // The bounds hold what the rule does, not the merchant's own base price: a base below cost (a clearance) or
    // above the list price (which the channel then refuses, and the hub reports) is not changed by them.
    if let Some(floor) = bounds.cost.map(|c| c.min(base)).filter(|f| price < *f) {
        step(PriceStepKind::CostFloor, floor, &mut price);
    }
    if let Some(ceiling) = bounds.list_price_ceiling.map(|l| l.max(base)).filter(|c| price > *c) {
        step(PriceStepKind::ListPriceCeiling, ceiling, &mut price);
    }
    PriceComputation { steps, price: (price > 0).then_some(price) }
}

/// `price` adjusted by `basis_points`, rounded half away from zero to a minor unit.
fn percent_of(price: i64, basis_points: i64) -> i64 {
    let scaled = i128::from(price) * i128::from(10_000 + basis_points);
    let rounded = (scaled + 5_000) / 10_000;
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

fn round(price: i64, rounding: Rounding) -> i64 {
    match rounding {
        Rounding::None => price,
        Rounding::NearestMultiple { step } if step > 1 => {
            let down = price - price.rem_euclid(step);
            if price - down >= (step + 1) / 2 { down.saturating_add(step) } else { down }
        }
        Rounding::UpToEnding { ending } if ending > 0 => {
            let modulus = ending_modulus(ending);
            let candidate = price - price.rem_euclid(modulus) + ending;
            if candidate >= price { candidate } else { candidate.saturating_add(modulus) }
        }
        _ => price,
    }
}

/// The power of ten above an ending: 9,000 → 10,000; 990 → 1,000; 9 → 10.
fn ending_modulus(ending: i64) -> i64 {
    let mut modulus = 10;
    while modulus <= ending {
        modulus = modulus.saturating_mul(10);
    }
    modulus
}

/// Checks a rule a merchant sets (under `path`): the percent within bounds (a markdown of 100% or more would
/// give goods away), a positive rounding step or ending, and, for each base price the channel pushes
/// (`base_prices`, e.g. its linked variants' lowest), no price taken to 0 or below.
pub fn check(path: &[&str], rule: &PriceRule, base_prices: &[i64]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let prefix: Vec<String> = path.iter().map(|p| (*p).to_owned()).collect();
    let field_error =
        |field: &str, message: String| FieldError::new(&[field], ErrorCode::Invalid, message).under(&prefix);
    if !(MIN_ADJUST_BASIS_POINTS..=MAX_ADJUST_BASIS_POINTS).contains(&rule.adjust_basis_points) {
        errors.push(field_error(
            "adjustPercent",
            format!(
                "adjustPercent must be above -100 and at most 1000, got {}",
                rule.adjust_basis_points as f64 / 100.0
            ),
        ));
    }
    match rule.rounding {
        Rounding::NearestMultiple { step } if step <= 0 => {
            errors.push(field_error("roundTo", format!("roundTo must be above 0, got {step}")));
        }
        Rounding::UpToEnding { ending } if ending <= 0 => {
            errors.push(field_error("roundUpToEnding", format!("roundUpToEnding must be above 0, got {ending}")));
        }
        _ => {}
    }
    if errors.is_empty()
        && let Some(base) =
            base_prices.iter().copied().find(|b| *b > 0 && apply(*b, rule, PriceBounds::default()).price.is_none())
    {
        errors.push(field_error(
            "adjustAmount",
            format!("adjustAmount takes a price of {base} (minor units) to 0 or below; prices must stay above 0"),
        ));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(adjust_basis_points: i64, adjust_amount: i64, rounding: Rounding) -> PriceRule {
        PriceRule { adjust_basis_points, adjust_amount, rounding }
    }

    #[test]
    fn each_step_applies_in_order_and_is_kept() {
        let none = PriceBounds::default();
        // (base, rule, bounds, the price, the kinds of the steps after the base)
        type Case = (i64, PriceRule, PriceBounds, Option<i64>, Vec<PriceStepKind>);
        let table: Vec<Case> = vec![
            (150_000, PriceRule::default(), none, Some(150_000), vec![]),
            (150_000, rule(1_000, 0, Rounding::None), none, Some(165_000), vec![PriceStepKind::Percent]),
            (150_000, rule(-550, 0, Rounding::None), none, Some(141_750), vec![PriceStepKind::Percent]),
            (150_000, rule(0, -20_000, Rounding::None), none, Some(130_000), vec![PriceStepKind::Amount]),
            (
                139_500,
                rule(1_000, 0, Rounding::NearestMultiple { step: 1_000 }),
                none,
                Some(153_000),
                vec![PriceStepKind::Percent, PriceStepKind::Rounded],
            ),
            (
                153_500,
                rule(0, 0, Rounding::NearestMultiple { step: 1_000 }),
                none,
                Some(154_000),
                vec![PriceStepKind::Rounded],
            ),
            (
                153_450,
                rule(0, 0, Rounding::UpToEnding { ending: 9_000 }),
                none,
                Some(159_000),
                vec![PriceStepKind::Rounded],
            ),
            (159_000, rule(0, 0, Rounding::UpToEnding { ending: 9_000 }), none, Some(159_000), vec![]),
            (
                159_001,
                rule(0, 0, Rounding::UpToEnding { ending: 9_000 }),
                none,
                Some(169_000),
                vec![PriceStepKind::Rounded],
            ),
            (
                12_345,
                rule(0, 0, Rounding::UpToEnding { ending: 990 }),
                none,
                Some(12_990),
                vec![PriceStepKind::Rounded],
            ),
            (
                100_000,
                rule(-3_000, 0, Rounding::None),
                PriceBounds { cost: Some(80_000), list_price_ceiling: None },
                Some(80_000),
                vec![PriceStepKind::Percent, PriceStepKind::CostFloor],
            ),
            (
                100_000,
                rule(2_000, 0, Rounding::None),
                PriceBounds { cost: None, list_price_ceiling: Some(110_000) },
                Some(110_000),
                vec![PriceStepKind::Percent, PriceStepKind::ListPriceCeiling],
            ),
            (10_000, rule(0, -10_000, Rounding::None), none, None, vec![PriceStepKind::Amount]),
            // A base already below cost or above the list price is the merchant's: the rule is bounded by it.
            (
                70_000,
                rule(-1_000, 0, Rounding::None),
                PriceBounds { cost: Some(80_000), list_price_ceiling: None },
                Some(70_000),
                vec![PriceStepKind::Percent, PriceStepKind::CostFloor],
            ),
            (
                120_000,
                rule(1_000, 0, Rounding::None),
                PriceBounds { cost: None, list_price_ceiling: Some(110_000) },
                Some(120_000),
                vec![PriceStepKind::Percent, PriceStepKind::ListPriceCeiling],
            ),
        ];
        for (base, rule, bounds, price, kinds) in table {
            let computed = apply(base, &rule, bounds);
            assert_eq!(computed.price, price, "{base} under {rule:?} {bounds:?}");
            assert_eq!(computed.steps[0], PriceStep { kind: PriceStepKind::Base, price: base });
            let after: Vec<PriceStepKind> = computed.steps[1..].iter().map(|s| s.kind).collect();
            assert_eq!(after, kinds, "{base} under {rule:?}");
            if let Some(price) = price {
                assert_eq!(computed.steps.last().map(|s| s.price), Some(price), "the last step is the price");
            }
        }
    }

    #[test]
    fn bad_rules_are_refused_with_their_field() {
        let fields = |rule: PriceRule, bases: &[i64]| -> Vec<String> {
            check(&["settings", "priceRule"], &rule, bases).iter().map(|e| e.field.join(".")).collect()
        };
        assert_eq!(fields(rule(-10_000, 0, Rounding::None), &[]), vec!["settings.priceRule.adjustPercent"]);
        assert_eq!(fields(rule(100_001, 0, Rounding::None), &[]), vec!["settings.priceRule.adjustPercent"]);
        assert_eq!(fields(rule(0, 0, Rounding::NearestMultiple { step: 0 }), &[]), vec!["settings.priceRule.roundTo"]);
        assert_eq!(
            fields(rule(0, 0, Rounding::UpToEnding { ending: -9 }), &[]),
            vec!["settings.priceRule.roundUpToEnding"]
        );
        assert_eq!(
            fields(rule(0, -50_000, Rounding::None), &[40_000, 90_000]),
            vec!["settings.priceRule.adjustAmount"]
        );
        assert!(fields(rule(0, -30_000, Rounding::None), &[40_000, 90_000]).is_empty());
        assert!(fields(rule(-9_999, 0, Rounding::UpToEnding { ending: 9_000 }), &[100_000]).is_empty());
    }
}
