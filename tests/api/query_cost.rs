//! Query cost: every request reports its requested and actual cost in `extensions.cost`, every connection
//! multiplies its selection by its page size, a token is charged what it asked for and given back what the
//! response did not hold, and a token that spends its budget is throttled until it refills.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_backends;

fn cost(body: &Value) -> i64 {
    body["extensions"]["cost"]["requestedQueryCost"].as_i64().unwrap_or_else(|| panic!("a cost: {body}"))
}

/// Every root field returning a connection, with its required arguments written out.
async fn root_connections(app: &TestApp) -> Vec<(String, Vec<String>)> {
    let data = app
        .gql(
            "{ __schema { queryType { fields { name type { kind name ofType { name } } args { name defaultValue type { kind ofType { kind name enumValues { name } } } } } } } }",
            json!({}),
        )
        .await;
    let mut out = Vec::new();
    for field in data["__schema"]["queryType"]["fields"].as_array().expect("fields") {
        let type_name = field["type"]["name"].as_str().or_else(|| field["type"]["ofType"]["name"].as_str());
        if !type_name.is_some_and(|t| t.ends_with("Connection")) {
            continue;
        }
        // Required arguments without a default get a value of their type (an enum's first value, false, 1, a string).
        let required: Vec<String> = field["args"]
            .as_array()
            .expect("args")
            .iter()
            .filter(|a| a["type"]["kind"] == "NON_NULL" && a["defaultValue"].is_null())
            .map(|a| {
                let name = a["name"].as_str().expect("name");
                let of = &a["type"]["ofType"];
                match (of["enumValues"][0]["name"].as_str(), of["name"].as_str()) {
                    (Some(value), _) => format!("{name}: {value}"),
                    (None, Some("Boolean")) => format!("{name}: false"),
                    (None, Some("Int")) => format!("{name}: 1"),
                    (None, _) => format!("{name}: \"x\""),
                }
            })
            .collect();
        out.push((field["name"].as_str().expect("name").to_owned(), required));
    }
    out
}

async fn every_connection_costs_its_page_size_and_the_cost_is_reported(app: &TestApp) {
    let connections = root_connections(app).await;
    assert!(connections.len() >= 10, "{connections:?}");
    for (field, required) in &connections {
        let extra: String = required.iter().map(|argument| format!(", {argument}")).collect();
        let query = |first: u32| format!("{{ {field}(first: {first}{extra}) {{ nodes {{ __typename }} }} }}");
        let small = app.graphql(&query(10), json!({})).await;
        let large = app.graphql(&query(40), json!({})).await;
        assert!(cost(&large) >= cost(&small) + 30, "{field}: {} then {}", cost(&small), cost(&large));
    }
    // One warehouse exists: five were asked for (1 + 5 × 3), one came back (warehouses, nodes, id, name).
    let body = app.graphql("{ warehouses(first: 5) { nodes { id name } } }", json!({})).await;
    let reported = &body["extensions"]["cost"];
    assert_eq!((cost(&body), reported["actualQueryCost"].as_i64()), (16, Some(4)), "{body}");
    let status = &reported["throttleStatus"];
    assert_eq!(status["maximumAvailable"], 100_000, "{body}");
    let available = status["currentlyAvailable"].as_i64().expect("available");
    assert!(available > 100_000 - 16 && available <= 100_000 - 4, "charged the actual cost only: {body}");
}
on_both_backends!(query_cost_reported, every_connection_costs_its_page_size_and_the_cost_is_reported);

async fn a_token_that_spends_its_budget_is_throttled_until_it_refills(app: &TestApp) {
    // Sixty aliases of the one warehouse: what is asked for is what comes back, so nothing is given back.
    let aliases: String = (0..60).map(|i| format!("w{i}: warehouses(first: 1) {{ nodes {{ id name }} }} ")).collect();
    let query = &format!("{{ {aliases} }}");
    let first = app.graphql(query, json!({})).await;
    let each = cost(&first);
    assert!(each > 100 && each < 1000, "{first}");
    assert_eq!(first["extensions"]["cost"]["actualQueryCost"].as_i64(), Some(each), "{first}");
    let mut throttled = None;
    for _ in 0..(1000 / each + 2) {
        let body = app.graphql(query, json!({})).await;
        if body["errors"][0]["extensions"]["code"] == "THROTTLED" {
            throttled = Some(body);
            break;
        }
    }
    let throttled = throttled.expect("throttled once the budget is spent");
    assert!(throttled["data"].is_null(), "nothing ran: {throttled}");
    assert!(throttled["errors"][0]["message"].as_str().is_some_and(|m| m.contains("retry in")), "{throttled}");
    // The bucket refills at 500 points a second.
    tokio::time::sleep(Duration::from_millis(u64::try_from(each).unwrap_or(1000) * 2 + 200)).await;
    let again = app.graphql(query, json!({})).await;
    assert!(again["errors"].is_null(), "{again}");
    // Another token has its own bucket.
    let created =
        app.gql("mutation { apiTokenCreate(input: { name: \"other\", scope: READ }) { secret } }", json!({})).await;
    let other = created["apiTokenCreate"]["secret"].as_str().expect("secret").to_owned();
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(other)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("sent");
    let body: Value = response.json().await.expect("JSON");
    assert!(body["errors"].is_null(), "{body}");
}
on_both_backends!(
    query_cost_throttled,
    a_token_that_spends_its_budget_is_throttled_until_it_refills,
    options: crate::helpers::Options::default(),
    settings: |s| {
        s.cost_budget = 1000;
        s.cost_restore_per_second = 500;
    }
);
