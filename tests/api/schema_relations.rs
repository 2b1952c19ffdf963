//! Relations are objects and every object with an id is a `Node` (issue 15): a front end follows `order`,
//! `channel`, `link` and `reference` instead of decoding ids, and `node(id:)` fetches anything it was given an id
//! of. Codes, countries and currencies are enums; each mutation has its own payload type.

use serde_json::{Value, json};

use omnisync::channels::ChannelKind;

use crate::helpers::TestApp;
use crate::orders::{connect, linked_variant, settle};

/// `node(id)` answered as `{ __typename, id }`.
async fn node(app: &TestApp, id: &Value) -> Value {
    app.gql("query($id: ID!) { node(id: $id) { __typename id } }", json!({ "id": id })).await["node"].clone()
}

async fn relations_are_objects_and_every_id_fetches_through_node(app: &TestApp) {
    // A chosen stock warehouse: the hub pushes this channel's quantities.
    let warehouse = app.default_warehouse_id().await;
    let shop = connect(app, ChannelKind::Webstore, json!({ "stockWarehouseId": warehouse })).await;
    let variant = linked_variant(app, &shop, "SKU-0001-1", 5).await;
    shop.sim.state.create_order(&[("SKU-0001-1".to_owned(), 2)], None).await.expect("order");
    settle(app, &shop).await;
    // The reservation is pushed: 5 on hand − 2 committed.
    let mut shown = None;
    for _ in 0..200 {
        shown = shop.sim.state.store().sku_by_seller_sku("SKU-0001-1").map(|(_, s)| s.quantity);
        if shown == Some(3) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(shown, Some(3), "the channel shows the hub's number");

    let data = app
        .gql(
            "query($c: ID!) { orders(first: 1, filter: { channelId: $c }) { nodes { id customer { id } lines { id } events { id } } } }",
            json!({ "c": shop.channel }),
        )
        .await;
    let order = &data["orders"]["nodes"][0];
    let order_id = order["id"].clone();
    assert_eq!(node(app, &order["lines"][0]["id"]).await["__typename"], "OrderLine", "{order}");
    assert_eq!(node(app, &order["events"][0]["id"]).await["__typename"], "OrderEvent", "{order}");
    if !order["customer"].is_null() {
        assert_eq!(node(app, &order["customer"]["id"]).await["__typename"], "Customer");
    }

    // The reservation's ledger entry points at the order itself, and is a node.
    let ledger = app
        .gql(
            "query($v: ID!) { inventoryLedger(first: 10, filter: { variantId: $v }) { nodes { id reason
                reference { __typename ... on Order { id } } } } }",
            json!({ "v": variant }),
        )
        .await;
    let entries = ledger["inventoryLedger"]["nodes"].as_array().expect("entries").clone();
    let reserved = entries.iter().find(|e| e["reason"] == "ORDER_RESERVED").expect("a reservation entry");
    assert_eq!(reserved["reference"], json!({ "__typename": "Order", "id": order_id }), "{ledger}");
    let received = entries.iter().find(|e| e["reason"] == "RECEIVED").expect("the manual entry");
    assert_eq!(received["reference"], Value::Null, "a manual change belongs to nothing");
    assert_eq!(node(app, &reserved["id"]).await["__typename"], "InventoryLedgerEntry");

    // A push names its channel and link; a run names its channel; both are nodes.
    // The channel shows the quantity as soon as it answers; the hub records the push just after.
    let mut pushes = Value::Null;
    for _ in 0..100 {
        pushes = app
            .gql(
                "query($c: ID!) { stockPushes(channelId: $c, first: 5) { nodes { id channel { id } link { id } } } }",
                json!({ "c": shop.channel }),
            )
            .await;
        if pushes["stockPushes"]["nodes"].as_array().is_some_and(|nodes| !nodes.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let push = &pushes["stockPushes"]["nodes"][0];
    assert_eq!(push["channel"]["id"], shop.channel, "{pushes}");
    assert_eq!(node(app, &push["link"]["id"]).await["__typename"], "ProductLink", "{pushes}");
    assert_eq!(node(app, &push["id"]).await["__typename"], "StockPush");
    let runs = app.gql("{ syncRuns(first: 100) { nodes { id kind channel { id } } } }", json!({})).await;
    let link_run = runs["syncRuns"]["nodes"]
        .as_array()
        .expect("runs")
        .iter()
        .find(|r| r["kind"] == "LINK_PRODUCTS" || r["kind"] == "STOCK_PUSH")
        .cloned()
        .expect("a channel's run");
    assert_eq!(link_run["channel"]["id"], shop.channel, "{runs}");

    // `nodes` answers in the order asked, null for ids that name nothing.
    let missing = omnisync::graphql::relay::global_id("Order", 999_999);
    let many = app
        .gql(
            "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }",
            json!({ "ids": [push["id"], missing, order_id] }),
        )
        .await;
    assert_eq!(
        many["nodes"],
        json!([{ "__typename": "StockPush", "id": push["id"] }, null, { "__typename": "Order", "id": order_id }])
    );
}
crate::on_both_backends!(schema_relations, relations_are_objects_and_every_id_fetches_through_node);

/// A sync error of an order names the order; its code is an enum value.
async fn an_order_sync_error_names_its_order(app: &TestApp) {
    let shop = connect(app, ChannelKind::Webstore, json!({})).await;
    // Nothing links this SKU: the order is imported with an unlinked line and an ORDER_PRODUCT_NOT_LINKED error.
    shop.sim.state.create_order(&[("SKU-0002-1".to_owned(), 1)], None).await.expect("order");
    settle(app, &shop).await;
    let data = app
        .gql(
            "query($c: ID!) { syncErrors(first: 5, filter: { channelId: $c, kind: ORDER }) { nodes { id code order { id hasUnlinkedLines } } } }",
            json!({ "c": shop.channel }),
        )
        .await;
    let error = &data["syncErrors"]["nodes"][0];
    assert_eq!(error["code"], "ORDER_PRODUCT_NOT_LINKED", "{data}");
    assert_eq!(error["order"]["hasUnlinkedLines"], true, "{data}");
    assert_eq!(node(app, &error["id"]).await["__typename"], "SyncError");
    let by_code = app
        .gql(
            "{ syncErrors(first: 5, filter: { code: ORDER_PRODUCT_NOT_LINKED }) { totalCount } s: syncErrors(first: 5, filter: { code: STOCK_DRIFT }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!((by_code["syncErrors"]["totalCount"].as_i64(), by_code["s"]["totalCount"].as_i64()), (Some(1), Some(0)));
}
crate::on_both_backends!(schema_order_sync_error, an_order_sync_error_names_its_order);

/// ApiToken is a node, but only for ADMIN tokens, like `apiTokens`.
async fn api_tokens_are_nodes_for_admin_tokens_only(app: &TestApp) {
    let created = app
        .gql(
            "mutation { apiTokenCreate(input: { name: \"reader\", scope: READ }) { secret apiToken { id } } }",
            json!({}),
        )
        .await;
    let token_id = created["apiTokenCreate"]["apiToken"]["id"].clone();
    let secret = created["apiTokenCreate"]["secret"].as_str().expect("secret").to_owned();
    assert_eq!(node(app, &token_id).await, json!({ "__typename": "ApiToken", "id": token_id }));

    let as_reader = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&secret)
        .json(&json!({ "query": "query($id: ID!) { node(id: $id) { ... on ApiToken { name scope } } }", "variables": { "id": token_id } }))
        .send()
        .await
        .expect("sent")
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(as_reader["errors"][0]["extensions"]["code"], "FORBIDDEN", "{as_reader}");
    assert!(!as_reader.to_string().contains("reader\""), "no token name leaks: {as_reader}");
}
crate::on_both_backends!(schema_api_token_node, api_tokens_are_nodes_for_admin_tokens_only);

/// Introspection: the shape a front-end developer relies on.
async fn the_schema_has_one_payload_per_mutation_enum_codes_and_node_on_every_id(app: &TestApp) {
    let data = app
        .gql(
            "{ __schema { mutationType { fields { name type { ofType { name } } } }
                types { name kind interfaces { name } enumValues { name } fields { name type { kind name ofType { kind name } } }
                  inputFields { name type { kind name ofType { kind name } } } } } }",
            json!({}),
        )
        .await;
    let schema = &data["__schema"];
    let mut payloads = std::collections::HashSet::new();
    for m in schema["mutationType"]["fields"].as_array().expect("mutations") {
        let name = m["name"].as_str().expect("name");
        let payload = m["type"]["ofType"]["name"].as_str().expect("a non-null payload");
        let mut expected = name[..1].to_uppercase();
        expected.push_str(&name[1..]);
        expected.push_str("Payload");
        assert_eq!(payload, expected, "{name} returns its own payload type");
        assert!(payloads.insert(payload.to_owned()), "{payload} serves two mutations");
    }
    let types = schema["types"].as_array().expect("types");
    let named = |name: &str| types.iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("type {name}"));
    let type_of = |owner: &str, list: &str, field: &str| -> String {
        let f = named(owner)[list].as_array().expect("fields").iter().find(|f| f["name"] == field).cloned();
        let t = &f.unwrap_or_else(|| panic!("{owner}.{field}"))["type"];
        t["name"].as_str().or(t["ofType"]["name"].as_str()).unwrap_or_default().to_owned()
    };
    for object in types.iter().filter(|t| t["kind"] == "OBJECT") {
        let has_id = object["fields"]
            .as_array()
            .is_some_and(|fields| fields.iter().any(|f| f["name"] == "id" && f["type"]["ofType"]["name"] == "ID"));
        let is_node = object["interfaces"].as_array().is_some_and(|i| i.iter().any(|i| i["name"] == "Node"));
        assert_eq!(has_id, is_node, "{}: a type with an id implements Node", object["name"]);
    }
    assert_eq!(type_of("ChannelConnectInput", "inputFields", "kind"), "ChannelKind");
    assert_eq!(type_of("ChannelConnectInput", "inputFields", "country"), "CountryCode");
    assert_eq!(type_of("Channel", "fields", "country"), "CountryCode");
    assert_eq!(type_of("Money", "fields", "currencyCode"), "CurrencyCode");
    for (owner, field) in [("SyncError", "code"), ("ProductLink", "errorCode"), ("StockPush", "errorCode")] {
        assert_eq!(type_of(owner, "fields", field), "SyncErrorCode", "{owner}.{field}");
    }
    for (owner, field, target) in [
        ("ExportSlip", "order", "Order"),
        ("OrderReturn", "order", "Order"),
        ("SyncError", "order", "Order"),
        ("SyncRun", "channel", "Channel"),
        ("StockPush", "link", "ProductLink"),
        ("InventoryLedgerEntry", "reference", "InventoryReference"),
    ] {
        assert_eq!(type_of(owner, "fields", field), target, "{owner}.{field}");
    }
    // One spelling of "cancelled" across every enum.
    let values: Vec<&str> =
        types.iter().filter_map(|t| t["enumValues"].as_array()).flatten().filter_map(|v| v["name"].as_str()).collect();
    assert!(values.contains(&"CANCELLED") && !values.contains(&"CANCELED"), "{values:?}");
    assert!(types.iter().all(|t| !t["name"].as_str().unwrap_or_default().ends_with("Gql")));
}
crate::on_both_backends!(schema_shape, the_schema_has_one_payload_per_mutation_enum_codes_and_node_on_every_id);
