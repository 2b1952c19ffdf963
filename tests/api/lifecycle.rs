//! The process's life as an operator meets it, with the real binary: a graceful stop of `serve` (subscriptions
//! closed with 1001, exit 0), replicas starting together on an empty PostgreSQL database (one migrates, all come
//! up), `migrate --status` and `--no-migrate`, a worker's own health and metrics listener, CORS preflights, and
//! the command line (`--version`, a refused `--log-format`, bare `omnisync` honouring `OMNISYNC_BIND`).

use std::process::Stdio;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::cluster::{Processes, command, exited, free_port, ready, spawn, spawn_with, terminate};
use crate::helpers::{Backend, fresh_settings};

/// A migrated store and an ADMIN token on it, for processes to share.
async fn migrated_store(backend: Backend) -> Option<(omnisync::config::Settings, crate::helpers::Cleanup, String)> {
    let (settings, cleanup) = fresh_settings(backend).await?;
    omnisync::startup::install_tls_provider();
    let db = omnisync::startup::connect_database(&settings).await.expect("db");
    omnisync::startup::migrate(&db).await.expect("migrated");
    let (_, token) = omnisync::services::api_tokens::create(&db, "lifecycle", entity::enums::TokenScope::Admin)
        .await
        .expect("token");
    db.close().await.expect("closed");
    Some((settings, cleanup, token))
}

/// SIGTERM to `serve`: an open subscription is closed with 1001 (going away), and the process exits 0 well
/// within its grace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_stops_gracefully_on_sigterm_closing_subscriptions_with_1001() {
    let Some((settings, _cleanup, token)) = migrated_store(Backend::Sqlite).await else { return };
    let port = free_port();
    let mut processes = Processes(vec![spawn_with(
        &settings,
        &["serve", "--bind", &format!("127.0.0.1:{port}")],
        &[("OMNISYNC_SHUTDOWN_GRACE", "10")],
    )]);
    let base = format!("http://127.0.0.1:{port}");
    ready(&reqwest::Client::new(), &base).await;

    let mut request = format!("ws://127.0.0.1:{port}/graphql/ws").into_client_request().expect("request");
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().expect("header"));
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("upgrade");
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::Text(init.to_string().into())).await.expect("sent");
    let subscribe =
        json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { orderUpdated { id } }" } });
    socket.send(Message::Text(subscribe.to_string().into())).await.expect("sent");
    let ack = loop {
        match tokio::time::timeout(Duration::from_secs(10), socket.next()).await.expect("an answer") {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => break other,
        }
    };
    assert!(matches!(&ack, Some(Ok(Message::Text(t))) if t.contains("connection_ack")), "{ack:?}");

    terminate(&processes.0[0]);
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(10), socket.next()).await.expect("closed within 10 s") {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    let close = close.expect("a close code");
    assert_eq!(close.code, CloseCode::Away, "{close:?}");
    let (status, took) = exited(&mut processes.0[0], Duration::from_secs(15)).await;
    assert!(status.success(), "exit 0 on SIGTERM: {status:?}");
    assert!(took < Duration::from_secs(10), "within the grace: {took:?}");
}

/// Four processes started at once on an empty PostgreSQL database: one migrates (the others wait for the
/// migration lock), all four come up, every migration is applied once; `migrate --status` says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_starting_together_on_an_empty_database_migrate_once_and_all_come_up() {
    let Some((settings, _cleanup)) = fresh_settings(Backend::PostgresRedis).await else { return };
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let _processes = Processes(
        ports
            .iter()
            .map(|p| spawn(&settings, &["serve", "--no-worker", "--bind", &format!("127.0.0.1:{p}")]))
            .collect(),
    );
    let client = reqwest::Client::new();
    for port in &ports {
        ready(&client, &format!("http://127.0.0.1:{port}")).await;
    }
    let migrations = <migration::Migrator as migration::MigratorTrait>::migrations().len();
    let db = omnisync::startup::connect_database(&settings).await.expect("db");
    use sea_orm::ConnectionTrait as _;
    let rows = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM seaql_migrations",
        ))
        .await
        .expect("count")
        .expect("a row");
    assert_eq!(rows.try_get::<i64>("", "n").expect("n") as usize, migrations, "each migration recorded once");

    let out = command(&settings, &["migrate", "--status"]).stdout(Stdio::piped()).output().expect("runs");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("{migrations} applied, 0 pending")), "{text}");
    assert!(!text.contains("pending m"), "{text}");
}

/// `--no-migrate` on a database that lacks migrations refuses to start and says what to run; `migrate --status`
/// lists them as pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_that_must_not_migrate_refuses_an_older_schema() {
    let Some((settings, _cleanup)) = fresh_settings(Backend::PostgresRedis).await else { return };
    let out = command(&settings, &["serve", "--no-migrate", "--no-worker", "--bind", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .output()
        .expect("runs");
    assert!(!out.status.success(), "refused: {out:?}");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("omnisync migrate"), "says what to run: {text}");

    let out = command(&settings, &["migrate", "--status"]).stdout(Stdio::piped()).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let migrations = <migration::Migrator as migration::MigratorTrait>::migrations().len();
    assert!(text.contains(&format!("0 applied, {migrations} pending")), "{text}");
}

/// `omnisync worker --metrics-bind`: liveness, readiness and (with a token) Prometheus metrics on its own address;
/// SIGTERM stops it with exit 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_serves_health_readiness_and_metrics_on_its_own_address() {
    let Some((settings, _cleanup, token)) = migrated_store(Backend::PostgresRedis).await else { return };
    let port = free_port();
    let mut processes = Processes(vec![spawn(&settings, &["worker", "--metrics-bind", &format!("127.0.0.1:{port}")])]);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    ready(&client, &base).await;
    let health = client.get(format!("{base}/healthz")).send().await.expect("healthz");
    assert_eq!(health.status(), 200);
    let metrics = client.get(format!("{base}/metrics")).send().await.expect("metrics");
    assert_eq!(metrics.status(), 401, "metrics need a token");
    let metrics = client.get(format!("{base}/metrics")).bearer_auth(&token).send().await.expect("metrics");
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.expect("text");
    let parsed = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("exposition format");
    for name in ["omnisync_queue_depth", "omnisync_build_info", "process_resident_memory_bytes"] {
        assert!(parsed.samples.iter().any(|s| s.metric == name), "{name}: {text}");
    }
    assert!(client.post(format!("{base}/graphql")).send().await.expect("answered").status() == 404, "no API here");

    terminate(&processes.0[0]);
    let (status, _) = exited(&mut processes.0[0], Duration::from_secs(20)).await;
    assert!(status.success(), "exit 0 on SIGTERM: {status:?}");
}

/// `--version` names the version and the commit; a log format the hub does not know is refused, not taken as
/// text; bare `omnisync` is `serve` with serve's environment (`OMNISYNC_BIND`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_tells_its_version_refuses_unknown_log_formats_and_serves_by_default() {
    let Some((settings, _cleanup)) = fresh_settings(Backend::Sqlite).await else { return };
    let out = command(&settings, &["--version"]).stdout(Stdio::piped()).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with(&format!("omnisync {} (commit ", env!("CARGO_PKG_VERSION"))), "{text}");

    let out = command(&settings, &["--log-format", "xml", "migrate"]).stderr(Stdio::piped()).output().expect("runs");
    assert!(!out.status.success(), "refused");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("xml") && text.contains("json"), "names the value and the choices: {text}");

    let port = free_port();
    let _processes = Processes(vec![
        command(&settings, &[]).env("OMNISYNC_BIND", format!("127.0.0.1:{port}")).spawn().expect("starts"),
    ]);
    ready(&reqwest::Client::new(), &format!("http://127.0.0.1:{port}")).await;
}

/// CORS: a preflight from an allowed origin is answered with that origin, methods and headers; the request itself
/// carries the origin back; an origin not on the list gets no CORS header (the browser refuses it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_on_allowed_origins_pass_the_preflight_and_others_do_not() {
    const ALLOWED: &str = "https://shop.example.com";
    let Some(app) = crate::helpers::spawn_app_configured(Backend::Sqlite, Default::default(), |s| {
        s.cors_origins = vec![ALLOWED.to_owned(), "http://localhost:5173".to_owned()];
    })
    .await
    else {
        return;
    };
    let url = format!("{}/graphql", app.address);
    let preflight = |origin: &str| {
        app.client
            .request(reqwest::Method::OPTIONS, &url)
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "authorization, content-type")
            .send()
    };
    let answer = preflight(ALLOWED).await.expect("answered");
    assert!(answer.status().is_success(), "{answer:?}");
    let header = |r: &reqwest::Response, name: &str| {
        r.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_ascii_lowercase).unwrap_or_default()
    };
    assert_eq!(header(&answer, "access-control-allow-origin"), ALLOWED);
    assert!(header(&answer, "access-control-allow-methods").contains("post"), "{answer:?}");
    let allowed_headers = header(&answer, "access-control-allow-headers");
    assert!(allowed_headers.contains("authorization") && allowed_headers.contains("content-type"), "{answer:?}");

    let posted = app
        .client
        .post(&url)
        .header("Origin", ALLOWED)
        .bearer_auth(&app.token)
        .json(&json!({ "query": "{ warehouses(first: 1) { edges { cursor } } }" }))
        .send()
        .await
        .expect("answered");
    assert_eq!(header(&posted, "access-control-allow-origin"), ALLOWED);
    assert!(posted.status().is_success());

    let refused = preflight("https://evil.example.net").await.expect("answered");
    assert_eq!(header(&refused, "access-control-allow-origin"), "", "no CORS for other origins: {refused:?}");
    let posted = app
        .client
        .post(&url)
        .header("Origin", "https://evil.example.net")
        .bearer_auth(&app.token)
        .json(&json!({ "query": "{ warehouses(first: 1) { edges { cursor } } }" }))
        .send()
        .await
        .expect("answered");
    assert_eq!(header(&posted, "access-control-allow-origin"), "", "{posted:?}");
}

/// `omnisync backup` while the server runs; more is written after it; the server started on the copy holds what
/// was there at the backup and nothing after, and the copied key file still decrypts the channel's credentials
/// (a link run against the marketplace completes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_restores_to_a_server_that_starts_on_it() {
    let Some((settings, _cleanup, token)) = migrated_store(Backend::Sqlite).await else { return };
    let port = free_port();
    let mut processes = Processes(vec![spawn(&settings, &["serve", "--bind", &format!("127.0.0.1:{port}")])]);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    ready(&client, &base).await;
    let create = |title: &'static str| {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        async move {
            let data = crate::cluster::gql(
                &client,
                &base,
                &token,
                "mutation($t: String!) { productCreate(input: { title: $t, variants: [{ sku: $t, price: \"1000\" }] }) { userErrors { message } } }",
                json!({ "t": title }),
            )
            .await;
            assert_eq!(data["productCreate"]["userErrors"], json!([]), "{data}");
        }
    };
    create("BEFORE-BACKUP").await;
    let sim = crate::helpers::start_sim(omnisync::channels::ChannelKind::Lazada, 2);
    let c = &sim.state.credentials;
    let connected = crate::cluster::gql(
        &client,
        &base,
        &token,
        "mutation($input: ChannelConnectInput!) { channelConnect(input: $input) { channel { id } userErrors { message } } }",
        json!({ "input": { "kind": "LAZADA", "name": "Lazada", "country": "VN", "baseUrl": sim.base_url,
            "credentials": { "appKey": c.app_key, "appSecret": c.app_secret, "accessToken": c.access_token, "refreshToken": c.refresh_token } } }),
    )
    .await;
    let channel = connected["channelConnect"]["channel"]["id"].clone();
    assert!(channel.is_string(), "{connected}");

    let backup_dir = std::env::temp_dir().join(format!("omnisync-backup-{}", ulid::Ulid::generate()));
    let target = backup_dir.join("copy.db");
    let out =
        command(&settings, &["backup", target.to_str().expect("utf-8")]).stdout(Stdio::piped()).output().expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert!(backup_dir.join("copy.key").exists(), "the key file beside the copy");
    let again =
        command(&settings, &["backup", target.to_str().expect("utf-8")]).stderr(Stdio::piped()).output().expect("runs");
    assert!(!again.status.success(), "an existing file is never overwritten");
    create("AFTER-BACKUP").await;
    terminate(&processes.0[0]);
    exited(&mut processes.0[0], Duration::from_secs(30)).await;

    let mut restored = settings.clone();
    restored.database_url = format!("sqlite://{}?mode=rwc", target.display());
    let port = free_port();
    processes.0.push(spawn(&restored, &["serve", "--bind", &format!("127.0.0.1:{port}")]));
    let base = format!("http://127.0.0.1:{port}");
    ready(&client, &base).await;
    let products =
        crate::cluster::gql(&client, &base, &token, "{ products(first: 50) { edges { node { title } } } }", json!({}))
            .await;
    let titles: Vec<&str> = products["products"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["node"]["title"].as_str())
        .collect();
    assert_eq!(titles, vec!["BEFORE-BACKUP"], "the copy holds what was there at the backup");
    let run = crate::cluster::gql(
        &client,
        &base,
        &token,
        "mutation($c: ID!) { productLinksCreate(input: { channelId: $c, filter: {} }) { syncRun { id } } }",
        json!({ "c": channel }),
    )
    .await["productLinksCreate"]["syncRun"]["id"]
        .clone();
    let mut status = String::new();
    for _ in 0..300 {
        let state = crate::cluster::gql(
            &client,
            &base,
            &token,
            "query($id: ID!) { syncRun(id: $id) { status errorMessage } }",
            json!({ "id": run }),
        )
        .await;
        status = state["syncRun"]["status"].as_str().unwrap_or_default().to_owned();
        if status == "COMPLETED" || status == "FAILED" {
            assert_eq!(status, "COMPLETED", "the credentials decrypt with the copied key: {state}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "COMPLETED");
    let _ = std::fs::remove_dir_all(backup_dir);
}

/// Key rotation on PostgreSQL: with the new key current and the old one previous, a process reads credentials the
/// old key sealed; `omnisync secrets rotate` re-encrypts every one; then the new key alone reads them and the old
/// one alone no longer does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_rotate_reencrypts_every_credential_under_the_new_key() {
    let Some((old_settings, _cleanup)) = fresh_settings(Backend::PostgresRedis).await else { return };
    let old_key = old_settings.secret_key.clone().expect("a key");
    let new_key = omnisync::secrets::SecretBox::generate_key_text();
    let old_ctx = omnisync::startup::build_context(old_settings.clone()).await.expect("context");
    let sims: Vec<_> = (0..2).map(|_| crate::helpers::start_sim(omnisync::channels::ChannelKind::Lazada, 1)).collect();
    let mut channels = Vec::new();
    for sim in &sims {
        channels.push(omnisync::sim::fixtures::connect_sim(&old_ctx, sim).await.expect("connected"));
    }
    let reads = |settings: omnisync::config::Settings| {
        let channels = channels.clone();
        async move {
            let ctx = omnisync::startup::build_context(settings).await.expect("context");
            let mut readable = 0;
            for c in &channels {
                let stored =
                    entity::channel::Entity::find_by_id(c.id).one(&ctx.db).await.expect("db").expect("channel");
                if omnisync::services::channels::connector_for(&ctx, &stored).await.is_ok() {
                    readable += 1;
                }
            }
            readable
        }
    };
    use sea_orm::EntityTrait as _;
    let mut rotating = old_settings.clone();
    rotating.secret_key = Some(new_key.clone());
    rotating.secret_key_previous = vec![old_key.clone()];
    assert_eq!(reads(rotating.clone()).await, 2, "the previous key still decrypts");
    let mut new_only = old_settings.clone();
    new_only.secret_key = Some(new_key.clone());
    assert_eq!(reads(new_only.clone()).await, 0, "not yet re-encrypted");

    let out = command(&rotating, &["secrets", "rotate"])
        .env("OMNISYNC_SECRET_KEY_PREVIOUS", &old_key)
        .stdout(Stdio::piped())
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("2 channel credential(s) re-encrypted"), "{out:?}");

    assert_eq!(reads(new_only).await, 2, "the new key alone reads every credential");
    assert_eq!(reads(old_settings).await, 0, "the old key alone reads none");
}

/// With `--log-format json`, each HTTP request is one JSON line: its request id (the client's, echoed back, or a
/// new one), method, route template (never the path's ids), status, latency and the GraphQL operation name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_logs_one_json_line_with_its_id_route_status_latency_and_operation() {
    let Some((settings, _cleanup, token)) = migrated_store(Backend::Sqlite).await else { return };
    let log_path = std::env::temp_dir().join(format!("omnisync-requests-{}.log", ulid::Ulid::generate()));
    let log = std::fs::File::create(&log_path).expect("log file");
    let port = free_port();
    let mut processes = Processes(vec![
        command(&settings, &["serve", "--no-worker", "--log-format", "json", "--bind", &format!("127.0.0.1:{port}")])
            .env("RUST_LOG", "info")
            .stderr(log)
            .spawn()
            .expect("starts"),
    ]);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    ready(&client, &base).await;

    let answer = client
        .post(format!("{base}/graphql"))
        .bearer_auth(&token)
        .header("x-request-id", "req-lifecycle-1")
        .json(
            &json!({ "query": "query Shelf { warehouses(first: 1) { edges { cursor } } }", "operationName": "Shelf" }),
        )
        .send()
        .await
        .expect("answered");
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers().get("x-request-id").and_then(|v| v.to_str().ok()), Some("req-lifecycle-1"));
    let webhook = client.post(format!("{base}/webhooks/987654")).body("{}").send().await.expect("answered");
    let made = webhook.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(made.as_deref().map(str::len), Some(26), "a new id when the client sent none: {made:?}");

    terminate(&processes.0[0]);
    exited(&mut processes.0[0], Duration::from_secs(20)).await;
    let text = std::fs::read_to_string(&log_path).expect("log");
    let _ = std::fs::remove_file(&log_path);
    let lines: Vec<serde_json::Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(!lines.is_empty() && lines.len() == text.lines().count(), "every line is JSON: {text}");
    let request_line = |id: &str| {
        lines
            .iter()
            .find(|l| l["fields"]["message"] == "request" && l["span"]["request_id"] == id)
            .or_else(|| lines.iter().find(|l| l["message"] == "request" && l["span"]["request_id"] == id))
            .cloned()
            .unwrap_or_else(|| panic!("no request line for {id}: {text}"))
    };
    let graphql = request_line("req-lifecycle-1");
    assert_eq!(graphql["span"]["method"], "POST", "{graphql}");
    assert_eq!(graphql["span"]["path"], "/graphql", "{graphql}");
    assert_eq!(graphql["span"]["operation"], "Shelf", "{graphql}");
    assert_eq!(graphql["status"], 200, "{graphql}");
    assert!(graphql["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{graphql}");
    let hook = request_line(made.as_deref().expect("an id"));
    assert_eq!(hook["span"]["path"], "/webhooks/{channel_id}", "a route template: {hook}");
    assert!(!hook.to_string().contains("987654"), "no id of the path in the line: {hook}");
}
