//! Warehouses, products and variants.

mod bundles;
mod variant_draft;
mod warehouses;

use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, TryIntoModel,
};

use entity::{derived, inventory_level, product, product_variant};

pub use bundles::set_components;
pub use variant_draft::stored_options;
use variant_draft::{VariantDraft, duplicate_codes_among};
pub use warehouses::{
    WarehouseFields, default_warehouse, warehouse, warehouse_create, warehouse_delete, warehouse_update, warehouses,
};

use super::effects::{Committed, Effects};
use super::now;
use super::pagination::{Page, PageArgs, SortColumn, SortKey, SortValueKind, paginate};
use super::{ServiceError, ServiceResult, begin_write, contains_pattern, folded_contains, prefix_pattern};
use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::text;

/// Most variants one product may have (marketplaces allow fewer; this bounds one request).
pub const MAX_VARIANTS_PER_PRODUCT: usize = 100;
/// Options per variant (name/value pairs), as on every marketplace.
pub const MAX_OPTIONS: usize = 3;

// ---------------------------------------------------------------------------------------------- products

#[derive(Debug, Clone, Default)]
pub struct ProductFields {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub vendor: Option<Option<String>>,
    pub product_type: Option<Option<String>>,
    pub image_url: Option<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionPair {
    pub name: String,
    pub value: String,
}

/// A variant's fields as given. For an update, `None` leaves a field as it is and `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct VariantFields {
    pub title: Option<String>,
    pub sku: Option<Option<String>>,
    pub barcode: Option<Option<String>>,
    pub price: Option<Decimal>,
    pub list_price: Option<Option<Decimal>>,
    pub cost_price: Option<Option<Decimal>>,
    pub options: Option<Vec<OptionPair>>,
    pub track_inventory: Option<bool>,
    pub allow_oversell: Option<bool>,
    /// Units held back on every channel instead of the channel's safety stock; `Some(None)`: the channel's again.
    pub safety_stock_units: Option<Option<i64>>,
    /// Allocation turns on below it; `Some(None)`: the warehouse's again.
    pub low_stock_threshold: Option<Option<i64>>,
    pub unit: Option<Option<String>>,
    pub image_url: Option<Option<String>>,
    pub hidden: Option<bool>,
    /// A sale price for a time; `Some(None)`: no sale any more.
    pub sale: Option<Option<SaleFields>>,
}

/// A sale as given: its price (in the shop's currency) from `starts_at` until `ends_at`.
#[derive(Debug, Clone, Copy)]
pub struct SaleFields {
    pub price: Decimal,
    pub starts_at: chrono::DateTime<chrono::Utc>,
    pub ends_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    /// Matches title (contains, case-insensitive for ASCII), or a variant's SKU or barcode (prefix, exact case).
    pub search: Option<String>,
    /// Changed at or after (`updated_at`, which a variant's create, update or delete moves too).
    pub updated_at_min: Option<chrono::DateTime<chrono::Utc>>,
}

/// The products list's sort keys; ties are broken by id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProductSortKey {
    /// Creation order (the primary key).
    #[default]
    Id,
    /// The title, in the database's text order.
    Title,
    /// When the product or one of its variants last changed (`updated_at`).
    UpdatedAt,
}

impl SortKey for ProductSortKey {
    fn name(self) -> &'static str {
        match self {
            Self::Id => "ID",
            Self::Title => "TITLE",
            Self::UpdatedAt => "UPDATED_AT",
        }
    }

    fn value_kind(self) -> Option<SortValueKind> {
        match self {
            Self::Id => None,
            Self::Title => Some(SortValueKind::Text),
            Self::UpdatedAt => Some(SortValueKind::Time),
        }
    }
}

impl SortColumn<product::Entity> for ProductSortKey {
    fn column(self) -> Option<product::Column> {
        match self {
            Self::Id => None,
            Self::Title => Some(product::Column::Title),
            Self::UpdatedAt => Some(product::Column::UpdatedAt),
        }
    }
}

pub async fn product(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<product::Model>> {
    Ok(product::Entity::find_by_id(id).one(db).await?)
}

pub async fn products(
    db: &DatabaseConnection,
    filter: &ProductFilter,
    page: &PageArgs<ProductSortKey>,
) -> ServiceResult<Page<product::Model>> {
    let mut select = product::Entity::find();
    if let Some(term) = filter.search.as_deref() {
        select = select.filter(product_search(term));
    }
    if let Some(at) = filter.updated_at_min {
        select = select.filter(product::Column::UpdatedAt.gte(at));
    }
    paginate(db, select, product::Column::Id, page).await
}

/// Products whose title contains `term` (case-insensitive for ASCII) or with a variant whose SKU or barcode
/// starts with it (exact case). A blank term matches everything.
pub fn product_search(term: &str) -> Condition {
    let term = term.trim();
    if term.is_empty() {
        return Condition::all();
    }
    let by_code = Query::select()
        .column(product_variant::Column::ProductId)
        .from(product_variant::Entity)
        .cond_where(code_prefix(term))
        .to_owned();
    Condition::any()
        .add(folded_contains(product::Column::SearchText, term))
        .add(product::Column::Id.in_subquery(by_code))
}

pub async fn variant(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<product_variant::Model>> {
    Ok(product_variant::Entity::find_by_id(id).one(db).await?)
}

#[derive(Debug, Clone, Default)]
pub struct VariantFilter {
    /// Matches a SKU or barcode (prefix, exact case) or the title (contains).
    pub search: Option<String>,
    pub product_id: Option<i64>,
}

pub async fn variants(
    db: &DatabaseConnection,
    filter: &VariantFilter,
    page: &PageArgs,
) -> ServiceResult<Page<product_variant::Model>> {
    let mut select = product_variant::Entity::find();
    if let Some(product_id) = filter.product_id {
        select = select.filter(product_variant::Column::ProductId.eq(product_id));
    }
    if let Some(term) = filter.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        select = select.filter(
            Condition::any().add(code_prefix(term)).add(folded_contains(product_variant::Column::SearchText, term)),
        );
    }
    paginate(db, select, product_variant::Column::Id, page).await
}

fn code_prefix(term: &str) -> Condition {
    let pattern = prefix_pattern(term);
    Condition::any()
        .add(product_variant::Column::Sku.like(LikeExpr::new(pattern.clone()).escape('\\')))
        .add(product_variant::Column::Barcode.like(LikeExpr::new(pattern).escape('\\')))
}

/// `col` contains `term`, case-insensitive for ASCII (warehouse names; products and variants search `search_text`).
fn lower_contains<C: ColumnTrait>(col: C, term: &str) -> sea_orm::sea_query::SimpleExpr {
    Expr::expr(Func::lower(Expr::col(col))).like(LikeExpr::new(contains_pattern(&term.to_lowercase())).escape('\\'))
}

pub async fn product_create(
    db: &DatabaseConnection,
    currency: &str,
    fields: ProductFields,
    variants: Vec<VariantFields>,
) -> ServiceResult<(product::Model, Vec<product_variant::Model>)> {
    let txn = begin_write(db).await?;
    let created = product_create_in(&txn, currency, fields, variants).await?;
    txn.commit().await?;
    Ok(created)
}

/// `product_create` inside the caller's write transaction (an import writes many products in one).
pub async fn product_create_in(
    txn: &DatabaseTransaction,
    currency: &str,
    fields: ProductFields,
    variants: Vec<VariantFields>,
) -> ServiceResult<(product::Model, Vec<product_variant::Model>)> {
    let mut errors = Vec::new();
    let title = text::required("title", fields.title.as_deref().unwrap_or_default(), text::MAX_TITLE_LEN)
        .map_err(|e| errors.push(e))
        .ok();
    let details = product_details(&fields).map_err(|e| errors.push(e)).ok();
    if variants.is_empty() {
        errors.push(FieldError::new(&["variants"], ErrorCode::Blank, "a product needs at least one variant"));
    }
    if variants.len() > MAX_VARIANTS_PER_PRODUCT {
        errors.push(FieldError::new(
            &["variants"],
            ErrorCode::TooMany,
            format!("at most {MAX_VARIANTS_PER_PRODUCT} variants per product"),
        ));
    }
    let mut drafts = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        match VariantDraft::build(None, v, currency) {
            Ok(d) => drafts.push(d),
            Err(errs) => errors.extend(errs.into_iter().map(|e| e.under(&["variants".into(), i.to_string()]))),
        }
    }
    errors.extend(duplicate_codes_among(&drafts, &[], true));
    let (Some(title), Some(details), true) = (title, details, errors.is_empty()) else {
        return Err(ServiceError::Rejected(errors));
    };
    let product = product::ActiveModel {
        search_text: Set(derived::product_search_text(&title)),
        title: Set(title),
        description: Set(details.description.flatten()),
        vendor: Set(details.vendor.flatten()),
        product_type: Set(details.product_type.flatten()),
        image_url: Set(details.image_url.flatten()),
        total_on_hand: Set(0),
        totals_computed_at: Set(None),
        created_at: Set(now()),
        updated_at: Set(now()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let default_wh = default_warehouse(txn).await?;
    let mut created = Vec::with_capacity(drafts.len());
    for (position, draft) in drafts.into_iter().enumerate() {
        let variant = draft.into_active(product.id, position as i32).insert(txn).await?;
        open_level(txn, variant.id, default_wh.id).await?;
        created.push(variant);
    }
    Ok((product, created))
}

pub async fn product_update(db: &DatabaseConnection, id: i64, fields: ProductFields) -> ServiceResult<product::Model> {
    let txn = begin_write(db).await?;
    let model = product_update_in(&txn, id, fields).await?;
    txn.commit().await?;
    Ok(model)
}

/// `product_update` inside the caller's write transaction.
pub async fn product_update_in(
    txn: &DatabaseTransaction,
    id: i64,
    fields: ProductFields,
) -> ServiceResult<product::Model> {
    let current =
        product::Entity::find_by_id(id).one(txn).await?.ok_or_else(|| ServiceError::not_found(&["id"], "Product"))?;
    let details = product_details(&fields)?;
    let mut active: product::ActiveModel = current.into();
    if let Some(title) = fields.title.as_deref() {
        let title = text::required("title", title, text::MAX_TITLE_LEN)?;
        active.search_text = Set(derived::product_search_text(&title));
        active.title = Set(title);
    }
    if let Some(v) = details.description {
        active.description = Set(v);
    }
    if let Some(v) = details.vendor {
        active.vendor = Set(v);
    }
    if let Some(v) = details.product_type {
        active.product_type = Set(v);
    }
    if let Some(v) = details.image_url {
        active.image_url = Set(v);
    }
    active.updated_at = Set(now());
    Ok(active.update(txn).await?)
}

/// Deletes the product, its variants and their stock levels. Links to it lose their variant (and report it:
/// effects, the sync errors raised).
pub async fn product_delete(db: &DatabaseConnection, id: i64) -> ServiceResult<Committed<i64>> {
    let txn = begin_write(db).await?;
    let found = product::Entity::find_by_id(id).one(&txn).await?.is_some();
    if !found {
        return Err(ServiceError::not_found(&["id"], "Product"));
    }
    let variant_ids: Vec<i64> = variants_in(&txn, id).await?.iter().map(|v| v.id).collect();
    bundles::refuse_deleting_components(&txn, &variant_ids, "id").await?;
    let raised = super::link_marks::mark_variants_deleted(&txn, &variant_ids).await?;
    product::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    let mut effects = Effects::none();
    effects.publish_all(raised);
    Ok(Committed::new(id, effects))
}

pub async fn variant_create(
    db: &DatabaseConnection,
    currency: &str,
    product_id: i64,
    fields: VariantFields,
) -> ServiceResult<product_variant::Model> {
    let txn = begin_write(db).await?;
    let variant = variant_create_in(&txn, currency, product_id, fields).await?;
    txn.commit().await?;
    Ok(variant)
}

/// `variant_create` inside the caller's write transaction.
pub async fn variant_create_in(
    txn: &DatabaseTransaction,
    currency: &str,
    product_id: i64,
    fields: VariantFields,
) -> ServiceResult<product_variant::Model> {
    let draft = VariantDraft::build(None, &fields, currency).map_err(ServiceError::Rejected)?;
    if product::Entity::find_by_id(product_id).one(txn).await?.is_none() {
        return Err(ServiceError::not_found(&["productId"], "Product"));
    }
    let siblings = variants_in(txn, product_id).await?;
    if siblings.len() >= MAX_VARIANTS_PER_PRODUCT {
        return Err(ServiceError::rejected(
            &["productId"],
            ErrorCode::TooMany,
            format!("a product has at most {MAX_VARIANTS_PER_PRODUCT} variants"),
        ));
    }
    let errors = duplicate_codes_among(std::slice::from_ref(&draft), &siblings, false);
    if !errors.is_empty() {
        return Err(ServiceError::Rejected(errors));
    }
    let position = siblings.iter().map(|v| v.position + 1).max().unwrap_or(0);
    let variant = draft.into_active(product_id, position).insert(txn).await?;
    let default_wh = default_warehouse(txn).await?;
    open_level(txn, variant.id, default_wh.id).await?;
    touch_product(txn, product_id).await?;
    Ok(variant)
}

pub async fn variant_update(
    db: &DatabaseConnection,
    currency: &str,
    id: i64,
    fields: VariantFields,
) -> ServiceResult<Committed<product_variant::Model>> {
    let txn = begin_write(db).await?;
    let updated = variant_update_in(&txn, currency, id, fields).await?;
    txn.commit().await?;
    Ok(Committed::new(updated.variant, updated.effects))
}

/// A variant after an update inside a transaction, whether anything changed, and what to run after commit.
pub struct VariantUpdated {
    pub variant: product_variant::Model,
    /// False when the fields given were the stored ones: nothing was written.
    pub changed: bool,
    pub effects: Effects,
}

/// `variant_update` inside the caller's write transaction. Fields equal to the stored ones write nothing.
pub async fn variant_update_in(
    txn: &DatabaseTransaction,
    currency: &str,
    id: i64,
    fields: VariantFields,
) -> ServiceResult<VariantUpdated> {
    let current = product_variant::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["id"], "Variant"))?;
    let draft = VariantDraft::build(Some(&current), &fields, currency).map_err(ServiceError::Rejected)?;
    let siblings: Vec<_> = variants_in(txn, current.product_id).await?.into_iter().filter(|v| v.id != id).collect();
    let errors = duplicate_codes_among(std::slice::from_ref(&draft), &siblings, false);
    if !errors.is_empty() {
        return Err(ServiceError::Rejected(errors));
    }
    let mut active = draft.into_active(current.product_id, current.position);
    active.id = Set(id);
    active.created_at = Set(current.created_at);
    let mut as_stored = active.clone();
    as_stored.updated_at = Set(current.updated_at);
    if as_stored.try_into_model().is_ok_and(|same| same == current) {
        return Ok(VariantUpdated { variant: current, changed: false, effects: Effects::none() });
    }
    let model = active.update(txn).await?;
    touch_product(txn, current.product_id).await?;
    let mut effects = Effects::none();
    if super::link_marks::variant_push_fields_changed(&current, &model) {
        super::link_marks::mark_variants(txn, &[id]).await?;
        effects.pushes_became_due();
    }
    Ok(VariantUpdated { variant: model, changed: true, effects })
}

/// Effects: the sync errors its links raise.
pub async fn variant_delete(db: &DatabaseConnection, id: i64) -> ServiceResult<Committed<i64>> {
    let txn = begin_write(db).await?;
    let current = product_variant::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["id"], "Variant"))?;
    let siblings = variants_in(&txn, current.product_id).await?.len();
    if siblings <= 1 {
        return Err(ServiceError::rejected(
            &["id"],
            ErrorCode::Invalid,
            "a product keeps at least one variant: delete the product instead",
        ));
    }
    bundles::refuse_deleting_components(&txn, &[id], "id").await?;
    let raised = super::link_marks::mark_variants_deleted(&txn, &[id]).await?;
    product_variant::Entity::delete_by_id(id).exec(&txn).await?;
    touch_product(&txn, current.product_id).await?;
    txn.commit().await?;
    let mut effects = Effects::none();
    effects.publish_all(raised);
    Ok(Committed::new(id, effects))
}

async fn variants_in<C: ConnectionTrait>(db: &C, product_id: i64) -> ServiceResult<Vec<product_variant::Model>> {
    Ok(product_variant::Entity::find().filter(product_variant::Column::ProductId.eq(product_id)).all(db).await?)
}

async fn touch_product<C: ConnectionTrait>(db: &C, product_id: i64) -> ServiceResult<()> {
    product::Entity::update_many()
        .col_expr(product::Column::UpdatedAt, Expr::value(now()))
        .filter(product::Column::Id.eq(product_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A zero stock level, so a new variant shows in its warehouse before its first movement.
async fn open_level<C: ConnectionTrait>(db: &C, variant_id: i64, warehouse_id: i64) -> ServiceResult<()> {
    inventory_level::ActiveModel {
        variant_id: Set(variant_id),
        warehouse_id: Set(warehouse_id),
        on_hand: Set(0),
        committed: Set(0),
        pending_export: Set(0),
        updated_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

fn product_details(fields: &ProductFields) -> Result<ProductFields, FieldError> {
    let clean = |name: &str, v: &Option<Option<String>>, max: usize| -> Result<Option<Option<String>>, FieldError> {
        v.as_ref().map(|inner| text::optional(name, inner.as_deref(), max)).transpose()
    };
    Ok(ProductFields {
        title: None,
        description: clean("description", &fields.description, 20_000)?,
        vendor: clean("vendor", &fields.vendor, text::MAX_TITLE_LEN)?,
        product_type: clean("productType", &fields.product_type, text::MAX_TITLE_LEN)?,
        image_url: clean("imageUrl", &fields.image_url, 2000)?,
    })
}
