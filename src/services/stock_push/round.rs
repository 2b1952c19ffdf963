//! A round (collect → send → record) with its totals, the process-wide push metrics, and the lease name that
//! keeps one channel's rounds from overlapping.

use sea_orm::DatabaseConnection;

use entity::channel;

use super::collect::collect;
use super::record::record;
use super::send::{minimum_calls, send};
use crate::channels::Connector;
use crate::domain::channel::StockPriceUpdate;
use crate::services::ServiceResult;
use crate::services::effects::Committed;

/// Totals of one push round.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub links: usize,
    pub sent: usize,
    pub succeeded: usize,
    pub failed: usize,
    pub unchanged: usize,
    pub held: usize,
    pub calls: usize,
}

/// Collect → send → record, once. The caller holds the channel's push lease. Effects: the live events of what
/// was pushed (`record`).
pub async fn round(
    db: &DatabaseConnection,
    channel: &channel::Model,
    connector: &dyn Connector,
) -> ServiceResult<Committed<RoundReport>> {
    let started = std::time::Instant::now();
    let mut collected = collect(db, channel, round_size(channel.kind)).await?;
    let collected_in = started.elapsed();
    let mut report = RoundReport {
        links: collected.links(),
        unchanged: collected.unchanged,
        held: collected.held,
        ..RoundReport::default()
    };
    if collected.pushes.is_empty() {
        return Ok(Committed::new(report, collected.effects));
    }
    let (outcomes, calls) = send(connector, channel.kind, &mut collected.pushes).await;
    let sent_in = started.elapsed() - collected_in;
    let updates: Vec<StockPriceUpdate> = collected.pushes.iter().map(|p| p.update.clone()).collect();
    crate::metrics::stock_pushes_sent(
        crate::channels::marketplace(channel.kind).slug,
        updates.len(),
        calls,
        minimum_calls(channel.kind, &updates),
    );
    let (recorded, mut effects) = record(db, channel, &collected.pushes, &outcomes).await?.into_parts();
    effects.merge(collected.effects);
    report.sent = collected.pushes.len();
    report.calls = calls;
    // Where a round's time goes (collect and record wait for the database's writer; send for the channel).
    tracing::debug!(
        channel_id = channel.id,
        links = report.links,
        calls,
        collect_ms = collected_in.as_millis() as u64,
        send_ms = sent_in.as_millis() as u64,
        record_ms = (started.elapsed() - collected_in - sent_in).as_millis() as u64,
        "push round"
    );
    report.succeeded = recorded.succeeded;
    report.failed = recorded.failed;
    Ok(Committed::new(report, effects))
}

/// Links a round of the channel takes: about a second of calls at the hub's rate (`domain::stock_push::round_size`).
pub fn round_size(kind: entity::enums::ChannelKind) -> u64 {
    let m = crate::channels::marketplace(kind);
    crate::domain::stock_push::round_size(
        m.hub_rate_per_second,
        m.updates.max_skus_per_call,
        m.updates.one_product_per_call,
    )
}

/// The lease name serialising one channel's pushes (and reconciliations).
pub fn lease_name(channel_id: i64) -> String {
    format!("stock-push:{channel_id}")
}
