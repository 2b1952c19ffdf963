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
        if let Some(v) = value
            && !(min..=max).contains(&v)
        {
            errors.push(FieldError::new(
                &["settings", field],
                ErrorCode::Invalid,
                format!("{field} must be between {min} and {max} {unit}, got {v}"),
            ));
        }
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
