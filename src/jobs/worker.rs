//! The worker pool: one apalis monitor per process, consuming the `sync` queue.

use std::time::Duration;

use apalis::prelude::{BackendExt, BoxDynError, Data, Monitor, TaskId, WorkerBuilder, WorkerBuilderExt};
use tracing::Instrument;

use super::SyncJob;
use super::queue::JobQueue;
use crate::context::AppContext;

async fn handle_sync_job(job: SyncJob, task_id: TaskId, ctx: Data<AppContext>) -> Result<(), BoxDynError> {
    let span = tracing::info_span!("job", queue = "sync", run_id = job.run_id, job_id = %task_id);
    super::execute(&ctx, job.run_id, &task_id.to_string()).instrument(span).await.map_err(|e| -> BoxDynError { Box::new(e) })
}

/// Starts the workers in the background. Worker names are unique per process: apalis refuses a name still
/// registered as alive, which a restarted process reusing its name would hit.
pub fn spawn(ctx: AppContext) -> tokio::task::JoinHandle<()> {
    let name = format!("omnisync-{}-{}", std::process::id(), ulid::Ulid::generate());
    let poll = Duration::from_millis(ctx.settings.queue_poll_interval_ms);
    let concurrency = ctx.settings.worker_concurrency.max(1);
    let monitor = Monitor::new().should_restart(|_, _| true);
    let monitor = match ctx.queue.clone() {
        JobQueue::Redis { storage, .. } => monitor.register(move |i| {
            WorkerBuilder::new(format!("{name}-{i}"))
                .backend(storage.clone().poll_with_interval(poll))
                .data(ctx.clone())
                .concurrency(concurrency)
                .build(handle_sync_job)
        }),
        JobQueue::Sqlite(storage) => monitor.register(move |i| {
            WorkerBuilder::new(format!("{name}-{i}"))
                .backend(storage.clone().poll_with_interval(poll))
                .data(ctx.clone())
                .concurrency(concurrency)
                .build(handle_sync_job)
        }),
        JobQueue::Postgres(storage) => monitor.register(move |i| {
            WorkerBuilder::new(format!("{name}-{i}"))
                .backend(storage.clone().poll_with_interval(poll))
                .data(ctx.clone())
                .concurrency(concurrency)
                .build(handle_sync_job)
        }),
    };
    tokio::spawn(async move {
        if let Err(err) = monitor.run().await {
            tracing::error!(error = %err, "the job worker monitor stopped");
        }
    })
}
