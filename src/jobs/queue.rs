//! The job queue behind one type: Redis when `REDIS_URL` is set; otherwise apalis's SQLite storage (its own
//! file beside the database) for the embedded default, or apalis's PostgreSQL storage on PostgreSQL.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use apalis::prelude::{FetchById, Status, TaskBuilder, TaskId, TaskSink};
use apalis_postgres::{PgPool, PostgresStorage};
use apalis_redis::{ConnectionManager, RedisStorage};
use apalis_sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteStorage};
use ulid::Ulid;

use super::SyncJob;
use crate::config::{DatabaseKind, Settings};

/// A job is retried this many times on infrastructure errors before the queue gives up on it.
const MAX_ATTEMPTS: usize = 5;
/// A worker that misses this many heartbeats is dead; its running jobs go back to the queue.
const HEARTBEAT: Duration = Duration::from_secs(5);
const MISSED_HEARTBEATS: usize = 3;
/// A readiness probe answers within this, even while the queue's store is unreachable.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub enum JobQueue {
    Redis { storage: RedisStorage<SyncJob>, conn: ConnectionManager },
    Sqlite(SqliteStorage<SyncJob>),
    Postgres(PostgresStorage<SyncJob>),
}

impl JobQueue {
    /// The queue's name; explicit, so renaming a Rust type never orphans queued jobs.
    pub fn queue_name(settings: &Settings) -> String {
        format!("{}.sync", settings.queue_namespace)
    }

    pub async fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let queue = Self::queue_name(settings);
        if let Some(url) = &settings.redis_url {
            let client = redis::Client::open(url.as_str()).context("REDIS_URL is not a valid Redis URL")?;
            // The connection manager's default 500 ms response timeout breaks workers under load. After a lost
            // connection it reconnects by itself; few quick retries per attempt (not the default six, up to
            // ~12 s) so that while Redis is down a push or a ping fails within a second or two instead of
            // hanging, and the next command starts a new attempt.
            let config = redis::aio::ConnectionManagerConfig::new()
                .set_response_timeout(Some(Duration::from_secs(10)))
                .set_connection_timeout(Some(Duration::from_secs(5)))
                .set_number_of_retries(2)
                .set_max_delay(Duration::from_millis(500));
            let conn = client.get_connection_manager_with_config(config).await.context("cannot connect to Redis")?;
            let config = apalis_redis::Config::default()
                .queue(&queue)
                .heartbeat_interval(HEARTBEAT)
                .missed_heartbeats(MISSED_HEARTBEATS);
            let storage = RedisStorage::new(conn.clone()).with_config(config);
            return Ok(Self::Redis { storage, conn });
        }
        match settings.database_kind() {
            DatabaseKind::Postgres => {
                let pool = PgPool::connect(&settings.database_url)
                    .await
                    .context("cannot connect the job queue to PostgreSQL")?;
                PostgresStorage::<()>::setup(&pool).await.context("cannot set up the PostgreSQL job queue")?;
                let config = apalis_postgres::Config::default()
                    .queue(&queue)
                    .heartbeat_interval(HEARTBEAT)
                    .missed_heartbeats(MISSED_HEARTBEATS);
                Ok(Self::Postgres(PostgresStorage::new(&pool).with_config(config)))
            }
            DatabaseKind::Sqlite => {
                // Its own file and pool: apalis turns synchronous=OFF on its pool, which the hub's data must not get.
                let url = match settings.sibling_file("-queue.db") {
                    Some(path) => format!("sqlite://{}?mode=rwc", path.display()),
                    None => format!("sqlite:file:omnisync-queue-{}?mode=memory&cache=shared", Ulid::generate()),
                };
                let options = SqliteConnectOptions::from_str(&url)
                    .context("bad queue database path")?
                    .create_if_missing(true)
                    .busy_timeout(Duration::from_secs(10));
                let pool: SqlitePool = SqlitePoolOptions::new()
                    .max_connections(4)
                    // An in-memory queue lives as long as one connection does.
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_with(options)
                    .await
                    .context("cannot open the embedded job queue")?;
                SqliteStorage::setup(&pool).await.context("cannot set up the embedded job queue")?;
                let config = apalis_sqlite::Config::default()
                    .queue(&queue)
                    .heartbeat_interval(HEARTBEAT)
                    .missed_heartbeats(MISSED_HEARTBEATS);
                Ok(Self::Sqlite(SqliteStorage::new(&pool).with_config(config)))
            }
        }
    }

    /// The Redis connection, when the queue is on Redis (shared rate limits use it too).
    pub fn redis(&self) -> Option<ConnectionManager> {
        match self {
            Self::Redis { conn, .. } => Some(conn.clone()),
            _ => None,
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Redis { .. } => "redis",
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// Pushes `job` under the id `job_id` (stored on its sync run, so the run can ask the queue about it later).
    pub async fn push(&self, job: SyncJob, job_id: Ulid) -> anyhow::Result<()> {
        let task = TaskBuilder::new(job).task_id(TaskId::from_ulid(job_id)).max_attempts(MAX_ATTEMPTS).build();
        match self {
            Self::Redis { storage, .. } => storage.clone().push_task(task).await.map_err(|e| anyhow::anyhow!("{e}")),
            Self::Sqlite(storage) => storage.clone().push_task(task).await.map_err(|e| anyhow::anyhow!("{e}")),
            Self::Postgres(storage) => storage.clone().push_task(task).await.map_err(|e| anyhow::anyhow!("{e}")),
        }
    }

    /// Whether the queue still holds `job_id` waiting or running (a running job of a dead worker counts: the queue
    /// hands it back once the worker misses its heartbeats).
    pub async fn is_live(&self, job_id: &str) -> anyhow::Result<bool> {
        let Ok(ulid) = Ulid::from_string(job_id) else { return Ok(false) };
        let id = TaskId::from_ulid(ulid);
        let status = match self {
            Self::Redis { storage, .. } => {
                storage.clone().fetch_by_id(&id).await.map_err(|e| anyhow::anyhow!("{e}"))?.map(|t| t.ctx().status())
            }
            Self::Sqlite(storage) => {
                storage.clone().fetch_by_id(&id).await.map_err(|e| anyhow::anyhow!("{e}"))?.map(|t| t.ctx().status())
            }
            Self::Postgres(storage) => {
                storage.clone().fetch_by_id(&id).await.map_err(|e| anyhow::anyhow!("{e}"))?.map(|t| t.ctx().status())
            }
        };
        Ok(matches!(status, Some(Status::Pending | Status::Queued | Status::Running)))
    }

    /// Readiness: the queue's store answers, within `PING_TIMEOUT`.
    pub async fn ping(&self) -> anyhow::Result<()> {
        tokio::time::timeout(PING_TIMEOUT, self.ping_inner())
            .await
            .map_err(|_| anyhow::anyhow!("the job queue did not answer within {PING_TIMEOUT:?}"))?
    }

    async fn ping_inner(&self) -> anyhow::Result<()> {
        match self {
            Self::Redis { conn, .. } => {
                let mut conn = conn.clone();
                let _: String = redis::cmd("PING").query_async(&mut conn).await?;
            }
            Self::Sqlite(storage) => {
                let _ = storage.pool().acquire().await?;
            }
            Self::Postgres(storage) => {
                let _ = storage.pool().acquire().await?;
            }
        }
        Ok(())
    }
}
