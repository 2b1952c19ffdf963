//! Bulk "create hub products from listings" (issue 16 item 9, Bizfly "Đồng bộ hàng loạt sản phẩm"): by listing
//! ids or by filter, as a CREATE_PRODUCTS run with counters, each listing that could not become a product
//! reported with its reason; refused on a disconnected channel with nothing changed.

use serde_json::{Value, json};

use omnisync::channels::ChannelKind;

use crate::helpers::{TestApp, start_sim};
use crate::linking_rules::{connect, link};
use crate::on_both_backends;

async fn listing_id(app: &TestApp, channel: &Value, seller_sku: &str) -> Value {
    let data = app
        .gql(
            "query($c: ID!, $s: String) { channelListings(channelId: $c, search: $s) { edges { node { id sellerSku } } } }",
            json!({ "c": channel, "s": seller_sku }),
        )
        .await;
    data["channelListings"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .find(|e| e["node"]["sellerSku"] == seller_sku)
        .unwrap_or_else(|| panic!("{seller_sku}: {data}"))["node"]["id"]
        .clone()
}

const CREATE: &str = "mutation($input: ProductsCreateFromListingsInput!) { productsCreateFromListings(input: $input) {
    syncRun { id kind status } userErrors { field code message } } }";

async fn create(app: &TestApp, input: Value) -> Value {
    let started = app.gql(CREATE, json!({ "input": input })).await;
    assert_eq!(started["productsCreateFromListings"]["userErrors"], json!([]), "{started}");
    assert_eq!(started["productsCreateFromListings"]["syncRun"]["kind"], "CREATE_PRODUCTS");
    app.wait_for_run(started["productsCreateFromListings"]["syncRun"]["id"].as_str().expect("run")).await
}

async fn items(app: &TestApp, run: &Value, failed_only: bool) -> Vec<Value> {
    let data = app
        .gql(
            "query($r: ID!, $f: Boolean!) { syncRunItems(runId: $r, failedOnly: $f) { totalCount edges { node {
                succeeded errorCode message listing { sellerSku } product { title variants { sku } } } } } }",
            json!({ "r": run["id"], "f": failed_only }),
        )
        .await;
    data["syncRunItems"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{data}"))
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn product_count(app: &TestApp) -> i64 {
    app.gql("{ products { totalCount } }", json!({})).await["products"]["totalCount"].as_i64().expect("count")
}

async fn bulk_creation_from_listings_reports_each_listing_it_could_not_turn_into_a_product(app: &TestApp) {
    let sim = start_sim(ChannelKind::Lazada, 6);
    // The store's product 2 repeats a seller SKU across its two SKUs: it cannot become one hub product.
    {
        let mut store = sim.state.store();
        let product = store.products.iter_mut().find(|p| p.skus.len() == 2).expect("a two-SKU product");
        product.skus[1].seller_sku = product.skus[0].seller_sku.clone();
    }
    let channel = connect(app, &sim).await;
    app.create_product("Already here", json!([{ "sku": "H1", "barcode": "SKU-0001-1", "price": "1000" }])).await;
    link(app, &channel, json!({ "filter": {} })).await;

    // By selection: one already linked, one refused by the catalog, one made.
    let chosen = [
        listing_id(app, &channel, "SKU-0001-1").await,
        listing_id(app, &channel, "SKU-0002-1").await,
        listing_id(app, &channel, "SKU-0003-2").await,
    ];
    let run = create(app, json!({ "channelId": channel, "listingIds": chosen })).await;
    assert_eq!(
        (
            run["status"].as_str(),
            run["total"].as_i64(),
            run["processed"].as_i64(),
            run["succeeded"].as_i64(),
            run["failed"].as_i64()
        ),
        (Some("COMPLETED"), Some(3), Some(3), Some(1), Some(2)),
        "{run}"
    );
    let failed = items(app, &run, true).await;
    let mut reasons: Vec<(&str, &str)> = failed
        .iter()
        .map(|i| (i["listing"]["sellerSku"].as_str().unwrap_or(""), i["errorCode"].as_str().unwrap_or("")))
        .collect();
    reasons.sort_unstable();
    assert_eq!(reasons, [("SKU-0001-1", "INVALID_STATE"), ("SKU-0002-1", "SKU_TAKEN")], "{failed:?}");
    assert!(failed.iter().any(|i| i["message"].as_str().unwrap_or_default().contains("already linked")), "{failed:?}");
    assert!(failed.iter().all(|i| i["succeeded"] == false && i["product"].is_null()));
    let all = items(app, &run, false).await;
    let made = all.iter().find(|i| i["succeeded"] == true).expect("one made");
    let mut skus: Vec<&str> =
        made["product"]["variants"].as_array().expect("variants").iter().filter_map(|v| v["sku"].as_str()).collect();
    skus.sort_unstable();
    assert_eq!(skus, ["SKU-0003-1", "SKU-0003-2", "SKU-0003-3"], "the whole channel product, every SKU: {made}");
    assert_eq!(made["errorCode"], json!(null));

    // By filter: a search, then every listing not linked yet (the refused product is reported again).
    let run = create(app, json!({ "channelId": channel, "filter": { "search": "SKU-0004" } })).await;
    assert_eq!((run["total"].as_i64(), run["succeeded"].as_i64()), (Some(1), Some(1)), "{run}");
    let run = create(app, json!({ "channelId": channel, "filter": {} })).await;
    assert_eq!(
        (run["total"].as_i64(), run["succeeded"].as_i64(), run["failed"].as_i64()),
        (Some(3), Some(2), Some(1)),
        "products 2, 5 and 6: {run}"
    );
    let failed = items(app, &run, true).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["errorCode"], "SKU_TAKEN");
    let unlinked = app
        .gql(
            "query($c: ID!) { channelListings(channelId: $c, unlinkedOnly: true) { totalCount } }",
            json!({ "c": channel }),
        )
        .await;
    assert_eq!(unlinked["channelListings"]["totalCount"], 2, "only the refused product's SKUs are left");
}
on_both_backends!(
    bulk_create_from_listings,
    bulk_creation_from_listings_reports_each_listing_it_could_not_turn_into_a_product
);

async fn bad_bulk_creation_requests_change_nothing(app: &TestApp) {
    let sim = start_sim(ChannelKind::Lazada, 3);
    let channel = connect(app, &sim).await;
    let pull = app
        .gql("mutation($c: ID!) { channelListingsPull(channelId: $c) { syncRun { id } } }", json!({ "c": channel }))
        .await;
    app.wait_for_run(pull["channelListingsPull"]["syncRun"]["id"].as_str().expect("run")).await;
    let listing = listing_id(app, &channel, "SKU-0001-1").await;
    let runs_before = app.gql("{ syncRuns { totalCount } }", json!({})).await["syncRuns"]["totalCount"].clone();

    let cases = [
        (json!({ "channelId": channel }), json!([{ "field": ["input", "listingIds"], "code": "BLANK" }])),
        (
            json!({ "channelId": channel, "listingIds": [listing, omnisync::graphql::relay::global_id("ChannelListing", 987_654)] }),
            json!([{ "field": ["input", "listingIds", "1"], "code": "NOT_FOUND" }]),
        ),
        (
            json!({ "channelId": channel, "listingIds": ["garbage"] }),
            json!([{ "field": ["input", "listingIds", "0"], "code": "INVALID_ID" }]),
        ),
    ];
    for (input, expected) in cases {
        let data = app.gql(CREATE, json!({ "input": input })).await;
        let errors: Vec<Value> = data["productsCreateFromListings"]["userErrors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| json!({ "field": e["field"], "code": e["code"] }))
            .collect();
        assert_eq!(json!(errors), expected, "{input}");
        assert_eq!(data["productsCreateFromListings"]["syncRun"], json!(null));
    }

    app.gql(
        "mutation($c: ID!) { channelDisconnect(id: $c, confirm: true) { userErrors { code } } }",
        json!({ "c": channel }),
    )
    .await;
    let data = app.gql(CREATE, json!({ "input": { "channelId": channel, "filter": {} } })).await;
    let errors = &data["productsCreateFromListings"]["userErrors"];
    assert_eq!(errors[0]["field"], json!(["input", "channelId"]), "{data}");
    assert_eq!(errors[0]["code"], "INVALID_STATE");
    assert!(
        errors[0]["message"].as_str().unwrap_or_default().contains("is not connected"),
        "quotes the reason: {data}"
    );
    assert_eq!(app.gql("{ syncRuns { totalCount } }", json!({})).await["syncRuns"]["totalCount"], runs_before);
    assert_eq!(product_count(app).await, 0, "nothing was created");
}
on_both_backends!(bulk_create_bad_input, bad_bulk_creation_requests_change_nothing);
