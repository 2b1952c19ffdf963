//! Sync runs: one row per job run. The job in the queue carries only the run id; the run row holds the state,
//! so progress survives a Redis flush and a re-delivered job can tell it is stale.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};

use entity::enums::{SyncRunKind, SyncRunStatus};
use entity::sync_run;

use super::ServiceResult;
use super::pagination::{Page, PageArgs, paginate};

pub fn is_finished(status: SyncRunStatus) -> bool {
    matches!(status, SyncRunStatus::Completed | SyncRunStatus::Failed | SyncRunStatus::Canceled)
}

/// A new run, CREATED, with the id its queue job will carry.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    kind: SyncRunKind,
    channel_id: Option<i64>,
    input: Option<serde_json::Value>,
    job_id: &str,
) -> ServiceResult<sync_run::Model> {
    let now = chrono::Utc::now();
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

pub async fn list(db: &DatabaseConnection, filter: &SyncRunFilter, page: &PageArgs) -> ServiceResult<Page<sync_run::Model>> {
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

/// The job `job_id` takes the run: only if the run is unfinished and still assigned to that job. A job delivered
/// twice, or superseded by a re-enqueue, gets `None` and must do nothing.
pub async fn claim(db: &DatabaseConnection, run_id: i64, job_id: &str) -> ServiceResult<Option<sync_run::Model>> {
    let now = chrono::Utc::now();
    let updated = sync_run::Entity::update_many()
        .col_expr(sync_run::Column::Status, Expr::value(SyncRunStatus::Running))
        .col_expr(sync_run::Column::Attempts, Expr::col(sync_run::Column::Attempts).add(1))
        .col_expr(sync_run::Column::StartedAt, Expr::value(now))
        .col_expr(sync_run::Column::UpdatedAt, Expr::value(now))
        .filter(sync_run::Column::Id.eq(run_id))
        .filter(sync_run::Column::JobId.eq(job_id))
        .filter(sync_run::Column::Status.is_in([SyncRunStatus::Created, SyncRunStatus::Running]))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(None);
    }
    get(db, run_id).await
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

pub async fn record_progress(db: &DatabaseConnection, run_id: i64, c: Counters) -> ServiceResult<()> {
    sync_run::Entity::update_many()
        .col_expr(sync_run::Column::Total, Expr::value(c.total))
        .col_expr(sync_run::Column::Processed, Expr::value(c.processed))
        .col_expr(sync_run::Column::Succeeded, Expr::value(c.succeeded))
        .col_expr(sync_run::Column::Failed, Expr::value(c.failed))
        .col_expr(sync_run::Column::Skipped, Expr::value(c.skipped))
        .col_expr(sync_run::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .filter(sync_run::Column::Id.eq(run_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn finish(db: &DatabaseConnection, run_id: i64, status: SyncRunStatus, error: Option<String>) -> ServiceResult<()> {
    let now = chrono::Utc::now();
    sync_run::Entity::update_many()
        .col_expr(sync_run::Column::Status, Expr::value(status))
        .col_expr(sync_run::Column::ErrorMessage, Expr::value(error))
        .col_expr(sync_run::Column::FinishedAt, Expr::value(now))
        .col_expr(sync_run::Column::UpdatedAt, Expr::value(now))
        .filter(sync_run::Column::Id.eq(run_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Runs left CREATED or RUNNING (for start-up recovery).
pub async fn unfinished(db: &DatabaseConnection) -> ServiceResult<Vec<sync_run::Model>> {
    Ok(sync_run::Entity::find()
        .filter(sync_run::Column::Status.is_in([SyncRunStatus::Created, SyncRunStatus::Running]))
        .order_by_asc(sync_run::Column::Id)
        .all(db)
        .await?)
}

/// Moves the run to a new job id, unless another process already did (compare-and-set on the old id).
pub async fn reassign_job(db: &DatabaseConnection, run_id: i64, old_job_id: Option<&str>, new_job_id: &str) -> ServiceResult<bool> {
    let mut update = sync_run::Entity::update_many()
        .col_expr(sync_run::Column::JobId, Expr::value(new_job_id))
        .col_expr(sync_run::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .filter(sync_run::Column::Id.eq(run_id))
        .filter(sync_run::Column::Status.is_in([SyncRunStatus::Created, SyncRunStatus::Running]));
    update = match old_job_id {
        Some(old) => update.filter(sync_run::Column::JobId.eq(old)),
        None => update.filter(sync_run::Column::JobId.is_null()),
    };
    Ok(update.exec(db).await?.rows_affected == 1)
}
