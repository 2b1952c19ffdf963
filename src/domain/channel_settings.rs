//! Per-channel settings (SPEC §1): the shape of a kind's defaults (each marketplace's descriptor holds its own,
//! `channels::<kind>`), and validation of values a merchant sets.

use entity::enums::{MatchKey, OversellPolicy, PricePolicy};

use super::errors::{ErrorCode, FieldError};

/// Quantity pushed for continue-selling variants (SPEC §3: 50,000 on Lazada and Tiki).
pub const DEFAULT_OVERSELL_QUANTITY: i64 = 50_000;

/// Settings whose default depends on the channel's kind. Where the sources differ, the default follows the
/// source for that kind (see each marketplace's descriptor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindDefaults {
    pub match_key: MatchKey,
    pub order_backfill_days: i32,
    pub oversell_policy: OversellPolicy,
    pub price_policy: PricePolicy,
}

/// Shortest order poll interval: a poll lists, fetches and takes the orders lease; more often would spend the
/// marketplace's quota on listings.
pub const MIN_ORDER_POLL_INTERVAL_SECONDS: i64 = 5;
/// Longest order poll interval (an hour): pushes may be lost, and polling is what catches them.
pub const MAX_ORDER_POLL_INTERVAL_SECONDS: i64 = 3600;

/// Seconds between a channel's order polls: its setting, else its marketplace's default.
pub fn order_poll_interval(setting: Option<i32>, marketplace_default: i64) -> chrono::Duration {
    let seconds = setting.map(i64::from).unwrap_or(marketplace_default);
    chrono::Duration::seconds(seconds.clamp(MIN_ORDER_POLL_INTERVAL_SECONDS, MAX_ORDER_POLL_INTERVAL_SECONDS))
}

/// Most units a safety stock may hold back (a channel's or a variant's).
pub const MAX_SAFETY_STOCK_UNITS: i64 = 1_000_000;

/// `value` outside `min..=max` → INVALID naming the field (under `path`).
pub fn out_of_range(path: &[&str], value: Option<i64>, min: i64, max: i64, unit: &str) -> Option<FieldError> {
    let v = value?;
    let field = path.last().copied().unwrap_or_default();
    (!(min..=max).contains(&v)).then(|| {
        FieldError::new(path, ErrorCode::Invalid, format!("{field} must be between {min} and {max} {unit}, got {v}"))
    })
}

/// Bounds of a channel's safety stock: units 0 to `MAX_SAFETY_STOCK_UNITS`, percent 0 to 100.
pub fn check_safety_stock(units: Option<i64>, percent: Option<i32>) -> Vec<FieldError> {
    [
        out_of_range(&["settings", "safetyStockUnits"], units, 0, MAX_SAFETY_STOCK_UNITS, "units"),
        out_of_range(&["settings", "safetyStockPercent"], percent.map(i64::from), 0, 100, "percent"),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Highest allocation weight of a channel.
pub const MAX_ALLOCATION_WEIGHT: i64 = 1_000;

/// A channel's allocation weight: 0 to `MAX_ALLOCATION_WEIGHT`, and not 0 where every other channel selling from
/// the same warehouse weighs 0 too (`others`): the warehouse's units would go to none of them while it allocates.
pub fn check_allocation_weight(weight: Option<i64>, others: &[i64], warehouse_name: &str) -> Option<FieldError> {
    let path = ["settings", "allocationWeight"];
    if let Some(e) = out_of_range(&path, weight, 0, MAX_ALLOCATION_WEIGHT, "") {
        return Some(e);
    }
    (weight == Some(0) && others.iter().all(|w| *w == 0)).then(|| {
        FieldError::new(
            &path,
            ErrorCode::Invalid,
            format!(
                "every channel selling from {warehouse_name} would weigh 0: its units would go to none of them while it allocates; give one a weight above 0"
            ),
        )
    })
}

/// Bounds of the numeric settings; out of range → INVALID naming the field.
pub fn check_numbers(
    order_backfill_days: Option<i32>,
    oversell_quantity: Option<i64>,
    order_poll_overlap_seconds: Option<i32>,
    push_history_retention_days: Option<i32>,
    order_poll_interval_seconds: Option<i32>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut range = |field: &str, value: Option<i64>, min: i64, max: i64, unit: &str| {
        errors.extend(out_of_range(&["settings", field], value, min, max, unit));
    };
    range("orderBackfillDays", order_backfill_days.map(i64::from), 0, 365, "days");
    range("oversellQuantity", oversell_quantity, 0, 1_000_000, "units");
    range("orderPollOverlapSeconds", order_poll_overlap_seconds.map(i64::from), 0, 3600, "seconds");
    range("pushHistoryRetentionDays", push_history_retention_days.map(i64::from), 1, 3650, "days");
    range(
        "orderPollIntervalSeconds",
        order_poll_interval_seconds.map(i64::from),
        MIN_ORDER_POLL_INTERVAL_SECONDS,
        MAX_ORDER_POLL_INTERVAL_SECONDS,
        "seconds",
    );
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_safety_stock_is_units_from_0_and_a_percent_up_to_100() {
        // (units, percent) → fields refused
        let cases: [(Option<i64>, Option<i32>, &[&str]); 6] = [
            (Some(0), Some(0), &[]),
            (Some(5), Some(100), &[]),
            (None, None, &[]),
            (Some(-1), None, &["settings.safetyStockUnits"]),
            (None, Some(101), &["settings.safetyStockPercent"]),
            (Some(-3), Some(-1), &["settings.safetyStockUnits", "settings.safetyStockPercent"]),
        ];
        for (units, percent, refused) in cases {
            let fields: Vec<String> = check_safety_stock(units, percent).iter().map(|e| e.field.join(".")).collect();
            assert_eq!(fields, refused, "{units:?} {percent:?}");
        }
    }

    #[test]
    fn allocation_weights_are_0_to_1000_and_not_all_0() {
        // (weight, the others' weights) → refused
        let cases: [(Option<i64>, &[i64], bool); 7] = [
            (Some(1), &[], false),
            (Some(0), &[2, 0], false),
            (Some(0), &[0, 0], true),
            (Some(0), &[], true),
            (Some(1_001), &[1], true),
            (Some(-1), &[1], true),
            (None, &[0], false),
        ];
        for (weight, others, refused) in cases {
            let error = check_allocation_weight(weight, others, "Kho tổng");
            assert_eq!(error.is_some(), refused, "{weight:?} beside {others:?}: {error:?}");
            if let Some(e) = error {
                assert_eq!(e.field, ["settings", "allocationWeight"]);
            }
        }
    }

    #[test]
    fn numbers_out_of_range_are_named() {
        let errors = check_numbers(Some(400), Some(-1), Some(120), Some(30), Some(60));
        let fields: Vec<_> = errors.iter().map(|e| e.field.join(".")).collect();
        assert_eq!(fields, ["settings.orderBackfillDays", "settings.oversellQuantity"]);
        // (interval, accepted)
        for (interval, ok) in [(4, false), (5, true), (15, true), (3600, true), (3601, false), (-1, false)] {
            let errors = check_numbers(None, None, None, None, Some(interval));
            assert_eq!(errors.is_empty(), ok, "{interval}: {errors:?}");
            if !ok {
                assert_eq!(errors[0].field.join("."), "settings.orderPollIntervalSeconds");
            }
        }
    }

    #[test]
    fn the_poll_interval_is_the_setting_else_the_marketplaces_default() {
        assert_eq!(order_poll_interval(None, 15), chrono::Duration::seconds(15));
        assert_eq!(order_poll_interval(Some(120), 15), chrono::Duration::seconds(120));
        assert_eq!(order_poll_interval(Some(1), 60), chrono::Duration::seconds(5), "a stored value out of bounds");
    }
}
