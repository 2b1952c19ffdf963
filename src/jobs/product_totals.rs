//! PRODUCT_TOTALS: recompute each product's on-hand total across its variants and warehouses (the cached
//! `products.total_on_hand`, used to sort and filter catalogs without summing levels per row).

use serde::Deserialize;

use entity::sync_run;

use crate::context::AppContext;
use crate::events::HubEvent;
use crate::services::sync_runs::{self, Counters};
use crate::services::{ServiceResult, inventory};

const BATCH: usize = 200;

/// Input of a PRODUCT_TOTALS run: the products to recompute, or all when absent.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    pub product_ids: Option<Vec<i64>>,
}

pub async fn run(ctx: &AppContext, run: &sync_run::Model) -> ServiceResult<()> {
    let input: Input =
        run.input.clone().map(serde_json::from_value).transpose().map_err(anyhow::Error::from)?.unwrap_or_default();
    let product_ids = match input.product_ids {
        Some(ids) => ids,
        None => inventory::all_product_ids(&ctx.db).await?,
    };
    let mut counters = Counters { total: product_ids.len() as i64, ..Counters::default() };
    sync_runs::record_progress(&ctx.db, run.id, counters).await?;
    for batch in product_ids.chunks(BATCH) {
        let written = inventory::recompute_product_totals(&ctx.db, batch).await?;
        counters.processed += batch.len() as i64;
        counters.succeeded += written as i64;
        counters.skipped += (batch.len() - written) as i64;
        sync_runs::record_progress(&ctx.db, run.id, counters).await?;
        ctx.events.publish(HubEvent::SyncRunChanged { run_id: run.id });
    }
    Ok(())
}
