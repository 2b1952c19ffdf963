//! PULL_LISTINGS, LINK_PRODUCTS and RELINK runs: read the channel's listings, then match the selected hub
//! products batch by batch, recording counters as they go. Re-running a run (after a crash) is harmless: every
//! write is an upsert keyed by listing or variant.

use serde::{Deserialize, Serialize};

use entity::enums::ChannelStatus;
use entity::{channel, sync_run};

use crate::context::AppContext;
use crate::events::HubEvent;
use crate::services::linking::{self, Selection};
use crate::services::sync_runs::{self, Counters};
use crate::services::{ServiceError, ServiceResult, channels};

/// Products matched per transaction (and per progress update).
const BATCH: usize = 50;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkInput {
    pub selection: Selection,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelinkInput {
    /// Links to relink; `None`: every link in LINK_ERROR on the channel.
    pub link_ids: Option<Vec<i64>>,
}

fn input<T: for<'de> Deserialize<'de> + Default>(run: &sync_run::Model) -> ServiceResult<T> {
    Ok(run.input.clone().map(serde_json::from_value).transpose().map_err(anyhow::Error::from)?.unwrap_or_default())
}

async fn connected_channel(ctx: &AppContext, run: &sync_run::Model) -> ServiceResult<channel::Model> {
    let id = run.channel_id.ok_or_else(|| ServiceError::Unexpected(anyhow::anyhow!("this run has no channel")))?;
    let channel = channels::get(&ctx.db, id).await?.ok_or_else(|| ServiceError::rejected(&["channelId"], crate::domain::errors::ErrorCode::NotFound, "the channel was deleted"))?;
    if channel.status != ChannelStatus::Connected {
        return Err(ServiceError::rejected(
            &["channelId"],
            crate::domain::errors::ErrorCode::InvalidState,
            format!("\"{}\" is not connected ({})", channel.name, channel.status.as_str()),
        ));
    }
    Ok(channel)
}

/// Reads every listing of the channel into `channel_listings`; returns how many.
async fn pull(ctx: &AppContext, channel: &channel::Model) -> ServiceResult<usize> {
    let connector = channels::connector_for(ctx, channel).await?;
    let listings = connector.list_listings().await.map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("reading listings: {e}")))?;
    linking::store_listings(&ctx.db, channel.id, &listings).await
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
    pull(ctx, &channel).await?;
    let products = linking::selected_products(&ctx.db, &channel, &input.selection).await?;
    match_products(ctx, run, &channel, &products).await
}

pub async fn run_relink(ctx: &AppContext, run: &sync_run::Model) -> ServiceResult<()> {
    let channel = connected_channel(ctx, run).await?;
    let input: RelinkInput = input(run)?;
    pull(ctx, &channel).await?;
    let products = linking::products_of_links(&ctx.db, channel.id, input.link_ids.as_deref()).await?;
    match_products(ctx, run, &channel, &products).await
}

async fn match_products(ctx: &AppContext, run: &sync_run::Model, channel: &channel::Model, products: &[i64]) -> ServiceResult<()> {
    let mut counters = Counters { total: products.len() as i64, ..Counters::default() };
    sync_runs::record_progress(&ctx.db, run.id, counters).await?;
    ctx.events.publish(HubEvent::SyncRunChanged { run_id: run.id });
    for batch in products.chunks(BATCH) {
        let variants = linking::hub_variants(&ctx.db, batch).await?;
        let decisions = linking::decide(&ctx.db, channel, &variants).await?;
        let counts = linking::apply_decisions(&ctx.db, channel.id, &variants, &decisions).await?;
        let with_variants = counts.products_linked + counts.products_failed;
        counters.processed += batch.len() as i64;
        counters.succeeded += counts.products_linked;
        counters.failed += counts.products_failed;
        counters.skipped += batch.len() as i64 - with_variants;
        sync_runs::record_progress(&ctx.db, run.id, counters).await?;
        ctx.events.publish(HubEvent::SyncRunChanged { run_id: run.id });
    }
    Ok(())
}
