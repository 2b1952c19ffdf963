//! STOCK_PUSH and STOCK_RECONCILE runs of one channel.
//!
//! A push run takes the channel's lease (or ends at once: the holder will see its work), then runs rounds until
//! no link is due and none becomes due within `push_linger_ms`, releases the lease, and looks once more: a change
//! committed while the lease was held is then either seen here or by the run its kick queued. So every change is
//! pushed, and pushes of one channel never interleave, across any number of worker processes.

use std::time::{Duration, Instant};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use entity::enums::{ChannelStatus, SyncRunKind, SyncRunStatus};
use entity::{channel, sync_run};

use crate::context::AppContext;
use crate::domain::errors::ErrorCode;
use crate::events::HubEvent;
use crate::services::effects::Committed;
use crate::services::stock_push::{self as service, RoundReport};
use crate::services::sync_runs::{self, Counters};
use crate::services::{ServiceError, ServiceResult, channels, leases};

/// How long a push lease lasts without renewal.
const LEASE_TTL_SECS: i64 = 60;
/// A run hands over to a fresh run after this long if other runs wait for a worker (`time_to_hand_over`).
const MAX_RUN: Duration = Duration::from_secs(30);
/// A run queued this long ago and not started says every worker is busy (they look for work every 200 ms).
const WAITING_FOR_A_WORKER_SECS: i64 = 1;
/// A lingering run looks for a due link this often (a read on the read pool).
const LINGER_LOOK_EVERY: Duration = Duration::from_millis(20);
/// A push run renews its lease (of `LEASE_TTL_SECS`) this often, and writes its progress this often.
const LEASE_RENEW_EVERY: Duration = Duration::from_secs(10);
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
/// A reconciliation waits this long for a running push to finish.
const RECONCILE_LEASE_WAIT: Duration = Duration::from_secs(30);

async fn connected_channel(ctx: &AppContext, run: &sync_run::Model) -> ServiceResult<channel::Model> {
    let id = run.channel_id.ok_or_else(|| ServiceError::Unexpected(anyhow::anyhow!("this run has no channel")))?;
    let channel = channels::get(&ctx.db, id)
        .await?
        .ok_or_else(|| ServiceError::rejected(&["channelId"], ErrorCode::NotFound, "the channel was deleted"))?;
    if channel.status != ChannelStatus::Connected {
        return Err(ServiceError::rejected(
            &["channelId"],
            ErrorCode::InvalidState,
            format!("\"{}\" is not connected ({}): nothing is pushed", channel.name, channel.status.as_str()),
        ));
    }
    Ok(channel)
}

/// Queues a push run for the channel unless one is already waiting to start (a waiting run computes its values
/// when it sends, so it covers every change made before it) or a run holds the channel's lease (it looks for due
/// links after releasing it). A run that is running but does not hold the lease does not count: it may be past
/// that look.
pub async fn request_push(ctx: &AppContext, channel_id: i64) -> ServiceResult<Option<sync_run::Model>> {
    let waiting = sync_run::Entity::find()
        .filter(sync_run::Column::Kind.eq(SyncRunKind::StockPush))
        .filter(sync_run::Column::ChannelId.eq(channel_id))
        .filter(sync_run::Column::Status.eq(SyncRunStatus::Created))
        .one(&ctx.db)
        .await?;
    if waiting.is_some() {
        return Ok(None);
    }
    // The lease's holder looks for due links once it releases it, so a run queued now would find the lease taken
    // and end at once: under a stream of changes that was a run queued, claimed and finished for nothing on every
    // kick (hundreds a minute, a few writes each, on the one SQLite writer the rounds need).
    if leases::held(&ctx.db, &service::lease_name(channel_id)).await? {
        return Ok(None);
    }
    super::enqueue_run(ctx, SyncRunKind::StockPush, Some(channel_id), None).await.map(Some)
}

/// After a stock or price change: queues pushes for every connected channel with links due now. Returns the runs
/// queued. Failures are logged, never the caller's: the scheduler's tick pushes anyway.
pub async fn kick(ctx: &AppContext) -> usize {
    match kick_inner(ctx).await {
        Ok(n) => n,
        Err(err) => {
            tracing::warn!(error = %err, "could not queue stock pushes; the scheduler will");
            0
        }
    }
}

/// `kick` in the background, for callers that must not wait (resolvers after a stock write).
pub fn kick_soon(ctx: &AppContext) {
    let ctx = ctx.clone();
    tokio::spawn(async move {
        kick(&ctx).await;
    });
}

async fn kick_inner(ctx: &AppContext) -> ServiceResult<usize> {
    let due = service::channels_with_due_pushes(&ctx.db).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let connected = channel::Entity::find()
        .filter(channel::Column::Id.is_in(due))
        .filter(channel::Column::Status.eq(ChannelStatus::Connected))
        .all(&ctx.db)
        .await?;
    let mut queued = 0;
    for c in connected {
        if request_push(ctx, c.id).await?.is_some() {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Runs a complete round's effects and adds it to the run's totals.
async fn tally(ctx: &AppContext, round: Committed<RoundReport>, counters: &mut Counters, calls: &mut usize) {
    let r = super::effects::after_commit_queued(ctx, round).await;
    counters.total += r.links as i64;
    counters.processed += r.links as i64;
    counters.succeeded += r.succeeded as i64;
    counters.failed += r.failed as i64;
    counters.skipped += (r.unchanged + r.held) as i64;
    *calls += r.calls;
}

pub async fn run_push(ctx: &AppContext, run: &sync_run::Model) -> ServiceResult<()> {
    let channel = connected_channel(ctx, run).await?;
    let lease = service::lease_name(channel.id);
    let owner = run.job_id.clone().unwrap_or_else(|| format!("run-{}", run.id));
    let ttl = chrono::Duration::seconds(LEASE_TTL_SECS);
    let connector = channels::connector_for(ctx, &channel).await?;
    let started = Instant::now();
    let mut counters = Counters::default();
    let mut calls = 0;
    loop {
        if !leases::acquire(&ctx.db, &lease, &owner, ttl).await? {
            tracing::debug!(channel_id = channel.id, run_id = run.id, "another worker is pushing this channel");
            break;
        }
        let outcome =
            push_while_due(ctx, run, &channel, &*connector, &lease, &owner, started, &mut counters, &mut calls).await;
        leases::release(&ctx.db, &lease, &owner).await?;
        outcome?;
        // Released: anything that became due while we held the lease is ours to push (its kick may have found
        // us running and our lease taken).
        if !service::has_due_pushes(&ctx.db, channel.id).await? {
            break;
        }
        if time_to_hand_over(ctx, started).await? {
            request_push(ctx, channel.id).await?;
            break;
        }
    }
    sync_runs::record_progress(&ctx.db, run.id, counters).await?;
    if let Err(err) = service::prune_history(&ctx.db, &channel).await {
        tracing::warn!(channel_id = channel.id, error = %err, "could not prune push history");
    }
    tracing::info!(
        channel_id = channel.id,
        run_id = run.id,
        links = counters.total,
        failed = counters.failed,
        calls,
        "stock push finished"
    );
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn push_while_due(
    ctx: &AppContext,
    run: &sync_run::Model,
    channel: &channel::Model,
    connector: &dyn crate::channels::Connector,
    lease: &str,
    owner: &str,
    started: Instant,
    counters: &mut Counters,
    calls: &mut usize,
) -> ServiceResult<()> {
    let mut rounds = service::Rounds::new(&ctx.db, channel, connector);
    let outcome = push_rounds(ctx, run, channel.id, &mut rounds, lease, owner, started, counters, calls).await;
    // A round still being recorded is ours until recorded: the lease is released only after it.
    let last = rounds.finish().await;
    if let Ok(Some(report)) = last {
        tally(ctx, report, counters, calls).await;
        return outcome;
    }
    outcome.and(last.map(|_| ()))
}

#[allow(clippy::too_many_arguments)]
async fn push_rounds(
    ctx: &AppContext,
    run: &sync_run::Model,
    channel_id: i64,
    rounds: &mut service::Rounds<'_>,
    lease: &str,
    owner: &str,
    started: Instant,
    counters: &mut Counters,
    calls: &mut usize,
) -> ServiceResult<()> {
    // The lease and the run's progress are written every few rounds, not every round: under load each is a write
    // waiting for the database's writer between two rounds, time the channel's quota then goes unused.
    let (mut renewed, mut progress_written) = (Instant::now(), Instant::now());
    loop {
        let Some(report) = rounds.next().await? else {
            if became_due_while_lingering(ctx, channel_id, started).await? {
                continue;
            }
            return Ok(());
        };
        tally(ctx, report, counters, calls).await;
        if progress_written.elapsed() >= PROGRESS_EVERY {
            write_progress(ctx, run, *counters).await?;
            progress_written = Instant::now();
        }
        // Handing over after a whole round: a shutdown leaves nothing half sent (the successor run takes the rest).
        if time_to_hand_over(ctx, started).await? {
            return Ok(());
        }
        if renewed.elapsed() >= LEASE_RENEW_EVERY {
            if !leases::acquire(&ctx.db, lease, owner, chrono::Duration::seconds(LEASE_TTL_SECS)).await? {
                return Err(ServiceError::Unexpected(anyhow::anyhow!(
                    "the push lease of channel {} was lost mid-run",
                    run.channel_id.unwrap_or_default()
                )));
            }
            renewed = Instant::now();
        }
    }
}

/// After a round found nothing due: keeps the channel up to `push_linger_ms` for the next change. Under a steady
/// stream of changes (tens a second) a run otherwise ended after almost every round, and each change waited for a
/// new run: queued by its kick, claimed at a worker's next look, then its start (claim, channel, connector, lease)
/// before the first collect, ~50–200 ms where the call itself takes ~20. The held lease keeps kicks from queueing
/// runs meanwhile. True when a link is due (the run goes on); false when the time is up, the process stops, or a
/// run waits for a worker (a lingering run would keep that worker from it).
async fn became_due_while_lingering(ctx: &AppContext, channel_id: i64, started: Instant) -> ServiceResult<bool> {
    let until = Instant::now() + Duration::from_millis(ctx.settings.push_linger_ms);
    // A run queued longer ago than two of the workers' looks has found no free worker.
    let worker_wait = chrono::Duration::milliseconds(2 * ctx.settings.queue_poll_interval_ms as i64);
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || ctx.shutdown.is_requested() {
            return Ok(false);
        }
        tokio::time::sleep(left.min(LINGER_LOOK_EVERY)).await;
        if service::has_due_pushes(&ctx.reader, channel_id).await? {
            return Ok(true);
        }
        if sync_runs::any_waiting_since(&ctx.reader, chrono::Utc::now() - worker_wait).await? {
            tracing::debug!(channel_id, run_for_ms = started.elapsed().as_millis() as u64, "linger ends: a run waits");
            return Ok(false);
        }
    }
}

/// Whether a push run should end and hand the channel to a fresh run: at once when the process is shutting down;
/// after `MAX_RUN` if other runs wait for a worker, so one busy channel does not keep a worker from them. With none
/// waiting it goes on: a hand-over stops the channel's pushes for seconds under load (the last record, the run's
/// end, the next run's start, lease and first collect, each a write waiting for the database's writer: 2–4 s every
/// 30 s in `bench stock`, where the slowest sell-outs were).
async fn time_to_hand_over(ctx: &AppContext, started: Instant) -> ServiceResult<bool> {
    if ctx.shutdown.is_requested() {
        return Ok(true);
    }
    if started.elapsed() < MAX_RUN {
        return Ok(false);
    }
    let queued_before = chrono::Utc::now() - chrono::Duration::seconds(WAITING_FOR_A_WORKER_SECS);
    sync_runs::any_waiting_since(&ctx.reader, queued_before).await
}

async fn write_progress(ctx: &AppContext, run: &sync_run::Model, counters: Counters) -> ServiceResult<()> {
    sync_runs::record_progress(&ctx.db, run.id, counters).await?;
    ctx.events.publish(HubEvent::SyncRunChanged { run_id: run.id });
    Ok(())
}

pub async fn run_reconcile(ctx: &AppContext, run: &sync_run::Model) -> ServiceResult<()> {
    let channel = connected_channel(ctx, run).await?;
    let lease = service::lease_name(channel.id);
    let owner = run.job_id.clone().unwrap_or_else(|| format!("run-{}", run.id));
    // Holding the push lease: no push changes the channel between reading it and comparing.
    if !leases::acquire_within(&ctx.db, &lease, &owner, chrono::Duration::seconds(LEASE_TTL_SECS), RECONCILE_LEASE_WAIT)
        .await?
    {
        return Err(ServiceError::rejected(
            &["channelId"],
            ErrorCode::InvalidState,
            "a stock push of this channel kept running; try again later",
        ));
    }
    let mut batches = super::effects::BatchEffects::default();
    let outcome = compare_every_page(ctx, &channel, &mut batches).await;
    leases::release(&ctx.db, &lease, &owner).await?;
    batches.finish(ctx).await;
    // Changes made while this held the push lease were not queued (`request_push`): pushed now.
    if service::has_due_pushes(&ctx.db, channel.id).await? {
        request_push(ctx, channel.id).await?;
    }
    let report = outcome?;
    let compared = report.compared as i64;
    let drifted = report.drifted as i64;
    sync_runs::record_progress(
        &ctx.db,
        run.id,
        Counters { total: compared, processed: compared, succeeded: compared - drifted, failed: drifted, skipped: 0 },
    )
    .await?;
    Ok(())
}

/// Reads the channel's listings page by page, comparing each page as it arrives (a large shop is never held at
/// once); each page's errors and repairs commit, and their events go out, with the page.
async fn compare_every_page(
    ctx: &AppContext,
    channel: &channel::Model,
    batches: &mut super::effects::BatchEffects,
) -> ServiceResult<service::ReconcileReport> {
    let mut walk = crate::channels::ListingWalk::start(channels::connector_for(ctx, channel).await?);
    let mut total = service::ReconcileReport::default();
    while let Some(page) = walk.next_page().await {
        let report = batches.after_batch(ctx, service::reconcile(&ctx.db, channel, &page).await?);
        crate::metrics::drift_found(crate::channels::marketplace(channel.kind).slug, report.drifted);
        total.compared += report.compared;
        total.drifted += report.drifted;
        total.repaired += report.repaired;
    }
    walk.finish().await.map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("reading quantities: {e}")))?;
    Ok(total)
}

/// Scheduler task: pushes for channels with due links (retries after backoff, held raises, missed kicks).
pub async fn schedule_pushes(ctx: &AppContext) -> ServiceResult<usize> {
    kick_inner(ctx).await
}

/// Scheduler task: one reconciliation per connected channel every `every`.
pub async fn schedule_reconciles(
    ctx: &AppContext,
    channels: &[channel::Model],
    every: chrono::Duration,
) -> ServiceResult<usize> {
    let mut queued = 0;
    let since = chrono::Utc::now() - every;
    for c in channels {
        // A channel connected less than a period ago has just been read by linking.
        if c.connected_at.is_some_and(|at| at > since) {
            continue;
        }
        let recent = sync_run::Entity::find()
            .filter(sync_run::Column::Kind.eq(SyncRunKind::StockReconcile))
            .filter(sync_run::Column::ChannelId.eq(c.id))
            .filter(sync_run::Column::CreatedAt.gt(since))
            .one(&ctx.db)
            .await?;
        if recent.is_some() {
            continue;
        }
        if super::scheduler::enqueue_unless_active(ctx, SyncRunKind::StockReconcile, c.id, None).await?.is_some() {
            queued += 1;
        }
    }
    Ok(queued)
}
