//! Building and running the application: database, migrations, queue, workers, HTTP server.
//! `Application::build` binds before it returns (port 0 in tests gives a free port).

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, web};
use anyhow::Context as _;
use migration::MigratorTrait;
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::config::{DatabaseKind, Settings};
use crate::context::{AppContext, StatementCount};
use crate::events::EventBus;
use crate::graphql;
use crate::jobs::{self, queue::JobQueue, worker};
use crate::secrets::SecretBox;
use crate::web as web_endpoints;

/// One TLS provider for every client (ring, which sqlx already builds; reqwest is built without its own).
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Connects to the hub database. SQLite gets one connection, WAL with `synchronous = NORMAL`
/// (the setting SQLite recommends for WAL: a commit is safe from a crash of the process and never corrupts the
/// file; only a power loss can drop the last commits, where FULL would cost an fsync per commit), a busy timeout
/// (writers queue instead of failing) and foreign keys on.
pub async fn connect_database(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(settings.database_url.clone());
    options.sqlx_logging(false).connect_timeout(Duration::from_secs(10)).acquire_timeout(Duration::from_secs(30));
    match settings.database_kind() {
        DatabaseKind::Sqlite => {
            if let Some(dir) = settings
                .sqlite_path()
                .and_then(|p| p.parent().map(std::path::Path::to_path_buf))
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let in_memory = settings.sqlite_path().is_none();
            // One connection: an in-memory database exists once per connection (kept forever), and a file
            // database serialises writers anyway (docs/architecture.md, "Decisions").
            options.max_connections(1).min_connections(1);
            if in_memory {
                options.idle_timeout(None::<Duration>).max_lifetime(None::<Duration>);
            }
            options.map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(15))
                    .foreign_keys(true)
                    .create_if_missing(true)
            });
        }
        DatabaseKind::Postgres => {
            // Two at least: migrating holds one for its lock while the migrations run on another.
            options.max_connections(settings.database_pool_size.max(2)).min_connections(1);
        }
    }
    Database::connect(options)
        .await
        .with_context(|| format!("cannot connect to the database at {}", redact(&settings.database_url)))
}

/// The connections for reads outside a write (`AppContext::reader`). On a SQLite file: a pool of read-only
/// connections (one per core, at least two) beside the one writer, so reads neither queue behind one another on
/// the writer's single connection nor wait for a write to commit (WAL: a reader sees the last commit). An
/// in-memory database exists once per connection, and PostgreSQL's pool serves both: there, `db` itself.
pub async fn connect_reader(settings: &Settings, db: &DatabaseConnection) -> anyhow::Result<DatabaseConnection> {
    if settings.sqlite_path().is_none() {
        return Ok(db.clone());
    }
    let readers = std::thread::available_parallelism().map(std::num::NonZero::get).unwrap_or(1).clamp(2, 8) as u32;
    let mut options = ConnectOptions::new(settings.database_url.clone());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .max_connections(readers)
        .min_connections(1);
    options.map_sqlx_sqlite_opts(|o| {
        o.read_only(true).busy_timeout(Duration::from_secs(15)).foreign_keys(true).create_if_missing(false)
    });
    Database::connect(options)
        .await
        .with_context(|| format!("cannot open the database at {} for reading", redact(&settings.database_url)))
}

/// A URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{}@{}", &url[..scheme + 3], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// The PostgreSQL advisory lock held while migrating ("omnisync" in ASCII): processes starting together on one
/// database migrate one at a time, so the first applies the migrations and the others find nothing to do.
const MIGRATION_LOCK_KEY: i64 = 0x6f6d_6e69_7379_6e63;

/// Applies the pending migrations, holding the migration lock.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    with_migration_lock(db, || migration::Migrator::up(db, None)).await.context("database migrations failed")
}

/// Each migration's name and whether it is applied, oldest first.
pub async fn migration_status(db: &DatabaseConnection) -> anyhow::Result<Vec<(String, bool)>> {
    let migrations = with_migration_lock(db, || migration::Migrator::get_migration_with_status(db))
        .await
        .context("reading the migration status")?;
    Ok(migrations.iter().map(|m| (m.name().to_owned(), m.status() == migration::MigrationStatus::Applied)).collect())
}

/// Fails unless every migration is applied: a process started with `--no-migrate` does not serve an older schema.
pub async fn require_migrated(db: &DatabaseConnection) -> anyhow::Result<()> {
    let pending: Vec<String> =
        migration_status(db).await?.into_iter().filter(|(_, applied)| !applied).map(|(name, _)| name).collect();
    if pending.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "the database is missing {} migration(s) ({}): run `omnisync migrate` first, or start without --no-migrate",
        pending.len(),
        pending.join(", ")
    )
}

/// Runs `work` holding the migration lock: on PostgreSQL a session advisory lock on a connection of its own (the
/// migrations run on the pool's others; a process that dies holding it releases it with its connection). SQLite
/// files serialise their writers anyway.
async fn with_migration_lock<T, F>(db: &DatabaseConnection, work: impl FnOnce() -> F) -> anyhow::Result<T>
where
    F: std::future::Future<Output = Result<T, sea_orm::DbErr>>,
{
    if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return Ok(work().await?);
    }
    let mut lock = db.get_postgres_connection_pool().acquire().await.context("a connection for the migration lock")?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut *lock)
        .await
        .context("taking the migration lock")?;
    let outcome = work().await;
    if let Err(err) = sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATION_LOCK_KEY).execute(&mut *lock).await {
        // Closing the connection releases it as well.
        tracing::warn!(error = %err, "could not release the migration lock; closing its connection");
        lock.close_on_drop();
    }
    Ok(outcome?)
}

/// `omnisync secrets rotate`: re-encrypts every stored credential under the current key. With
/// `OMNISYNC_SECRET_KEY`, the current key is that one and the old ones come from `OMNISYNC_SECRET_KEY_PREVIOUS`
/// (every running process restarted with both first, so none meets a value it cannot read). With the embedded key
/// file, a new key is generated and the old one kept as `<key>.previous` until every value is re-encrypted (stop
/// the server first: it holds the old key). Returns how many credentials were re-encrypted.
pub async fn rotate_secrets(settings: &Settings) -> anyhow::Result<usize> {
    let db = connect_database(settings).await?;
    require_migrated(&db).await?;
    let key_file = settings.secret_key.is_none().then(|| settings.sibling_file(".key")).flatten();
    let secrets = match &key_file {
        Some(path) => crate::secrets::begin_key_file_rotation(path)?,
        None => SecretBox::load_or_create(settings.secret_key.as_deref(), None, false)?
            .with_previous(settings.secret_key_previous.iter().map(String::as_str))?,
    };
    let resealed =
        crate::services::channels::reseal_credentials(&db, &secrets).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(path) = &key_file {
        crate::secrets::end_key_file_rotation(path)?;
    }
    Ok(resealed)
}

/// Everything a process needs, before it serves or works: database (migrated), queue, secrets.
pub async fn build_context(settings: Settings) -> anyhow::Result<AppContext> {
    install_tls_provider();
    crate::metrics::init();
    let embedded = settings.database_kind() == DatabaseKind::Sqlite;
    let secrets =
        SecretBox::load_or_create(settings.secret_key.as_deref(), settings.sibling_file(".key").as_deref(), embedded)?
            .with_previous(settings.secret_key_previous.iter().map(String::as_str))?;
    let mut db = connect_database(&settings).await?;
    if settings.migrate {
        migrate(&db).await?;
    } else {
        require_migrated(&db).await?;
    }
    let statements = StatementCount::default();
    statements.attach(&mut db);
    let mut reader = connect_reader(&settings, &db).await?;
    if settings.sqlite_path().is_some() {
        statements.attach(&mut reader);
    }
    let queue = JobQueue::connect(&settings).await?;
    let events = EventBus::connect(settings.redis_url.as_deref(), &settings.queue_namespace)?;
    let channel_http = crate::channels::ChannelHttp::new()?;
    Ok(AppContext {
        db,
        reader,
        statements,
        queue,
        events,
        secrets,
        settings: Arc::new(settings),
        channel_http,
        shutdown: Default::default(),
    })
}

/// Starts this process's workers after re-queuing runs whose job was lost.
pub async fn start_workers(ctx: &AppContext) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let requeued = jobs::recover_unfinished_runs(ctx).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    if requeued > 0 {
        tracing::info!(requeued, "re-queued unfinished sync runs");
    }
    if ctx.settings.scheduler_interval_secs > 0 {
        jobs::scheduler::spawn(ctx.clone(), Duration::from_secs(ctx.settings.scheduler_interval_secs));
    }
    Ok(worker::spawn(ctx.clone()))
}

/// `omnisync worker`: runs this process's workers (and, with `metrics_bind`, serves /healthz, /readyz and /metrics
/// there) until SIGTERM or SIGINT, then stops gracefully: no new jobs, the running ones given the grace, the rest
/// handed back.
pub async fn run_worker_until_signal(settings: Settings, metrics_bind: Option<SocketAddr>) -> anyhow::Result<()> {
    let listener = metrics_bind
        .map(|addr| TcpListener::bind(addr).with_context(|| format!("cannot bind {addr} for metrics")))
        .transpose()?;
    let bound = listener.as_ref().map(TcpListener::local_addr).transpose()?;
    let ctx = build_context(settings).await?;
    let mut workers = start_workers(&ctx).await?;
    let observability = listener.map(|l| observability_server(l, ctx.clone())).transpose()?;
    let handle = observability.as_ref().map(Server::handle);
    let serving = observability.map(tokio::spawn);
    tracing::info!(queue = ctx.queue.backend_name(), metrics = ?bound, "omnisync worker running");
    let workers_ended = tokio::select! {
        signal = crate::shutdown::signal() => {
            tracing::info!(signal, grace_secs = ctx.settings.shutdown_grace_secs, "stopping: finishing jobs");
            false
        }
        _ = &mut workers => {
            tracing::error!("the worker pool stopped");
            true
        }
    };
    ctx.shutdown.request();
    if !workers_ended {
        jobs::stop_workers(&ctx, workers, Duration::from_secs(ctx.settings.shutdown_grace_secs)).await;
    }
    if let (Some(handle), Some(serving)) = (handle, serving) {
        handle.stop(true).await;
        let _ = serving.await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// A worker's own listener: liveness, readiness and metrics, nothing else.
fn observability_server(listener: TcpListener, context: AppContext) -> anyhow::Result<Server> {
    let context = web::Data::new(context);
    Ok(actix_web::HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(web_endpoints::request_log::log_request))
            .app_data(context.clone())
            .route("/healthz", web::get().to(web_endpoints::healthz))
            .route("/readyz", web::get().to(web_endpoints::readyz))
            .route("/metrics", web::get().to(web_endpoints::metrics))
    })
    .listen(listener)?
    .workers(1)
    .disable_signals()
    .shutdown_timeout(5)
    .run())
}

pub struct Application {
    port: u16,
    server: Server,
    context: AppContext,
    workers: Option<tokio::task::JoinHandle<()>>,
}

impl Application {
    pub async fn build(mut settings: Settings) -> anyhow::Result<Self> {
        let run_workers = settings.run_workers;
        let listener = TcpListener::bind(settings.bind).with_context(|| format!("cannot bind {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        settings.bind.set_port(port);
        let context = build_context(settings).await?;
        let workers = if run_workers { Some(start_workers(&context).await?) } else { None };
        let server = http_server(listener, context.clone())?;
        tracing::info!(port, queue = context.queue.backend_name(), workers = run_workers, "omnisync is serving");
        Ok(Self { port, server, context, workers })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn context(&self) -> &AppContext {
        &self.context
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully (`stop`) and returns `Ok`.
    pub async fn run_until_signal(self) -> anyhow::Result<()> {
        let Self { server, context, workers, .. } = self;
        let handle = server.handle();
        let mut serving = tokio::spawn(server);
        tokio::select! {
            signal = crate::shutdown::signal() => {
                tracing::info!(signal, grace_secs = context.settings.shutdown_grace_secs, "stopping: finishing requests and jobs");
            }
            stopped = &mut serving => {
                stopped.context("the HTTP server panicked")?.context("the HTTP server stopped")?;
                return Ok(());
            }
        }
        stop(&context, &handle, workers).await;
        serving.await.context("the HTTP server panicked")?.context("the HTTP server stopped")?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// A graceful stop of a serving process: no new requests or jobs, subscriptions closed with 1001, requests and jobs
/// in progress given the grace to finish, and what is left of the jobs handed back to the queue.
pub async fn stop(ctx: &AppContext, http: &actix_web::dev::ServerHandle, workers: Option<tokio::task::JoinHandle<()>>) {
    ctx.shutdown.request();
    let grace = Duration::from_secs(ctx.settings.shutdown_grace_secs);
    let jobs = async {
        if let Some(workers) = workers {
            jobs::stop_workers(ctx, workers, grace).await;
        }
    };
    tokio::join!(http.stop(true), jobs);
}

fn http_server(listener: TcpListener, context: AppContext) -> anyhow::Result<Server> {
    let http_workers = context.settings.http_workers.max(1);
    let shutdown_grace = context.settings.shutdown_grace_secs;
    let cors_origins = Arc::new(context.settings.cors_origins.clone());
    let executor = graphql::executor(&context);
    let executor = web::Data::new(executor);
    let context = web::Data::new(context);
    let server = actix_web::HttpServer::new(move || {
        App::new()
            .wrap(web_endpoints::cors::middleware(&cors_origins))
            // Outermost: the log line sees every answer, CORS refusals included.
            .wrap(actix_web::middleware::from_fn(web_endpoints::request_log::log_request))
            .app_data(executor.clone())
            .app_data(context.clone())
            .app_data(web::JsonConfig::default().limit(2 * 1024 * 1024))
            .route("/graphql", web::post().to(graphql::graphql_post))
            .route("/graphql", web::get().to(web_endpoints::graphiql::page))
            .route("/graphql/assets/{file}", web::get().to(web_endpoints::graphiql::asset))
            .route("/graphql/ws", web::get().to(graphql::ws::graphql_ws))
            .route("/", web::get().to(web_endpoints::console::page))
            .route("/", web::head().to(web_endpoints::console::page))
            .route("/console/{path:.*}", web::get().to(web_endpoints::console::file))
            .route("/healthz", web::get().to(web_endpoints::healthz))
            .route("/readyz", web::get().to(web_endpoints::readyz))
            .route("/metrics", web::get().to(web_endpoints::metrics))
            .route("/oauth/{kind}/callback", web::get().to(web_endpoints::oauth::callback))
            .service(
                web::resource("/webhooks/{channel_id}")
                    .app_data(web::PayloadConfig::new(web_endpoints::webhooks::MAX_BODY_BYTES))
                    .route(web::post().to(web_endpoints::webhooks::receive)),
            )
    })
    .listen(listener)?
    .workers(http_workers)
    // Signals are ours (`Application::run_until_signal`): SIGINT and SIGTERM both stop gracefully, jobs included.
    .disable_signals()
    .shutdown_timeout(shutdown_grace)
    .run();
    Ok(server)
}
