//! Channel settings proven end to end through the API, asserting what the simulator received: `syncQuantity` and
//! `syncPrice` off, each `pricePolicy`; a disconnected channel gets no call at all and keeps its orders; a new
//! order warehouse applies to new orders only; a return's refunded amount is stored and shown.

use std::time::Duration;

use serde_json::{Value, json};

use omnisync::channels::ChannelKind;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::orders::{Shop, connect, linked_variant, orders_of, settle};

const SKU: &str = "SKU-0001-1";

/// (quantity, price) the simulator holds for the SKU: what the hub pushed.
fn on_marketplace(shop: &Shop) -> (i64, i64) {
    let store = shop.sim.state.store();
    let sku = store.products.iter().flat_map(|p| p.skus.iter()).find(|s| s.seller_sku == SKU).expect("the SKU");
    (sku.quantity, sku.price)
}

/// Waits (bounded) until no stock push run of the channel is waiting or running.
async fn pushes_idle(app: &TestApp, shop: &Shop) {
    use entity::enums::{SyncRunKind, SyncRunStatus};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    for _ in 0..300 {
        let active = entity::sync_run::Entity::find()
            .filter(entity::sync_run::Column::ChannelId.eq(shop.channel_id))
            .filter(entity::sync_run::Column::Kind.eq(SyncRunKind::StockPush))
            .filter(entity::sync_run::Column::Status.is_in([SyncRunStatus::Created, SyncRunStatus::Running]))
            .count(&app.ctx.db)
            .await
            .expect("runs");
        if active == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the channel's stock pushes did not end in 15 s");
}

/// Waits (bounded) until the simulator holds what `done` wants; returns it.
async fn marketplace_shows(shop: &Shop, what: &str, done: impl Fn((i64, i64)) -> bool) -> (i64, i64) {
    for _ in 0..300 {
        let now = on_marketplace(shop);
        if done(now) {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the marketplace never showed {what}: it has {:?}", on_marketplace(shop));
}

async fn update_settings(app: &TestApp, shop: &Shop, settings: Value) {
    let data = app
        .gql(
            "mutation($id: ID!, $s: ChannelSettingsInput!) { channelUpdate(id: $id, input: { settings: $s }) { userErrors { field code message } } }",
            json!({ "id": shop.channel, "s": settings }),
        )
        .await;
    assert_eq!(data["channelUpdate"]["userErrors"], json!([]), "{data}");
}

async fn sync_switches_and_price_policies_decide_what_is_sent(app: &TestApp) {
    let shop = connect(app, ChannelKind::Tiktok, json!({})).await;
    let variant = linked_variant(app, &shop, SKU, 10).await;
    app.update_variant(&variant, json!({ "listPrice": "1500", "costPrice": "700" })).await;
    marketplace_shows(&shop, "the first push", |s| s == (10, 1000)).await;
    // A push run reads the channel's settings when it starts: let the one the variant update queued end first.
    pushes_idle(app, &shop).await;

    // syncQuantity off: a price change goes out, the stock change made with it does not.
    update_settings(app, &shop, json!({ "syncQuantity": false })).await;
    app.adjust_stock(&variant, "CORRECTION", 5).await;
    app.update_variant(&variant, json!({ "price": "1200" })).await;
    let seen = marketplace_shows(&shop, "price 1200", |(_, price)| price == 1200).await;
    assert_eq!(seen, (10, 1200), "the quantity was not pushed");

    // syncQuantity on, syncPrice off: the quantity catches up, a price change stays in the hub.
    update_settings(app, &shop, json!({ "syncQuantity": true, "syncPrice": false })).await;
    marketplace_shows(&shop, "quantity 15", |(q, _)| q == 15).await;
    app.update_variant(&variant, json!({ "price": "1300" })).await;
    app.adjust_stock(&variant, "CORRECTION", 1).await;
    let seen = marketplace_shows(&shop, "quantity 16", |(q, _)| q == 16).await;
    assert_eq!(seen, (16, 1200), "the price was not pushed");

    // Each price policy sends its price.
    update_settings(app, &shop, json!({ "syncPrice": true, "pricePolicy": "LIST" })).await;
    marketplace_shows(&shop, "the list price", |(_, p)| p == 1500).await;
    update_settings(app, &shop, json!({ "pricePolicy": "COST" })).await;
    marketplace_shows(&shop, "the cost price", |(_, p)| p == 700).await;
    update_settings(app, &shop, json!({ "pricePolicy": "RETAIL" })).await;
    let seen = marketplace_shows(&shop, "the retail price", |(_, p)| p == 1300).await;
    assert_eq!(seen, (16, 1300));
}

on_both_backends!(settings_sync_and_price_policy, sync_switches_and_price_policies_decide_what_is_sent);

async fn a_disconnected_channel_gets_no_call_and_keeps_its_orders(app: &TestApp) {
    // A chosen warehouse: the channel gets on hand − committed, so the order's reservation is pushed.
    let warehouse = app.default_warehouse_id().await;
    let shop = connect(app, ChannelKind::Tiktok, json!({ "stockWarehouseIds": [warehouse] })).await;
    let variant = linked_variant(app, &shop, SKU, 10).await;
    marketplace_shows(&shop, "the first push", |s| s == (10, 1000)).await;
    shop.sim.state.create_order(&[(SKU.to_owned(), 2)], None).await.expect("placed");
    settle(app, &shop).await;
    marketplace_shows(&shop, "the reservation pushed", |(q, _)| q == 8).await;
    assert_eq!(orders_of(app, &shop).await.len(), 1);

    let done = app
        .gql("mutation($id: ID!) { channelDisconnect(id: $id, confirm: true) { channel { status } userErrors { code } } }", json!({ "id": shop.channel }))
        .await;
    assert_eq!(done["channelDisconnect"]["channel"]["status"], "DISCONNECTED", "{done}");
    let calls_before = shop.sim.state.api_requests();

    // A stock change, a price change, a poll asked for, the scheduler's work, an order pushed by the marketplace:
    // none of it reaches the marketplace.
    app.adjust_stock(&variant, "CORRECTION", 5).await;
    app.update_variant(&variant, json!({ "price": "1800" })).await;
    let polled = app
        .gql(
            "mutation($c: ID!) { channelOrdersSync(channelId: $c) { syncRun { id } userErrors { code } } }",
            json!({ "c": shop.channel }),
        )
        .await;
    assert_eq!(polled["channelOrdersSync"]["syncRun"], Value::Null, "{polled}");
    assert!(!polled["channelOrdersSync"]["userErrors"].as_array().expect("errors").is_empty(), "{polled}");
    shop.sim.state.create_order(&[(SKU.to_owned(), 1)], None).await.expect("placed");
    omnisync::jobs::scheduler::tick(&app.ctx).await.expect("tick");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    omnisync::jobs::scheduler::tick(&app.ctx).await.expect("tick");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(shop.sim.state.api_requests(), calls_before, "no call reached the marketplace");
    assert_eq!(on_marketplace(&shop), (8, 1000), "nothing was pushed");

    // The orders stay, readable.
    let orders = orders_of(app, &shop).await;
    assert_eq!(orders.len(), 1, "{orders:#?}");
    assert_eq!(orders[0]["status"], "PENDING");
}

on_both_backends!(settings_disconnect_stops_every_call, a_disconnected_channel_gets_no_call_and_keeps_its_orders);

async fn a_new_order_warehouse_applies_to_new_orders_only(app: &TestApp) {
    let shop = connect(app, ChannelKind::Tiktok, json!({})).await;
    linked_variant(app, &shop, SKU, 10).await;
    let created = app
        .gql(
            "mutation { warehouseCreate(input: { name: \"Kho Hà Nội\" }) { warehouse { id } userErrors { message } } }",
            json!({}),
        )
        .await;
    let second = created["warehouseCreate"]["warehouse"]["id"].clone();
    let default = app.default_warehouse_id().await;

    let first = shop.sim.state.create_order(&[(SKU.to_owned(), 1)], None).await.expect("placed");
    settle(app, &shop).await;
    update_settings(app, &shop, json!({ "orderWarehouseId": second })).await;
    let later = shop.sim.state.create_order(&[(SKU.to_owned(), 1)], None).await.expect("placed");
    // The first order changes after the setting: it keeps its warehouse.
    shop.sim.state.set_order_status(first.id, "AWAITING_COLLECTION").await.expect("moved");
    settle(app, &shop).await;

    let query = "query($c: ID!) { orders(first: 10, filter: { channelId: $c }) { edges { node { externalId status warehouse { id } } } } }";
    let data = app.gql(query, json!({ "c": shop.channel })).await;
    let warehouse_of = |external: u64| {
        data["orders"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .find(|e| e["node"]["externalId"].as_str().and_then(|s| s.parse().ok()) == Some(external))
            .map(|e| e["node"].clone())
            .expect("the order")
    };
    let (old, new) = (warehouse_of(first.id), warehouse_of(later.id));
    assert_eq!((&old["warehouse"]["id"], &old["status"]), (&json!(default), &json!("READY_TO_SHIP")), "{old}");
    assert_eq!(new["warehouse"]["id"], second, "{new}");
}

on_both_backends!(settings_order_warehouse_for_new_orders, a_new_order_warehouse_applies_to_new_orders_only);

async fn a_returns_refund_is_stored_and_shown(app: &TestApp) {
    let shop = connect(app, ChannelKind::Webstore, json!({})).await;
    linked_variant(app, &shop, SKU, 10).await;
    let placed = shop.sim.state.create_order(&[(SKU.to_owned(), 3)], None).await.expect("placed");
    settle(app, &shop).await;
    shop.sim.state.set_order_status(placed.id, "delivered").await.expect("delivered");
    settle(app, &shop).await;
    let order = &orders_of(app, &shop).await[0];
    let total = order["total"]["amount"].as_str().expect("total").parse::<i64>().expect("VND total");
    let line = order["lines"][0]["id"].clone();
    let record = "mutation($o: ID!, $l: ID!, $r: Decimal) { orderReturnRecord(orderId: $o, lines: [{ orderLineId: $l, quantity: 1, restock: true }], refundedAmount: $r) {
        orderReturn { id refundedAmount { amount currencyCode } } userErrors { field code message } } }";

    // Refusals change nothing: a fraction of a dong, more than the order's total.
    for (amount, code) in [("1.5", "INVALID_MONEY"), (&*format!("{}", total + 1), "INVALID")] {
        let refused = app.gql(record, json!({ "o": order["id"], "l": line, "r": amount })).await;
        let errors = &refused["orderReturnRecord"]["userErrors"];
        assert_eq!((&errors[0]["field"], &errors[0]["code"]), (&json!(["refundedAmount"]), &json!(code)), "{refused}");
        assert!(refused["orderReturnRecord"]["orderReturn"].is_null());
    }
    let line_after = &orders_of(app, &shop).await[0]["lines"][0];
    assert_eq!(line_after["quantity"], order["lines"][0]["quantity"]);

    let recorded = app.gql(record, json!({ "o": order["id"], "l": line, "r": "1000" })).await;
    let payload = &recorded["orderReturnRecord"];
    assert_eq!(payload["userErrors"], json!([]), "{recorded}");
    assert_eq!(payload["orderReturn"]["refundedAmount"], json!({ "amount": "1000", "currencyCode": "VND" }));
    // Stored: read back through the node.
    let shown = app
        .gql(
            "query($r: ID!) { node(id: $r) { ... on OrderReturn { refundedAmount { amount currencyCode } } } }",
            json!({ "r": payload["orderReturn"]["id"] }),
        )
        .await;
    assert_eq!(shown["node"]["refundedAmount"], json!({ "amount": "1000", "currencyCode": "VND" }));
    // A second return may refund at most what is left of the total.
    let too_much = app.gql(record, json!({ "o": order["id"], "l": line, "r": format!("{}", total - 999) })).await;
    assert_eq!(too_much["orderReturnRecord"]["userErrors"][0]["code"], "INVALID", "{too_much}");
    let without = app.gql(record, json!({ "o": order["id"], "l": line, "r": null })).await;
    assert_eq!(without["orderReturnRecord"]["orderReturn"]["refundedAmount"]["amount"], "0", "{without}");
}

on_both_backends!(settings_return_refund_stored, a_returns_refund_is_stored_and_shown);
