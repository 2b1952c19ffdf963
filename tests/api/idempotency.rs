//! `@idempotent(key:)`: a retried write with the same key returns the first result and moves nothing, from any
//! process of the hub; another request under a used key is refused; keys are per token and forgotten after their
//! retention.

use serde_json::{Value, json};

use crate::helpers::{Options, TestApp};
use crate::on_both_backends;

const ADJUST: &str = "mutation($v: ID!, $w: ID!, $d: Int!, $k: String!) { inventoryAdjustQuantities(input: { reason: RECEIVED, changes: [{ variantId: $v, warehouseId: $w, delta: $d }] }) @idempotent(key: $k) { changes { level { onHand } ledgerEntry { id } } userErrors { code } } }";

async fn post_as(app: &TestApp, address: &str, token: &str, query: &str, variables: Value) -> Value {
    let response = app
        .client
        .post(format!("{address}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_success(), "HTTP {}", response.status());
    response.json().await.expect("JSON")
}

async fn on_hand(app: &TestApp, variant: &Value) -> i64 {
    let data = app
        .gql("query($v: ID!) { productVariant(id: $v) { inventoryLevels { onHand } } }", json!({ "v": variant }))
        .await;
    data["productVariant"]["inventoryLevels"]
        .as_array()
        .expect("levels")
        .iter()
        .map(|l| l["onHand"].as_i64().unwrap_or(0))
        .sum()
}

async fn a_retried_write_with_the_same_key_returns_the_first_result_and_moves_nothing(app: &TestApp) {
    let product = app.create_product("Once", json!([{ "sku": "ONCE-1", "price": "1000" }])).await;
    let variant = product["variants"][0]["id"].clone();
    let warehouse = app.default_warehouse_id().await;
    let vars = |delta: i64, key: &str| json!({ "v": variant, "w": warehouse, "d": delta, "k": key });

    let first = app.gql(ADJUST, vars(5, "adjust-1")).await;
    assert_eq!(first["inventoryAdjustQuantities"]["changes"][0]["level"]["onHand"], 5, "{first}");
    let again = app.gql(ADJUST, vars(5, "adjust-1")).await;
    assert_eq!(again, first, "the same answer, ledger entry included");
    assert_eq!(on_hand(app, &variant).await, 5, "moved once");

    // Another process of the same hub (a restart, or the next API replica) knows the key too.
    let other = app.sibling(Options { run_workers: false }).await;
    let from_other = post_as(app, &other.address, &app.token, ADJUST, vars(5, "adjust-1")).await;
    assert_eq!(from_other["data"], first);
    assert_eq!(on_hand(app, &variant).await, 5);

    // The same key for other arguments, or another mutation, is refused; nothing moves.
    let reused = app.graphql(ADJUST, vars(7, "adjust-1")).await;
    assert_eq!(reused["errors"][0]["extensions"]["code"], "IDEMPOTENCY_KEY_REUSED", "{reused}");
    assert_eq!(on_hand(app, &variant).await, 5);
    // A new key is a new write.
    let second = app.gql(ADJUST, vars(5, "adjust-2")).await;
    assert_eq!(second["inventoryAdjustQuantities"]["changes"][0]["level"]["onHand"], 10, "{second}");

    // A refusal is an answer too: retried, it is the same refusal, even once the input would now pass.
    let refused = app.gql(ADJUST, vars(-11, "adjust-3")).await;
    assert_eq!(refused["inventoryAdjustQuantities"]["userErrors"][0]["code"], "NEGATIVE_STOCK", "{refused}");
    app.gql(ADJUST, vars(5, "adjust-4")).await;
    assert_eq!(app.gql(ADJUST, vars(-11, "adjust-3")).await, refused);
    assert_eq!(on_hand(app, &variant).await, 15);

    // Keys are per token: another token's "adjust-1" is its own first write.
    let created =
        app.gql("mutation { apiTokenCreate(input: { name: \"tool\", scope: WRITE }) { secret } }", json!({})).await;
    let tool = created["apiTokenCreate"]["secret"].as_str().expect("secret").to_owned();
    let theirs = post_as(app, &app.address, &tool, ADJUST, vars(5, "adjust-1")).await;
    assert_eq!(theirs["data"]["inventoryAdjustQuantities"]["changes"][0]["level"]["onHand"], 20, "{theirs}");

    // Creating things: a retried productCreate creates one product.
    let create = "mutation($k: String!) { productCreate(input: { title: \"Retried\", variants: [{ sku: \"R-1\", price: \"10\" }] }) @idempotent(key: $k) { product { id } userErrors { code } } }";
    let made = app.gql(create, json!({ "k": "create-1" })).await;
    assert_eq!(app.gql(create, json!({ "k": "create-1" })).await, made);
    let found = app.gql("{ products(first: 10, filter: { search: \"Retried\" }) { nodes { id } } }", json!({})).await;
    assert_eq!(found["products"]["nodes"].as_array().map(Vec::len), Some(1), "{found}");

    // Only mutations take the directive, and keys have a length.
    let on_query = app.graphql("{ warehouses(first: 1) @idempotent(key: \"q\") { nodes { id } } }", json!({})).await;
    assert_eq!(on_query["errors"][0]["extensions"]["code"], "INVALID_DIRECTIVE", "{on_query}");
    let blank = app.graphql(ADJUST, vars(1, " ")).await;
    assert_eq!(blank["errors"][0]["extensions"]["code"], "INVALID_IDEMPOTENCY_KEY", "{blank}");

    // After the retention the key is forgotten (the scheduler purges): the same key writes again.
    let forgotten =
        omnisync::services::idempotency::purge(&app.ctx.db, chrono::Utc::now() + chrono::Duration::seconds(1))
            .await
            .expect("purged");
    assert!(forgotten >= 5, "{forgotten} keys purged");
    app.gql(ADJUST, vars(5, "adjust-1")).await;
    assert_eq!(on_hand(app, &variant).await, 25);
    other.cleanup().await;
}
on_both_backends!(idempotent_writes, a_retried_write_with_the_same_key_returns_the_first_result_and_moves_nothing);
