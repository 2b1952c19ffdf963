//! Running as a cluster: two API processes and two worker processes (the real binary) against one PostgreSQL
//! and one Redis. A bulk link started through one API process is watched to the end through a subscription on
//! the other; every job runs exactly once.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use omnisync::channels::ChannelKind;

use crate::helpers::{Backend, fresh_settings, start_sim};

pub(crate) struct Processes(pub(crate) Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

pub(crate) fn spawn(settings: &omnisync::config::Settings, args: &[&str]) -> Child {
    spawn_with(settings, args, &[])
}

/// `spawn` with more environment variables.
pub(crate) fn spawn_with(settings: &omnisync::config::Settings, args: &[&str], env: &[(&str, &str)]) -> Child {
    command(settings, args).envs(env.iter().copied()).spawn().expect("omnisync starts")
}

/// The command `spawn` runs (output discarded), for a test that needs more of it.
pub(crate) fn command(settings: &omnisync::config::Settings, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_omnisync"));
    command
        .args(args)
        .env("DATABASE_URL", &settings.database_url)
        .env("REDIS_URL", settings.redis_url.clone().unwrap_or_default())
        .env("OMNISYNC_SECRET_KEY", settings.secret_key.clone().unwrap_or_default())
        .env("OMNISYNC_QUEUE_NAMESPACE", &settings.queue_namespace)
        .env("OMNISYNC_SCHEDULER_INTERVAL", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Waits (bounded) for `child` to exit; its status and how long it took.
pub(crate) async fn exited(child: &mut Child, limit: Duration) -> (std::process::ExitStatus, Duration) {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return (status, started.elapsed());
        }
        assert!(started.elapsed() < limit, "the process did not exit within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends SIGTERM (a graceful stop) to `child`.
pub(crate) fn terminate(child: &Child) {
    let sent = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert!(sent.expect("kill runs").success(), "SIGTERM sent");
}

/// A fresh store on PostgreSQL + Redis (migrated), an ADMIN token, and one API process (`serve --no-worker`) on
/// it, ready. `None` when the services are unreachable (the test is skipped).
pub(crate) struct ApiProcess {
    pub settings: omnisync::config::Settings,
    pub _cleanup: crate::helpers::Cleanup,
    pub db: sea_orm::DatabaseConnection,
    pub token: String,
    pub processes: Processes,
    pub api: String,
    pub client: reqwest::Client,
}

pub(crate) async fn api_process() -> Option<ApiProcess> {
    let (settings, cleanup) = fresh_settings(Backend::PostgresRedis).await?;
    omnisync::startup::install_tls_provider();
    let db = omnisync::startup::connect_database(&settings).await.expect("db");
    omnisync::startup::migrate(&db).await.expect("migrated");
    let (_, token) = omnisync::services::api_tokens::create(&db, "kill test", entity::enums::TokenScope::Admin)
        .await
        .expect("token");
    let port = free_port();
    let processes =
        Processes(vec![spawn(&settings, &["serve", "--no-worker", "--bind", &format!("127.0.0.1:{port}")])]);
    let api = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    ready(&client, &api).await;
    Some(ApiProcess { settings, _cleanup: cleanup, db, token, processes, api, client })
}

pub(crate) async fn ready(client: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{base} did not become ready");
}

pub(crate) async fn gql(client: &reqwest::Client, base: &str, token: &str, query: &str, variables: Value) -> Value {
    let body: Value = client
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_api_and_two_worker_processes_share_jobs_and_live_events() {
    let Some((settings, _cleanup)) = fresh_settings(Backend::PostgresRedis).await else { return };
    omnisync::startup::install_tls_provider();
    // Migrate once before the processes start, so they do not race to create the schema.
    let db = omnisync::startup::connect_database(&settings).await.expect("db");
    omnisync::startup::migrate(&db).await.expect("migrated");
    let (_, token) = omnisync::services::api_tokens::create(&db, "cluster test", entity::enums::TokenScope::Admin)
        .await
        .expect("token");

    let (port_a, port_b) = (free_port(), free_port());
    let mut processes = Processes(vec![
        spawn(&settings, &["serve", "--no-worker", "--bind", &format!("127.0.0.1:{port_a}")]),
        spawn(&settings, &["serve", "--no-worker", "--bind", &format!("127.0.0.1:{port_b}")]),
    ]);
    let (a, b) = (format!("http://127.0.0.1:{port_a}"), format!("http://127.0.0.1:{port_b}"));
    let client = reqwest::Client::new();
    ready(&client, &a).await;
    ready(&client, &b).await;

    let sim = start_sim(ChannelKind::Lazada, 300);
    let c = &sim.state.credentials;
    let channel = gql(
        &client,
        &a,
        &token,
        "mutation($input: ChannelConnectInput!) { channelConnect(input: $input) { channel { id } userErrors { message } } }",
        json!({ "input": { "kind": "LAZADA", "name": "Lazada", "country": "VN", "baseUrl": sim.base_url,
            "credentials": { "appKey": c.app_key, "appSecret": c.app_secret, "accessToken": c.access_token, "refreshToken": c.refresh_token } } }),
    )
    .await["channelConnect"]["channel"]["id"]
        .clone();
    for i in 1..=300 {
        gql(
            &client,
            &a,
            &token,
            "mutation($input: ProductCreateInput!) { productCreate(input: $input) { userErrors { message } } }",
            json!({ "input": { "title": format!("P{i}"), "variants": [{ "sku": format!("H{i}"), "barcode": format!("SKU-{i:04}-1"), "price": "1000" }] } }),
        )
        .await;
    }
    // Runs queued before any worker exists: a bulk link and ten totals runs.
    let link = gql(
        &client,
        &a,
        &token,
        "mutation($c: ID!) { productLinksCreate(input: { channelId: $c, filter: {} }) { syncRun { id } } }",
        json!({ "c": channel }),
    )
    .await["productLinksCreate"]["syncRun"]["id"]
        .clone();
    for _ in 0..10 {
        gql(&client, &a, &token, "mutation { productInventoryRecompute { syncRun { id } } }", json!({})).await;
    }

    // Watch the link run from the other API process.
    let mut request = format!("ws://127.0.0.1:{port_b}/graphql/ws").into_client_request().expect("request");
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().expect("header"));
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("ws");
    let send = |v: Value| Message::Text(v.to_string().into());
    socket
        .send(send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })))
        .await
        .expect("init");
    socket
        .send(send(json!({ "id": "1", "type": "subscribe", "payload": {
            "query": "subscription($id: ID!) { syncRun(id: $id) { status processed total } }", "variables": { "id": link } } })))
        .await
        .expect("subscribe");

    processes.0.push(spawn(&settings, &["worker"]));
    processes.0.push(spawn(&settings, &["worker"]));

    let mut statuses = Vec::new();
    loop {
        let message = tokio::time::timeout(Duration::from_secs(60), socket.next())
            .await
            .expect("an event within 60 s")
            .expect("open")
            .expect("frame");
        let Message::Text(text) = message else { continue };
        let value: Value = serde_json::from_str(&text).expect("json");
        match value["type"].as_str() {
            Some("next") => {
                statuses.push(value["payload"]["data"]["syncRun"]["status"].as_str().unwrap_or_default().to_owned());
            }
            Some("complete") => break,
            _ => {}
        }
    }
    assert_eq!(statuses.first().map(String::as_str), Some("CREATED"), "{statuses:?}");
    assert_eq!(
        statuses.last().map(String::as_str),
        Some("COMPLETED"),
        "watched to the end across processes: {statuses:?}"
    );
    assert!(statuses.iter().any(|s| s == "RUNNING"), "saw it running, relayed through Redis: {statuses:?}");

    // Every run completes, each executed exactly once by the two workers.
    for _ in 0..300 {
        let runs =
            gql(&client, &b, &token, "{ syncRuns(first: 100) { edges { node { status attempts } } } }", json!({}))
                .await;
        let edges = runs["syncRuns"]["edges"].as_array().cloned().unwrap_or_default();
        // The 11 queued runs, and the stock pushes the new links asked for.
        if edges.len() >= 11 && edges.iter().all(|e| e["node"]["status"] == "COMPLETED") {
            assert!(edges.iter().all(|e| e["node"]["attempts"] == 1), "each run executed once: {edges:?}");
            let links = gql(
                &client,
                &a,
                &token,
                "query($c: ID!) { productLinks(channelId: $c, view: SYNCED) { totalCount } }",
                json!({ "c": channel }),
            )
            .await;
            assert_eq!(links["productLinks"]["totalCount"], 300);
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let runs = gql(
        &client,
        &b,
        &token,
        "{ syncRuns(first: 100) { edges { node { kind status attempts errorMessage } } } }",
        json!({}),
    )
    .await;
    panic!("not every run completed: {runs}");
}

/// A worker process is killed (SIGKILL) in the middle of a bulk link; another worker finishes the run after the
/// queue notices the dead worker, and the result has no duplicate links.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_link_survives_its_worker_being_killed_mid_run() {
    let Some(ApiProcess { settings, _cleanup, db, token, mut processes, api, client }) = api_process().await else {
        return;
    };

    let products = 3000;
    let sim = start_sim(ChannelKind::Lazada, products);
    let c = &sim.state.credentials;
    let channel = gql(
        &client,
        &api,
        &token,
        "mutation($input: ChannelConnectInput!) { channelConnect(input: $input) { channel { id } } }",
        json!({ "input": { "kind": "LAZADA", "name": "Lazada", "country": "VN", "baseUrl": sim.base_url,
            "credentials": { "appKey": c.app_key, "appSecret": c.app_secret, "accessToken": c.access_token, "refreshToken": c.refresh_token } } }),
    )
    .await["channelConnect"]["channel"]["id"]
        .clone();
    // The hub catalog, written directly (fast): one variant per product, barcode = the listing's seller SKU.
    {
        use sea_orm::{ActiveValue::Set, EntityTrait};
        let now = chrono::Utc::now();
        let rows: Vec<entity::product::ActiveModel> = (0..products)
            .map(|i| entity::product::ActiveModel {
                title: Set(format!("P{i}")),
                total_on_hand: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .collect();
        for chunk in rows.chunks(500) {
            entity::product::Entity::insert_many(chunk.to_vec()).exec_without_returning(&db).await.expect("products");
        }
        let first = entity::product::Entity::find().one(&db).await.expect("read").expect("a product").id;
        let variants: Vec<entity::product_variant::ActiveModel> = (0..products)
            .map(|i| entity::product_variant::ActiveModel {
                product_id: Set(first + i as i64),
                title: Set("Default Title".into()),
                position: Set(0),
                sku: Set(Some(format!("H{i}"))),
                barcode: Set(Some(format!("SKU-{:04}-1", i + 1))),
                price_minor: Set(1000),
                track_inventory: Set(true),
                allow_oversell: Set(false),
                hidden: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .collect();
        for chunk in variants.chunks(500) {
            entity::product_variant::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&db)
                .await
                .expect("variants");
        }
    }
    let run = gql(
        &client,
        &api,
        &token,
        "mutation($c: ID!) { productLinksCreate(input: { channelId: $c, filter: {} }) { syncRun { id } } }",
        json!({ "c": channel }),
    )
    .await["productLinksCreate"]["syncRun"]["id"]
        .clone();
    let run_query = "query($id: ID!) { syncRun(id: $id) { status processed total attempts } }";

    // Slow the marketplace so the run is caught mid-way, then kill its worker.
    sim.state.set_fault_rates(omnisync::sim::FaultRates { timeout: 1.0, timeout_ms: 40, ..Default::default() });
    let mut first_worker = spawn(&settings, &["worker"]);
    let mut seen_running = false;
    for _ in 0..600 {
        let state = gql(&client, &api, &token, run_query, json!({ "id": run })).await;
        if state["syncRun"]["status"] == "RUNNING" {
            seen_running = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen_running, "the run started");
    tokio::time::sleep(Duration::from_millis(800)).await;
    first_worker.kill().expect("SIGKILL");
    let _ = first_worker.wait();
    let mid = gql(&client, &api, &token, run_query, json!({ "id": run })).await;
    assert_eq!(mid["syncRun"]["status"], "RUNNING", "killed mid-run: {mid}");
    sim.state.set_fault_rates(omnisync::sim::FaultRates::default());

    processes.0.push(spawn(&settings, &["worker"]));
    for _ in 0..1200 {
        let state = gql(&client, &api, &token, run_query, json!({ "id": run })).await;
        if state["syncRun"]["status"] == "COMPLETED" {
            assert_eq!(state["syncRun"]["attempts"], 2, "ran again after the kill: {state}");
            let links = gql(&client, &api, &token, "query($c: ID!) { productLinks(channelId: $c) { totalCount } synced: productLinks(channelId: $c, view: SYNCED) { totalCount } }", json!({ "c": channel })).await;
            assert_eq!(links["productLinks"]["totalCount"], products, "one link per listing, no duplicates: {links}");
            assert_eq!(links["synced"]["totalCount"], products);
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let state = gql(&client, &api, &token, run_query, json!({ "id": run })).await;
    panic!("the run did not complete after the kill: {state}");
}
