//! A round (collect → send → record) with its totals, rounds one after another (`Rounds`: each recorded while
//! the next one sends), the process-wide push metrics, and the lease name that
//! keeps one channel's rounds from overlapping.

use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;
use tracing::Instrument;

use entity::channel;

use super::collect::{Collected, InFlight, collect};
use super::record::record;
use super::send::{PushOutcome, minimum_calls, send};
use crate::channels::Connector;
use crate::domain::channel::StockPriceUpdate;
use crate::services::effects::{Committed, Effects};
use crate::services::{ServiceError, ServiceResult};

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
    let started = Instant::now();
    let collected = collect(db, channel, round_size(channel.kind), &InFlight::default()).await?;
    match send_collected(channel, connector, collected, started).await {
        Sent::Nothing(report) => Ok(report),
        Sent::ToRecord(sent) => sent.record(db.clone(), channel.clone()).await,
    }
}

/// A channel's rounds one after another, each round's record running while the next one collects and sends (the
/// next collect leaves out the links in flight, or for per-product APIs their products, until they are recorded).
/// Why: collect, send and record in a row made a round of 50 product calls take ~1.5 s where the calls take ~1.2 s
/// at the quota, and the recording, a write transaction, needs no call; under load a pass over the changing
/// products took that much longer. The caller holds the channel's push lease throughout and calls `finish` before
/// releasing it, so no round of another run starts while one is being recorded.
pub struct Rounds<'c> {
    db: DatabaseConnection,
    channel: channel::Model,
    connector: &'c dyn Connector,
    recording: Option<(InFlight, tokio::task::JoinHandle<ServiceResult<Committed<RoundReport>>>)>,
}

impl<'c> Rounds<'c> {
    pub fn new(db: &DatabaseConnection, channel: &channel::Model, connector: &'c dyn Connector) -> Self {
        Self { db: db.clone(), channel: channel.clone(), connector, recording: None }
    }

    /// Runs the next round up to its send and starts its record; returns the report of a round now complete: the
    /// previous one (recorded meanwhile), or this one when it had nothing to send. `None`: nothing was due and no
    /// round is being recorded.
    pub async fn next(&mut self) -> ServiceResult<Option<Committed<RoundReport>>> {
        let started = Instant::now();
        let in_flight = self.recording.as_ref().map(|(in_flight, _)| in_flight.clone()).unwrap_or_default();
        let collected = match collect(&self.db, &self.channel, round_size(self.channel.kind), &in_flight).await {
            Ok(collected) => collected,
            Err(err) => {
                // The round in flight is still recorded before the error goes up.
                if let Err(recording) = self.finish().await {
                    tracing::warn!(channel_id = self.channel.id, error = ?recording, "recording a push round failed");
                }
                return Err(err);
            }
        };
        if collected.links() == 0 {
            // Nothing due beside the round being recorded (whose links may be due again once it is).
            return self.finish().await;
        }
        match send_collected(&self.channel, self.connector, collected, started).await {
            Sent::Nothing(report) => Ok(Some(report)),
            Sent::ToRecord(sent) => {
                let in_flight = sent.in_flight();
                let recording = tokio::spawn(sent.record(self.db.clone(), self.channel.clone()).in_current_span());
                match self.recording.replace((in_flight, recording)) {
                    Some((_, previous)) => joined(previous.await).map(Some),
                    None => Ok(Some(Committed::new(RoundReport::default(), Effects::none()))),
                }
            }
        }
    }

    /// Waits for the round being recorded; its report.
    pub async fn finish(&mut self) -> ServiceResult<Option<Committed<RoundReport>>> {
        match self.recording.take() {
            Some((_, recording)) => joined(recording.await).map(Some),
            None => Ok(None),
        }
    }
}

fn joined<T>(result: Result<ServiceResult<T>, tokio::task::JoinError>) -> ServiceResult<T> {
    result.map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("recording a push round: {e}")))?
}

/// What a round sent, waiting for its record.
struct SentRound {
    collected: Collected,
    outcomes: Vec<PushOutcome>,
    report: RoundReport,
    started: Instant,
    collected_in: Duration,
    sent_in: Duration,
}

enum Sent {
    /// Nothing to send (unchanged or held links only): the round is complete.
    Nothing(Committed<RoundReport>),
    ToRecord(Box<SentRound>),
}

/// Sends what a collect planned.
async fn send_collected(
    channel: &channel::Model,
    connector: &dyn Connector,
    mut collected: Collected,
    started: Instant,
) -> Sent {
    let collected_in = started.elapsed();
    let mut report = RoundReport {
        links: collected.links(),
        unchanged: collected.unchanged,
        held: collected.held,
        ..RoundReport::default()
    };
    if collected.pushes.is_empty() {
        return Sent::Nothing(Committed::new(report, std::mem::take(&mut collected.effects)));
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
    report.sent = collected.pushes.len();
    report.calls = calls;
    Sent::ToRecord(Box::new(SentRound { collected, outcomes, report, started, collected_in, sent_in }))
}

impl SentRound {
    /// What the next collect must leave alone until this round is recorded.
    fn in_flight(&self) -> InFlight {
        InFlight {
            links: self.collected.pushes.iter().map(|p| p.link_id).collect(),
            products: self.collected.pushes.iter().map(|p| p.update.external_product_id.clone()).collect(),
        }
    }

    async fn record(
        self: Box<Self>,
        db: DatabaseConnection,
        channel: channel::Model,
    ) -> ServiceResult<Committed<RoundReport>> {
        let Self { collected, outcomes, mut report, started, collected_in, sent_in } = *self;
        let recording = Instant::now();
        let (recorded, mut effects) = record(&db, &channel, &collected.pushes, &outcomes).await?.into_parts();
        effects.merge(collected.effects);
        // Where a round's time goes (collect and record wait for the database's writer; send for the channel).
        tracing::debug!(
            channel_id = channel.id,
            links = report.links,
            calls = report.calls,
            collect_ms = collected_in.as_millis() as u64,
            send_ms = sent_in.as_millis() as u64,
            record_ms = recording.elapsed().as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            "push round"
        );
        report.succeeded = recorded.succeeded;
        report.failed = recorded.failed;
        Ok(Committed::new(report, effects))
    }
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
