//! Background work. Every slow step is a sync run (a database row) plus one queue job carrying only the run id.
//! The handler claims the run, does the work, and finishes the run; a stale or duplicate delivery does nothing.

pub mod csv_import;
pub mod effects;
pub mod linking;
pub mod listing_products;
pub mod orders;
pub mod product_totals;
pub mod queue;
pub mod scheduler;
pub mod stock_push;
pub mod store_products;
pub mod worker;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ulid::Ulid;

use entity::enums::{SyncRunKind, SyncRunStatus};
use entity::sync_run;

use crate::context::AppContext;
use crate::events::HubEvent;
use crate::services::sync_runs::{self, Claim};
use crate::services::{ServiceError, ServiceResult};

/// The payload of the `sync` queue: the run to execute. Everything else is read from the run row.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SyncJob {
    pub run_id: i64,
}

/// Runs CREATED at least this long whose job the queue no longer holds are re-queued by the scheduler's tick (and
/// RUNNING runs whose lease expired this long ago): long enough that a run whose job is being pushed right now is
/// never doubled.
pub const RECOVERY_GRACE: Duration = Duration::from_secs(30);
/// How long a re-delivered job waits for a live execution of the same job (`Claim::Busy`) before leaving the run
/// to it: past the lease's expiry, so a re-delivery after a real death always gets the run.
const BUSY_WAIT: Duration = Duration::from_secs(sync_runs::LEASE_STALE_AFTER.as_secs() + 5);

/// Creates a run and queues its job. If the queue refuses, the run is marked FAILED (nothing half-started);
/// if the process dies between the two, recovery queues it.
pub async fn enqueue_run(
    ctx: &AppContext,
    kind: SyncRunKind,
    channel_id: Option<i64>,
    input: Option<serde_json::Value>,
) -> ServiceResult<sync_run::Model> {
    let job_id = Ulid::generate();
    let run = sync_runs::create(&ctx.db, kind, channel_id, input, &job_id.to_string()).await?;
    if let Err(err) = ctx.queue.push(SyncJob { run_id: run.id }, job_id).await {
        tracing::error!(run_id = run.id, error = %err, "queue refused a job");
        sync_runs::finish(
            &ctx.db,
            run.id,
            &job_id.to_string(),
            SyncRunStatus::Failed,
            Some("the job queue is unavailable".into()),
        )
        .await?;
        return Err(ServiceError::Unexpected(err));
    }
    ctx.events.publish(HubEvent::SyncRunChanged { run_id: run.id });
    Ok(run)
}

/// Runs the job `job_id` for `run_id` if it still owns the run. Work errors end the run FAILED (with a message);
/// only infrastructure errors are returned, so the queue retries the job.
///
/// While the work runs, the run's lease is renewed; if the run turns out to belong to another job (this execution
/// stalled past its lease and recovery re-queued the run), the work is dropped — two executions never overlap.
pub async fn execute(ctx: &AppContext, run_id: i64, job_id: &str) -> ServiceResult<()> {
    // Told to stop before this job started: its run goes back to the queue for another process.
    if ctx.shutdown.is_requested() {
        hand_back(ctx, run_id, job_id).await?;
        return Ok(());
    }
    let waiting_since = std::time::Instant::now();
    let run = loop {
        match sync_runs::claim(&ctx.db, run_id, job_id).await? {
            Claim::Taken(run) => break run,
            Claim::NotOurs => {
                tracing::info!(run_id, job_id, "job skipped: its run is finished or belongs to another job");
                return Ok(());
            }
            // A re-delivery while the first execution of this job still works (its worker lost the queue but not
            // the run): wait for it to finish, or for its lease to expire if it died.
            Claim::Busy if waiting_since.elapsed() < BUSY_WAIT => tokio::time::sleep(Duration::from_millis(500)).await,
            Claim::Busy => {
                tracing::info!(run_id, job_id, "job skipped: a live execution of the same job holds its run");
                return Ok(());
            }
        }
    };
    run_claimed(ctx, run, job_id).await
}

/// Executes every run waiting to start (CREATED) in this task, oldest first, then the runs those queued, until
/// none is left (or `MAX_PASSES` passes); returns how many it executed. Tests and tools drive jobs with it
/// deterministically instead of waiting for a worker's poll; a run a worker takes meanwhile is left to it (the
/// claim is a compare-and-set, so nothing runs twice).
pub async fn run_pending(ctx: &AppContext) -> ServiceResult<usize> {
    // Runs queue runs (a link run kicks pushes): a bound keeps a cycle of them from spinning forever.
    const MAX_PASSES: usize = 50;
    let mut executed = 0;
    for _ in 0..MAX_PASSES {
        let mut progressed = false;
        for run in sync_runs::waiting_to_start(&ctx.db).await? {
            let Some(job_id) = run.job_id else { continue };
            if let Claim::Taken(run) = sync_runs::claim(&ctx.db, run.id, &job_id).await? {
                run_claimed(ctx, run, &job_id).await?;
                executed += 1;
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
    Ok(executed)
}

/// The work of a run this job has claimed, under its lease, ending with the run finished.
async fn run_claimed(ctx: &AppContext, run: sync_run::Model, job_id: &str) -> ServiceResult<()> {
    let run_id = run.id;
    ctx.events.publish(HubEvent::SyncRunChanged { run_id });
    let mut lease = Lease { db: ctx.db.clone(), run_id, job_id: job_id.to_owned(), settled: false };
    let started = std::time::Instant::now();
    // From queueing to work: the queue's and the claim's share of a run's latency.
    let waited_ms = (chrono::Utc::now() - run.created_at).num_milliseconds();
    tracing::debug!(run_id, kind = run.kind.as_str(), channel_id = run.channel_id, waited_ms, "run started");
    let work = sync_runs::CURRENT_JOB.scope(job_id.to_owned(), run_kind(ctx, &run));
    let outcome = tokio::select! {
        outcome = work => outcome,
        () = keep_lease(ctx, run_id, job_id) => {
            tracing::warn!(run_id, job_id, "the run was handed to another job; this execution stops");
            lease.settled = true;
            return Ok(());
        }
    };
    let (status, message) = match outcome {
        Err(ServiceError::Unexpected(err)) if crate::shutdown::is_interrupted(&err) => {
            tracing::info!(run_id, kind = run.kind.as_str(), "shutting down: the run goes back to the queue");
            hand_back(ctx, run_id, job_id).await?;
            lease.settled = true;
            return Ok(());
        }
        Ok(()) => (SyncRunStatus::Completed, None),
        Err(ServiceError::Rejected(errors)) => {
            (SyncRunStatus::Failed, Some(errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("; ")))
        }
        Err(ServiceError::Unexpected(err)) => {
            tracing::error!(run_id, error = ?err, "sync run failed");
            (SyncRunStatus::Failed, Some(format!("{err:#}")))
        }
    };
    crate::metrics::job_finished(run.kind.as_str(), &status.as_str().to_ascii_lowercase(), started.elapsed());
    tracing::debug!(run_id, kind = run.kind.as_str(), ms = started.elapsed().as_millis() as u64, "run done");
    // An error here leaves `settled` false: the lease is released and the queue's retry finishes the run.
    let finished = sync_runs::finish(&ctx.db, run_id, job_id, status, message).await?;
    lease.settled = true;
    if finished {
        ctx.events.publish(HubEvent::SyncRunChanged { run_id });
    } else {
        tracing::warn!(run_id, job_id, "the run was handed to another job meanwhile; this outcome is dropped");
    }
    Ok(())
}

async fn run_kind(ctx: &AppContext, run: &sync_run::Model) -> ServiceResult<()> {
    match run.kind {
        SyncRunKind::ProductTotals => product_totals::run(ctx, run).await,
        SyncRunKind::PullListings => linking::run_pull(ctx, run).await,
        SyncRunKind::LinkProducts => linking::run_link(ctx, run).await,
        SyncRunKind::Relink => linking::run_relink(ctx, run).await,
        SyncRunKind::CreateProducts => listing_products::run_create(ctx, run).await,
        SyncRunKind::StoreProducts => store_products::run(ctx, run).await,
        SyncRunKind::OrderPoll => orders::run_poll(ctx, run).await,
        SyncRunKind::OrderFetch => orders::run_fetch(ctx, run).await,
        SyncRunKind::StockPush => stock_push::run_push(ctx, run).await,
        SyncRunKind::StockReconcile => stock_push::run_reconcile(ctx, run).await,
        SyncRunKind::CsvImport => csv_import::run(ctx, run).await,
    }
}

/// Renews the run's lease until the run is no longer this job's (then returns). A failed renewal (database
/// unreachable) is retried at the next beat; the work goes on meanwhile.
async fn keep_lease(ctx: &AppContext, run_id: i64, job_id: &str) {
    let every = sync_runs::LEASE_RENEW_EVERY;
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        beat.tick().await;
        match sync_runs::renew_lease(&ctx.db, run_id, job_id).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(err) => tracing::warn!(run_id, error = %err, "could not renew a run's lease; retrying"),
        }
    }
}

/// An execution's hold on its run. Dropped before the run was settled (the job future was dropped, or finishing
/// failed), it releases the lease so the job's re-delivery need not wait for it to expire.
struct Lease {
    db: sea_orm::DatabaseConnection,
    run_id: i64,
    job_id: String,
    settled: bool,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        // Drop cannot wait: the release runs on the runtime (none when the runtime itself is shutting down).
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (db, run_id, job_id) = (self.db.clone(), self.run_id, std::mem::take(&mut self.job_id));
            runtime.spawn(async move {
                if let Err(err) = sync_runs::release_lease(&db, run_id, &job_id).await {
                    tracing::warn!(run_id, error = %err, "could not release a run's lease; it expires by itself");
                }
            });
        }
    }
}

/// Gives a run this process holds (CREATED or RUNNING under `job_id`) back to the queue under a new job, for another
/// process to resume: a shutdown stopped its work at a safe point, or aborted it at the end of the grace. A run
/// that is no longer this job's is left alone. If the queue refuses, the run stays CREATED and recovery queues it.
pub async fn hand_back(ctx: &AppContext, run_id: i64, job_id: &str) -> ServiceResult<bool> {
    let Some(run) = sync_runs::get(&ctx.db, run_id).await? else { return Ok(false) };
    if run.job_id.as_deref() != Some(job_id) || sync_runs::is_finished(run.status) {
        return Ok(false);
    }
    let new_job = Ulid::generate();
    let now = crate::services::clock::now(&ctx.db).await?;
    if !sync_runs::reassign_job(&ctx.db, &run, now, &new_job.to_string()).await? {
        return Ok(false);
    }
    if let Err(err) = ctx.queue.push(SyncJob { run_id }, new_job).await {
        tracing::warn!(run_id, error = %err, "could not queue a handed-back run; recovery will");
    }
    ctx.events.publish(HubEvent::SyncRunChanged { run_id });
    Ok(true)
}

/// Ends this process's work for a shutdown (already requested): waits up to `grace` for `workers` (which stop
/// fetching jobs and return once their executions have ended), then aborts what still runs and hands it back.
pub async fn stop_workers(ctx: &AppContext, workers: tokio::task::JoinHandle<()>, grace: Duration) {
    if tokio::time::timeout(grace, workers).await.is_ok() {
        return;
    }
    for (run_id, job_id) in ctx.shutdown.abort_executions() {
        match hand_back(ctx, run_id, &job_id).await {
            Ok(true) => tracing::warn!(run_id, "the shutdown grace ended: the run goes back to the queue"),
            Ok(false) => {}
            Err(err) => tracing::error!(run_id, error = %err, "could not hand a run back; recovery will"),
        }
    }
}

/// At process start: every CREATED run whose job the queue no longer holds (lost with a flushed Redis, finished
/// without finishing its run, or never pushed) gets a new job, and so does every RUNNING run whose job is gone
/// and whose lease expired.
pub async fn recover_unfinished_runs(ctx: &AppContext) -> ServiceResult<usize> {
    recover_lost_runs(ctx, Duration::ZERO).await
}

/// Re-queues runs whose job was lost: CREATED untouched for `grace`, or RUNNING with a lease expired for `grace`
/// (at least `LEASE_STALE_AFTER`), and whose job the queue no longer holds waiting or running. Each gets a new job
/// id (compare-and-set, so processes recovering at once re-queue a run once) and goes back to CREATED; a late
/// delivery of the old job then finds the run is not its own. A run whose execution lives is never re-queued: its
/// lease is fresh. The scheduler's tick calls this with `RECOVERY_GRACE`; start-up with zero.
pub async fn recover_lost_runs(ctx: &AppContext, grace: Duration) -> ServiceResult<usize> {
    let created_before = crate::services::clock::ago(&ctx.db, grace).await?;
    let running_before = crate::services::clock::ago(&ctx.db, grace.max(sync_runs::LEASE_STALE_AFTER)).await?;
    let mut requeued = 0;
    for run in sync_runs::unfinished(&ctx.db, created_before, running_before).await? {
        if let Some(job_id) = &run.job_id
            && ctx.queue.is_live(job_id).await.map_err(ServiceError::Unexpected)?
        {
            continue;
        }
        let stale_before = if run.status == SyncRunStatus::Created { created_before } else { running_before };
        let new_job = Ulid::generate();
        if sync_runs::reassign_job(&ctx.db, &run, stale_before, &new_job.to_string()).await? {
            // A failed push leaves the run CREATED under a job the queue lacks: the next recovery tries again.
            ctx.queue.push(SyncJob { run_id: run.id }, new_job).await.map_err(ServiceError::Unexpected)?;
            ctx.events.publish(HubEvent::SyncRunChanged { run_id: run.id });
            tracing::info!(run_id = run.id, was = run.status.as_str(), "re-queued a sync run whose job was lost");
            requeued += 1;
        }
    }
    Ok(requeued)
}
