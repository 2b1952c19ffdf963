//! Collect, the first step of a round: lock the channel's due links, read what decides their values, compute
//! each value now (stale-push guard included) and plan only what differs from the last pushed values, in one
//! transaction.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait, Func, LockBehavior, LockType, NullOrdering};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use serde_json::json;

use entity::enums::LinkState;
use entity::{channel, channel_listing, product_link, product_variant};

use super::due::{due_condition, orders_waiting};
use super::record::{record_error, resolve_errors};
use super::send::updates_per_product;
use super::{
    IN_CHUNK, NOT_TRACKED, PRICE_ABOVE_LIST, STOCK_COMPUTED, StockLevels, StockWarehouses, now, stock_warehouses,
};
use crate::domain::channel::StockPriceUpdate;
use crate::domain::events::HubEvent;
use crate::domain::stock_push::{
    self as rules, PushPlan, PushSettings, QuantityDecision, QuantityRule, SendOrder, price_to_push,
};
use crate::services::effects::Effects;
use crate::services::link_marks::{SYNCING, push_settings, variant_flags, variant_prices};
use crate::services::{ServiceResult, begin_write};

/// A push held by the stale-push guard is looked at again after this long, or as soon as the channel's waiting
/// orders are applied (`link_marks::release_held_pushes`).
const HOLD_RECHECK_SECS: i64 = 2;

/// One link's push, planned from the values at collection time.
#[derive(Debug, Clone)]
pub struct PlannedPush {
    pub link_id: i64,
    pub variant_id: i64,
    pub update: StockPriceUpdate,
    pub plan: PushPlan,
    pub rule: QuantityRule,
    /// What decided the values (stored with the push).
    pub inputs: serde_json::Value,
    /// The link's `push_requested_at` when collected. The link stays pending while its push is in flight (a
    /// worker killed mid-round must leave it due) and `record` clears it only if no change re-marked it since.
    pub requested_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The link's `push_in_doubt_until` when collected: an earlier push may still land until then.
    pub in_doubt_until: Option<chrono::DateTime<chrono::Utc>>,
    /// Where it goes in the round's sending order (sell-outs first; `domain::stock_push::send_order`).
    pub order: SendOrder,
}

/// What a round collected.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    pub pushes: Vec<PlannedPush>,
    /// Links whose values equal what the channel was last given: cleared without a call.
    pub unchanged: usize,
    /// Links whose quantity waits for the channel's orders (stale-push guard).
    pub held: usize,
    /// The live events of the warnings the collect raised or resolved.
    pub effects: Effects,
}

impl Collected {
    pub fn links(&self) -> usize {
        self.pushes.len() + self.unchanged + self.held
    }
}

/// What the round before is sending, while the next one is collected.
#[derive(Debug, Clone, Default)]
pub struct InFlight {
    /// Its links: left to the round after (they stay pending until recorded, and sent again meanwhile they would
    /// cost calls for values the channel already has).
    links: Vec<i64>,
    /// Its products, for APIs that update one product per call: taken after every other due product.
    products: Vec<String>,
}

impl InFlight {
    pub fn of(pushes: &[PlannedPush]) -> Self {
        let mut products: Vec<String> = pushes.iter().map(|p| p.update.external_product_id.clone()).collect();
        products.sort_unstable();
        products.dedup();
        Self { links: pushes.iter().map(|p| p.link_id).collect(), products }
    }
}

/// Collects up to `limit` due links of the channel, computes each value now, and clears their pending flag (except
/// those the stale-push guard holds), all in one transaction. `in_flight`: what the round before is sending; other
/// SKUs of its products that became due may be taken, their call starting after that round's calls answered, so
/// no SKU is in two calls at once.
pub async fn collect(
    db: &DatabaseConnection,
    channel: &channel::Model,
    limit: u64,
    in_flight: &InFlight,
) -> ServiceResult<Collected> {
    let txn = begin_write(db).await?;
    let at = now();
    let links = if updates_per_product(channel.kind) {
        lock_due_products(&txn, channel.id, limit, at, in_flight).await?
    } else {
        lock_due_links(&txn, channel.id, limit, at, &in_flight.links).await?
    };
    if links.is_empty() {
        txn.commit().await?;
        return Ok(Collected::default());
    }
    // The settings as they are now, not as the run read them when it started: a settings change marks these links
    // in its own transaction, which the lock above waited for (SPEC §1: a change applies from when it is saved).
    let fresh = channel::Entity::find_by_id(channel.id).one(&txn).await?;
    let channel = fresh.as_ref().unwrap_or(channel);
    let inputs = RoundInputs::read(&txn, channel, &links).await?;
    let mut out = Collected::default();
    let (mut cleared, mut held) = (Vec::new(), Vec::new());
    let mut warnings = Warnings::default();
    for link in &links {
        let Some((plan, push)) = plan_link(&txn, channel, &inputs, link, at, &mut warnings).await? else {
            cleared.push(link.id);
            continue;
        };
        if plan.held {
            held.push(link.id);
            out.held += 1;
        } else if push.is_none() {
            cleared.push(link.id);
            out.unchanged += 1;
        }
        out.pushes.extend(push);
    }
    settle_unsent(&txn, &cleared, &held, at).await?;
    out.effects.publish_all(warnings.resolve(&txn, at).await?);
    out.effects.publish_all(warnings.raised);
    txn.commit().await?;
    Ok(out)
}

/// The links' warnings as the collect found them: the live events of those raised now, and the links whose
/// warning's cause is gone (the variant tracks inventory again; the price is within the list price), whose open
/// warnings are resolved at the end of the collect.
#[derive(Default)]
struct Warnings {
    raised: Vec<HubEvent>,
    tracked: Vec<i64>,
    price_within_list: Vec<i64>,
}

impl Warnings {
    /// Resolves the warnings whose cause is gone; returns their live events.
    async fn resolve(
        &self,
        txn: &DatabaseTransaction,
        at: chrono::DateTime<chrono::Utc>,
    ) -> ServiceResult<Vec<HubEvent>> {
        let mut events = Vec::new();
        for chunk in self.tracked.chunks(IN_CHUNK) {
            events.extend(resolve_errors(txn, chunk, NOT_TRACKED, at).await?);
        }
        for chunk in self.price_within_list.chunks(IN_CHUNK) {
            events.extend(resolve_errors(txn, chunk, PRICE_ABOVE_LIST, at).await?);
            end_link_error(txn, chunk, PRICE_ABOVE_LIST, at).await?;
        }
        Ok(events)
    }
}

/// The link shows `code` (state SYNC_ERROR): a warning the push found on it.
async fn set_link_error(
    txn: &DatabaseTransaction,
    link_id: i64,
    code: &str,
    message: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<()> {
    product_link::Entity::update_many()
        .col_expr(product_link::Column::State, Expr::value(LinkState::SyncError))
        .col_expr(product_link::Column::ErrorCode, Expr::value(code))
        .col_expr(product_link::Column::ErrorMessage, Expr::value(message))
        .col_expr(product_link::Column::UpdatedAt, Expr::value(at))
        .filter(product_link::Column::Id.eq(link_id))
        .filter(product_link::Column::State.is_in(SYNCING))
        .exec(txn)
        .await?;
    Ok(())
}

/// Links showing `code` are LINKED again (the cause is fixed).
async fn end_link_error(
    txn: &DatabaseTransaction,
    link_ids: &[i64],
    code: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<()> {
    product_link::Entity::update_many()
        .col_expr(product_link::Column::State, Expr::value(LinkState::Linked))
        .col_expr(product_link::Column::ErrorCode, Expr::value(Option::<String>::None))
        .col_expr(product_link::Column::ErrorMessage, Expr::value(Option::<String>::None))
        .col_expr(product_link::Column::UpdatedAt, Expr::value(at))
        .filter(product_link::Column::Id.is_in(link_ids.to_vec()))
        .filter(product_link::Column::State.eq(LinkState::SyncError))
        .filter(product_link::Column::ErrorCode.eq(code))
        .exec(txn)
        .await?;
    Ok(())
}

/// Links not among `in_flight` (no condition when it is empty).
fn not_in_flight(in_flight: &[i64]) -> Condition {
    Condition::all().add_option((!in_flight.is_empty()).then(|| product_link::Column::Id.is_not_in(in_flight.to_vec())))
}

/// Locks up to `limit` due links of the channel.
async fn lock_due_links(
    txn: &DatabaseTransaction,
    channel_id: i64,
    limit: u64,
    at: chrono::DateTime<chrono::Utc>,
    in_flight: &[i64],
) -> ServiceResult<Vec<product_link::Model>> {
    Ok(product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(channel_id))
        .filter(due_condition(at))
        .filter(not_in_flight(in_flight))
        // Sell-outs first: under quota pressure they would otherwise wait behind a whole pass of other changes
        // while the channel keeps selling what is gone.
        .order_by_desc(product_link::Column::PushSellsOut)
        // Then least recently pushed first: a link that changes all the time cannot keep others waiting (by id,
        // the first 500 links of a busy channel were pushed round after round and the rest waited for a lull).
        .order_by_with_nulls(product_link::Column::LastPushedAt, Order::Asc, NullOrdering::First)
        .order_by_asc(product_link::Column::Id)
        .limit(limit)
        // A link locked by a stock movement in flight is skipped, not waited for: that movement marks it again
        // and kicks a push, and collect never waits, so it can't deadlock with movements.
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(txn)
        .await?)
}

/// For APIs that update one product per call (a call per product, whatever its SKUs): the round takes `limit`
/// channel products with due links — a product with a due sell-out first, then any but those the round before is
/// sending, then one never pushed, then the least recently pushed (by its newest push) — with every due link of
/// each. Why products, not links: a product's SKUs share their push time, so `limit` links in that order were a
/// few products (5 of 10 SKUs each) and a round made 5 calls; the per-round transactions, not the quota, then set
/// the pace, and Shopee and TikTok were pushed at half their rate under load (a change waited up to four passes in
/// `bench stock`). Why products in flight last: their push is not recorded yet, so by their last push they looked
/// the longest waiting, and under load a product of the round before was taken again at once for a SKU that changed
/// meanwhile: a call spent on a product just pushed while others waited longer than a pass.
async fn lock_due_products(
    txn: &DatabaseTransaction,
    channel_id: i64,
    limit: u64,
    at: chrono::DateTime<chrono::Utc>,
    in_flight: &InFlight,
) -> ServiceResult<Vec<product_link::Model>> {
    // Over every link of each product, not only the due ones: a product's last push is its newest link's. Ordered
    // by its due links' oldest push instead, a product jumped the queue whenever a SKU it had not needed to push
    // for long became due, and other products waited more than one pass.
    let due = || Expr::case(due_condition(at), 1).finally(0);
    let due_sell_out = || Expr::case(due_condition(at).add(product_link::Column::PushSellsOut.eq(true)), 1).finally(0);
    let never_pushed = || Expr::case(product_link::Column::LastPushedAt.is_null(), 1).finally(0);
    let sending = (!in_flight.products.is_empty()).then(|| {
        Expr::case(channel_listing::Column::ExternalProductId.is_in(in_flight.products.clone()), 1).finally(0)
    });
    let in_flight = &in_flight.links;
    // Only the products with a due link are grouped when they are few (a round at a steady pace): grouping all of
    // the channel's (10,000 for a large shop) cost a 4-link round ~25 ms more on PostgreSQL. By a list of values, not
    // a subquery: on a table just filled the planner, without statistics, joined the subquery to every link of the
    // channel for each link (a collect took 200 s).
    let due_products = products_with_due_links(txn, channel_id, at).await?;
    if due_products.as_ref().is_some_and(Vec::is_empty) {
        return Ok(Vec::new());
    }
    let mut products = product_link::Entity::find()
        .select_only()
        .column(channel_listing::Column::ExternalProductId)
        .inner_join(channel_listing::Entity)
        .filter(product_link::Column::ChannelId.eq(channel_id))
        .filter(product_link::Column::State.is_in(SYNCING))
        .filter(not_in_flight(in_flight))
        .apply_if(due_products, |query, ids| query.filter(channel_listing::Column::ExternalProductId.is_in(ids)))
        .group_by(channel_listing::Column::ExternalProductId)
        .having(Expr::expr(Func::max(due())).eq(1))
        .order_by(Expr::expr(Func::max(due_sell_out())), Order::Desc);
    if let Some(sending) = sending {
        products = products.order_by(Expr::expr(sending), Order::Asc);
    }
    let products: Vec<String> = products
        .order_by(Expr::expr(Func::max(never_pushed())), Order::Desc)
        .order_by(
            Expr::expr(Func::max(Expr::col((product_link::Entity, product_link::Column::LastPushedAt)))),
            Order::Asc,
        )
        .order_by(Expr::expr(Func::min(Expr::col((product_link::Entity, product_link::Column::Id)))), Order::Asc)
        .limit(limit)
        .into_tuple()
        .all(txn)
        .await?;
    let mut links = Vec::new();
    for chunk in products.chunks(IN_CHUNK) {
        let listings: Vec<i64> = channel_listing::Entity::find()
            .select_only()
            .column(channel_listing::Column::Id)
            .filter(channel_listing::Column::ChannelId.eq(channel_id))
            .filter(channel_listing::Column::ExternalProductId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(txn)
            .await?;
        for listings in listings.chunks(IN_CHUNK) {
            links.extend(
                product_link::Entity::find()
                    .filter(product_link::Column::ChannelId.eq(channel_id))
                    .filter(product_link::Column::ListingId.is_in(listings.to_vec()))
                    .filter(due_condition(at))
                    .filter(not_in_flight(in_flight))
                    .order_by_asc(product_link::Column::Id)
                    // As in `lock_due_links`: a link a movement in flight holds is left for the next round.
                    .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                    .all(txn)
                    .await?,
            );
        }
    }
    Ok(links)
}

/// The marketplace ids of the channel's products with a due link, or `None` if there are more than `IN_CHUNK`.
async fn products_with_due_links(
    txn: &DatabaseTransaction,
    channel_id: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<Option<Vec<String>>> {
    let ids: Vec<String> = product_link::Entity::find()
        .select_only()
        .column(channel_listing::Column::ExternalProductId)
        .distinct()
        .inner_join(channel_listing::Entity)
        .filter(product_link::Column::ChannelId.eq(channel_id))
        .filter(due_condition(at))
        .limit(IN_CHUNK as u64 + 1)
        .into_tuple()
        .all(txn)
        .await?;
    Ok((ids.len() <= IN_CHUNK).then_some(ids))
}

/// What decides the values of a round's links, read in its transaction.
struct RoundInputs {
    variants: HashMap<i64, product_variant::Model>,
    listings: HashMap<i64, channel_listing::Model>,
    warehouses: StockWarehouses,
    levels: HashMap<i64, StockLevels>,
    orders_waiting: bool,
    settings: PushSettings,
}

impl RoundInputs {
    async fn read(
        txn: &DatabaseTransaction,
        channel: &channel::Model,
        links: &[product_link::Model],
    ) -> ServiceResult<Self> {
        let variant_ids: Vec<i64> = links.iter().filter_map(|l| l.variant_id).collect();
        let listing_ids: Vec<i64> = links.iter().filter_map(|l| l.listing_id).collect();
        let variants: HashMap<i64, product_variant::Model> = product_variant::Entity::find()
            .filter(product_variant::Column::Id.is_in(variant_ids.clone()))
            .all(txn)
            .await?
            .into_iter()
            .map(|v| (v.id, v))
            .collect();
        let listings: HashMap<i64, channel_listing::Model> = channel_listing::Entity::find()
            .filter(channel_listing::Column::Id.is_in(listing_ids))
            .all(txn)
            .await?
            .into_iter()
            .map(|l| (l.id, l))
            .collect();
        let warehouses = stock_warehouses(txn, channel.id).await?;
        let levels = warehouses.levels(txn, &variant_ids).await?;
        let orders_waiting = orders_waiting(txn, channel.id).await?;
        let settings = push_settings(channel, warehouses.chosen);
        Ok(Self { variants, listings, warehouses, levels, orders_waiting, settings })
    }
}

/// A link's plan, with its push if it sends anything; `None` if its variant or listing is gone (nothing to push).
/// Opens the link's warnings whose cause it sees (not tracked; a price the marketplace refuses, which is then not
/// pushed) and notes in `warnings` those raised and those whose cause is gone.
async fn plan_link(
    txn: &DatabaseTransaction,
    channel: &channel::Model,
    inputs: &RoundInputs,
    link: &product_link::Model,
    at: chrono::DateTime<chrono::Utc>,
    warnings: &mut Warnings,
) -> ServiceResult<Option<(PushPlan, Option<PlannedPush>)>> {
    let (Some(variant), Some(listing)) = (
        link.variant_id.and_then(|id| inputs.variants.get(&id)),
        link.listing_id.and_then(|id| inputs.listings.get(&id)),
    ) else {
        return Ok(None);
    };
    let (settings, waiting) = (&inputs.settings, inputs.orders_waiting);
    let levels = inputs.levels.get(&variant.id).cloned().unwrap_or_default();
    let level = levels.total;
    let bundle = levels.bundle.is_some();
    let decision = rules::link_decision(
        variant_flags(variant),
        level,
        settings,
        link.allocated_quantity,
        bundle,
        listing.stock_computed_by_channel,
    );
    let rule = crate::channels::marketplace(channel.kind).prices.at_most_list_price;
    let ceiling = listing.list_price_minor.filter(|_| rule);
    let mut price = price_to_push(variant_prices(variant), settings, ceiling);
    if let Some((refused, list)) = rules::price_above_list(price, listing.list_price_minor, rule) {
        price = None;
        let currency = crate::services::channels::currency(channel);
        let show = |m| format!("{} {currency}", crate::domain::money::from_minor(m, currency));
        let message = format!(
            "{}: price {} is above the channel's list price {}, which {} refuses: the price is not pushed; lower it or raise the list price",
            crate::services::inventory::variant_label(txn, variant).await?,
            show(refused),
            show(list),
            crate::channels::marketplace(channel.kind).name,
        );
        let details = json!({ "price": refused, "listPrice": list });
        let (_, raised) = record_error(txn, channel.id, link, PRICE_ABOVE_LIST, &message, Some(details), at).await?;
        warnings.raised.extend(raised);
        set_link_error(txn, link.id, PRICE_ABOVE_LIST, &message, at).await?;
    } else {
        warnings.price_within_list.push(link.id);
    }
    // After a push that may still land, what the channel shows is unknown: send the values even if equal.
    let (last_quantity, last_price) = if link.push_in_doubt_until.is_some() {
        (None, None)
    } else {
        (link.last_pushed_quantity, link.last_pushed_price_minor)
    };
    let mut plan = rules::plan_push(decision.quantity, price, last_quantity, last_price, waiting);
    let allocating = matches!(inputs.warehouses.warehouses.as_slice(), [only] if only.stock_allocation);
    // A bundle holds no share: it never waits for one.
    if plan.quantity.is_some() && !bundle && rules::awaits_share(&decision, link.allocated_quantity, allocating) {
        plan.quantity = None;
        plan.held = true;
    }
    if decision.rule == QuantityRule::NotTracked {
        let message = format!(
            "{} does not track inventory: its quantity is not pushed to this channel",
            crate::services::inventory::variant_label(txn, variant).await?
        );
        let (_, raised) = record_error(txn, channel.id, link, NOT_TRACKED, &message, None, at).await?;
        warnings.raised.extend(raised);
    } else {
        warnings.tracked.push(link.id);
    }
    if decision.rule == QuantityRule::ComputedByChannel {
        let message = format!(
            "{}: {} computes this listing's stock from the items of its own bundle (a bundle SKU of the marketplace) and refuses it by API: its quantity is not pushed; link it to a hub bundle of the same items to see what they make",
            crate::services::inventory::variant_label(txn, variant).await?,
            crate::channels::marketplace(channel.kind).name,
        );
        let (_, raised) = record_error(txn, channel.id, link, STOCK_COMPUTED, &message, None, at).await?;
        warnings.raised.extend(raised);
    }
    // A sale goes with the regular price (the marketplace reads the two together), when it is not what the
    // channel already has.
    let last_sale = link
        .last_pushed_sale
        .clone()
        .filter(|_| link.push_in_doubt_until.is_none())
        .and_then(|v| serde_json::from_value(v).ok());
    let schedules_sales = crate::channels::marketplace(channel.kind).prices.scheduled_sale;
    let sale_now = rules::sale_to_push(variant_prices(variant), settings, price, schedules_sales, at);
    let sale = rules::sale_update(sale_now, last_sale, at);
    if sale.is_some() && plan.price.is_none() {
        plan.price = price;
    }
    if !plan.sends_anything() && sale.is_none() {
        return Ok(Some((plan, None)));
    }
    let mut inputs = inputs_json(&decision, &levels, settings, &inputs.warehouses, variant, price, waiting, link, at);
    inputs["sale"] = json!(sale);
    Ok(Some((
        plan,
        Some(PlannedPush {
            link_id: link.id,
            variant_id: variant.id,
            update: StockPriceUpdate {
                external_product_id: listing.external_product_id.clone(),
                external_sku_id: listing.external_sku_id.clone(),
                seller_sku: listing.seller_sku.clone(),
                quantity: plan.quantity,
                price_minor: plan.price,
                sale,
            },
            plan,
            rule: decision.rule,
            inputs,
            requested_at: link.push_requested_at,
            in_doubt_until: link.push_in_doubt_until,
            order: rules::send_order(&plan, last_quantity),
        }),
    )))
}

/// Links with nothing to send are no longer pending (and no longer in doubt); held raises are looked at again
/// shortly.
async fn settle_unsent(
    txn: &DatabaseTransaction,
    cleared: &[i64],
    held: &[i64],
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<()> {
    for chunk in cleared.chunks(IN_CHUNK) {
        product_link::Entity::update_many()
            .col_expr(product_link::Column::PushPending, Expr::value(false))
            .col_expr(
                product_link::Column::PushInDoubtUntil,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            )
            .filter(product_link::Column::Id.is_in(chunk.to_vec()))
            .exec(txn)
            .await?;
    }
    for chunk in held.chunks(IN_CHUNK) {
        product_link::Entity::update_many()
            .col_expr(
                product_link::Column::PushRequestedAt,
                Expr::value(at + chrono::Duration::seconds(HOLD_RECHECK_SECS)),
            )
            .filter(product_link::Column::Id.is_in(chunk.to_vec()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn inputs_json(
    decision: &QuantityDecision,
    levels: &StockLevels,
    settings: &PushSettings,
    warehouses: &StockWarehouses,
    variant: &product_variant::Model,
    price: Option<i64>,
    orders_waiting: bool,
    link: &product_link::Model,
    computed_at: chrono::DateTime<chrono::Utc>,
) -> serde_json::Value {
    json!({
        "computedAt": computed_at.to_rfc3339(),
        "rule": decision.rule,
        "quantity": decision.quantity,
        "warehouses": warehouses.warehouses.iter().zip(&levels.each).map(|(w, (_, l))| json!({
            "id": w.id,
            "name": w.name,
            "onHand": l.on_hand,
            "committed": l.committed,
            "pendingExport": l.pending_export,
        })).collect::<Vec<_>>(),
        "onHand": levels.total.on_hand,
        "committed": levels.total.committed,
        "pendingExport": levels.total.pending_export,
        "bundleComponents": levels.bundle.as_ref().map(|b| b.parts.iter().map(|p| json!({
            "variantId": p.variant_id,
            "quantity": p.quantity,
            "available": p.total.available(),
            "bundles": p.bundles_available(),
        })).collect::<Vec<_>>()),
        "trackInventory": variant.track_inventory,
        "allowOversell": variant.allow_oversell,
        "oversellPolicy": settings.oversell_policy.as_str(),
        "oversellQuantity": settings.oversell_quantity,
        "safetyStock": decision.held_back,
        "allocatedQuantity": link.allocated_quantity,
        "pricePolicy": settings.price_policy.as_str(),
        "priceRule": settings.price_rule,
        "price": price,
        "ordersWaiting": orders_waiting,
        "previousQuantity": link.last_pushed_quantity,
        "previousPrice": link.last_pushed_price_minor,
    })
}
