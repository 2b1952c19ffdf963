//! Sync runs: one row per job run. The job in the queue carries only the run id; the run row holds the state,
//! so progress survives a Redis flush and a re-delivered job can tell it is stale.
//!
//! A RUNNING run is leased to its job: the execution touches `updated_at` every `LEASE_RENEW_EVERY`, so a run
//! untouched for `LEASE_STALE_AFTER` has no live execution. Only then may the same job take it again (a
//! re-delivery after its worker died) or recovery give it to a new job — two executions never overlap.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder,
};

use entity::enums::{SyncRunKind, SyncRunStatus};
use entity::sync_run;

use super::ServiceResult;
use super::pagination::{Page, PageArgs, paginate};

/// How often a running execution renews its run's lease.
pub const LEASE_RENEW_EVERY: Duration = Duration::from_secs(3);
/// A RUNNING run untouched this long has no live execution. Below the queue's dead-worker time (15 s): a job
/// handed back by the queue after its worker died finds the lease expired and starts at once.
pub const LEASE_STALE_AFTER: Duration = Duration::from_secs(12);

tokio::task_local! {
    /// The job executing in this task (set by `jobs::execute`), so progress writes of a superseded execution are
    /// dropped instead of overwriting the counters of the run's new job.
    pub static CURRENT_JOB: String;
}

pub fn is_finished(status: SyncRunStatus) -> bool {
    matches!(status, SyncRunStatus::Completed | SyncRunStatus::Failed | SyncRunStatus::Cancelled)
}

/// A new run, CREATED, with the id its queue job will carry.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    kind: SyncRunKind,
    channel_id: Option<i64>,
    input: Option<serde_json::Value>,
    job_id: &str,
) -> ServiceResult<sync_run::Model> {
    let now = super::clock::now(db).await?;
    Ok(sync_run::ActiveModel {
        kind: Set(kind),
        channel_id: Set(channel_id),
        status: Set(SyncRunStatus::Created),
        total: Set(0),
        processed: Set(0),
        succeeded: Set(0),
        failed: Set(0),
        skipped: Set(0),
        input: Set(input),
        error_message: Set(None),
        job_id: Set(Some(job_id.to_owned())),
        attempts: Set(0),
        created_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn get(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<sync_run::Model>> {
    Ok(sync_run::Entity::find_by_id(id).one(db).await?)
}

#[derive(Debug, Clone, Default)]
pub struct SyncRunFilter {
    pub kind: Option<SyncRunKind>,
    pub status: Option<SyncRunStatus>,
    pub channel_id: Option<i64>,
}

pub async fn list(
    db: &DatabaseConnection,
    filter: &SyncRunFilter,
    page: &PageArgs,
) -> ServiceResult<Page<sync_run::Model>> {
    let mut select = sync_run::Entity::find();
    if let Some(kind) = filter.kind {
        select = select.filter(sync_run::Column::Kind.eq(kind));
    }
    if let Some(status) = filter.status {
        select = select.filter(sync_run::Column::Status.eq(status));
    }
    if let Some(channel_id) = filter.channel_id {
        select = select.filter(sync_run::Column::ChannelId.eq(channel_id));
    }
    paginate(db, select, sync_run::Column::Id, page).await
}

/// What `claim` found.
#[derive(Debug)]
pub enum Claim {
    /// The job took the run (now RUNNING, attempts + 1).
    Taken(sync_run::Model),
    /// The run is RUNNING under this job and its lease is live: an execution of the same job is still at work
    /// (a re-delivery while its first worker lives). Ask again later.
    Busy,
    /// Finished, deleted, or assigned to another job: this job has nothing to do.
    NotOurs,
}

/// The job `job_id` takes the run: only if the run is still assigned to that job, and is CREATED, or RUNNING
/// with an expired lease (the execution that started it died). A job delivered twice, or superseded by a
/// re-enqueue, gets `NotOurs` and must do nothing.
pub async fn claim(db: &DatabaseConnection, run_id: i64, job_id: &str) -> ServiceResult<Claim> {
    let now = super::clock::now(db).await?;
    let stale = now - chrono::Duration::from_std(LEASE_STALE_AFTER).unwrap_or_default();
    let takeable = Condition::any().add(sync_run::Column::Status.eq(SyncRunStatus::Created)).add(
        Condition::all()
            .add(sync_run::Column::Status.eq(SyncRunStatus::Running))
            .add(sync_run::Column::UpdatedAt.lte(stale)),
    );
    let updated = sync_run::Entity::update_many()
        .col_expr(sync_run::Column::Status, Expr::value(SyncRunStatus::Running))
        .col_expr(sync_run::Column::Attempts, Expr::col(sync_run::Column::Attempts).add(1))
        .col_expr(sync_run::Column::StartedAt, Expr::value(now))
        .col_expr(sync_run::Column::UpdatedAt, Expr::value(now))
        .filter(sync_run::Column::Id.eq(run_id))
        .filter(sync_run::Column::JobId.eq(job_id))
        .filter(takeable)
        .exec(db)
        .await?;
    let run = get(db, run_id).await?;
    Ok(match run {
        Some(run) if updated.rows_affected == 1 => Claim::Taken(run),
        Some(run) if run.status == SyncRunStatus::Running && run.job_id.as_deref() == Some(job_id) => Claim::Busy,
        _ => Claim::NotOurs,
    })
}

/// Renews the lease of the run `job_id` executes. `false`: the run is no longer this job's (finished, or handed to
/// another job after the lease expired) — the execution must stop.
pub async fn renew_lease(db: &DatabaseConnection, run_id: i64, job_id: &str) -> ServiceResult<bool> {
    let updated = sync_run::Entity::update_many()
        .col_expr(sync_run::Column::UpdatedAt, super::clock::now_expr(db.get_database_backend()))
        .filter(sync_run::Column::Id.eq(run_id))
        .filter(sync_run::Column::JobId.eq(job_id))
        .filter(sync_run::Column::Status.eq(SyncRunStatus::Running))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Ends the lease of an execution that stopped without finishing its run (its future was dropped, or it failed on
/// infrastructure): `updated_at` is moved back past the stale mark, so the job's re-delivery takes the run at once
/// instead of waiting for the lease to run out. The run stays RUNNING.
pub async fn release_lease(db: &DatabaseConnection, run_id: i64, job_id: &str) -> ServiceResult<()> {
    let expired = super::clock::ago(db, LEASE_STALE_AFTER + Duration::from_secs(1)).await?;
    sync_run::Entity::update_many()
        .col_expr(sync_run::Column::UpdatedAt, Expr::value(expired))
        .filter(sync_run::Column::Id.eq(run_id))
        .filter(sync_run::Column::JobId.eq(job_id))
        .filter(sync_run::Column::Status.eq(SyncRunStatus::Running))
        .exec(db)
        .await?;
    Ok(())
}

/// Counters of a running run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub total: i64,
    pub processed: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub skipped: i64,
}

/// Records counters. Inside `jobs::execute` only while the run is still this execution's job (a superseded
/// execution's late counters are dropped).
pub async fn record_progress(db: &DatabaseConnection, run_id: i64, c: Counters) -> ServiceResult<()> {
    let mut update = sync_run::Entity::update_many()
        .col_expr(sync_run::Column::Total, Expr::value(c.total))
        .col_expr(sync_run::Column::Processed, Expr::value(c.processed))
        .col_expr(sync_run::Column::Succeeded, Expr::value(c.succeeded))
        .col_expr(sync_run::Column::Failed, Expr::value(c.failed))
        .col_expr(sync_run::Column::Skipped, Expr::value(c.skipped))
        .col_expr(sync_run::Column::UpdatedAt, super::clock::now_expr(db.get_database_backend()))
        .filter(sync_run::Column::Id.eq(run_id));
    if let Ok(job_id) = CURRENT_JOB.try_with(Clone::clone) {
        update = update
            .filter(sync_run::Column::JobId.eq(job_id))
            .filter(sync_run::Column::Status.eq(SyncRunStatus::Running));
    }
    update.exec(db).await?;
    Ok(())
}

/// Replaces the run's input (a run drops what it no longer needs once its work is done).
pub async fn replace_input(db: &DatabaseConnection, run_id: i64, input: serde_json::Value) -> ServiceResult<()> {
    sync_run::Entity::update_many()
        .col_expr(sync_run::Column::Input, Expr::value(input))
        .filter(sync_run::Column::Id.eq(run_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Finishes the run — only while it is still `job_id`'s: an execution that lost its run (the lease expired and
/// recovery gave it to a new job) must not overwrite the new execution's outcome. Returns whether it did.
pub async fn finish(
    db: &DatabaseConnection,
    run_id: i64,
    job_id: &str,
    status: SyncRunStatus,
    error: Option<String>,
) -> ServiceResult<bool> {
    let now = super::clock::now(db).await?;
    let updated = sync_run::Entity::update_many()
        .col_expr(sync_run::Column::Status, Expr::value(status))
        .col_expr(sync_run::Column::ErrorMessage, Expr::value(error))
        .col_expr(sync_run::Column::FinishedAt, Expr::value(now))
        .col_expr(sync_run::Column::UpdatedAt, Expr::value(now))
        .filter(sync_run::Column::Id.eq(run_id))
        .filter(sync_run::Column::JobId.eq(job_id))
        .filter(sync_run::Column::Status.is_in([SyncRunStatus::Created, SyncRunStatus::Running]))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Runs that may have lost their job: CREATED and untouched since `created_before`, or RUNNING with a lease
/// expired before `running_before` (oldest first).
pub async fn unfinished(
    db: &DatabaseConnection,
    created_before: DateTime<Utc>,
    running_before: DateTime<Utc>,
) -> ServiceResult<Vec<sync_run::Model>> {
    Ok(sync_run::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(sync_run::Column::Status.eq(SyncRunStatus::Created))
                        .add(sync_run::Column::UpdatedAt.lte(created_before)),
                )
                .add(
                    Condition::all()
                        .add(sync_run::Column::Status.eq(SyncRunStatus::Running))
                        .add(sync_run::Column::UpdatedAt.lte(running_before)),
                ),
        )
        .order_by_asc(sync_run::Column::Id)
        .all(db)
        .await?)
}

/// Whether a run has waited to start (CREATED) since before `before`: every worker is busy.
pub async fn any_waiting_since(db: &DatabaseConnection, before: DateTime<Utc>) -> ServiceResult<bool> {
    Ok(sync_run::Entity::find()
        .filter(sync_run::Column::Status.eq(SyncRunStatus::Created))
        .filter(sync_run::Column::CreatedAt.lte(before))
        .one(db)
        .await?
        .is_some())
}

/// Runs waiting to start (CREATED), oldest first.
pub async fn waiting_to_start(db: &DatabaseConnection) -> ServiceResult<Vec<sync_run::Model>> {
    Ok(sync_run::Entity::find()
        .filter(sync_run::Column::Status.eq(SyncRunStatus::Created))
        .order_by_asc(sync_run::Column::Id)
        .all(db)
        .await?)
}

/// Gives the run `run` (as read) to a new job, back in CREATED — unless it changed since it was read
/// (compare-and-set on job id and status, and still untouched since `stale_before`): another process re-queued
/// it first, its job claimed it, or its execution renewed the lease.
pub async fn reassign_job(
    db: &DatabaseConnection,
    run: &sync_run::Model,
    stale_before: DateTime<Utc>,
    new_job_id: &str,
) -> ServiceResult<bool> {
    let mut update = sync_run::Entity::update_many()
        .col_expr(sync_run::Column::JobId, Expr::value(new_job_id))
        .col_expr(sync_run::Column::Status, Expr::value(SyncRunStatus::Created))
        .col_expr(sync_run::Column::UpdatedAt, super::clock::now_expr(db.get_database_backend()))
        .filter(sync_run::Column::Id.eq(run.id))
        .filter(sync_run::Column::Status.eq(run.status))
        .filter(sync_run::Column::UpdatedAt.lte(stale_before));
    update = match &run.job_id {
        Some(old) => update.filter(sync_run::Column::JobId.eq(old.as_str())),
        None => update.filter(sync_run::Column::JobId.is_null()),
    };
    Ok(update.exec(db).await?.rows_affected == 1)
}
