//! STORE_PRODUCTS runs: the web store's product pushes acted on (SPEC §2 [Sapo] "after setup": a product created
//! on the store is created or linked in the hub; an edited one is matched again). The push bodies stay in the
//! inbox (`webhook_events`); the run carries their keys. Applying a push twice is harmless: a created product is
//! linked, so its second push matches it again.

use serde::{Deserialize, Serialize};

use entity::enums::SyncRunKind;
use entity::sync_run;

use super::effects::BatchEffects;
use super::linking::{connected_channel, input};
use crate::context::AppContext;
use crate::events::HubEvent;
use crate::services::linking::{self, StoreProductOutcome};
use crate::services::sync_runs::{self, Counters};
use crate::services::{ServiceError, ServiceResult, channels, webhooks};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreProductsInput {
    /// Inbox keys of the product pushes to apply, in arrival order.
    pub dedup_keys: Vec<String>,
}

/// Queues the run applying these product pushes of the channel.
pub async fn enqueue(ctx: &AppContext, channel_id: i64, dedup_keys: Vec<String>) -> ServiceResult<()> {
    let input =
        serde_json::to_value(StoreProductsInput { dedup_keys }).map_err(|e| ServiceError::Unexpected(e.into()))?;
    super::enqueue_run(ctx, SyncRunKind::StoreProducts, Some(channel_id), Some(input)).await.map(|_| ())
}

pub async fn run(ctx: &AppContext, run: &sync_run::Model) -> ServiceResult<()> {
    let channel = connected_channel(ctx, run).await?;
    let input: StoreProductsInput = input(run)?;
    let connector = channels::connector_for(ctx, &channel).await?;
    let payloads = webhooks::payloads_of(&ctx.db, channel.id, &input.dedup_keys).await?;
    let mut counters = Counters { total: payloads.len() as i64, ..Counters::default() };
    let mut effects = BatchEffects::default();
    for payload in &payloads {
        counters.processed += 1;
        let listings = match connector.listings_of_pushed_product(payload) {
            Ok(listings) => listings,
            Err(err) => {
                tracing::warn!(channel_id = channel.id, error = %err, "a product push could not be read");
                counters.failed += 1;
                continue;
            }
        };
        linking::store_listings(&ctx.db, channel.id, &listings).await?;
        match linking::store_product_changed(&ctx.db, &ctx.settings.currency, &channel, &listings).await {
            Ok(done) => match effects.after_batch(ctx, done) {
                StoreProductOutcome::Unchanged => counters.skipped += 1,
                StoreProductOutcome::Created | StoreProductOutcome::Matched => counters.succeeded += 1,
            },
            Err(err @ ServiceError::Rejected(_)) => {
                tracing::warn!(channel_id = channel.id, reason = %linking::refusal_text(&err), "a store product could not become a hub product");
                counters.failed += 1;
            }
            Err(other) => return Err(other),
        }
    }
    sync_runs::record_progress(&ctx.db, run.id, counters).await?;
    ctx.events.publish(HubEvent::SyncRunChanged { run_id: run.id });
    effects.finish(ctx).await;
    Ok(())
}
