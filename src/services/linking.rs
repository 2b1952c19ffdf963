//! Product links (SPEC §2): store pulled listings, match hub variants to them, write one link per linked listing
//! and one LINK_ERROR per failing variant (with a sync error), manual link, unlink, delete, compare.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use entity::enums::{LinkState, MatchKey, SyncErrorKind};
use entity::{channel, channel_listing, product, product_link, product_variant, sync_error};

use super::pagination::{Page, PageArgs, paginate};
use super::{ServiceError, ServiceResult, begin_write, prefix_pattern};
use crate::domain::channel::Listing;
use crate::domain::errors::ErrorCode;
use crate::domain::linking::{self, Decision, HubVariant, LinkErrorCode, ListingSku, MatchContext, Outcome};

/// Rows per INSERT when storing listings (well under SQLite's 32,766 bound parameters).
const LISTING_CHUNK: usize = 200;
/// Keys per `IN (…)` list.
const IN_CHUNK: usize = 500;

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// Stores the listings a channel returned (insert or update by the channel's ids). Returns how many were stored.
pub async fn store_listings(db: &DatabaseConnection, channel_id: i64, listings: &[Listing]) -> ServiceResult<usize> {
    let seen = now();
    for chunk in listings.chunks(LISTING_CHUNK) {
        let rows = chunk.iter().map(|l| channel_listing::ActiveModel {
            channel_id: Set(channel_id),
            external_product_id: Set(l.external_product_id.clone()),
            external_sku_id: Set(l.external_sku_id.clone()),
            seller_sku: Set(l.seller_sku.clone()),
            title: Set(l.title.clone()),
            variant_title: Set(l.variant_title.clone()),
            options: Set(Some(serde_json::json!(l.options))),
            price_minor: Set(l.price_minor),
            list_price_minor: Set(l.list_price_minor),
            quantity: Set(l.quantity),
            channel_status: Set(l.status.clone()),
            raw: Set(l.raw.clone()),
            link_excluded: Set(false),
            seen_at: Set(seen),
            created_at: Set(seen),
            updated_at: Set(seen),
            ..Default::default()
        });
        let txn = begin_write(db).await?;
        channel_listing::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    channel_listing::Column::ChannelId,
                    channel_listing::Column::ExternalProductId,
                    channel_listing::Column::ExternalSkuId,
                ])
                // `link_excluded` and `created_at` are the hub's: never overwritten by a pull.
                .update_columns([
                    channel_listing::Column::SellerSku,
                    channel_listing::Column::Title,
                    channel_listing::Column::VariantTitle,
                    channel_listing::Column::Options,
                    channel_listing::Column::PriceMinor,
                    channel_listing::Column::ListPriceMinor,
                    channel_listing::Column::Quantity,
                    channel_listing::Column::ChannelStatus,
                    channel_listing::Column::Raw,
                    channel_listing::Column::SeenAt,
                    channel_listing::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
    }
    Ok(listings.len())
}

/// Which hub products a bulk link covers.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Selection {
    pub product_ids: Option<Vec<i64>>,
    /// Title contains / SKU or barcode starts with.
    pub search: Option<String>,
    /// Only products whose variants all have (true) / some lack (false) the channel's match key.
    pub has_match_key: Option<bool>,
    /// Only products with no link on the channel yet.
    #[serde(default)]
    pub not_yet_linked: bool,
}

/// Product ids of a selection, in id order.
pub async fn selected_products(
    db: &DatabaseConnection,
    channel: &channel::Model,
    selection: &Selection,
) -> ServiceResult<Vec<i64>> {
    let mut select = product::Entity::find().select_only().column(product::Column::Id);
    if let Some(ids) = &selection.product_ids {
        select = select.filter(product::Column::Id.is_in(ids.clone()));
    }
    if let Some(term) = selection.search.as_deref() {
        select = select.filter(super::catalog::product_search(term));
    }
    if let Some(has) = selection.has_match_key {
        let key_col = key_column(channel.match_key);
        let missing = Query::select()
            .column(product_variant::Column::ProductId)
            .from(product_variant::Entity)
            .and_where(key_col.is_null())
            .to_owned();
        select = if has {
            select.filter(product::Column::Id.not_in_subquery(missing))
        } else {
            select.filter(product::Column::Id.in_subquery(missing))
        };
    }
    if selection.not_yet_linked {
        let linked = Query::select()
            .column(product_link::Column::ProductId)
            .from(product_link::Entity)
            .and_where(product_link::Column::ChannelId.eq(channel.id))
            .and_where(product_link::Column::ProductId.is_not_null())
            .to_owned();
        select = select.filter(product::Column::Id.not_in_subquery(linked));
    }
    Ok(select.order_by_asc(product::Column::Id).into_tuple::<i64>().all(db).await?)
}

fn key_column(key: MatchKey) -> product_variant::Column {
    match key {
        MatchKey::Barcode => product_variant::Column::Barcode,
        MatchKey::Sku => product_variant::Column::Sku,
    }
}

/// The variants of `product_ids`, as matching sees them.
pub async fn hub_variants<C: ConnectionTrait>(db: &C, product_ids: &[i64]) -> ServiceResult<Vec<HubVariant>> {
    let mut out = Vec::new();
    for ids in product_ids.chunks(IN_CHUNK) {
        let titles: HashMap<i64, String> = product::Entity::find()
            .filter(product::Column::Id.is_in(ids.to_vec()))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.title))
            .collect();
        let variants = product_variant::Entity::find()
            .filter(product_variant::Column::ProductId.is_in(ids.to_vec()))
            .order_by_asc(product_variant::Column::ProductId)
            .order_by_asc(product_variant::Column::Position)
            .all(db)
            .await?;
        out.extend(
            variants.into_iter().map(|v| to_hub_variant(&v, titles.get(&v.product_id).cloned().unwrap_or_default())),
        );
    }
    Ok(out)
}

fn to_hub_variant(v: &product_variant::Model, product_title: String) -> HubVariant {
    HubVariant {
        id: v.id,
        product_id: v.product_id,
        product_title,
        title: v.title.clone(),
        sku: v.sku.clone(),
        barcode: v.barcode.clone(),
        options: super::catalog::stored_options(v).into_iter().map(|o| (o.name, o.value)).collect(),
        price_minor: v.price_minor,
    }
}

/// Every product using each key value, across the whole catalog (conflicts are catalog-wide).
async fn key_owners<C: ConnectionTrait>(
    db: &C,
    key: MatchKey,
    keys: &BTreeSet<String>,
) -> ServiceResult<HashMap<String, Vec<(i64, String)>>> {
    let col = key_column(key);
    let mut owners: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    let keys: Vec<String> = keys.iter().cloned().collect();
    for chunk in keys.chunks(IN_CHUNK) {
        let rows: Vec<(Option<String>, i64)> = product_variant::Entity::find()
            .select_only()
            .column(col)
            .column(product_variant::Column::ProductId)
            .filter(col.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        let product_ids: Vec<i64> = rows.iter().map(|(_, p)| *p).collect();
        let titles: HashMap<i64, String> = product::Entity::find()
            .filter(product::Column::Id.is_in(product_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.title))
            .collect();
        for (k, product_id) in rows {
            let Some(k) = k else { continue };
            let entry = owners.entry(k).or_default();
            if !entry.iter().any(|(p, _)| *p == product_id) {
                entry.push((product_id, titles.get(&product_id).cloned().unwrap_or_default()));
            }
        }
    }
    Ok(owners)
}

/// The channel's stored listings carrying any of `keys` as seller SKU.
async fn listings_with_keys<C: ConnectionTrait>(
    db: &C,
    channel_id: i64,
    keys: &BTreeSet<String>,
) -> ServiceResult<Vec<channel_listing::Model>> {
    let keys: Vec<String> = keys.iter().cloned().collect();
    let mut out = Vec::new();
    for chunk in keys.chunks(IN_CHUNK) {
        out.extend(
            channel_listing::Entity::find()
                .filter(channel_listing::Column::ChannelId.eq(channel_id))
                .filter(channel_listing::Column::SellerSku.is_in(chunk.to_vec()))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

pub fn listing_options(l: &channel_listing::Model) -> Vec<(String, String)> {
    l.options.clone().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default()
}

fn to_listing_sku(l: &channel_listing::Model) -> ListingSku {
    ListingSku {
        listing_id: l.id,
        seller_sku: l.seller_sku.clone(),
        title: l.title.clone(),
        options: listing_options(l),
        list_price_minor: l.list_price_minor,
        excluded: l.link_excluded,
    }
}

/// Matching decisions for `variants` against the channel's stored listings (no writes: also the preview).
pub async fn decide(
    db: &DatabaseConnection,
    channel: &channel::Model,
    variants: &[HubVariant],
) -> ServiceResult<Vec<Decision>> {
    let keys: BTreeSet<String> = variants.iter().filter_map(|v| v.key(channel.match_key).map(str::to_owned)).collect();
    let owners = key_owners(db, channel.match_key, &keys).await?;
    let listings: Vec<ListingSku> =
        listings_with_keys(db, channel.id, &keys).await?.iter().map(to_listing_sku).collect();
    let ctx = MatchContext {
        key: channel.match_key,
        key_owners: &owners,
        check_price: channel.sync_price,
        currency: super::channels::currency(channel),
    };
    Ok(linking::match_variants(variants, &listings, &ctx))
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkCounts {
    pub products_linked: i64,
    pub products_failed: i64,
    pub variants_linked: i64,
    pub variants_failed: i64,
}

/// Rows per multi-row INSERT when writing links and sync errors.
const WRITE_CHUNK: usize = 200;

/// Writes the decisions for one batch of products in one transaction, in a handful of statements whatever the
/// batch size (no per-variant round trip): links upserted on their listing, variant-level link errors replaced,
/// sync errors opened, counted again, or resolved. Links these variants had that matching no longer makes are
/// removed — unless the merchant unlinked them.
pub async fn apply_decisions(
    db: &DatabaseConnection,
    channel_id: i64,
    variants: &[HubVariant],
    decisions: &[Decision],
) -> ServiceResult<LinkCounts> {
    let at = now();
    let variant_ids: Vec<i64> = variants.iter().map(|v| v.id).collect();
    let by_id: HashMap<i64, &HubVariant> = variants.iter().map(|v| (v.id, v)).collect();

    // What matching wants, per variant: its linked listings, or its first failure.
    let mut linked: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    let mut failed: BTreeMap<i64, (LinkErrorCode, String, Option<i64>)> = BTreeMap::new();
    for d in decisions {
        match &d.outcome {
            Outcome::Linked { listing_id } => linked.entry(d.variant_id).or_default().push(*listing_id),
            Outcome::Failed { code, message, listing_id } => {
                failed.entry(d.variant_id).or_insert_with(|| (*code, message.clone(), *listing_id));
            }
        }
    }
    failed.retain(|v, _| !linked.contains_key(v));

    let txn = begin_write(db).await?;
    // Listing links wanted now: (listing, variant, state, error).
    type Wanted = (i64, i64, LinkState, Option<(LinkErrorCode, String)>);
    let mut wanted: Vec<Wanted> = Vec::new();
    for (variant_id, listings) in &linked {
        wanted.extend(listings.iter().map(|l| (*l, *variant_id, LinkState::Linked, None)));
    }
    for (variant_id, (code, message, listing)) in &failed {
        if let Some(l) = listing {
            wanted.push((*l, *variant_id, LinkState::LinkError, Some((*code, message.clone()))));
        }
    }
    let wanted_listings: Vec<i64> = wanted.iter().map(|w| w.0).collect();
    let mut existing: HashMap<i64, product_link::Model> = HashMap::new();
    for chunk in wanted_listings.chunks(IN_CHUNK) {
        for l in
            product_link::Entity::find().filter(product_link::Column::ListingId.is_in(chunk.to_vec())).all(&txn).await?
        {
            if let Some(listing_id) = l.listing_id {
                existing.insert(listing_id, l);
            }
        }
    }

    // Stale links of these variants (and all their listing-less error rows, rewritten below).
    for chunk in variant_ids.chunks(IN_CHUNK) {
        let mut stale = product_link::Entity::delete_many()
            .filter(product_link::Column::ChannelId.eq(channel_id))
            .filter(product_link::Column::VariantId.is_in(chunk.to_vec()))
            .filter(product_link::Column::State.ne(LinkState::Unlinked));
        if !wanted_listings.is_empty() && wanted_listings.len() <= IN_CHUNK * 4 {
            stale = stale.filter(
                Condition::any()
                    .add(product_link::Column::ListingId.is_null())
                    .add(product_link::Column::ListingId.is_not_in(wanted_listings.clone())),
            );
        } else if !wanted_listings.is_empty() {
            // Very large batches: keep every row that has a listing; upserts below overwrite the wanted ones and
            // a second pass removes listing links no longer wanted.
            stale = stale.filter(product_link::Column::ListingId.is_null());
        }
        stale.exec(&txn).await?;
    }

    let rows: Vec<product_link::ActiveModel> = wanted
        .iter()
        .map(|(listing_id, variant_id, state, error)| {
            let prior = existing.get(listing_id);
            let product_id = by_id.get(variant_id).map(|v| v.product_id);
            let same_variant = prior.is_some_and(|p| p.variant_id == Some(*variant_id));
            let is_linked = *state == LinkState::Linked;
            product_link::ActiveModel {
                channel_id: Set(channel_id),
                listing_id: Set(Some(*listing_id)),
                variant_id: Set(Some(*variant_id)),
                product_id: Set(product_id),
                state: Set(*state),
                error_code: Set(error.as_ref().map(|(c, _)| c.as_str().to_owned())),
                error_message: Set(error.as_ref().map(|(_, m)| m.clone())),
                // What was pushed for another variant says nothing about this one.
                last_pushed_quantity: Set(prior.filter(|_| same_variant).and_then(|p| p.last_pushed_quantity)),
                last_pushed_price_minor: Set(prior.filter(|_| same_variant).and_then(|p| p.last_pushed_price_minor)),
                last_pushed_at: Set(prior.filter(|_| same_variant).and_then(|p| p.last_pushed_at)),
                push_pending: Set(is_linked),
                push_requested_at: Set(if is_linked { Some(at) } else { prior.and_then(|p| p.push_requested_at) }),
                linked_at: Set(if is_linked { Some(at) } else { prior.and_then(|p| p.linked_at) }),
                created_at: Set(prior.map(|p| p.created_at).unwrap_or(at)),
                updated_at: Set(at),
                ..Default::default()
            }
        })
        .collect();
    for chunk in rows.chunks(WRITE_CHUNK) {
        product_link::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(product_link::Column::ListingId)
                    .update_columns([
                        product_link::Column::ChannelId,
                        product_link::Column::VariantId,
                        product_link::Column::ProductId,
                        product_link::Column::State,
                        product_link::Column::ErrorCode,
                        product_link::Column::ErrorMessage,
                        product_link::Column::LastPushedQuantity,
                        product_link::Column::LastPushedPriceMinor,
                        product_link::Column::LastPushedAt,
                        product_link::Column::PushPending,
                        product_link::Column::PushRequestedAt,
                        product_link::Column::LinkedAt,
                        product_link::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    if wanted_listings.len() > IN_CHUNK * 4 {
        // Second pass of very large batches: listing links of these variants that matching did not make now.
        let wanted_set: BTreeSet<i64> = wanted_listings.iter().copied().collect();
        for chunk in variant_ids.chunks(IN_CHUNK) {
            let stale: Vec<i64> = product_link::Entity::find()
                .filter(product_link::Column::ChannelId.eq(channel_id))
                .filter(product_link::Column::VariantId.is_in(chunk.to_vec()))
                .filter(product_link::Column::State.ne(LinkState::Unlinked))
                .all(&txn)
                .await?
                .into_iter()
                .filter(|l| l.listing_id.is_some_and(|id| !wanted_set.contains(&id)))
                .map(|l| l.id)
                .collect();
            if !stale.is_empty() {
                product_link::Entity::delete_many().filter(product_link::Column::Id.is_in(stale)).exec(&txn).await?;
            }
        }
    }

    let error_rows: Vec<product_link::ActiveModel> = failed
        .iter()
        .filter(|(_, (_, _, listing))| listing.is_none())
        .map(|(variant_id, (code, message, _))| product_link::ActiveModel {
            channel_id: Set(channel_id),
            listing_id: Set(None),
            variant_id: Set(Some(*variant_id)),
            product_id: Set(by_id.get(variant_id).map(|v| v.product_id)),
            state: Set(LinkState::LinkError),
            error_code: Set(Some(code.as_str().to_owned())),
            error_message: Set(Some(message.clone())),
            last_pushed_quantity: Set(None),
            last_pushed_price_minor: Set(None),
            last_pushed_at: Set(None),
            push_pending: Set(false),
            push_requested_at: Set(None),
            linked_at: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        })
        .collect();
    for chunk in error_rows.chunks(WRITE_CHUNK) {
        product_link::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
    }

    record_link_errors(&txn, channel_id, &variant_ids, &failed, at).await?;
    txn.commit().await?;

    let mut counts = LinkCounts {
        variants_linked: linked.len() as i64,
        variants_failed: failed.len() as i64,
        ..LinkCounts::default()
    };
    let products: BTreeSet<i64> = variants.iter().map(|v| v.product_id).collect();
    for p in products {
        match linking::product_state(decisions, p) {
            Ok(()) => counts.products_linked += 1,
            Err(_) => counts.products_failed += 1,
        }
    }
    Ok(counts)
}

/// Sync errors of a batch, in bulk: one open error per (channel, variant, code) — repeats count occurrences —
/// and every other open product error of these variants resolved (the data changed, or the link now works).
async fn record_link_errors<C: ConnectionTrait>(
    txn: &C,
    channel_id: i64,
    variant_ids: &[i64],
    failed: &BTreeMap<i64, (LinkErrorCode, String, Option<i64>)>,
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<()> {
    let mut open: Vec<sync_error::Model> = Vec::new();
    for chunk in variant_ids.chunks(IN_CHUNK) {
        open.extend(
            sync_error::Entity::find()
                .filter(sync_error::Column::ChannelId.eq(channel_id))
                .filter(sync_error::Column::Kind.eq(SyncErrorKind::Product))
                .filter(sync_error::Column::VariantId.is_in(chunk.to_vec()))
                .filter(sync_error::Column::ResolvedAt.is_null())
                .all(txn)
                .await?,
        );
    }
    let mut repeat = Vec::new();
    let mut resolve = Vec::new();
    let mut still_open: BTreeSet<i64> = BTreeSet::new();
    for e in &open {
        let same = e.variant_id.and_then(|v| failed.get(&v)).is_some_and(|(code, _, _)| code.as_str() == e.code);
        if same {
            repeat.push(e.id);
            still_open.extend(e.variant_id);
        } else {
            resolve.push(e.id);
        }
    }
    for chunk in resolve.chunks(IN_CHUNK) {
        sync_error::Entity::update_many()
            .col_expr(sync_error::Column::ResolvedAt, Expr::value(at))
            .filter(sync_error::Column::Id.is_in(chunk.to_vec()))
            .exec(txn)
            .await?;
    }
    for chunk in repeat.chunks(IN_CHUNK) {
        sync_error::Entity::update_many()
            .col_expr(sync_error::Column::Occurrences, Expr::col(sync_error::Column::Occurrences).add(1))
            .col_expr(sync_error::Column::LastSeenAt, Expr::value(at))
            .filter(sync_error::Column::Id.is_in(chunk.to_vec()))
            .exec(txn)
            .await?;
    }
    let new_rows: Vec<sync_error::ActiveModel> = failed
        .iter()
        .filter(|(v, _)| !still_open.contains(v))
        .map(|(variant_id, (code, message, listing_id))| sync_error::ActiveModel {
            channel_id: Set(Some(channel_id)),
            kind: Set(SyncErrorKind::Product),
            code: Set(code.as_str().to_owned()),
            message: Set(message.clone()),
            product_link_id: Set(None),
            variant_id: Set(Some(*variant_id)),
            listing_id: Set(*listing_id),
            order_id: Set(None),
            details: Set(None),
            occurrences: Set(1),
            first_seen_at: Set(at),
            last_seen_at: Set(at),
            resolved_at: Set(None),
            dismissed_at: Set(None),
            ..Default::default()
        })
        .collect();
    for chunk in new_rows.chunks(WRITE_CHUNK) {
        sync_error::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    Ok(())
}

async fn upsert_listing_link<C: ConnectionTrait>(
    txn: &C,
    channel_id: i64,
    listing_id: i64,
    v: &HubVariant,
    state: LinkState,
    error: Option<(LinkErrorCode, &str)>,
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<i64> {
    let existing = product_link::Entity::find().filter(product_link::Column::ListingId.eq(listing_id)).one(txn).await?;
    let linked = state == LinkState::Linked;
    let (code, message) = error.map(|(c, m)| (Some(c.as_str().to_owned()), Some(m.to_owned()))).unwrap_or((None, None));
    let model = match existing {
        Some(link) => {
            let relinked_to_other = link.variant_id != Some(v.id);
            let mut active: product_link::ActiveModel = link.into();
            active.variant_id = Set(Some(v.id));
            active.product_id = Set(Some(v.product_id));
            active.state = Set(state);
            active.error_code = Set(code);
            active.error_message = Set(message);
            if linked {
                active.linked_at = Set(Some(at));
                active.push_pending = Set(true);
                active.push_requested_at = Set(Some(at));
            }
            if relinked_to_other {
                active.last_pushed_quantity = Set(None);
                active.last_pushed_price_minor = Set(None);
                active.last_pushed_at = Set(None);
            }
            active.updated_at = Set(at);
            active.update(txn).await?
        }
        None => {
            product_link::ActiveModel {
                channel_id: Set(channel_id),
                listing_id: Set(Some(listing_id)),
                variant_id: Set(Some(v.id)),
                product_id: Set(Some(v.product_id)),
                state: Set(state),
                error_code: Set(code),
                error_message: Set(message),
                last_pushed_quantity: Set(None),
                last_pushed_price_minor: Set(None),
                last_pushed_at: Set(None),
                push_pending: Set(linked),
                push_requested_at: Set(linked.then_some(at)),
                linked_at: Set(linked.then_some(at)),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            }
            .insert(txn)
            .await?
        }
    };
    Ok(model.id)
}

/// The cause is fixed: the variant's open product errors on this channel are resolved (history kept).
async fn resolve_sync_errors<C: ConnectionTrait>(
    txn: &C,
    channel_id: i64,
    variant_id: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<()> {
    sync_error::Entity::update_many()
        .col_expr(sync_error::Column::ResolvedAt, Expr::value(at))
        .filter(sync_error::Column::ChannelId.eq(channel_id))
        .filter(sync_error::Column::VariantId.eq(variant_id))
        .filter(sync_error::Column::Kind.eq(SyncErrorKind::Product))
        .filter(sync_error::Column::ResolvedAt.is_null())
        .exec(txn)
        .await?;
    Ok(())
}

/// The products behind links (for relink): chosen link ids, or every link in LINK_ERROR on the channel.
pub async fn products_of_links(
    db: &DatabaseConnection,
    channel_id: i64,
    link_ids: Option<&[i64]>,
) -> ServiceResult<Vec<i64>> {
    let mut select = product_link::Entity::find()
        .select_only()
        .column(product_link::Column::ProductId)
        .filter(product_link::Column::ChannelId.eq(channel_id))
        .filter(product_link::Column::ProductId.is_not_null());
    select = match link_ids {
        Some(ids) => select.filter(product_link::Column::Id.is_in(ids.to_vec())),
        None => select.filter(product_link::Column::State.eq(LinkState::LinkError)),
    };
    let ids: BTreeSet<i64> = select.into_tuple::<Option<i64>>().all(db).await?.into_iter().flatten().collect();
    Ok(ids.into_iter().collect())
}

/// Links of the channel, in one of the four views (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    All,
    Synced,
    SyncError,
    LinkError,
}

pub async fn links(
    db: &DatabaseConnection,
    channel_id: i64,
    view: View,
    search: Option<&str>,
    page: &PageArgs,
) -> ServiceResult<Page<product_link::Model>> {
    let mut select = product_link::Entity::find().filter(product_link::Column::ChannelId.eq(channel_id));
    select = match view {
        View::All => select,
        View::Synced => select.filter(product_link::Column::State.eq(LinkState::Linked)),
        View::SyncError => select.filter(product_link::Column::State.eq(LinkState::SyncError)),
        View::LinkError => select.filter(product_link::Column::State.eq(LinkState::LinkError)),
    };
    if let Some(term) = search.map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = prefix_pattern(term);
        let variants = Query::select()
            .column(product_variant::Column::Id)
            .from(product_variant::Entity)
            .cond_where(
                Condition::any()
                    .add(product_variant::Column::Sku.like(LikeExpr::new(pattern.clone()).escape('\\')))
                    .add(product_variant::Column::Barcode.like(LikeExpr::new(pattern.clone()).escape('\\'))),
            )
            .to_owned();
        let listings = Query::select()
            .column(channel_listing::Column::Id)
            .from(channel_listing::Entity)
            .and_where(channel_listing::Column::SellerSku.like(LikeExpr::new(pattern).escape('\\')))
            .to_owned();
        let products = Query::select()
            .column(product::Column::Id)
            .from(product::Entity)
            .and_where(
                Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(product::Column::Title)))
                    .like(LikeExpr::new(super::contains_pattern(&term.to_lowercase())).escape('\\')),
            )
            .to_owned();
        select = select.filter(
            Condition::any()
                .add(product_link::Column::VariantId.in_subquery(variants))
                .add(product_link::Column::ListingId.in_subquery(listings))
                .add(product_link::Column::ProductId.in_subquery(products)),
        );
    }
    paginate(db, select, product_link::Column::Id, page).await
}

pub async fn link(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<product_link::Model>> {
    Ok(product_link::Entity::find_by_id(id).one(db).await?)
}

pub async fn listing(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<channel_listing::Model>> {
    Ok(channel_listing::Entity::find_by_id(id).one(db).await?)
}

/// Manual link (SPEC §2 [Biz]): attaches a listing to a chosen variant (or changes it), whatever matching says.
pub async fn set_link(db: &DatabaseConnection, listing_id: i64, variant_id: i64) -> ServiceResult<product_link::Model> {
    let listing = listing(db, listing_id).await?.ok_or_else(|| ServiceError::not_found(&["listingId"], "Listing"))?;
    if listing.link_excluded {
        return Err(ServiceError::rejected(
            &["listingId"],
            ErrorCode::InvalidState,
            format!("listing \"{}\" was removed from sync for good and can't be linked", listing.title),
        ));
    }
    let variant = product_variant::Entity::find_by_id(variant_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["variantId"], "Variant"))?;
    let title = product::Entity::find_by_id(variant.product_id).one(db).await?.map(|p| p.title).unwrap_or_default();
    let hub = to_hub_variant(&variant, title);
    let txn = begin_write(db).await?;
    let at = now();
    let id = upsert_listing_link(&txn, listing.channel_id, listing.id, &hub, LinkState::Linked, None, at).await?;
    // The variant now has a link on this channel: its variant-level link errors are gone.
    product_link::Entity::delete_many()
        .filter(product_link::Column::ChannelId.eq(listing.channel_id))
        .filter(product_link::Column::VariantId.eq(variant.id))
        .filter(product_link::Column::ListingId.is_null())
        .exec(&txn)
        .await?;
    resolve_sync_errors(&txn, listing.channel_id, variant.id, at).await?;
    // Orders already imported with this listing show the hub product (SPEC §2 [Biz]). Lines that already moved
    // stock keep their variant: the order import releases and re-reserves those when it next applies the order.
    entity::order_line::Entity::update_many()
        .col_expr(entity::order_line::Column::VariantId, Expr::value(variant.id))
        .col_expr(entity::order_line::Column::Unit, Expr::value(variant.unit.clone()))
        .col_expr(entity::order_line::Column::ImageUrl, Expr::value(variant.image_url.clone()))
        .filter(entity::order_line::Column::ListingId.eq(listing.id))
        .filter(entity::order_line::Column::ReservedQuantity.eq(0))
        .filter(entity::order_line::Column::FulfilledQuantity.eq(0))
        .exec(&txn)
        .await?;
    let model = product_link::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::Unexpected(anyhow::anyhow!("link vanished")))?;
    txn.commit().await?;
    Ok(model)
}

/// Unlink ("ngắt đồng bộ"): stops syncing; can be relinked later.
pub async fn unlink(db: &DatabaseConnection, ids: &[i64]) -> ServiceResult<Vec<product_link::Model>> {
    let txn = begin_write(db).await?;
    let found = product_link::Entity::find().filter(product_link::Column::Id.is_in(ids.to_vec())).all(&txn).await?;
    check_all_found(ids, &found)?;
    product_link::Entity::update_many()
        .col_expr(product_link::Column::State, Expr::value(LinkState::Unlinked))
        .col_expr(product_link::Column::PushPending, Expr::value(false))
        .col_expr(product_link::Column::UpdatedAt, Expr::value(now()))
        .filter(product_link::Column::Id.is_in(ids.to_vec()))
        .exec(&txn)
        .await?;
    let out = product_link::Entity::find().filter(product_link::Column::Id.is_in(ids.to_vec())).all(&txn).await?;
    txn.commit().await?;
    Ok(out)
}

/// Delete link ("hủy đồng bộ"): permanent; the listing leaves the sync list and cannot be linked again.
pub async fn delete_links(db: &DatabaseConnection, ids: &[i64]) -> ServiceResult<Vec<i64>> {
    let txn = begin_write(db).await?;
    let found = product_link::Entity::find().filter(product_link::Column::Id.is_in(ids.to_vec())).all(&txn).await?;
    check_all_found(ids, &found)?;
    let listing_ids: Vec<i64> = found.iter().filter_map(|l| l.listing_id).collect();
    channel_listing::Entity::update_many()
        .col_expr(channel_listing::Column::LinkExcluded, Expr::value(true))
        .col_expr(channel_listing::Column::UpdatedAt, Expr::value(now()))
        .filter(channel_listing::Column::Id.is_in(listing_ids))
        .exec(&txn)
        .await?;
    product_link::Entity::delete_many().filter(product_link::Column::Id.is_in(ids.to_vec())).exec(&txn).await?;
    txn.commit().await?;
    Ok(ids.to_vec())
}

fn check_all_found(ids: &[i64], found: &[product_link::Model]) -> ServiceResult<()> {
    let missing: Vec<usize> =
        ids.iter().enumerate().filter(|(_, id)| !found.iter().any(|l| l.id == **id)).map(|(i, _)| i).collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ServiceError::Rejected(
        missing
            .into_iter()
            .map(|i| {
                crate::domain::errors::FieldError::new(
                    &["linkIds", &i.to_string()],
                    ErrorCode::NotFound,
                    "Link not found",
                )
            })
            .collect(),
    ))
}

/// Links whose hub variant is being deleted report the loss (SPEC §2 [Sapo]) before the variant goes.
pub async fn mark_variants_deleted<C: ConnectionTrait>(txn: &C, variant_ids: &[i64]) -> ServiceResult<()> {
    if variant_ids.is_empty() {
        return Ok(());
    }
    let links = product_link::Entity::find()
        .filter(product_link::Column::VariantId.is_in(variant_ids.to_vec()))
        .all(txn)
        .await?;
    let at = now();
    for l in links {
        let variant = product_variant::Entity::find_by_id(l.variant_id.unwrap_or_default()).one(txn).await?;
        let label = match &variant {
            Some(v) => {
                let title =
                    product::Entity::find_by_id(v.product_id).one(txn).await?.map(|p| p.title).unwrap_or_default();
                format!("{title} / {}", v.title)
            }
            None => "the hub variant".to_owned(),
        };
        let message =
            format!("{label} was deleted from the hub: link the listing to another variant, or delete the link");
        if l.listing_id.is_none() {
            product_link::Entity::delete_by_id(l.id).exec(txn).await?;
            continue;
        }
        let channel_id = l.channel_id;
        let listing_id = l.listing_id;
        let mut active: product_link::ActiveModel = l.into();
        active.state = Set(LinkState::LinkError);
        active.error_code = Set(Some(LinkErrorCode::VariantDeleted.as_str().to_owned()));
        active.error_message = Set(Some(message.clone()));
        active.push_pending = Set(false);
        active.updated_at = Set(at);
        let link = active.update(txn).await?;
        sync_error::ActiveModel {
            channel_id: Set(Some(channel_id)),
            kind: Set(SyncErrorKind::Product),
            code: Set(LinkErrorCode::VariantDeleted.as_str().to_owned()),
            message: Set(message),
            product_link_id: Set(Some(link.id)),
            variant_id: Set(None),
            listing_id: Set(listing_id),
            order_id: Set(None),
            details: Set(None),
            occurrences: Set(1),
            first_seen_at: Set(at),
            last_seen_at: Set(at),
            resolved_at: Set(None),
            dismissed_at: Set(None),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// How many listings a channel has stored.
pub async fn listing_count(db: &DatabaseConnection, channel_id: i64) -> ServiceResult<u64> {
    Ok(channel_listing::Entity::find().filter(channel_listing::Column::ChannelId.eq(channel_id)).count(db).await?)
}

/// Every listing of the channel's product `external_product_id` (a multi-SKU listing).
pub async fn listings_of_product(
    db: &DatabaseConnection,
    channel_id: i64,
    external_product_id: &str,
) -> ServiceResult<Vec<channel_listing::Model>> {
    Ok(channel_listing::Entity::find()
        .filter(channel_listing::Column::ChannelId.eq(channel_id))
        .filter(channel_listing::Column::ExternalProductId.eq(external_product_id))
        .order_by_asc(channel_listing::Column::Id)
        .all(db)
        .await?)
}

/// A product's link state on a channel (SPEC §2): linked only when every variant is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductLinkState {
    NotLinked,
    Linked,
    /// The variants without a working link.
    Failed(Vec<i64>),
}

pub async fn product_link_state(
    db: &DatabaseConnection,
    channel_id: i64,
    product_id: i64,
) -> ServiceResult<ProductLinkState> {
    let variants: Vec<i64> = product_variant::Entity::find()
        .select_only()
        .column(product_variant::Column::Id)
        .filter(product_variant::Column::ProductId.eq(product_id))
        .order_by_asc(product_variant::Column::Position)
        .into_tuple()
        .all(db)
        .await?;
    let links = product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(channel_id))
        .filter(product_link::Column::VariantId.is_in(variants.clone()))
        .all(db)
        .await?;
    if links.is_empty() {
        return Ok(ProductLinkState::NotLinked);
    }
    let failing: Vec<i64> = variants
        .into_iter()
        .filter(|v| {
            !links
                .iter()
                .any(|l| l.variant_id == Some(*v) && matches!(l.state, LinkState::Linked | LinkState::SyncError))
        })
        .collect();
    Ok(if failing.is_empty() { ProductLinkState::Linked } else { ProductLinkState::Failed(failing) })
}

/// Creates a hub product from a channel listing's product (all its SKUs not linked yet) and links each SKU to
/// the new variant (SPEC §2 [Biz]). The matching field becomes the variant's barcode or SKU per `matchKey`.
/// `cost_is_price`: the web store's "create missing" sets the hub cost price to the store's retail price [Sapo].
pub async fn create_product_from_listing(
    db: &DatabaseConnection,
    hub_currency: &str,
    listing_id: i64,
    cost_is_price: bool,
) -> ServiceResult<(product::Model, Vec<product_link::Model>)> {
    let first = listing(db, listing_id).await?.ok_or_else(|| ServiceError::not_found(&["listingId"], "Listing"))?;
    let channel = channel::Entity::find_by_id(first.channel_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["listingId"], "Channel"))?;
    let linked: BTreeSet<i64> = product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(channel.id))
        .filter(product_link::Column::State.eq(LinkState::Linked))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|l| l.listing_id)
        .collect();
    let siblings: Vec<channel_listing::Model> = listings_of_product(db, channel.id, &first.external_product_id)
        .await?
        .into_iter()
        .filter(|l| !l.link_excluded && !linked.contains(&l.id))
        .collect();
    if siblings.is_empty() {
        return Err(ServiceError::rejected(
            &["listingId"],
            ErrorCode::InvalidState,
            format!("every SKU of \"{}\" is already linked or removed from sync", first.title),
        ));
    }
    let channel_currency = super::channels::currency(&channel);
    let variants = siblings
        .iter()
        .map(|l| {
            let code = l.seller_sku.clone();
            super::catalog::VariantFields {
                title: l.variant_title.clone().filter(|t| !t.trim().is_empty()),
                sku: Some(code.clone()),
                barcode: Some(if channel.match_key == MatchKey::Barcode { code } else { None }),
                price: Some(crate::domain::money::from_minor(l.price_minor.unwrap_or(0), channel_currency)),
                list_price: l.list_price_minor.map(|p| Some(crate::domain::money::from_minor(p, channel_currency))),
                cost_price: cost_is_price
                    .then(|| Some(crate::domain::money::from_minor(l.price_minor.unwrap_or(0), channel_currency))),
                options: Some(
                    listing_options(l)
                        .into_iter()
                        .map(|(name, value)| super::catalog::OptionPair { name, value })
                        .collect(),
                ),
                ..Default::default()
            }
        })
        .collect();
    let fields = super::catalog::ProductFields { title: Some(first.title.clone()), ..Default::default() };
    let (product, created) =
        super::catalog::product_create(db, hub_currency, fields, variants).await.map_err(|e| match e {
            ServiceError::Rejected(errors) => ServiceError::Rejected(
                errors
                    .into_iter()
                    .map(|mut e| {
                        e.message = format!("the listing cannot become a hub product: {}", e.message);
                        e.field = vec!["listingId".into()];
                        e
                    })
                    .collect(),
            ),
            other => other,
        })?;
    let mut links = Vec::with_capacity(created.len());
    for (variant, listing) in created.iter().zip(&siblings) {
        links.push(set_link(db, listing.id, variant.id).await?);
    }
    Ok((product, links))
}

/// One field of a link comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldComparison {
    pub field: &'static str,
    pub hub: Option<String>,
    pub channel: Option<String>,
    pub differs: bool,
}

/// The hub variant and its channel listing side by side (SPEC §2 [Sapo]).
pub async fn compare(db: &DatabaseConnection, hub_currency: &str, link_id: i64) -> ServiceResult<Vec<FieldComparison>> {
    let link = link(db, link_id).await?.ok_or_else(|| ServiceError::not_found(&["linkId"], "Link"))?;
    let listing = match link.listing_id {
        Some(id) => listing(db, id).await?,
        None => None,
    };
    let variant = match link.variant_id {
        Some(id) => product_variant::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let product = match &variant {
        Some(v) => product::Entity::find_by_id(v.product_id).one(db).await?,
        None => None,
    };
    let channel = channel::Entity::find_by_id(link.channel_id).one(db).await?;
    let channel_currency = channel.as_ref().map(super::channels::currency).unwrap_or(hub_currency);
    let money = |m: Option<i64>, currency: &str| {
        m.map(|m| format!("{} {currency}", crate::domain::money::from_minor(m, currency)))
    };
    let hub_key = match (channel.as_ref().map(|c| c.match_key), &variant) {
        (Some(MatchKey::Sku), Some(v)) => v.sku.clone(),
        (_, Some(v)) => v.barcode.clone(),
        _ => None,
    };
    let hub_options = variant.as_ref().map(|v| {
        super::catalog::stored_options(v)
            .into_iter()
            .map(|o| format!("{}: {}", o.name, o.value))
            .collect::<Vec<_>>()
            .join(", ")
    });
    let channel_options = listing
        .as_ref()
        .map(|l| listing_options(l).into_iter().map(|(n, v)| format!("{n}: {v}")).collect::<Vec<_>>().join(", "));
    let hub_stock = match &variant {
        Some(v) => Some(
            entity::inventory_level::Entity::find()
                .filter(entity::inventory_level::Column::VariantId.eq(v.id))
                .all(db)
                .await?
                .iter()
                .map(|l| l.on_hand)
                .sum::<i64>()
                .to_string(),
        ),
        None => None,
    };
    let rows = vec![
        ("title", product.as_ref().map(|p| p.title.clone()), listing.as_ref().map(|l| l.title.clone())),
        (
            "variantTitle",
            variant.as_ref().map(|v| v.title.clone()),
            listing.as_ref().and_then(|l| l.variant_title.clone()),
        ),
        ("matchKey", hub_key, listing.as_ref().and_then(|l| l.seller_sku.clone())),
        (
            "price",
            money(variant.as_ref().map(|v| v.price_minor), hub_currency),
            money(listing.as_ref().and_then(|l| l.price_minor), channel_currency),
        ),
        (
            "listPrice",
            money(variant.as_ref().and_then(|v| v.list_price_minor), hub_currency),
            money(listing.as_ref().and_then(|l| l.list_price_minor), channel_currency),
        ),
        ("options", hub_options, channel_options),
        ("quantity", hub_stock, listing.as_ref().and_then(|l| l.quantity.map(|q| q.to_string()))),
    ];
    Ok(rows
        .into_iter()
        .map(|(field, hub, channel)| FieldComparison { differs: hub != channel, field, hub, channel })
        .collect())
}

/// The stored listings of a channel (for manual linking), by seller SKU prefix or title.
pub async fn listings(
    db: &DatabaseConnection,
    channel_id: i64,
    search: Option<&str>,
    unlinked_only: bool,
    page: &PageArgs,
) -> ServiceResult<Page<channel_listing::Model>> {
    let mut select = channel_listing::Entity::find().filter(channel_listing::Column::ChannelId.eq(channel_id));
    if let Some(term) = search.map(str::trim).filter(|t| !t.is_empty()) {
        select = select.filter(
            Condition::any()
                .add(channel_listing::Column::SellerSku.like(LikeExpr::new(prefix_pattern(term)).escape('\\')))
                .add(
                    Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(channel_listing::Column::Title)))
                        .like(LikeExpr::new(super::contains_pattern(&term.to_lowercase())).escape('\\')),
                ),
        );
    }
    if unlinked_only {
        let linked = Query::select()
            .column(product_link::Column::ListingId)
            .from(product_link::Entity)
            .and_where(product_link::Column::ListingId.is_not_null())
            .and_where(product_link::Column::State.eq(LinkState::Linked))
            .to_owned();
        select = select.filter(channel_listing::Column::Id.not_in_subquery(linked));
    }
    paginate(db, select, channel_listing::Column::Id, page).await
}

/// Hub products of `product_ids` that the channel lacks entirely: every variant's link error is
/// NOT_FOUND_ON_CHANNEL (the web store's "create missing" makes them there).
pub async fn products_missing_on_channel(
    db: &DatabaseConnection,
    channel_id: i64,
    product_ids: &[i64],
) -> ServiceResult<Vec<i64>> {
    let mut missing = Vec::new();
    for chunk in product_ids.chunks(IN_CHUNK) {
        let variants: Vec<(i64, i64)> = product_variant::Entity::find()
            .select_only()
            .column(product_variant::Column::Id)
            .column(product_variant::Column::ProductId)
            .filter(product_variant::Column::ProductId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        let not_found: BTreeSet<i64> = product_link::Entity::find()
            .filter(product_link::Column::ChannelId.eq(channel_id))
            .filter(product_link::Column::ProductId.is_in(chunk.to_vec()))
            .filter(product_link::Column::ErrorCode.eq(LinkErrorCode::NotFoundOnChannel.as_str()))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|l| l.variant_id)
            .collect();
        let mut by_product: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for (variant, product) in variants {
            by_product.entry(product).or_default().push(variant);
        }
        missing
            .extend(by_product.into_iter().filter(|(_, vs)| vs.iter().all(|v| not_found.contains(v))).map(|(p, _)| p));
    }
    Ok(missing)
}

/// The channel's products none of whose SKUs is linked or known to the hub (by SKU): the web store's products
/// that "create missing" brings into the hub. One listing id per channel product.
pub async fn listing_products_unknown_to_hub(db: &DatabaseConnection, channel_id: i64) -> ServiceResult<Vec<i64>> {
    let listings = channel_listing::Entity::find()
        .filter(channel_listing::Column::ChannelId.eq(channel_id))
        .filter(channel_listing::Column::LinkExcluded.eq(false))
        .order_by_asc(channel_listing::Column::Id)
        .all(db)
        .await?;
    let codes: BTreeSet<String> = listings.iter().filter_map(|l| l.seller_sku.clone()).collect();
    let mut known: BTreeSet<String> = BTreeSet::new();
    let codes: Vec<String> = codes.into_iter().collect();
    for chunk in codes.chunks(IN_CHUNK) {
        let found: Vec<Option<String>> = product_variant::Entity::find()
            .select_only()
            .column(product_variant::Column::Sku)
            .filter(product_variant::Column::Sku.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        known.extend(found.into_iter().flatten());
    }
    let linked: BTreeSet<i64> = product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(channel_id))
        .filter(product_link::Column::ListingId.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .filter_map(|l| l.listing_id)
        .collect();
    let mut groups: BTreeMap<String, Vec<&channel_listing::Model>> = BTreeMap::new();
    for l in &listings {
        groups.entry(l.external_product_id.clone()).or_default().push(l);
    }
    Ok(groups
        .into_values()
        .filter(|g| {
            g.iter().all(|l| !linked.contains(&l.id) && l.seller_sku.as_ref().is_some_and(|s| !known.contains(s)))
        })
        .filter_map(|g| g.first().map(|l| l.id))
        .collect())
}

/// The hub product as a web store draft (SKUs, prices in the channel's minor units, options); `None` when a
/// variant has no SKU (it cannot be matched back).
pub async fn draft_for_channel(
    db: &DatabaseConnection,
    product_id: i64,
) -> ServiceResult<Option<crate::channels::webstore::ProductDraft>> {
    let Some(p) = product::Entity::find_by_id(product_id).one(db).await? else { return Ok(None) };
    let variants = product_variant::Entity::find()
        .filter(product_variant::Column::ProductId.eq(product_id))
        .order_by_asc(product_variant::Column::Position)
        .all(db)
        .await?;
    let mut drafts = Vec::with_capacity(variants.len());
    for v in &variants {
        let Some(sku) = v.sku.clone() else { return Ok(None) };
        drafts.push(crate::channels::webstore::VariantDraft {
            seller_sku: sku,
            price_minor: v.price_minor,
            list_price_minor: v.list_price_minor,
            // Stock follows with the first push (the new links are push-pending).
            quantity: 0,
            options: super::catalog::stored_options(v).into_iter().map(|o| (o.name, o.value)).collect(),
        });
    }
    Ok(Some(crate::channels::webstore::ProductDraft { title: p.title, variants: drafts }))
}

/// Refuses ids that do not exist: products (anywhere) and links (on the channel), each named by its index.
pub async fn check_request_ids(
    db: &DatabaseConnection,
    channel_id: i64,
    product_ids: Option<&[i64]>,
    link_ids: Option<&[i64]>,
) -> ServiceResult<()> {
    let mut errors = Vec::new();
    if let Some(ids) = product_ids {
        let mut found = BTreeSet::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let rows: Vec<i64> = product::Entity::find()
                .select_only()
                .column(product::Column::Id)
                .filter(product::Column::Id.is_in(chunk.to_vec()))
                .into_tuple()
                .all(db)
                .await?;
            found.extend(rows);
        }
        errors.extend(ids.iter().enumerate().filter(|(_, id)| !found.contains(id)).map(|(i, _)| {
            crate::domain::errors::FieldError::new(
                &["productIds", &i.to_string()],
                ErrorCode::NotFound,
                "Product not found",
            )
        }));
    }
    if let Some(ids) = link_ids {
        let mut found = BTreeSet::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let rows: Vec<i64> = product_link::Entity::find()
                .select_only()
                .column(product_link::Column::Id)
                .filter(product_link::Column::ChannelId.eq(channel_id))
                .filter(product_link::Column::Id.is_in(chunk.to_vec()))
                .into_tuple()
                .all(db)
                .await?;
            found.extend(rows);
        }
        errors.extend(ids.iter().enumerate().filter(|(_, id)| !found.contains(id)).map(|(i, _)| {
            crate::domain::errors::FieldError::new(
                &["linkIds", &i.to_string()],
                ErrorCode::NotFound,
                "Link not found on this channel (deleted links cannot be relinked)",
            )
        }));
    }
    if errors.is_empty() { Ok(()) } else { Err(ServiceError::Rejected(errors)) }
}
