//! Periodic work. Every tick, each scheduled task enqueues the runs that are due — but never a second run of
//! the same kind for the same channel while one is still CREATED or RUNNING, so a slow run is never doubled and
//! several worker processes ticking at once enqueue it once (the check and the insert share a write
//! transaction on SQLite; on PostgreSQL a duplicate that slips through finds nothing to do).
//!
//! Each tick also re-queues runs whose job the queue lost (a Redis restart or flush while the process lives),
//! once they have waited `jobs::RECOVERY_GRACE` — not only at process start.

use std::time::Duration;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use entity::enums::{ChannelStatus, SyncRunKind, SyncRunStatus};
use entity::{channel, sync_run};

use crate::context::AppContext;
use crate::services::ServiceResult;

/// Seconds between read-back reconciliations of a channel's quantities (STOCK_RECONCILE).
pub const STOCK_RECONCILE_EVERY_SECS: i64 = 3600;

/// Enqueues a run of `kind` for `channel_id` unless one is already waiting or running. Returns the new run.
pub async fn enqueue_unless_active(
    ctx: &AppContext,
    kind: SyncRunKind,
    channel_id: i64,
    input: Option<serde_json::Value>,
) -> ServiceResult<Option<sync_run::Model>> {
    let active = sync_run::Entity::find()
        .filter(sync_run::Column::Kind.eq(kind))
        .filter(sync_run::Column::ChannelId.eq(channel_id))
        .filter(sync_run::Column::Status.is_in([SyncRunStatus::Created, SyncRunStatus::Running]))
        .one(&ctx.db)
        .await?;
    if active.is_some() {
        return Ok(None);
    }
    super::enqueue_run(ctx, kind, Some(channel_id), input).await.map(Some)
}

/// Connected channels (the ones scheduled work is for).
pub async fn connected_channels(ctx: &AppContext) -> ServiceResult<Vec<channel::Model>> {
    Ok(channel::Entity::find().filter(channel::Column::Status.eq(ChannelStatus::Connected)).all(&ctx.db).await?)
}

/// One pass over every scheduled task. Tests call it directly to drive scheduling deterministically.
/// Returns the runs enqueued, re-queued lost runs included.
pub async fn tick(ctx: &AppContext) -> ServiceResult<usize> {
    // First, and whatever it meets: a queue still down fails it, and the scheduling below reports that anyway.
    let mut enqueued = match super::recover_lost_runs(ctx, super::RECOVERY_GRACE).await {
        Ok(n) => n,
        Err(err) => {
            tracing::warn!(error = %err, "re-queuing lost sync runs failed; the next tick tries again");
            0
        }
    };
    let forget_before = chrono::Utc::now() - crate::services::idempotency::RETENTION;
    if let Err(err) = crate::services::idempotency::purge(&ctx.db, forget_before).await {
        tracing::warn!(error = %err, "forgetting old idempotency keys failed; the next tick tries again");
    }
    // Shares that may move without a stock movement, before the pushes are scheduled (they mark their links).
    if let Err(err) = crate::services::link_marks::allocation::rebalance(&ctx.db).await {
        tracing::warn!(error = %err, "re-splitting allocated stock failed; the next tick tries again");
    }
    let channels = connected_channels(ctx).await?;
    // Scheduled tasks register here, each adding the runs it enqueued to `enqueued`.
    enqueued += super::stock_push::schedule_pushes(ctx).await?;
    enqueued +=
        super::stock_push::schedule_reconciles(ctx, &channels, chrono::Duration::seconds(STOCK_RECONCILE_EVERY_SECS))
            .await?;
    enqueued += super::orders::schedule(ctx, &channels).await?;
    Ok(enqueued)
}

/// Ticks every `every` until the process ends; errors are logged and the next tick tries again.
pub fn spawn(ctx: AppContext, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                () = ctx.shutdown.requested() => return,
            }
            match tick(&ctx).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(enqueued = n, "scheduler enqueued runs"),
                Err(err) => tracing::warn!(error = %err, "scheduler tick failed"),
            }
        }
    })
}
