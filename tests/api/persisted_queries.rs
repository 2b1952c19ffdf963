//! Automatic persisted queries (Apollo's protocol) and introspection that an operator can turn off.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::TestApp;
use crate::on_both_backends;

async fn post(app: &TestApp, body: Value) -> Value {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.token)
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_success(), "HTTP {}", response.status());
    response.json().await.expect("JSON")
}

async fn a_query_is_sent_once_then_by_its_hash(app: &TestApp) {
    let query = "{ warehouses(first: 1) { nodes { isDefault } } }";
    let hash = hex::encode(Sha256::digest(query.as_bytes()));
    let persisted = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });

    // The hash alone, before the hub has seen the query: the protocol's "not found", so the client sends the text.
    let unknown = post(app, json!({ "extensions": persisted })).await;
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound", "{unknown}");
    let first = post(app, json!({ "query": query, "extensions": persisted })).await;
    assert_eq!(first["data"]["warehouses"]["nodes"][0]["isDefault"], true, "{first}");
    // From now on the hash is enough.
    let by_hash = post(app, json!({ "extensions": persisted })).await;
    assert_eq!(by_hash["data"], first["data"], "{by_hash}");
    // A text that does not match its hash is refused.
    let wrong = post(app, json!({ "query": "{ products(first: 1) { nodes { id } } }", "extensions": persisted })).await;
    assert!(wrong["data"].is_null() && wrong["errors"][0]["message"].is_string(), "{wrong}");
}
on_both_backends!(persisted_queries, a_query_is_sent_once_then_by_its_hash);

async fn introspection_can_be_turned_off(app: &TestApp) {
    assert!(!app.settings.introspection);
    let refused = app.graphql("{ __schema { queryType { name } } }", json!({})).await;
    assert!(refused["data"]["__schema"].is_null() || refused["errors"].is_array(), "{refused}");
    let typed = app.graphql("{ __type(name: \"Product\") { name } }", json!({})).await;
    assert!(typed["data"]["__type"].is_null(), "{typed}");
    // Everything else works.
    let data = app.gql("{ warehouses(first: 1) { nodes { isDefault } } }", json!({})).await;
    assert_eq!(data["warehouses"]["nodes"][0]["isDefault"], true);
}
on_both_backends!(
    introspection_off,
    introspection_can_be_turned_off,
    options: crate::helpers::Options::default(),
    settings: |s| s.introspection = false
);

async fn introspection_answers_by_default(app: &TestApp) {
    let data = app.gql("{ __schema { queryType { name } } }", json!({})).await;
    assert_eq!(data["__schema"]["queryType"]["name"], "QueryRoot");
}
on_both_backends!(introspection_on, introspection_answers_by_default);
