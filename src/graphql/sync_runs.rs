//! Sync runs: the state of every background job, and the live stream of one run.

use async_graphql::{Context, Enum, ErrorExtensions, ID, InputObject, Object, Result, Subscription};
use futures::Stream;
use tokio::sync::broadcast::error::RecvError;

use entity::enums::SyncRunKind;
use entity::sync_run;

use super::channels::Channel;
use super::errors::{UserError, int, payloads, query, split, user_errors};
use super::loaders::{ChannelId, load_by_id};
use super::relay::{Conn, ConnectionArgs, connection, global_id, input_id, require_id};
use super::{app, reader};
use crate::domain::errors::FieldError;
use crate::events::HubEvent;
use crate::jobs;
use crate::services::sync_runs::{self, SyncRunFilter};

/// What a sync run does.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "SyncRunKind", remote = "entity::enums::SyncRunKind")]
pub enum SyncRunKindGql {
    /// Recompute products' on-hand totals.
    ProductTotals,
    /// Read every listing of a channel.
    PullListings,
    /// Link hub products to channel listings.
    LinkProducts,
    /// Re-run matching for chosen links.
    Relink,
    /// Create hub products from a channel's listings, in bulk.
    CreateProducts,
    /// Apply the web store's product pushes: create or match the pushed products in the hub.
    StoreProducts,
    /// Push stock and price to a channel.
    StockPush,
    /// Compare a channel's quantities with the hub's.
    StockReconcile,
    /// Import orders changed on a channel.
    OrderPoll,
    /// Fetch one channel order.
    OrderFetch,
    /// Import a CSV file of products or a stock count (`csvImport`).
    CsvImport,
}

/// Where a sync run is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "SyncRunStatus", remote = "entity::enums::SyncRunStatus")]
pub enum SyncRunStatusGql {
    /// Queued, waiting for a worker.
    Created,
    /// A worker is on it.
    Running,
    /// Finished; see the counters for items that failed.
    Completed,
    /// Stopped by an error: see `errorMessage`.
    Failed,
    /// Stopped before it finished, without an error.
    Cancelled,
}

pub struct SyncRun(pub sync_run::Model);

/// One run of a background job, with live counters.
#[Object]
impl SyncRun {
    /// Global id.
    pub async fn id(&self) -> ID {
        global_id("SyncRun", self.0.id)
    }
    /// What the run does.
    async fn kind(&self) -> SyncRunKindGql {
        self.0.kind.into()
    }
    /// Where it is.
    async fn status(&self) -> SyncRunStatusGql {
        self.0.status.into()
    }
    /// The channel it works on; null for hub-wide runs (PRODUCT_TOTALS).
    async fn channel(&self, ctx: &Context<'_>) -> Result<Option<Channel>> {
        let Some(id) = self.0.channel_id else { return Ok(None) };
        Ok(load_by_id(ctx, ChannelId(id)).await?.map(Channel))
    }
    /// Items to process (known once the run started).
    async fn total(&self) -> Result<i32> {
        int(self.0.total)
    }
    /// Items done so far.
    async fn processed(&self) -> Result<i32> {
        int(self.0.processed)
    }
    /// Items done without error (a link run: products fully linked).
    async fn succeeded(&self) -> Result<i32> {
        int(self.0.succeeded)
    }
    /// Items that failed (see the sync errors).
    async fn failed(&self) -> Result<i32> {
        int(self.0.failed)
    }
    /// Items left alone (nothing to do for them).
    async fn skipped(&self) -> Result<i32> {
        int(self.0.skipped)
    }
    /// Why the run failed.
    async fn error_message(&self) -> Option<&str> {
        self.0.error_message.as_deref()
    }
    /// How many times a worker started it (more than 1 after a crash or restart).
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// When it was queued.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
    /// When a worker last started it (see `attempts`); null before the first.
    async fn started_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.started_at
    }
    /// When it ended; null until then.
    async fn finished_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.finished_at
    }
}

/// Which sync runs to list.
#[derive(InputObject, Default)]
pub struct SyncRunFilterInput {
    /// Only runs of this kind.
    pub kind: Option<SyncRunKindGql>,
    /// Only runs in this state.
    pub status: Option<SyncRunStatusGql>,
}

#[derive(Default)]
pub struct SyncRunQuery;

#[Object]
impl SyncRunQuery {
    /// A sync run by global id; null if it does not exist.
    async fn sync_run(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the SyncRun.")] id: ID,
    ) -> Result<Option<SyncRun>> {
        let id = require_id("SyncRun", &id)?;
        Ok(query(sync_runs::get(reader(ctx)?, id).await)?.map(SyncRun))
    }

    /// Sync runs, oldest first (`reverse` for newest first). At most 100 a page.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::relay::page_cost(first, last, child_complexity)")]
    async fn sync_runs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Start after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "End before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Page size, from the start (or `after`): 0 to 100, default 50.")] first: Option<i32>,
        #[graphql(desc = "Page size, from the end (or `before`): 0 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "true: newest first (the list's order reversed). Default false.")] reverse: Option<bool>,
        #[graphql(desc = "Narrows the list.")] filter: Option<SyncRunFilterInput>,
    ) -> Result<Conn<SyncRun>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page(ctx)?;
        let filter = filter.unwrap_or_default();
        let filter = SyncRunFilter {
            kind: filter.kind.map(Into::into),
            status: filter.status.map(Into::into),
            channel_id: None,
        };
        let found = query(sync_runs::list(reader(ctx)?, &filter, &page).await)?;
        Ok(connection(found, SyncRun))
    }
}

/// Which products' totals to recompute.
#[derive(InputObject, Default)]
pub struct ProductInventoryRecomputeInput {
    /// Products to recompute (Product global ids); all products when omitted.
    pub product_ids: Option<Vec<ID>>,
}

payloads! {
    /// Result of `productInventoryRecompute`.
    ProductInventoryRecomputePayload,
    /// Result of `productLinksCreate`.
    ProductLinksCreatePayload,
    /// Result of `productLinksRelink`.
    ProductLinksRelinkPayload,
    /// Result of `channelListingsPull`.
    ChannelListingsPullPayload,
    /// Result of `channelOrdersSync`.
    ChannelOrdersSyncPayload,
    /// Result of `stockPushStart`.
    StockPushStartPayload,
    /// Result of `stockReconcileStart`.
    StockReconcileStartPayload => {
        /// The run, CREATED; follow it with the `syncRun` query or subscription.
        pub sync_run: Option<SyncRun>,
        /// Why no run was started; empty on success.
        pub user_errors: Vec<UserError>,
    }
}

/// A started run as (run, userErrors), which every run-starting payload converts from.
pub fn run_answer(result: (Option<sync_run::Model>, Vec<UserError>)) -> (Option<SyncRun>, Vec<UserError>) {
    (result.0.map(SyncRun), result.1)
}

#[derive(Default)]
pub struct SyncRunMutation;

#[Object]
impl SyncRunMutation {
    /// Starts a PRODUCT_TOTALS run recomputing `Product.totalOnHand`; returns at once.
    async fn product_inventory_recompute(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The products; all when omitted.")] input: Option<ProductInventoryRecomputeInput>,
    ) -> Result<ProductInventoryRecomputePayload> {
        let ids = input.and_then(|i| i.product_ids);
        let mut errors: Vec<FieldError> = Vec::new();
        let product_ids: Option<Vec<i64>> = ids.map(|ids| {
            ids.iter()
                .enumerate()
                .filter_map(|(i, id)| {
                    input_id("Product", id, &["productIds", &i.to_string()]).map_err(|e| errors.push(e)).ok()
                })
                .collect()
        });
        if !errors.is_empty() {
            return Ok((None, user_errors(errors, &[])).into());
        }
        let input = serde_json::json!({ "productIds": product_ids });
        let started = split(jobs::enqueue_run(app(ctx)?, SyncRunKind::ProductTotals, None, Some(input)).await, &[])?;
        Ok(run_answer(started).into())
    }
}

#[derive(Default)]
pub struct SyncRunSubscription;

#[Subscription]
impl SyncRunSubscription {
    /// The run's state now, then after every change, ending with its final state.
    async fn sync_run(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the SyncRun.")] id: ID,
    ) -> Result<impl Stream<Item = SyncRun> + use<>> {
        let app = app(ctx)?.clone();
        let run_id = require_id("SyncRun", &id)?;
        // Subscribe before reading, so no change between the read and the subscription is missed.
        let events = app.events.subscribe();
        let first = query(sync_runs::get(&app.db, run_id).await)?.ok_or_else(|| {
            async_graphql::Error::new(format!("no sync run with id {}", id.as_str()))
                .extend_with(|_, e| e.set("code", "NOT_FOUND"))
        })?;
        struct State {
            app: crate::context::AppContext,
            events: tokio::sync::broadcast::Receiver<HubEvent>,
            pending_first: Option<sync_run::Model>,
            done: bool,
            last_sent: Option<sync_run::Model>,
        }
        let state = State { app, events, pending_first: Some(first), done: false, last_sent: None };
        Ok(futures::stream::unfold(state, move |mut s| async move {
            if s.done {
                return None;
            }
            if let Some(run) = s.pending_first.take() {
                s.done = sync_runs::is_finished(run.status);
                s.last_sent = Some(run.clone());
                return Some((SyncRun(run), s));
            }
            loop {
                match s.events.recv().await {
                    Ok(HubEvent::SyncRunChanged { run_id: changed }) if changed == run_id => {}
                    Ok(_) => continue,
                    // Lagged: some events were dropped; re-reading the row below catches up.
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return None,
                }
                let run = match sync_runs::get(&s.app.db, run_id).await {
                    Ok(Some(run)) => run,
                    Ok(None) => return None,
                    Err(err) => {
                        tracing::warn!(run_id, error = %err, "syncRun subscription could not read the run");
                        continue;
                    }
                };
                if s.last_sent.as_ref() == Some(&run) {
                    continue;
                }
                s.done = sync_runs::is_finished(run.status);
                s.last_sent = Some(run.clone());
                return Some((SyncRun(run), s));
            }
        }))
    }
}
