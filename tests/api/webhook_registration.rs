//! Push addresses registered on connect: TikTok Shop and the web store take the hub's address through their APIs
//! (the simulators then push there), so an order placed on the marketplace arrives by push with no poll; Shopee
//! (and Lazada) take one address per app in their console, which the channel states exactly; Tiki pulls. The
//! channel records the first push received.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use entity::enums::SyncRunKind;
use omnisync::channels::ChannelKind;
use omnisync::graphql::relay::decode_id;

use crate::helpers::{TestApp, slug, start_sim};
use crate::on_both_backends;
use crate::orders::{Shop, linked_variant, settle, the_order};

const WEBHOOK: &str = "query($c: ID!) { channel(id: $c) { webhook {
    url registration instructions registeredAt registrationError firstPushReceivedAt } } }";

/// Connects a channel to a fresh simulator through the API, leaving the simulator's push addresses to the hub.
async fn connect_only(app: &TestApp, kind: ChannelKind) -> Shop {
    let sim = start_sim(kind, 10);
    let credentials = omnisync::sim::control::connect_credentials_json(&sim.state);
    let data = app
        .gql(
            "mutation($input: ChannelConnectInput!) { channelConnect(input: $input) { channel { id } userErrors { field code message } } }",
            json!({ "input": { "kind": kind.as_str(), "name": format!("{} shop", slug(kind)), "country": "VN",
                "baseUrl": sim.base_url, "credentials": credentials } }),
        )
        .await;
    assert_eq!(data["channelConnect"]["userErrors"], json!([]), "{data}");
    let channel = data["channelConnect"]["channel"]["id"].clone();
    let channel_id =
        decode_id("Channel", &async_graphql::ID(channel.as_str().expect("id").to_owned())).expect("channel id");
    Shop { sim, channel, channel_id }
}

async fn webhook(app: &TestApp, shop: &Shop) -> Value {
    app.gql(WEBHOOK, json!({ "c": shop.channel })).await["channel"]["webhook"].clone()
}

async fn polls(app: &TestApp, shop: &Shop) -> u64 {
    entity::sync_run::Entity::find()
        .filter(entity::sync_run::Column::ChannelId.eq(shop.channel_id))
        .filter(entity::sync_run::Column::Kind.eq(SyncRunKind::OrderPoll))
        .count(&app.ctx.db)
        .await
        .expect("runs")
}

/// An order placed on the marketplace reaches the hub by push alone, and the channel records the first push.
async fn order_arrives_by_push(app: &TestApp, shop: &Shop) {
    assert!(webhook(app, shop).await["firstPushReceivedAt"].is_null(), "no push yet");
    linked_variant(app, shop, "SKU-0001-1", 10).await;
    shop.sim.state.create_order(&[("SKU-0001-1".to_owned(), 2)], None).await.expect("placed");
    settle(app, shop).await;
    // The one order placed (Shopee names it by its order_sn, not the simulator's number).
    let order = the_order(app, shop).await;
    assert_eq!(order["lines"][0]["sellerSku"], "SKU-0001-1", "{order:#}");
    assert_eq!(polls(app, shop).await, 0, "imported by push, not by a poll");
    let seen = webhook(app, shop).await;
    assert!(seen["firstPushReceivedAt"].is_string(), "the first push is recorded: {seen}");
}

async fn push_addresses_are_registered_or_stated(app: &TestApp) {
    // TikTok Shop: the Event API holds the hub's address for the order status change.
    let tiktok = connect_only(app, ChannelKind::Tiktok).await;
    let url = format!("{}/webhooks/{}", app.address, tiktok.channel_id);
    let subscriptions = tiktok.sim.state.push_addresses().subscriptions();
    assert!(subscriptions.iter().any(|s| s.topic == "ORDER_STATUS_CHANGE" && s.address == url), "{subscriptions:?}");
    assert!(subscriptions.iter().all(|s| s.address == url), "{subscriptions:?}");
    assert_eq!(tiktok.sim.state.webhook_url(), None, "nothing set in the console");
    let state = webhook(app, &tiktok).await;
    assert_eq!((&state["url"], &state["registration"]), (&json!(url), &json!("AUTOMATIC")), "{state}");
    assert!(state["registeredAt"].is_string() && state["registrationError"].is_null(), "{state}");
    assert!(state["instructions"].is_null(), "{state}");
    order_arrives_by_push(app, &tiktok).await;

    // The web store: one subscription per topic the hub takes, orders and products.
    let store = connect_only(app, ChannelKind::Webstore).await;
    let url = format!("{}/webhooks/{}", app.address, store.channel_id);
    let mut topics: Vec<String> = store
        .sim
        .state
        .push_addresses()
        .subscriptions()
        .into_iter()
        .filter(|s| s.address == url)
        .map(|s| s.topic)
        .collect();
    topics.sort();
    assert_eq!(topics, ["orders/cancelled", "orders/create", "orders/updated", "products/create", "products/update"]);
    assert_eq!(webhook(app, &store).await["registration"], "AUTOMATIC");
    order_arrives_by_push(app, &store).await;

    // Shopee: one address per app, set in its console; the channel says so with the exact address.
    let shopee = connect_only(app, ChannelKind::Shopee).await;
    let url = format!("{}/webhooks/{}", app.address, shopee.channel_id);
    let state = webhook(app, &shopee).await;
    assert_eq!((&state["url"], &state["registration"]), (&json!(url), &json!("MANUAL_IN_CONSOLE")), "{state}");
    let instructions = state["instructions"].as_str().expect("instructions");
    assert!(instructions.contains(&url) && instructions.contains("Push Mechanism"), "{instructions}");
    assert!(state["registeredAt"].is_null(), "{state}");
    assert!(shopee.sim.state.push_addresses().subscriptions().is_empty());
    // The merchant pastes the address in the console: pushes arrive, and the channel shows the first one.
    shopee.sim.state.set_webhook_url(state["url"].as_str().map(str::to_owned));
    order_arrives_by_push(app, &shopee).await;

    // Tiki pushes nothing: the hub pulls its events.
    let tiki = connect_only(app, ChannelKind::Tiki).await;
    assert!(webhook(app, &tiki).await.is_null());
}

on_both_backends!(webhooks_registered_on_connect, push_addresses_are_registered_or_stated);

/// The simulators' registration routes are strict: an address that is not HTTPS (off the loopback host) or an
/// unknown topic is refused, and registering the same address again changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_routes_refuse_what_the_marketplaces_refuse() {
    let tokens = std::sync::Arc::new(crate::helpers::RecordingTokenStore::default());
    let tiktok = start_sim(ChannelKind::Tiktok, 1);
    let connector = crate::helpers::connector_for(&tiktok, tokens.clone());
    let refused = connector.register_webhook("http://hub.example.vn/webhooks/1").await;
    assert!(matches!(&refused, Err(omnisync::channels::ConnectorError::Api { .. })), "{refused:?}");
    assert!(tiktok.state.push_addresses().subscriptions().is_empty());
    connector.register_webhook("https://hub.example.vn/webhooks/1").await.expect("registered");
    connector.register_webhook("https://hub.example.vn/webhooks/1").await.expect("registered again");
    assert_eq!(tiktok.state.push_addresses().subscriptions().len(), 5, "one per event type, replaced");

    let store = start_sim(ChannelKind::Webstore, 1);
    let connector = crate::helpers::connector_for(&store, tokens);
    connector.register_webhook("https://hub.example.vn/webhooks/2").await.expect("registered");
    connector.register_webhook("https://hub.example.vn/webhooks/2").await.expect("registered again");
    assert_eq!(store.state.push_addresses().subscriptions().len(), 5, "each topic once");
    let client = reqwest::Client::new();
    let c = &store.state.credentials;
    let post = |body: Value| {
        client
            .post(format!("{}/admin/api/2024-01/webhooks.json", store.base_url))
            .basic_auth(c.api_key.clone().unwrap_or_default(), c.app_secret.clone())
            .json(&body)
            .send()
    };
    for (body, why) in [
        (json!({ "webhook": { "topic": "orders/create", "address": "http://hub.example.vn/x" } }), "not https"),
        (json!({ "webhook": { "topic": "orders/deleted", "address": "https://hub.example.vn/x" } }), "unknown topic"),
        (json!({ "webhook": { "topic": "orders/create", "address": "https://hub.example.vn/webhooks/2" } }), "taken"),
    ] {
        let answer = post(body).await.expect("answered");
        assert_eq!(answer.status().as_u16(), 422, "{why}");
        let error: Value = answer.json().await.expect("JSON");
        assert_eq!(error["error"]["code"], "invalid_webhook", "{why}: {error}");
    }
    let unauthorized = client
        .post(format!("{}/admin/api/2024-01/webhooks.json", store.base_url))
        .json(&json!({ "webhook": { "topic": "orders/create", "address": "https://hub.example.vn/y" } }))
        .send()
        .await
        .expect("answered");
    assert_eq!(unauthorized.status().as_u16(), 401);
}
