//! Who did it (issue 15): ledger entries and order history lines record their actor — the API token's name for
//! writes through the API, the channel's name for what an imported order moved — and both lists filter by it.

use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};

use entity::enums::OrderEventKind;
use omnisync::channels::ChannelKind;
use omnisync::graphql::relay::decode_id;

use crate::helpers::{TestApp, slug};
use crate::on_both_backends;
use crate::orders::{connect, linked_variant, settle, the_order};

const ADJUST: &str = "mutation($v: ID!, $w: ID!, $d: Int!) { inventoryAdjustQuantities(input: { reason: RECEIVED, changes: [{ variantId: $v, warehouseId: $w, delta: $d }] }) { changes { ledgerEntry { reason actor { kind name } } } userErrors { code message } } }";

const LEDGER: &str = "query($f: InventoryLedgerFilterInput) { inventoryLedger(first: 100, filter: $f) { totalCount nodes { reason actor { kind name } } } }";

const EVENTS: &str =
    "query($o: ID!, $f: OrderEventFilterInput) { order(id: $o) { events(filter: $f) { kind actor { kind name } } } }";

/// (reason, actor kind, actor name) of the ledger entries the filter lists, oldest first.
async fn ledger(app: &TestApp, filter: Value) -> Vec<(String, String, String)> {
    let data = app.gql(LEDGER, json!({ "f": filter })).await;
    let nodes = data["inventoryLedger"]["nodes"].as_array().expect("nodes").clone();
    assert_eq!(data["inventoryLedger"]["totalCount"], nodes.len(), "one page holds them: {data}");
    nodes.iter().map(|n| (text(&n["reason"]), text(&n["actor"]["kind"]), text(&n["actor"]["name"]))).collect()
}

/// (kind, actor kind, actor name) of the order's history lines the filter lists, oldest first.
async fn events(app: &TestApp, order: &Value, filter: Value) -> Vec<(String, String, String)> {
    let data = app.gql(EVENTS, json!({ "o": order, "f": filter })).await;
    data["order"]["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| (text(&e["kind"]), text(&e["actor"]["kind"]), text(&e["actor"]["name"])))
        .collect()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_else(|| panic!("a string, not {value}")).to_owned()
}

fn row(first: &str, kind: &str, name: &str) -> (String, String, String) {
    (first.to_owned(), kind.to_owned(), name.to_owned())
}

async fn ledger_entries_and_order_history_name_who_did_them_and_filter_by_it(app: &TestApp) {
    let clerk = app.create_token("stock clerk", "WRITE").await;
    let shop = connect(app, ChannelKind::Webstore, json!({})).await;
    let channel_name = format!("{} shop", slug(ChannelKind::Webstore));
    let variant = linked_variant(app, &shop, "SKU-0001-1", 0).await;
    let warehouse = app.default_warehouse_id().await;

    // A stock change through the API names the token that made it.
    let adjusted = app.graphql_as(&clerk, ADJUST, json!({ "v": variant, "w": warehouse, "d": 10 })).await;
    assert_eq!(
        adjusted["data"]["inventoryAdjustQuantities"]["changes"][0]["ledgerEntry"],
        json!({ "reason": "RECEIVED", "actor": { "kind": "API_TOKEN", "name": "stock clerk" } }),
        "{adjusted}"
    );

    // An order imported from the channel: its reservation and its history name the channel.
    shop.sim.state.create_order(&[("SKU-0001-1".to_owned(), 2)], None).await.expect("an order on the store");
    settle(app, &shop).await;
    let order = the_order(app, &shop).await["id"].clone();
    let by_channel = vec![row("IMPORTED", "CHANNEL", &channel_name), row("STOCK_RESERVED", "CHANNEL", &channel_name)];
    assert_eq!(events(app, &order, json!(null)).await, by_channel);

    // Cancelled by the clerk: the action, the status change and the released stock name the token.
    let cancelled = app
        .graphql_as(
            &clerk,
            "mutation($o: ID!) { orderCancel(orderId: $o, reason: \"buyer asked\") { order { status } userErrors { code message } } }",
            json!({ "o": order }),
        )
        .await;
    assert_eq!(cancelled["data"]["orderCancel"], json!({ "order": { "status": "CANCELLED" }, "userErrors": [] }));
    settle(app, &shop).await;
    let by_clerk = vec![
        row("CHANNEL_ACTION", "API_TOKEN", "stock clerk"),
        row("STATUS_CHANGED", "API_TOKEN", "stock clerk"),
        row("STOCK_RELEASED", "API_TOKEN", "stock clerk"),
    ];
    assert_eq!(events(app, &order, json!(null)).await, [by_channel.clone(), by_clerk.clone()].concat());

    // The history filters by kind, by name, and by both.
    assert_eq!(events(app, &order, json!({ "actorKind": "API_TOKEN" })).await, by_clerk);
    assert_eq!(events(app, &order, json!({ "actorName": channel_name })).await, by_channel);
    assert_eq!(events(app, &order, json!({ "actorKind": "CHANNEL", "actorName": "stock clerk" })).await, vec![]);

    // So does the ledger: the variant's entries by the token, by the channel, and by the test's own token.
    let entries = |filter: Value| {
        let mut filter = filter;
        filter["variantId"] = variant.clone();
        ledger(app, filter)
    };
    assert_eq!(
        entries(json!({ "actorName": "stock clerk" })).await,
        vec![row("RECEIVED", "API_TOKEN", "stock clerk"), row("ORDER_RELEASED", "API_TOKEN", "stock clerk")]
    );
    assert_eq!(entries(json!({ "actorKind": "CHANNEL" })).await, vec![row("ORDER_RESERVED", "CHANNEL", &channel_name)]);
    assert_eq!(entries(json!({ "actorKind": "API_TOKEN", "actorName": channel_name })).await, vec![]);
    assert_eq!(entries(json!({})).await.len(), 3, "no other entry moved the variant");
    assert_eq!(
        ledger(app, json!({ "actorKind": "CHANNEL", "actorName": channel_name })).await,
        vec![row("ORDER_RESERVED", "CHANNEL", &channel_name)],
        "across every level too"
    );

    // A line written before actors were recorded (both columns NULL) has no actor and no actor filter keeps it.
    let order_id = decode_id("Order", &async_graphql::ID(text(&order))).expect("an order id");
    entity::order_event::ActiveModel {
        order_id: Set(order_id),
        kind: Set(OrderEventKind::Note),
        message: Set("written before actors were recorded".into()),
        from_status: Set(None),
        to_status: Set(None),
        data: Set(None),
        actor_kind: Set(None),
        actor_name: Set(None),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.ctx.db)
    .await
    .expect("an old line");
    let all = app.gql(EVENTS, json!({ "o": order, "f": null })).await;
    assert_eq!(all["order"]["events"][5], json!({ "kind": "NOTE", "actor": null }), "{all}");
    assert_eq!(events(app, &order, json!({ "actorKind": "SYSTEM" })).await, vec![]);
    assert_eq!(events(app, &order, json!({ "actorKind": "API_TOKEN" })).await, by_clerk);

    // A blank name is refused rather than matching nothing silently.
    let blank = app.graphql(LEDGER, json!({ "f": { "actorName": "  " } })).await;
    assert_eq!(blank["errors"][0]["extensions"]["code"], "BLANK", "{blank}");
    let blank = app.graphql(EVENTS, json!({ "o": order, "f": { "actorName": "" } })).await;
    assert_eq!(blank["errors"][0]["extensions"]["code"], "BLANK", "{blank}");
}
on_both_backends!(actors_recorded_and_filtered, ledger_entries_and_order_history_name_who_did_them_and_filter_by_it);
