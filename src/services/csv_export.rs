//! CSV exports (issue 21, item 3): products with their variants, stock per warehouse, the order lines of a period.
//! UTF-8 with a byte-order mark, so spreadsheet programs read Vietnamese text as written; one header row; quoting
//! by RFC 4180 (the `csv` crate). Rows are read a page at a time, so a large catalog is never loaded at once.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect};

use entity::{channel, inventory_level, order, order_line, product, product_variant, warehouse};

use super::catalog::stored_options;
use super::{ServiceError, ServiceResult};
use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::money;

/// The byte-order mark the files start with.
pub const BOM: &str = "\u{feff}";
/// Rows read per query.
const PAGE: u64 = 1000;
/// Longest period of orders one export covers.
pub const MAX_ORDER_PERIOD_DAYS: i64 = 366;

/// A CSV document.
#[derive(Debug, Clone)]
pub struct CsvFile {
    /// A file name to save it under, e.g. `products-20261206.csv`.
    pub filename: String,
    /// The document: the byte-order mark, the header row, the rows.
    pub content: String,
    /// Rows below the header.
    pub rows: usize,
}

/// Writes rows into one document.
struct Sheet {
    writer: csv::Writer<Vec<u8>>,
    rows: usize,
}

impl Sheet {
    fn new(header: &[&str]) -> ServiceResult<Self> {
        let mut writer = csv::Writer::from_writer(BOM.as_bytes().to_vec());
        writer.write_record(header).map_err(anyhow::Error::from)?;
        Ok(Self { writer, rows: 0 })
    }

    fn row(&mut self, cells: &[String]) -> ServiceResult<()> {
        self.writer.write_record(cells).map_err(anyhow::Error::from)?;
        self.rows += 1;
        Ok(())
    }

    fn finish(self, name: &str) -> ServiceResult<CsvFile> {
        let bytes = self.writer.into_inner().map_err(|e| anyhow::anyhow!("writing the CSV: {e}"))?;
        let content = String::from_utf8(bytes).map_err(anyhow::Error::from)?;
        let filename = format!("{name}-{}.csv", Utc::now().format("%Y%m%d-%H%M%S"));
        Ok(CsvFile { filename, content, rows: self.rows })
    }
}

fn amount(minor: Option<i64>, currency: &str) -> String {
    minor.map(|m| money::from_minor(m, currency).to_string()).unwrap_or_default()
}

fn text(value: Option<&str>) -> String {
    value.unwrap_or_default().to_owned()
}

/// The header of the products export (one row per variant; a product's rows are together).
pub const PRODUCT_COLUMNS: [&str; 18] = [
    "product_title",
    "vendor",
    "product_type",
    "variant_title",
    "sku",
    "barcode",
    "option1_name",
    "option1_value",
    "option2_name",
    "option2_value",
    "option3_name",
    "option3_value",
    "price",
    "list_price",
    "cost_price",
    "unit",
    "track_inventory",
    "allow_oversell",
];

/// Every product with its variants, in creation order, prices in the shop's `currency`.
pub async fn products<C: ConnectionTrait>(db: &C, currency: &str) -> ServiceResult<CsvFile> {
    let mut sheet = Sheet::new(&PRODUCT_COLUMNS)?;
    let mut after = 0;
    loop {
        let page = product::Entity::find()
            .filter(product::Column::Id.gt(after))
            .order_by_asc(product::Column::Id)
            .limit(PAGE)
            .all(db)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let mut variants: HashMap<i64, Vec<product_variant::Model>> = HashMap::new();
        for v in product_variant::Entity::find()
            .filter(product_variant::Column::ProductId.is_in(page.iter().map(|p| p.id)))
            .order_by_asc(product_variant::Column::Position)
            .order_by_asc(product_variant::Column::Id)
            .all(db)
            .await?
        {
            variants.entry(v.product_id).or_default().push(v);
        }
        for p in &page {
            for v in variants.get(&p.id).map(Vec::as_slice).unwrap_or_default() {
                let mut options: Vec<String> = stored_options(v).into_iter().flat_map(|o| [o.name, o.value]).collect();
                options.resize(6, String::new());
                let mut row = vec![
                    p.title.clone(),
                    text(p.vendor.as_deref()),
                    text(p.product_type.as_deref()),
                    v.title.clone(),
                    text(v.sku.as_deref()),
                    text(v.barcode.as_deref()),
                ];
                row.extend(options);
                row.extend([
                    amount(Some(v.price_minor), currency),
                    amount(v.list_price_minor, currency),
                    amount(v.cost_price_minor, currency),
                    text(v.unit.as_deref()),
                    v.track_inventory.to_string(),
                    v.allow_oversell.to_string(),
                ]);
                sheet.row(&row)?;
            }
        }
    }
    sheet.finish("products")
}

/// The header of the stock export (one row per variant and warehouse holding a level).
pub const STOCK_COLUMNS: [&str; 10] = [
    "warehouse",
    "warehouse_code",
    "product_title",
    "variant_title",
    "sku",
    "barcode",
    "on_hand",
    "committed",
    "pending_export",
    "available",
];

/// Every stock level (of one warehouse, or all), by warehouse then variant.
pub async fn stock<C: ConnectionTrait>(db: &C, warehouse_id: Option<i64>) -> ServiceResult<CsvFile> {
    let warehouses: HashMap<i64, warehouse::Model> =
        warehouse::Entity::find().all(db).await?.into_iter().map(|w| (w.id, w)).collect();
    if let Some(id) = warehouse_id.filter(|id| !warehouses.contains_key(id)) {
        return Err(ServiceError::rejected(&["warehouseId"], ErrorCode::NotFound, format!("Warehouse {id} not found")));
    }
    let mut sheet = Sheet::new(&STOCK_COLUMNS)?;
    let mut after = (0, 0);
    loop {
        let mut query = inventory_level::Entity::find();
        if let Some(id) = warehouse_id {
            query = query.filter(inventory_level::Column::WarehouseId.eq(id));
        }
        // Keyset pagination on (warehouse, variant), the levels' unique key.
        let page = query
            .filter(inventory_level::Column::WarehouseId.gt(after.0).or(
                inventory_level::Column::WarehouseId.eq(after.0).and(inventory_level::Column::VariantId.gt(after.1)),
            ))
            .order_by_asc(inventory_level::Column::WarehouseId)
            .order_by_asc(inventory_level::Column::VariantId)
            .limit(PAGE)
            .all(db)
            .await?;
        let Some(last) = page.last() else { break };
        after = (last.warehouse_id, last.variant_id);
        let variants: HashMap<i64, product_variant::Model> = product_variant::Entity::find()
            .filter(product_variant::Column::Id.is_in(page.iter().map(|l| l.variant_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|v| (v.id, v))
            .collect();
        let products: HashMap<i64, String> = product::Entity::find()
            .filter(product::Column::Id.is_in(variants.values().map(|v| v.product_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.title))
            .collect();
        for level in &page {
            let (Some(v), Some(w)) = (variants.get(&level.variant_id), warehouses.get(&level.warehouse_id)) else {
                continue;
            };
            sheet.row(&[
                w.name.clone(),
                text(w.code.as_deref()),
                products.get(&v.product_id).cloned().unwrap_or_default(),
                v.title.clone(),
                text(v.sku.as_deref()),
                text(v.barcode.as_deref()),
                level.on_hand.to_string(),
                level.committed.to_string(),
                level.pending_export.to_string(),
                (level.on_hand - level.committed - level.pending_export).to_string(),
            ])?;
        }
    }
    sheet.finish("stock")
}

/// The header of the orders export (one row per order line).
pub const ORDER_COLUMNS: [&str; 16] = [
    "order_number",
    "external_id",
    "channel",
    "status",
    "channel_status",
    "placed_at",
    "customer_name",
    "customer_phone",
    "sku",
    "title",
    "variant_title",
    "quantity",
    "unit_price",
    "line_discount",
    "order_total",
    "currency",
];

/// The lines of the orders placed in [from, to) (of one channel, or all), oldest first.
pub async fn orders<C: ConnectionTrait>(
    db: &C,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    channel_id: Option<i64>,
) -> ServiceResult<CsvFile> {
    let mut errors = Vec::new();
    if to <= from {
        errors.push(FieldError::new(&["placedBefore"], ErrorCode::Invalid, "the period must end after it starts"));
    } else if to - from > chrono::Duration::days(MAX_ORDER_PERIOD_DAYS) {
        errors.push(FieldError::new(
            &["placedBefore"],
            ErrorCode::Invalid,
            format!("one export covers at most {MAX_ORDER_PERIOD_DAYS} days: export the period in parts"),
        ));
    }
    let channels: HashMap<i64, String> =
        channel::Entity::find().all(db).await?.into_iter().map(|c| (c.id, c.name)).collect();
    if channel_id.is_some_and(|id| !channels.contains_key(&id)) {
        errors.push(FieldError::new(&["channelId"], ErrorCode::NotFound, "Channel not found"));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Rejected(errors));
    }
    let mut sheet = Sheet::new(&ORDER_COLUMNS)?;
    let mut after = 0;
    loop {
        let mut query = order::Entity::find()
            .filter(order::Column::PlacedAt.gte(from))
            .filter(order::Column::PlacedAt.lt(to))
            .filter(order::Column::Id.gt(after));
        if let Some(id) = channel_id {
            query = query.filter(order::Column::ChannelId.eq(id));
        }
        let page = query.order_by_asc(order::Column::Id).limit(PAGE).all(db).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let mut lines: HashMap<i64, Vec<order_line::Model>> = HashMap::new();
        for l in order_line::Entity::find()
            .filter(order_line::Column::OrderId.is_in(page.iter().map(|o| o.id)))
            .order_by_asc(order_line::Column::Id)
            .all(db)
            .await?
        {
            lines.entry(l.order_id).or_default().push(l);
        }
        for o in &page {
            for l in lines.get(&o.id).map(Vec::as_slice).unwrap_or_default() {
                sheet.row(&[
                    text(o.order_number.as_deref()),
                    o.external_id.clone(),
                    channels.get(&o.channel_id).cloned().unwrap_or_default(),
                    o.hub_status.as_str().to_owned(),
                    text(o.channel_status.as_deref()),
                    o.placed_at.to_rfc3339(),
                    text(o.customer_name.as_deref()),
                    text(o.customer_phone.as_deref()),
                    text(l.seller_sku.as_deref()),
                    l.title.clone(),
                    text(l.variant_title.as_deref()),
                    l.quantity.to_string(),
                    amount(Some(l.price_minor), &o.currency),
                    amount(Some(l.discount_minor), &o.currency),
                    amount(Some(o.total_minor), &o.currency),
                    o.currency.clone(),
                ])?;
            }
        }
    }
    sheet.finish("orders")
}
