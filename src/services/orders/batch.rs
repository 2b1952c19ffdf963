//! One transaction's worth of orders of one channel: what they need, read at once (orders locked, listings, links,
//! customers, variants, product images, existing lines, slip units, stock levels), and what they write, kept until
//! `finish` (levels, ledger and push marks, history, resolved errors, inbox marks).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use entity::enums::{LedgerReason, LedgerReference, OrderEventKind, OrderStatus};
use entity::{channel, order, order_event, order_line, product, product_variant};

use super::ROWS_PER_STATEMENT;
use super::customers::Customers;
use super::history::{EventsAnswered, event_row, mark_orders_events_processed, resolve_errors_of};
use super::order_lines::{Resolved, resolve_lines};
use super::retries::resolve_import_errors;
use super::status_mapping::overrides_of;
use super::stock::units_in_slips;
use crate::domain::actor::Actor;
use crate::domain::channel::{ChannelOrder, ChannelOrderLine};
use crate::domain::events::HubEvent;
use crate::domain::inventory::Delta;
use crate::services::inventory::{LevelBook, Movement};
use crate::services::{ServiceResult, catalog};

/// One transaction's worth of orders of one channel: what they need, read at once, and what they write, kept until
/// `finish`.
pub(super) struct Batch<'c> {
    /// Who the batch's ledger rows and history lines name.
    actor: &'c Actor,
    pub(super) channel: &'c channel::Model,
    pub(super) overrides: HashMap<String, OrderStatus>,
    /// The hub's orders of the batch, locked, by external id.
    pub(super) existing: HashMap<String, order::Model>,
    /// Each order's lines resolved against listings and links, by external id.
    pub(super) resolved: HashMap<String, Vec<Resolved>>,
    pub(super) customers: Customers,
    pub(super) variants: HashMap<i64, product_variant::Model>,
    product_images: HashMap<i64, Option<String>>,
    /// The existing orders' lines, by order id.
    pub(super) lines: HashMap<i64, Vec<order_line::Model>>,
    /// Units of each existing line on export slips that are not cancelled.
    pub(super) in_slips: HashMap<i64, i64>,
    default_warehouse: Option<i64>,
    pub(super) warehouse_names: HashMap<i64, String>,
    pub(super) book: LevelBook,
    events: Vec<order_event::ActiveModel>,
    /// Orders whose webhook events are answered without an error.
    pub(super) processed: Vec<String>,
    /// Open sync errors to resolve: code → order ids.
    to_resolve: BTreeMap<&'static str, Vec<i64>>,
    /// Live events of the sync errors the batch opened (those it resolves are added at `finish`).
    pub(super) sync_error_events: Vec<HubEvent>,
}

impl<'c> Batch<'c> {
    pub(super) async fn load(
        txn: &DatabaseTransaction,
        actor: &'c Actor,
        channel: &'c channel::Model,
        orders: &[&ChannelOrder],
    ) -> ServiceResult<Batch<'c>> {
        let external_ids: Vec<&str> = orders.iter().map(|co| co.external_id.as_str()).collect();
        let existing: HashMap<String, order::Model> = order::Entity::find()
            .filter(order::Column::ChannelId.eq(channel.id))
            .filter(order::Column::ExternalId.is_in(external_ids))
            .order_by_asc(order::Column::Id)
            .lock_exclusive()
            .all(txn)
            .await?
            .into_iter()
            .map(|o| (o.external_id.clone(), o))
            .collect();
        let all_lines: Vec<&ChannelOrderLine> = orders.iter().flat_map(|co| co.lines.iter()).collect();
        let mut flat = resolve_lines(txn, channel.id, &all_lines).await?.into_iter();
        let resolved: HashMap<String, Vec<Resolved>> =
            orders.iter().map(|co| (co.external_id.clone(), flat.by_ref().take(co.lines.len()).collect())).collect();
        let customers = Customers::load(txn, channel, orders).await?;
        let existing_ids: Vec<i64> = existing.values().map(|o| o.id).collect();
        let lines = lines_of(txn, &existing_ids).await?;
        let in_slips = units_in_slips(txn, &existing_ids).await?;
        let variant_ids: BTreeSet<i64> = resolved
            .values()
            .flatten()
            .filter_map(|r| r.variant_id)
            .chain(lines.values().flatten().filter_map(|l| l.variant_id))
            .collect();
        let (variants, product_images) = variants_with_images(txn, variant_ids).await?;
        let mut batch = Batch {
            actor,
            channel,
            overrides: overrides_of(channel),
            existing,
            resolved,
            customers,
            variants,
            product_images,
            lines,
            in_slips,
            default_warehouse: None,
            warehouse_names: HashMap::new(),
            book: LevelBook::default(),
            events: Vec::new(),
            processed: Vec::new(),
            to_resolve: BTreeMap::new(),
            sync_error_events: Vec::new(),
        };
        // The levels the batch may move, locked at once in key order (levels that do not exist yet are created
        // when first moved).
        let mut warehouses: BTreeSet<i64> = batch.existing.values().filter_map(|o| o.warehouse_id).collect();
        warehouses.insert(batch.order_warehouse(txn).await?);
        let keys: Vec<(i64, i64)> =
            batch.variants.keys().flat_map(|&v| warehouses.iter().map(move |&w| (v, w))).collect();
        batch.book.lock_existing(txn, keys).await?;
        Ok(batch)
    }

    /// The warehouse new orders of the channel reserve in.
    pub(super) async fn order_warehouse(&mut self, txn: &DatabaseTransaction) -> ServiceResult<i64> {
        if let Some(id) = self.channel.order_warehouse_id {
            return Ok(id);
        }
        if let Some(id) = self.default_warehouse {
            return Ok(id);
        }
        let id = catalog::default_warehouse(txn).await?.id;
        self.default_warehouse = Some(id);
        Ok(id)
    }

    pub(super) fn event(
        &mut self,
        order_id: i64,
        kind: OrderEventKind,
        message: String,
        statuses: Option<(OrderStatus, OrderStatus)>,
    ) {
        self.events.push(event_row(self.actor, order_id, kind, message, statuses, None));
    }

    pub(super) fn resolve_later(&mut self, order_id: i64, code: &'static str) {
        self.to_resolve.entry(code).or_default().push(order_id);
    }

    /// The order's lines as they will be saved: new ones (id 0) and known ones refreshed (by the channel's line
    /// id); stock counters are left to `move_stock`. A reservation held on a variant the listing no longer links
    /// to is released there first.
    pub(super) async fn prepare_lines(
        &mut self,
        txn: &DatabaseTransaction,
        order: Option<&order::Model>,
        co: &ChannelOrder,
        resolved: &[Resolved],
        old_lines: &[order_line::Model],
    ) -> ServiceResult<Vec<order_line::Model>> {
        let existing: HashMap<String, &order_line::Model> =
            old_lines.iter().map(|l| (l.external_line_id.clone().unwrap_or_else(|| format!("#{}", l.id)), l)).collect();
        let mut out = Vec::with_capacity(co.lines.len());
        let mut seen = HashSet::new();
        for (i, (l, r)) in co.lines.iter().zip(resolved).enumerate() {
            let key = if l.external_line_id.is_empty() { format!("#line{i}") } else { l.external_line_id.clone() };
            if !seen.insert(key.clone()) {
                continue;
            }
            let variant = r.variant_id.and_then(|id| self.variants.get(&id));
            let unit = variant.and_then(|v| v.unit.clone());
            let image = variant.and_then(|v| {
                v.image_url.clone().or_else(|| self.product_images.get(&v.product_id).cloned().flatten())
            });
            let has_variant = variant.is_some();
            match (existing.get(&key), order) {
                (Some(old), Some(order)) => {
                    // A line whose units already left on hand keeps its variant (the ledger names it).
                    let variant_id = if old.fulfilled_quantity > 0 { old.variant_id } else { r.variant_id };
                    let reserved = self.release_relinked(txn, order, old, variant_id).await?;
                    let mut line = (*old).clone();
                    line.listing_id = r.listing_id.or(old.listing_id);
                    line.variant_id = variant_id;
                    line.reserved_quantity = reserved;
                    line.seller_sku = l.seller_sku.clone();
                    line.title = l.title.clone();
                    line.variant_title = l.variant_title.clone();
                    line.quantity = l.quantity;
                    line.price_minor = l.price_minor;
                    line.discount_minor = l.discount_minor;
                    if has_variant {
                        line.unit = unit;
                        line.image_url = image;
                    }
                    out.push(line);
                }
                _ => out.push(order_line::Model {
                    id: 0,
                    order_id: order.map(|o| o.id).unwrap_or(0),
                    external_line_id: Some(key),
                    listing_id: r.listing_id,
                    seller_sku: l.seller_sku.clone(),
                    variant_id: r.variant_id,
                    title: l.title.clone(),
                    variant_title: l.variant_title.clone(),
                    quantity: l.quantity,
                    price_minor: l.price_minor,
                    discount_minor: l.discount_minor,
                    reserved_quantity: 0,
                    fulfilled_quantity: 0,
                    returned_quantity: 0,
                    unit,
                    image_url: image,
                }),
            }
        }
        Ok(out)
    }

    /// The units a known line keeps reserved: a reservation held on a variant the line no longer points at is
    /// released first.
    async fn release_relinked(
        &mut self,
        txn: &DatabaseTransaction,
        order: &order::Model,
        old: &order_line::Model,
        variant_id: Option<i64>,
    ) -> ServiceResult<i64> {
        let reserved = old.reserved_quantity;
        if reserved > 0
            && variant_id != old.variant_id
            && let (Some(old_variant), Some(warehouse_id)) = (old.variant_id, order.warehouse_id)
            && let Some(v) = self.variants.get(&old_variant)
        {
            let movement = Movement {
                variant_id: v.id,
                warehouse_id,
                delta: Delta { committed: -reserved, ..Default::default() },
                reason: LedgerReason::OrderReleased,
                reference: Some((LedgerReference::Order, order.id)),
                note: Some("the listing was linked to another variant".into()),
                order_channel: Some(order.channel_id),
            };
            self.book.apply(txn, v, &movement).await?;
            return Ok(0);
        }
        Ok(reserved)
    }

    /// Writes what the batch kept for the end: stock (levels, ledger, push marks), history, resolved errors and
    /// answered webhook events. Returns the live events of the sync errors opened and resolved.
    pub(super) async fn finish(
        mut self,
        txn: &DatabaseTransaction,
        events_answered: Option<&EventsAnswered>,
    ) -> ServiceResult<Vec<HubEvent>> {
        self.book.flush(txn, self.actor).await?;
        for chunk in self.events.chunks(ROWS_PER_STATEMENT) {
            order_event::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
        }
        for (code, order_ids) in &self.to_resolve {
            for chunk in order_ids.chunks(ROWS_PER_STATEMENT) {
                let resolved = resolve_errors_of(txn, chunk, code).await?;
                self.sync_error_events.extend(resolved);
            }
        }
        if let Some(answered) = events_answered {
            for chunk in self.processed.chunks(ROWS_PER_STATEMENT) {
                mark_orders_events_processed(txn, self.channel.id, chunk, answered, None).await?;
            }
        }
        // The channel returned these and the hub took them: errors saying they were not imported are resolved.
        let resolved = resolve_import_errors(txn, self.channel.id, &self.processed).await?;
        self.sync_error_events.extend(resolved);
        Ok(self.sync_error_events)
    }
}

/// The existing orders' lines, by order id.
async fn lines_of(txn: &DatabaseTransaction, order_ids: &[i64]) -> ServiceResult<HashMap<i64, Vec<order_line::Model>>> {
    let mut lines: HashMap<i64, Vec<order_line::Model>> = HashMap::new();
    if order_ids.is_empty() {
        return Ok(lines);
    }
    for l in order_line::Entity::find()
        .filter(order_line::Column::OrderId.is_in(order_ids.to_vec()))
        .order_by_asc(order_line::Column::Id)
        .all(txn)
        .await?
    {
        lines.entry(l.order_id).or_default().push(l);
    }
    Ok(lines)
}

/// The variants the batch's lines name, by id, and their products' images (a line shows the variant's image, else
/// its product's).
async fn variants_with_images(
    txn: &DatabaseTransaction,
    variant_ids: BTreeSet<i64>,
) -> ServiceResult<(HashMap<i64, product_variant::Model>, HashMap<i64, Option<String>>)> {
    if variant_ids.is_empty() {
        return Ok((HashMap::new(), HashMap::new()));
    }
    let variants: HashMap<i64, product_variant::Model> = product_variant::Entity::find()
        .filter(product_variant::Column::Id.is_in(variant_ids))
        .all(txn)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let product_ids: BTreeSet<i64> = variants.values().map(|v| v.product_id).collect();
    let product_images: HashMap<i64, Option<String>> = if product_ids.is_empty() {
        HashMap::new()
    } else {
        product::Entity::find()
            .filter(product::Column::Id.is_in(product_ids))
            .all(txn)
            .await?
            .into_iter()
            .map(|p| (p.id, p.image_url))
            .collect()
    };
    Ok((variants, product_images))
}
