//! Building and running the application: database, migrations, queue, workers, HTTP server.
//! `Application::build` binds before it returns (port 0 in tests gives a free port).

use std::net::TcpListener;
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
            options.max_connections(20).min_connections(1);
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

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    migration::Migrator::up(db, None).await.context("database migrations failed")
}

/// Everything a process needs, before it serves or works: database (migrated), queue, secrets.
pub async fn build_context(settings: Settings) -> anyhow::Result<AppContext> {
    install_tls_provider();
    let embedded = settings.database_kind() == DatabaseKind::Sqlite;
    let secrets =
        SecretBox::load_or_create(settings.secret_key.as_deref(), settings.sibling_file(".key").as_deref(), embedded)?;
    let mut db = connect_database(&settings).await?;
    migrate(&db).await?;
    let statements = StatementCount::default();
    statements.attach(&mut db);
    let mut reader = connect_reader(&settings, &db).await?;
    if settings.sqlite_path().is_some() {
        statements.attach(&mut reader);
    }
    let queue = JobQueue::connect(&settings).await?;
    let events = EventBus::connect(settings.redis_url.as_deref(), &settings.queue_namespace)?;
    let channel_http = crate::channels::ChannelHttp::new()?;
    Ok(AppContext { db, reader, statements, queue, events, secrets, settings: Arc::new(settings), channel_http })
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

pub struct Application {
    port: u16,
    server: Server,
    context: AppContext,
    _workers: Option<tokio::task::JoinHandle<()>>,
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
        Ok(Self { port, server, context, _workers: workers })
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
}

fn http_server(listener: TcpListener, context: AppContext) -> anyhow::Result<Server> {
    let executor = graphql::executor(&context);
    let executor = web::Data::new(executor);
    let context = web::Data::new(context);
    let server = actix_web::HttpServer::new(move || {
        App::new()
            .app_data(executor.clone())
            .app_data(context.clone())
            .app_data(web::JsonConfig::default().limit(2 * 1024 * 1024))
            .route("/graphql", web::post().to(graphql::graphql_post))
            .route("/graphql", web::get().to(web_endpoints::graphiql::page))
            .route("/graphql/assets/{file}", web::get().to(web_endpoints::graphiql::asset))
            .route("/graphql/ws", web::get().to(graphql::ws::graphql_ws))
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
    .workers(2)
    .run();
    Ok(server)
}
