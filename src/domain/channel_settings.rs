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

/// Bounds of the numeric settings; out of range → INVALID naming the field.
pub fn check_numbers(
    order_backfill_days: Option<i32>,
    oversell_quantity: Option<i64>,
    order_poll_overlap_seconds: Option<i32>,
    push_history_retention_days: Option<i32>,
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
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_out_of_range_are_named() {
        let errors = check_numbers(Some(400), Some(-1), Some(120), Some(30));
        let fields: Vec<_> = errors.iter().map(|e| e.field.join(".")).collect();
        assert_eq!(fields, ["settings.orderBackfillDays", "settings.oversellQuantity"]);
    }
}
