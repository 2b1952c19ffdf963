//! Prometheus metrics on the `metrics` facade, kept and rendered by `metrics-exporter-prometheus` at `/metrics`
//! (behind a token) in every process: `serve`, and `worker --metrics-bind`. Durations are histograms; label values
//! are bounded (channel kinds, run kinds, API path templates from `channels::rate_limit::api_name`, never ids).
//!
//! What the database knows (pending pushes, open sync errors, the age of the last poll) is read at scrape time by
//! the caller and passed to `render` as `Sample`s: a label set absent from a scrape is set to 0, so a resolved error
//! code reads 0 instead of its last count.

use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::Duration;

use metrics::{Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Marketplace calls: 5 ms to a minute (a timeout is 30 s by default).
const CALL_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
/// Jobs, and a change's way to a channel or an order's from its webhook: 10 ms to 10 minutes.
const SLOW_BUCKETS: &[f64] = &[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0];

/// A value read at scrape time.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: &'static str,
    pub labels: Vec<(&'static str, String)>,
    pub value: f64,
}

impl Sample {
    pub fn new(name: &'static str, labels: Vec<(&'static str, String)>, value: f64) -> Self {
        Self { name, labels, value }
    }
}

fn exporter() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let built = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("omnisync_marketplace_call_duration_seconds".into()),
                    CALL_BUCKETS,
                )
                .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SLOW_BUCKETS));
            let recorder = match built {
                Ok(builder) => builder.build_recorder(),
                Err(err) => {
                    tracing::error!(error = %err, "metrics are off: the exporter refused its buckets");
                    return None;
                }
            };
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("metrics are off: another metrics recorder was installed first");
                return None;
            }
            describe();
            Some(handle)
        })
        .as_ref()
}

fn process_collector() -> &'static metrics_process::Collector {
    static COLLECTOR: OnceLock<metrics_process::Collector> = OnceLock::new();
    COLLECTOR.get_or_init(|| {
        let collector = metrics_process::Collector::default();
        collector.describe();
        collector
    })
}

/// Installs the recorder (values recorded before it are lost) and records `omnisync_build_info`. Called at start.
pub fn init() {
    if exporter().is_some() {
        let _ = process_collector();
        gauge!("omnisync_build_info", "version" => env!("CARGO_PKG_VERSION"), "commit" => env!("OMNISYNC_COMMIT"))
            .set(1.0);
    }
}

fn describe() {
    describe_gauge!("omnisync_build_info", "The running build: version and commit (always 1).");
    describe_counter!("omnisync_jobs_total", "Jobs run, by kind and outcome.");
    describe_histogram!("omnisync_job_duration_seconds", Unit::Seconds, "Time to run a job, by kind.");
    describe_counter!(
        "omnisync_marketplace_calls_total",
        "Calls to marketplaces, by channel kind, API path template and HTTP status (0: no answer)."
    );
    describe_histogram!(
        "omnisync_marketplace_call_duration_seconds",
        Unit::Seconds,
        "Latency of marketplace calls, by channel kind and API path template."
    );
    describe_counter!("omnisync_stock_pushes_total", "SKU stock and price pushes sent, by channel kind.");
    describe_counter!("omnisync_stock_pushes_failed_total", "SKU pushes the marketplace refused, by channel kind.");
    describe_counter!("omnisync_stock_push_calls_total", "Marketplace update calls made by stock pushes.");
    describe_counter!(
        "omnisync_stock_push_calls_minimum_total",
        "The fewest update calls the marketplace's batch maxima allow for the same pushes, round by round."
    );
    describe_histogram!(
        "omnisync_push_latency_seconds",
        Unit::Seconds,
        "From a stock or price change to the channel accepting its push, by channel kind."
    );
    describe_histogram!(
        "omnisync_webhook_to_order_seconds",
        Unit::Seconds,
        "From a marketplace's order push reaching the hub to the order applied, by channel kind."
    );
    describe_counter!(
        "omnisync_stock_drift_found_total",
        "SKUs whose quantity on the channel differed from the hub's at reconciliation, by channel kind."
    );
}

/// The gauges read from the database at scrape time (`web::health::metrics`).
const SCRAPED: &[(&str, &str)] = &[
    ("omnisync_pushes_pending", "Product links waiting for a stock or price push, by channel."),
    ("omnisync_channel_connected", "1 while the channel is connected, else 0."),
    ("omnisync_channel_order_poll_age_seconds", "Seconds since the channel's last completed order poll."),
    ("omnisync_channel_push_age_seconds", "Seconds since the channel's last completed stock push run."),
    (
        "omnisync_channel_oldest_unapplied_order_event_age_seconds",
        "Age of the oldest order push of the channel not yet applied (0: none waits).",
    ),
    ("omnisync_channel_token_expires_in_seconds", "Seconds until the channel's access token expires."),
    ("omnisync_sync_errors_open", "Open sync errors, by channel and code."),
    ("omnisync_queue_depth", "Runs waiting in the job queue to start, by queue and kind."),
    ("omnisync_runs_running", "Runs being executed now, by kind."),
    ("omnisync_orders", "Orders in the hub, by channel kind."),
];

pub fn job_finished(kind: &str, outcome: &str, took: Duration) {
    counter!("omnisync_jobs_total", "kind" => kind.to_owned(), "outcome" => outcome.to_owned()).increment(1);
    histogram!("omnisync_job_duration_seconds", "kind" => kind.to_owned()).record(took.as_secs_f64());
}

/// A marketplace call: `path` is the API path as called; only its template (`api_name`) becomes a label.
pub fn marketplace_call(channel: &str, path: &str, status: u16, took: Duration) {
    let api = crate::channels::rate_limit::api_name(path);
    counter!(
        "omnisync_marketplace_calls_total",
        "channel" => channel.to_owned(),
        "path" => api.clone(),
        "status" => status.to_string()
    )
    .increment(1);
    histogram!("omnisync_marketplace_call_duration_seconds", "channel" => channel.to_owned(), "path" => api)
        .record(took.as_secs_f64());
}

/// A push round's sending: SKU pushes, the update calls they took, and the fewest the batch maxima allow.
pub fn stock_pushes_sent(channel: &str, pushes: usize, calls: usize, minimum_calls: usize) {
    for (name, value) in [
        ("omnisync_stock_pushes_total", pushes),
        ("omnisync_stock_push_calls_total", calls),
        ("omnisync_stock_push_calls_minimum_total", minimum_calls),
    ] {
        counter!(name, "channel" => channel.to_owned()).increment(value as u64);
    }
}

/// SKU pushes of a round the marketplace refused (or whose call failed).
pub fn stock_pushes_failed(channel: &str, failed: usize) {
    counter!("omnisync_stock_pushes_failed_total", "channel" => channel.to_owned()).increment(failed as u64);
}

/// A change reached a channel after `took` (from when its push was requested to when the channel accepted it).
pub fn push_latency(channel: &str, took: Duration) {
    histogram!("omnisync_push_latency_seconds", "channel" => channel.to_owned()).record(took.as_secs_f64());
}

/// An order pushed by its marketplace was applied `took` after the push reached the hub.
pub fn webhook_to_order(channel: &str, took: Duration) {
    histogram!("omnisync_webhook_to_order_seconds", "channel" => channel.to_owned()).record(took.as_secs_f64());
}

/// A reconciliation found `skus` SKUs whose quantity on the channel was not the hub's.
pub fn drift_found(channel: &str, skus: usize) {
    counter!("omnisync_stock_drift_found_total", "channel" => channel.to_owned()).increment(skus as u64);
}

/// The exposition text: the recorded metrics, the process's own (CPU, memory, file descriptors, threads), and
/// `scraped`, the values read at this scrape. Those are written as they are read (a collector, in Prometheus's
/// terms), not kept: a series the database no longer has (a resolved error code) is simply absent.
pub fn render(scraped: &[Sample]) -> String {
    let Some(handle) = exporter() else { return String::new() };
    process_collector().collect();
    handle.run_upkeep();
    let mut out = handle.render();
    write_scraped(&mut out, scraped);
    out
}

fn write_scraped(out: &mut String, scraped: &[Sample]) {
    use std::fmt::Write as _;
    let mut written = HashSet::new();
    for name in scraped.iter().map(|s| s.name) {
        if !written.insert(name) {
            continue;
        }
        let help = SCRAPED.iter().find(|(n, _)| *n == name).map_or("", |(_, h)| *h);
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        for sample in scraped.iter().filter(|s| s.name == name) {
            let labels: Vec<String> =
                sample.labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape_label(v))).collect();
            let labels = if labels.is_empty() { String::new() } else { format!("{{{}}}", labels.join(",")) };
            let _ = writeln!(out, "{name}{labels} {}", sample.value);
        }
    }
}

/// A label value in the exposition format: backslash, double quote and line feed escaped.
fn escape_label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series_of<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
        text.lines().filter(|l| l.starts_with(prefix)).collect()
    }

    #[test]
    fn durations_are_histograms_and_paths_are_templates() {
        init();
        for id in 0..1_000u64 {
            marketplace_call(
                "tiktok",
                &format!("/product/202309/products/{}", 7_000_000_000 + id),
                200,
                Duration::ZERO,
            );
        }
        job_finished("LINK_PRODUCTS", "completed", Duration::from_millis(10));
        let text = render(&[]);
        assert!(text.contains("# TYPE omnisync_marketplace_call_duration_seconds histogram"), "{text}");
        assert!(text.contains("# TYPE omnisync_job_duration_seconds histogram"), "{text}");
        assert!(text.contains("omnisync_job_duration_seconds_bucket{kind=\"LINK_PRODUCTS\",le=\"0.01\"}"), "{text}");
        let calls = series_of(&text, "omnisync_marketplace_calls_total{channel=\"tiktok\"");
        assert_eq!(
            calls,
            vec![
                "omnisync_marketplace_calls_total{channel=\"tiktok\",path=\"/product/202309/products/{id}\",status=\"200\"} 1000"
            ]
        );
        assert!(text.contains("omnisync_build_info{version=\""), "{text}");
    }

    #[test]
    fn scraped_values_are_written_as_read_with_their_labels_escaped() {
        init();
        let open = |code: &str, n: f64| {
            Sample::new("omnisync_sync_errors_open", vec![("channel_id", "77".into()), ("code", code.into())], n)
        };
        let text = render(&[open("SKU_NOT_FOUND", 3.0), open("A\"B\\C", 1.0)]);
        assert!(text.contains("# TYPE omnisync_sync_errors_open gauge"), "{text}");
        assert!(text.contains("omnisync_sync_errors_open{channel_id=\"77\",code=\"SKU_NOT_FOUND\"} 3"), "{text}");
        assert!(text.contains("omnisync_sync_errors_open{channel_id=\"77\",code=\"A\\\"B\\\\C\"} 1"), "{text}");
        let text = render(&[open("OPTION_MISMATCH", 2.0)]);
        assert!(!text.contains("SKU_NOT_FOUND"), "a series the database no longer has is absent: {text}");
        assert_eq!(text.matches("# TYPE omnisync_sync_errors_open gauge").count(), 1);
    }
}
