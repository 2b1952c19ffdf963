//! Benchmarks (`omnisync bench …`): each sets up a fresh store on the chosen backend, starts what it needs
//! (simulators, workers) in this process, measures, prints its figures (one JSON line with `--json`), and cleans
//! up. Figures and the commands that produced them are kept in docs/performance.md.

pub mod graphql;
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

/// A fresh, isolated store for one benchmark, removed on `cleanup`.
pub struct BenchEnv {
    pub ctx: AppContext,
    pub backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(std::path::PathBuf),
    Database { admin_url: String, name: String },
}

impl BenchEnv {
    /// Builds the store, migrates it and starts this process's workers (no scheduler: benchmarks drive runs).
    pub async fn start(backend: Backend, worker_concurrency: usize) -> anyhow::Result<Self> {
        let (mut settings, cleanup) = Self::fresh_settings(backend).await?;
        settings.worker_concurrency = worker_concurrency;
        let ctx = crate::startup::build_context(settings).await?;
        crate::startup::start_workers(&ctx).await?;
        Ok(Self { ctx, backend, cleanup })
    }

    /// Builds the store and serves the API from this process (workers included), on a free port.
    pub async fn serve(backend: Backend) -> anyhow::Result<(Self, u16)> {
        let (settings, cleanup) = Self::fresh_settings(backend).await?;
        Self::serve_with(backend, settings, cleanup).await
    }

    /// As `serve`, with the hub running as deployed: the scheduler ticking and the workers polling their queue at
    /// the defaults of `Settings::embedded` (those of `omnisync serve`), for benchmarks that measure what the hub
    /// does on its own rather than runs they drive.
    pub async fn serve_as_deployed(backend: Backend) -> anyhow::Result<(Self, u16)> {
        let (mut settings, cleanup) = Self::fresh_settings(backend).await?;
        let deployed = Settings::embedded(String::new());
        settings.scheduler_interval_secs = deployed.scheduler_interval_secs;
        settings.queue_poll_interval_ms = deployed.queue_poll_interval_ms;
        settings.worker_concurrency = deployed.worker_concurrency;
        Self::serve_with(backend, settings, cleanup).await
    }

    async fn serve_with(backend: Backend, mut settings: Settings, cleanup: Cleanup) -> anyhow::Result<(Self, u16)> {
        settings.bind = "127.0.0.1:0".parse()?;
        let app = crate::startup::Application::build(settings).await?;
        let (ctx, port) = (app.context().clone(), app.port());
        tokio::spawn(app.run_until_stopped());
        Ok((Self { ctx, backend, cleanup }, port))
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

    pub async fn cleanup(self) {
        match self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Database { admin_url, name } => {
                let _ = self.ctx.db.clone().close().await;
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                }
            }
        }
    }
}

/// Peak resident memory of this process so far, in MiB (Linux `VmHWM`); 0 where unknown.
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
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

/// Starts a new peak for `peak_rss_mb` (Linux: writing 5 to `clear_refs` resets `VmHWM`), so that benchmarks run
/// one after another in one process each report their own peak.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
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
    reset_peak_rss();
    note("link", link::run(pick(100_000, 10_000), backend, json).await);
    reset_peak_rss();
    note("stock", stock::run(pick(10_000, 2_000), pick(100_000, 10_000), 4, 0.0, backend, json).await);
    reset_peak_rss();
    note("orders", orders::run(pick(10_000, 2_000), 0.0, backend, json).await);
    reset_peak_rss();
    // The issue's own sizes are small: both scales run them (about a minute).
    note("oversell", oversell::run(oversell::OversellArgs::issue_defaults(backend), json).await);
    reset_peak_rss();
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
