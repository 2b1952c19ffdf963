use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_backends;

const ADJUST: &str = "mutation($input: InventoryAdjustInput!) { inventoryAdjustQuantities(input: $input) {
    changes { level { onHand committed pendingExport available } ledgerEntry { onHandDelta onHandAfter reason note } }
    userErrors { field code message } } }";
const SET: &str = "mutation($input: InventorySetInput!) { inventorySetQuantities(input: $input) {
    changes { level { onHand } ledgerEntry { onHandDelta onHandAfter reason } }
    userErrors { field code message } } }";

async fn adjust(app: &TestApp, variant: &Value, warehouse: &str, delta: i64) -> Value {
    app.gql(ADJUST, json!({ "input": { "reason": "RECEIVED", "changes": [{ "variantId": variant, "warehouseId": warehouse, "delta": delta }] } }))
        .await["inventoryAdjustQuantities"]
        .clone()
}

async fn ledger_of(app: &TestApp, variant: &Value) -> Value {
    app.gql(
        "query($v: ID!) { inventoryLedger(first: 100, filter: { variantId: $v }) { totalCount edges { node { onHandDelta onHandAfter reason } } } }",
        json!({ "v": variant }),
    )
    .await["inventoryLedger"]
    .clone()
}

async fn on_hand(app: &TestApp, variant: &Value) -> i64 {
    let data = app
        .gql("query($v: ID!) { productVariant(id: $v) { inventoryLevels { onHand } } }", json!({ "v": variant }))
        .await;
    data["productVariant"]["inventoryLevels"][0]["onHand"].as_i64().expect("on hand")
}

async fn adjustments_write_the_level_and_one_ledger_row_each(app: &TestApp) {
    let wh = app.default_warehouse_id().await;
    let p = app.create_product("Bình nước", json!([{ "sku": "BN-1", "price": "80000" }])).await;
    let v = &p["variants"][0]["id"];

    let first = adjust(app, v, &wh, 12).await;
    assert_eq!(first["userErrors"], json!([]));
    assert_eq!(
        first["changes"][0]["level"],
        json!({ "onHand": 12, "committed": 0, "pendingExport": 0, "available": 12 })
    );
    assert_eq!(
        first["changes"][0]["ledgerEntry"],
        json!({ "onHandDelta": 12, "onHandAfter": 12, "reason": "RECEIVED", "note": null })
    );
    adjust(app, v, &wh, -5).await;

    let ledger = ledger_of(app, v).await;
    assert_eq!(ledger["totalCount"], 2);
    let sum: i64 =
        ledger["edges"].as_array().expect("edges").iter().map(|e| e["node"]["onHandDelta"].as_i64().unwrap_or(0)).sum();
    assert_eq!(sum, on_hand(app, v).await, "the ledger sums to the level");
    assert_eq!(sum, 7);
}
on_both_backends!(adjust_writes_ledger, adjustments_write_the_level_and_one_ledger_row_each);

async fn going_below_zero_is_refused_unless_the_variant_allows_overselling_and_nothing_is_written(app: &TestApp) {
    let wh = app.default_warehouse_id().await;
    let p = app
        .create_product(
            "Ly sứ",
            json!([{ "sku": "LY-1", "price": "30000" }, { "sku": "LY-2", "price": "30000", "allowOversell": true }]),
        )
        .await;
    let (strict, oversell) = (&p["variants"][0]["id"], &p["variants"][1]["id"]);
    adjust(app, strict, &wh, 2).await;

    // Two changes in one request: the valid one must not be applied when the other is refused.
    let refused = app
        .gql(
            ADJUST,
            json!({ "input": { "reason": "DAMAGED", "changes": [
                { "variantId": oversell, "warehouseId": wh, "delta": 4 },
                { "variantId": strict, "warehouseId": wh, "delta": -3 } ] } }),
        )
        .await["inventoryAdjustQuantities"]
        .clone();
    assert_eq!(refused["changes"], json!(null));
    assert_eq!(refused["userErrors"][0]["field"], json!(["input", "changes", "1", "delta"]));
    assert_eq!(refused["userErrors"][0]["code"], "NEGATIVE_STOCK");
    assert!(refused["userErrors"][0]["message"].as_str().unwrap_or_default().contains("Ly sứ / Default Title"));
    assert_eq!(on_hand(app, strict).await, 2);
    assert_eq!(on_hand(app, oversell).await, 0, "the whole request was rolled back");
    assert_eq!(ledger_of(app, oversell).await["totalCount"], 0);

    let allowed = adjust(app, oversell, &wh, -3).await;
    assert_eq!(allowed["changes"][0]["level"]["onHand"], -3, "overselling variants may go below zero");
}
on_both_backends!(
    negative_stock,
    going_below_zero_is_refused_unless_the_variant_allows_overselling_and_nothing_is_written
);

async fn set_quantities_compare_and_set_refuses_a_stale_read(app: &TestApp) {
    let wh = app.default_warehouse_id().await;
    let p = app.create_product("Bút bi", json!([{ "sku": "BB-1", "price": "5000" }])).await;
    let v = &p["variants"][0]["id"];
    adjust(app, v, &wh, 10).await;

    let stale = app
        .gql(SET, json!({ "input": { "reason": "CORRECTION", "quantities": [{ "variantId": v, "warehouseId": wh, "onHand": 7, "compareOnHand": 9 }] } }))
        .await["inventorySetQuantities"]
        .clone();
    assert_eq!(stale["userErrors"][0]["code"], "STALE_QUANTITY");
    assert_eq!(stale["userErrors"][0]["field"], json!(["input", "quantities", "0", "compareOnHand"]));
    assert!(stale["userErrors"][0]["message"].as_str().unwrap_or_default().contains("10"), "says the current value");
    assert_eq!(on_hand(app, v).await, 10);

    let ok = app
        .gql(SET, json!({ "input": { "reason": "CORRECTION", "quantities": [{ "variantId": v, "warehouseId": wh, "onHand": 7, "compareOnHand": 10 }] } }))
        .await["inventorySetQuantities"]
        .clone();
    assert_eq!(ok["userErrors"], json!([]));
    assert_eq!(ok["changes"][0]["ledgerEntry"], json!({ "onHandDelta": -3, "onHandAfter": 7, "reason": "CORRECTION" }));

    // Setting a level that does not exist yet (another warehouse) creates it.
    let hn = app.gql("mutation { warehouseCreate(input: { name: \"Kho HN\" }) { warehouse { id } } }", json!({})).await
        ["warehouseCreate"]["warehouse"]["id"]
        .clone();
    let created = app
        .gql(SET, json!({ "input": { "reason": "CORRECTION", "quantities": [{ "variantId": v, "warehouseId": hn, "onHand": 4, "compareOnHand": 0 }] } }))
        .await["inventorySetQuantities"]
        .clone();
    assert_eq!(created["changes"][0]["level"]["onHand"], 4);
    let levels = app
        .gql("query($v: ID!) { inventoryLevels(filter: { variantId: $v }) { totalCount } }", json!({ "v": v }))
        .await;
    assert_eq!(levels["inventoryLevels"]["totalCount"], 2);
}
on_both_backends!(set_quantities, set_quantities_compare_and_set_refuses_a_stale_read);

async fn bad_stock_requests_are_refused_with_their_field(app: &TestApp) {
    let wh = app.default_warehouse_id().await;
    let p = app.create_product("Kéo", json!([{ "price": "1000" }])).await;
    let v = &p["variants"][0]["id"];
    let cases = [
        (json!([]), json!(["input", "changes"]), "BLANK"),
        (
            json!([{ "variantId": v, "warehouseId": wh, "delta": 0 }]),
            json!(["input", "changes", "0", "delta"]),
            "INVALID",
        ),
        (
            json!([{ "variantId": v, "warehouseId": wh, "delta": 1 }, { "variantId": v, "warehouseId": wh, "delta": 2 }]),
            json!(["input", "changes", "1"]),
            "DUPLICATE_ENTRY",
        ),
        (
            json!([{ "variantId": wh, "warehouseId": wh, "delta": 1 }]),
            json!(["input", "changes", "0", "variantId"]),
            "INVALID_ID",
        ),
        (
            json!([{ "variantId": "UHJvZHVjdFZhcmlhbnQ6OTk5OTk", "warehouseId": wh, "delta": 1 }]),
            json!(["input", "changes", "0", "variantId"]),
            "NOT_FOUND",
        ),
    ];
    for (changes, field, code) in cases {
        let result = app.gql(ADJUST, json!({ "input": { "reason": "ADJUSTMENT", "changes": changes } })).await;
        let errors = &result["inventoryAdjustQuantities"]["userErrors"];
        assert_eq!(errors[0]["field"], field, "{errors}");
        assert_eq!(errors[0]["code"], code, "{errors}");
    }
    assert_eq!(ledger_of(app, v).await["totalCount"], 0);
}
on_both_backends!(bad_stock_requests, bad_stock_requests_are_refused_with_their_field);

async fn twenty_concurrent_adjustments_of_one_variant_lose_no_update(app: &TestApp) {
    let wh = app.default_warehouse_id().await;
    let p = app.create_product("Áo mưa", json!([{ "sku": "AM-1", "price": "40000" }])).await;
    let v = p["variants"][0]["id"].clone();
    let tasks: Vec<_> = (1..=20)
        .map(|delta| {
            let (client, address, v, wh, token) = (app.client.clone(), app.address.clone(), v.clone(), wh.clone(), app.token.clone());
            tokio::spawn(async move {
                let body: Value = client
                    .post(format!("{address}/graphql"))
                    .bearer_auth(token)
                    .json(&json!({ "query": ADJUST, "variables": { "input": { "reason": "RECEIVED", "changes": [{ "variantId": v, "warehouseId": wh, "delta": delta }] } } }))
                    .send()
                    .await
                    .expect("sent")
                    .json()
                    .await
                    .expect("json");
                body
            })
        })
        .collect();
    for task in tasks {
        let body = task.await.expect("task");
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(body["data"]["inventoryAdjustQuantities"]["userErrors"], json!([]), "{body}");
    }
    assert_eq!(on_hand(app, &v).await, (1..=20).sum::<i64>(), "on hand is exactly the sum of the deltas");
    let ledger = ledger_of(app, &v).await;
    assert_eq!(ledger["totalCount"], 20, "one ledger row per adjustment");
    let mut afters: Vec<i64> = ledger["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["onHandAfter"].as_i64().unwrap_or(0))
        .collect();
    afters.sort_unstable();
    afters.dedup();
    assert_eq!(afters.len(), 20, "each adjustment saw the previous one: no two rows share an on-hand-after");
}
on_both_backends!(concurrent_adjustments, twenty_concurrent_adjustments_of_one_variant_lose_no_update);
