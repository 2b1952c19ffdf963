//! Live status end to end: `channelEvents` without a kind filter delivers every kind it declares — stock and
//! price pushes, sync errors raised and cleared, order changes — each exactly once per change, over a real
//! WebSocket (graphql-transport-ws), with Redis carrying the events on the second backend.

use std::time::Duration;

use futures::StreamExt;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use omnisync::channels::ChannelKind;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::orders::{Shop, connect, linked_variant, settle};
use crate::subscriptions::{Socket, send};

/// The next message other than keep-alives, within 20 s (pings alone do not extend the wait).
async fn receive(socket: &mut Socket) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .expect("an event within 20 s")
            .expect("socket open")
            .expect("valid frame");
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).expect("JSON message");
            if !["ka", "ping", "pong"].contains(&value["type"].as_str().unwrap_or_default()) {
                return value;
            }
        }
    }
}

const EVENTS: &str = "subscription($c: ID!) { channelEvents(channelId: $c) {
    kind sku value ok message order { externalId } syncError { code } } }";

/// A graphql-transport-ws socket subscribed to the channel's events (no kind filter), given time to subscribe.
async fn subscribe_channel_events(app: &TestApp, shop: &Shop) -> Socket {
    let mut socket = crate::subscriptions::connect(app, "graphql-transport-ws").await;
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": EVENTS, "variables": { "c": shop.channel } } }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    socket
}

/// Waits (bounded) until every link of the channel pushed `quantity` and nothing is due.
async fn pushed(app: &TestApp, shop: &Shop, quantity: i64) {
    for _ in 0..300 {
        let links = entity::product_link::Entity::find()
            .filter(entity::product_link::Column::ChannelId.eq(shop.channel_id))
            .all(&app.ctx.db)
            .await
            .expect("links");
        if !links.is_empty() && links.iter().all(|l| !l.push_pending && l.last_pushed_quantity == Some(quantity)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the channel's links did not push {quantity} in 15 s");
}

/// The next `n` channel events, as (kind, sku, value, ok, order id, sync error code).
async fn next_events(socket: &mut Socket, n: usize) -> Vec<Value> {
    let mut out = Vec::new();
    while out.len() < n {
        let message = receive(socket).await;
        assert_eq!(message["type"], "next", "{message}");
        let e = &message["payload"]["data"]["channelEvents"];
        out.push(json!([e["kind"], e["sku"], e["value"], e["ok"], e["order"]["externalId"], e["syncError"]["code"]]));
    }
    out
}

/// Nothing more arrives within `ms` (keep-alives aside).
async fn quiet(socket: &mut Socket, ms: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return,
            Ok(Some(Ok(Message::Text(text)))) => {
                let value: Value = serde_json::from_str(&text).expect("JSON");
                assert!(
                    ["ka", "ping", "pong"].contains(&value["type"].as_str().unwrap_or_default()),
                    "an extra event: {value}"
                );
            }
            Ok(Some(Ok(_))) => {}
            Ok(other) => panic!("the socket ended: {other:?}"),
        }
    }
}

fn sorted(mut events: Vec<Value>) -> Vec<Value> {
    events.sort_by_key(ToString::to_string);
    events
}

async fn every_declared_kind_arrives_once(app: &TestApp) {
    // A chosen warehouse: the channel gets on hand − committed, so an order's reservation is pushed too.
    let warehouse = app.default_warehouse_id().await;
    let shop = connect(app, ChannelKind::Tiktok, json!({ "stockWarehouseIds": [warehouse] })).await;
    let variant = linked_variant(app, &shop, "SKU-0001-1", 10).await;
    pushed(app, &shop, 10).await;

    let mut socket = subscribe_channel_events(app, &shop).await;
    let sku = json!("SKU-0001-1");

    // A stock push.
    app.adjust_stock(&variant, "CORRECTION", 5).await;
    assert_eq!(next_events(&mut socket, 1).await, [json!(["STOCK_PUSH", sku, 15, true, null, null])]);

    // A price push.
    let updated = app
        .gql(
            "mutation($v: ID!) { productVariantUpdate(id: $v, input: { price: \"2500\" }) { userErrors { message } } }",
            json!({ "v": variant }),
        )
        .await;
    assert_eq!(updated["productVariantUpdate"]["userErrors"], json!([]), "{updated}");
    assert_eq!(next_events(&mut socket, 1).await, [json!(["PRICE_PUSH", sku, 2500, true, null, null])]);

    // TikTok refuses a quantity above 99 999: the push fails and its sync error is raised…
    app.adjust_stock(&variant, "CORRECTION", 99_985).await;
    assert_eq!(
        next_events(&mut socket, 2).await,
        [
            json!(["STOCK_PUSH", sku, 100_000, false, null, null]),
            json!(["SYNC_ERROR_RAISED", null, null, false, null, "STOCK_PUSH_FAILED"])
        ]
    );
    // …and cleared by the next push the channel takes.
    app.adjust_stock(&variant, "CORRECTION", -99_980).await;
    assert_eq!(
        next_events(&mut socket, 2).await,
        [
            json!(["STOCK_PUSH", sku, 20, true, null, null]),
            json!(["SYNC_ERROR_CLEARED", null, null, true, null, "STOCK_PUSH_FAILED"])
        ]
    );

    // An order placed on the marketplace: one ORDER_CHANGED, then the push of the units it reserved.
    let order = shop.sim.state.create_order(&[("SKU-0001-1".into(), 2)], None).await.expect("placed");
    let external = json!(order.id.to_string());
    assert_eq!(
        sorted(next_events(&mut socket, 2).await),
        sorted(vec![
            json!(["ORDER_CHANGED", null, null, true, external, null]),
            json!(["STOCK_PUSH", sku, 18, true, null, null])
        ])
    );
    settle(app, &shop).await;

    // Reading the same order again (a resync) changes nothing: no event.
    let order_id = app
        .gql(
            "query($c: ID!) { orders(first: 1, filter: { channelId: $c }) { edges { node { id } } } }",
            json!({ "c": shop.channel }),
        )
        .await["orders"]["edges"][0]["node"]["id"]
        .clone();
    let resync = app
        .gql(
            "mutation($o: ID!) { ordersResync(input: { orderIds: [$o] }) { syncRuns { id } userErrors { message } } }",
            json!({ "o": order_id }),
        )
        .await;
    assert_eq!(resync["ordersResync"]["userErrors"], json!([]), "{resync}");
    let run = app.wait_for_run(resync["ordersResync"]["syncRuns"][0]["id"].as_str().expect("a run")).await;
    assert_eq!(run["status"], "COMPLETED", "{run}");
    // A status change on the marketplace is one change: one event.
    shop.sim.state.set_order_status(order.id, "AWAITING_COLLECTION").await.expect("moved");
    assert_eq!(next_events(&mut socket, 1).await, [json!(["ORDER_CHANGED", null, null, true, external, null])]);
    quiet(&mut socket, 1500).await;
}

on_both_backends!(channel_events_deliver_every_kind_once, every_declared_kind_arrives_once);

/// The next `n` sync error events (other kinds skipped), as (kind, code), in arrival order.
async fn next_sync_errors(socket: &mut Socket, n: usize) -> Vec<Value> {
    let mut out = Vec::new();
    while out.len() < n {
        let message = receive(socket).await;
        assert_eq!(message["type"], "next", "{message}");
        let e = &message["payload"]["data"]["channelEvents"];
        if e["kind"].as_str().is_some_and(|k| k.starts_with("SYNC_ERROR_")) {
            out.push(json!([e["kind"], e["syncError"]["code"]]));
        }
    }
    out
}

/// No sync error event arrives within `ms` (other kinds may).
async fn no_more_sync_errors(socket: &mut Socket, ms: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, socket.next()).await {
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).expect("JSON");
            let kind = value["payload"]["data"]["channelEvents"]["kind"].as_str().unwrap_or_default();
            assert!(!kind.starts_with("SYNC_ERROR_"), "an extra sync error event: {value}");
        }
    }
}

async fn product_links_create(app: &TestApp, shop: &Shop, product: &Value) {
    let started = app
        .gql(
            "mutation($c: ID!, $p: ID!) { productLinksCreate(input: { channelId: $c, productIds: [$p] }) { syncRun { id } userErrors { message } } }",
            json!({ "c": shop.channel, "p": product }),
        )
        .await;
    assert_eq!(started["productLinksCreate"]["userErrors"], json!([]), "{started}");
    let run =
        crate::orders::finish_run(app, started["productLinksCreate"]["syncRun"]["id"].as_str().expect("run")).await;
    assert_eq!(run["status"], "COMPLETED", "{run}");
}

/// Sync errors are announced whoever raises or clears them: linking, order imports, the push's warnings, a
/// deleted hub variant and a deleted link — each once.
async fn sync_errors_of_every_source_are_announced(app: &TestApp) {
    let shop = connect(app, ChannelKind::Tiktok, json!({})).await;
    linked_variant(app, &shop, "SKU-0001-1", 10).await;
    pushed(app, &shop, 10).await;
    let mut socket = subscribe_channel_events(app, &shop).await;
    let (raised, cleared) = ("SYNC_ERROR_RAISED", "SYNC_ERROR_CLEARED");

    // Linking: a SKU the channel does not carry is an error; once the SKU is one it carries, linking clears it.
    let product = app
        .create_product("Not on TikTok", json!([{ "sku": "ELSEWHERE-1", "barcode": "ELSEWHERE-1", "price": "1000" }]))
        .await;
    let variant = product["variants"][0]["id"].clone();
    product_links_create(app, &shop, &product["id"]).await;
    assert_eq!(next_sync_errors(&mut socket, 1).await, [json!([raised, "NOT_FOUND_ON_CHANNEL"])]);
    app.update_variant(&variant, json!({ "sku": "SKU-0004-1", "barcode": "SKU-0004-1" })).await;
    product_links_create(app, &shop, &product["id"]).await;
    assert_eq!(next_sync_errors(&mut socket, 1).await, [json!([cleared, "NOT_FOUND_ON_CHANNEL"])]);

    // The push's warning: a variant that does not track inventory, then tracks it again.
    app.update_variant(&variant, json!({ "trackInventory": false })).await;
    assert_eq!(next_sync_errors(&mut socket, 1).await, [json!([raised, "QUANTITY_NOT_TRACKED"])]);
    app.update_variant(&variant, json!({ "trackInventory": true })).await;
    assert_eq!(next_sync_errors(&mut socket, 1).await, [json!([cleared, "QUANTITY_NOT_TRACKED"])]);

    // An order import: a line of a listing no hub variant is linked to.
    shop.sim.state.create_order(&[("SKU-0003-1".into(), 1)], None).await.expect("placed");
    assert_eq!(next_sync_errors(&mut socket, 1).await, [json!([raised, "ORDER_PRODUCT_NOT_LINKED"])]);
    settle(app, &shop).await;

    // The hub variant is deleted: its link reports it; deleting the link settles it.
    app.gql("mutation($p: ID!) { productDelete(id: $p) { deletedId } }", json!({ "p": product["id"] })).await;
    assert_eq!(next_sync_errors(&mut socket, 1).await, [json!([raised, "VARIANT_DELETED"])]);
    let links = app
        .gql(
            "query($c: ID!) { productLinks(channelId: $c, view: LINK_ERROR, first: 10) { edges { node { id } } } }",
            json!({ "c": shop.channel }),
        )
        .await;
    let link = links["productLinks"]["edges"][0]["node"]["id"].clone();
    let deleted = app
        .gql("mutation($l: [ID!]!) { productLinksDelete(linkIds: $l) { userErrors { code } } }", json!({ "l": [link] }))
        .await;
    assert_eq!(deleted["productLinksDelete"]["userErrors"], json!([]), "{deleted}");
    assert_eq!(next_sync_errors(&mut socket, 1).await, [json!([cleared, "VARIANT_DELETED"])]);
    no_more_sync_errors(&mut socket, 1500).await;
}

on_both_backends!(sync_errors_are_announced_from_every_source, sync_errors_of_every_source_are_announced);
