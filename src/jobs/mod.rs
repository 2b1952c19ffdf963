//! Background work. Every slow step is a sync run (a database row) plus one queue job carrying only the run id.
//! The handler claims the run, does the work, and finishes the run; a stale or duplicate delivery does nothing.

pub mod linking;
pub mod orders;
pub mod product_totals;
pub mod queue;
pub mod scheduler;
pub mod stock_push;
pub mod worker;

use serde::{Deserialize, Serialize};
use ulid::Ulid;

use entity::enums::{SyncRunKind, SyncRunStatus};
use entity::sync_run;

use crate::context::AppContext;
use crate::events::HubEvent;
use crate::services::{ServiceError, ServiceResult, sync_runs};

/// The payload of the `sync` queue: the run to execute. Everything else is read from the run row.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SyncJob {
    pub run_id: i64,
}

/// Creates a run and queues its job. If the queue refuses, the run is marked FAILED (nothing half-started);
/// if the process dies between the two, start-up recovery queues it.
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
        sync_runs::finish(&ctx.db, run.id, SyncRunStatus::Failed, Some("the job queue is unavailable".into())).await?;
        return Err(ServiceError::Unexpected(err));
    }
    ctx.events.publish(HubEvent::SyncRunChanged { run_id: run.id });
    Ok(run)
}

/// Runs the job `job_id` for `run_id` if it still owns the run. Work errors end the run FAILED (with a message);
/// only infrastructure errors are returned, so the queue retries the job.
pub async fn execute(ctx: &AppContext, run_id: i64, job_id: &str) -> ServiceResult<()> {
    let Some(run) = sync_runs::claim(&ctx.db, run_id, job_id).await? else {
        tracing::info!(run_id, job_id, "job skipped: its run is finished or belongs to another job");
        return Ok(());
    };
    ctx.events.publish(HubEvent::SyncRunChanged { run_id });
    let started = std::time::Instant::now();
    let outcome = match run.kind {
        SyncRunKind::ProductTotals => product_totals::run(ctx, &run).await,
        SyncRunKind::PullListings => linking::run_pull(ctx, &run).await,
        SyncRunKind::LinkProducts => linking::run_link(ctx, &run).await,
        SyncRunKind::Relink => linking::run_relink(ctx, &run).await,
        SyncRunKind::OrderPoll => orders::run_poll(ctx, &run).await,
        SyncRunKind::OrderFetch => orders::run_fetch(ctx, &run).await,
        SyncRunKind::StockPush => stock_push::run_push(ctx, &run).await,
        SyncRunKind::StockReconcile => stock_push::run_reconcile(ctx, &run).await,
    };
    let (status, message) = match outcome {
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
    sync_runs::finish(&ctx.db, run_id, status, message).await?;
    ctx.events.publish(HubEvent::SyncRunChanged { run_id });
    Ok(())
}

/// On start: every run left CREATED or RUNNING whose job is no longer in the queue (lost with a flushed Redis,
/// finished without finishing its run, or never pushed) gets a new job.
pub async fn recover_unfinished_runs(ctx: &AppContext) -> ServiceResult<usize> {
    let mut requeued = 0;
    for run in sync_runs::unfinished(&ctx.db).await? {
        if let Some(job_id) = &run.job_id
            && ctx.queue.is_live(job_id).await.map_err(ServiceError::Unexpected)?
        {
            continue;
        }
        let new_job = Ulid::generate();
        // Compare-and-set: when two processes start together, one of them re-queues.
        if sync_runs::reassign_job(&ctx.db, run.id, run.job_id.as_deref(), &new_job.to_string()).await? {
            ctx.queue.push(SyncJob { run_id: run.id }, new_job).await.map_err(ServiceError::Unexpected)?;
            tracing::info!(run_id = run.id, "re-queued an unfinished sync run");
            requeued += 1;
        }
    }
    Ok(requeued)
}
