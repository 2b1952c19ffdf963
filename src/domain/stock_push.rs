//! What quantity and price the hub pushes for a linked variant (SPEC §3), as pure functions with the rule they
//! applied, so a push can always be explained.

use entity::enums::{OversellPolicy, PricePolicy};
use serde::{Deserialize, Serialize};

use super::inventory::Quantities;

/// The rule that decided a pushed quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
pub enum QuantityRule {
    /// The channel's `syncQuantity` is off: quantity is never sent.
    SyncOff,
    /// The variant does not track inventory: quantity is not pushed (reported as a warning).
    NotTracked,
    /// Continue selling, policy ALWAYS: the oversell quantity (Lazada).
    OversellAlways,
    /// Continue selling, policy WHEN_OUT_OF_STOCK, stock above zero: the real quantity (Tiki).
    OversellRealQuantity,
    /// Continue selling, policy WHEN_OUT_OF_STOCK, stock at or below zero: the oversell quantity (Tiki).
    OversellOutOfStock,
    /// Default warehouse: on hand, floored at 0.
    DefaultWarehouseOnHand,
    /// Chosen warehouse: on hand − committed − pending export there, floored at 0.
    ChosenWarehouseAvailable,
}

/// The channel settings that decide a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushSettings {
    pub sync_quantity: bool,
    pub sync_price: bool,
    /// A stock warehouse was chosen (else the default warehouse is used).
    pub warehouse_chosen: bool,
    pub oversell_policy: OversellPolicy,
    pub oversell_quantity: i64,
    pub price_policy: PricePolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariantFlags {
    pub track_inventory: bool,
    pub allow_oversell: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantityDecision {
    /// `None`: nothing is sent.
    pub quantity: Option<i64>,
    pub rule: QuantityRule,
}

/// The "real" quantity of the stock warehouse: on hand at the default warehouse [H-Laz]; at a chosen warehouse,
/// what is not reserved [H-Tiki]. (omnisync) Units on export slips are reserved too: a slip moves units from
/// committed to pending export (SPEC §5), and creating one must not raise what channels may sell.
fn real_quantity(level: Quantities, warehouse_chosen: bool) -> (i64, QuantityRule) {
    if warehouse_chosen {
        (level.available().max(0), QuantityRule::ChosenWarehouseAvailable)
    } else {
        (level.on_hand.max(0), QuantityRule::DefaultWarehouseOnHand)
    }
}

/// The quantity to push for a variant whose stock-warehouse level is `level`. Never negative.
pub fn quantity_to_push(variant: VariantFlags, level: Quantities, settings: &PushSettings) -> QuantityDecision {
    let decided = |quantity: Option<i64>, rule| QuantityDecision { quantity, rule };
    if !settings.sync_quantity {
        return decided(None, QuantityRule::SyncOff);
    }
    if !variant.track_inventory {
        return decided(None, QuantityRule::NotTracked);
    }
    let (real, real_rule) = real_quantity(level, settings.warehouse_chosen);
    if variant.allow_oversell {
        let oversell = settings.oversell_quantity.max(0);
        return match settings.oversell_policy {
            OversellPolicy::Always => decided(Some(oversell), QuantityRule::OversellAlways),
            OversellPolicy::WhenOutOfStock if real > 0 => decided(Some(real), QuantityRule::OversellRealQuantity),
            OversellPolicy::WhenOutOfStock => decided(Some(oversell), QuantityRule::OversellOutOfStock),
        };
    }
    decided(Some(real), real_rule)
}

/// The hub prices of a variant (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariantPrices {
    pub price: i64,
    pub list_price: Option<i64>,
    pub cost_price: Option<i64>,
}

/// The price to push per `pricePolicy` [Sapo]; `None` when `syncPrice` is off. A policy naming a price the
/// variant lacks falls back to the retail price.
pub fn price_to_push(prices: VariantPrices, settings: &PushSettings) -> Option<i64> {
    if !settings.sync_price {
        return None;
    }
    Some(match settings.price_policy {
        PricePolicy::Retail => prices.price,
        PricePolicy::List => prices.list_price.unwrap_or(prices.price),
        PricePolicy::Cost => prices.cost_price.unwrap_or(prices.price),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(chosen: bool, policy: OversellPolicy) -> PushSettings {
        PushSettings {
            sync_quantity: true,
            sync_price: true,
            warehouse_chosen: chosen,
            oversell_policy: policy,
            oversell_quantity: 50_000,
            price_policy: PricePolicy::Retail,
        }
    }

    fn level(on_hand: i64, committed: i64, pending_export: i64) -> Quantities {
        Quantities { on_hand, committed, pending_export }
    }

    #[test]
    fn every_case_of_the_quantity_rule() {
        use OversellPolicy::{Always, WhenOutOfStock};
        use QuantityRule::*;
        let tracked = VariantFlags { track_inventory: true, allow_oversell: false };
        let oversell = VariantFlags { track_inventory: true, allow_oversell: true };
        let untracked = VariantFlags { track_inventory: false, allow_oversell: false };
        let cases = [
            // (variant, level, chosen warehouse, policy) → (quantity, rule)
            (untracked, level(5, 0, 0), false, Always, None, NotTracked),
            (oversell, level(5, 0, 0), false, Always, Some(50_000), OversellAlways),
            (oversell, level(-3, 0, 0), false, Always, Some(50_000), OversellAlways),
            (oversell, level(7, 0, 0), false, WhenOutOfStock, Some(7), OversellRealQuantity),
            (oversell, level(0, 0, 0), false, WhenOutOfStock, Some(50_000), OversellOutOfStock),
            (oversell, level(-2, 0, 0), false, WhenOutOfStock, Some(50_000), OversellOutOfStock),
            (oversell, level(5, 5, 0), true, WhenOutOfStock, Some(50_000), OversellOutOfStock),
            (tracked, level(12, 4, 1), false, Always, Some(12), DefaultWarehouseOnHand),
            (tracked, level(-4, 0, 0), false, Always, Some(0), DefaultWarehouseOnHand),
            (tracked, level(12, 4, 1), true, Always, Some(7), ChosenWarehouseAvailable),
            (tracked, level(3, 5, 0), true, Always, Some(0), ChosenWarehouseAvailable),
        ];
        for (i, (variant, level, chosen, policy, quantity, rule)) in cases.into_iter().enumerate() {
            let decision = quantity_to_push(variant, level, &settings(chosen, policy));
            assert_eq!((decision.quantity, decision.rule), (quantity, rule), "case {i}");
        }
    }

    #[test]
    fn sync_quantity_off_sends_nothing_and_the_oversell_quantity_is_a_setting() {
        let v = VariantFlags { track_inventory: true, allow_oversell: true };
        let mut s = settings(false, OversellPolicy::Always);
        s.oversell_quantity = 999;
        assert_eq!(quantity_to_push(v, level(1, 0, 0), &s).quantity, Some(999));
        s.sync_quantity = false;
        assert_eq!(quantity_to_push(v, level(1, 0, 0), &s), QuantityDecision { quantity: None, rule: QuantityRule::SyncOff });
    }

    #[test]
    fn price_follows_the_policy_and_sync_price() {
        let prices = VariantPrices { price: 100, list_price: Some(150), cost_price: None };
        let mut s = settings(false, OversellPolicy::Always);
        assert_eq!(price_to_push(prices, &s), Some(100));
        s.price_policy = PricePolicy::List;
        assert_eq!(price_to_push(prices, &s), Some(150));
        s.price_policy = PricePolicy::Cost;
        assert_eq!(price_to_push(prices, &s), Some(100), "no cost price: retail");
        s.sync_price = false;
        assert_eq!(price_to_push(prices, &s), None);
    }
}
