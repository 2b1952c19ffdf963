use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_backends;

async fn health_and_readiness_answer_and_graphiql_is_served(app: &TestApp) {
    let health = app.client.get(format!("{}/healthz", app.address)).send().await.expect("healthz");
    assert_eq!(health.status(), 200);

    let ready = app.client.get(format!("{}/readyz", app.address)).send().await.expect("readyz");
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.expect("json");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["queue"], "ok");
    let expected_queue = match app.backend {
        crate::helpers::Backend::Sqlite => "sqlite",
        crate::helpers::Backend::PostgresRedis => "redis",
        crate::helpers::Backend::PostgresQueue => "postgres",
    };
    assert_eq!(body["queueBackend"], expected_queue);

    let graphiql = app.client.get(format!("{}/graphql", app.address)).send().await.expect("graphiql");
    assert_eq!(graphiql.status(), 200);
    let html = graphiql.text().await.expect("html");
    assert!(html.contains("graphiql"), "GET /graphql serves GraphiQL");
    assert!(html.contains("/graphql/ws"), "GraphiQL is pointed at the subscription endpoint");
}
on_both_backends!(health_and_readiness, health_and_readiness_answer_and_graphiql_is_served);

async fn exactly_one_default_warehouse_named_kho_tong_exists_after_migrations(app: &TestApp) {
    let data = app.gql("{ warehouses { totalCount edges { node { name code isDefault } } } }", json!({})).await;
    assert_eq!(data["warehouses"]["totalCount"], 1);
    assert_eq!(
        data["warehouses"]["edges"][0]["node"],
        json!({ "name": "Kho tổng", "code": "MAIN", "isDefault": true })
    );
}
on_both_backends!(default_warehouse_seeded, exactly_one_default_warehouse_named_kho_tong_exists_after_migrations);

async fn too_deep_or_too_complex_queries_get_a_clear_error(app: &TestApp) {
    // Depth: introspection nests without multiplying cost, so only the depth limit can refuse this.
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
        "ofType { ".repeat(10),
        "} ".repeat(10)
    );
    let body = app.graphql(&deep, json!({})).await;
    let message = body["errors"][0]["message"].as_str().unwrap_or_default().to_lowercase();
    assert!(message.contains("too deep"), "depth limit error, got {body}");

    let wide = "{ a: products(first: 100) { edges { node { variants { inventoryLevels { warehouse { name } variant { title } } } } } }
                  b: products(first: 100) { edges { node { variants { inventoryLevels { warehouse { name } variant { title } } } } } }
                  c: products(first: 100) { edges { node { variants { inventoryLevels { warehouse { name } variant { title } } } } } } }";
    let body = app.graphql(wide, json!({})).await;
    let message = body["errors"][0]["message"].as_str().unwrap_or_default().to_lowercase();
    assert!(message.contains("complex"), "complexity limit error, got {body}");
}
on_both_backends!(query_limits, too_deep_or_too_complex_queries_get_a_clear_error);
