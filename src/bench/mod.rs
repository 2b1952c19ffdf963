//! Benchmarks (`omnisync bench …`): each sets up a fresh store on the chosen backend, starts the hub on it in its
//! own process and the simulators in this one, measures, prints its figures (one JSON line with `--json`; memory is
//! the hub process's), and cleans up. Figures and the commands that produced them are kept in docs/performance.md.

pub mod graphql;
mod graphql_engine;
pub mod link;
pub mod orders;
pub mod oversell;
pub mod stock;
pub mod ws;

use std::time::{Duration, Instant};

use anyhow::Context as _;
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;

use crate::config::Settings;
use crate::context::AppContext;
use crate::services::sync_runs;

/// Which storage a benchmark runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// SQLite file + embedded queue (the default deployment).
    Sqlite,
    /// PostgreSQL + Redis (`OMNISYNC_BENCH_DATABASE_URL`, `OMNISYNC_BENCH_REDIS_URL`; local defaults).
    Postgres,
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// A fresh, isolated store for one benchmark and the hub working on it, both removed on `cleanup`.
///
/// The hub is `omnisync serve` (this binary) in its own process (`HubProcess`), so what is measured is the hub's
/// own: its memory apart from the simulators and the benchmark's load, requests crossing a real socket. This process
/// holds the simulators, prepares the store (`ctx`: no workers) and drives the hub as a merchant and the
/// marketplaces would: through its API, its webhooks and its queue.
pub struct BenchEnv {
    pub ctx: AppContext,
    pub backend: Backend,
    pub hub: HubProcess,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(std::path::PathBuf),
    Database { admin_url: String, name: String },
}

impl BenchEnv {
    /// A fresh store and a hub with `worker_concurrency` workers and no scheduler: the benchmark drives the runs.
    pub async fn start(backend: Backend, worker_concurrency: usize) -> anyhow::Result<Self> {
        let (mut settings, cleanup) = Self::fresh_settings(backend).await?;
        settings.worker_concurrency = worker_concurrency;
        Self::start_with(backend, settings, cleanup).await
    }

    /// As `start`, with the hub running as deployed: the scheduler ticking and the workers polling their queue at
    /// the defaults of `Settings::embedded` (those of `omnisync serve`), for benchmarks that measure what the hub
    /// does on its own rather than runs they drive.
    pub async fn start_as_deployed(backend: Backend) -> anyhow::Result<Self> {
        let (mut settings, cleanup) = Self::fresh_settings(backend).await?;
        let deployed = Settings::embedded(String::new());
        settings.scheduler_interval_secs = deployed.scheduler_interval_secs;
        settings.queue_poll_interval_ms = deployed.queue_poll_interval_ms;
        settings.worker_concurrency = deployed.worker_concurrency;
        Self::start_with(backend, settings, cleanup).await
    }

    /// On PostgreSQL, refreshes the planner's statistics once the benchmark's data is loaded and pushed, as
    /// autovacuum does within a minute of a bulk load: the data was written in seconds, and on a server running
    /// without autovacuum (as CI machines do) every query of the run would be planned for the empty tables
    /// (nested loops over 10,000 rows each).
    pub async fn analyze(&self) -> anyhow::Result<()> {
        if self.backend == Backend::Postgres {
            self.ctx.db.execute_unprepared("ANALYZE").await?;
        }
        Ok(())
    }

    async fn start_with(backend: Backend, settings: Settings, cleanup: Cleanup) -> anyhow::Result<Self> {
        let mut mine = settings.clone();
        mine.run_workers = false;
        let ctx = match crate::startup::build_context(mine).await {
            Ok(ctx) => ctx,
            Err(err) => {
                cleanup.run(None).await;
                return Err(err);
            }
        };
        let started = async {
            let (_, token) = crate::services::api_tokens::create(&ctx.db, "bench", entity::enums::TokenScope::Admin)
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            HubProcess::spawn(&settings, token).await
        };
        match started.await {
            Ok(hub) => Ok(Self { ctx, backend, hub, cleanup }),
            Err(err) => {
                cleanup.run(Some(&ctx)).await;
                Err(err)
            }
        }
    }

    /// Settings for a fresh store on `backend` (no scheduler: benchmarks drive runs) and how to remove it.
    async fn fresh_settings(backend: Backend) -> anyhow::Result<(Settings, Cleanup)> {
        crate::startup::install_tls_provider();
        let tag = ulid::Ulid::generate().to_string().to_lowercase();
        let (mut settings, cleanup) = match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("omnisync-bench-{tag}"));
                std::fs::create_dir_all(&dir)?;
                (Settings::embedded(format!("sqlite://{}/omnisync.db?mode=rwc", dir.display())), Cleanup::Dir(dir))
            }
            Backend::Postgres => {
                let admin_url = std::env::var("OMNISYNC_BENCH_DATABASE_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
                let name = format!("omnisync_bench_{tag}");
                let admin = Database::connect(&admin_url).await.context("PostgreSQL unreachable")?;
                admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
                let _ = admin.close().await;
                let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or_else(|| admin_url.clone());
                let mut s = Settings::embedded(format!("{base}/{name}"));
                s.redis_url =
                    Some(std::env::var("OMNISYNC_BENCH_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()));
                s.secret_key = Some(crate::secrets::SecretBox::generate_key_text());
                s.queue_namespace = format!("omnisync-bench-{tag}");
                (s, Cleanup::Database { admin_url, name })
            }
        };
        settings.scheduler_interval_secs = 0;
        // Benchmarks measure the hub, not a client's query budget.
        settings.cost_budget = 0;
        settings.queue_poll_interval_ms = 50;
        Ok((settings, cleanup))
    }

    /// Waits for a run to finish; returns it with how long it took since `started`.
    pub async fn wait(
        &self,
        run_id: i64,
        started: Instant,
        limit: Duration,
    ) -> anyhow::Result<(entity::sync_run::Model, Duration)> {
        loop {
            let run = sync_runs::get(&self.ctx.db, run_id)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .context("run vanished")?;
            if sync_runs::is_finished(run.status) {
                return Ok((run, started.elapsed()));
            }
            if started.elapsed() > limit {
                anyhow::bail!("run {run_id} did not finish within {limit:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the hub and removes the store.
    pub async fn cleanup(self) {
        drop(self.hub);
        self.cleanup.run(Some(&self.ctx)).await;
    }
}

impl Cleanup {
    async fn run(self, ctx: Option<&AppContext>) {
        match self {
            Self::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Self::Database { admin_url, name } => {
                if let Some(ctx) = ctx {
                    let _ = ctx.db.clone().close().await;
                }
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                }
            }
        }
    }
}

/// The hub under measurement: `omnisync serve` run from this binary on the benchmark's store, on a free port.
/// Killed when dropped.
pub struct HubProcess {
    child: std::process::Child,
    /// `http://127.0.0.1:<port>`: its API, webhooks and health.
    pub base_url: String,
    /// An ADMIN token of the benchmark.
    pub token: String,
    client: reqwest::Client,
}

impl HubProcess {
    async fn spawn(settings: &Settings, token: String) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let bind = format!("127.0.0.1:{port}");
        // Another build of the hub under the same load (before/after comparisons), or this one.
        let binary = match std::env::var_os("OMNISYNC_BENCH_HUB") {
            Some(path) => std::path::PathBuf::from(path),
            None => std::env::current_exe().context("this binary's path")?,
        };
        let mut command = std::process::Command::new(binary);
        command
            .args(["serve", "--bind", &bind])
            .env("DATABASE_URL", &settings.database_url)
            .env("OMNISYNC_CURRENCY", &settings.currency)
            .env("OMNISYNC_QUEUE_NAMESPACE", &settings.queue_namespace)
            .env("OMNISYNC_WORKER_CONCURRENCY", settings.worker_concurrency.to_string())
            .env("OMNISYNC_SCHEDULER_INTERVAL", settings.scheduler_interval_secs.to_string())
            .env("OMNISYNC_QUEUE_POLL_MS", settings.queue_poll_interval_ms.to_string())
            .env("OMNISYNC_PUSH_LINGER_MS", settings.push_linger_ms.to_string())
            .env("OMNISYNC_COST_BUDGET", settings.cost_budget.to_string())
            .env("RUST_LOG", std::env::var("OMNISYNC_BENCH_HUB_LOG").unwrap_or_else(|_| "warn".into()))
            .env_remove("REDIS_URL")
            .env_remove("OMNISYNC_SECRET_KEY")
            .env_remove("OMNISYNC_PUBLIC_URL")
            .stdout(std::process::Stdio::null());
        if let Some(url) = &settings.redis_url {
            command.env("REDIS_URL", url);
        }
        if let Some(key) = &settings.secret_key {
            command.env("OMNISYNC_SECRET_KEY", key);
        }
        let child = command.spawn().context("cannot start the hub process")?;
        let mut hub = Self { child, base_url: format!("http://{bind}"), token, client: reqwest::Client::new() };
        hub.wait_until_ready().await?;
        Ok(hub)
    }

    async fn wait_until_ready(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!("the hub process exited at start: {status}");
            }
            let ready = self.client.get(format!("{}/readyz", self.base_url)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(60) {
                anyhow::bail!("the hub process was not ready within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The hub's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The hub's peak resident memory so far, in MiB (Linux `VmHWM` of its process); 0 where unknown.
    pub fn peak_rss_mb(&self) -> f64 {
        vm_hwm_mb(&format!("/proc/{}/status", self.pid()))
    }

    /// Runs a GraphQL operation on the hub; its `data`, or an error carrying the response's errors.
    pub async fn graphql(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let response: Value = self
            .client
            .post(format!("{}/graphql", self.base_url))
            .bearer_auth(&self.token)
            .json(&serde_json::json!({ "query": query, "variables": variables }))
            .send()
            .await?
            .json()
            .await?;
        if let Some(errors) = response.get("errors") {
            anyhow::bail!("the hub answered errors: {errors}");
        }
        Ok(response["data"].clone())
    }

    /// The sum of a metric's series at the hub's `/metrics` (0 when it has none yet).
    pub async fn metric_sum(&self, name: &str) -> anyhow::Result<f64> {
        let text =
            self.client.get(format!("{}/metrics", self.base_url)).bearer_auth(&self.token).send().await?.text().await?;
        Ok(text
            .lines()
            .filter(|line| line.strip_prefix(name).is_some_and(|rest| rest.starts_with([' ', '{'])))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum())
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `VmHWM` of a `/proc/<pid>/status` file, in MiB; 0 where unknown.
fn vm_hwm_mb(status_file: &str) -> f64 {
    std::fs::read_to_string(status_file)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| (kb / 1024.0 * 10.0).round() / 10.0)
        .unwrap_or(0.0)
}

/// Sizes for `bench all`: the issues' own (`Full`), or a quick pass of a few minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    Full,
    Quick,
}

/// `omnisync bench all`: link, stock, orders, oversell, GraphQL reads and idle sockets, one after another, each on
/// a fresh store; every benchmark prints its own line. A failing benchmark is reported and the others still run.
pub async fn all(backend: Backend, scale: Scale, json: bool) -> anyhow::Result<()> {
    let full = scale == Scale::Full;
    let pick = |full_size: usize, quick_size: usize| if full { full_size } else { quick_size };
    let mut failed = Vec::new();
    let mut note = |name: &'static str, result: anyhow::Result<()>| {
        if let Err(err) = result {
            if json {
                println!("{}", serde_json::json!({ "bench": name, "error": format!("{err:#}"), "cores": cores() }));
            } else {
                eprintln!("bench {name} failed: {err:#}");
            }
            failed.push(name);
        }
    };
    note("link", link::run(pick(100_000, 10_000), backend, json).await);
    note("stock", stock::run(pick(10_000, 2_000), pick(100_000, 10_000), 4, 0.0, backend, json).await);
    note("orders", orders::run(pick(10_000, 2_000), 0.0, backend, json).await);
    // The issue's own sizes are small: both scales run them (about a minute).
    note("oversell", oversell::run(oversell::OversellArgs::issue_defaults(backend), json).await);
    note("graphql", graphql::run(backend, 64, 10, json).await);
    note("ws", ws::run(pick(10_000, 2_000), json).await);
    if failed.is_empty() { Ok(()) } else { anyhow::bail!("benchmarks failed: {}", failed.join(", ")) }
}

/// The `p`th percentile (0–100, nearest rank) of ascending `sorted`; 0 when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Rounds to two decimals (figures in the printed results).
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map(std::num::NonZero::get).unwrap_or(1)
}

/// Prints a result: one JSON line, or a readable block.
pub fn report(json: bool, result: &Value) {
    if json {
        println!("{result}");
    } else if let Value::Object(map) = result {
        for (k, v) in map {
            println!("{k:>16}: {v}");
        }
    }
}
