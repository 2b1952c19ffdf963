//! `/metrics`: Prometheus text format behind a token, parsed with a Prometheus text parser.

use serde_json::json;

use omnisync::channels::ChannelKind;

use crate::helpers::{TestApp, start_sim};
use crate::on_both_backends;

async fn metrics_need_a_token_and_parse_as_prometheus_text(app: &TestApp) {
    let url = format!("{}/metrics", app.address);
    assert_eq!(app.client.get(&url).send().await.expect("sent").status(), 401);

    // Some work to count: a link run against a marketplace.
    let sim = start_sim(ChannelKind::Lazada, 3);
    let c = &sim.state.credentials;
    let channel = app
        .gql(
            "mutation($input: ChannelConnectInput!) { channelConnect(input: $input) { channel { id } } }",
            json!({ "input": { "kind": "LAZADA", "name": "L", "country": "VN", "baseUrl": sim.base_url,
                "credentials": { "appKey": c.app_key, "appSecret": c.app_secret, "accessToken": c.access_token, "refreshToken": c.refresh_token } } }),
        )
        .await["channelConnect"]["channel"]["id"]
        .clone();
    let run = app
        .gql(
            "mutation($c: ID!) { productLinksCreate(input: { channelId: $c, filter: {} }) { syncRun { id } } }",
            json!({ "c": channel }),
        )
        .await;
    app.wait_for_run(run["productLinksCreate"]["syncRun"]["id"].as_str().expect("run")).await;

    let response = app.client.get(&url).bearer_auth(&app.token).send().await.expect("sent");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("text");
    let scrape =
        prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("valid Prometheus text");
    let sample = |name: &str, label: (&str, &str)| {
        scrape.samples.iter().find(|s| s.metric == name && s.labels.get(label.0) == Some(label.1)).cloned()
    };
    assert!(sample("omnisync_jobs_total", ("kind", "LINK_PRODUCTS")).is_some(), "{text}");
    let calls =
        sample("omnisync_marketplace_calls_total", ("path", "/products/get")).expect("marketplace calls counted");
    assert!(matches!(calls.value, prometheus_parse::Value::Counter(n) if n >= 1.0), "{calls:?}");
    assert!(scrape.samples.iter().any(|s| s.metric == "omnisync_pushes_pending"), "{text}");
    assert!(scrape.docs.contains_key("omnisync_marketplace_calls_total"), "HELP lines are there");
}
on_both_backends!(metrics_endpoint, metrics_need_a_token_and_parse_as_prometheus_text);
