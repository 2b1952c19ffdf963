//! Order import (SPEC §4): one idempotent upsert keyed by (channel, external order id) that every path uses —
//! webhook fetches, polling, resyncs — applied a fetched batch per write transaction. Per order: refuse a stale
//! update, refuse a new order with a stopped product, save the customer, prepare the lines, save the order row,
//! open or resolve its sync errors, write its history and move its stock.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DatabaseTransaction, EntityTrait};

use entity::enums::{ChannelKind, OrderEventKind, PaymentStatus};
use entity::{channel, customer, order, order_line, warehouse};

use super::batch::Batch;
use super::codes;
use super::customers::save_customer;
use super::history::{EventsAnswered, mark_events_processed, open_error};
use super::order_lines::save_lines;
use super::stock::move_stock;
use crate::domain::actor::Actor;
use crate::domain::channel::ChannelOrder;
use crate::domain::events::HubEvent;
use crate::domain::order_status::{self, Mapped};
use crate::domain::orders::{self as rules, Known};
use crate::services::effects::{Committed, Effects};
use crate::services::{ServiceError, ServiceResult, begin_write, channels, now};

/// What applying one channel order did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// New in the hub.
    Imported(i64),
    /// An existing order took the channel's update.
    Updated(i64),
    /// The channel's copy was taken but changed nothing the hub shows (the same update read again by a poll, a
    /// resync or a second push): subscribers are not told again.
    Unchanged(i64),
    /// The hub already holds this update or a newer one: nothing changed.
    Stale(i64),
    /// Not imported (the reason is recorded as a sync error).
    NotImported(String),
    /// Not imported: placed before the channel's backfill start (`domain::orders::imports_new_order`).
    BeforeBackfill,
}

impl Applied {
    pub fn order_id(&self) -> Option<i64> {
        match self {
            Self::Imported(id) | Self::Updated(id) | Self::Unchanged(id) | Self::Stale(id) => Some(*id),
            Self::NotImported(_) | Self::BeforeBackfill => None,
        }
    }
}

/// Applies one channel order: a batch of one (see `apply_channel_orders`).
pub async fn apply_channel_order(
    db: &DatabaseConnection,
    actor: &Actor,
    channel: &channel::Model,
    co: &ChannelOrder,
    events_answered: Option<&EventsAnswered>,
) -> ServiceResult<Committed<Applied>> {
    let (mut applied, effects) =
        apply_channel_orders(db, actor, channel, std::slice::from_ref(co), events_answered).await?.into_parts();
    let applied = applied
        .pop()
        .ok_or_else(|| ServiceError::Unexpected(anyhow::anyhow!("order {} was not applied", co.external_id)))?;
    Ok(Committed::new(applied, effects))
}

/// Applies channel orders (the upsert every import path uses), in one write transaction per batch: the reads
/// (orders, listings, links, customers, variants, lines, slips, levels) are one statement each for the whole
/// batch, stock moves through one `LevelBook`, and history, ledger and inbox marks are written together at the
/// end. `events_answered`: the webhook events of these orders it covers are marked processed in the same
/// transaction. The result is in the order of `orders`. Effects: an `OrderChanged` per order imported or
/// updated, and the pushes of the stock they moved. History lines and ledger rows name `actor` (the channel, for
/// every import path).
pub async fn apply_channel_orders(
    db: &DatabaseConnection,
    actor: &Actor,
    channel: &channel::Model,
    orders: &[ChannelOrder],
    events_answered: Option<&EventsAnswered>,
) -> ServiceResult<Committed<Vec<Applied>>> {
    let mut results: Vec<Option<Applied>> = vec![None; orders.len()];
    let mut effects = Effects::none();
    let mut rest: Vec<usize> = (0..orders.len()).collect();
    while !rest.is_empty() {
        // One external id at most once per transaction: a second copy is applied after the first, like a later fetch.
        let mut seen = HashSet::new();
        let (batch, later): (Vec<usize>, Vec<usize>) =
            rest.into_iter().partition(|&i| seen.insert(orders[i].external_id.as_str()));
        let batch_orders: Vec<&ChannelOrder> = batch.iter().map(|&i| &orders[i]).collect();
        let mut applied = None;
        // A new order inserted by a concurrent import between our read and our insert: read again and update it.
        for _ in 0..3 {
            applied = try_apply_batch(db, actor, channel, &batch_orders, events_answered).await?;
            if applied.is_some() {
                break;
            }
        }
        let (applied, sync_error_events) = applied.ok_or_else(|| {
            ServiceError::Unexpected(anyhow::anyhow!(
                "orders of \"{}\" kept conflicting with concurrent imports",
                channel.name
            ))
        })?;
        effects.publish_all(sync_error_events);
        for (i, a) in batch.into_iter().zip(applied) {
            results[i] = Some(a);
        }
        rest = later;
    }
    let applied: Vec<Applied> = results.into_iter().flatten().collect();
    if events_answered.is_some() {
        // Webhook events were answered: pushes the stale-push guard held for them go now.
        effects.pushes_became_due();
    }
    for a in &applied {
        if let Applied::Imported(order_id) | Applied::Updated(order_id) = *a {
            effects.publish(HubEvent::OrderChanged { order_id, channel_id: channel.id });
            // Imports reserve stock and status changes release it: channels pushing "on hand − committed" hear
            // of it now, not at the scheduler's next tick.
            effects.pushes_became_due();
        }
    }
    Ok(Committed::new(applied, effects))
}

async fn try_apply_batch(
    db: &DatabaseConnection,
    actor: &Actor,
    channel: &channel::Model,
    orders: &[&ChannelOrder],
    events_answered: Option<&EventsAnswered>,
) -> ServiceResult<Option<(Vec<Applied>, Vec<HubEvent>)>> {
    let txn = begin_write(db).await?;
    let mut batch = Batch::load(&txn, actor, channel, orders).await?;
    let mut out = Vec::with_capacity(orders.len());
    for co in orders {
        match batch.apply(&txn, co, events_answered).await? {
            Some(applied) => out.push(applied),
            None => {
                txn.rollback().await?;
                return Ok(None);
            }
        }
    }
    let sync_error_events = batch.finish(&txn, events_answered).await?;
    txn.commit().await?;
    Ok(Some((out, sync_error_events)))
}

fn channel_name(kind: ChannelKind) -> &'static str {
    channels::kind_name(kind)
}

/// The order's number as the merchant knows it (the channel's id when it has none).
fn number_of(co: &ChannelOrder) -> String {
    co.order_number.clone().unwrap_or_else(|| co.external_id.clone())
}

/// Whether each line was returned: by its own status where the channel has line statuses (Lazada), else all.
fn returned_lines(kind: ChannelKind, co: &ChannelOrder) -> Vec<(i64, bool)> {
    let none = HashMap::new();
    let has_line_statuses = co.lines.iter().any(|l| l.status_raw.is_some());
    co.lines
        .iter()
        .map(|l| {
            let amount = l.price_minor * l.quantity - l.discount_minor;
            let returned = !has_line_statuses
                || l.status_raw.as_deref().is_some_and(|s| {
                    order_status::map_status(crate::channels::marketplace(kind).order_statuses, s, &none).payment
                        == Some(PaymentStatus::Returned)
                });
            (amount, returned)
        })
        .collect()
}

/// Whether an update changed anything the hub shows of the order: a field other than the times of the update, or
/// a line (its link, its stock counters, a new line).
fn order_shows_change(
    before: &order::Model,
    after: &order::Model,
    old_lines: &[order_line::Model],
    lines: &[order_line::Model],
) -> bool {
    let same_times =
        order::Model { updated_at: before.updated_at, channel_updated_at: before.channel_updated_at, ..after.clone() };
    same_times != *before
        || lines.len() != old_lines.len()
        || lines.iter().any(|l| l.id == 0 || old_lines.iter().find(|o| o.id == l.id) != Some(l))
}

/// Saves the order row: an update of the stored order, or an insert. `None`: a concurrent import inserted the
/// order since the batch read it (the batch is retried). The flag says whether the order is new.
async fn save_order(
    txn: &DatabaseTransaction,
    row: order::ActiveModel,
    stored: bool,
) -> ServiceResult<Option<(order::Model, bool)>> {
    if stored {
        return Ok(Some((row.update(txn).await?, false)));
    }
    let inserted = order::Entity::insert(row)
        .on_conflict(OnConflict::columns([order::Column::ChannelId, order::Column::ExternalId]).do_nothing().to_owned())
        .exec_with_returning(txn)
        .await;
    match inserted {
        Ok(saved) => Ok(Some((saved, true))),
        Err(err) if crate::services::not_inserted(&err) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

impl Batch<'_> {
    /// Applies one order of the batch. `None`: a concurrent import inserted it since `load` (the batch is retried).
    pub(super) async fn apply(
        &mut self,
        txn: &DatabaseTransaction,
        co: &ChannelOrder,
        events_answered: Option<&EventsAnswered>,
    ) -> ServiceResult<Option<Applied>> {
        let existing = self.existing.get(&co.external_id).cloned();
        let mapped: Mapped = order_status::map_status(
            crate::channels::marketplace(self.channel.kind).order_statuses,
            &co.status_raw,
            &self.overrides,
        );
        if let Some(o) = &existing
            && !self.takes_update(o, co, &mapped)
        {
            self.processed.push(co.external_id.clone());
            return Ok(Some(Applied::Stale(o.id)));
        }
        if existing.is_none() && !rules::imports_new_order(rules::stored_time(co.created_at), self.backfill_start()) {
            // Answered, not an error: the order is older than what the merchant asked the hub to follow.
            self.processed.push(co.external_id.clone());
            return Ok(Some(Applied::BeforeBackfill));
        }
        let resolved = self.resolved.get(&co.external_id).cloned().unwrap_or_default();
        if existing.is_none() && resolved.iter().any(|r| r.stopped) {
            return self.refuse_stopped(txn, co, events_answered).await.map(Some);
        }

        let customer = save_customer(txn, self.channel, co, &mut self.customers).await?;
        let old_lines = existing.as_ref().and_then(|o| self.lines.get(&o.id)).cloned().unwrap_or_default();
        let mut lines = self.prepare_lines(txn, existing.as_ref(), co, &resolved, &old_lines).await?;
        let has_unlinked_lines = lines.iter().any(|l| l.variant_id.is_none());
        let row = self.order_row(txn, existing.as_ref(), co, &mapped, customer.as_ref(), has_unlinked_lines).await?;
        let Some((order, imported)) = save_order(txn, row, existing.is_some()).await? else { return Ok(None) };
        for line in &mut lines {
            line.order_id = order.id;
        }

        self.record_errors(txn, co, &order, imported, mapped.recognized, &lines).await?;
        self.record_status(co, &order, existing.as_ref());
        self.move_line_stock(txn, &order, imported, &mut lines).await?;
        let shows_change =
            existing.as_ref().is_none_or(|before| order_shows_change(before, &order, &old_lines, &lines));
        save_lines(txn, lines, &old_lines).await?;
        self.processed.push(co.external_id.clone());
        Ok(Some(match (imported, shows_change) {
            (true, _) => Applied::Imported(order.id),
            (false, true) => Applied::Updated(order.id),
            (false, false) => Applied::Unchanged(order.id),
        }))
    }

    /// Where the channel's orders begin (`domain::orders::backfill_start`).
    fn backfill_start(&self) -> DateTime<Utc> {
        let c = self.channel;
        rules::backfill_start(c.connected_at.unwrap_or(c.created_at), c.order_backfill_days)
    }

    /// Whether the channel's copy may replace the stored order: not older, and at the same second not moving it
    /// backwards (`domain::orders::should_apply`).
    fn takes_update(&self, stored: &order::Model, co: &ChannelOrder, mapped: &Mapped) -> bool {
        let kind = self.channel.kind;
        let known = Known {
            channel_updated_at: stored.channel_updated_at,
            channel_status: stored.channel_status.as_deref(),
            mapped: stored
                .channel_status
                .as_deref()
                .map(|s| {
                    order_status::map_status(crate::channels::marketplace(kind).order_statuses, s, &self.overrides)
                        .status
                })
                .unwrap_or(stored.hub_status),
        };
        rules::should_apply(Some(known), rules::stored_time(co.updated_at), &co.status_raw, mapped.status)
    }

    /// A new order with a product whose sync the merchant stopped is not imported: a sync error says why, and its
    /// webhook events are answered with that reason.
    async fn refuse_stopped(
        &mut self,
        txn: &DatabaseTransaction,
        co: &ChannelOrder,
        events_answered: Option<&EventsAnswered>,
    ) -> ServiceResult<Applied> {
        let channel = self.channel;
        let message = format!(
            "{} order {} was not imported: it contains a product whose sync was stopped (unlinked)",
            channel_name(channel.kind),
            number_of(co)
        );
        let raised = open_error(
            txn,
            channel.id,
            None,
            codes::CONTAINS_UNLINKED_PRODUCT,
            &message,
            Some(serde_json::json!({ "externalOrderId": co.external_id })),
        )
        .await?;
        self.sync_error_events.extend(raised);
        if let Some(answered) = events_answered {
            mark_events_processed(txn, channel.id, &co.external_id, answered, Some(&message)).await?;
        }
        Ok(Applied::NotImported(message))
    }

    /// The order row to save, built in one place for both cases: the channel's view of the order over the stored
    /// row (an update), or over the fields only a new order sets (an insert: warehouse, currency, placed at). The
    /// hub status stays the hub's when the channel's orders are processed in the hub; the customer stays when the
    /// channel names none.
    async fn order_row(
        &mut self,
        txn: &DatabaseTransaction,
        existing: Option<&order::Model>,
        co: &ChannelOrder,
        mapped: &Mapped,
        customer: Option<&customer::Model>,
        has_unlinked_lines: bool,
    ) -> ServiceResult<order::ActiveModel> {
        let channel = self.channel;
        let at = now();
        let hub_status = match existing {
            Some(o) if channel.process_orders_in_hub => o.hub_status,
            _ => mapped.status,
        };
        let refunded_before = existing.map(|o| o.refunded_minor).unwrap_or(0);
        let (payment, refunded) = match mapped.payment {
            Some(PaymentStatus::Returned) => rules::refund(&returned_lines(channel.kind, co)),
            Some(p) => (p, refunded_before),
            None => (existing.map(|o| o.payment_status).unwrap_or(PaymentStatus::Unpaid), refunded_before),
        };
        let address = serde_json::to_value(rules::saved_address(
            crate::channels::marketplace(channel.kind).orders.keeps_ward,
            &co.shipping_address,
        ))
        .map_err(anyhow::Error::from)?;
        let mut row = match existing {
            Some(o) => order::ActiveModel::from(o.clone()),
            None => {
                let warehouse_id = if rules::tracks_stock(mapped.status, co.created_at, channel.connected_at) {
                    Some(self.order_warehouse(txn).await?)
                } else {
                    None
                };
                order::ActiveModel {
                    channel_id: Set(channel.id),
                    external_id: Set(co.external_id.clone()),
                    customer_id: Set(None),
                    customer_name: Set(None),
                    customer_phone: Set(None),
                    customer_email: Set(None),
                    currency: Set(co.currency.clone()),
                    warehouse_id: Set(warehouse_id),
                    cancel_reason: Set(None),
                    placed_at: Set(rules::stored_time(co.created_at)),
                    created_at: Set(at),
                    ..Default::default()
                }
            }
        };
        row.order_number = Set(co.order_number.clone());
        row.hub_status = Set(hub_status);
        row.channel_status = Set(Some(co.status_raw.clone()));
        row.payment_status = Set(payment);
        row.refunded_minor = Set(refunded);
        if let Some(c) = customer {
            row.customer_id = Set(Some(c.id));
            row.customer_name = Set(Some(c.name.clone()));
            row.customer_phone = Set(c.phone.clone());
            row.customer_email = Set(c.email.clone());
        }
        row.shipping_address = Set(Some(address));
        row.subtotal_minor = Set(co.subtotal_minor);
        row.shipping_fee_minor = Set(co.shipping_fee_minor);
        row.discount_minor = Set(co.discount_minor);
        row.total_minor = Set(co.total_minor);
        row.has_unlinked_lines = Set(has_unlinked_lines);
        row.channel_updated_at = Set(Some(rules::stored_time(co.updated_at)));
        row.updated_at = Set(at);
        let text = |value: &sea_orm::ActiveValue<Option<String>>| value.try_as_ref().cloned().flatten();
        let (name, phone) = (text(&row.customer_name), text(&row.customer_phone));
        row.search_text = Set(entity::derived::order_search_text(
            co.order_number.as_deref(),
            &co.external_id,
            name.as_deref(),
            phone.as_deref(),
        ));
        Ok(row)
    }

    /// Opens the order's sync errors for unlinked lines and an unknown status, or resolves them (at `finish`) once
    /// they no longer hold. A just-inserted order has no errors yet: nothing to resolve.
    async fn record_errors(
        &mut self,
        txn: &DatabaseTransaction,
        co: &ChannelOrder,
        order: &order::Model,
        imported: bool,
        recognized: bool,
        lines: &[order_line::Model],
    ) -> ServiceResult<()> {
        let channel = self.channel;
        let number = number_of(co);
        let unlinked: Vec<String> = lines
            .iter()
            .filter(|l| l.variant_id.is_none())
            .map(|l| l.seller_sku.clone().unwrap_or_else(|| l.title.clone()))
            .collect();
        if unlinked.is_empty() && !imported {
            self.resolve_later(order.id, codes::PRODUCT_NOT_LINKED);
        } else if !unlinked.is_empty() {
            let message = format!(
                "{} order {number}: {} not linked to a hub product ({}); the order is kept and re-synced once linked",
                channel_name(channel.kind),
                if unlinked.len() == 1 { "1 line is" } else { "some lines are" },
                unlinked.join(", ")
            );
            let raised = open_error(txn, channel.id, Some(order.id), codes::PRODUCT_NOT_LINKED, &message, None).await?;
            self.sync_error_events.extend(raised);
        }
        if recognized {
            if !imported {
                self.resolve_later(order.id, codes::STATUS_UNRECOGNIZED);
            }
        } else {
            let message = format!(
                "{} order {number} has status \"{}\", which no mapping knows: add it with statusMappingUpdate",
                channel_name(channel.kind),
                co.status_raw
            );
            let raised =
                open_error(txn, channel.id, Some(order.id), codes::STATUS_UNRECOGNIZED, &message, None).await?;
            self.sync_error_events.extend(raised);
        }
        Ok(())
    }

    /// The order's history line for what the channel said: imported, its hub status changed, or (orders processed
    /// in the hub) a note of the channel's status the hub did not take.
    fn record_status(&mut self, co: &ChannelOrder, order: &order::Model, previous: Option<&order::Model>) {
        let channel = self.channel;
        let hub_status = order.hub_status;
        let raw_note = format!("{} status \"{}\"", channel_name(channel.kind), co.status_raw);
        match previous {
            None => self.event(
                order.id,
                OrderEventKind::Imported,
                format!("Imported from {} ({raw_note} → {})", channel.name, hub_status.as_str()),
                None,
            ),
            Some(p) if p.hub_status != hub_status => self.event(
                order.id,
                OrderEventKind::StatusChanged,
                format!("{raw_note}: {} → {}", p.hub_status.as_str(), hub_status.as_str()),
                Some((p.hub_status, hub_status)),
            ),
            Some(p) if channel.process_orders_in_hub && p.channel_status.as_deref() != Some(co.status_raw.as_str()) => {
                self.event(
                    order.id,
                    OrderEventKind::Note,
                    format!("{raw_note} (not applied: orders of this channel are processed in the hub)"),
                    None,
                );
            }
            Some(_) => {}
        }
    }

    /// Brings the lines' stock to the order's status through the batch's book, with one history line per kind of
    /// movement; a refused movement opens ORDER_STOCK_REFUSED, none resolves it (at `finish`).
    async fn move_line_stock(
        &mut self,
        txn: &DatabaseTransaction,
        order: &order::Model,
        imported: bool,
        lines: &mut [order_line::Model],
    ) -> ServiceResult<()> {
        let stock = move_stock(txn, &mut self.book, &self.variants, order, lines, &self.in_slips).await?;
        if let Some(warehouse_id) = order.warehouse_id
            && !stock.moved.is_empty()
        {
            let warehouse_name = match self.warehouse_names.get(&warehouse_id) {
                Some(name) => name.clone(),
                None => {
                    let name =
                        warehouse::Entity::find_by_id(warehouse_id).one(txn).await?.map(|w| w.name).unwrap_or_default();
                    self.warehouse_names.insert(warehouse_id, name.clone());
                    name
                }
            };
            for (kind, message) in stock.history(&warehouse_name) {
                self.event(order.id, kind, message, None);
            }
        }
        if stock.refused.is_empty() {
            if !imported && stock.planned {
                self.resolve_later(order.id, codes::STOCK_REFUSED);
            }
        } else {
            let raised = stock.open_refused_error(txn, order).await?;
            self.sync_error_events.extend(raised);
        }
        Ok(())
    }
}
