use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{Backend, Options, TestApp, spawn_app_with};

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const SUBSCRIBE_RUN: &str = "subscription($id: ID!) { syncRun(id: $id) { status total processed } }";

pub async fn connect(app: &TestApp, protocol: &str) -> Socket {
    let mut request = app.ws_url().into_client_request().expect("request");
    request.headers_mut().insert("Sec-WebSocket-Protocol", protocol.parse().expect("header"));
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.expect("WebSocket connects");
    assert_eq!(response.headers().get("Sec-WebSocket-Protocol").and_then(|v| v.to_str().ok()), Some(protocol));
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", app.token) } }),
    )
    .await;
    let ack = receive(&mut socket).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    socket
}

pub async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::Text(message.to_string().into())).await.expect("sent");
}

/// The next JSON message, skipping keep-alives and pings; bounded wait.
pub async fn receive(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(15), socket.next())
            .await
            .expect("a message within 15 s")
            .expect("socket open")
            .expect("valid frame");
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).expect("JSON message");
            if value["type"] != "ka" && value["type"] != "ping" && value["type"] != "pong" {
                return value;
            }
        }
    }
}

fn rank(status: &str) -> u8 {
    match status {
        "CREATED" => 0,
        "RUNNING" => 1,
        _ => 2,
    }
}

/// Starts a run while no worker runs, subscribes, then starts the workers: the subscription delivers the run's
/// states in order and completes after the final one.
async fn sync_run_subscription_streams_states_in_order(backend: Backend, protocol: &str, subscribe: &str, next: &str) {
    let Some(app) = spawn_app_with(backend, Options { run_workers: false }).await else { return };
    app.create_product("Kệ sách", json!([{ "price": "1000" }])).await;
    let run_id = app.gql("mutation { productInventoryRecompute { syncRun { id } } }", json!({})).await["productInventoryRecompute"]["syncRun"]["id"]
        .clone();

    let mut socket = connect(&app, protocol).await;
    send(
        &mut socket,
        json!({ "id": "1", "type": subscribe, "payload": { "query": SUBSCRIBE_RUN, "variables": { "id": run_id } } }),
    )
    .await;
    let first = receive(&mut socket).await;
    assert_eq!(first["type"], next, "{first}");
    assert_eq!(first["payload"]["data"]["syncRun"]["status"], "CREATED");

    let _workers = omnisync::startup::start_workers(&app.ctx).await.expect("workers start");
    let mut statuses = vec!["CREATED".to_owned()];
    loop {
        let message = receive(&mut socket).await;
        if message["type"] == "complete" {
            break;
        }
        assert_eq!(message["type"], next, "{message}");
        statuses.push(message["payload"]["data"]["syncRun"]["status"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(statuses.last().map(String::as_str), Some("COMPLETED"), "ends with the final state: {statuses:?}");
    assert!(statuses.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])), "in order: {statuses:?}");

    // An unknown run: an error on the socket, and the socket stays usable.
    let unknown = omnisync::graphql::relay::global_id("SyncRun", 999_999);
    send(
        &mut socket,
        json!({ "id": "2", "type": subscribe, "payload": { "query": SUBSCRIBE_RUN, "variables": { "id": unknown } } }),
    )
    .await;
    let error = receive(&mut socket).await;
    let error_text = error.to_string();
    assert!(error_text.contains("no sync run"), "{error}");
    send(
        &mut socket,
        json!({ "id": "3", "type": subscribe, "payload": { "query": SUBSCRIBE_RUN, "variables": { "id": run_id } } }),
    )
    .await;
    let still = loop {
        // Skip the end of subscription 2 (the legacy protocol sends `complete` after its error).
        let message = receive(&mut socket).await;
        if message["id"] == "3" {
            break message;
        }
    };
    assert_eq!(still["payload"]["data"]["syncRun"]["status"], "COMPLETED", "{still}");
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_run_streams_over_graphql_transport_ws_on_sqlite() {
    sync_run_subscription_streams_states_in_order(Backend::Sqlite, "graphql-transport-ws", "subscribe", "next").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_run_streams_over_graphql_transport_ws_on_postgres_and_redis() {
    sync_run_subscription_streams_states_in_order(Backend::PostgresRedis, "graphql-transport-ws", "subscribe", "next")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_run_streams_over_legacy_graphql_ws_on_sqlite() {
    sync_run_subscription_streams_states_in_order(Backend::Sqlite, "graphql-ws", "start", "data").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_run_streams_over_legacy_graphql_ws_on_postgres_and_redis() {
    sync_run_subscription_streams_states_in_order(Backend::PostgresRedis, "graphql-ws", "start", "data").await;
}

/// `channelEvents` streams a link run's batches in order; an unknown channel is an error on the socket, which
/// stays usable.
async fn channel_events_stream_link_results_in_order(app: &TestApp) {
    let sim = crate::helpers::start_sim(omnisync::channels::ChannelKind::Lazada, 120);
    let c = &sim.state.credentials;
    let channel = app
        .gql(
            "mutation($input: ChannelConnectInput!) { channelConnect(input: $input) { channel { id } } }",
            json!({ "input": { "kind": "LAZADA", "name": "L", "country": "VN", "baseUrl": sim.base_url,
                "credentials": { "appKey": c.app_key, "appSecret": c.app_secret, "accessToken": c.access_token, "refreshToken": c.refresh_token } } }),
        )
        .await["channelConnect"]["channel"]["id"]
        .clone();
    for i in 1..=120 {
        app.create_product(
            &format!("P{i}"),
            json!([{ "sku": format!("H{i}"), "barcode": format!("SKU-{i:04}-1"), "price": "1000" }]),
        )
        .await;
    }
    let mut socket = connect(app, "graphql-transport-ws").await;
    let unknown = omnisync::graphql::relay::global_id("Channel", 987_654);
    let query =
        "subscription($c: ID!) { channelEvents(channelId: $c, kinds: [LINK_RESULT]) { kind value ok message } }";
    send(
        &mut socket,
        json!({ "id": "x", "type": "subscribe", "payload": { "query": query, "variables": { "c": unknown } } }),
    )
    .await;
    let error = receive(&mut socket).await;
    assert_eq!(error["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND", "{error}");
    assert!(error.to_string().contains("no channel"), "{error}");

    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": { "c": channel } } }),
    )
    .await;
    // Let the subscription register before the run starts (the first message only comes with an event).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let run = app
        .gql(
            "mutation($c: ID!) { productLinksCreate(input: { channelId: $c, filter: {} }) { syncRun { id } } }",
            json!({ "c": channel }),
        )
        .await;
    app.wait_for_run(run["productLinksCreate"]["syncRun"]["id"].as_str().expect("run")).await;
    let mut linked = Vec::new();
    while linked.iter().sum::<i64>() < 120 {
        let message = receive(&mut socket).await;
        if message["id"] == "x" {
            continue; // the end of the refused subscription
        }
        assert_eq!(message["id"], "1", "{message}");
        assert_eq!(message["payload"]["data"]["channelEvents"]["kind"], "LINK_RESULT");
        linked.push(message["payload"]["data"]["channelEvents"]["value"].as_i64().unwrap_or(0));
    }
    assert_eq!(linked, [50, 50, 20], "one event per batch of 50 products, in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_events_stream_in_order_on_sqlite() {
    if let Some(app) = crate::helpers::spawn_app(Backend::Sqlite).await {
        channel_events_stream_link_results_in_order(&app).await;
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_events_stream_in_order_through_redis() {
    if let Some(app) = crate::helpers::spawn_app(Backend::PostgresRedis).await {
        channel_events_stream_link_results_in_order(&app).await;
        app.cleanup().await;
    }
}

/// `orderUpdated` streams imported and changed orders of a channel as their webhooks are applied, in order.
async fn order_updates_stream_as_webhooks_are_applied(app: &TestApp) {
    let shop = crate::orders::connect(app, omnisync::channels::ChannelKind::Lazada, json!({})).await;
    crate::orders::linked_variant(app, &shop, "SKU-0001-1", 10).await;
    let mut socket = connect(app, "graphql-transport-ws").await;
    let query = "subscription($c: ID!) { orderUpdated(filter: { channelId: $c }) { externalId status } }";
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": { "c": shop.channel } } }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let order = shop.sim.state.create_order(&[("SKU-0001-1".into(), 2)], None).await.expect("placed");
    let first = receive(&mut socket).await;
    assert_eq!(
        first["payload"]["data"]["orderUpdated"],
        json!({ "externalId": order.id.to_string(), "status": "PENDING" }),
        "{first}"
    );
    shop.sim.state.set_order_status(order.id, "ready_to_ship").await.expect("moved");
    loop {
        let next = receive(&mut socket).await;
        let update = &next["payload"]["data"]["orderUpdated"];
        assert_eq!(update["externalId"], order.id.to_string());
        if update["status"] == "READY_TO_SHIP" {
            break;
        }
        assert_eq!(update["status"], "PENDING", "never backwards: {next}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_updates_stream_on_sqlite() {
    if let Some(app) = crate::helpers::spawn_app(Backend::Sqlite).await {
        order_updates_stream_as_webhooks_are_applied(&app).await;
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_updates_stream_through_redis() {
    if let Some(app) = crate::helpers::spawn_app(Backend::PostgresRedis).await {
        order_updates_stream_as_webhooks_are_applied(&app).await;
        app.cleanup().await;
    }
}
