//! The sync error list (SPEC §6): filterable, dismissible, resolved automatically when the cause is fixed.

use serde_json::{Value, json};

use omnisync::channels::ChannelKind;

use crate::helpers::{TestApp, start_sim};
use crate::on_both_backends;

const LIST: &str = "query($f: SyncErrorFilterInput) { syncErrors(filter: $f, first: 100) { totalCount edges { node {
    id code message kind occurrences resolvedAt dismissedAt variant { sku } } } } }";

async fn errors(app: &TestApp, filter: Value) -> Vec<Value> {
    let data = app.gql(LIST, json!({ "f": filter })).await;
    data["syncErrors"]["edges"].as_array().expect("edges").iter().map(|e| e["node"].clone()).collect()
}

async fn link(app: &TestApp, channel: &Value) {
    let started = app
        .gql(
            "mutation($c: ID!) { productLinksCreate(input: { channelId: $c, filter: {} }) { syncRun { id } } }",
            json!({ "c": channel }),
        )
        .await;
    app.wait_for_run(started["productLinksCreate"]["syncRun"]["id"].as_str().expect("run")).await;
}

async fn link_errors_are_listed_filtered_dismissed_and_resolved_when_fixed(app: &TestApp) {
    let sim = start_sim(ChannelKind::Lazada, 5);
    let c = &sim.state.credentials;
    let channel = app
        .gql(
            "mutation($input: ChannelConnectInput!) { channelConnect(input: $input) { channel { id } } }",
            json!({ "input": { "kind": "LAZADA", "name": "L", "country": "VN", "baseUrl": sim.base_url,
                "credentials": { "appKey": c.app_key, "appSecret": c.app_secret, "accessToken": c.access_token, "refreshToken": c.refresh_token } } }),
        )
        .await["channelConnect"]["channel"]["id"]
        .clone();
    app.create_product("Thiếu mã vạch", json!([{ "sku": "A1", "price": "1000" }])).await;
    let missing =
        app.create_product("Không có trên sàn", json!([{ "sku": "B1", "barcode": "NOPE", "price": "1000" }])).await;
    app.create_product("OK", json!([{ "sku": "C1", "barcode": "SKU-0001-1", "price": "1000" }])).await;
    link(app, &channel).await;

    let open = errors(app, json!({ "channelId": channel, "kind": "PRODUCT" })).await;
    let mut codes: Vec<&str> = open.iter().map(|e| e["code"].as_str().unwrap_or("")).collect();
    codes.sort_unstable();
    assert_eq!(codes, ["NOT_FOUND_ON_CHANNEL", "NO_MATCH_KEY"]);
    assert_eq!(errors(app, json!({ "code": "NO_MATCH_KEY" })).await.len(), 1);
    assert_eq!(
        errors(app, json!({ "search": "KHÔNG có trên" })).await.len(),
        1,
        "the message names the variant; search ignores ASCII case"
    );
    assert_eq!(errors(app, json!({ "search": "NOPE" })).await.len(), 1);
    assert_eq!(errors(app, json!({ "kind": "ORDER" })).await.len(), 0);

    // Linking again counts an occurrence instead of a new row.
    link(app, &channel).await;
    let again = errors(app, json!({ "code": "NO_MATCH_KEY" })).await;
    assert_eq!((again.len(), again[0]["occurrences"].as_i64()), (1, Some(2)));

    // Dismiss one: gone from the list, kept in the history.
    let dismissed = app
        .gql(
            "mutation($ids: [ID!]) { syncErrorsDismiss(ids: $ids) { dismissedCount userErrors { code } } }",
            json!({ "ids": [again[0]["id"]] }),
        )
        .await;
    assert_eq!(dismissed["syncErrorsDismiss"]["dismissedCount"], 1);
    assert_eq!(errors(app, json!({ "code": "NO_MATCH_KEY" })).await.len(), 0);
    assert!(
        errors(app, json!({ "code": "NO_MATCH_KEY", "includeDismissed": true })).await[0]["dismissedAt"].is_string()
    );

    // Fix the cause: the error resolves itself on relink, and stays in the history.
    let variant = app
        .gql("query($p: ID!) { product(id: $p) { variants { id } } }", json!({ "p": missing["id"] }))
        .await["product"]["variants"][0]["id"]
        .clone();
    app.gql("mutation($v: ID!) { productVariantUpdate(id: $v, input: { barcode: \"SKU-0002-1\" }) { userErrors { code } } }", json!({ "v": variant })).await;
    link(app, &channel).await;
    assert_eq!(errors(app, json!({ "code": "NOT_FOUND_ON_CHANNEL" })).await.len(), 0);
    let history = errors(app, json!({ "code": "NOT_FOUND_ON_CHANNEL", "includeResolved": true })).await;
    assert!(history[0]["resolvedAt"].is_string(), "{history:?}");

    let none = app.gql("mutation { syncErrorsDismiss { dismissedCount userErrors { field code } } }", json!({})).await;
    assert_eq!(none["syncErrorsDismiss"]["userErrors"], json!([{ "field": ["ids"], "code": "BLANK" }]));
}
on_both_backends!(sync_error_list, link_errors_are_listed_filtered_dismissed_and_resolved_when_fixed);
