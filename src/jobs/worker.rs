//! The worker pool: one apalis worker per process, consuming the `sync` queue.
//!
//! A worker whose queue fails (Redis restarted, a connection dropped) stops with an error; `spawn` starts a new one
//! under a new name after a short backoff, for as long as the process lives, so the process picks up jobs again as
//! soon as the queue is back. Executions run in tasks of their own: a run in progress does not need the queue, so
//! it finishes even if its worker stops meanwhile (its run's lease keeps a re-delivery of the job from starting a
//! second execution; see `services::sync_runs`).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use apalis::prelude::{
    BackendExt, BoxDynError, Data, PollSnapshot, PollStrategy, TaskId, WorkerBuilder, WorkerBuilderExt,
};
use tracing::Instrument;

use super::SyncJob;
use super::queue::JobQueue;
use crate::context::AppContext;

/// Waits between worker restarts: doubling from the first to the last while the queue stays down.
const RESTART_BACKOFF_FIRST: Duration = Duration::from_millis(250);
const RESTART_BACKOFF_MAX: Duration = Duration::from_secs(4);
/// A worker that ran this long was healthy: the next failure starts the backoff over.
const HEALTHY_RUN: Duration = Duration::from_secs(30);

/// Wakes the worker to fetch every `interval`. apalis's own `IntervalStrategy` re-arms its timer without polling
/// it, so when the timer fired in the same poll as a fetch that came back empty, nothing woke the worker until its
/// next heartbeat (5 s): `bench stock --rate 5` showed every channel's pushes stalling for 3–5 s at random. This
/// one polls the new timer at once, so it holds the worker's waker.
struct EveryInterval {
    interval: Duration,
    timer: Pin<Box<tokio::time::Sleep>>,
}

impl EveryInterval {
    fn new(interval: Duration) -> Self {
        Self { interval, timer: Box::pin(tokio::time::sleep(interval)) }
    }
}

impl PollStrategy for EveryInterval {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _: &PollSnapshot) -> Poll<Option<()>> {
        if self.timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.timer.as_mut().reset(tokio::time::Instant::now() + self.interval);
        // Registers the waker with the new deadline; pending for a non-zero interval.
        let _ = self.timer.as_mut().poll(cx);
        Poll::Ready(Some(()))
    }
}

async fn handle_sync_job(job: SyncJob, task_id: TaskId, ctx: Data<AppContext>) -> Result<(), BoxDynError> {
    let span = tracing::info_span!("job", queue = "sync", run_id = job.run_id, job_id = %task_id);
    let ctx: AppContext = (*ctx).clone();
    let job_id = task_id.to_string();
    // Detached from the worker: if the worker stops (its queue failed), dropping this future leaves the execution
    // running to the end instead of abandoning the run half-done.
    let shutdown = ctx.shutdown.clone();
    let tracked_job = job_id.clone();
    let execution = tokio::spawn(async move { super::execute(&ctx, job.run_id, &job_id).await }.instrument(span));
    // Known to the shutdown, which aborts and hands back what still runs when its grace ends.
    let _tracked = shutdown.track(job.run_id, &tracked_job, execution.abort_handle());
    match execution.await {
        Ok(result) => result.map_err(|e| -> BoxDynError { Box::new(e) }),
        // A panic in a handler: the job fails (and is retried by the queue); the worker goes on.
        Err(join) => Err(Box::new(join)),
    }
}

/// Resolves when the process is told to stop: the worker then fetches nothing more and ends once its running jobs
/// have (apalis tracks them).
async fn stop_requested(ctx: AppContext) -> Result<(), apalis::prelude::WorkerError> {
    ctx.shutdown.requested().await;
    Ok(())
}

/// Runs one worker until its queue fails (an error), it stops, or the process is told to stop.
async fn run_worker(ctx: AppContext, name: String) -> Result<(), apalis::prelude::WorkerError> {
    let poll = Duration::from_millis(ctx.settings.queue_poll_interval_ms);
    let concurrency = ctx.settings.worker_concurrency.max(1);
    match ctx.queue.clone() {
        JobQueue::Redis { storage, .. } => {
            WorkerBuilder::new(name)
                .backend(storage.poll_with_strategy(EveryInterval::new(poll)))
                .data(ctx.clone())
                .concurrency(concurrency)
                .build(handle_sync_job)
                .run_until(stop_requested(ctx))
                .await
        }
        JobQueue::Sqlite(storage) => {
            WorkerBuilder::new(name)
                .backend(storage.poll_with_strategy(EveryInterval::new(poll)))
                .data(ctx.clone())
                .concurrency(concurrency)
                .build(handle_sync_job)
                .run_until(stop_requested(ctx))
                .await
        }
        JobQueue::Postgres(storage) => {
            WorkerBuilder::new(name)
                .backend(storage.poll_with_strategy(EveryInterval::new(poll)))
                .data(ctx.clone())
                .concurrency(concurrency)
                .build(handle_sync_job)
                .run_until(stop_requested(ctx))
                .await
        }
    }
}

/// Starts the workers in the background, restarting them whenever they stop. Worker names are unique per process
/// and per restart: apalis refuses a name still registered as alive, which a restarted worker reusing its name
/// would hit.
pub fn spawn(ctx: AppContext) -> tokio::task::JoinHandle<()> {
    let name = format!("omnisync-{}-{}", std::process::id(), ulid::Ulid::generate());
    tokio::spawn(async move {
        let mut backoff = RESTART_BACKOFF_FIRST;
        for generation in 0u64.. {
            let started = std::time::Instant::now();
            // Its own task, so a panic inside apalis ends this worker, not the restart loop.
            let outcome = tokio::spawn(run_worker(ctx.clone(), format!("{name}-{generation}"))).await;
            if ctx.shutdown.is_requested() {
                tracing::info!("the job worker stopped for the shutdown");
                return;
            }
            match outcome {
                Ok(Ok(())) => tracing::warn!("the job worker stopped; restarting it"),
                Ok(Err(err)) => tracing::warn!(error = %err, "the job worker lost its queue; restarting it"),
                Err(err) => tracing::error!(error = %err, "the job worker panicked; restarting it"),
            }
            if started.elapsed() >= HEALTHY_RUN {
                backoff = RESTART_BACKOFF_FIRST;
            }
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                () = ctx.shutdown.requested() => return,
            }
            backoff = (backoff * 2).min(RESTART_BACKOFF_MAX);
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    struct CountingWaker(AtomicUsize);

    impl futures::task::ArcWake for CountingWaker {
        fn wake_by_ref(this: &Arc<Self>) {
            this.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// After it fires, the strategy wakes the worker again one interval later without being polled in between
    /// (the case apalis's interval strategy missed: the worker's poll ended with an empty fetch).
    #[tokio::test]
    async fn wakes_the_worker_every_interval_even_when_not_polled_after_firing() {
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = futures::task::waker(counter.clone());
        let mut cx = Context::from_waker(&waker);
        let mut strategy = EveryInterval::new(Duration::from_millis(20));
        let snapshot = PollSnapshot::default();
        assert!(strategy.poll_drive(&mut cx, &snapshot).is_pending(), "not due yet");
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(counter.0.load(Ordering::SeqCst), 1, "woken when due");
        assert!(strategy.poll_drive(&mut cx, &snapshot).is_ready(), "fires");
        // Not polled again: the next deadline must still wake the worker.
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(counter.0.load(Ordering::SeqCst), 2, "woken at the next interval without another poll");
    }
}
