//! Typed settings, read from command-line flags and the environment (see README's configuration table).

use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything the application needs to start. Built by the CLI from flags/environment, or directly by tests.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `sqlite://…` (embedded default) or `postgres://…`.
    pub database_url: String,
    /// When set, jobs (and later live events) go through Redis; otherwise an embedded durable queue.
    pub redis_url: Option<String>,
    /// Address the HTTP server binds; port 0 picks a free port (tests).
    pub bind: SocketAddr,
    /// 32-byte key (base64 or hex) encrypting channel credentials at rest.
    pub secret_key: Option<String>,
    /// Keys of a rotation under way: they still decrypt what they encrypted (`omnisync secrets rotate`).
    pub secret_key_previous: Vec<String>,
    /// ISO 4217 code of the catalog's prices.
    pub currency: String,
    /// Prefix of every queue name, so several hubs (or test runs) can share one Redis.
    pub queue_namespace: String,
    /// Run job workers in this process.
    pub run_workers: bool,
    /// Jobs run at once by this process's worker.
    pub worker_concurrency: usize,
    /// How often an idle worker looks for new jobs.
    pub queue_poll_interval_ms: u64,
    /// How long a stock push run keeps its channel after a round found nothing due, looking for the next change
    /// (which then goes out without a new run's start); at most `MAX_PUSH_LINGER_MS`; 0: the run ends at once.
    pub push_linger_ms: u64,
    /// The hub's public base URL (OAuth redirects, webhook addresses); defaults to `http://<bind>`.
    pub public_url: Option<String>,
    /// Seconds between scheduler ticks in worker processes (order polling, pushes, reconciliation); 0: off.
    pub scheduler_interval_secs: u64,
    /// Longest wait for one marketplace answer before the call counts as failed (and is retried).
    pub channel_timeout_ms: u64,
    /// Largest GraphQL request body accepted, in bytes; a larger one is refused (413) without being read.
    pub max_request_bytes: usize,
    /// Answer introspection queries (`__schema`, `__type`); an operator may turn it off in production.
    pub introspection: bool,
    /// Query cost points each API token may spend at once (its bucket); 0: costs are reported, never refused.
    pub cost_budget: u32,
    /// Points a token's bucket regains per second.
    pub cost_restore_per_second: u32,
    /// Seconds a stopping process gives running requests and jobs to finish before handing jobs back.
    pub shutdown_grace_secs: u64,
    /// HTTP worker threads of `serve`; defaults to the cores available.
    pub http_workers: usize,
    /// Largest number of PostgreSQL connections this process opens (SQLite: one writer, readers per core).
    pub database_pool_size: u32,
    /// Browser origins allowed to call the API from another origin (CORS); empty: none.
    pub cors_origins: Vec<String>,
    /// Apply pending migrations at start (under the migration lock); otherwise refuse to start on an older schema.
    pub migrate: bool,
}

/// The default `shutdown_grace_secs`.
pub const DEFAULT_SHUTDOWN_GRACE_SECS: u64 = 30;
/// The default `push_linger_ms`: a change a second or more often keeps one run pushing it.
pub const DEFAULT_PUSH_LINGER_MS: u64 = 1_000;
/// The longest `push_linger_ms` honoured: well within the push lease, renewed between rounds.
pub const MAX_PUSH_LINGER_MS: u64 = 5_000;
/// The default `database_pool_size`.
pub const DEFAULT_DATABASE_POOL_SIZE: u32 = 20;

/// The cores this process may use: the default number of HTTP workers.
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map(std::num::NonZero::get).unwrap_or(1)
}

/// The default bucket: five of the most complex queries accepted (`graphql::MAX_COMPLEXITY`) at once.
pub const DEFAULT_COST_BUDGET: u32 = 100_000;
/// The default refill: a query of the largest complexity every two seconds, sustained.
pub const DEFAULT_COST_RESTORE_PER_SECOND: u32 = 10_000;

/// The default `max_request_bytes`: far above any real query (a 250-line stock change is ~40 KiB).
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 2 * 1024 * 1024;

impl Settings {
    /// Defaults for a local embedded run, with `database_url` as given.
    pub fn embedded(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            redis_url: None,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            secret_key: None,
            secret_key_previous: Vec::new(),
            currency: "VND".to_owned(),
            queue_namespace: "omnisync".to_owned(),
            run_workers: true,
            worker_concurrency: 4,
            queue_poll_interval_ms: 200,
            push_linger_ms: DEFAULT_PUSH_LINGER_MS,
            public_url: None,
            scheduler_interval_secs: 15,
            channel_timeout_ms: 30_000,
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            introspection: true,
            cost_budget: DEFAULT_COST_BUDGET,
            cost_restore_per_second: DEFAULT_COST_RESTORE_PER_SECOND,
            shutdown_grace_secs: DEFAULT_SHUTDOWN_GRACE_SECS,
            http_workers: available_cores(),
            database_pool_size: DEFAULT_DATABASE_POOL_SIZE,
            cors_origins: Vec::new(),
            migrate: true,
        }
    }

    /// Where marketplaces and browsers reach this hub.
    pub fn public_base_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.bind)).trim_end_matches('/').to_owned()
    }

    pub fn database_kind(&self) -> DatabaseKind {
        if self.database_url.starts_with("postgres://") || self.database_url.starts_with("postgresql://") {
            DatabaseKind::Postgres
        } else {
            DatabaseKind::Sqlite
        }
    }

    /// The file behind a SQLite URL (`sqlite://data/omnisync.db?mode=rwc` → `data/omnisync.db`);
    /// `None` for PostgreSQL and in-memory SQLite.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        if self.database_kind() != DatabaseKind::Sqlite {
            return None;
        }
        let rest = self.database_url.strip_prefix("sqlite://").or_else(|| self.database_url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path.starts_with(":memory:") {
            return None;
        }
        Some(PathBuf::from(path))
    }

    /// A file beside the SQLite database (key file, queue file), named `<stem><suffix>`.
    pub fn sibling_file(&self, suffix: &str) -> Option<PathBuf> {
        let db = self.sqlite_path()?;
        let stem = db.file_stem()?.to_string_lossy().into_owned();
        Some(db.with_file_name(format!("{stem}{suffix}")))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_url_gives_the_database_file_and_its_siblings() {
        let settings = Settings::embedded("sqlite://data/omnisync.db?mode=rwc");
        assert_eq!(settings.sqlite_path(), Some(PathBuf::from("data/omnisync.db")));
        assert_eq!(settings.sibling_file(".key"), Some(PathBuf::from("data/omnisync.key")));
        assert_eq!(settings.sibling_file("-queue.db"), Some(PathBuf::from("data/omnisync-queue.db")));
    }

    #[test]
    fn memory_and_postgres_urls_have_no_file() {
        assert_eq!(Settings::embedded("sqlite::memory:").sqlite_path(), None);
        let pg = Settings::embedded("postgres://postgres@127.0.0.1/hub");
        assert_eq!(pg.database_kind(), DatabaseKind::Postgres);
        assert_eq!(pg.sqlite_path(), None);
    }
}
