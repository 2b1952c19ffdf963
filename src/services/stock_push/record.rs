//! Record, the last step of a round, in one transaction: a `stock_pushes` row per push; a success stores the
//! pushed values and ends the link's push error (it stays due if a change re-marked it meanwhile, or while an
//! earlier request may still land); a failure puts the link in SYNC_ERROR with a sync error whose occurrences
//! drive the retry backoff. Also the sync errors of pushes and drift, and the pruning of old history.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter,
};
use serde_json::json;

use entity::enums::{LinkState, SyncErrorKind};
use entity::{channel, channel_listing, product_link, stock_push, sync_error};

use super::collect::PlannedPush;
use super::send::PushOutcome;
use super::{IN_CHUNK, PUSH_FAILED, now};
use crate::domain::events::{ActivityKind, HubEvent};
use crate::domain::stock_push as rules;
use crate::services::effects::{Committed, Effects};
use crate::services::link_marks::SYNCING;
use crate::services::sync_errors::{raised_event, resolve_matching};
use crate::services::{ServiceResult, begin_write};

/// Counts of a recorded round.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recorded {
    pub succeeded: usize,
    pub failed: usize,
}

/// Records every push in `stock_pushes`; successes store the pushed values and clear push errors, failures put
/// the link in SYNC_ERROR with a sync error and a retry after a backoff. Effects: a live event per value pushed
/// (or refused) and per push error raised or cleared.
pub async fn record(
    db: &DatabaseConnection,
    channel: &channel::Model,
    pushes: &[PlannedPush],
    outcomes: &[PushOutcome],
) -> ServiceResult<Committed<Recorded>> {
    let txn = begin_write(db).await?;
    let at = now();
    let mut counts = Recorded::default();
    let mut effects = Effects::none();
    insert_history(&txn, channel.id, pushes, outcomes, at).await?;
    for (p, o) in pushes.iter().zip(outcomes) {
        for event in push_events(channel.id, p, o) {
            effects.publish(event);
        }
    }
    let mut ok_links = Vec::new();
    let marketplace = crate::channels::marketplace(channel.kind);
    // Links are updated in id order, the order stock movements lock them in (`link_marks::on_levels_changed`):
    // the two never wait on each other in a cycle.
    let mut ordered: Vec<(&PlannedPush, &PushOutcome)> = pushes.iter().zip(outcomes).collect();
    ordered.sort_by_key(|(p, _)| p.link_id);
    for (p, o) in ordered {
        if o.ok {
            record_success(&txn, p, o, at).await?;
            ok_links.push(p.link_id);
            counts.succeeded += 1;
        } else if o.error.as_deref().is_some_and(|e| marketplace.updates.refuses_computed_stock(e)) {
            stock_computed_by_channel(&txn, p, at).await?;
            counts.failed += 1;
        } else if let Some(raised) = record_failure(&txn, channel.id, p, o, at).await? {
            counts.failed += 1;
            effects.publish_all(raised);
        }
    }
    for chunk in ok_links.chunks(IN_CHUNK) {
        // A success ends the link's push error (not another warning it shows).
        product_link::Entity::update_many()
            .col_expr(product_link::Column::State, Expr::value(LinkState::Linked))
            .col_expr(product_link::Column::ErrorCode, Expr::value(Option::<String>::None))
            .col_expr(product_link::Column::ErrorMessage, Expr::value(Option::<String>::None))
            .filter(product_link::Column::Id.is_in(chunk.to_vec()))
            .filter(product_link::Column::State.eq(LinkState::SyncError))
            .filter(product_link::Column::ErrorCode.eq(PUSH_FAILED))
            .exec(&txn)
            .await?;
        effects.publish_all(resolve_errors(&txn, chunk, PUSH_FAILED, at).await?);
    }
    txn.commit().await?;
    let slug = crate::channels::marketplace(channel.kind).slug;
    for (p, o) in pushes.iter().zip(outcomes) {
        if let (true, Some(due_since)) = (o.ok, p.requested_at) {
            crate::metrics::push_latency(slug, (at - due_since).to_std().unwrap_or_default());
        }
    }
    crate::metrics::stock_pushes_failed(slug, counts.failed);
    Ok(Committed::new(counts, effects))
}

/// What subscribers hear of one push: its quantity and its price, each pushed or refused.
fn push_events(channel_id: i64, p: &PlannedPush, o: &PushOutcome) -> Vec<HubEvent> {
    let sku = p.update.seller_sku.clone().unwrap_or_else(|| p.update.external_sku_id.clone());
    let outcome =
        if o.ok { "pushed".to_owned() } else { format!("not pushed: {}", o.error.as_deref().unwrap_or("refused")) };
    let mut events = Vec::new();
    if let Some(q) = p.plan.quantity {
        let message = format!("{sku}: quantity {q} {outcome}");
        events.push(HubEvent::pushed(channel_id, ActivityKind::StockPush, sku.clone(), q, o.ok, message));
    }
    if let Some(price) = p.plan.price {
        let message = format!("{sku}: price {price} {outcome}");
        events.push(HubEvent::pushed(channel_id, ActivityKind::PricePush, sku.clone(), price, o.ok, message));
    }
    events
}

/// A `stock_pushes` row per push: the values, what decided them, the channel's answer.
async fn insert_history(
    txn: &DatabaseTransaction,
    channel_id: i64,
    pushes: &[PlannedPush],
    outcomes: &[PushOutcome],
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<()> {
    let rows: Vec<stock_push::ActiveModel> = pushes
        .iter()
        .zip(outcomes)
        .map(|(p, o)| stock_push::ActiveModel {
            channel_id: Set(channel_id),
            product_link_id: Set(Some(p.link_id)),
            variant_id: Set(Some(p.variant_id)),
            seller_sku: Set(p.update.seller_sku.clone()),
            quantity: Set(p.plan.quantity),
            price_minor: Set(p.plan.price),
            inputs: Set(p.inputs.clone()),
            ok: Set(o.ok),
            response: Set(Some(o.response.clone())),
            error_code: Set((!o.ok).then(|| PUSH_FAILED.to_owned())),
            created_at: Set(o.answered_at.min(at)),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(200) {
        stock_push::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    Ok(())
}

/// A push the channel took: the link's pushed values, and its pending flag cleared unless a change re-marked it,
/// a raise of it is held, or an earlier request may still land.
async fn record_success(
    txn: &DatabaseTransaction,
    p: &PlannedPush,
    o: &PushOutcome,
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<()> {
    let mut update = product_link::Entity::update_many()
        .col_expr(product_link::Column::LastPushedAt, Expr::value(at))
        .col_expr(product_link::Column::UpdatedAt, Expr::value(at));
    if let Some(q) = p.plan.quantity {
        update = update.col_expr(product_link::Column::LastPushedQuantity, Expr::value(q));
    }
    if let Some(price) = p.plan.price {
        update = update.col_expr(product_link::Column::LastPushedPriceMinor, Expr::value(price));
    }
    if let Some(sale) = p.update.sale {
        // A sale sent ending now is over: the channel has none left to compare with.
        let running = (sale.ends_at > at).then(|| json!(sale));
        update = update.col_expr(product_link::Column::LastPushedSale, Expr::value(running));
    }
    let unchanged = match p.requested_at {
        Some(requested) => product_link::Column::PushRequestedAt.eq(requested),
        None => product_link::Column::PushRequestedAt.is_null(),
    };
    if let Some(until) = o.in_doubt_until {
        // An earlier request may land after this one: pushed again once it can no longer (sooner if a
        // change re-marked the link meanwhile; that push is then in doubt too, until the same time).
        update = update
            .col_expr(product_link::Column::PushPending, Expr::value(true))
            .col_expr(
                product_link::Column::PushRequestedAt,
                Expr::case(unchanged, Expr::value(until))
                    .finally(Expr::col(product_link::Column::PushRequestedAt))
                    .into(),
            )
            .col_expr(product_link::Column::PushInDoubtUntil, Expr::value(until));
    } else if !p.plan.held {
        update = update.col_expr(
            product_link::Column::PushInDoubtUntil,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        );
        // Done, unless a change re-marked the link while this push was in flight.
        update = update.col_expr(
            product_link::Column::PushPending,
            Expr::case(unchanged, Expr::value(false)).finally(Expr::col(product_link::Column::PushPending)).into(),
        );
    }
    update.filter(product_link::Column::Id.eq(p.link_id)).exec(txn).await?;
    Ok(())
}

/// A push the channel refused (or a call that failed): the link in SYNC_ERROR, a sync error counted, a retry after
/// the backoff (not before an earlier request may no longer land). `None` if the link is gone, else the event of
/// the error if it was raised now (not counted again).
async fn record_failure(
    txn: &DatabaseTransaction,
    channel_id: i64,
    p: &PlannedPush,
    o: &PushOutcome,
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<Option<Option<HubEvent>>> {
    let link = product_link::Entity::find_by_id(p.link_id).one(txn).await?;
    let Some(link) = link else { return Ok(None) };
    let message = format!(
        "{} not pushed: {}",
        p.update.seller_sku.as_deref().unwrap_or(&p.update.external_sku_id),
        o.error.as_deref().unwrap_or("refused")
    );
    let (failures, raised) =
        record_error(txn, channel_id, &link, PUSH_FAILED, &message, Some(json!({ "answer": o.response })), at).await?;
    let retry_at = (at + rules::retry_delay(failures)).max(o.in_doubt_until.unwrap_or(at));
    let mut update = product_link::Entity::update_many()
        .col_expr(product_link::Column::State, Expr::value(LinkState::SyncError))
        .col_expr(product_link::Column::ErrorCode, Expr::value(PUSH_FAILED))
        .col_expr(product_link::Column::ErrorMessage, Expr::value(message))
        .col_expr(product_link::Column::PushPending, Expr::value(true))
        .col_expr(product_link::Column::PushRequestedAt, Expr::value(retry_at))
        .col_expr(product_link::Column::UpdatedAt, Expr::value(at));
    if let Some(until) = o.in_doubt_until {
        update = update.col_expr(product_link::Column::PushInDoubtUntil, Expr::value(until));
    }
    update
        .filter(product_link::Column::Id.eq(p.link_id))
        .filter(product_link::Column::State.is_in(SYNCING))
        .exec(txn)
        .await?;
    Ok(Some(raised))
}

/// The marketplace refused the quantity of a bundle it computes itself: its listing is marked so, and the link is
/// due again at once, its next push without a quantity (the collect raises the warning that says why).
async fn stock_computed_by_channel(
    txn: &DatabaseTransaction,
    p: &PlannedPush,
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<()> {
    let Some(link) = product_link::Entity::find_by_id(p.link_id).one(txn).await? else { return Ok(()) };
    if let Some(listing_id) = link.listing_id {
        channel_listing::Entity::update_many()
            .col_expr(channel_listing::Column::StockComputedByChannel, Expr::value(true))
            .filter(channel_listing::Column::Id.eq(listing_id))
            .exec(txn)
            .await?;
    }
    product_link::Entity::update_many()
        .col_expr(product_link::Column::PushPending, Expr::value(true))
        .col_expr(product_link::Column::PushRequestedAt, Expr::value(at))
        .filter(product_link::Column::Id.eq(p.link_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// One open sync error per (link, code): a repeat counts an occurrence. Returns the occurrences so far, and the
/// live event of the error when this opened it.
pub(super) async fn record_error<C: ConnectionTrait>(
    txn: &C,
    channel_id: i64,
    link: &product_link::Model,
    code: &str,
    message: &str,
    details: Option<serde_json::Value>,
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<(i32, Option<HubEvent>)> {
    let open = sync_error::Entity::find()
        .filter(sync_error::Column::ProductLinkId.eq(link.id))
        .filter(sync_error::Column::Code.eq(code))
        .filter(sync_error::Column::ResolvedAt.is_null())
        .one(txn)
        .await?;
    Ok(match open {
        Some(e) => {
            let occurrences = e.occurrences + 1;
            let mut active: sync_error::ActiveModel = e.into();
            active.occurrences = Set(occurrences);
            active.message = Set(message.to_owned());
            active.details = Set(details);
            active.last_seen_at = Set(at);
            active.update(txn).await?;
            (occurrences, None)
        }
        None => {
            let opened = sync_error::ActiveModel {
                channel_id: Set(Some(channel_id)),
                kind: Set(SyncErrorKind::Product),
                code: Set(code.to_owned()),
                message: Set(message.to_owned()),
                product_link_id: Set(Some(link.id)),
                variant_id: Set(link.variant_id),
                listing_id: Set(link.listing_id),
                order_id: Set(None),
                details: Set(details),
                occurrences: Set(1),
                first_seen_at: Set(at),
                last_seen_at: Set(at),
                resolved_at: Set(None),
                dismissed_at: Set(None),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            (1, raised_event(&opened))
        }
    })
}

/// Resolves the open sync errors of this code on these links; returns their live events.
pub(super) async fn resolve_errors<C: ConnectionTrait>(
    txn: &C,
    link_ids: &[i64],
    code: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<Vec<HubEvent>> {
    let select = sync_error::Entity::find()
        .filter(sync_error::Column::ProductLinkId.is_in(link_ids.to_vec()))
        .filter(sync_error::Column::Code.eq(code));
    resolve_matching(txn, select, at).await
}

/// Push history older than the channel's retention is deleted.
pub async fn prune_history(db: &DatabaseConnection, channel: &channel::Model) -> ServiceResult<u64> {
    let cutoff = now() - chrono::Duration::days(i64::from(Ord::max(channel.push_history_retention_days, 1)));
    Ok(stock_push::Entity::delete_many()
        .filter(stock_push::Column::ChannelId.eq(channel.id))
        .filter(stock_push::Column::CreatedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected)
}
