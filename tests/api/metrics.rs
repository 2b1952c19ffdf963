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

/// Histograms, per-channel health from the database, the queue, the build and the process, all in one scrape.
async fn the_scrape_carries_histograms_channel_health_queue_build_and_process(app: &TestApp) {
    let sim = start_sim(ChannelKind::Shopee, 0);
    omnisync::sim::fixtures::seed_sim(&sim, 3, "M-");
    omnisync::sim::fixtures::seed_hub(&app.ctx.db, 3, "M-").await.expect("hub catalog");
    let channel = omnisync::sim::fixtures::connect_sim(&app.ctx, &sim).await.expect("connected");
    // A token that expires, as a marketplace's access token does (the simulator's connect leaves none).
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entity::channel::Entity::update_many()
        .col_expr(
            entity::channel::Column::AccessTokenExpiresAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() + chrono::Duration::hours(4)),
        )
        .filter(entity::channel::Column::Id.eq(channel.id))
        .exec(&app.ctx.db)
        .await
        .expect("expiry set");
    let run = app
        .gql(
            "mutation($c: ID!) { productLinksCreate(input: { channelId: $c, filter: {} }) { syncRun { id } } }",
            json!({ "c": omnisync::graphql::relay::global_id("Channel", channel.id).0 }),
        )
        .await;
    app.wait_for_run(run["productLinksCreate"]["syncRun"]["id"].as_str().expect("run")).await;
    // A push and a reconciliation, so their counters are part of the scrape.
    omnisync::jobs::stock_push::kick(&app.ctx).await;
    omnisync::jobs::enqueue_run(&app.ctx, entity::enums::SyncRunKind::StockReconcile, Some(channel.id), None)
        .await
        .expect("queued");
    omnisync::jobs::run_pending(&app.ctx).await.expect("runs");
    let text = app
        .client
        .get(format!("{}/metrics", app.address))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("valid text");
    for histogram in ["omnisync_job_duration_seconds", "omnisync_marketplace_call_duration_seconds"] {
        assert!(text.contains(&format!("# TYPE {histogram} histogram")), "{histogram}: {text}");
    }
    let id = channel.id.to_string();
    let of_channel = |name: &str| {
        scrape.samples.iter().find(|s| s.metric == name && s.labels.get("channel_id") == Some(id.as_str())).cloned()
    };
    let connected = of_channel("omnisync_channel_connected").expect("connection state");
    assert!(matches!(connected.value, prometheus_parse::Value::Gauge(v) if v == 1.0), "{connected:?}");
    assert_eq!(connected.labels.get("kind"), Some("shopee"));
    let expires = of_channel("omnisync_channel_token_expires_in_seconds").expect("token expiry");
    assert!(
        matches!(expires.value, prometheus_parse::Value::Gauge(v) if (4.0 * 3600.0 - 120.0..=4.0 * 3600.0).contains(&v)),
        "{expires:?}"
    );
    for name in ["omnisync_pushes_pending", "omnisync_channel_oldest_unapplied_order_event_age_seconds"] {
        assert!(of_channel(name).is_some(), "{name}: {text}");
    }
    let queue = scrape
        .samples
        .iter()
        .find(|s| s.metric == "omnisync_queue_depth" && s.labels.get("kind") == Some("ORDER_POLL"));
    assert!(queue.is_some(), "every run kind has a queue depth: {text}");
    assert!(scrape.samples.iter().any(|s| s.metric == "omnisync_build_info"), "{text}");
    assert!(scrape.samples.iter().any(|s| s.metric == "process_resident_memory_bytes"), "{text}");

    // Every metric the shipped alert rules use is one this hub exports (promtool checks their logic in CI).
    let rules = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/alerts.yml")).expect("alerts");
    let mut named: Vec<&str> = rules
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("omnisync_"))
        .collect();
    named.sort_unstable();
    named.dedup();
    assert!(named.len() >= 8, "the rules name the hub's metrics: {named:?}");
    for name in named {
        assert!(scrape.samples.iter().any(|s| s.metric == name), "alerts.yml uses {name}, absent from: {text}");
    }
    // And every label a rule matches or groups on (`on (…)`, `by (…)`) is one each metric of that rule carries.
    for rule in rules.split("- alert:").skip(1) {
        let expr = rule.split("expr:").nth(1).and_then(|e| e.split("labels:").next()).unwrap_or_default();
        let expr = expr.split("\n      for:").next().unwrap_or(expr);
        let labels: Vec<&str> = ["on (", "by ("]
            .iter()
            .flat_map(|clause| expr.split(clause).skip(1))
            .filter_map(|rest| rest.split(')').next())
            .flat_map(|list| list.split(',').map(str::trim))
            .collect();
        let metrics: Vec<&str> = expr
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("omnisync_"))
            .collect();
        for (metric, label) in metrics.iter().flat_map(|m| labels.iter().map(move |l| (m, l))) {
            assert!(
                scrape.samples.iter().any(|s| s.metric == *metric && s.labels.get(label).is_some()),
                "a rule joins {metric} on {label}, a label it does not carry:{rule}"
            );
        }
    }
}
on_both_backends!(metrics_scrape_contents, the_scrape_carries_histograms_channel_health_queue_build_and_process);

/// 1,000 calls naming 1,000 different orders in their path (Tiki's order detail) are one series: label values are
/// API path templates, never ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_ids_in_api_paths_make_one_series() {
    let Some(app) = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await else { return };
    let sim = start_sim(ChannelKind::Tiki, 1);
    let channel = omnisync::sim::fixtures::connect_sim(&app.ctx, &sim).await.expect("connected");
    let connector = omnisync::services::channels::connector_for(&app.ctx, &channel).await.expect("connector");
    let codes: Vec<String> = (0..1_000u64).map(|i| (870_000_000 + i).to_string()).collect();
    for chunk in codes.chunks(50) {
        // Unknown orders: the simulator answers each call 404; what counts is the path called.
        let _ = connector.get_orders(chunk).await;
    }
    let text = omnisync::metrics::render(&[]);
    // Other tests of this process call Tiki too: what counts is that no series names one of these orders, and
    // that the one template series holds their calls.
    assert!(!text.contains("/orders/870"), "an order id became a label value: {text}");
    let series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("omnisync_marketplace_calls_total{channel=\"tiki\"") && l.contains("/orders/{id}\""))
        .collect();
    assert!(!series.is_empty(), "the order detail API's template series: {text}");
    let calls: f64 = series.iter().filter_map(|l| l.rsplit(' ').next().and_then(|n| n.parse::<f64>().ok())).sum();
    assert!(calls >= 1_000.0, "every call counted: {calls}");
}
