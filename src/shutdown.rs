//! Graceful shutdown. A process told to stop (SIGTERM or SIGINT) stops taking work, lets what runs finish within
//! a grace period (`OMNISYNC_SHUTDOWN_GRACE`), hands back what it could not finish, and exits 0.
//!
//! One `Shutdown` per process, in `AppContext`: once requested, workers fetch no more jobs, the scheduler stops,
//! long runs end at their next safe point (a push run after its round, an import between batches), and
//! subscription sockets close with 1001 (going away). Executions still running when the grace ends are aborted and
//! their runs handed back to the queue (`jobs::hand_back`), where another process resumes them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;

/// Returned by a run's work that stopped at a safe point because the process is shutting down: the run is handed
/// back to the queue, neither completed nor failed.
#[derive(Debug, thiserror::Error)]
#[error("the process is shutting down; the run goes back to the queue")]
pub struct Interrupted;

/// A run being executed by this process, so the end of the grace can abort it and hand it back.
struct Execution {
    job_id: String,
    abort: AbortHandle,
}

#[derive(Clone, Default)]
pub struct Shutdown {
    requested: CancellationToken,
    executions: Arc<Mutex<HashMap<i64, Execution>>>,
}

impl Shutdown {
    /// Asks every part of the process to stop taking work.
    pub fn request(&self) {
        self.requested.cancel();
    }

    pub fn is_requested(&self) -> bool {
        self.requested.is_cancelled()
    }

    /// Resolves once a shutdown is requested.
    pub async fn requested(&self) {
        self.requested.cancelled().await;
    }

    /// `Err(Interrupted)` once a shutdown is requested: the check a long run makes at its safe points.
    pub fn check(&self) -> crate::services::ServiceResult<()> {
        if self.is_requested() {
            return Err(crate::services::ServiceError::Unexpected(anyhow::Error::new(Interrupted)));
        }
        Ok(())
    }

    /// Notes the execution of `run_id` by `job_id` until the returned guard drops.
    pub fn track(&self, run_id: i64, job_id: &str, abort: AbortHandle) -> Tracked {
        self.lock().insert(run_id, Execution { job_id: job_id.to_owned(), abort });
        Tracked { executions: self.executions.clone(), run_id }
    }

    /// Aborts every execution still running; returns their (run id, job id).
    pub fn abort_executions(&self) -> Vec<(i64, String)> {
        self.lock()
            .drain()
            .map(|(run_id, e)| {
                e.abort.abort();
                (run_id, e.job_id)
            })
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Execution>> {
        self.executions.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Removes its execution from the process's list when the execution ends.
pub struct Tracked {
    executions: Arc<Mutex<HashMap<i64, Execution>>>,
    run_id: i64,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.executions.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&self.run_id);
    }
}

/// Whether an error is a run's work stopping for a shutdown.
pub fn is_interrupted(err: &anyhow::Error) -> bool {
    err.is::<Interrupted>()
}

/// Resolves on the first SIGTERM or SIGINT, naming it.
pub async fn signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(mut term), Ok(mut int)) => tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        },
        // No signal handler could be installed: Ctrl-C through tokio's portable path only.
        _ => {
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_is_seen_by_checks_and_waiters_and_aborts_what_still_runs() {
        let shutdown = Shutdown::default();
        assert!(shutdown.check().is_ok());
        let task = tokio::spawn(std::future::pending::<()>());
        let tracked = shutdown.track(7, "job-7", task.abort_handle());
        let finished = tokio::spawn(async {});
        drop(shutdown.track(8, "job-8", finished.abort_handle()));
        let waiter = {
            let s = shutdown.clone();
            tokio::spawn(async move { s.requested().await })
        };
        shutdown.request();
        waiter.await.expect("the waiter saw the request");
        match shutdown.check() {
            Err(crate::services::ServiceError::Unexpected(err)) => assert!(is_interrupted(&err)),
            other => panic!("expected Interrupted, got {other:?}"),
        }
        assert_eq!(shutdown.abort_executions(), vec![(7, "job-7".to_owned())], "only what still runs");
        assert!(task.await.expect_err("aborted").is_cancelled());
        drop(tracked);
        assert!(shutdown.abort_executions().is_empty());
    }
}
