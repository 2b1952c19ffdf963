//! PULL_LISTINGS, LINK_PRODUCTS and RELINK runs: read the channel's listings, then match the selected hub
//! products batch by batch, recording counters as they go. Re-running a run (after a crash) is harmless: every
//! write is an upsert keyed by listing or variant.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use entity::enums::ChannelStatus;
use entity::{channel, sync_run};

use super::effects::BatchEffects;
use crate::context::AppContext;
use crate::events::HubEvent;
use crate::services::linking::{self, Selection};
use crate::services::sync_runs::{self, Counters};
use crate::services::{ServiceError, ServiceResult, channels};

/// Products matched per transaction (and per progress update).
const BATCH: usize = 50;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkInput {
    pub selection: Selection,
    /// Read the channel's listings first (default). Off when they were just pulled.
    #[serde(default = "yes")]
    pub refresh_listings: bool,
}

impl Default for LinkInput {
    fn default() -> Self {
        Self { selection: Selection::default(), refresh_listings: true }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelinkInput {
    /// Links to relink; `None`: every link in LINK_ERROR on the channel.
    pub link_ids: Option<Vec<i64>>,
}

pub(super) fn input<T: for<'de> Deserialize<'de> + Default>(run: &sync_run::Model) -> ServiceResult<T> {
    Ok(run.input.clone().map(serde_json::from_value).transpose().map_err(anyhow::Error::from)?.unwrap_or_default())
}

pub(super) async fn connected_channel(ctx: &AppContext, run: &sync_run::Model) -> ServiceResult<channel::Model> {
    let id = run.channel_id.ok_or_else(|| ServiceError::Unexpected(anyhow::anyhow!("this run has no channel")))?;
    let channel = channels::get(&ctx.db, id).await?.ok_or_else(|| {
        ServiceError::rejected(&["channelId"], crate::domain::errors::ErrorCode::NotFound, "the channel was deleted")
    })?;
    if channel.status != ChannelStatus::Connected {
        return Err(ServiceError::rejected(
            &["channelId"],
            crate::domain::errors::ErrorCode::InvalidState,
            format!("\"{}\" is not connected ({})", channel.name, channel.status.as_str()),
        ));
    }
    Ok(channel)
}

/// Reads every listing of the channel into `channel_listings`, storing each page as it arrives; returns how many.
async fn pull(ctx: &AppContext, channel: &channel::Model) -> ServiceResult<usize> {
    let mut walk = crate::channels::ListingWalk::start(channels::connector_for(ctx, channel).await?);
    let mut stored = 0;
    while let Some(page) = walk.next_page().await {
        stored += linking::store_listings(&ctx.db, channel.id, &page).await?;
    }
    walk.finish().await.map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("reading listings: {e}")))?;
    Ok(stored)
}

pub async fn run_pull(ctx: &AppContext, run: &sync_run::Model) -> ServiceResult<()> {
    let channel = connected_channel(ctx, run).await?;
    let stored = pull(ctx, &channel).await? as i64;
    let counters = Counters { total: stored, processed: stored, succeeded: stored, ..Counters::default() };
    sync_runs::record_progress(&ctx.db, run.id, counters).await?;
    Ok(())
}

pub async fn run_link(ctx: &AppContext, run: &sync_run::Model) -> ServiceResult<()> {
    let channel = connected_channel(ctx, run).await?;
    let input: LinkInput = input(run)?;
    if input.refresh_listings {
        pull(ctx, &channel).await?;
    }
    let products = linking::selected_products(&ctx.db, &channel, &input.selection).await?;
    let counters = match_products(ctx, run, &channel, &products, &BTreeSet::new()).await?;
    if crate::channels::marketplace(channel.kind).creates_missing_products {
        create_missing(ctx, run, &channel, &products, counters).await?;
    }
    Ok(())
}

/// A product created in the hub after setup (SPEC §2 [Sapo]): a link run of it is queued on every channel that
/// keeps products in step (the web store), whose "create missing" creates it there hidden, without images, and
/// links it. Called once the creation committed; a run that cannot be queued is logged (the next link run of
/// the channel covers the product).
pub async fn on_hub_product_created(ctx: &AppContext, product_id: i64) {
    let channels = match linking::channels_creating_products(&ctx.db).await {
        Ok(channels) => channels,
        Err(err) => {
            tracing::warn!(product_id, error = ?err, "could not read the channels a new product goes to");
            return;
        }
    };
    for channel in channels {
        queue_product_link(ctx, channel.id, product_id).await;
    }
}

/// A linked product edited in the hub (options, SKU or barcode): matched again on every channel it has links on,
/// so a changed option count is reported (OPTION_MISMATCH) as at link time.
pub async fn on_hub_product_edited(ctx: &AppContext, product_id: i64) {
    match linking::channels_linking_product(&ctx.db, product_id).await {
        Ok(channels) => {
            for channel_id in channels {
                queue_product_link(ctx, channel_id, product_id).await;
            }
        }
        Err(err) => tracing::warn!(product_id, error = ?err, "could not read the channels of an edited product"),
    }
}

/// Queues a link run of one product on a channel, against the listings stored (pushes keep them current).
async fn queue_product_link(ctx: &AppContext, channel_id: i64, product_id: i64) {
    let input = LinkInput {
        selection: Selection { product_ids: Some(vec![product_id]), ..Selection::default() },
        refresh_listings: false,
    };
    let queued = match serde_json::to_value(input) {
        Ok(input) => {
            super::enqueue_run(ctx, entity::enums::SyncRunKind::LinkProducts, Some(channel_id), Some(input)).await
        }
        Err(err) => Err(ServiceError::Unexpected(err.into())),
    };
    if let Err(err) = queued {
        tracing::warn!(channel_id, product_id, error = ?err, "could not queue the link run of a product");
    }
}

pub async fn run_relink(ctx: &AppContext, run: &sync_run::Model) -> ServiceResult<()> {
    let channel = connected_channel(ctx, run).await?;
    let input: RelinkInput = input(run)?;
    pull(ctx, &channel).await?;
    let products = linking::products_of_links(&ctx.db, channel.id, input.link_ids.as_deref()).await?;
    // The links the merchant names are relinked even if they were unlinked; the others keep their state.
    let relink = match input.link_ids.as_deref() {
        Some(ids) => linking::listings_of_links(&ctx.db, ids).await?,
        None => BTreeSet::new(),
    };
    match_products(ctx, run, &channel, &products, &relink).await.map(|_| ())
}

async fn match_products(
    ctx: &AppContext,
    run: &sync_run::Model,
    channel: &channel::Model,
    products: &[i64],
    relink: &BTreeSet<i64>,
) -> ServiceResult<Counters> {
    let mut counters = Counters { total: products.len() as i64, ..Counters::default() };
    sync_runs::record_progress(&ctx.db, run.id, counters).await?;
    ctx.events.publish(HubEvent::SyncRunChanged { run_id: run.id });
    let mut effects = BatchEffects::default();
    for batch in products.chunks(BATCH) {
        // A shutdown stops between batches (each commits whole); the run resumes elsewhere and matches again.
        ctx.shutdown.check()?;
        let counts = effects.after_batch(ctx, linking::link_batch(&ctx.db, channel, batch, relink).await?);
        let with_variants = counts.products_linked + counts.products_failed;
        counters.processed += batch.len() as i64;
        counters.succeeded += counts.products_linked;
        counters.failed += counts.products_failed;
        counters.skipped += batch.len() as i64 - with_variants;
        sync_runs::record_progress(&ctx.db, run.id, counters).await?;
        ctx.events.publish(HubEvent::SyncRunChanged { run_id: run.id });
    }
    effects.finish(ctx).await;
    Ok(counters)
}

/// The web store's "create missing" (SPEC §2 [Sapo]): selected hub products the store lacks entirely are created
/// there, hidden and without images, and linked; store products no hub variant knows (by SKU) are created in
/// the hub with cost price = the store's retail price, and linked. A product the store refuses keeps its
/// NOT_FOUND_ON_CHANNEL error (the refusal is logged with the store's code).
async fn create_missing(
    ctx: &AppContext,
    run: &sync_run::Model,
    channel: &channel::Model,
    products: &[i64],
    mut counters: Counters,
) -> ServiceResult<()> {
    let connector = channels::connector_for(ctx, channel).await?;
    let mut effects = BatchEffects::default();
    let mut created_on_store = Vec::new();
    for product_id in linking::products_missing_on_channel(&ctx.db, channel.id, products).await? {
        let Some(draft) = linking::draft_for_channel(&ctx.db, product_id).await? else { continue };
        match connector.create_hidden_product(&draft).await {
            Ok(listings) => {
                linking::store_listings(&ctx.db, channel.id, &listings).await?;
                created_on_store.push(product_id);
            }
            Err(err) => tracing::warn!(product_id, error = %err, "the web store refused to create a product"),
        }
    }
    if !created_on_store.is_empty() {
        let counts =
            effects.after_batch(ctx, linking::link_batch(&ctx.db, channel, &created_on_store, &BTreeSet::new()).await?);
        counters.succeeded += counts.products_linked;
        counters.failed -= counts.products_linked;
    }
    for listing_id in linking::listing_products_unknown_to_hub(&ctx.db, channel.id).await? {
        counters.total += 1;
        counters.processed += 1;
        match linking::create_product_from_listing(&ctx.db, &ctx.settings.currency, listing_id, true).await {
            Ok(created) => {
                effects.after_batch(ctx, created);
                counters.succeeded += 1;
            }
            Err(ServiceError::Rejected(errors)) => {
                counters.failed += 1;
                tracing::warn!(listing_id, errors = ?errors, "a web store product could not become a hub product");
            }
            Err(other) => return Err(other),
        }
    }
    sync_runs::record_progress(&ctx.db, run.id, counters).await?;
    ctx.events.publish(HubEvent::SyncRunChanged { run_id: run.id });
    effects.finish(ctx).await;
    Ok(())
}
