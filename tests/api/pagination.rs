use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_backends;

const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String, $reverse: Boolean) {
    warehouses(first: $first, after: $after, last: $last, before: $before, reverse: $reverse) {
        totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { name } } } }";

fn names(conn: &Value) -> Vec<String> {
    conn["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn connections_page_forward_backward_and_reversed_with_counts(app: &TestApp) {
    for i in 1..=6 {
        app.gql(
            "mutation($n: String!) { warehouseCreate(input: { name: $n }) { userErrors { code } } }",
            json!({ "n": format!("W{i}") }),
        )
        .await;
    }
    // Kho tổng + W1..W6 = 7.
    let first = app.gql(PAGE, json!({ "first": 3 })).await["warehouses"].clone();
    assert_eq!(first["totalCount"], 7);
    assert_eq!(names(&first), ["Kho tổng", "W1", "W2"]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["pageInfo"]["hasPreviousPage"], false);

    let second =
        app.gql(PAGE, json!({ "first": 3, "after": first["pageInfo"]["endCursor"] })).await["warehouses"].clone();
    assert_eq!(names(&second), ["W3", "W4", "W5"]);
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);
    let third =
        app.gql(PAGE, json!({ "first": 3, "after": second["pageInfo"]["endCursor"] })).await["warehouses"].clone();
    assert_eq!(names(&third), ["W6"]);
    assert_eq!(third["pageInfo"]["hasNextPage"], false);

    let back = app.gql(PAGE, json!({ "last": 2, "before": third["edges"][0]["cursor"] })).await["warehouses"].clone();
    assert_eq!(names(&back), ["W4", "W5"]);
    assert_eq!(back["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(back["pageInfo"]["hasNextPage"], true);

    let reversed = app.gql(PAGE, json!({ "first": 2, "reverse": true })).await["warehouses"].clone();
    assert_eq!(names(&reversed), ["W6", "W5"]);
    let reversed_next = app
        .gql(PAGE, json!({ "first": 2, "reverse": true, "after": reversed["pageInfo"]["endCursor"] }))
        .await["warehouses"]
        .clone();
    assert_eq!(names(&reversed_next), ["W4", "W3"]);
}
on_both_backends!(paging, connections_page_forward_backward_and_reversed_with_counts);

async fn oversize_pages_and_malformed_cursors_get_clear_errors(app: &TestApp) {
    let body = app.graphql(PAGE, json!({ "first": 101 })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "PAGE_TOO_LARGE", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap_or_default().contains("100"));

    let body = app.graphql(PAGE, json!({ "first": 5, "after": "bm90LWEtY3Vyc29y" })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_CURSOR", "{body}");

    let body = app.graphql(PAGE, json!({ "first": 5, "last": 5 })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_PAGINATION", "{body}");
}
on_both_backends!(paging_errors, oversize_pages_and_malformed_cursors_get_clear_errors);
