//! Cancel reasons per marketplace (issue 16 D): the channel lists the reasons its marketplace takes, `orderCancel`
//! maps the chosen code to the marketplace's own value, and a reason the marketplace would refuse is a userError on
//! `reason` with nothing changed.

use serde_json::{Value, json};

use omnisync::channels::ChannelKind;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::orders::{Shop, connect, linked_variant, orders_of, settle};

async fn cancel_reasons(app: &TestApp, shop: &Shop) -> Value {
    app.gql(
        "query($c: ID!) { node(id: $c) { ... on Channel { cancelReasons { code label } } } }",
        json!({ "c": shop.channel }),
    )
    .await["node"]["cancelReasons"]
        .clone()
}

async fn cancel(app: &TestApp, order: &Value, reason: &str) -> Value {
    app.gql(
        "mutation($o: ID!, $r: String!) { orderCancel(orderId: $o, reason: $r) {
            order { status cancelReason } userErrors { field code message } } }",
        json!({ "o": order, "r": reason }),
    )
    .await["orderCancel"]
        .clone()
}

/// A placed order of the shop, imported; returns (hub order id, simulator order id).
async fn placed(app: &TestApp, shop: &Shop) -> (Value, u64) {
    let order = shop.sim.state.create_order(&[("SKU-0001-1".to_owned(), 1)], None).await.expect("order");
    settle(app, shop).await;
    let orders = orders_of(app, shop).await;
    let hub = orders.iter().find(|o| o["status"] == "PENDING").expect("the imported order");
    (hub["id"].clone(), order.id)
}

async fn each_marketplace_takes_its_own_cancel_reasons(app: &TestApp) {
    let shopee = connect(app, ChannelKind::Shopee, json!({})).await;
    linked_variant(app, &shopee, "SKU-0001-1", 10).await;
    let codes: Vec<Value> =
        cancel_reasons(app, &shopee).await.as_array().expect("reasons").iter().map(|r| r["code"].clone()).collect();
    assert_eq!(
        codes,
        [json!("OUT_OF_STOCK"), json!("CUSTOMER_REQUEST"), json!("UNDELIVERABLE_AREA"), json!("COD_NOT_SUPPORTED")]
    );

    // Free text Shopee would refuse: refused by the hub, on `reason`, naming the codes; nothing changes.
    let (order, sim_order) = placed(app, &shopee).await;
    let refused = cancel(app, &order, "Khách đổi ý").await;
    assert_eq!(refused["order"], Value::Null, "{refused}");
    assert_eq!(
        (&refused["userErrors"][0]["field"], &refused["userErrors"][0]["code"]),
        (&json!(["reason"]), &json!("INVALID"))
    );
    assert!(refused["userErrors"][0]["message"].as_str().unwrap_or_default().contains("CUSTOMER_REQUEST"), "{refused}");
    assert_eq!(shopee.sim.state.store().order(sim_order).expect("sim order").cancel_reason, None);
    assert_eq!(orders_of(app, &shopee).await[0]["status"], "PENDING");

    // A listed code goes through as Shopee's own value.
    let done = cancel(app, &order, "CUSTOMER_REQUEST").await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    assert_eq!(done["order"], json!({ "status": "CANCELLED", "cancelReason": "CUSTOMER_REQUEST" }));
    assert_eq!(
        shopee.sim.state.store().order(sim_order).expect("sim order").cancel_reason.as_deref(),
        Some("CUSTOMER_REQUEST")
    );

    // Lazada takes its reason ids: the code is mapped to the id, and Lazada records its own reason name.
    let lazada = connect(app, ChannelKind::Lazada, json!({})).await;
    linked_variant(app, &lazada, "SKU-0001-1", 10).await;
    assert_eq!(cancel_reasons(app, &lazada).await[1], json!({ "code": "OUT_OF_STOCK", "label": "Hết hàng" }));
    let (order, sim_order) = placed(app, &lazada).await;
    let done = cancel(app, &order, "out_of_stock").await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    assert_eq!(
        lazada.sim.state.store().order(sim_order).expect("sim order").cancel_reason.as_deref(),
        Some("Out of Stock")
    );

    // The web store takes any text: no list.
    let store = connect(app, ChannelKind::Webstore, json!({})).await;
    assert_eq!(cancel_reasons(app, &store).await, json!([]));
}
on_both_backends!(cancel_reasons_per_marketplace, each_marketplace_takes_its_own_cancel_reasons);
