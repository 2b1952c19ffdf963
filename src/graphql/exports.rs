//! CSV exports (`csvExport`): products with their variants, stock per warehouse, the order lines of a period, as
//! documents a spreadsheet program opens (`services::csv_export`).

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};

use super::errors::{int, query};
use super::relay::require_id;
use super::{app, reader};
use crate::domain::errors::{ErrorCode, FieldError};
use crate::services::{ServiceError, csv_export};

/// What `csvExport` writes.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum CsvExportKind {
    /// One row per variant: product title, vendor, type, variant title, SKU, barcode, up to three options,
    /// price, list price, cost price (in the shop's currency), unit, trackInventory, allowOversell.
    Products,
    /// One row per stock level: warehouse (name and code), product and variant, SKU, barcode, on hand,
    /// committed, pending export, available.
    Stock,
    /// One row per order line of the orders placed in the period: order number and id, channel, status, the
    /// channel's status, when placed, customer, SKU, title, quantity, unit price, line discount, order total,
    /// currency.
    Orders,
}

/// Which CSV to write.
#[derive(InputObject)]
pub struct CsvExportInput {
    /// What to export.
    pub kind: CsvExportKind,
    /// STOCK: only this Warehouse's levels (default: every warehouse).
    pub warehouse_id: Option<ID>,
    /// ORDERS (required): orders placed at or after this time.
    pub placed_from: Option<chrono::DateTime<chrono::Utc>>,
    /// ORDERS (required): orders placed before this time; at most 366 days after `placedFrom`.
    pub placed_before: Option<chrono::DateTime<chrono::Utc>>,
    /// ORDERS: only this Channel's orders (default: every channel).
    pub channel_id: Option<ID>,
}

/// A CSV document: UTF-8 with a byte-order mark (spreadsheet programs then read Vietnamese text as written), a
/// header row, RFC 4180 quoting.
#[derive(SimpleObject)]
pub struct CsvExport {
    /// A file name to save it under, e.g. `products-20261206-101500.csv`.
    pub filename: String,
    /// Always `text/csv; charset=utf-8`.
    pub content_type: String,
    /// The document.
    pub content: String,
    /// Rows below the header.
    pub row_count: i32,
}

#[derive(Default)]
pub struct ExportQuery;

#[Object]
impl ExportQuery {
    /// Writes a CSV of the catalog, the stock or the orders of a period. A refused input (ORDERS without a
    /// period, an unknown warehouse or channel) is an error whose `extensions.code` says why.
    async fn csv_export(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to export, and for STOCK and ORDERS which part.")] input: CsvExportInput,
    ) -> Result<CsvExport> {
        let db = reader(ctx)?;
        let file = match input.kind {
            CsvExportKind::Products => query(csv_export::products(db, &app(ctx)?.settings.currency).await)?,
            CsvExportKind::Stock => {
                let warehouse = input.warehouse_id.as_ref().map(|id| require_id("Warehouse", id)).transpose()?;
                query(csv_export::stock(db, warehouse).await)?
            }
            CsvExportKind::Orders => {
                let channel = input.channel_id.as_ref().map(|id| require_id("Channel", id)).transpose()?;
                let (Some(from), Some(before)) = (input.placed_from, input.placed_before) else {
                    let missing = FieldError::new(
                        &["placedFrom"],
                        ErrorCode::Blank,
                        "an orders export needs its period: placedFrom and placedBefore",
                    );
                    return query(Err(ServiceError::Rejected(vec![missing])));
                };
                query(csv_export::orders(db, from, before, channel).await)?
            }
        };
        Ok(CsvExport {
            filename: file.filename,
            content_type: "text/csv; charset=utf-8".to_owned(),
            content: file.content,
            row_count: int(file.rows as i64)?,
        })
    }
}
