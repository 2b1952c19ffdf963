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
    if collected.pushes.is_empty() {
        return Ok(nothing_to_send(collected));
    }
    send_collected(channel, connector, collected, started.elapsed(), None)
        .await
        .record(db.clone(), channel.clone())
        .await
}

/// A channel's rounds one after another, overlapped where no call is needed: a round's record runs in its own task
/// while the next round sends, and the next round is collected while this one's last calls are in flight (that
/// collect leaves out this round's links, pending until recorded). Why: collect, send and record in a row made a
/// round of 50 product calls take ~1.5 s where the calls take ~1.13 s at the quota, and under load a pass over the
/// changing products took that much longer. The caller holds the channel's push lease throughout and calls
/// `finish` before releasing it, so no round of another run starts while one is being recorded.
pub struct Rounds<'c> {
    db: DatabaseConnection,
    channel: channel::Model,
    connector: &'c dyn Connector,
    recording: Option<Recording>,
    /// The next round, collected during the last one's final calls, and how long that collect took.
    ahead: Option<(Collected, Duration)>,
}

/// The longest a run sleeps before collecting again while its ordinary pushes wait for the rate
/// (`Rounds::defer_ordinary`): a sell-out marked meanwhile waits no longer than this.
const DEFERRED_RECHECK: Duration = Duration::from_millis(200);

type Recording = tokio::task::JoinHandle<ServiceResult<Committed<RoundReport>>>;

impl<'c> Rounds<'c> {
    pub fn new(db: &DatabaseConnection, channel: &channel::Model, connector: &'c dyn Connector) -> Self {
        Self { db: db.clone(), channel: channel.clone(), connector, recording: None, ahead: None }
    }

    /// Sends the next round and starts its record; returns the report of a round now complete: the previous one
    /// (recorded meanwhile), or this one when it had nothing to send. `None`: nothing was due and no round is being
    /// recorded.
    pub async fn next(&mut self) -> ServiceResult<Option<Committed<RoundReport>>> {
        let (collected, collected_in) = match self.ahead.take() {
            Some(ahead) => ahead,
            // Nothing collected ahead: the round being recorded finishes first, so the collect sees its record.
            None if self.recording.is_some() => return self.finish().await,
            None => {
                let started = Instant::now();
                let limit = round_size(self.channel.kind);
                (collect(&self.db, &self.channel, limit, &InFlight::default()).await?, started.elapsed())
            }
        };
        if collected.links() == 0 {
            return self.finish().await;
        }
        if collected.pushes.is_empty() {
            return Ok(Some(nothing_to_send(collected)));
        }
        let mut collected = collected;
        if let Some(wait) = self.defer_ordinary(&mut collected).await
            && collected.pushes.is_empty()
        {
            tokio::time::sleep(wait.min(DEFERRED_RECHECK)).await;
            return Ok(Some(nothing_to_send(collected)));
        }
        let in_flight = InFlight::of(&collected.pushes);
        let previous = self.recording.take();
        let (nearly_done, near_end) = tokio::sync::oneshot::channel();
        let (db, channel) = (&self.db, &self.channel);
        let collect_ahead = async move {
            // Fired as the round's last calls start (or, dropped unsent, when they are done: a short round).
            let _ = near_end.await;
            // The previous round has had a whole round to record: the next collect must see it.
            let previous = match previous {
                Some(recording) => Some(joined(recording.await)),
                None => None,
            };
            let started = Instant::now();
            let ahead = collect(db, channel, round_size(channel.kind), &in_flight).await;
            (previous, ahead.map(|ahead| (ahead, started.elapsed())))
        };
        let sending = send_collected(channel, self.connector, collected, collected_in, Some(nearly_done));
        let (sent, (previous, ahead)) = tokio::join!(sending, collect_ahead);
        self.recording = Some(tokio::spawn(sent.record(self.db.clone(), self.channel.clone()).in_current_span()));
        match ahead {
            Ok(ahead) => self.ahead = Some(ahead),
            Err(err) => {
                // This round is still recorded before the error goes up.
                if let Err(recording) = self.finish().await {
                    tracing::warn!(channel_id = self.channel.id, error = ?recording, "recording a push round failed");
                }
                return Err(err);
            }
        }
        match previous {
            Some(report) => report.map(Some),
            None => Ok(Some(Committed::new(RoundReport::default(), Effects::none()))),
        }
    }

    /// Where the marketplace's quota keeps a reserve for urgent calls (the web store's bucket,
    /// `Marketplace::hub_reserve`), ordinary pushes wait for their turn at the rate before they are sent, not in
    /// the limiter: one waiting there held the next round's sell-out behind it (a round's calls start once the
    /// previous round's have answered) and went out with values computed up to seconds earlier. While an ordinary
    /// call would wait, the round keeps only its urgent pushes (`SendOrder::is_urgent`); the others stay pending
    /// and are collected again, computed afresh, once the rate allows. Returns that wait, if any.
    async fn defer_ordinary(&self, collected: &mut Collected) -> Option<Duration> {
        crate::channels::marketplace(self.channel.kind).hub_reserve()?;
        let wait = self.connector.update_quota_wait().await;
        if wait.is_zero() {
            return None;
        }
        collected.pushes.retain(|p| p.order.is_urgent());
        Some(wait)
    }

    /// Waits for the round being recorded; its report, with the effects of a round collected ahead and not sent
    /// (its links stay due, for the next run).
    pub async fn finish(&mut self) -> ServiceResult<Option<Committed<RoundReport>>> {
        let unsent = self.ahead.take().map(|(collected, _)| collected.effects);
        let recorded = match self.recording.take() {
            Some(recording) => Some(joined(recording.await)?),
            None => None,
        };
        Ok(match (recorded, unsent) {
            (Some(recorded), Some(unsent)) => {
                let (report, mut effects) = recorded.into_parts();
                effects.merge(unsent);
                Some(Committed::new(report, effects))
            }
            (Some(recorded), None) => Some(recorded),
            (None, Some(unsent)) => Some(Committed::new(RoundReport::default(), unsent)),
            (None, None) => None,
        })
    }
}

fn joined<T>(result: Result<ServiceResult<T>, tokio::task::JoinError>) -> ServiceResult<T> {
    result.map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("recording a push round: {e}")))?
}

/// A round whose links needed no call (unchanged, or held by the stale-push guard): complete as collected.
fn nothing_to_send(collected: Collected) -> Committed<RoundReport> {
    Committed::new(collected_report(&collected), collected.effects)
}

/// What a round's collect found, before any call.
fn collected_report(collected: &Collected) -> RoundReport {
    RoundReport {
        links: collected.links(),
        unchanged: collected.unchanged,
        held: collected.held,
        ..RoundReport::default()
    }
}

/// What a round sent, waiting for its record.
struct SentRound {
    collected: Collected,
    outcomes: Vec<PushOutcome>,
    report: RoundReport,
    collected_in: Duration,
    sent_in: Duration,
}

/// Sends what a collect planned (it planned something); `nearly_done` fires as its last calls start.
async fn send_collected(
    channel: &channel::Model,
    connector: &dyn Connector,
    mut collected: Collected,
    collected_in: Duration,
    nearly_done: Option<tokio::sync::oneshot::Sender<()>>,
) -> SentRound {
    let started = Instant::now();
    let mut report = collected_report(&collected);
    let (outcomes, calls) = send(connector, channel.kind, &mut collected.pushes, nearly_done).await;
    let updates: Vec<StockPriceUpdate> = collected.pushes.iter().map(|p| p.update.clone()).collect();
    crate::metrics::stock_pushes_sent(
        crate::channels::marketplace(channel.kind).slug,
        updates.len(),
        calls,
        minimum_calls(channel.kind, &updates),
    );
    report.sent = collected.pushes.len();
    report.calls = calls;
    SentRound { collected, outcomes, report, collected_in, sent_in: started.elapsed() }
}

impl SentRound {
    async fn record(self, db: DatabaseConnection, channel: channel::Model) -> ServiceResult<Committed<RoundReport>> {
        let Self { collected, outcomes, mut report, collected_in, sent_in } = self;
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
            "push round"
        );
        report.succeeded = recorded.succeeded;
        report.failed = recorded.failed;
        Ok(Committed::new(report, effects))
    }
}

/// Links a round of the channel takes: about 0.75 s of calls at the hub's rate (`domain::stock_push::round_size`).
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
