//! Reads cost a number of SQL statements that does not grow with the page: each relation of a page's rows loads in
//! one query (DataLoaders), and `totalCount` is counted only when it is selected. Counted on the hub's own
//! connections (`AppContext::statements`), in a process with no workers, so nothing else runs meanwhile.

use serde_json::{Value, json};

use omnisync::channels::ChannelKind;

use crate::helpers::TestApp;
use crate::on_both_backends_driven;
use crate::orders::{connect, linked_variant, settle};

const PRODUCTS_PAGE: &str = "query($n: Int!) { products(first: $n) { edges { node { id title variants { id sku
    price { amount currencyCode } inventoryLevels { onHand available warehouse { name } } } } } } }";

const ORDERS_PAGE: &str = "query($n: Int!) { orders(first: $n) { edges { node { id number status total { amount }
    channel { name } customer { name phone } lines { sellerSku quantity listing { sellerSku }
    variant { sku product { title } } } exportSlips { id } syncErrors { code } } } } }";

/// The statements one request of `query` costs, and its data. The token check writes the token's last use at most
/// once a minute: of two identical requests, the cheaper is the read alone.
async fn statements_of(app: &TestApp, query: &str, variables: Value) -> (u64, Value) {
    let mut fewest = u64::MAX;
    let mut data = Value::Null;
    for _ in 0..2 {
        quiet(app).await;
        let before = app.ctx.statements.get();
        data = app.gql(query, variables.clone()).await;
        fewest = fewest.min(app.ctx.statements.get() - before);
    }
    (fewest, data)
}

/// Waits until no statement has run for 100 ms (at most 5 s): the stock changes that set up a test kick pushes in
/// the background (`kick_soon`), and under load their queries ran during a measured request.
async fn quiet(app: &TestApp) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut seen = app.ctx.statements.get();
    while std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let now = app.ctx.statements.get();
        if now == seen {
            return;
        }
        seen = now;
    }
}

fn edges(data: &Value, list: &str) -> usize {
    data[list]["edges"].as_array().map_or(0, Vec::len)
}

async fn a_catalog_page_costs_the_same_statements_at_5_and_at_50_products(app: &TestApp) {
    let warehouse = app.default_warehouse_id().await;
    for i in 0..50 {
        let variants: Vec<Value> =
            (0..3).map(|j| json!({ "sku": format!("RS-{i}-{j}"), "price": "10000", "unit": "cái" })).collect();
        let product = app.create_product(&format!("Áo {i}"), json!(variants)).await;
        let changes: Vec<Value> = product["variants"]
            .as_array()
            .expect("variants")
            .iter()
            .map(|v| json!({ "variantId": v["id"], "warehouseId": warehouse, "delta": 5 }))
            .collect();
        let adjusted = app
            .gql(
                "mutation($c: [InventoryChangeInput!]!) { inventoryAdjustQuantities(input: { reason: RECEIVED, changes: $c }) { userErrors { code message } } }",
                json!({ "c": changes }),
            )
            .await;
        assert_eq!(adjusted["inventoryAdjustQuantities"]["userErrors"], json!([]), "{adjusted}");
    }

    let (five, small) = statements_of(app, PRODUCTS_PAGE, json!({ "n": 5 })).await;
    let (fifty, large) = statements_of(app, PRODUCTS_PAGE, json!({ "n": 50 })).await;
    assert_eq!((edges(&small, "products"), edges(&large, "products")), (5, 50));
    let levels = large["products"]["edges"][49]["node"]["variants"][2]["inventoryLevels"].clone();
    assert_eq!(levels[0]["onHand"], 5, "the page is complete: {levels}");
    assert_eq!(five, fifty, "150 variants and 150 levels cost what 15 do");
    // The token check, the page, then one query per relation: variants, levels, warehouses.
    assert_eq!(fifty, 5, "a page of 50 products costs {fifty} statements");

    let counted = PRODUCTS_PAGE.replacen("edges {", "totalCount edges {", 1);
    let (with_total, data) = statements_of(app, &counted, json!({ "n": 50 })).await;
    assert_eq!(data["products"]["totalCount"], 50);
    assert_eq!(with_total, fifty + 1, "totalCount costs one COUNT, and only when selected");
}
on_both_backends_driven!(catalog_page_statements, a_catalog_page_costs_the_same_statements_at_5_and_at_50_products);

async fn an_orders_page_costs_the_same_statements_at_5_and_at_50_orders(app: &TestApp) {
    let shop = connect(app, ChannelKind::Lazada, json!({})).await;
    let skus: Vec<String> = (1..=4).map(|p| format!("SKU-000{p}-1")).collect();
    for sku in &skus {
        linked_variant(app, &shop, sku, 500).await;
    }
    for i in 0..50 {
        let lines = [(skus[i % 4].clone(), 1), (skus[(i + 1) % 4].clone(), 2)];
        shop.sim.state.create_order(&lines, None).await.expect("an order");
    }
    settle(app, &shop).await;

    let (five, small) = statements_of(app, ORDERS_PAGE, json!({ "n": 5 })).await;
    let (fifty, large) = statements_of(app, ORDERS_PAGE, json!({ "n": 50 })).await;
    assert_eq!((edges(&small, "orders"), edges(&large, "orders")), (5, 50));
    let order = &large["orders"]["edges"][49]["node"];
    assert_eq!(order["lines"].as_array().map(Vec::len), Some(2), "{order}");
    assert!(order["lines"][0]["variant"]["product"]["title"].is_string(), "lines reach their variants: {order}");
    assert!(order["channel"]["name"].is_string() && order["customer"]["phone"].is_string(), "{order}");
    assert_eq!(five, fifty, "50 orders with 100 lines cost what 5 do");
    // The token check, the page, then one query per relation: channels, customers, lines, export slips, open sync
    // errors, listings, variants, products.
    assert_eq!(fifty, 10, "a page of 50 orders costs {fifty} statements");
}
on_both_backends_driven!(orders_page_statements, an_orders_page_costs_the_same_statements_at_5_and_at_50_orders);
