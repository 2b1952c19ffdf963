//! CREATE_PRODUCTS runs: bulk "create hub products from listings" (Bizfly "Đồng bộ hàng loạt sản phẩm"). Each
//! selected channel product becomes a hub product, linked, through the one service that does it for a single
//! listing; each listing's outcome is recorded, so the merchant reads which ones failed and why. Re-running a run
//! (after a crash) skips the listings it already turned into products.

use serde::{Deserialize, Serialize};

use entity::sync_run;

use super::effects::BatchEffects;
use super::linking::{connected_channel, input};
use crate::context::AppContext;
use crate::events::HubEvent;
use crate::services::linking::{self, ListingSelection};
use crate::services::sync_runs::{self, Counters};
use crate::services::{ServiceError, ServiceResult};

/// Listings between two progress updates.
const PROGRESS_EVERY: usize = 20;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateProductsInput {
    pub selection: ListingSelection,
}

pub async fn run_create(ctx: &AppContext, run: &sync_run::Model) -> ServiceResult<()> {
    let channel = connected_channel(ctx, run).await?;
    let input: CreateProductsInput = input(run)?;
    let listings = linking::selected_listing_products(&ctx.db, channel.id, &input.selection).await?;
    let done = linking::items_done(&ctx.db, run.id).await?;
    let mut counters = Counters { total: listings.len() as i64, ..Counters::default() };
    sync_runs::record_progress(&ctx.db, run.id, counters).await?;
    ctx.events.publish(HubEvent::SyncRunChanged { run_id: run.id });
    let mut effects = BatchEffects::default();
    for (i, listing_id) in listings.iter().copied().enumerate() {
        if done.contains(&listing_id) {
            counters.succeeded += 1;
        } else {
            // Marketplace products keep their own cost: the hub's cost price is left for the merchant.
            match linking::create_product_from_listing(&ctx.db, &ctx.settings.currency, listing_id, false).await {
                Ok(created) => {
                    let (product, _) = effects.after_batch(ctx, created);
                    linking::record_item(&ctx.db, run.id, listing_id, Ok(product.id)).await?;
                    counters.succeeded += 1;
                }
                Err(ServiceError::Rejected(errors)) => {
                    if let Some(first) = errors.first() {
                        linking::record_item(&ctx.db, run.id, listing_id, Err(first)).await?;
                    }
                    counters.failed += 1;
                }
                Err(other) => return Err(other),
            }
        }
        counters.processed += 1;
        if (i + 1) % PROGRESS_EVERY == 0 || i + 1 == listings.len() {
            sync_runs::record_progress(&ctx.db, run.id, counters).await?;
            ctx.events.publish(HubEvent::SyncRunChanged { run_id: run.id });
        }
    }
    effects.finish(ctx).await;
    Ok(())
}
