//! Products with their variants from CSV, a row per variant, keyed by SKU: a row whose SKU a hub variant has
//! updates it (the first row of each hub product sets its title, vendor and type); a new SKU joins the hub
//! product whose rows carry the same `product_title` in the file, else the new SKUs of one title make a new
//! product. Every change goes through the catalog's own validation, in one transaction.

use std::collections::{BTreeSet, HashMap};

use sea_orm::{DatabaseConnection, DatabaseTransaction, EntityTrait};

use entity::enums::CsvRowOutcome;
use entity::{product, product_variant};

use super::{ImportReport, RowReport, ambiguous_sku, settle, variants_by_sku};
use crate::domain::csv_import::{ProductRow, RowError, Table, product_rows};
use crate::domain::errors::{ErrorCode, FieldError};
use crate::services::catalog::{self, OptionPair, ProductFields, VariantFields};
use crate::services::{ServiceError, ServiceResult, begin_write};

/// Imports the products of `table` as run `run_id`'s work, prices in `currency`. Applied only if every row is
/// taken and not `dry_run`.
pub async fn import_products(
    db: &DatabaseConnection,
    run_id: i64,
    currency: &str,
    table: &Table,
    dry_run: bool,
) -> ServiceResult<ImportReport> {
    let (parsed, errors) = product_rows(table);
    let mut report = ImportReport {
        rows: errors.into_iter().map(|e| RowReport::rejected(e, None)).collect(),
        ..ImportReport::default()
    };
    let by_sku = variants_by_sku(db, parsed.iter().map(|r| r.sku.as_str())).await?;
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut taken = Vec::with_capacity(parsed.len());
    for row in parsed {
        let refused = match (first_line.get(&row.sku), by_sku.get(&row.sku).map(Vec::as_slice)) {
            (Some(first), _) => Some(RowError::new(
                row.line,
                Some("sku"),
                ErrorCode::DuplicateEntry,
                format!("line {first} already has the SKU \"{}\"", row.sku),
            )),
            (None, Some(several @ [_, _, ..])) => Some(ambiguous_sku(row.line, &row.sku, several)),
            _ => None,
        };
        match refused {
            Some(error) => report.rows.push(RowReport::rejected(error, Some(&row.sku))),
            None => {
                first_line.insert(row.sku.clone(), row.line);
                taken.push(row);
            }
        }
    }
    let existing: HashMap<String, product_variant::Model> =
        by_sku.into_iter().filter_map(|(sku, mut found)| (found.len() == 1).then(|| (sku, found.remove(0)))).collect();

    let Sorted { known, new, titled } = sort_rows(taken, &existing);
    let txn = begin_write(db).await?;
    for (product_id, rows) in known {
        update_known(&txn, currency, &existing, product_id, rows, &mut report).await?;
    }
    for (title, rows) in new {
        match titled.get(&title).map(|ids| ids.iter().copied().collect::<Vec<_>>()).as_deref() {
            None => create_product(&txn, currency, rows, &mut report).await?,
            Some(&[product_id]) => add_variants(&txn, currency, product_id, rows, &mut report).await?,
            Some(several) => {
                for row in rows {
                    let message = format!(
                        "{} hub products are titled \"{title}\" in this file: a new SKU can't tell which it joins",
                        several.len()
                    );
                    let error = RowError::new(row.line, Some("product_title"), ErrorCode::Invalid, message);
                    report.rows.push(RowReport::rejected(error, Some(&row.sku)));
                }
            }
        }
    }
    settle(db, txn, run_id, dry_run, report).await
}

/// The rows taken, sorted for the import (each list in file order).
struct Sorted {
    /// Rows of SKUs the hub has, by their hub product.
    known: Vec<(i64, Vec<ProductRow>)>,
    /// Rows of new SKUs, by product title.
    new: Vec<(String, Vec<ProductRow>)>,
    /// The hub products each title names in the file (where a new SKU of that title goes).
    titled: HashMap<String, BTreeSet<i64>>,
}

fn sort_rows(taken: Vec<ProductRow>, existing: &HashMap<String, product_variant::Model>) -> Sorted {
    let mut sorted = Sorted { known: Vec::new(), new: Vec::new(), titled: HashMap::new() };
    let (mut known_at, mut new_at): (HashMap<i64, usize>, HashMap<String, usize>) = (HashMap::new(), HashMap::new());
    for row in taken {
        match existing.get(&row.sku) {
            Some(variant) => {
                sorted.titled.entry(row.product_title.clone()).or_default().insert(variant.product_id);
                let at = *known_at.entry(variant.product_id).or_insert_with(|| {
                    sorted.known.push((variant.product_id, Vec::new()));
                    sorted.known.len() - 1
                });
                sorted.known[at].1.push(row);
            }
            None => {
                let at = *new_at.entry(row.product_title.clone()).or_insert_with(|| {
                    sorted.new.push((row.product_title.clone(), Vec::new()));
                    sorted.new.len() - 1
                });
                sorted.new[at].1.push(row);
            }
        }
    }
    sorted
}

/// The rows of one hub product's SKUs: its first row sets the product's title, vendor and type, each row its
/// variant. A row giving the product another title than its first row is rejected.
async fn update_known(
    txn: &DatabaseTransaction,
    currency: &str,
    existing: &HashMap<String, product_variant::Model>,
    product_id: i64,
    rows: Vec<ProductRow>,
    report: &mut ImportReport,
) -> ServiceResult<()> {
    let Some(first) = rows.first().cloned() else { return Ok(()) };
    let product_changed = update_product(txn, product_id, &first, report).await?;
    let mut rematch = false;
    for row in rows {
        let line = row.line;
        if row.product_title != first.product_title {
            let message = format!(
                "line {} titles this SKU's hub product \"{}\": a product's rows carry one title",
                first.line, first.product_title
            );
            let error = RowError::new(line, Some("product_title"), ErrorCode::Invalid, message);
            report.rows.push(RowReport::rejected(error, Some(&row.sku)));
            continue;
        }
        let Some(current) = existing.get(&row.sku) else { continue };
        let mut done = match catalog::variant_update_in(txn, currency, current.id, variant_fields(&row)).await {
            Ok(updated) => {
                rematch |= matched_on_changed(current, &updated.variant);
                report.effects.merge(updated.effects);
                let (outcome, message) = if updated.changed || (line == first.line && product_changed) {
                    (CsvRowOutcome::Updated, "variant updated")
                } else {
                    (CsvRowOutcome::Unchanged, "variant unchanged")
                };
                RowReport { variant_id: Some(current.id), ..RowReport::done(line, outcome, &row.sku, message) }
            }
            Err(ServiceError::Rejected(errors)) => rejected(line, &row.sku, errors, false),
            Err(other) => return Err(other),
        };
        done.product_id = Some(product_id);
        report.rows.push(done);
    }
    if rematch {
        report.products_rematched.push(product_id);
    }
    Ok(())
}

/// New SKUs added as variants of the hub product their title names in the file.
async fn add_variants(
    txn: &DatabaseTransaction,
    currency: &str,
    product_id: i64,
    rows: Vec<ProductRow>,
    report: &mut ImportReport,
) -> ServiceResult<()> {
    for row in rows {
        let done = match catalog::variant_create_in(txn, currency, product_id, variant_fields(&row)).await {
            Ok(variant) => RowReport {
                product_id: Some(product_id),
                variant_id: Some(variant.id),
                ..RowReport::done(row.line, CsvRowOutcome::Created, &row.sku, "variant added to the product")
            },
            Err(ServiceError::Rejected(errors)) => rejected(row.line, &row.sku, errors, false),
            Err(other) => return Err(other),
        };
        report.rows.push(done);
    }
    if !report.products_rematched.contains(&product_id) {
        report.products_rematched.push(product_id);
    }
    Ok(())
}

/// Sets the product's title, vendor and type from its first row where they differ; whether it changed.
async fn update_product(
    txn: &DatabaseTransaction,
    product_id: i64,
    first: &ProductRow,
    report: &mut ImportReport,
) -> ServiceResult<bool> {
    let Some(current) = product::Entity::find_by_id(product_id).one(txn).await? else { return Ok(false) };
    let changed = |given: &Option<Option<String>>, stored: &Option<String>| {
        given.as_ref().filter(|g| g.as_deref() != stored.as_deref()).cloned()
    };
    let fields = ProductFields {
        title: (first.product_title != current.title).then(|| first.product_title.clone()),
        vendor: changed(&first.vendor, &current.vendor),
        product_type: changed(&first.product_type, &current.product_type),
        ..ProductFields::default()
    };
    if fields.title.is_none() && fields.vendor.is_none() && fields.product_type.is_none() {
        return Ok(false);
    }
    match catalog::product_update_in(txn, product_id, fields).await {
        Ok(_) => Ok(true),
        Err(ServiceError::Rejected(errors)) => {
            report.rows.push(rejected(first.line, &first.sku, errors, true));
            Ok(false)
        }
        Err(other) => Err(other),
    }
}

/// A product none of whose SKUs the hub has: created with a variant per row, or (refused) each row says why.
async fn create_product(
    txn: &DatabaseTransaction,
    currency: &str,
    group: Vec<ProductRow>,
    report: &mut ImportReport,
) -> ServiceResult<()> {
    let Some(first) = group.first() else { return Ok(()) };
    let fields = ProductFields {
        title: Some(first.product_title.clone()),
        vendor: first.vendor.clone(),
        product_type: first.product_type.clone(),
        ..ProductFields::default()
    };
    let variants = group.iter().map(variant_fields).collect();
    match catalog::product_create_in(txn, currency, fields, variants).await {
        Ok((product, variants)) => {
            for (row, variant) in group.iter().zip(&variants) {
                report.rows.push(RowReport {
                    product_id: Some(product.id),
                    variant_id: Some(variant.id),
                    ..RowReport::done(row.line, CsvRowOutcome::Created, &row.sku, "product created")
                });
            }
            report.products_created.push(product.id);
            Ok(())
        }
        Err(ServiceError::Rejected(errors)) => {
            // Each error goes to its row (`variants.<i>.…`), the product's own to the first row; the other rows
            // are not created either.
            let mut by_row: HashMap<usize, Vec<FieldError>> = HashMap::new();
            for mut error in errors {
                let index = match error.field.as_slice() {
                    [list, i, ..] if list == "variants" => i.parse::<usize>().ok(),
                    _ => None,
                };
                if index.is_some() {
                    error.field.drain(..2);
                }
                by_row.entry(index.unwrap_or(0)).or_default().push(error);
            }
            for (i, row) in group.iter().enumerate() {
                report.rows.push(match by_row.remove(&i) {
                    Some(errors) => rejected(row.line, &row.sku, errors, i == 0),
                    None => {
                        let message = format!("not created: line {} of the same product was rejected", first.line);
                        let error = RowError::new(row.line, Some("product_title"), ErrorCode::Invalid, message);
                        RowReport::rejected(error, Some(&row.sku))
                    }
                });
            }
            Ok(())
        }
        Err(other) => Err(other),
    }
}

/// A row's variant fields: what its columns give (absent columns leave the variant's values as they are).
fn variant_fields(row: &ProductRow) -> VariantFields {
    VariantFields {
        title: row.variant_title.clone(),
        sku: Some(Some(row.sku.clone())),
        barcode: row.barcode.clone(),
        price: Some(row.price),
        list_price: row.list_price,
        cost_price: row.cost_price,
        options: row.options.as_ref().map(|pairs| {
            pairs.iter().map(|(name, value)| OptionPair { name: name.clone(), value: value.clone() }).collect()
        }),
        track_inventory: row.track_inventory,
        allow_oversell: row.allow_oversell,
        unit: row.unit.clone(),
        ..VariantFields::default()
    }
}

/// What linking matches on changed (options, SKU or barcode): the product is matched again on its channels.
fn matched_on_changed(before: &product_variant::Model, after: &product_variant::Model) -> bool {
    catalog::stored_options(before) != catalog::stored_options(after) || before.barcode != after.barcode
}

/// The catalog's refusal of a row, its first error naming the CSV column (`product_level`: a product's own
/// fields are this row's).
fn rejected(line: u64, sku: &str, errors: Vec<FieldError>, product_level: bool) -> RowReport {
    let Some(error) = errors.into_iter().next() else {
        return RowReport::rejected(RowError::new(line, None, ErrorCode::Invalid, "refused"), Some(sku));
    };
    let column = column_of(&error.field, product_level);
    RowReport::rejected(RowError { line, column, code: error.code, message: error.message }, Some(sku))
}

/// The CSV column of a catalog field path (`listPrice` → `list_price`, `options.1` → `option2_value`).
fn column_of(field: &[String], product_level: bool) -> Option<String> {
    let name = match field.first().map(String::as_str)? {
        "title" if product_level => "product_title",
        "title" => "variant_title",
        "productType" => "product_type",
        "listPrice" => "list_price",
        "costPrice" => "cost_price",
        "variants" => "sku",
        "sale" => "price",
        "options" => {
            let i = field.get(1).and_then(|i| i.parse::<usize>().ok()).unwrap_or(0);
            return Some(format!("option{}_value", i + 1));
        }
        other => other,
    };
    Some(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_fields_name_their_csv_column() {
        let path = |p: &[&str]| p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let cases: [(&[&str], bool, &str); 7] = [
            (&["listPrice"], false, "list_price"),
            (&["costPrice"], false, "cost_price"),
            (&["title"], false, "variant_title"),
            (&["title"], true, "product_title"),
            (&["productType"], true, "product_type"),
            (&["options", "1"], false, "option2_value"),
            (&["price"], false, "price"),
        ];
        for (field, product_level, column) in cases {
            assert_eq!(column_of(&path(field), product_level).as_deref(), Some(column), "{field:?}");
        }
    }
}
