//! The writes of one matched batch, in one transaction and a handful of statements whatever the batch size (no
//! per-variant round trip).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use entity::enums::{LinkState, SyncErrorKind};
use entity::{product_link, sync_error};

use super::batch::LinkCounts;
use super::{IN_CHUNK, now};
use crate::domain::events::HubEvent;
use crate::domain::linking::{self, Decision, HubVariant, LinkErrorCode, Outcome};
use crate::services::sync_errors::{raised_event, resolve_matching};
use crate::services::{ServiceResult, begin_write};

/// Rows per multi-row INSERT when writing links and sync errors.
const WRITE_CHUNK: usize = 200;
/// Up to this many wanted listings, stale links are removed in one pass filtered by them; above, the wanted
/// links are upserted first and the links no longer wanted removed in a second pass.
const ONE_PASS_MAX: usize = IN_CHUNK * 4;

type Timestamp = chrono::DateTime<chrono::Utc>;
/// A variant's first failure: code, message, and the listing it concerns, if any.
type Failure = (LinkErrorCode, String, Option<i64>);
/// A listing link wanted now: (listing, variant, state, error).
type Wanted = (i64, i64, LinkState, Option<(LinkErrorCode, String)>);

/// What matching wants, per variant: its linked listings, or (only when it has none) its first failure.
struct Wants {
    linked: BTreeMap<i64, Vec<i64>>,
    failed: BTreeMap<i64, Failure>,
}

impl Wants {
    fn of(decisions: &[Decision]) -> Self {
        let mut linked: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        let mut failed: BTreeMap<i64, Failure> = BTreeMap::new();
        for d in decisions {
            match &d.outcome {
                Outcome::Linked { listing_id } => linked.entry(d.variant_id).or_default().push(*listing_id),
                Outcome::Failed { code, message, listing_id } => {
                    failed.entry(d.variant_id).or_insert_with(|| (*code, message.clone(), *listing_id));
                }
                // The merchant's unlinked link is left as it is.
                Outcome::KeptUnlinked { .. } => {}
            }
        }
        failed.retain(|v, _| !linked.contains_key(v));
        Self { linked, failed }
    }

    /// The listing links wanted now: every linked listing, and a LINK_ERROR on the listing a failure concerns.
    fn listing_links(&self) -> Vec<Wanted> {
        let mut wanted: Vec<Wanted> = Vec::new();
        for (variant_id, listings) in &self.linked {
            wanted.extend(listings.iter().map(|l| (*l, *variant_id, LinkState::Linked, None)));
        }
        for (variant_id, (code, message, listing)) in &self.failed {
            if let Some(l) = listing {
                wanted.push((*l, *variant_id, LinkState::LinkError, Some((*code, message.clone()))));
            }
        }
        wanted
    }
}

/// Writes the decisions for one batch of products in one transaction, in a handful of statements whatever the
/// batch size (no per-variant round trip): links upserted on their listing, variant-level link errors replaced,
/// sync errors opened, counted again, or resolved. Links these variants had that matching no longer makes are
/// removed — unless the merchant unlinked them. Returns the counts and the live events of the sync errors opened
/// and resolved.
pub(super) async fn apply_decisions(
    db: &DatabaseConnection,
    channel_id: i64,
    variants: &[HubVariant],
    decisions: &[Decision],
) -> ServiceResult<(LinkCounts, Vec<HubEvent>)> {
    let at = now();
    let variant_ids: Vec<i64> = variants.iter().map(|v| v.id).collect();
    let product_of: HashMap<i64, i64> = variants.iter().map(|v| (v.id, v.product_id)).collect();
    let wants = Wants::of(decisions);

    let txn = begin_write(db).await?;
    let wanted = wants.listing_links();
    let wanted_listings: Vec<i64> = wanted.iter().map(|w| w.0).collect();
    let existing = links_of_listings(&txn, &wanted_listings).await?;
    remove_stale_links(&txn, channel_id, &variant_ids, &wanted_listings).await?;
    let rows: Vec<product_link::ActiveModel> =
        wanted.iter().map(|w| listing_link_row(channel_id, w, existing.get(&w.0), &product_of, at)).collect();
    upsert_listing_links(&txn, rows).await?;
    if wanted_listings.len() > ONE_PASS_MAX {
        remove_unwanted_listing_links(&txn, channel_id, &variant_ids, &wanted_listings).await?;
    }
    insert_error_rows(&txn, channel_id, &wants.failed, &product_of, at).await?;
    let mut sync_error_events = record_link_errors(&txn, channel_id, &variant_ids, &wants.failed, at).await?;
    let linked: Vec<i64> = wants.linked.values().flatten().copied().collect();
    sync_error_events.extend(resolve_listing_errors(&txn, channel_id, &linked, at).await?);
    txn.commit().await?;

    Ok((counts(variants, decisions, &wants), sync_error_events))
}

/// The links now on `listing_ids`, by listing.
async fn links_of_listings<C: ConnectionTrait>(
    txn: &C,
    listing_ids: &[i64],
) -> ServiceResult<HashMap<i64, product_link::Model>> {
    let mut existing: HashMap<i64, product_link::Model> = HashMap::new();
    for chunk in listing_ids.chunks(IN_CHUNK) {
        for l in
            product_link::Entity::find().filter(product_link::Column::ListingId.is_in(chunk.to_vec())).all(txn).await?
        {
            if let Some(listing_id) = l.listing_id {
                existing.insert(listing_id, l);
            }
        }
    }
    Ok(existing)
}

/// Removes the stale links of these variants (and all their listing-less error rows, rewritten later).
async fn remove_stale_links<C: ConnectionTrait>(
    txn: &C,
    channel_id: i64,
    variant_ids: &[i64],
    wanted_listings: &[i64],
) -> ServiceResult<()> {
    for chunk in variant_ids.chunks(IN_CHUNK) {
        let mut stale = product_link::Entity::delete_many()
            .filter(product_link::Column::ChannelId.eq(channel_id))
            .filter(product_link::Column::VariantId.is_in(chunk.to_vec()))
            .filter(product_link::Column::State.ne(LinkState::Unlinked));
        if !wanted_listings.is_empty() && wanted_listings.len() <= ONE_PASS_MAX {
            stale = stale.filter(
                Condition::any()
                    .add(product_link::Column::ListingId.is_null())
                    .add(product_link::Column::ListingId.is_not_in(wanted_listings.to_vec())),
            );
        } else if !wanted_listings.is_empty() {
            // Very large batches: keep every row that has a listing; the upserts overwrite the wanted ones and
            // a second pass removes listing links no longer wanted.
            stale = stale.filter(product_link::Column::ListingId.is_null());
        }
        stale.exec(txn).await?;
    }
    Ok(())
}

/// The row of a wanted listing link, given the link the listing has now (`prior`).
fn listing_link_row(
    channel_id: i64,
    (listing_id, variant_id, state, error): &Wanted,
    prior: Option<&product_link::Model>,
    product_of: &HashMap<i64, i64>,
    at: Timestamp,
) -> product_link::ActiveModel {
    let product_id = product_of.get(variant_id).copied();
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
}

/// Upserts listing links on their listing (one link per listing).
async fn upsert_listing_links<C: ConnectionTrait>(txn: &C, rows: Vec<product_link::ActiveModel>) -> ServiceResult<()> {
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
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Second pass of very large batches: removes listing links of these variants that matching did not make now.
async fn remove_unwanted_listing_links<C: ConnectionTrait>(
    txn: &C,
    channel_id: i64,
    variant_ids: &[i64],
    wanted_listings: &[i64],
) -> ServiceResult<()> {
    let wanted_set: BTreeSet<i64> = wanted_listings.iter().copied().collect();
    for chunk in variant_ids.chunks(IN_CHUNK) {
        let stale: Vec<i64> = product_link::Entity::find()
            .filter(product_link::Column::ChannelId.eq(channel_id))
            .filter(product_link::Column::VariantId.is_in(chunk.to_vec()))
            .filter(product_link::Column::State.ne(LinkState::Unlinked))
            .all(txn)
            .await?
            .into_iter()
            .filter(|l| l.listing_id.is_some_and(|id| !wanted_set.contains(&id)))
            .map(|l| l.id)
            .collect();
        if !stale.is_empty() {
            product_link::Entity::delete_many().filter(product_link::Column::Id.is_in(stale)).exec(txn).await?;
        }
    }
    Ok(())
}

/// Inserts a listing-less LINK_ERROR row per failing variant whose failure concerns no listing.
async fn insert_error_rows<C: ConnectionTrait>(
    txn: &C,
    channel_id: i64,
    failed: &BTreeMap<i64, Failure>,
    product_of: &HashMap<i64, i64>,
    at: Timestamp,
) -> ServiceResult<()> {
    let error_rows: Vec<product_link::ActiveModel> = failed
        .iter()
        // A listing whose link was deleted leaves the link views for good (SPEC §2 [Sapo]): its error is only a
        // sync error.
        .filter(|(_, (code, _, listing))| listing.is_none() && *code != LinkErrorCode::ListingExcluded)
        .map(|(variant_id, (code, message, _))| product_link::ActiveModel {
            channel_id: Set(channel_id),
            listing_id: Set(None),
            variant_id: Set(Some(*variant_id)),
            product_id: Set(product_of.get(variant_id).copied()),
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
        product_link::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    Ok(())
}

/// Listings linked again: errors about their former link (its hub variant deleted) are fixed. Returns their live
/// events.
async fn resolve_listing_errors<C: ConnectionTrait>(
    txn: &C,
    channel_id: i64,
    listing_ids: &[i64],
    at: Timestamp,
) -> ServiceResult<Vec<HubEvent>> {
    let mut events = Vec::new();
    for chunk in listing_ids.chunks(IN_CHUNK) {
        let select = sync_error::Entity::find()
            .filter(sync_error::Column::ChannelId.eq(channel_id))
            .filter(sync_error::Column::Kind.eq(SyncErrorKind::Product))
            .filter(sync_error::Column::VariantId.is_null())
            .filter(sync_error::Column::ListingId.is_in(chunk.to_vec()));
        events.extend(resolve_matching(txn, select, at).await?);
    }
    Ok(events)
}

/// The batch's counts: variants linked or failing, and products fully linked or not.
fn counts(variants: &[HubVariant], decisions: &[Decision], wants: &Wants) -> LinkCounts {
    let mut counts = LinkCounts {
        variants_linked: wants.linked.len() as i64,
        variants_failed: wants.failed.len() as i64,
        ..LinkCounts::default()
    };
    let products: BTreeSet<i64> = variants.iter().map(|v| v.product_id).collect();
    let kept_unlinked: BTreeSet<i64> =
        decisions.iter().filter(|d| matches!(d.outcome, Outcome::KeptUnlinked { .. })).map(|d| d.product_id).collect();
    for p in products {
        match linking::product_state(decisions, p) {
            // Left as the merchant unlinked it: neither linked nor failed.
            Ok(()) if kept_unlinked.contains(&p) => {}
            Ok(()) => counts.products_linked += 1,
            Err(_) => counts.products_failed += 1,
        }
    }
    counts
}

/// Sync errors of a batch, in bulk: one open error per (channel, variant, code) — repeats count occurrences —
/// and every other open product error of these variants resolved (the data changed, or the link now works).
/// Returns the live events of the errors opened and resolved (a repeat is not announced again).
async fn record_link_errors<C: ConnectionTrait>(
    txn: &C,
    channel_id: i64,
    variant_ids: &[i64],
    failed: &BTreeMap<i64, Failure>,
    at: Timestamp,
) -> ServiceResult<Vec<HubEvent>> {
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
    let mut events = Vec::new();
    for chunk in resolve.chunks(IN_CHUNK) {
        let select = sync_error::Entity::find().filter(sync_error::Column::Id.is_in(chunk.to_vec()));
        events.extend(resolve_matching(txn, select, at).await?);
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
    // The errors just opened, read back for their ids (one statement per chunk, not one per row).
    let opened: Vec<i64> = failed.keys().filter(|v| !still_open.contains(v)).copied().collect();
    for chunk in opened.chunks(IN_CHUNK) {
        let rows = sync_error::Entity::find()
            .filter(sync_error::Column::ChannelId.eq(channel_id))
            .filter(sync_error::Column::Kind.eq(SyncErrorKind::Product))
            .filter(sync_error::Column::VariantId.is_in(chunk.to_vec()))
            .filter(sync_error::Column::FirstSeenAt.eq(at))
            .filter(sync_error::Column::ResolvedAt.is_null())
            .all(txn)
            .await?;
        events.extend(rows.iter().filter_map(raised_event));
    }
    Ok(events)
}
