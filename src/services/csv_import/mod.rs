//! CSV imports (issue 21, item 3): products with their variants (`products`), and stock counts setting on hand
//! (`stock`). An import checks every row first, then applies all of them in one write transaction, which it
//! commits only when no row was rejected and it is not a dry run: nothing is ever half applied. Either way it
//! reports each row (`csv_import_rows`): what was done or would be, or why the row was rejected, by line number.

mod products;
mod stock;

use std::collections::HashMap;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};

use entity::csv_import_row;
use entity::enums::CsvRowOutcome;
use entity::product_variant;

pub use products::import_products;
pub use stock::import_stock;

use super::effects::Effects;
use super::pagination::{Page, PageArgs, paginate};
use super::{IN_CHUNK, ServiceResult, now};
use crate::domain::csv_import::{self, PRODUCT_REQUIRED, RowError, STOCK_REQUIRED, Table};
use crate::domain::errors::{ErrorCode, FieldError};

/// Report rows written per statement.
const ROWS_PER_STATEMENT: usize = 200;

/// What a file holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ImportKind {
    /// Products with their variants, a row per variant (the products export's columns).
    #[default]
    Products,
    /// A stock count: on hand per SKU and warehouse (the stock export's columns).
    Stock,
}

impl ImportKind {
    fn required_columns(self) -> &'static [&'static str] {
        match self {
            Self::Products => &PRODUCT_REQUIRED,
            Self::Stock => &STOCK_REQUIRED,
        }
    }
}

/// Reads a file of `kind`: refused as a whole (on `field`) when it is not a table or lacks a column the kind needs.
pub fn read(kind: ImportKind, field: &str, content: &str) -> Result<Table, FieldError> {
    let table = csv_import::read(field, content)?;
    table.require(field, kind.required_columns())?;
    Ok(table)
}

/// What an import did, or would do, with one row.
#[derive(Debug, Clone)]
pub struct RowReport {
    pub line: u64,
    pub outcome: CsvRowOutcome,
    pub sku: Option<String>,
    pub column: Option<String>,
    pub code: Option<ErrorCode>,
    pub message: String,
    pub product_id: Option<i64>,
    pub variant_id: Option<i64>,
    pub warehouse_id: Option<i64>,
    pub on_hand_before: Option<i64>,
    pub on_hand_after: Option<i64>,
}

impl RowReport {
    fn done(line: u64, outcome: CsvRowOutcome, sku: &str, message: impl Into<String>) -> Self {
        Self {
            line,
            outcome,
            sku: Some(sku.to_owned()),
            column: None,
            code: None,
            message: message.into(),
            product_id: None,
            variant_id: None,
            warehouse_id: None,
            on_hand_before: None,
            on_hand_after: None,
        }
    }

    fn rejected(error: RowError, sku: Option<&str>) -> Self {
        Self {
            column: error.column,
            code: Some(error.code),
            sku: sku.map(str::to_owned),
            ..Self::done(error.line, CsvRowOutcome::Rejected, "", error.message)
        }
    }
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Every row, by line.
    pub rows: Vec<RowReport>,
    /// The changes were committed (no row rejected, not a dry run).
    pub applied: bool,
    /// What to run after commit (none when nothing was applied).
    pub effects: Effects,
    /// Products created: the channels that keep products in step get them.
    pub products_created: Vec<i64>,
    /// Products whose variants' SKUs, barcodes or options changed, or that got a variant: matched again.
    pub products_rematched: Vec<i64>,
}

impl ImportReport {
    pub fn count(&self, outcomes: &[CsvRowOutcome]) -> usize {
        self.rows.iter().filter(|r| outcomes.contains(&r.outcome)).count()
    }
}

/// The hub variants carrying each of `skus`.
async fn variants_by_sku<'a>(
    db: &DatabaseConnection,
    skus: impl IntoIterator<Item = &'a str>,
) -> ServiceResult<HashMap<String, Vec<product_variant::Model>>> {
    let skus: Vec<&str> = skus.into_iter().collect();
    let mut found: HashMap<String, Vec<product_variant::Model>> = HashMap::new();
    for chunk in skus.chunks(IN_CHUNK) {
        for v in product_variant::Entity::find()
            .filter(product_variant::Column::Sku.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            if let Some(sku) = v.sku.clone() {
                found.entry(sku).or_default().push(v);
            }
        }
    }
    Ok(found)
}

/// The row error of a SKU several hub variants carry (an import by SKU can't tell which is meant).
fn ambiguous_sku(line: u64, sku: &str, variants: &[product_variant::Model]) -> RowError {
    RowError::new(
        line,
        Some("sku"),
        ErrorCode::DuplicateEntry,
        format!("{} hub variants have the SKU \"{sku}\": give each its own SKU first", variants.len()),
    )
}

/// Whether an import's changes are written: not a dry run, and no row rejected.
fn applies(dry_run: bool, rows: &[RowReport]) -> bool {
    !dry_run && rows.iter().all(|r| r.outcome != CsvRowOutcome::Rejected)
}

/// Ends an import's transaction: commits it with the report rows when it applies, else rolls it back and writes
/// the report rows alone (without the ids of rows that were never created).
async fn settle(
    db: &DatabaseConnection,
    txn: DatabaseTransaction,
    run_id: i64,
    dry_run: bool,
    mut report: ImportReport,
) -> ServiceResult<ImportReport> {
    report.rows.sort_by_key(|r| r.line);
    report.applied = applies(dry_run, &report.rows);
    if report.applied {
        write_rows(&txn, run_id, true, &report.rows).await?;
        txn.commit().await?;
    } else {
        txn.rollback().await?;
        for row in report.rows.iter_mut().filter(|r| r.outcome == CsvRowOutcome::Created) {
            (row.product_id, row.variant_id) = (None, None);
        }
        write_rows(db, run_id, false, &report.rows).await?;
        report.effects = Effects::none();
        report.products_created.clear();
        report.products_rematched.clear();
    }
    Ok(report)
}

/// Replaces the report of `run_id` (a run executed again after a crash rewrites it).
async fn write_rows<C: ConnectionTrait>(db: &C, run_id: i64, applied: bool, rows: &[RowReport]) -> ServiceResult<()> {
    csv_import_row::Entity::delete_many().filter(csv_import_row::Column::RunId.eq(run_id)).exec(db).await?;
    let at = now();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let models = chunk.iter().map(|r| csv_import_row::ActiveModel {
            run_id: Set(run_id),
            line: Set(r.line as i64),
            outcome: Set(r.outcome),
            applied: Set(applied && r.outcome != CsvRowOutcome::Rejected),
            sku: Set(r.sku.clone()),
            column_name: Set(r.column.clone()),
            error_code: Set(r.code.map(|c| c.name().to_owned())),
            message: Set(r.message.clone()),
            product_id: Set(r.product_id),
            variant_id: Set(r.variant_id),
            warehouse_id: Set(r.warehouse_id),
            on_hand_before: Set(r.on_hand_before),
            on_hand_after: Set(r.on_hand_after),
            created_at: Set(at),
            ..Default::default()
        });
        csv_import_row::Entity::insert_many(models).exec_without_returning(db).await?;
    }
    Ok(())
}

/// A run's report, by line; `rejected_only`: the rows it refused.
pub async fn rows(
    db: &DatabaseConnection,
    run_id: i64,
    rejected_only: bool,
    page: &PageArgs,
) -> ServiceResult<Page<csv_import_row::Model>> {
    let mut select = csv_import_row::Entity::find().filter(csv_import_row::Column::RunId.eq(run_id));
    if rejected_only {
        select = select.filter(csv_import_row::Column::Outcome.eq(CsvRowOutcome::Rejected));
    }
    paginate(db, select, csv_import_row::Column::Id, page).await
}
