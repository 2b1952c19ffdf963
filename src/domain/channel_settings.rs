//! Per-channel settings (SPEC §1): defaults per channel kind, and validation of values a merchant sets.

use entity::enums::{ChannelKind, MatchKey, OversellPolicy, PricePolicy};

use super::errors::{ErrorCode, FieldError};

/// Quantity pushed for continue-selling variants (SPEC §3: 50,000 on Lazada and Tiki).
pub const DEFAULT_OVERSELL_QUANTITY: i64 = 50_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindDefaults {
    pub match_key: MatchKey,
    pub order_backfill_days: i32,
    pub oversell_policy: OversellPolicy,
    pub price_policy: PricePolicy,
}

/// Where the sources differ, the default follows the source for that kind: marketplaces match by barcode
/// [H-Laz, H-Tiki], the web store by SKU [Sapo]; the first order sync reaches back 60 days [Biz], the web store
/// not at all [Sapo]; Lazada pushes the oversell quantity always [H-Laz], Tiki only when out of stock [H-Tiki].
/// (omnisync) Shopee, TikTok and the web store follow Tiki: the real quantity is more useful while there is one.
pub fn defaults(kind: ChannelKind) -> KindDefaults {
    KindDefaults {
        match_key: if kind == ChannelKind::Webstore { MatchKey::Sku } else { MatchKey::Barcode },
        order_backfill_days: if kind == ChannelKind::Webstore { 0 } else { 60 },
        oversell_policy: if kind == ChannelKind::Lazada {
            OversellPolicy::Always
        } else {
            OversellPolicy::WhenOutOfStock
        },
        price_policy: PricePolicy::Retail,
    }
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
    fn defaults_follow_the_source_of_each_kind() {
        assert_eq!(defaults(ChannelKind::Lazada).match_key, MatchKey::Barcode);
        assert_eq!(defaults(ChannelKind::Lazada).oversell_policy, OversellPolicy::Always);
        assert_eq!(defaults(ChannelKind::Tiki).oversell_policy, OversellPolicy::WhenOutOfStock);
        assert_eq!(defaults(ChannelKind::Webstore).match_key, MatchKey::Sku);
        assert_eq!(defaults(ChannelKind::Webstore).order_backfill_days, 0);
        assert_eq!(defaults(ChannelKind::Shopee).order_backfill_days, 60);
    }

    #[test]
    fn numbers_out_of_range_are_named() {
        let errors = check_numbers(Some(400), Some(-1), Some(120), Some(30));
        let fields: Vec<_> = errors.iter().map(|e| e.field.join(".")).collect();
        assert_eq!(fields, ["settings.orderBackfillDays", "settings.oversellQuantity"]);
    }
}
