//! A channel's stock from one or more warehouses (Sapo: "một hoặc nhiều chi nhánh"): the setting, its refusals, the
//! quantity rule on their sum, a movement in any of them pushed, the explanation per warehouse, and deleting a
//! warehouse a channel reads. Through the API against a Lazada simulator.

use serde_json::{Value, json};

use omnisync::channels::ChannelKind;
use omnisync::graphql::relay::global_id;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::orders::{connect, linked_variant};

const UPDATE: &str = "mutation($id: ID!, $s: ChannelSettingsInput!) { channelUpdate(id: $id, input: { settings: $s }) {
    channel { settings { stockWarehouses { id name } stockWarehouseChosen } } userErrors { field code message } } }";

async fn warehouse(app: &TestApp, name: &str) -> Value {
    let created = app
        .gql(
            "mutation($n: String!) { warehouseCreate(input: { name: $n }) { warehouse { id } userErrors { code } } }",
            json!({ "n": name }),
        )
        .await;
    created["warehouseCreate"]["warehouse"]["id"].clone()
}

async fn adjust(app: &TestApp, variant: &Value, warehouse: &Value, delta: i64) {
    let adjusted = app
        .gql(
            "mutation($v: ID!, $w: ID!, $d: Int!) { inventoryAdjustQuantities(input: { reason: RECEIVED, changes: [{ variantId: $v, warehouseId: $w, delta: $d }] }) { userErrors { code } } }",
            json!({ "v": variant, "w": warehouse, "d": delta }),
        )
        .await;
    assert_eq!(adjusted["inventoryAdjustQuantities"]["userErrors"], json!([]));
}

async fn push(app: &TestApp, channel: &Value) {
    let started = app
        .gql("mutation($c: ID!) { stockPushStart(channelId: $c) { syncRun { id } } }", json!({ "c": channel }))
        .await;
    let run = app.wait_for_run(started["stockPushStart"]["syncRun"]["id"].as_str().expect("run")).await;
    assert_eq!(run["status"], "COMPLETED", "{run}");
}

fn names(settings: &Value) -> Vec<String> {
    settings["stockWarehouses"]
        .as_array()
        .expect("stockWarehouses")
        .iter()
        .map(|w| w["name"].as_str().unwrap_or("").to_owned())
        .collect()
}

async fn a_channel_reads_the_sum_of_its_stock_warehouses(app: &TestApp) {
    let (hn, hcm, empty) =
        (warehouse(app, "Kho HN").await, warehouse(app, "Kho HCM").await, warehouse(app, "Kho trống").await);
    let shop = connect(app, ChannelKind::Lazada, json!({ "stockWarehouseIds": [hn, hcm] })).await;
    let channel = shop.channel.clone();
    let sku = "SKU-0006-1";
    let variant = linked_variant(app, &shop, sku, 100).await;
    let read = app
        .gql(
            "query($c: ID!) { channel(id: $c) { settings { stockWarehouses { name } stockWarehouseChosen } } }",
            json!({ "c": channel }),
        )
        .await;
    assert_eq!(names(&read["channel"]["settings"]), ["Kho HN", "Kho HCM"]);
    assert_eq!(read["channel"]["settings"]["stockWarehouseChosen"], true);

    // The rule works on the sum: available in HN + HCM; the default warehouse's 100 units are not read.
    adjust(app, &variant, &hn, 5).await;
    adjust(app, &variant, &hcm, 7).await;
    push(app, &channel).await;
    let on_sim = |sku: &str| shop.sim.state.store().sku_by_seller_sku(sku).map(|(_, s)| s.quantity).expect("sku");
    assert_eq!(on_sim(sku), 12);
    // A movement in either one is pushed.
    adjust(app, &variant, &hcm, -2).await;
    push(app, &channel).await;
    assert_eq!(on_sim(sku), 10);

    // The explanation lists each warehouse's figures and the sum the rule read.
    let explained = app
        .gql(
            "query($v: ID!, $c: ID!) { stockExplanation(variantId: $v, channelId: $c) { quantity rule onHand available summary
                warehouses { warehouse { name } onHand committed pendingExport available } } }",
            json!({ "v": variant, "c": channel }),
        )
        .await["stockExplanation"]
        .clone();
    assert_eq!(
        (explained["quantity"].clone(), explained["rule"].clone(), explained["onHand"].clone()),
        (json!(10), json!("CHOSEN_WAREHOUSE_AVAILABLE"), json!(10))
    );
    assert_eq!(
        explained["warehouses"],
        json!([
            { "warehouse": { "name": "Kho HN" }, "onHand": 5, "committed": 0, "pendingExport": 0, "available": 5 },
            { "warehouse": { "name": "Kho HCM" }, "onHand": 5, "committed": 0, "pendingExport": 0, "available": 5 },
        ])
    );
    assert!(explained["summary"].as_str().unwrap_or("").contains("Kho HN + Kho HCM"), "{explained}");

    // Bad input: the same warehouse twice, an unknown one, an id of another type; nothing changes.
    let refused = app
        .gql(UPDATE, json!({ "id": channel, "s": { "stockWarehouseIds": [hn, hn, global_id("Warehouse", 999_999)] } }))
        .await["channelUpdate"]
        .clone();
    let errors: Vec<(Value, Value)> = refused["userErrors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| (e["field"].clone(), e["code"].clone()))
        .collect();
    assert_eq!(
        errors,
        [
            (json!(["input", "settings", "stockWarehouseIds", "1"]), json!("DUPLICATE_ENTRY")),
            (json!(["input", "settings", "stockWarehouseIds", "2"]), json!("NOT_FOUND")),
        ],
        "{refused}"
    );
    let wrong = app
        .gql(UPDATE, json!({ "id": channel, "s": { "stockWarehouseIds": [global_id("Product", 1)] } }))
        .await["channelUpdate"]
        .clone();
    assert_eq!(
        (wrong["userErrors"][0]["field"].clone(), wrong["userErrors"][0]["code"].clone()),
        (json!(["input", "settings", "stockWarehouseIds", "0"]), json!("INVALID_ID"))
    );
    let both = app
        .gql(UPDATE, json!({ "id": channel, "s": { "stockWarehouseIds": [hn], "stockWarehouseId": hn } }))
        .await["channelUpdate"]
        .clone();
    assert_eq!(both["userErrors"][0]["field"], json!(["input", "settings", "stockWarehouseId"]), "{both}");
    let read = app
        .gql("query($c: ID!) { channel(id: $c) { settings { stockWarehouses { name } } } }", json!({ "c": channel }))
        .await;
    assert_eq!(names(&read["channel"]["settings"]), ["Kho HN", "Kho HCM"], "nothing changed");

    // A warehouse a channel reads can't be deleted; taken out of the channel first, it can.
    let added = app.gql(UPDATE, json!({ "id": channel, "s": { "stockWarehouseIds": [hn, hcm, empty] } })).await["channelUpdate"].clone();
    assert_eq!(names(&added["channel"]["settings"]), ["Kho HN", "Kho HCM", "Kho trống"], "{added}");
    let delete = "mutation($id: ID!) { warehouseDelete(id: $id) { deletedId userErrors { field code message } } }";
    let refused = app.gql(delete, json!({ "id": empty })).await["warehouseDelete"].clone();
    assert_eq!(refused["userErrors"][0]["code"], "WAREHOUSE_IN_USE", "{refused}");
    assert!(refused["userErrors"][0]["message"].as_str().unwrap_or("").contains("lazada shop"), "{refused}");
    app.gql(UPDATE, json!({ "id": channel, "s": { "stockWarehouseIds": [hn, hcm] } })).await;
    let deleted = app.gql(delete, json!({ "id": empty })).await["warehouseDelete"].clone();
    assert_eq!((deleted["deletedId"].clone(), deleted["userErrors"].clone()), (empty.clone(), json!([])));

    // One warehouse (the deprecated single form too), then none: the default warehouse's on hand again.
    let one = app.gql(UPDATE, json!({ "id": channel, "s": { "stockWarehouseId": hn } })).await["channelUpdate"].clone();
    assert_eq!(names(&one["channel"]["settings"]), ["Kho HN"]);
    push(app, &channel).await;
    assert_eq!(on_sim(sku), 5);
    let none =
        app.gql(UPDATE, json!({ "id": channel, "s": { "stockWarehouseIds": [] } })).await["channelUpdate"].clone();
    assert_eq!(
        (names(&none["channel"]["settings"]), none["channel"]["settings"]["stockWarehouseChosen"].clone()),
        (vec!["Kho tổng".to_owned()], json!(false))
    );
    push(app, &channel).await;
    assert_eq!(on_sim(sku), 100);
}
on_both_backends!(
    stock_from_several_warehouses,
    a_channel_reads_the_sum_of_its_stock_warehouses,
    options: crate::helpers::Options { run_workers: false },
    settings: |_| {}
);
