//! ORDER_FETCH and ORDER_POLL runs. Both end in `services::orders::apply_channel_order`, the one idempotent
//! upsert, so an order reached by a webhook, by polling and by a resync — in any order, any number of times, or
//! again after a crash — is stored once with the channel's newest state.
//!
//! - ORDER_FETCH without input drains the channel's webhook inbox: fetches every order with unprocessed events
//!   (in the API's batches) and applies it, marking the events processed. With `externalIds` it resyncs those.
//! - ORDER_POLL pulls Tiki's event queue (Tiki has no push), lists the orders updated in the windows of
//!   `domain::orders::poll_plan` (fresh since the cursor, and once more each stretch that has settled; the first
//!   run reaches back `orderBackfillDays`), then, holding the lease, drains the inbox, fetches what the hub does
//!   not hold yet, re-syncs orders kept with unlinked lines whose products got linked, and moves the cursor and
//!   `ordersReconciledUntil`.
//!
//! Both hold the channel's orders lease while they import: one channel's imports never run twice at once (they
//! would fetch the same orders) and a busy channel never fills every worker slot. A drain that finds the lease
//! taken ends at once; the holder, after releasing it, queues another drain if events are still waiting. A drain
//! is bounded (`MAX_DRAIN_ROUNDS`), so polls get their turn on a channel that never stops pushing.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use entity::enums::{ChannelStatus, SyncRunKind, SyncRunStatus};
use entity::{channel, order, sync_run};

use super::effects::{after_commit, after_commit_queued};
use crate::channels::Connector;
use crate::context::AppContext;
use crate::domain::actor::Actor;
use crate::domain::channel::{OrderRef, OrderTimeField};
use crate::domain::errors::ErrorCode;
use crate::domain::orders as rules;
use crate::services::effects::{Committed, Effects};
use crate::services::orders::{self as service, Applied, EventsAnswered};
use crate::services::sync_runs::{self, Counters};
use crate::services::{ServiceError, ServiceResult, channels, leases, webhooks};

/// Orders handed to the connector at once (each splits them into its API's batch maximum: the web store takes
/// 100, Lazada, Shopee and TikTok 50) and applied between two progress updates.
const FETCH_BATCH: usize = 100;
/// Orders read from the inbox per round.
const INBOX_ROUND: usize = 500;
/// Orders kept with unlinked lines re-synced per poll.
const RELINK_LIMIT: u64 = 500;
/// Rounds of `INBOX_ROUND` orders one drain applies before it hands over (the next drain is queued at once).
const MAX_DRAIN_ROUNDS: usize = 4;
/// The orders lease lasts this long without renewal (renewed every batch).
const ORDERS_LEASE_TTL_SECS: i64 = 60;
/// How long a poll waits for a drain of its channel to finish; after that the poll leaves its window (the cursor
/// does not move) to the next one.
const POLL_LEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// A spawned task that ends with its handle: a fetch ahead is not left running when its run fails.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn orders_lease(channel_id: i64) -> String {
    format!("orders:{channel_id}")
}

/// How long before its push an order may have changed on the channel (marketplaces push within seconds; an order
/// outside this margin is still fetched, one detail call each).
const PUSH_DELAY_MARGIN_SECS: i64 = 120;

/// How often a channel is polled: its `orderPollIntervalSeconds`, else its marketplace's default (a marketplace
/// without push, whose event queue is pulled, more often).
pub fn poll_every(channel: &channel::Model) -> chrono::Duration {
    crate::domain::channel_settings::order_poll_interval(
        channel.order_poll_interval_seconds,
        crate::channels::marketplace(channel.kind).orders.poll_every_seconds,
    )
}

/// Input of an ORDER_FETCH run: the orders to resync; none = drain the webhook inbox.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchInput {
    pub external_ids: Option<Vec<String>>,
}

/// Queues an inbox drain for the channel unless one is waiting to start (a waiting run will read every event
/// stored before it starts; a running one may already have read past them, so it does not count).
pub async fn enqueue_inbox_fetch(ctx: &AppContext, channel_id: i64) -> ServiceResult<Option<sync_run::Model>> {
    let waiting = sync_run::Entity::find()
        .filter(sync_run::Column::Kind.eq(SyncRunKind::OrderFetch))
        .filter(sync_run::Column::ChannelId.eq(channel_id))
        .filter(sync_run::Column::Status.eq(SyncRunStatus::Created))
        .filter(sync_run::Column::Input.is_null())
        .one(&ctx.db)
        .await?;
    if waiting.is_some() {
        return Ok(None);
    }
    super::enqueue_run(ctx, SyncRunKind::OrderFetch, Some(channel_id), None).await.map(Some)
}

/// Pushed orders waiting this long with no drain under way get one from the scheduler: the drain their push
/// queued may have failed, or its queueing may have (the push is stored either way).
const INBOX_RESCUE_AFTER_SECS: i64 = 5;

/// Scheduled work: an ORDER_POLL for every connected channel that is due (never two at once per channel), and a
/// drain of pushed orders left waiting.
pub async fn schedule(ctx: &AppContext, channels: &[channel::Model]) -> ServiceResult<usize> {
    let now = Utc::now();
    let mut enqueued = 0;
    let waiting = webhooks::oldest_unprocessed(&ctx.db).await?;
    for c in channels {
        let stranded =
            waiting.get(&c.id).is_some_and(|at| now - *at >= chrono::Duration::seconds(INBOX_RESCUE_AFTER_SECS));
        if stranded
            && super::scheduler::enqueue_unless_active(ctx, SyncRunKind::OrderFetch, c.id, None).await?.is_some()
        {
            tracing::info!(channel_id = c.id, "pushed orders were left waiting: draining them");
            enqueued += 1;
        }
        let due = c.orders_cursor_at.is_none_or(|at| now - at >= poll_every(c));
        if due && super::scheduler::enqueue_unless_active(ctx, SyncRunKind::OrderPoll, c.id, None).await?.is_some() {
            enqueued += 1;
            continue;
        }
        // Orders kept for unlinked lines are re-synced as soon as their products are linked, not at the next poll.
        let relinked = service::orders_with_newly_linked_lines(&ctx.db, c.id, RELINK_LIMIT).await?;
        if !relinked.is_empty() {
            let input =
                serde_json::to_value(FetchInput { external_ids: Some(relinked) }).map_err(anyhow::Error::from)?;
            if super::scheduler::enqueue_unless_active(ctx, SyncRunKind::OrderFetch, c.id, Some(input)).await?.is_some()
            {
                enqueued += 1;
            }
        }
    }
    Ok(enqueued)
}

/// Re-applies the channel's orders whose status no mapping knew (after its mapping changed): the channel's same
/// update applies again under the new mapping, which resolves ORDER_STATUS_UNRECOGNIZED. `None`: nothing to do.
pub async fn remap_unrecognized(ctx: &AppContext, channel_id: i64) -> ServiceResult<Option<sync_run::Model>> {
    let ids =
        service::orders_with_open_error(&ctx.db, channel_id, service::codes::STATUS_UNRECOGNIZED, RELINK_LIMIT).await?;
    if ids.is_empty() {
        return Ok(None);
    }
    let input = serde_json::to_value(FetchInput { external_ids: Some(ids) }).map_err(anyhow::Error::from)?;
    super::enqueue_run(ctx, SyncRunKind::OrderFetch, Some(channel_id), Some(input)).await.map(Some)
}

async fn connected_channel(ctx: &AppContext, run: &sync_run::Model) -> ServiceResult<channel::Model> {
    let id = run.channel_id.ok_or_else(|| ServiceError::Unexpected(anyhow::anyhow!("this run has no channel")))?;
    let channel = channels::get(&ctx.db, id)
        .await?
        .ok_or_else(|| ServiceError::rejected(&["channelId"], ErrorCode::NotFound, "the channel was deleted"))?;
    if channel.status != ChannelStatus::Connected {
        return Err(ServiceError::rejected(
            &["channelId"],
            ErrorCode::InvalidState,
            format!("\"{}\" is not connected ({}): its orders are not synced", channel.name, channel.status.as_str()),
        ));
    }
    Ok(channel)
}

struct Importer<'a> {
    ctx: &'a AppContext,
    run: &'a sync_run::Model,
    channel: channel::Model,
    connector: std::sync::Arc<dyn Connector>,
    counters: Counters,
    /// The orders lease's owner (this run's job).
    owner: String,
}

impl Importer<'_> {
    /// Fetches `ids` in batches and applies them, a batch per transaction; the webhook events `answered` covers
    /// are answered by it. The next batch is fetched while the current one is applied (the channel's API and the
    /// database are both waited on, one would otherwise idle while the other works).
    async fn fetch_and_apply(&mut self, ids: &[String], answered: Option<&EventsAnswered>) -> ServiceResult<()> {
        let chunks: Vec<Vec<String>> = ids.chunks(FETCH_BATCH).map(<[String]>::to_vec).collect();
        let connector = self.connector.clone();
        let fetch = |chunk: &Vec<String>| {
            let (connector, chunk) = (connector.clone(), chunk.clone());
            AbortOnDrop(tokio::spawn(async move {
                let started = std::time::Instant::now();
                let fetched = connector.get_orders(&chunk).await;
                (fetched, started.elapsed())
            }))
        };
        let mut pending = chunks.first().map(fetch);
        for (i, chunk) in chunks.iter().enumerate() {
            // A shutdown stops between batches: each batch commits whole, and the run resumes elsewhere.
            self.ctx.shutdown.check()?;
            let Some(mut handle) = pending.take() else { break };
            let (fetched, fetch_time) =
                (&mut handle.0).await.map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("fetching orders: {e}")))?;
            let orders = fetched.map_err(|e| {
                ServiceError::Unexpected(anyhow::anyhow!("fetching orders from \"{}\": {e}", self.channel.name))
            })?;
            pending = chunks.get(i + 1).map(fetch);
            let started = std::time::Instant::now();
            self.apply_fetched(chunk, orders, answered).await?;
            tracing::debug!(
                channel_id = self.channel.id,
                orders = chunk.len(),
                fetch_ms = fetch_time.as_millis() as u64,
                apply_ms = started.elapsed().as_millis() as u64,
                "order batch imported"
            );
        }
        Ok(())
    }

    /// Applies one fetched batch (`chunk`: the ids asked for) and records the run's progress.
    async fn apply_fetched(
        &mut self,
        chunk: &[String],
        orders: Vec<crate::domain::channel::ChannelOrder>,
        answered: Option<&EventsAnswered>,
    ) -> ServiceResult<()> {
        self.counters.total += chunk.len() as i64;
        // Whatever started the run (webhook, poll, resync), what it applies is what the channel said.
        let actor = Actor::channel(&self.channel.name);
        let committed = service::apply_channel_orders(&self.ctx.db, &actor, &self.channel, &orders, answered).await?;
        let applied = after_commit_queued(self.ctx, committed).await;
        let returned: HashSet<&str> = orders.iter().map(|co| co.external_id.as_str()).collect();
        for applied in &applied {
            match applied {
                Applied::Imported(_) | Applied::Updated(_) | Applied::Unchanged(_) => self.counters.succeeded += 1,
                Applied::Stale(_) | Applied::BeforeBackfill => self.counters.skipped += 1,
                Applied::NotImported(_) => self.counters.failed += 1,
            }
        }
        for id in chunk.iter().filter(|id| !returned.contains(id.as_str())) {
            self.counters.failed += 1;
            let message = format!("\"{}\" announced order {id}, but does not return it", self.channel.name);
            let raised = service::open_error(
                &self.ctx.db,
                self.channel.id,
                None,
                service::codes::NOT_FOUND_ON_CHANNEL,
                &message,
                Some(serde_json::json!({ "externalOrderId": id })),
            )
            .await?;
            let mut effects = Effects::none();
            effects.publish_all(raised);
            if let Some(answered) = answered {
                service::mark_events_processed(&self.ctx.db, self.channel.id, id, answered, Some(&message)).await?;
                // Its events are answered: pushes held for them go.
                effects.pushes_became_due();
            }
            after_commit(self.ctx, Committed::new((), effects));
        }
        self.counters.processed += chunk.len() as i64;
        sync_runs::record_progress(&self.ctx.db, self.run.id, self.counters).await?;
        if !leases::acquire(
            &self.ctx.db,
            &orders_lease(self.channel.id),
            &self.owner,
            chrono::Duration::seconds(ORDERS_LEASE_TTL_SECS),
        )
        .await?
        {
            return Err(ServiceError::Unexpected(anyhow::anyhow!(
                "the orders lease of channel {} was lost mid-run",
                self.channel.id
            )));
        }
        Ok(())
    }

    /// Applies orders with unprocessed webhook events, until none is left that this run has not tried or it has
    /// done `MAX_DRAIN_ROUNDS` rounds.
    async fn drain_inbox(&mut self) -> ServiceResult<()> {
        let mut attempted = HashSet::new();
        for _ in 0..MAX_DRAIN_ROUNDS {
            let pending = webhooks::pending_orders(&self.ctx.db, self.channel.id, INBOX_ROUND).await?;
            let fresh: Vec<String> = pending.ids.into_iter().filter(|id| attempted.insert(id.clone())).collect();
            if fresh.is_empty() {
                return Ok(());
            }
            let mut answered = EventsAnswered::received_by(pending.cutoff);
            let mut pushes = Vec::new();
            if self.connector.pushes_carry_orders() {
                // The orders applied may be these bodies: only the events read are answered (one committed since
                // waits for the next drain, rather than being answered by an older body).
                let read = webhooks::pending_payloads(&self.ctx.db, self.channel.id, &fresh, pending.cutoff).await?;
                answered.only = Some(std::sync::Arc::new(read.iter().map(|(id, _)| *id).collect()));
                pushes = read.into_iter().map(|(_, body)| body).collect();
            }
            if let Some(received) = pending.oldest_received_at {
                // The orders changed on the channel shortly before their push arrived.
                let since = received - chrono::Duration::seconds(PUSH_DELAY_MARGIN_SECS);
                if let Err(err) = self.connector.prefetch_orders(&fresh, since, &pushes).await {
                    // Only a shortcut: `get_orders` below still fetches every order.
                    tracing::warn!(channel_id = self.channel.id, error = %err, "prefetching pushed orders failed");
                }
            }
            self.fetch_and_apply(&fresh, Some(&answered)).await?;
            let (slug, now) = (crate::channels::marketplace(self.channel.kind).slug, Utc::now());
            for received in fresh.iter().filter_map(|id| pending.first_received_at.get(id)) {
                crate::metrics::webhook_to_order(slug, (now - *received).to_std().unwrap_or_default());
            }
        }
        Ok(())
    }

    /// Runs `work` holding the channel's orders lease, waiting up to `wait` for it. `false`: another run holds it
    /// (nothing was done). After releasing, queues a drain if pushed orders are still waiting.
    async fn with_lease<F>(&mut self, wait: std::time::Duration, work: F) -> ServiceResult<bool>
    where
        F: for<'b> FnOnce(&'b mut Self) -> std::pin::Pin<Box<dyn Future<Output = ServiceResult<()>> + Send + 'b>>,
    {
        let lease = orders_lease(self.channel.id);
        let ttl = chrono::Duration::seconds(ORDERS_LEASE_TTL_SECS);
        if !leases::acquire_within(&self.ctx.db, &lease, &self.owner, ttl, wait).await? {
            tracing::debug!(
                channel_id = self.channel.id,
                run_id = self.run.id,
                "another run is importing this channel's orders"
            );
            return Ok(false);
        }
        let outcome = work(self).await;
        leases::release(&self.ctx.db, &lease, &self.owner).await?;
        outcome?;
        // Events stored while we held the lease may have found their drain ending at once: queue the next one.
        if webhooks::unprocessed_count(&self.ctx.db, self.channel.id).await? > 0 {
            enqueue_inbox_fetch(self.ctx, self.channel.id).await?;
        }
        Ok(true)
    }
}

async fn importer<'a>(ctx: &'a AppContext, run: &'a sync_run::Model) -> ServiceResult<Importer<'a>> {
    let channel = connected_channel(ctx, run).await?;
    let connector = channels::connector_for(ctx, &channel).await?;
    let owner = run.job_id.clone().unwrap_or_else(|| format!("run-{}", run.id));
    Ok(Importer { ctx, run, channel, connector, counters: Counters::default(), owner })
}

pub async fn run_fetch(ctx: &AppContext, run: &sync_run::Model) -> ServiceResult<()> {
    let input: FetchInput =
        run.input.clone().map(serde_json::from_value).transpose().map_err(anyhow::Error::from)?.unwrap_or_default();
    let mut importer = importer(ctx, run).await?;
    match input.external_ids {
        // A resync names its orders: it waits its turn rather than dropping them.
        Some(ids) => {
            let ids = std::sync::Arc::new(ids);
            let done = importer
                .with_lease(POLL_LEASE_WAIT, |i| {
                    Box::pin(async move {
                        let answered = EventsAnswered::received_by(Utc::now());
                        i.fetch_and_apply(&ids, Some(&answered)).await
                    })
                })
                .await?;
            if done { Ok(()) } else { Err(busy(&importer.channel)) }
        }
        None => importer.with_lease(std::time::Duration::ZERO, |i| Box::pin(i.drain_inbox())).await.map(|_| ()),
    }
}

/// A run that could not take the orders lease in time: it fails, and the work stays for the next run.
fn busy(channel: &channel::Model) -> ServiceError {
    ServiceError::rejected(
        &["channelId"],
        ErrorCode::InvalidState,
        format!("\"{}\" is busy importing orders; try again in a moment", channel.name),
    )
}

pub async fn run_poll(ctx: &AppContext, run: &sync_run::Model) -> ServiceResult<()> {
    let mut importer = importer(ctx, run).await?;
    let channel = importer.channel.clone();
    let marketplace = crate::channels::marketplace(channel.kind);
    if marketplace.orders.event_queue {
        let events = importer.connector.drain_events().await.map_err(|e| {
            ServiceError::Unexpected(anyhow::anyhow!("pulling {}'s event queue: {e}", marketplace.name))
        })?;
        webhooks::store_events(&ctx.db, channel.id, &events).await?;
    }
    // Listing needs no lease: drains of this channel go on meanwhile; what is applied waits for the lease.
    let plan = rules::poll_plan(
        channel.orders_cursor_at,
        channel.orders_reconciled_until,
        // Listed by update time from the backfill start; the import refuses orders placed before it.
        rules::backfill_start(channel.connected_at.unwrap_or(channel.created_at), channel.order_backfill_days),
        Utc::now(),
        chrono::Duration::seconds(i64::from(channel.order_poll_overlap_seconds.max(0))),
    );
    let mut refs = Vec::new();
    for (from, to) in &plan.windows {
        refs.extend(
            importer.connector.list_orders(*from, *to, OrderTimeField::Updated).await.map_err(|e| {
                ServiceError::Unexpected(anyhow::anyhow!("listing orders of \"{}\": {e}", channel.name))
            })?,
        );
    }
    let done = importer.with_lease(POLL_LEASE_WAIT, |i| Box::pin(poll(i, refs, plan))).await?;
    if done { Ok(()) } else { Err(busy(&importer.channel)) }
}

async fn poll(importer: &mut Importer<'_>, refs: Vec<OrderRef>, plan: rules::PollPlan) -> ServiceResult<()> {
    let ctx = importer.ctx;
    let run = importer.run;
    let channel = importer.channel.clone();
    importer.drain_inbox().await?;
    let known: HashMap<String, (Option<DateTime<Utc>>, Option<String>)> = {
        let mut known = HashMap::new();
        for chunk in refs.chunks(500) {
            let ids: Vec<String> = chunk.iter().map(|r| r.external_id.clone()).collect();
            for o in order::Entity::find()
                .filter(order::Column::ChannelId.eq(channel.id))
                .filter(order::Column::ExternalId.is_in(ids))
                .all(&ctx.db)
                .await?
            {
                known.insert(o.external_id, (o.channel_updated_at, o.channel_status));
            }
        }
        known
    };
    // Orders the hub already holds at this update (the overlap, and orders a webhook brought) are not fetched.
    let mut wanted = Vec::new();
    let mut wanted_once = HashSet::new();
    let mut held = 0;
    for r in &refs {
        let up_to_date = match (known.get(&r.external_id), r.updated_at.map(crate::domain::orders::stored_time)) {
            (Some((Some(held_at), held_status)), Some(at)) => {
                at <= *held_at && (r.status_raw.is_none() || r.status_raw == *held_status || at < *held_at)
            }
            _ => false,
        };
        if up_to_date {
            held += 1;
        } else if wanted_once.insert(r.external_id.clone()) {
            wanted.push(r.external_id.clone());
        }
    }
    importer.counters.total += held;
    importer.counters.processed += held;
    importer.counters.skipped += held;
    for chunk in wanted.chunks(FETCH_BATCH * 2) {
        importer.fetch_and_apply(chunk, None).await?;
        // Pushed orders do not wait behind a long poll (it holds the lease): they are drained between its batches.
        importer.drain_inbox().await?;
    }

    let relink = service::orders_with_newly_linked_lines(&ctx.db, channel.id, RELINK_LIMIT).await?;
    importer.fetch_and_apply(&relink, None).await?;
    // Orders not imported (a stopped product, announced but not returned) are asked for again: imported once the
    // cause is gone, which resolves their errors.
    let again = service::orders_to_import_again(&ctx.db, channel.id, RELINK_LIMIT as usize).await?;
    importer.fetch_and_apply(&again, None).await?;

    channel::Entity::update_many()
        .col_expr(channel::Column::OrdersCursorAt, Expr::value(plan.cursor))
        .col_expr(channel::Column::OrdersReconciledUntil, Expr::value(plan.settled))
        .filter(channel::Column::Id.eq(channel.id))
        .exec(&ctx.db)
        .await?;
    sync_runs::record_progress(&ctx.db, run.id, importer.counters).await?;
    Ok(())
}
