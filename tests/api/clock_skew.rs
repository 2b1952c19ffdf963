//! Hosts whose clocks differ still share one marketplace quota: two worker processes, one of them running 4 s
//! ahead (libfaketime, Debian's `faketime` package), call the same Shopee API of one channel at once, and the
//! simulator — counting on the test's own clock, as the marketplace counts on its own — refuses nothing. The shared
//! rate limiter reads Redis's clock (`TIME` in its script); a limiter keyed by each host's clock would give each
//! process its own windows, and together they would send twice the hub's rate, over the quota.
//!
//! Needs `faketime` (`.ci/run` installs it); without it the test is SKIPPED, or fails when
//! `OMNISYNC_REQUIRE_SERVICES=1`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use entity::enums::SyncRunStatus;
use entity::sync_run;
use omnisync::channels::ChannelKind;
use sea_orm::EntityTrait;

use crate::cluster::{api_process, free_port, gql, ready, spawn_with};
use crate::helpers::start_sim;

/// libfaketime for multi-threaded programs.
const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
/// How far ahead the skewed worker's wall clock runs (its monotonic clock is left alone: timers stay true).
const SKEW_SECS: i64 = 4;
/// Listings on the channel: ten models per item, so one `get_model_list` call per 10 SKUs in each link run.
const SKUS: usize = 3000;

const RUN: &str = "query($id: ID!) { syncRun(id: $id) { status processed total errorMessage } }";

fn faketime_installed() -> bool {
    if std::path::Path::new(LIBFAKETIME).exists() {
        return true;
    }
    assert!(
        std::env::var("OMNISYNC_REQUIRE_SERVICES").as_deref() != Ok("1"),
        "{LIBFAKETIME} is missing (apt-get install faketime)"
    );
    println!("SKIPPED: {LIBFAKETIME} is missing (apt-get install faketime)");
    false
}

/// A worker taking one job at a time, with its own health listener at `port`, its wall clock `skew` seconds ahead.
fn worker(settings: &omnisync::config::Settings, port: u16, skew: Option<i64>) -> std::process::Child {
    let bind = format!("127.0.0.1:{port}");
    let mut env = vec![("OMNISYNC_WORKER_CONCURRENCY", "1".to_owned())];
    if let Some(skew) = skew {
        env.extend([
            ("LD_PRELOAD", LIBFAKETIME.to_owned()),
            ("FAKETIME", format!("{skew:+}s")),
            ("FAKETIME_DONT_FAKE_MONOTONIC", "1".to_owned()),
        ]);
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    spawn_with(settings, &["worker", "--metrics-bind", &bind], &env)
}

/// How far ahead of this process's clock the process serving `base` runs, read off its HTTP `Date` header (whole
/// seconds, refreshed every 500 ms: up to 1.5 s under the truth).
async fn clock_ahead(client: &reqwest::Client, base: &str) -> f64 {
    let response = client.get(format!("{base}/healthz")).send().await.expect("healthz");
    let now = chrono::Utc::now();
    let date = response.headers().get("date").expect("a Date header").to_str().expect("ascii").to_owned();
    let theirs = chrono::DateTime::parse_from_rfc2822(&date).expect("an HTTP date");
    (theirs.timestamp_millis() - now.timestamp_millis()) as f64 / 1000.0
}

async fn start_link_run(client: &reqwest::Client, api: &str, token: &str, channel: &Value) -> Value {
    gql(
        client,
        api,
        token,
        "mutation($c: ID!) { productLinksCreate(input: { channelId: $c, filter: {} }) { syncRun { id } userErrors { message } } }",
        json!({ "c": channel }),
    )
    .await["productLinksCreate"]["syncRun"]["id"]
        .clone()
}

async fn run_status(client: &reqwest::Client, api: &str, token: &str, run: &Value) -> Value {
    gql(client, api, token, RUN, json!({ "id": run })).await["syncRun"].clone()
}

fn row_id(run: &Value) -> i64 {
    omnisync::graphql::relay::decode_id("SyncRun", &async_graphql::ID(run.as_str().expect("an id").to_owned()))
        .expect("a sync run id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_whose_clocks_differ_stay_within_one_quota_together() {
    if !faketime_installed() {
        return;
    }
    let Some(mut app) = api_process().await else { return };
    let sim = start_sim(ChannelKind::Shopee, 0);
    omnisync::sim::fixtures::seed_sim(&sim, SKUS, "Q-");
    omnisync::sim::fixtures::seed_hub(&app.db, SKUS, "Q-").await.expect("hub catalog");
    let credentials = omnisync::sim::control::connect_credentials_json(&sim.state);
    let connected = gql(
        &app.client,
        &app.api,
        &app.token,
        "mutation($input: ChannelConnectInput!) { channelConnect(input: $input) { channel { id } userErrors { message } } }",
        json!({ "input": { "kind": "SHOPEE", "name": "Shopee", "country": "VN", "baseUrl": sim.base_url, "credentials": credentials } }),
    )
    .await;
    assert_eq!(connected["channelConnect"]["userErrors"], json!([]), "{connected}");
    let channel = connected["channelConnect"]["channel"]["id"].clone();
    let (client, api, token) = (app.client.clone(), app.api.clone(), app.token.clone());

    // The skewed worker first; its clock is really ahead.
    let (port_ahead, port_true) = (free_port(), free_port());
    app.processes.0.push(worker(&app.settings, port_ahead, Some(SKEW_SECS)));
    let ahead = format!("http://127.0.0.1:{port_ahead}");
    ready(&client, &ahead).await;
    let skew = clock_ahead(&client, &ahead).await;
    assert!(
        (SKEW_SECS as f64 - 1.6..=SKEW_SECS as f64 + 0.5).contains(&skew),
        "the worker's clock runs {SKEW_SECS} s ahead: {skew} s"
    );

    // It takes the first link run (one job at a time); once that runs, the second worker takes the second.
    let requests_before = sim.state.api_requests();
    let first = start_link_run(&client, &api, &token, &channel).await;
    let started = Instant::now();
    while run_status(&client, &api, &token, &first).await["status"] != "RUNNING" {
        assert!(started.elapsed() < Duration::from_secs(30), "the first link run did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.processes.0.push(worker(&app.settings, port_true, None));
    let on_time = format!("http://127.0.0.1:{port_true}");
    ready(&client, &on_time).await;
    assert!(clock_ahead(&client, &on_time).await.abs() < 1.6, "the second worker keeps this host's time");
    let second = start_link_run(&client, &api, &token, &channel).await;

    let started = Instant::now();
    for run in [&first, &second] {
        loop {
            let state = run_status(&client, &api, &token, run).await;
            match state["status"].as_str() {
                Some("COMPLETED") => break,
                Some("FAILED") => panic!("a link run failed: {state}"),
                _ => {
                    assert!(started.elapsed() < Duration::from_secs(120), "the link runs did not finish: {state}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    // Both ran at once, so in both processes (each takes one job at a time).
    let rows: Vec<sync_run::Model> = {
        let mut rows = Vec::new();
        for run in [&first, &second] {
            rows.push(sync_run::Entity::find_by_id(row_id(run)).one(&app.db).await.expect("db").expect("the run"));
        }
        rows
    };
    assert!(rows.iter().all(|r| r.status == SyncRunStatus::Completed && r.attempts == 1), "{rows:?}");
    let (first_row, second_row) = (&rows[0], &rows[1]);
    let overlap = first_row.finished_at.expect("finished") - second_row.started_at.expect("started");
    assert!(
        overlap > chrono::Duration::seconds(2),
        "the two link runs overlapped by {overlap} only: {first_row:?} {second_row:?}"
    );
    // Each link run reads every item's models: over 2 × 300 calls to one API, more than one process's worth.
    let requests = sim.state.api_requests() - requests_before;
    assert!(requests >= 2 * (SKUS / 10) as u64, "{requests} marketplace requests");
    assert_eq!(sim.state.quota_refusals(), 0, "the marketplace refused requests over its quota ({requests} sent)");
}
