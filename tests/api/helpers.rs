use std::time::Duration;

use omnisync::config::Settings;
use omnisync::context::AppContext;
use omnisync::startup::{self, Application};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

/// Which storage a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file + apalis SQLite queue (the embedded default).
    Sqlite,
    /// PostgreSQL + Redis queue (production).
    PostgresRedis,
    /// PostgreSQL + apalis PostgreSQL queue (no Redis).
    PostgresQueue,
}

pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn services_required() -> bool {
    std::env::var("OMNISYNC_REQUIRE_SERVICES").map(|v| v == "1").unwrap_or(false)
}

/// A visible SKIPPED line, or a failure when services are required.
fn skip(what: &str, err: impl std::fmt::Display) {
    assert!(!services_required(), "{what} is unreachable and OMNISYNC_REQUIRE_SERVICES=1: {err}");
    println!("SKIPPED: {what} unreachable: {err}");
    eprintln!("SKIPPED: {what} unreachable: {err}");
}

pub struct TestApp {
    /// An ADMIN token every request of the helpers carries.
    pub token: String,
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub ctx: AppContext,
    pub settings: Settings,
    pub backend: Backend,
    cleanup: Cleanup,
}

pub enum Cleanup {
    Dir(std::path::PathBuf),
    PgDatabase(String),
}

pub struct Options {
    pub run_workers: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self { run_workers: true }
    }
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, Options::default()).await
}

/// Settings for a fresh, isolated store on `backend` (a new SQLite dir, or a new PostgreSQL database and queue
/// namespace). `None` when the backend's services are unreachable.
pub async fn fresh_settings(backend: Backend) -> Option<(Settings, Cleanup)> {
    let tag = ulid::Ulid::generate().to_string().to_lowercase();
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("omnisync-test-{tag}"));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let settings = Settings::embedded(format!("sqlite://{}/omnisync.db?mode=rwc", dir.display()));
            Some((settings, Cleanup::Dir(dir)))
        }
        Backend::PostgresRedis | Backend::PostgresQueue => {
            let admin_url = postgres_admin_url();
            let admin = match tokio::time::timeout(Duration::from_secs(5), Database::connect(&admin_url)).await {
                Ok(Ok(db)) => db,
                Ok(Err(err)) => {
                    skip("PostgreSQL", err);
                    return None;
                }
                Err(_) => {
                    skip("PostgreSQL", "timeout");
                    return None;
                }
            };
            let name = format!("omnisync_test_{tag}");
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            let _ = admin.close().await;
            let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin_url.clone());
            let mut settings = Settings::embedded(format!("{base}/{name}"));
            settings.secret_key = Some(omnisync::secrets::SecretBox::generate_key_text());
            settings.queue_namespace = format!("omnisync-test-{tag}");
            if backend == Backend::PostgresRedis {
                let url = redis_url();
                let reachable = async {
                    let client = redis::Client::open(url.as_str())?;
                    let mut conn = client.get_multiplexed_async_connection().await?;
                    redis::cmd("PING").query_async::<String>(&mut conn).await
                };
                if let Err(err) = tokio::time::timeout(Duration::from_secs(5), reachable)
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.map_err(|e| e.to_string()))
                {
                    drop_pg_database(&name).await;
                    skip("Redis", err);
                    return None;
                }
                settings.redis_url = Some(url);
            }
            Some((settings, Cleanup::PgDatabase(name)))
        }
    }
}

async fn drop_pg_database(name: &str) {
    if let Ok(admin) = Database::connect(&postgres_admin_url()).await {
        let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        let _ = admin.close().await;
    }
}

pub async fn spawn_app_with(backend: Backend, options: Options) -> Option<TestApp> {
    spawn_app_configured(backend, options, |_| {}).await
}

/// As `spawn_app_with`, with the settings edited first (a shorter marketplace timeout, another Redis, …).
pub async fn spawn_app_configured(
    backend: Backend,
    options: Options,
    edit: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let (mut settings, cleanup) = fresh_settings(backend).await?;
    // A push run ends once nothing is due: tests wait for runs to finish (`tests/api/push_linger.rs` keeps one).
    settings.push_linger_ms = 0;
    edit(&mut settings);
    Some(start(settings, cleanup, backend, options).await)
}

async fn start(mut settings: Settings, cleanup: Cleanup, backend: Backend, options: Options) -> TestApp {
    startup::install_tls_provider();
    omnisync::telemetry::init(omnisync::telemetry::LogFormat::Text);
    settings.bind = "127.0.0.1:0".parse().expect("addr");
    settings.run_workers = options.run_workers;
    settings.queue_poll_interval_ms = 50;
    // Tests drive scheduled work themselves (`jobs::scheduler::tick`).
    settings.scheduler_interval_secs = 0;
    let app = Application::build(settings.clone()).await.expect("the application starts");
    let port = app.port();
    let ctx = app.context().clone();
    tokio::spawn(app.run_until_stopped());
    let (_, token) = omnisync::services::api_tokens::create(&ctx.db, "tests", entity::enums::TokenScope::Admin)
        .await
        .expect("a test token");
    TestApp {
        token,
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client"),
        ctx,
        settings,
        backend,
        cleanup,
    }
}

impl TestApp {
    /// A second process's view: another application on the same database and queue (a restart, or a peer).
    pub async fn sibling(&self, options: Options) -> TestApp {
        let cleanup = Cleanup::Dir(std::env::temp_dir().join("omnisync-none"));
        start(self.settings.clone(), cleanup, self.backend, options).await
    }

    /// POSTs a GraphQL document; returns the whole response body.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let response = self
            .client
            .post(format!("{}/graphql", self.address))
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent");
        assert!(response.status().is_success(), "HTTP status {}", response.status());
        response.json().await.expect("JSON body")
    }

    /// POSTs a GraphQL document with another token than the app's; returns the whole response body.
    pub async fn graphql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let response = self
            .client
            .post(format!("{}/graphql", self.address))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent");
        assert!(response.status().is_success(), "HTTP status {}", response.status());
        response.json().await.expect("JSON body")
    }

    /// Creates an API token named `name` with `scope` (READ, WRITE or ADMIN) through the API; returns its secret.
    pub async fn create_token(&self, name: &str, scope: &str) -> String {
        let data = self
            .gql(
                "mutation($n: String!, $s: TokenScope!) { apiTokenCreate(input: { name: $n, scope: $s }) { secret userErrors { code message } } }",
                json!({ "n": name, "s": scope }),
            )
            .await;
        assert_eq!(data["apiTokenCreate"]["userErrors"], json!([]), "{data}");
        data["apiTokenCreate"]["secret"].as_str().expect("a secret").to_owned()
    }

    /// POSTs a GraphQL document that must succeed; returns `data`.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected GraphQL errors: {body:#}");
        body["data"].clone()
    }

    /// Changes the variant's on-hand quantity in the default warehouse by `delta`, for `reason` (an
    /// `InventoryAdjustReason` value), through the API; asserts it was accepted.
    pub async fn adjust_stock(&self, variant: &Value, reason: &str, delta: i64) {
        let warehouse = self.default_warehouse_id().await;
        let query = format!(
            "mutation($v: ID!, $w: ID!, $d: Int!) {{ inventoryAdjustQuantities(input: {{ reason: {reason}, changes: [{{ variantId: $v, warehouseId: $w, delta: $d }}] }}) {{ userErrors {{ field code message }} }} }}"
        );
        let data = self.gql(&query, json!({ "v": variant, "w": warehouse, "d": delta })).await;
        assert_eq!(data["inventoryAdjustQuantities"]["userErrors"], json!([]), "{data}");
    }

    pub async fn default_warehouse_id(&self) -> String {
        let data = self.gql("{ warehouses(first: 10) { edges { node { id isDefault } } } }", json!({})).await;
        data["warehouses"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .find(|e| e["node"]["isDefault"] == true)
            .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
            .expect("a default warehouse")
    }

    /// Creates a product with the given variants (JSON inputs); returns the product JSON (id, variants{id,sku}).
    pub async fn create_product(&self, title: &str, variants: Value) -> Value {
        let data = self
            .gql(
                "mutation($input: ProductCreateInput!) { productCreate(input: $input) {
                    product { id title variants { id sku barcode title } }
                    userErrors { field code message } } }",
                json!({ "input": { "title": title, "variants": variants } }),
            )
            .await;
        let payload = &data["productCreate"];
        assert_eq!(payload["userErrors"], json!([]), "product created without errors");
        payload["product"].clone()
    }

    /// `productVariantUpdate` with `input`; asserts it is taken without userErrors.
    pub async fn update_variant(&self, variant: &Value, input: Value) {
        let data = self
            .gql(
                "mutation($v: ID!, $i: ProductVariantUpdateInput!) { productVariantUpdate(id: $v, input: $i) { userErrors { field code message } } }",
                json!({ "v": variant, "i": input }),
            )
            .await;
        assert_eq!(data["productVariantUpdate"]["userErrors"], json!([]), "{data}");
    }

    /// Executes every queued run that no worker has started, in this task (`jobs::run_pending`): a test drives
    /// its jobs instead of sleeping until a worker polls. Returns how many ran.
    pub async fn run_pending_jobs(&self) -> usize {
        omnisync::jobs::run_pending(&self.ctx).await.expect("pending jobs run")
    }

    /// Reads the run through the API until it is finished; returns it. An app without workers drives its queued
    /// runs itself first (deterministic, no waiting for a poll); with workers, they run it. Bounded.
    pub async fn wait_for_run(&self, run_id: &str) -> Value {
        for _ in 0..300 {
            if !self.settings.run_workers {
                self.run_pending_jobs().await;
            }
            let data = self
                .gql("query($id: ID!) { syncRun(id: $id) { id status total processed succeeded failed skipped attempts errorMessage } }", json!({ "id": run_id }))
                .await;
            let status = data["syncRun"]["status"].as_str().unwrap_or_default().to_owned();
            if ["COMPLETED", "FAILED", "CANCELLED"].contains(&status.as_str()) {
                return data["syncRun"].clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("sync run {run_id} did not finish in 15 s");
    }

    /// Links every product of the channel (`productLinksCreate` over everything) and waits for the run.
    pub async fn link_everything(&self, channel_id: i64) -> Value {
        let started = self
            .gql(
                "mutation($c: ID!) { productLinksCreate(input: { channelId: $c, filter: {} }) { syncRun { id } userErrors { message } } }",
                json!({ "c": omnisync::graphql::relay::global_id("Channel", channel_id) }),
            )
            .await;
        self.wait_for_run(started["productLinksCreate"]["syncRun"]["id"].as_str().expect("a link run")).await
    }

    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/graphql/ws", self.port)
    }

    /// Drops the test's database or directory.
    pub async fn cleanup(self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PgDatabase(name) => {
                let _ = self.ctx.db.clone().close().await;
                drop_pg_database(name).await;
            }
        }
    }
}

/// Runs one async test body on the SQLite and PostgreSQL + Redis backends (two tests, named after them); the
/// second form starts the app with `Options` and a settings edit (paths in them are resolved inside `mod $name`).
/// Runs a body on both backends with an app whose workers are off: the test drives every job itself.
#[macro_export]
macro_rules! on_both_backends_driven {
    ($name:ident, $body:ident) => {
        $crate::on_both_backends!($name, $body, options: $crate::helpers::Options { run_workers: false }, settings: |_| {});
    };
}

#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:ident, options: $options:expr, settings: $edit:expr) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                if let Some(app) =
                    $crate::helpers::spawn_app_configured($crate::helpers::Backend::Sqlite, $options, $edit).await
                {
                    super::$body(&app).await;
                    app.cleanup().await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres_and_redis() {
                if let Some(app) =
                    $crate::helpers::spawn_app_configured($crate::helpers::Backend::PostgresRedis, $options, $edit)
                        .await
                {
                    super::$body(&app).await;
                    app.cleanup().await;
                }
            }
        }
    };
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await {
                    super::$body(&app).await;
                    app.cleanup().await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres_and_redis() {
                if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::PostgresRedis).await {
                    super::$body(&app).await;
                    app.cleanup().await;
                }
            }
        }
    };
}

/// The actor of writes a test makes by calling services directly (not through the API).
pub fn tests_actor() -> omnisync::domain::actor::Actor {
    omnisync::domain::actor::Actor::system("tests")
}

/// Every marketplace, in the registry's order.
pub fn all_kinds() -> Vec<omnisync::channels::ChannelKind> {
    omnisync::channels::registry::all().map(|m| m.kind).collect()
}

/// The marketplace's lower-case name (labels, channel names, the OAuth callback path).
pub fn slug(kind: omnisync::channels::ChannelKind) -> &'static str {
    omnisync::channels::marketplace(kind).slug
}

/// A marketplace simulator on a free local port, seeded with `seed_products` products (SKUs `SKU-0001-1`, …).
pub fn start_sim(kind: omnisync::channels::ChannelKind, seed_products: usize) -> omnisync::sim::SimHandle {
    // The simulator's own webhook client is a reqwest client too.
    startup::install_tls_provider();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
    omnisync::sim::start_kind(kind, listener, 42, seed_products).expect("simulator starts")
}

/// Token stores that remember what the connector saved (to check refreshed tokens are persisted).
#[derive(Default)]
pub struct RecordingTokenStore {
    pub saved: std::sync::Mutex<Vec<omnisync::channels::Credentials>>,
}

#[async_trait::async_trait]
impl omnisync::channels::TokenStore for RecordingTokenStore {
    async fn save(
        &self,
        credentials: &omnisync::channels::Credentials,
    ) -> Result<(), omnisync::channels::ConnectorError> {
        self.saved.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(credentials.clone());
        Ok(())
    }
}

/// A connector to `sim` with the simulator's credentials, fast retries and no shared rate limit.
/// The request limiter the hub gives a channel of `kind` (its quotas; the simulators refuse what the marketplaces
/// would), for tests that build connectors themselves.
pub fn hub_limiter(kind: omnisync::channels::ChannelKind) -> omnisync::channels::RateLimiter {
    use omnisync::channels::RateLimiter;
    let marketplace = omnisync::channels::marketplace(kind);
    RateLimiter::for_marketplace(marketplace, marketplace.slug, None, &Default::default())
}

pub fn connector_for(
    sim: &omnisync::sim::SimHandle,
    tokens: std::sync::Arc<dyn omnisync::channels::TokenStore>,
) -> std::sync::Arc<dyn omnisync::channels::Connector> {
    use omnisync::channels::{ApiClient, ConnectorConfig, RetryPolicy, connector};
    startup::install_tls_provider();
    let http = ApiClient::new(slug(sim.kind), hub_limiter(sim.kind), RetryPolicy::fast()).expect("client");
    connector(ConnectorConfig {
        kind: sim.kind,
        base_url: sim.base_url.clone(),
        country: "VN".into(),
        credentials: sim.state.credentials.clone(),
        http,
        tokens,
    })
    .expect("connector")
}
