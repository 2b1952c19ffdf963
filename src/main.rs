//! The `omnisync` command: serve, worker, migrate, export-schema.
// `bench graphql` executes the schema in this binary; its future is deeper than the default limit lays out.
#![recursion_limit = "256"]

use std::net::SocketAddr;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use omnisync::config::Settings;
use omnisync::{graphql, startup, telemetry};

/// mimalloc, told to purge freed pages at once (below): glibc's per-thread arenas, and mimalloc with its default
/// delayed purge (which idle threads never run), both kept the memory of 10,000 closed subscription sockets
/// (docs/performance.md, `bench ws`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc reads `MIMALLOC_PURGE_DELAY` when the process starts, before `main`; setting the option from `main`
/// (`mi_option_set`) did not reach every thread's pages in `bench ws`. So the process runs itself again once with
/// the variable set (an operator's own value is kept). If that fails, it goes on with the default.
fn purge_freed_memory_at_once() {
    use std::os::unix::process::CommandExt as _;
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    if let Ok(exe) = std::env::current_exe() {
        let failure =
            std::process::Command::new(exe).args(std::env::args_os().skip(1)).env("MIMALLOC_PURGE_DELAY", "0").exec();
        eprintln!("omnisync: running with the allocator's default purge delay ({failure})");
    }
}

#[derive(Parser)]
#[command(name = "omnisync", version = omnisync::VERSION, about = "Omnichannel sync hub: one catalog, one stock ledger, one order book")]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args, Clone)]
struct CommonArgs {
    /// Hub database: sqlite://… (embedded default) or postgres://…
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://omnisync.db?mode=rwc", global = true)]
    database_url: String,
    /// Redis for the job queue; without it, an embedded queue (SQLite file, or PostgreSQL tables).
    #[arg(long, env = "REDIS_URL", global = true)]
    redis_url: Option<String>,
    /// 32-byte key (base64 or hex) encrypting channel credentials; generated into a key file in embedded mode.
    #[arg(long, env = "OMNISYNC_SECRET_KEY", global = true, hide_env_values = true)]
    secret_key: Option<String>,
    /// Keys being rotated out, comma-separated: they still decrypt what they encrypted (see `secrets rotate`).
    #[arg(long, env = "OMNISYNC_SECRET_KEY_PREVIOUS", value_delimiter = ',', global = true, hide_env_values = true)]
    secret_key_previous: Vec<String>,
    /// Currency of catalog prices (ISO 4217).
    #[arg(long, env = "OMNISYNC_CURRENCY", default_value = "VND", global = true, value_parser = catalog_currency)]
    currency: String,
    /// Prefix of queue names, to share one Redis between hubs.
    #[arg(long, env = "OMNISYNC_QUEUE_NAMESPACE", default_value = "omnisync", global = true)]
    queue_namespace: String,
    /// Jobs run at once by this process's worker.
    #[arg(long, env = "OMNISYNC_WORKER_CONCURRENCY", default_value_t = 4, global = true)]
    worker_concurrency: usize,
    /// Where marketplaces and browsers reach this hub (OAuth redirects, webhook URLs); default http://<bind>.
    #[arg(long, env = "OMNISYNC_PUBLIC_URL", global = true)]
    public_url: Option<String>,
    /// Seconds between scheduler ticks (order polling, stock pushes, reconciliation); 0 turns it off.
    #[arg(long, env = "OMNISYNC_SCHEDULER_INTERVAL", default_value_t = 15, global = true)]
    scheduler_interval: u64,
    /// Milliseconds an idle worker waits before looking for new jobs again.
    #[arg(long, env = "OMNISYNC_QUEUE_POLL_MS", default_value_t = 200, global = true)]
    queue_poll_ms: u64,
    /// Milliseconds a stock push run waits for the next change after its last round (0: it ends at once).
    #[arg(
        long,
        env = "OMNISYNC_PUSH_LINGER_MS",
        default_value_t = omnisync::config::DEFAULT_PUSH_LINGER_MS,
        value_parser = clap::value_parser!(u64).range(0..=omnisync::config::MAX_PUSH_LINGER_MS),
        global = true
    )]
    push_linger_ms: u64,
    /// Milliseconds to wait for one marketplace answer before retrying it.
    #[arg(long, env = "OMNISYNC_CHANNEL_TIMEOUT_MS", default_value_t = 30_000, global = true)]
    channel_timeout_ms: u64,
    /// Largest GraphQL request body accepted, in bytes.
    #[arg(long, env = "OMNISYNC_MAX_REQUEST_BYTES", default_value_t = omnisync::config::DEFAULT_MAX_REQUEST_BYTES, global = true)]
    max_request_bytes: usize,
    /// Answer GraphQL introspection queries (true or false).
    #[arg(long, env = "OMNISYNC_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    introspection: bool,
    /// Query cost points an API token may spend at once; 0 reports costs without refusing.
    #[arg(long, env = "OMNISYNC_COST_BUDGET", default_value_t = omnisync::config::DEFAULT_COST_BUDGET, global = true)]
    cost_budget: u32,
    /// Query cost points a token regains per second.
    #[arg(
        long,
        env = "OMNISYNC_COST_RESTORE_PER_SECOND",
        default_value_t = omnisync::config::DEFAULT_COST_RESTORE_PER_SECOND,
        global = true
    )]
    cost_restore_per_second: u32,
    /// Log format.
    #[arg(long, env = "OMNISYNC_LOG_FORMAT", value_enum, default_value = "text", global = true)]
    log_format: telemetry::LogFormat,
    /// Seconds a stopping process (SIGTERM, SIGINT) gives running requests and jobs before handing jobs back.
    #[arg(long, env = "OMNISYNC_SHUTDOWN_GRACE", default_value_t = omnisync::config::DEFAULT_SHUTDOWN_GRACE_SECS, global = true)]
    shutdown_grace: u64,
    /// Largest number of PostgreSQL connections this process opens.
    #[arg(long, env = "OMNISYNC_DATABASE_POOL_SIZE", default_value_t = omnisync::config::DEFAULT_DATABASE_POOL_SIZE, global = true)]
    database_pool_size: u32,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (and run workers unless --no-worker). The default command.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "OMNISYNC_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Serve the API only; run workers with `omnisync worker`.
        #[arg(long)]
        no_worker: bool,
        /// Do not migrate at start (replicas): refuse to start if the database lacks a migration.
        #[arg(long)]
        no_migrate: bool,
        /// HTTP worker threads (default: the cores available).
        #[arg(long, env = "OMNISYNC_HTTP_WORKERS")]
        http_workers: Option<usize>,
        /// Browser origins allowed to call the API (CORS), comma-separated: https://shop.example.com,…
        #[arg(long, env = "OMNISYNC_CORS_ORIGINS", value_delimiter = ',', value_parser = omnisync::web::cors::parse_origin)]
        cors_origins: Vec<String>,
    },
    /// Run job workers only (scale out over one Redis or PostgreSQL).
    Worker {
        /// Where this worker serves /healthz, /readyz and /metrics (none unless set).
        #[arg(long, env = "OMNISYNC_METRICS_BIND")]
        metrics_bind: Option<SocketAddr>,
        /// Do not migrate at start: refuse to start if the database lacks a migration.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply database migrations and exit (one process at a time: others wait for the migration lock).
    Migrate {
        /// List every migration and whether it is applied; change nothing.
        #[arg(long)]
        status: bool,
    },
    /// Channel credentials at rest: `secrets rotate` re-encrypts every one under the current key.
    Secrets {
        #[command(subcommand)]
        action: SecretsCommand,
    },
    /// Copy the embedded hub database (consistently, while the server runs) to PATH, and its key file beside it.
    Backup {
        /// The new database file, e.g. backups/omnisync-2026-12-05.db (its key file: backups/omnisync-2026-12-05.key).
        path: std::path::PathBuf,
    },
    /// Print the GraphQL schema (SDL); `schema.graphql` is this output.
    ExportSchema,
    /// Measure: `bench link --variants N [--backend sqlite|postgres] [--json]`.
    Bench {
        #[command(subcommand)]
        which: BenchCommand,
    },
    /// The whole hub in one process: simulators, a seeded shop, links, and live order traffic.
    Demo {
        #[arg(long, env = "OMNISYNC_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// First of the five simulator ports.
        #[arg(long, default_value_t = 9100)]
        sim_port: u16,
    },
    /// API tokens: `token create --scope admin|write|read [--name N]` prints a new token once.
    Token {
        #[command(subcommand)]
        action: TokenCommand,
    },
    /// Run the five marketplace simulators on ports PORT..PORT+4 (lazada, shopee, tiki, tiktok, webstore).
    /// The first stdout line is a JSON object keyed by kind with each one's base URL and credentials.
    Sim {
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        #[arg(long, default_value_t = 9100)]
        port: u16,
        /// Seeded products per simulator (1 to 3 SKUs each: SKU-0001-1, …).
        #[arg(long, default_value_t = 20)]
        seed: usize,
    },
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Re-encrypts every stored credential under the current key (OMNISYNC_SECRET_KEY, old keys in
    /// OMNISYNC_SECRET_KEY_PREVIOUS); in embedded mode, under a new key written to the key file (server stopped).
    Rotate,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Creates a token and prints its secret (only its hash is stored).
    Create {
        #[arg(long, value_parser = ["read", "write", "admin"], default_value = "read")]
        scope: String,
        #[arg(long, default_value = "command line")]
        name: String,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Every benchmark below, one after another (link, stock, orders, oversell, graphql, ws); one JSON line each.
    All {
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: omnisync::bench::Backend,
        /// `full`: the sizes of the issues' targets (takes a while); `quick`: a few minutes in all.
        #[arg(long, value_enum, default_value = "full")]
        scale: omnisync::bench::Scale,
        #[arg(long)]
        json: bool,
    },
    /// Read latency and throughput: a page of 50 products with variants and levels, 64 connections.
    Graphql {
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: omnisync::bench::Backend,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long)]
        json: bool,
    },
    /// Server memory with N idle subscription sockets open, then closed.
    Ws {
        #[arg(long, default_value_t = 10_000)]
        connections: usize,
        #[arg(long)]
        json: bool,
    },
    /// Bulk link of N listings to N hub variants (2% without barcode, 1% conflicting).
    Link {
        #[arg(long, default_value_t = 10_000)]
        variants: usize,
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: omnisync::bench::Backend,
        /// One JSON line.
        #[arg(long)]
        json: bool,
    },
    /// N orders on 4 simulated channels, half announced by webhook, all reachable by polling: import rate, p99
    /// latency from creation to the hub, duplicates, lost orders.
    Orders {
        #[arg(long, default_value_t = 10_000)]
        orders: usize,
        /// Orders created per second across the simulators (0: as fast as they can).
        #[arg(long, default_value_t = 0.0)]
        rate: f64,
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: omnisync::bench::Backend,
        /// One JSON line.
        #[arg(long)]
        json: bool,
    },
    /// Buyers on 4 simulated marketplaces selling a hub's stock out (issue 18): units oversold, time from the hub's
    /// sell-out to every channel showing 0, duplicate and lost orders. The hub runs with its own scheduler.
    Oversell {
        /// Buyers in all, spread over the four channels.
        #[arg(long, default_value_t = 8)]
        buyers: usize,
        #[arg(long, default_value_t = 3)]
        skus: usize,
        /// Units of each SKU in the hub at the start.
        #[arg(long, default_value_t = 100)]
        stock: i64,
        /// How the hub shares stock between channels.
        #[arg(long, value_enum, default_value = "shared")]
        mode: omnisync::bench::oversell::Mode,
        /// How long after an order the marketplace pushes its webhook (milliseconds).
        #[arg(long, default_value_t = 0)]
        webhook_delay_ms: u64,
        /// The warehouse's low-stock threshold: allocation turns on for a SKU at or below it.
        #[arg(long)]
        low_stock_threshold: Option<i64>,
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: omnisync::bench::Backend,
        /// One JSON line.
        #[arg(long)]
        json: bool,
    },
    /// Stock changes reaching N SKUs on up to 4 simulated channels: latency, API calls, rate, convergence.
    Stock {
        #[arg(long, default_value_t = 10_000)]
        skus: usize,
        #[arg(long, default_value_t = 100_000)]
        changes: usize,
        #[arg(long, default_value_t = 4)]
        channels: usize,
        /// Changes per second (0: as fast as the hub takes them).
        #[arg(long, default_value_t = 0.0)]
        rate: f64,
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: omnisync::bench::Backend,
        /// One JSON line.
        #[arg(long)]
        json: bool,
    },
}

/// A catalog currency code, refused at start when the hub does not know it (prices would show as `XXX`).
fn catalog_currency(code: &str) -> Result<String, String> {
    use omnisync::domain::money::CurrencyCode;
    CurrencyCode::parse(code).map(|c| c.as_str().to_owned()).ok_or_else(|| {
        let known: Vec<&str> = CurrencyCode::CATALOG.iter().map(|c| c.as_str()).collect();
        format!("unknown currency \"{code}\": use one of {}", known.join(", "))
    })
}

impl CommonArgs {
    fn settings(&self) -> Settings {
        let mut s = Settings::embedded(self.database_url.clone());
        s.redis_url = self.redis_url.clone().filter(|u| !u.trim().is_empty());
        s.secret_key = self.secret_key.clone().filter(|k| !k.trim().is_empty());
        s.secret_key_previous = self.secret_key_previous.clone();
        s.currency = self.currency.trim().to_uppercase();
        s.queue_namespace = self.queue_namespace.clone();
        s.worker_concurrency = self.worker_concurrency;
        s.public_url = self.public_url.clone().filter(|u| !u.trim().is_empty());
        s.scheduler_interval_secs = self.scheduler_interval;
        s.queue_poll_interval_ms = self.queue_poll_ms.max(1);
        s.push_linger_ms = self.push_linger_ms;
        s.channel_timeout_ms = self.channel_timeout_ms;
        s.max_request_bytes = self.max_request_bytes;
        s.introspection = self.introspection;
        s.cost_budget = self.cost_budget;
        s.cost_restore_per_second = self.cost_restore_per_second;
        s.shutdown_grace_secs = self.shutdown_grace;
        s.database_pool_size = self.database_pool_size;
        s
    }
}

fn main() -> anyhow::Result<()> {
    // Before anything else: it may run the process again.
    purge_freed_memory_at_once();
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    startup::install_tls_provider();
    let cli = Cli::parse();
    let Cli { common, command } = cli;
    // Bare `omnisync` is `omnisync serve`, with serve's flags and environment (OMNISYNC_BIND, …).
    let command = match command {
        Some(command) => command,
        None => Cli::parse_from(std::env::args_os().chain([std::ffi::OsString::from("serve")]))
            .command
            .context("serve is the default command")?,
    };
    if let Command::ExportSchema = command {
        print!("{}", graphql::sdl());
        return Ok(());
    }
    telemetry::init(common.log_format);
    if let Command::Sim { host, port, seed } = &command {
        return run_simulators(host, *port, *seed).await;
    }
    if let Command::Demo { bind, sim_port } = command {
        return omnisync::demo::run(bind, sim_port).await;
    }
    if let Command::Bench { which } = command {
        return match which {
            BenchCommand::All { backend, scale, json } => omnisync::bench::all(backend, scale, json).await,
            BenchCommand::Link { variants, backend, json } => omnisync::bench::link::run(variants, backend, json).await,
            BenchCommand::Ws { connections, json } => omnisync::bench::ws::run(connections, json).await,
            BenchCommand::Graphql { backend, connections, seconds, json } => {
                omnisync::bench::graphql::run(backend, connections, seconds, json).await
            }
            BenchCommand::Orders { orders, rate, backend, json } => {
                omnisync::bench::orders::run(orders, rate, backend, json).await
            }
            BenchCommand::Stock { skus, changes, channels, rate, backend, json } => {
                omnisync::bench::stock::run(skus, changes, channels, rate, backend, json).await
            }
            BenchCommand::Oversell {
                buyers,
                skus,
                stock,
                mode,
                webhook_delay_ms,
                low_stock_threshold,
                backend,
                json,
            } => {
                let args = omnisync::bench::oversell::OversellArgs {
                    buyers,
                    skus,
                    stock,
                    mode,
                    webhook_delay: std::time::Duration::from_millis(webhook_delay_ms),
                    backend,
                    low_stock_threshold,
                };
                omnisync::bench::oversell::run(args, json).await
            }
        };
    }
    let mut settings = common.settings();
    match command {
        Command::Serve { bind, no_worker, no_migrate, http_workers, cors_origins } => {
            settings.bind = bind;
            settings.run_workers = !no_worker;
            settings.migrate = !no_migrate;
            settings.cors_origins = cors_origins;
            if let Some(workers) = http_workers {
                settings.http_workers = workers.max(1);
            }
            let app = startup::Application::build(settings).await?;
            if let Some(secret) = omnisync::services::api_tokens::first_admin_token(&app.context().db)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                // Shown once: only its hash is stored.
                println!("omnisync: first start; an ADMIN API token was created (shown only now): {secret}");
            }
            let base = format!("http://{}:{}", bind.ip(), app.port());
            println!("omnisync: console at {base}/ (sign in with an API token) · GraphiQL at {base}/graphql");
            app.run_until_signal().await?;
        }
        Command::Worker { metrics_bind, no_migrate } => {
            settings.migrate = !no_migrate;
            startup::run_worker_until_signal(settings, metrics_bind).await?;
        }
        Command::Token { action: TokenCommand::Create { scope, name } } => {
            let db = startup::connect_database(&settings).await?;
            startup::migrate(&db).await?;
            let scope = match scope.as_str() {
                "admin" => entity::enums::TokenScope::Admin,
                "write" => entity::enums::TokenScope::Write,
                _ => entity::enums::TokenScope::Read,
            };
            let (_, secret) =
                omnisync::services::api_tokens::create(&db, &name, scope).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{secret}");
        }
        Command::Migrate { status: true } => {
            let db = startup::connect_database(&settings).await?;
            let migrations = startup::migration_status(&db).await?;
            let pending = migrations.iter().filter(|(_, applied)| !applied).count();
            for (name, applied) in &migrations {
                println!("{} {name}", if *applied { "applied" } else { "pending" });
            }
            println!("{} applied, {pending} pending", migrations.len() - pending);
        }
        Command::Secrets { action: SecretsCommand::Rotate } => {
            let resealed = startup::rotate_secrets(&settings).await?;
            println!("{resealed} channel credential(s) re-encrypted under the current key");
        }
        Command::Backup { path } => {
            let written = omnisync::backup::backup(&settings, &path).await?;
            println!("hub database copied to {}", written.database.display());
            match written.key {
                Some(key) => println!("key file copied to {}", key.display()),
                None => println!("the key comes from OMNISYNC_SECRET_KEY: keep it with the backup"),
            }
        }
        Command::Migrate { status: false } => {
            let db = startup::connect_database(&settings).await?;
            startup::migrate(&db).await?;
            println!("migrations applied");
        }
        Command::ExportSchema | Command::Sim { .. } | Command::Bench { .. } | Command::Demo { .. } => {
            unreachable!("handled above")
        }
    }
    Ok(())
}

async fn run_simulators(host: &str, port: u16, products: usize) -> anyhow::Result<()> {
    let handles = omnisync::sim::start_all(host, port, 42, products).context("cannot start the simulators")?;
    let mut summary = serde_json::Map::new();
    for handle in &handles {
        summary.insert(
            handle.state.slug().to_owned(),
            serde_json::json!({
                "baseUrl": handle.base_url,
                "credentials": omnisync::sim::control::credentials_json(&handle.state),
            }),
        );
    }
    println!("{}", serde_json::Value::Object(summary));
    tracing::info!(host, first_port = port, "simulators running; Ctrl-C to stop");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
