//! CSV_IMPORT runs (issue 21, item 3): a products file or a stock count, checked row by row, then applied in one
//! transaction only if no row was rejected (and it is not a dry run). The per-row report is `csvImportRows`; the
//! counters say how many rows were created or updated (succeeded), unchanged (skipped) and rejected (failed).

use serde::{Deserialize, Serialize};

use entity::enums::CsvRowOutcome;
use entity::sync_run;

use super::linking::input;
use crate::context::AppContext;
use crate::domain::actor::Actor;
use crate::domain::errors::{ErrorCode, FieldError};
use crate::events::HubEvent;
use crate::services::csv_import::{self, ImportKind};
use crate::services::effects::Committed;
use crate::services::sync_runs::{self, Counters};
use crate::services::{ServiceError, ServiceResult};

/// A CSV_IMPORT run's input. The file's text is dropped from the run once the import has ended.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CsvImportInput {
    pub kind: ImportKind,
    pub dry_run: bool,
    /// Stock rows naming no warehouse count in it (default: the default warehouse).
    pub warehouse_id: Option<i64>,
    /// The API token that asked: the ledger's actor.
    pub actor_name: String,
    pub content: String,
    /// Set when the import has ended (its file dropped): a run executed again only tells how it ended.
    #[serde(default)]
    pub ended: Option<Ended>,
}

/// How an import ended: rows in all and rows rejected.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Ended {
    pub total: i64,
    pub rejected: i64,
}

pub async fn run(ctx: &AppContext, run: &sync_run::Model) -> ServiceResult<()> {
    let input: CsvImportInput = input(run)?;
    if let Some(ended) = input.ended {
        return outcome(ended, input.dry_run);
    }
    let table = csv_import::read(input.kind, "content", &input.content).map_err(|e| ServiceError::Rejected(vec![e]))?;
    let mut counters = Counters { total: table.len() as i64, ..Counters::default() };
    sync_runs::record_progress(&ctx.db, run.id, counters).await?;
    ctx.events.publish(HubEvent::SyncRunChanged { run_id: run.id });
    let report = match input.kind {
        ImportKind::Stock => {
            let actor = Actor::api_token(&input.actor_name);
            csv_import::import_stock(&ctx.db, run.id, &actor, &table, input.warehouse_id, input.dry_run).await?
        }
        ImportKind::Products => {
            csv_import::import_products(&ctx.db, run.id, &ctx.settings.currency, &table, input.dry_run).await?
        }
    };
    let count = |outcomes: &[CsvRowOutcome]| report.count(outcomes) as i64;
    counters.processed = report.rows.len() as i64;
    counters.succeeded = count(&[CsvRowOutcome::Created, CsvRowOutcome::Updated]);
    counters.skipped = count(&[CsvRowOutcome::Unchanged]);
    counters.failed = count(&[CsvRowOutcome::Rejected]);
    sync_runs::record_progress(&ctx.db, run.id, counters).await?;
    ctx.events.publish(HubEvent::SyncRunChanged { run_id: run.id });
    // The file is not kept past its import (a large one would weigh on every read of the run).
    let ended = Ended { total: counters.total, rejected: counters.failed };
    let kept = CsvImportInput { content: String::new(), ended: Some(ended), ..input.clone() };
    sync_runs::replace_input(&ctx.db, run.id, serde_json::to_value(&kept).map_err(anyhow::Error::from)?).await?;
    if report.applied {
        super::effects::after_commit_queued(ctx, Committed::new((), report.effects)).await;
        for product_id in report.products_created {
            super::linking::on_hub_product_created(ctx, product_id).await;
        }
        for product_id in report.products_rematched {
            super::linking::on_hub_product_edited(ctx, product_id).await;
        }
    }
    outcome(ended, input.dry_run)
}

/// A run with rejected rows ends FAILED, saying so.
fn outcome(ended: Ended, dry_run: bool) -> ServiceResult<()> {
    if ended.rejected == 0 {
        return Ok(());
    }
    let message = format!(
        "{} of {} rows were rejected{}: csvImportRows lists each with its line and reason",
        ended.rejected,
        ended.total,
        if dry_run { "" } else { ", so nothing was applied" }
    );
    Err(ServiceError::Rejected(vec![FieldError::new(&["content"], ErrorCode::Invalid, message)]))
}
