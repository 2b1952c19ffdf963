//! CSV imports (`csvImport`, a CSV_IMPORT run) and their per-row reports (`csvImportRows`).

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};

use entity::csv_import_row;
use entity::enums::SyncRunKind;

use super::auth::actor;
use super::catalog::{Product, ProductVariant, Warehouse};
use super::errors::{UserError, int, payloads, query, split, user_errors};
use super::loaders::{ProductId, VariantId, WarehouseId, load_by_id};
use super::relay::{Conn, ConnectionArgs, connection, input_id, require_id};
use super::sync_runs::{SyncRun, run_answer};
use super::{app, reader};
use crate::domain::errors::{ErrorCode, FieldError};
use crate::jobs;
use crate::jobs::csv_import::CsvImportInput as RunInput;
use crate::services::csv_import::{self, ImportKind};
use crate::services::{ServiceError, catalog};

/// What a CSV file to import holds.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum CsvImportKind {
    /// Products with their variants, a row per variant, by SKU: columns `product_title`, `sku`, `price`
    /// (required), `vendor`, `product_type`, `variant_title`, `barcode`, `option1_name` … `option3_value`,
    /// `list_price`, `cost_price`, `unit`, `track_inventory`, `allow_oversell` (as `csvExport(kind: PRODUCTS)`
    /// writes them). A row whose SKU a hub variant has updates it; a new SKU is added to the hub product of the
    /// other rows of its product (consecutive rows with one `product_title`), or they make a new product. A
    /// missing column leaves that field as it is; a blank cell clears it.
    Products,
    /// A stock count: columns `sku` and `on_hand` (required), `warehouse_code` or `warehouse` (its name; as
    /// `csvExport(kind: STOCK)` writes them, whose other columns are ignored). Each row sets on hand of the SKU
    /// in its warehouse to the units counted (ledger reason CORRECTION).
    Stock,
}

impl From<CsvImportKind> for ImportKind {
    fn from(kind: CsvImportKind) -> Self {
        match kind {
            CsvImportKind::Products => ImportKind::Products,
            CsvImportKind::Stock => ImportKind::Stock,
        }
    }
}

/// A CSV file to import.
#[derive(InputObject)]
pub struct CsvImportInput {
    /// What the file holds.
    pub kind: CsvImportKind,
    /// The file's text: UTF-8 (a byte-order mark is dropped), a header row naming the columns (any order, any
    /// case), comma-, semicolon- or tab-separated, RFC 4180 quoting; at most 20,000 rows.
    pub content: String,
    /// Check every row and report what would change, writing nothing. Default false.
    #[graphql(default)]
    pub dry_run: bool,
    /// STOCK: the Warehouse of the rows that name none (default: the default warehouse).
    pub warehouse_id: Option<ID>,
}

payloads! {
    /// Result of `csvImport`.
    CsvImportPayload => {
        /// The CSV_IMPORT run, CREATED; follow it with `syncRun` (or the `syncRun` subscription), then read
        /// `csvImportRows`.
        pub sync_run: Option<SyncRun>,
        /// Why no run was started (the file is not a table, lacks a required column, names an unknown
        /// warehouse); nothing was changed. Empty on success.
        pub user_errors: Vec<UserError>,
    }
}

#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Imports a CSV file of products or a stock count, in a job (a CSV_IMPORT run, returned at once). Every row
    /// is checked first; the rows are then applied in one transaction, only if none was rejected: nothing is
    /// ever half applied. With `dryRun` nothing is written. Either way `csvImportRows` reports each row by line
    /// number: created, updated (a stock row with on hand before and after), unchanged, or rejected with its
    /// column, code and reason. A run with rejected rows ends FAILED. The file is checked here for what makes it
    /// unreadable as a whole (no header, a missing column, more than 20,000 rows): those are `userErrors`.
    async fn csv_import(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The file and what it holds.")] input: CsvImportInput,
    ) -> Result<CsvImportPayload> {
        let refused = |errors: Vec<FieldError>| Ok(run_answer((None, user_errors(errors, &[]))).into());
        let kind = ImportKind::from(input.kind);
        if let Err(error) = csv_import::read(kind, "content", &input.content) {
            return refused(vec![error]);
        }
        let warehouse_id = match input.warehouse_id.as_ref().map(|id| input_id("Warehouse", id, &["warehouseId"])) {
            Some(Err(error)) => return refused(vec![error]),
            Some(Ok(id)) => Some(id),
            None => None,
        };
        let app = app(ctx)?;
        let actor_name = actor(ctx)?.name().to_owned();
        let result = async {
            if let Some(id) = warehouse_id
                && catalog::warehouse(&app.db, id).await?.is_none()
            {
                return Err(ServiceError::not_found(&["warehouseId"], "Warehouse"));
            }
            let run_input = RunInput {
                kind,
                dry_run: input.dry_run,
                warehouse_id,
                actor_name,
                content: input.content,
                ended: None,
            };
            let value = serde_json::to_value(run_input).map_err(|e| ServiceError::Unexpected(e.into()))?;
            jobs::enqueue_run(app, SyncRunKind::CsvImport, None, Some(value)).await
        }
        .await;
        Ok(run_answer(split(result, &[])?).into())
    }
}

/// What a row's import did, or in a dry run would do.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::enums::CsvRowOutcome")]
pub enum CsvImportRowOutcome {
    /// A new product or variant.
    Created,
    /// An existing variant changed (a stock row: on hand changed).
    Updated,
    /// The row matches what the hub holds.
    Unchanged,
    /// Refused: `errorCode`, `column` and `message` say why.
    Rejected,
}

pub struct CsvImportRow(pub csv_import_row::Model);

/// One row of an imported file and what became of it.
#[Object]
impl CsvImportRow {
    /// Its line in the file (the header is line 1; a quoted cell spanning lines counts them all).
    async fn line(&self) -> Result<i32> {
        int(self.0.line)
    }
    /// What was done with the row, or in a dry run would be.
    async fn outcome(&self) -> CsvImportRowOutcome {
        self.0.outcome.into()
    }
    /// The change was written: false in a dry run, for a rejected row, and for every row of an import that had
    /// one (nothing is half applied).
    async fn applied(&self) -> bool {
        self.0.applied
    }
    /// The row's SKU, where it has one.
    async fn sku(&self) -> Option<&str> {
        self.0.sku.as_deref()
    }
    /// A rejected row: the column at fault (as the header names it), where one is.
    async fn column(&self) -> Option<&str> {
        self.0.column_name.as_deref()
    }
    /// A rejected row: why, as a `userErrors` code.
    async fn error_code(&self) -> Option<ErrorCode> {
        self.0.error_code.as_deref().and_then(ErrorCode::parse)
    }
    /// What was (or would be) done, or why the row was rejected.
    async fn message(&self) -> &str {
        &self.0.message
    }
    /// The product of the row's variant (null for a row rejected before it was found, and for a product a dry
    /// run would create).
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        let Some(id) = self.0.product_id else { return Ok(None) };
        Ok(load_by_id(ctx, ProductId(id)).await?.map(Product))
    }
    /// The variant the row is (null when not found, or one a dry run would create).
    async fn variant(&self, ctx: &Context<'_>) -> Result<Option<ProductVariant>> {
        let Some(id) = self.0.variant_id else { return Ok(None) };
        Ok(load_by_id(ctx, VariantId(id)).await?.map(ProductVariant))
    }
    /// A stock row: the warehouse counted.
    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Option<Warehouse>> {
        let Some(id) = self.0.warehouse_id else { return Ok(None) };
        Ok(load_by_id(ctx, WarehouseId(id)).await?.map(Warehouse))
    }
    /// A stock row: on hand before the count.
    async fn on_hand_before(&self) -> Result<Option<i32>> {
        self.0.on_hand_before.map(int).transpose()
    }
    /// A stock row: on hand counted (what it is set to).
    async fn on_hand_after(&self) -> Result<Option<i32>> {
        self.0.on_hand_after.map(int).transpose()
    }
}

#[derive(Default)]
pub struct ImportQuery;

#[Object]
impl ImportQuery {
    /// The per-row report of a CSV_IMPORT run, by line.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::relay::page_cost(first, last, child_complexity)")]
    async fn csv_import_rows(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the SyncRun.")] run_id: ID,
        #[graphql(default, desc = "Only the rejected rows.")] rejected_only: bool,
        #[graphql(desc = "Start after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "End before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Page size, from the start (or `after`): 0 to 100, default 50.")] first: Option<i32>,
        #[graphql(desc = "Page size, from the end (or `before`): 0 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "true: last line first (the list's order reversed). Default false.")] reverse: Option<bool>,
    ) -> Result<Conn<CsvImportRow>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page(ctx)?;
        let run_id = require_id("SyncRun", &run_id)?;
        let found = query(csv_import::rows(reader(ctx)?, run_id, rejected_only, &page).await)?;
        Ok(connection(found, CsvImportRow))
    }
}
