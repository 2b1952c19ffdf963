//! What quantity and price the hub pushes for a linked variant (SPEC §3), as pure functions with the rule they
//! applied, so a push can always be explained.

use entity::enums::{OversellPolicy, PricePolicy};
use serde::{Deserialize, Serialize};

use super::inventory::Quantities;
use super::price_rules::{self, PriceBounds, PriceComputation, PriceRule, ScheduledSale};

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
    /// The warehouse allocates (always, or the variant is below its low-stock threshold): the channel's own share
    /// of the available units (`domain::allocation`).
    Allocated,
    /// The listing is a bundle of the marketplace's own (a Shopee virtual SKU, a TikTok combo): the marketplace
    /// computes its stock from its items and refuses it by API, so no quantity is sent.
    ComputedByChannel,
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
    /// The channel's safety stock (a variant's own overrides it).
    pub safety_stock: SafetyStock,
    /// The channel's price rule, applied to the policy's price.
    pub price_rule: PriceRule,
}

/// What a variant's push depends on besides its level and prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariantFlags {
    pub track_inventory: bool,
    pub allow_oversell: bool,
    /// Units held back on every channel instead of the channel's safety stock; `None`: the channel's.
    pub safety_stock_units: Option<i64>,
}

/// Units held back from the real quantity before it is pushed, so that a sale no push has caught up with yet
/// comes out of this margin instead of being oversold: the larger of `units` and `percent` of the real quantity
/// (rounded up, so 10% of 5 holds back 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SafetyStock {
    pub units: i64,
    pub percent: i32,
}

impl SafetyStock {
    /// The units held back of a real quantity `real`: never more than `real`, never below 0.
    pub fn held_back(&self, real: i64) -> i64 {
        let real = real.max(0);
        let by_percent = (real.saturating_mul(i64::from(self.percent.clamp(0, 100))) + 99) / 100;
        self.units.max(by_percent).clamp(0, real)
    }

    /// The variant's override where it has one, else the channel's.
    pub fn for_variant(variant: VariantFlags, channel: SafetyStock) -> SafetyStock {
        variant.safety_stock_units.map(|units| SafetyStock { units, percent: 0 }).unwrap_or(channel)
    }
}

/// Whose safety stock applies to a variant on a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum SafetyStockSource {
    /// Neither the variant nor the channel holds anything back.
    None,
    /// The channel's `safetyStockUnits` / `safetyStockPercent`.
    Channel,
    /// The variant's own `safetyStockUnits`, which overrides the channel's.
    Variant,
}

impl SafetyStockSource {
    pub fn of(variant: VariantFlags, channel: SafetyStock) -> Self {
        if variant.safety_stock_units.is_some() {
            Self::Variant
        } else if channel.units > 0 || channel.percent > 0 {
            Self::Channel
        } else {
            Self::None
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantityDecision {
    /// `None`: nothing is sent.
    pub quantity: Option<i64>,
    pub rule: QuantityRule,
    /// Units of the real quantity held back as safety stock (0 where the rule sends no real quantity).
    pub held_back: i64,
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
/// Safety stock is held back from the real quantity only: an oversell quantity is a number the merchant chose to
/// show whatever the stock.
pub fn quantity_to_push(variant: VariantFlags, level: Quantities, settings: &PushSettings) -> QuantityDecision {
    let decided = |quantity: Option<i64>, rule| QuantityDecision { quantity, rule, held_back: 0 };
    if !settings.sync_quantity {
        return decided(None, QuantityRule::SyncOff);
    }
    if !variant.track_inventory {
        return decided(None, QuantityRule::NotTracked);
    }
    let (real, real_rule) = real_quantity(level, settings.warehouse_chosen);
    let held_back = SafetyStock::for_variant(variant, settings.safety_stock).held_back(real);
    let sellable = real - held_back;
    let sends_real = |rule| QuantityDecision { quantity: Some(sellable), rule, held_back };
    if variant.allow_oversell {
        let oversell = settings.oversell_quantity.max(0);
        return match settings.oversell_policy {
            OversellPolicy::Always => decided(Some(oversell), QuantityRule::OversellAlways),
            OversellPolicy::WhenOutOfStock if sellable > 0 => sends_real(QuantityRule::OversellRealQuantity),
            OversellPolicy::WhenOutOfStock => decided(Some(oversell), QuantityRule::OversellOutOfStock),
        };
    }
    sends_real(real_rule)
}

/// The quantity where the channel holds an allocated `share` of the variant's units: the share replaces the real
/// quantity (safety stock included: shares never overlap, so no margin is needed); an oversell quantity, a
/// variant not tracked or quantity sync off stay as they are.
pub fn with_allocation(decision: QuantityDecision, share: Option<i64>) -> QuantityDecision {
    match (share, decision.rule) {
        (Some(share), QuantityRule::DefaultWarehouseOnHand | QuantityRule::ChosenWarehouseAvailable) => {
            QuantityDecision { quantity: Some(share.max(0)), rule: QuantityRule::Allocated, held_back: 0 }
        }
        _ => decision,
    }
}

/// A link's quantity decision: none where the marketplace computes the listing's stock itself (its own bundle
/// SKU); otherwise the quantity rule over `level`, replaced by the link's `share` where it holds one — a hub bundle
/// (`bundle`) never does, its quantity being what its components make.
pub fn link_decision(
    variant: VariantFlags,
    level: Quantities,
    settings: &PushSettings,
    share: Option<i64>,
    bundle: bool,
    stock_computed_by_channel: bool,
) -> QuantityDecision {
    if stock_computed_by_channel {
        return QuantityDecision { quantity: None, rule: QuantityRule::ComputedByChannel, held_back: 0 };
    }
    with_allocation(quantity_to_push(variant, level, settings), share.filter(|_| !bundle))
}

/// Whether a link's quantity waits for its share: the channel sells from one warehouse that always allocates, and
/// the link has no share yet (just linked, or allocation just turned on) — pushing the shared number meanwhile
/// would show every unit on every channel. The scheduler's rebalance gives it its share.
pub fn awaits_share(decision: &QuantityDecision, share: Option<i64>, sells_from_allocating_warehouse: bool) -> bool {
    share.is_none()
        && sells_from_allocating_warehouse
        && matches!(decision.rule, QuantityRule::DefaultWarehouseOnHand | QuantityRule::ChosenWarehouseAvailable)
}

/// Whether a change leaving `after` in a channel's one stock warehouse makes the channel's quantity 0: such a
/// link is pushed before the channel's other due links (`product_links.push_sells_out`). With several stock
/// warehouses the sum is not known here; the round still sends it first among what it collected.
pub fn change_sells_out(variant: VariantFlags, after: Quantities, settings: &PushSettings, warehouses: usize) -> bool {
    warehouses <= 1 && quantity_to_push(variant, after, settings).quantity == Some(0)
}

/// How much a planned push matters for overselling, most urgent first: a quantity going to 0 stops sales that
/// can no longer be served; a lowering narrows what the channel may oversell; a price loses no stock; a raise
/// only lets the channel sell more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PushUrgency {
    SellOut,
    Decrease,
    Price,
    Increase,
}

/// Where a push goes in a round's sending order: by urgency, and among lowerings the largest relative drop
/// first. Ordered: smaller sends earlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SendOrder {
    pub urgency: PushUrgency,
    /// The relative drop in per mille, reversed so that a larger drop sorts first.
    drop: std::cmp::Reverse<i64>,
}

impl SendOrder {
    /// Whether the push may spend the marketplace's bucket reserve instead of waiting its turn at the rate
    /// (`rate_limit::urgent`): a sell-out, or a lowering by at least a quarter of what the channel was last given —
    /// near a sell-out every sale is such a drop, while a stream of small lowerings (100 → 97) keeps the rate and
    /// leaves the reserve to them.
    pub fn is_urgent(&self) -> bool {
        self.urgency == PushUrgency::SellOut || (self.urgency == PushUrgency::Decrease && self.drop.0 >= URGENT_DROP)
    }
}

/// The relative drop (per mille) from which a lowering is urgent (`SendOrder::is_urgent`).
const URGENT_DROP: i64 = 250;

/// The sending order of `plan` for a link last given `last_quantity` (`None`: unknown, as before a first push or
/// after one in doubt — treated as a lowering, since the channel may show more).
pub fn send_order(plan: &PushPlan, last_quantity: Option<i64>) -> SendOrder {
    let order = |urgency, drop| SendOrder { urgency, drop: std::cmp::Reverse(drop) };
    match (plan.quantity, last_quantity) {
        (Some(0), _) => order(PushUrgency::SellOut, 1000),
        (Some(_), None) => order(PushUrgency::Decrease, 0),
        (Some(new), Some(last)) if new < last => {
            order(PushUrgency::Decrease, (last - new).saturating_mul(1000) / last.max(1))
        }
        (Some(_), Some(_)) => order(PushUrgency::Increase, 0),
        (None, _) if plan.price.is_some() => order(PushUrgency::Price, 0),
        (None, _) => order(PushUrgency::Increase, 0),
    }
}

/// Links a push round takes — products, where the API updates one product per call — about `ROUND_MILLIS` of
/// calls at the hub's own rate for the channel, at least `MIN_ROUND_LINKS` and at most `MAX_ROUND_LINKS`. A change
/// marked after the next round was collected (near the end of this one's calls) waits for this round and the next
/// to send, so a round of 500 products at Shopee's 40 calls/s made a sell-out wait up to 12.5 s, and one of 50 up
/// to ~2.5 s; 30 (0.75 s) keep it under 2 s. Batch APIs (50 SKUs a call) still take 500 links in less.
pub fn round_size(hub_rate_per_second: u32, skus_per_call: usize, one_product_per_call: bool) -> u64 {
    let per_call = if one_product_per_call { 1 } else { skus_per_call.max(1) as u64 };
    (u64::from(hub_rate_per_second) * per_call * ROUND_MILLIS / 1000).clamp(MIN_ROUND_LINKS, MAX_ROUND_LINKS)
}

/// Milliseconds of calls one push round aims at (`round_size`).
pub const ROUND_MILLIS: u64 = 750;
/// Fewest links a round takes: below this a round's collect and record transactions cost more than its calls.
pub const MIN_ROUND_LINKS: u64 = 20;
/// Most links a round takes (one transaction to collect, one to record).
pub const MAX_ROUND_LINKS: u64 = 500;

/// Whether a movement of one of a channel's `warehouses` stock warehouses (its level `before` → `after`) may change
/// the quantity pushed. With one warehouse the rule is applied to both; with several it works on their sum, which
/// any change of the figure it reads (available: several are always chosen ones) may change.
pub fn level_move_matters(
    variant: VariantFlags,
    before: Quantities,
    after: Quantities,
    settings: &PushSettings,
    warehouses: usize,
) -> bool {
    let was = quantity_to_push(variant, before, settings);
    if warehouses <= 1 {
        return was.quantity != quantity_to_push(variant, after, settings).quantity;
    }
    match was.rule {
        QuantityRule::SyncOff | QuantityRule::NotTracked | QuantityRule::OversellAlways => false,
        _ => before.available() != after.available(),
    }
}

/// The hub prices of a variant (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariantPrices {
    pub price: i64,
    pub list_price: Option<i64>,
    pub cost_price: Option<i64>,
    /// The variant's scheduled sale, if any.
    pub sale: Option<ScheduledSale>,
}

/// The price a policy names [Sapo]. A policy naming a price the variant lacks falls back to the retail price.
pub fn policy_price(prices: VariantPrices, policy: PricePolicy) -> i64 {
    match policy {
        PricePolicy::Retail => prices.price,
        PricePolicy::List => prices.list_price.unwrap_or(prices.price),
        PricePolicy::Cost => prices.cost_price.unwrap_or(prices.price),
    }
}

/// How the pushed price is computed: the policy's price, then the channel's price rule, bounded by the variant's
/// cost and by `list_price_ceiling` (the listing's list price where the marketplace caps prices at it); `None`
/// when `syncPrice` is off.
pub fn price_computation(
    prices: VariantPrices,
    settings: &PushSettings,
    list_price_ceiling: Option<i64>,
) -> Option<PriceComputation> {
    if !settings.sync_price {
        return None;
    }
    let bounds = PriceBounds { cost: prices.cost_price, list_price_ceiling };
    Some(price_rules::apply(policy_price(prices, settings.price_policy), &settings.price_rule, bounds))
}

/// The sale to push with `regular` (the price pushed, `price_to_push`) where the marketplace schedules sale prices:
/// the variant's sale, its price through the channel's price rule (never below cost), while it has not ended and
/// stays below the regular price; `None` otherwise (no sale, `syncPrice` off, a marketplace without sale prices).
pub fn sale_to_push(
    prices: VariantPrices,
    settings: &PushSettings,
    regular: Option<i64>,
    marketplace_schedules_sales: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<ScheduledSale> {
    let (sale, regular) = (prices.sale?, regular?);
    if !marketplace_schedules_sales || !settings.sync_price || sale.ends_at <= now {
        return None;
    }
    let bounds = PriceBounds { cost: prices.cost_price, list_price_ceiling: None };
    let price = price_rules::apply(sale.price, &settings.price_rule, bounds).price?;
    (price < regular).then_some(ScheduledSale { price, ..sale })
}

/// What a push sends of a sale, given the sale to push now and the one the channel was last given: the new sale
/// when it differs; the last one ending now when the hub's sale was removed while it still runs; nothing when the
/// channel already has it (or never had one).
pub fn sale_update(
    now_sale: Option<ScheduledSale>,
    last: Option<ScheduledSale>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<ScheduledSale> {
    match (now_sale, last) {
        (Some(sale), last) if Some(sale) != last => Some(sale),
        (None, Some(last)) if last.ends_at > now => Some(ScheduledSale { ends_at: now.max(last.starts_at), ..last }),
        _ => None,
    }
}

/// The price to push (`price_computation`); `None` when `syncPrice` is off or the rule leaves no price above 0.
pub fn price_to_push(prices: VariantPrices, settings: &PushSettings, list_price_ceiling: Option<i64>) -> Option<i64> {
    price_computation(prices, settings, list_price_ceiling).and_then(|c| c.price)
}

/// A price the marketplace would refuse: above the listing's list price where the marketplace takes no such price
/// (`Marketplace::prices.at_most_list_price`, Tiki). `Some((price, list price))` when refused; nothing to push, or
/// no list price known, is never refused.
pub fn price_above_list(price: Option<i64>, list_price: Option<i64>, at_most_list_price: bool) -> Option<(i64, i64)> {
    match (price, list_price) {
        (Some(price), Some(list)) if at_most_list_price && price > list => Some((price, list)),
        _ => None,
    }
}

/// The stale-push guard: while an order event of the channel waits to be applied, the channel has sold units the
/// hub has not counted yet, and how many is unknown (four of the five marketplaces' pushes carry no quantities).
/// Pushes send absolute quantities, so any number above 0 computed now may hand those units back: pushed 100, the
/// channel sold 30 (it shows 70), another channel's sale makes the hub's number 90 — sending 90 gives the 20 back.
/// Only 0 cannot raise what the channel shows; every other quantity waits until the orders are applied, then goes
/// at once.
pub fn may_push_quantity(new_quantity: i64, orders_waiting: bool) -> bool {
    !orders_waiting || new_quantity == 0
}

/// What one push round sends for a link: only the fields that differ from what the channel was last given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PushPlan {
    pub quantity: Option<i64>,
    pub price: Option<i64>,
    /// A quantity held back by the stale-push guard: the link stays pending until the orders are applied.
    pub held: bool,
}

impl PushPlan {
    pub fn sends_anything(&self) -> bool {
        self.quantity.is_some() || self.price.is_some()
    }
}

/// Decides a push from the values computed now and the values last pushed. Equal values are not sent again, so
/// many changes that end where they started cost no call.
pub fn plan_push(
    quantity: Option<i64>,
    price: Option<i64>,
    last_quantity: Option<i64>,
    last_price: Option<i64>,
    orders_waiting: bool,
) -> PushPlan {
    let mut plan = PushPlan {
        quantity: quantity.filter(|q| Some(*q) != last_quantity),
        price: price.filter(|p| Some(*p) != last_price),
        held: false,
    };
    if let Some(q) = plan.quantity
        && !may_push_quantity(q, orders_waiting)
    {
        plan.quantity = None;
        plan.held = true;
    }
    plan
}

/// Wait before retrying a failed push: 10 s, doubling per failure, at most 15 minutes.
pub fn retry_delay(failures: i32) -> chrono::Duration {
    let exponent = failures.clamp(1, 16) - 1;
    let seconds = 10i64.saturating_mul(1i64 << exponent).min(15 * 60);
    chrono::Duration::seconds(seconds)
}

/// Drift between what a channel shows and what the hub last pushed: `Some((channel, pushed))` when they differ.
/// Nothing pushed yet, or nothing read, is not drift.
pub fn drift(channel_quantity: Option<i64>, last_pushed: Option<i64>) -> Option<(i64, i64)> {
    match (channel_quantity, last_pushed) {
        (Some(channel), Some(pushed)) if channel != pushed => Some((channel, pushed)),
        _ => None,
    }
}

/// One sentence a merchant reads: why the channel gets this number.
pub fn explain(
    decision: &QuantityDecision,
    level: Quantities,
    settings: &PushSettings,
    warehouse_name: &str,
) -> String {
    let q = decision.quantity.map(|q| q.to_string()).unwrap_or_default();
    let held = match decision.held_back {
        0 => String::new(),
        units => format!(", minus a safety stock of {units}"),
    };
    match decision.rule {
        QuantityRule::SyncOff => "quantity sync is off for this channel: no quantity is sent".to_owned(),
        QuantityRule::NotTracked => "the variant does not track inventory: no quantity is sent".to_owned(),
        QuantityRule::ComputedByChannel => "the listing is a bundle of the marketplace's own, whose stock it computes from its items and refuses by API: no quantity is sent".to_owned(),
        QuantityRule::OversellAlways => format!(
            "the variant allows selling when out of stock and the channel's policy is ALWAYS: the oversell quantity {q} is sent"
        ),
        QuantityRule::OversellRealQuantity => format!(
            "the variant allows selling when out of stock; {warehouse_name} has {} available{held} (> 0), so the real quantity {q} is sent",
            real_quantity(level, settings.warehouse_chosen).0
        ),
        QuantityRule::OversellOutOfStock => format!(
            "the variant allows selling when out of stock and {warehouse_name} has none: the oversell quantity {q} is sent"
        ),
        QuantityRule::DefaultWarehouseOnHand => {
            format!(
                "on hand in the default warehouse {warehouse_name} is {}{}{held}: {q} is sent",
                level.on_hand,
                if level.on_hand < 0 { ", floored at 0" } else { "" }
            )
        }
        QuantityRule::Allocated => format!(
            "{warehouse_name} splits its {} available units between the channels that sell from it: this channel's share, {q}, is sent (its own sales come off it without a push)",
            level.available().max(0)
        ),
        QuantityRule::ChosenWarehouseAvailable => format!(
            "in {warehouse_name}: on hand {} − committed {} − pending export {} = {}{}{held}: {q} is sent",
            level.on_hand,
            level.committed,
            level.pending_export,
            level.available(),
            if level.available() < 0 { ", floored at 0" } else { "" }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sell_outs_and_steep_lowerings_are_urgent() {
        let quantity = |q| PushPlan { quantity: Some(q), ..Default::default() };
        let cases = [
            (quantity(0), Some(5), true, "a sell-out"),
            (quantity(0), None, true, "a sell-out, last value unknown"),
            (quantity(3), Some(4), true, "4 → 3: a quarter"),
            (quantity(2), Some(10), true, "10 → 2"),
            (quantity(97), Some(100), false, "100 → 97"),
            (quantity(76), Some(100), false, "just under a quarter"),
            (quantity(5), None, false, "last value unknown"),
            (quantity(12), Some(10), false, "a raise"),
            (PushPlan { price: Some(1000), ..Default::default() }, Some(10), false, "a price"),
        ];
        for (plan, last, urgent, case) in cases {
            assert_eq!(send_order(&plan, last).is_urgent(), urgent, "{case}");
        }
    }

    fn settings(chosen: bool, policy: OversellPolicy) -> PushSettings {
        PushSettings {
            sync_quantity: true,
            sync_price: true,
            warehouse_chosen: chosen,
            oversell_policy: policy,
            oversell_quantity: 50_000,
            price_policy: PricePolicy::Retail,
            price_rule: PriceRule::default(),
            safety_stock: SafetyStock::default(),
        }
    }

    fn flags(track_inventory: bool, allow_oversell: bool) -> VariantFlags {
        VariantFlags { track_inventory, allow_oversell, safety_stock_units: None }
    }

    fn level(on_hand: i64, committed: i64, pending_export: i64) -> Quantities {
        Quantities { on_hand, committed, pending_export }
    }

    #[test]
    fn every_case_of_the_quantity_rule() {
        use OversellPolicy::{Always, WhenOutOfStock};
        use QuantityRule::*;
        let tracked = flags(true, false);
        let oversell = flags(true, true);
        let untracked = flags(false, false);
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
        let v = flags(true, true);
        let mut s = settings(false, OversellPolicy::Always);
        s.oversell_quantity = 999;
        assert_eq!(quantity_to_push(v, level(1, 0, 0), &s).quantity, Some(999));
        s.sync_quantity = false;
        assert_eq!(
            quantity_to_push(v, level(1, 0, 0), &s),
            QuantityDecision { quantity: None, rule: QuantityRule::SyncOff, held_back: 0 }
        );
    }

    #[test]
    fn price_follows_the_policy_and_sync_price() {
        let prices = VariantPrices { price: 100, list_price: Some(150), cost_price: None, sale: None };
        let mut s = settings(false, OversellPolicy::Always);
        assert_eq!(price_to_push(prices, &s, None), Some(100));
        s.price_policy = PricePolicy::List;
        assert_eq!(price_to_push(prices, &s, None), Some(150));
        s.price_policy = PricePolicy::Cost;
        assert_eq!(price_to_push(prices, &s, None), Some(100), "no cost price: retail");
        s.sync_price = false;
        assert_eq!(price_to_push(prices, &s, None), None);
    }

    #[test]
    fn while_orders_wait_only_a_sell_out_goes() {
        assert!(may_push_quantity(10, false), "no order waiting: anything goes");
        assert!(!may_push_quantity(10, true), "a raise waits for the orders");
        assert!(!may_push_quantity(3, true), "a lowering too: the channel may show less already");
        assert!(may_push_quantity(0, true), "0 cannot give anything back");
    }

    #[test]
    fn a_plan_sends_only_what_changed_and_holds_a_guarded_raise() {
        assert_eq!(plan_push(Some(7), Some(100), Some(7), Some(100), false), PushPlan::default());
        assert_eq!(
            plan_push(Some(8), Some(100), Some(7), Some(100), false),
            PushPlan { quantity: Some(8), price: None, held: false }
        );
        assert_eq!(
            plan_push(Some(8), Some(120), Some(7), Some(100), true),
            PushPlan { quantity: None, price: Some(120), held: true }
        );
        assert_eq!(plan_push(Some(6), None, Some(7), None, true), PushPlan { quantity: None, price: None, held: true });
        assert_eq!(
            plan_push(Some(0), None, Some(7), None, true),
            PushPlan { quantity: Some(0), price: None, held: false }
        );
        assert!(!plan_push(None, None, Some(1), Some(1), false).sends_anything());
    }

    #[test]
    fn retries_back_off_exponentially_up_to_fifteen_minutes() {
        assert_eq!(retry_delay(1).num_seconds(), 10);
        assert_eq!(retry_delay(2).num_seconds(), 20);
        assert_eq!(retry_delay(4).num_seconds(), 80);
        assert_eq!(retry_delay(50).num_seconds(), 900);
    }

    #[test]
    fn drift_needs_both_numbers_and_a_difference() {
        assert_eq!(drift(Some(12), Some(15)), Some((12, 15)));
        assert_eq!(drift(Some(15), Some(15)), None);
        assert_eq!(drift(None, Some(15)), None);
        assert_eq!(drift(Some(3), None), None);
    }

    #[test]
    fn explanations_name_the_numbers() {
        let s = settings(true, OversellPolicy::Always);
        let v = flags(true, false);
        let l = level(40, 2, 1);
        let d = quantity_to_push(v, l, &s);
        assert_eq!(
            explain(&d, l, &s, "Kho HN"),
            "in Kho HN: on hand 40 − committed 2 − pending export 1 = 37: 37 is sent"
        );
    }

    #[test]
    fn a_price_above_the_list_price_is_refused_only_where_the_marketplace_refuses_it() {
        // (price, list price, marketplace rule) → refused
        let cases = [
            (Some(120), Some(100), true, Some((120, 100))),
            (Some(100), Some(100), true, None),
            (Some(90), Some(100), true, None),
            (Some(120), Some(100), false, None),
            (Some(120), None, true, None),
            (None, Some(100), true, None),
        ];
        for (price, list, rule, refused) in cases {
            assert_eq!(price_above_list(price, list, rule), refused, "{price:?} {list:?} {rule}");
        }
    }

    #[test]
    fn a_move_in_one_of_several_warehouses_matters_when_its_available_changes() {
        let s = settings(true, OversellPolicy::Always);
        let tracked = flags(true, false);
        let oversold = flags(true, true);
        let untracked = flags(false, false);
        // (variant, before, after, warehouses) → matters
        let cases = [
            // One warehouse: the rule before and after (both floor at 0 here).
            (tracked, level(-3, 0, 0), level(-1, 0, 0), 1, false),
            (tracked, level(5, 0, 0), level(4, 0, 0), 1, true),
            // Several: the sum may move even where this level floors at 0.
            (tracked, level(-3, 0, 0), level(-1, 0, 0), 2, true),
            (tracked, level(5, 1, 0), level(6, 2, 0), 2, false),
            (untracked, level(5, 0, 0), level(4, 0, 0), 2, false),
            (oversold, level(5, 0, 0), level(4, 0, 0), 2, false),
        ];
        for (variant, before, after, warehouses, matters) in cases {
            assert_eq!(
                level_move_matters(variant, before, after, &s, warehouses),
                matters,
                "{variant:?} {before:?} → {after:?} in {warehouses}"
            );
        }
    }

    #[test]
    fn safety_stock_holds_back_the_larger_of_units_and_percent_of_the_real_quantity() {
        // (units, percent, real) → held back
        let cases = [
            (0, 0, 100, 0),
            (5, 0, 100, 5),
            (0, 10, 100, 10),
            (0, 10, 5, 1),
            (3, 10, 100, 10),
            (30, 10, 100, 30),
            (5, 0, 3, 3),
            (5, 50, 0, 0),
            (0, 100, 7, 7),
        ];
        for (units, percent, real, held) in cases {
            assert_eq!(SafetyStock { units, percent }.held_back(real), held, "{units} units, {percent}% of {real}");
        }
    }

    #[test]
    fn safety_stock_comes_off_the_real_quantity_and_a_variant_overrides_the_channel() {
        use OversellPolicy::{Always, WhenOutOfStock};
        let mut s = settings(true, Always);
        s.safety_stock = SafetyStock { units: 5, percent: 0 };
        let tracked = flags(true, false);
        let own = VariantFlags { safety_stock_units: Some(0), ..tracked };
        let decision = |v, l, s: &PushSettings| {
            let d = quantity_to_push(v, l, s);
            (d.quantity, d.held_back)
        };
        assert_eq!(decision(tracked, level(40, 2, 1), &s), (Some(32), 5));
        assert_eq!(decision(tracked, level(4, 0, 0), &s), (Some(0), 4), "never below 0");
        assert_eq!(decision(own, level(40, 2, 1), &s), (Some(37), 0), "the variant's own 0 wins");
        let more = VariantFlags { safety_stock_units: Some(10), ..tracked };
        assert_eq!(decision(more, level(40, 2, 1), &s), (Some(27), 10));
        assert_eq!(decision(flags(true, true), level(40, 0, 0), &s), (Some(50_000), 0), "ALWAYS ignores it");
        let s = PushSettings { oversell_policy: WhenOutOfStock, ..s };
        assert_eq!(decision(flags(true, true), level(8, 0, 0), &s), (Some(3), 5));
        assert_eq!(decision(flags(true, true), level(5, 0, 0), &s), (Some(50_000), 0), "nothing sellable: oversell");
        let d = quantity_to_push(tracked, level(40, 2, 1), &s);
        assert_eq!(
            explain(&d, level(40, 2, 1), &s, "Kho HN"),
            "in Kho HN: on hand 40 − committed 2 − pending export 1 = 37, minus a safety stock of 5: 32 is sent"
        );
    }

    #[test]
    fn a_round_sends_sell_outs_then_lowerings_by_relative_drop_then_prices_then_raises() {
        let plan = |quantity, price| PushPlan { quantity, price, held: false };
        let mut cases = [
            ("raise", send_order(&plan(Some(12), None), Some(10))),
            ("price", send_order(&plan(None, Some(100)), Some(10))),
            ("drop 10%", send_order(&plan(Some(90), Some(1)), Some(100))),
            ("sell-out", send_order(&plan(Some(0), None), Some(3))),
            ("drop 50%", send_order(&plan(Some(5), None), Some(10))),
            ("unknown", send_order(&plan(Some(7), None), None)),
        ];
        cases.sort_by_key(|(_, order)| *order);
        let names: Vec<&str> = cases.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["sell-out", "drop 50%", "drop 10%", "unknown", "price", "raise"]);
    }

    #[test]
    fn a_change_sells_out_when_one_stock_warehouse_leaves_nothing_to_push() {
        let s = settings(true, OversellPolicy::Always);
        assert!(change_sells_out(flags(true, false), level(3, 3, 0), &s, 1));
        assert!(!change_sells_out(flags(true, false), level(3, 2, 0), &s, 1));
        assert!(!change_sells_out(flags(true, false), level(3, 3, 0), &s, 2), "several: the sum is not known here");
        assert!(!change_sells_out(flags(true, true), level(0, 0, 0), &s, 1), "the oversell quantity is pushed");
        assert!(!change_sells_out(flags(false, false), level(0, 0, 0), &s, 1), "nothing is pushed");
        let mut buffered = s;
        buffered.safety_stock = SafetyStock { units: 2, percent: 0 };
        assert!(change_sells_out(flags(true, false), level(4, 2, 0), &buffered, 1), "the safety stock takes the rest");
    }

    #[test]
    fn an_allocated_share_replaces_the_real_quantity_only() {
        let s = settings(true, OversellPolicy::Always);
        let real = quantity_to_push(flags(true, false), level(40, 2, 1), &s);
        let shared = with_allocation(real, None);
        assert_eq!(shared, real);
        let allocated = with_allocation(real, Some(9));
        assert_eq!((allocated.quantity, allocated.rule), (Some(9), QuantityRule::Allocated));
        let oversold = quantity_to_push(flags(true, true), level(40, 0, 0), &s);
        assert_eq!(with_allocation(oversold, Some(9)), oversold, "an oversell quantity is the merchant's number");
        let untracked = quantity_to_push(flags(false, false), level(40, 0, 0), &s);
        assert_eq!(with_allocation(untracked, Some(9)), untracked);
        assert!(awaits_share(&real, None, true), "no share yet in an allocating warehouse: nothing is pushed");
        assert!(!awaits_share(&real, Some(0), true));
        assert!(!awaits_share(&real, None, false));
        assert!(!awaits_share(&oversold, None, true));
    }

    #[test]
    fn a_round_is_about_a_second_of_calls_at_the_hubs_rate() {
        assert_eq!(round_size(40, 50, true), 30, "Shopee/TikTok: 0.75 s of products at 40 a second");
        assert_eq!(round_size(80, 50, true), 60);
        assert_eq!(round_size(40, 50, false), 500, "a batch API: the most a round takes");
        assert_eq!(round_size(2, 10, false), 20, "the web store: at least 20 links");
    }

    #[test]
    fn a_sale_is_pushed_while_it_runs_below_the_regular_price_and_ended_when_removed() {
        let at = |hours: i64| chrono::DateTime::UNIX_EPOCH + chrono::Duration::hours(1000 + hours);
        let now = at(0);
        let sale = ScheduledSale { price: 90_000, starts_at: at(-1), ends_at: at(48) };
        let prices = VariantPrices { price: 100_000, list_price: None, cost_price: Some(70_000), sale: Some(sale) };
        let settings = |rule: PriceRule| PushSettings { price_rule: rule, ..settings(false, OversellPolicy::Always) };
        let plain = settings(PriceRule::default());
        assert_eq!(sale_to_push(prices, &plain, Some(100_000), true, now), Some(sale));
        assert_eq!(sale_to_push(prices, &plain, Some(100_000), false, now), None, "no sale prices there");
        assert_eq!(sale_to_push(prices, &plain, None, true, now), None, "no price pushed");
        assert_eq!(sale_to_push(prices, &plain, Some(100_000), true, at(48)), None, "ended");
        assert_eq!(sale_to_push(prices, &plain, Some(90_000), true, now), None, "not below the regular price");
        // The channel's rule applies to the sale price too, never below cost.
        let markdown = settings(PriceRule { adjust_basis_points: -5000, ..PriceRule::default() });
        assert_eq!(
            sale_to_push(prices, &markdown, Some(100_000), true, now),
            Some(ScheduledSale { price: 70_000, ..sale }),
            "45,000 raised to the cost"
        );

        let later = ScheduledSale { ends_at: at(72), ..sale };
        assert_eq!(sale_update(Some(sale), None, now), Some(sale), "a new sale");
        assert_eq!(sale_update(Some(sale), Some(sale), now), None, "the channel has it");
        assert_eq!(sale_update(Some(later), Some(sale), now), Some(later), "changed");
        assert_eq!(
            sale_update(None, Some(sale), now),
            Some(ScheduledSale { ends_at: now, ..sale }),
            "removed: ends now"
        );
        assert_eq!(sale_update(None, Some(ScheduledSale { ends_at: at(-2), ..sale }), now), None, "already over");
        assert_eq!(sale_update(None, None, now), None);
    }

    #[test]
    fn a_link_decision_leaves_marketplace_bundles_alone_and_gives_hub_bundles_no_share() {
        let level = Quantities { on_hand: 9, committed: 2, pending_export: 0 };
        let chosen = settings(true, OversellPolicy::Always);
        let tracked = flags(true, false);
        let decide = |share, bundle, computed| link_decision(tracked, level, &chosen, share, bundle, computed);
        assert_eq!(decide(None, false, false), quantity_to_push(tracked, level, &chosen));
        assert_eq!(
            (decide(Some(3), false, false).quantity, decide(Some(3), false, false).rule),
            (Some(3), QuantityRule::Allocated)
        );
        assert_eq!(decide(Some(3), true, false), quantity_to_push(tracked, level, &chosen), "a bundle has no share");
        assert_eq!(
            decide(Some(3), true, true),
            QuantityDecision { quantity: None, rule: QuantityRule::ComputedByChannel, held_back: 0 }
        );
    }
}
