//! Prometheus metrics, kept in one process-wide registry and rendered in the text exposition format at
//! `/metrics` (behind a token). Counters and summaries (sum + count) only: cheap, and enough for rates and means.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

type Labels = Vec<(&'static str, String)>;

#[derive(Default)]
struct Registry {
    counters: BTreeMap<(&'static str, Labels), f64>,
    summaries: BTreeMap<(&'static str, Labels), (f64, u64)>,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

fn with<R>(f: impl FnOnce(&mut Registry) -> R) -> R {
    let mut guard = registry().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut guard)
}

/// Help texts, one per metric name.
const HELP: &[(&str, &str)] = &[
    ("omnisync_jobs_total", "Jobs run, by kind and outcome."),
    ("omnisync_job_duration_seconds", "Time to run a job, by kind."),
    (
        "omnisync_marketplace_calls_total",
        "Calls to marketplaces, by channel kind, API path and HTTP status (0: no answer).",
    ),
    ("omnisync_marketplace_call_duration_seconds", "Latency of marketplace calls, by channel kind."),
    ("omnisync_pushes_pending", "Product links waiting for a stock or price push."),
    ("omnisync_stock_pushes_total", "SKU stock and price pushes sent, by channel kind."),
    ("omnisync_stock_push_calls_total", "Marketplace update calls made by stock pushes, by channel kind."),
    (
        "omnisync_stock_push_calls_minimum_total",
        "The fewest update calls the marketplace's batch maxima allow for the same pushes, round by round.",
    ),
    ("omnisync_orders", "Orders in the hub, by channel kind."),
];

pub fn job_finished(kind: &str, outcome: &str, took: Duration) {
    with(|r| {
        *r.counters
            .entry(("omnisync_jobs_total", vec![("kind", kind.to_owned()), ("outcome", outcome.to_owned())]))
            .or_default() += 1.0;
        let s = r.summaries.entry(("omnisync_job_duration_seconds", vec![("kind", kind.to_owned())])).or_default();
        s.0 += took.as_secs_f64();
        s.1 += 1;
    });
}

pub fn marketplace_call(channel: &str, path: &str, status: u16, took: Duration) {
    with(|r| {
        let labels = vec![("channel", channel.to_owned()), ("path", path.to_owned()), ("status", status.to_string())];
        *r.counters.entry(("omnisync_marketplace_calls_total", labels)).or_default() += 1.0;
        let s = r
            .summaries
            .entry(("omnisync_marketplace_call_duration_seconds", vec![("channel", channel.to_owned())]))
            .or_default();
        s.0 += took.as_secs_f64();
        s.1 += 1;
    });
}

/// A push round's sending: SKU pushes, the update calls they took, and the fewest the batch maxima allow.
pub fn stock_pushes_sent(channel: &str, pushes: usize, calls: usize, minimum_calls: usize) {
    with(|r| {
        for (name, value) in [
            ("omnisync_stock_pushes_total", pushes),
            ("omnisync_stock_push_calls_total", calls),
            ("omnisync_stock_push_calls_minimum_total", minimum_calls),
        ] {
            *r.counters.entry((name, vec![("channel", channel.to_owned())])).or_default() += value as f64;
        }
    });
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn label_text(labels: &Labels) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
    format!("{{{}}}", inner.join(","))
}

fn header(out: &mut String, name: &str, kind: &str) {
    let help = HELP.iter().find(|(n, _)| *n == name).map(|(_, h)| *h).unwrap_or("");
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// The exposition text; `gauges` are read at scrape time (from the database) by the caller.
pub fn render(gauges: &[(&'static str, Labels, f64)]) -> String {
    let mut out = String::new();
    with(|r| {
        let mut last = "";
        for ((name, labels), value) in &r.counters {
            if *name != last {
                header(&mut out, name, "counter");
                last = name;
            }
            let _ = writeln!(out, "{name}{} {value}", label_text(labels));
        }
        let mut last = "";
        for ((name, labels), (sum, count)) in &r.summaries {
            if *name != last {
                header(&mut out, name, "summary");
                last = name;
            }
            let _ = writeln!(out, "{name}_sum{} {sum}", label_text(labels));
            let _ = writeln!(out, "{name}_count{} {count}", label_text(labels));
        }
    });
    let mut last = "";
    for (name, labels, value) in gauges {
        if *name != last {
            header(&mut out, name, "gauge");
            last = name;
        }
        let _ = writeln!(out, "{name}{} {value}", label_text(labels));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendering_escapes_labels_and_groups_by_name() {
        marketplace_call("lazada", "/orders/get", 200, Duration::from_millis(5));
        job_finished("LINK_PRODUCTS", "completed", Duration::from_millis(10));
        let text = render(&[("omnisync_pushes_pending", vec![], 3.0)]);
        assert!(text.contains("# TYPE omnisync_marketplace_calls_total counter"));
        assert!(
            text.contains("omnisync_marketplace_calls_total{channel=\"lazada\",path=\"/orders/get\",status=\"200\"}")
        );
        assert!(text.contains("omnisync_job_duration_seconds_count{kind=\"LINK_PRODUCTS\"}"));
        assert!(text.contains("omnisync_pushes_pending 3"));
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
    }
}
