//! Bounded input (issue 15): the body of `/graphql` is limited and refused before it is read, numbers are bounded
//! by GraphQL's 32-bit `Int` and by the stock ceiling, and ids that are not of this API get one error everywhere.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::TestApp;
use crate::on_both_backends;

/// Sends request headers (and `body`, maybe only part of what they announce) on a raw connection and reads the
/// answer's status line and body; the answer must come within 5 s, while the rest of the body is never sent.
async fn raw_post(app: &TestApp, headers: &[(&str, String)], body: &[u8]) -> (u16, Value) {
    let mut stream = TcpStream::connect(("127.0.0.1", app.port)).await.expect("connect");
    let mut head = format!("POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n", app.port);
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("headers sent");
    stream.write_all(body).await.expect("body sent");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
            if let Some(at) = find(&answer, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&answer[..at]).to_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)));
                if length.is_some_and(|len| answer.len() >= at + 4 + len) {
                    break;
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the hub answered within 5 s without the rest of the body");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status: u16 = text.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line");
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn oversized_and_unauthenticated_bodies_are_refused_before_they_are_read(app: &TestApp) {
    let limit = app.settings.max_request_bytes;
    let huge = (64 * 1024 * 1024).to_string();
    let json_type = ("Content-Type", "application/json".to_owned());

    // No token: 401 at once, although 64 MiB are announced and none sent.
    let (status, body) = raw_post(app, &[json_type.clone(), ("Content-Length", huge.clone())], b"").await;
    assert_eq!((status, &body["errors"][0]["extensions"]["code"]), (401, &json!("UNAUTHENTICATED")), "{body}");
    // A wrong token: the same.
    let wrong = ("Authorization", "Bearer osk_not_a_token".to_owned());
    let (status, _) = raw_post(app, &[json_type.clone(), wrong, ("Content-Length", huge.clone())], b"").await;
    assert_eq!(status, 401);

    // A live token and a body announced above the limit: 413 at once.
    let bearer = ("Authorization", format!("Bearer {}", app.token));
    let (status, body) = raw_post(app, &[json_type.clone(), bearer.clone(), ("Content-Length", huge)], b"").await;
    assert_eq!((status, &body["errors"][0]["extensions"]["code"]), (413, &json!("PAYLOAD_TOO_LARGE")), "{body}");

    // A chunked body, whose size is not announced, is cut off at the limit.
    let chunk = vec![b' '; 64 * 1024];
    let mut chunked = Vec::new();
    for _ in 0..(limit / chunk.len() + 2) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(&chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    let headers = [json_type.clone(), bearer.clone(), ("Transfer-Encoding", "chunked".to_owned())];
    let (status, body) = raw_post(app, &headers, &chunked).await;
    assert_eq!((status, &body["errors"][0]["extensions"]["code"]), (413, &json!("PAYLOAD_TOO_LARGE")), "{body}");

    // Under the limit, the same connection type is answered.
    let query = serde_json::to_vec(&json!({ "query": "{ warehouses(first: 1) { nodes { id } } }" })).expect("json");
    let headers = [json_type.clone(), bearer.clone(), ("Content-Length", query.len().to_string())];
    let (status, body) = raw_post(app, &headers, &query).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["warehouses"]["nodes"].is_array(), "{body}");

    // Not JSON at all: a GraphQL request error, not a crash.
    let headers = [json_type, bearer, ("Content-Length", "9".to_owned())];
    let (status, body) = raw_post(app, &headers, b"not json!").await;
    assert_eq!((status, &body["errors"][0]["extensions"]["code"]), (400, &json!("BAD_REQUEST")), "{body}");
}
on_both_backends!(request_body_bounded, oversized_and_unauthenticated_bodies_are_refused_before_they_are_read);

/// The body limit is a setting.
async fn the_body_limit_is_configurable(app: &TestApp) {
    assert_eq!(app.settings.max_request_bytes, 4096);
    let padding = " ".repeat(5000);
    let response = reqwest::Client::new()
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.token)
        .json(&json!({ "query": format!("{{ warehouses(first: 1) {{ nodes {{ id }} }} }}{padding}") }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 413);
    let big: Value = response.json().await.expect("a JSON body");
    assert_eq!(big["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE", "{big}");
    let small = app.gql("{ warehouses(first: 1) { nodes { id } } }", json!({})).await;
    assert!(small["warehouses"]["nodes"].is_array());
}
on_both_backends!(
    request_body_limit_setting,
    the_body_limit_is_configurable,
    options: crate::helpers::Options::default(),
    settings: |s| s.max_request_bytes = 4096
);

async fn quantities_beyond_32_bits_or_the_stock_ceiling_are_refused_and_move_nothing(app: &TestApp) {
    let product = app.create_product("Bounded", json!([{ "sku": "B-1", "price": "1000" }])).await;
    let variant = product["variants"][0]["id"].clone();
    let warehouse = app.default_warehouse_id().await;
    let adjust = "mutation($v: ID!, $w: ID!, $d: Int!) { inventoryAdjustQuantities(input: { reason: RECEIVED, changes: [{ variantId: $v, warehouseId: $w, delta: $d }] }) { changes { level { onHand } } userErrors { field code message } } }";

    // Beyond GraphQL's Int: refused as an invalid variable, nothing runs.
    let body = app.graphql(adjust, json!({ "v": variant, "w": warehouse, "d": 1_099_511_627_776_i64 })).await;
    assert!(body["data"].is_null() && body["errors"][0]["message"].is_string(), "{body}");
    // And written inline in the document.
    let inline = format!(
        "mutation {{ inventoryAdjustQuantities(input: {{ reason: RECEIVED, changes: [{{ variantId: {variant}, warehouseId: \"{warehouse}\", delta: 1099511627776 }}] }}) {{ userErrors {{ code }} }} }}"
    );
    let body = app.graphql(&inline, json!({})).await;
    assert!(body["data"].is_null() && body["errors"][0]["message"].is_string(), "{body}");

    // Within Int but beyond the ceiling of a level: a userError naming the change.
    let body = app.gql(adjust, json!({ "v": variant, "w": warehouse, "d": 2_000_000_000 })).await;
    assert_eq!(body["inventoryAdjustQuantities"]["changes"], Value::Null);
    let errors = &body["inventoryAdjustQuantities"]["userErrors"];
    assert_eq!(
        (&errors[0]["code"], &errors[0]["field"]),
        (&json!("QUANTITY_TOO_LARGE"), &json!(["input", "changes", "0", "delta"])),
        "{body}"
    );
    let set = "mutation($v: ID!, $w: ID!, $q: Int!) { inventorySetQuantities(input: { reason: CORRECTION, quantities: [{ variantId: $v, warehouseId: $w, onHand: $q }] }) { userErrors { field code } } }";
    let body = app.gql(set, json!({ "v": variant, "w": warehouse, "q": 1_000_000_001 })).await;
    assert_eq!(body["inventorySetQuantities"]["userErrors"][0]["code"], "QUANTITY_TOO_LARGE", "{body}");

    // The ceiling itself is accepted, and nothing refused above was written.
    let body = app.gql(adjust, json!({ "v": variant, "w": warehouse, "d": 1_000_000_000 })).await;
    assert_eq!(body["inventoryAdjustQuantities"]["changes"][0]["level"]["onHand"], 1_000_000_000, "{body}");
    let ledger = app
        .gql(
            "query($v: ID!) { inventoryLedger(first: 10, filter: { variantId: $v }) { nodes { onHandDelta } } }",
            json!({ "v": variant }),
        )
        .await;
    assert_eq!(ledger["inventoryLedger"]["nodes"], json!([{ "onHandDelta": 1_000_000_000 }]), "{ledger}");
}
on_both_backends!(quantities_bounded, quantities_beyond_32_bits_or_the_stock_ceiling_are_refused_and_move_nothing);

async fn an_id_that_is_not_of_this_api_gets_the_same_error_from_every_field(app: &TestApp) {
    for query in ["{ node(id: \"zzz\") { id } }", "{ product(id: \"zzz\") { id } }", "{ nodes(ids: [\"zzz\"]) { id } }"]
    {
        let body = app.graphql(query, json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "INVALID_ID", "{query}: {body}");
        assert!(body["errors"][0]["message"].as_str().is_some_and(|m| m.contains("zzz")), "{body}");
    }
    // A well-formed id of nothing stored is null on both.
    let missing = omnisync::graphql::relay::global_id("Product", 999_999);
    let body = app
        .gql("query($id: ID!) { node(id: $id) { id } product(id: $id) { id } }", json!({ "id": missing.as_str() }))
        .await;
    assert_eq!(body, json!({ "node": null, "product": null }));
}
on_both_backends!(invalid_ids_answered_alike, an_id_that_is_not_of_this_api_gets_the_same_error_from_every_field);
