//! Send, the second step of a round: the planned pushes, most urgent first, in batches of the API's maximum (a
//! per-product API never gets a product split across calls), one outcome per push.

use std::collections::HashMap;

use futures::StreamExt;

use serde_json::json;

use entity::enums::ChannelKind;

use super::collect::PlannedPush;
use super::now;
use crate::channels::{Connector, ConnectorError};
use crate::domain::channel::StockPriceUpdate;
use crate::domain::stock_push::SendOrder;

/// The channel's answer for one push.
#[derive(Debug, Clone)]
pub struct PushOutcome {
    pub ok: bool,
    pub error: Option<String>,
    pub response: serde_json::Value,
    /// Until when a request of this push or an earlier one may still be applied by the channel (the hub gave up
    /// on its answer): the link is pushed once more after that.
    pub in_doubt_until: Option<chrono::DateTime<chrono::Utc>>,
    /// When the channel answered: the push's time in the history (the channel shows the value from then on; the
    /// round records its pushes together after its last call).
    pub answered_at: chrono::DateTime<chrono::Utc>,
}

/// SKUs per call for a kind: the API's batch maximum where it has one (Shopee and TikTok group by product
/// inside the connector, so a chunk sorted by product costs one call per product).
pub fn chunk_size(kind: ChannelKind) -> usize {
    crate::channels::marketplace(kind).updates.max_skus_per_call
}

/// Fewest calls the API allows for these updates (the benchmark's yardstick).
pub fn minimum_calls(kind: ChannelKind, updates: &[StockPriceUpdate]) -> usize {
    crate::channels::marketplace(kind).updates.minimum_calls(updates)
}

/// Whether the kind's update API takes one product per call (so a batch must not split a product).
pub(super) fn updates_per_product(kind: ChannelKind) -> bool {
    crate::channels::marketplace(kind).updates.one_product_per_call
}

/// The batches to send, as ranges of `pushes` (each product's pushes together): fixed-size chunks of the API's maximum, or for
/// per-product APIs one product at a time (split only when it has more SKUs than one call takes), so that no
/// product costs two calls where one would do.
fn batches(kind: ChannelKind, products: &[&str]) -> Vec<std::ops::Range<usize>> {
    let max = chunk_size(kind).max(1);
    let mut out = Vec::new();
    let mut start = 0;
    while start < products.len() {
        let mut end = (start + max).min(products.len());
        if updates_per_product(kind) {
            end = start + products[start..end].iter().take_while(|p| **p == products[start]).count();
        }
        out.push(start..end);
        start = end;
    }
    out
}

/// The sending order, most urgent first (sell-outs, then lowerings by relative drop, prices, raises:
/// `domain::stock_push::send_order`). Where a call updates one product, a product goes at its most urgent push's
/// place with all its pushes together (one call, never split); batch APIs take any SKUs together, so each push
/// goes at its own place (grouped by product within it, then by link).
fn sort_for_sending(kind: ChannelKind, pushes: &mut [PlannedPush]) {
    if !updates_per_product(kind) {
        pushes.sort_by_cached_key(|p| (p.order, p.update.external_product_id.clone(), p.link_id));
        return;
    }
    let mut most_urgent: HashMap<String, SendOrder> = HashMap::new();
    for p in pushes.iter() {
        most_urgent
            .entry(p.update.external_product_id.clone())
            .and_modify(|o| *o = (*o).min(p.order))
            .or_insert(p.order);
    }
    pushes.sort_by_cached_key(|p| {
        (most_urgent[&p.update.external_product_id], p.update.external_product_id.clone(), p.order, p.link_id)
    });
}

/// Calls of one round in flight at once. One at a time, a call's round trip (tens of milliseconds under load)
/// and not the hub's rate bounded a per-product API: Shopee and TikTok were pushed at ~25 calls/s against a rate of
/// 40, and a pass over 1,000 changed products took ~40 s instead of 25. The rate limiter still spaces the calls.
const CALLS_IN_FLIGHT: usize = 4;

/// The next round is collected while this many calls of a round remain (`send`'s `nearly_done`): about 200 ms at
/// the hub's 40 calls/s, what a collect takes under load, so the next round's calls follow at once, while a sell-out
/// marked during all but the round's last moments still goes in the next round.
const CALLS_BEFORE_THE_END: usize = 8;

/// Sends the planned pushes in batches, in their sending order (`sort_for_sending`), up to `CALLS_IN_FLIGHT` calls
/// at once: a round holds each SKU once, so no two calls in flight carry the same SKU. A call that fails as a
/// whole fails each of its SKUs with the call's error. Returns one outcome per push, in the pushes' order, and the
/// calls made.
///
/// A call during which the connector gave up on a request (its timeout fired: the marketplace may still apply
/// it, later than anything sent after it) leaves its pushes in doubt — and with calls in flight together, theirs
/// too, since which call gave up is not known — as does an earlier push in doubt past the moment this one was
/// sent; `record` keeps such links due until the doubt ends.
///
/// `nearly_done` fires as the last `CALLS_BEFORE_THE_END` batches start (a round of no more calls than that: when it
/// is done, as the sender drops): the next round is collected meanwhile.
pub async fn send(
    connector: &dyn Connector,
    kind: ChannelKind,
    pushes: &mut [PlannedPush],
    mut nearly_done: Option<tokio::sync::oneshot::Sender<()>>,
) -> (Vec<PushOutcome>, usize) {
    sort_for_sending(kind, pushes);
    let products: Vec<&str> = pushes.iter().map(|p| p.update.external_product_id.as_str()).collect();
    let pushes: &[PlannedPush] = pushes;
    let batches = batches(kind, &products);
    // A round of fewer calls signals nothing and the next round is collected when it is done: collected at its
    // start, a change made during a slow call (a timeout and its retries) would wait a round more.
    let last_ones =
        if batches.len() > CALLS_BEFORE_THE_END { batches.len() - CALLS_BEFORE_THE_END } else { usize::MAX };
    let answers: Vec<(Vec<PushOutcome>, usize)> = futures::stream::iter(batches.into_iter().enumerate())
        .map(|(i, range)| {
            if i >= last_ones
                && let Some(signal) = nearly_done.take()
            {
                let _ = signal.send(());
            }
            let batch = &pushes[range];
            send_batch(connector, batch, batch.iter().any(|p| p.order.is_urgent()))
        })
        .buffered(CALLS_IN_FLIGHT)
        .collect()
        .await;
    let mut outcomes = Vec::with_capacity(pushes.len());
    let mut calls = 0;
    for (batch, batch_calls) in answers {
        outcomes.extend(batch);
        calls += batch_calls;
    }
    (outcomes, calls)
}

/// One call (or, where the connector splits it, a few) for a batch of pushes; an outcome per push, in order. An
/// `urgent` batch (a sell-out or a steep lowering in it) may spend the marketplace's bucket reserve.
async fn send_batch(connector: &dyn Connector, chunk: &[PlannedPush], urgent: bool) -> (Vec<PushOutcome>, usize) {
    let updates: Vec<StockPriceUpdate> = chunk.iter().map(|p| p.update.clone()).collect();
    let (sent_at, doubt_before) = (now(), connector.requests_in_doubt_until());
    let call = connector.update_stock_price(&updates);
    let result = if urgent { crate::channels::rate_limit::urgent(call).await } else { call.await };
    let answered_at = now();
    let doubt_after = connector.requests_in_doubt_until();
    let new_doubt = doubt_after.filter(|_| doubt_after != doubt_before).map(wall_clock);
    let in_doubt = |p: &PlannedPush| new_doubt.max(p.in_doubt_until.filter(|until| *until > sent_at));
    match result {
        Ok(report) => {
            let mut by_sku: HashMap<&str, Vec<&crate::domain::channel::SkuUpdateResult>> = HashMap::new();
            for r in &report.results {
                by_sku.entry(r.external_sku_id.as_str()).or_default().push(r);
            }
            let outcomes = chunk
                .iter()
                .map(|p| {
                    let result = by_sku
                        .get_mut(p.update.external_sku_id.as_str())
                        .and_then(|v| (!v.is_empty()).then(|| v.remove(0)));
                    let in_doubt_until = in_doubt(p);
                    match result {
                        Some(r) => PushOutcome {
                            ok: r.ok,
                            error: r.error.clone(),
                            response: json!({ "ok": r.ok, "error": r.error, "calls": report.calls }),
                            in_doubt_until,
                            answered_at,
                        },
                        None => PushOutcome {
                            ok: false,
                            error: Some("the channel did not report on this SKU".into()),
                            response: json!({ "calls": report.calls }),
                            in_doubt_until,
                            answered_at,
                        },
                    }
                })
                .collect();
            (outcomes, report.calls)
        }
        Err(err) => {
            let message = err.to_string();
            let kind = connector_error_kind(&err);
            let outcomes = chunk
                .iter()
                .map(|p| PushOutcome {
                    ok: false,
                    error: Some(message.clone()),
                    response: json!({ "error": message, "kind": kind }),
                    in_doubt_until: in_doubt(p),
                    answered_at,
                })
                .collect();
            (outcomes, 1)
        }
    }
}

/// The wall-clock time of a monotonic instant (now, if it has passed).
fn wall_clock(instant: std::time::Instant) -> chrono::DateTime<chrono::Utc> {
    let ahead = instant.saturating_duration_since(std::time::Instant::now());
    now() + chrono::Duration::from_std(ahead).unwrap_or_else(|_| chrono::Duration::zero())
}

fn connector_error_kind(err: &ConnectorError) -> &'static str {
    match err {
        ConnectorError::Auth { .. } => "AUTH",
        ConnectorError::TokenExpired { .. } => "TOKEN_EXPIRED",
        ConnectorError::RateLimited { .. } => "RATE_LIMITED",
        ConnectorError::Api { .. } => "API",
        ConnectorError::Server { .. } => "SERVER",
        ConnectorError::Transport { .. } => "TRANSPORT",
        ConnectorError::Parse { .. } => "PARSE",
        ConnectorError::BadWebhook(_) => "BAD_WEBHOOK",
        ConnectorError::Unsupported(_) => "UNSUPPORTED",
        ConnectorError::Config(_) => "CONFIG",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_fill_the_api_maximum_and_never_split_a_product_for_per_product_apis() {
        // 30 SKUs of product A, 30 of B, 60 of C (sorted by product, as `send` sorts them).
        let products: Vec<&str> = std::iter::repeat_n("A", 30)
            .chain(std::iter::repeat_n("B", 30))
            .chain(std::iter::repeat_n("C", 60))
            .collect();
        let lazada = batches(ChannelKind::Lazada, &products);
        assert_eq!(lazada, vec![0..50, 50..100, 100..120], "fixed chunks of 50 across products");
        let max = chunk_size(ChannelKind::Tiktok);
        let tiktok = batches(ChannelKind::Tiktok, &products);
        assert!(
            tiktok.iter().all(|r| products[r.clone()].iter().all(|p| *p == products[r.start])),
            "one product per batch: {tiktok:?}"
        );
        assert!(tiktok.iter().all(|r| r.len() <= max));
        assert_eq!(
            tiktok.iter().map(std::iter::ExactSizeIterator::len).sum::<usize>(),
            products.len(),
            "every push in exactly one batch"
        );
        let calls_for_c = tiktok.iter().filter(|r| products[r.start] == "C").count();
        assert_eq!(calls_for_c, 60usize.div_ceil(max), "a product larger than one call is split only as needed");
        assert!(batches(ChannelKind::Shopee, &[]).is_empty());
    }
}
