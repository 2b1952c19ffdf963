//! Warehouses, products and variants.

use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter,
};

use entity::{inventory_ledger, inventory_level, product, product_variant, warehouse};

use super::now;
use super::pagination::{Page, PageArgs, paginate};
use super::{ServiceError, ServiceResult, begin_write, contains_pattern, prefix_pattern};
use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::{money, text};

/// Most variants one product may have (marketplaces allow fewer; this bounds one request).
pub const MAX_VARIANTS_PER_PRODUCT: usize = 100;
/// Options per variant (name/value pairs), as on every marketplace.
pub const MAX_OPTIONS: usize = 3;

// ---------------------------------------------------------------------------------------------- warehouses

#[derive(Debug, Clone, Default)]
pub struct WarehouseFields {
    pub name: Option<String>,
    pub code: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub is_default: Option<bool>,
}

pub async fn warehouse(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<warehouse::Model>> {
    Ok(warehouse::Entity::find_by_id(id).one(db).await?)
}

pub use super::warehouses::default_warehouse;

pub async fn warehouses(
    db: &DatabaseConnection,
    search: Option<&str>,
    page: &PageArgs,
) -> ServiceResult<Page<warehouse::Model>> {
    let mut select = warehouse::Entity::find();
    if let Some(term) = search.map(str::trim).filter(|t| !t.is_empty()) {
        select = select.filter(
            Condition::any()
                .add(lower_contains(warehouse::Column::Name, term))
                .add(warehouse::Column::Code.like(LikeExpr::new(prefix_pattern(term)).escape('\\'))),
        );
    }
    paginate(db, select, warehouse::Column::Id, page).await
}

pub async fn warehouse_create(db: &DatabaseConnection, fields: WarehouseFields) -> ServiceResult<warehouse::Model> {
    let name = text::required("name", fields.name.as_deref().unwrap_or_default(), text::MAX_TITLE_LEN)?;
    let code = text::optional("code", fields.code.flatten().as_deref(), text::MAX_CODE_LEN)?;
    let address = text::optional("address", fields.address.flatten().as_deref(), 1000)?;
    let txn = begin_write(db).await?;
    let make_default = fields.is_default.unwrap_or(false);
    if make_default {
        clear_default(&txn).await?;
    }
    let model = warehouse::ActiveModel {
        name: Set(name),
        code: Set(code),
        address: Set(address),
        is_default: Set(make_default),
        created_at: Set(now()),
        updated_at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn warehouse_update(
    db: &DatabaseConnection,
    id: i64,
    fields: WarehouseFields,
) -> ServiceResult<warehouse::Model> {
    let txn = begin_write(db).await?;
    let current = warehouse::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["id"], "Warehouse"))?;
    let mut active: warehouse::ActiveModel = current.clone().into();
    if let Some(name) = fields.name.as_deref() {
        active.name = Set(text::required("name", name, text::MAX_TITLE_LEN)?);
    }
    if let Some(code) = fields.code {
        active.code = Set(text::optional("code", code.as_deref(), text::MAX_CODE_LEN)?);
    }
    if let Some(address) = fields.address {
        active.address = Set(text::optional("address", address.as_deref(), 1000)?);
    }
    match fields.is_default {
        Some(true) if !current.is_default => {
            clear_default(&txn).await?;
            active.is_default = Set(true);
        }
        Some(false) if current.is_default => {
            return Err(ServiceError::rejected(
                &["isDefault"],
                ErrorCode::DefaultWarehouseRequired,
                format!("\"{}\" is the default warehouse: make another warehouse the default instead", current.name),
            ));
        }
        _ => {}
    }
    active.updated_at = Set(now());
    let model = active.update(&txn).await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn warehouse_delete(db: &DatabaseConnection, id: i64) -> ServiceResult<i64> {
    let txn = begin_write(db).await?;
    let current = warehouse::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["id"], "Warehouse"))?;
    if current.is_default {
        return Err(ServiceError::rejected(
            &["id"],
            ErrorCode::DefaultWarehouseRequired,
            format!("\"{}\" is the default warehouse and can't be deleted", current.name),
        ));
    }
    // Any stock movement ever recorded keeps the warehouse: the ledger must stay explainable.
    let movements =
        inventory_ledger::Entity::find().filter(inventory_ledger::Column::WarehouseId.eq(id)).count(&txn).await?;
    if movements > 0 {
        return Err(ServiceError::rejected(
            &["id"],
            ErrorCode::WarehouseInUse,
            format!("\"{}\" has {movements} recorded stock movements and can't be deleted", current.name),
        ));
    }
    inventory_level::Entity::delete_many().filter(inventory_level::Column::WarehouseId.eq(id)).exec(&txn).await?;
    let result = warehouse::Entity::delete_by_id(id).exec(&txn).await;
    match result {
        Ok(_) => {
            txn.commit().await?;
            Ok(id)
        }
        // Orders, slips or returns still point at it (RESTRICT).
        Err(err) if is_foreign_key_violation(&err) => Err(ServiceError::rejected(
            &["id"],
            ErrorCode::WarehouseInUse,
            format!("\"{}\" is used by orders, returns or export slips and can't be deleted", current.name),
        )),
        Err(err) => Err(err.into()),
    }
}

async fn clear_default<C: ConnectionTrait>(txn: &C) -> ServiceResult<()> {
    warehouse::Entity::update_many()
        .col_expr(warehouse::Column::IsDefault, Expr::value(false))
        .filter(warehouse::Column::IsDefault.eq(true))
        .exec(txn)
        .await?;
    Ok(())
}

fn is_foreign_key_violation(err: &sea_orm::DbErr) -> bool {
    let text = err.to_string().to_lowercase();
    text.contains("foreign key")
}

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
    pub unit: Option<Option<String>>,
    pub image_url: Option<Option<String>>,
    pub hidden: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    /// Matches title (contains, case-insensitive for ASCII), or a variant's SKU or barcode (prefix, exact case).
    pub search: Option<String>,
}

pub async fn product(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<product::Model>> {
    Ok(product::Entity::find_by_id(id).one(db).await?)
}

pub async fn products(
    db: &DatabaseConnection,
    filter: &ProductFilter,
    page: &PageArgs,
) -> ServiceResult<Page<product::Model>> {
    let mut select = product::Entity::find();
    if let Some(term) = filter.search.as_deref() {
        select = select.filter(product_search(term));
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
    Condition::any().add(lower_contains(product::Column::Title, term)).add(product::Column::Id.in_subquery(by_code))
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
        select = select
            .filter(Condition::any().add(code_prefix(term)).add(lower_contains(product_variant::Column::Title, term)));
    }
    paginate(db, select, product_variant::Column::Id, page).await
}

fn code_prefix(term: &str) -> Condition {
    let pattern = prefix_pattern(term);
    Condition::any()
        .add(product_variant::Column::Sku.like(LikeExpr::new(pattern.clone()).escape('\\')))
        .add(product_variant::Column::Barcode.like(LikeExpr::new(pattern).escape('\\')))
}

fn lower_contains<C: ColumnTrait>(col: C, term: &str) -> sea_orm::sea_query::SimpleExpr {
    Expr::expr(Func::lower(Expr::col(col))).like(LikeExpr::new(contains_pattern(&term.to_lowercase())).escape('\\'))
}

pub async fn product_create(
    db: &DatabaseConnection,
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
    let txn = begin_write(db).await?;
    let product = product::ActiveModel {
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
    .insert(&txn)
    .await?;
    let default_wh = default_warehouse(&txn).await?;
    let mut created = Vec::with_capacity(drafts.len());
    for (position, draft) in drafts.into_iter().enumerate() {
        let variant = draft.into_active(product.id, position as i32).insert(&txn).await?;
        open_level(&txn, variant.id, default_wh.id).await?;
        created.push(variant);
    }
    txn.commit().await?;
    Ok((product, created))
}

pub async fn product_update(db: &DatabaseConnection, id: i64, fields: ProductFields) -> ServiceResult<product::Model> {
    let txn = begin_write(db).await?;
    let current =
        product::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| ServiceError::not_found(&["id"], "Product"))?;
    let details = product_details(&fields)?;
    let mut active: product::ActiveModel = current.into();
    if let Some(title) = fields.title.as_deref() {
        active.title = Set(text::required("title", title, text::MAX_TITLE_LEN)?);
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
    let model = active.update(&txn).await?;
    txn.commit().await?;
    Ok(model)
}

/// Deletes the product, its variants and their stock levels. Links to it lose their variant (and report it).
pub async fn product_delete(db: &DatabaseConnection, id: i64) -> ServiceResult<i64> {
    let txn = begin_write(db).await?;
    let found = product::Entity::find_by_id(id).one(&txn).await?.is_some();
    if !found {
        return Err(ServiceError::not_found(&["id"], "Product"));
    }
    let variant_ids: Vec<i64> = variants_in(&txn, id).await?.iter().map(|v| v.id).collect();
    super::link_marks::mark_variants_deleted(&txn, &variant_ids).await?;
    product::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(id)
}

pub async fn variant_create(
    db: &DatabaseConnection,
    currency: &str,
    product_id: i64,
    fields: VariantFields,
) -> ServiceResult<product_variant::Model> {
    let draft = VariantDraft::build(None, &fields, currency).map_err(ServiceError::Rejected)?;
    let txn = begin_write(db).await?;
    if product::Entity::find_by_id(product_id).one(&txn).await?.is_none() {
        return Err(ServiceError::not_found(&["productId"], "Product"));
    }
    let siblings = variants_in(&txn, product_id).await?;
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
    let variant = draft.into_active(product_id, position).insert(&txn).await?;
    let default_wh = default_warehouse(&txn).await?;
    open_level(&txn, variant.id, default_wh.id).await?;
    touch_product(&txn, product_id).await?;
    txn.commit().await?;
    Ok(variant)
}

pub async fn variant_update(
    db: &DatabaseConnection,
    currency: &str,
    id: i64,
    fields: VariantFields,
) -> ServiceResult<product_variant::Model> {
    let txn = begin_write(db).await?;
    let current = product_variant::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["id"], "Variant"))?;
    let draft = VariantDraft::build(Some(&current), &fields, currency).map_err(ServiceError::Rejected)?;
    let siblings: Vec<_> = variants_in(&txn, current.product_id).await?.into_iter().filter(|v| v.id != id).collect();
    let errors = duplicate_codes_among(std::slice::from_ref(&draft), &siblings, false);
    if !errors.is_empty() {
        return Err(ServiceError::Rejected(errors));
    }
    let mut active = draft.into_active(current.product_id, current.position);
    active.id = Set(id);
    active.created_at = Set(current.created_at);
    let model = active.update(&txn).await?;
    touch_product(&txn, current.product_id).await?;
    if super::link_marks::variant_push_fields_changed(&current, &model) {
        super::link_marks::mark_variants(&txn, &[id]).await?;
    }
    txn.commit().await?;
    Ok(model)
}

pub async fn variant_delete(db: &DatabaseConnection, id: i64) -> ServiceResult<i64> {
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
    super::link_marks::mark_variants_deleted(&txn, &[id]).await?;
    product_variant::Entity::delete_by_id(id).exec(&txn).await?;
    touch_product(&txn, current.product_id).await?;
    txn.commit().await?;
    Ok(id)
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

/// A variant's final values: the stored variant (if any) with the given fields applied, validated.
#[derive(Debug, Clone)]
struct VariantDraft {
    title: String,
    sku: Option<String>,
    barcode: Option<String>,
    price_minor: i64,
    list_price_minor: Option<i64>,
    cost_price_minor: Option<i64>,
    options: Vec<OptionPair>,
    track_inventory: bool,
    allow_oversell: bool,
    unit: Option<String>,
    image_url: Option<String>,
    hidden: bool,
}

impl VariantDraft {
    fn build(
        current: Option<&product_variant::Model>,
        f: &VariantFields,
        currency: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut check = |r: Result<(), FieldError>| {
            if let Err(e) = r {
                errors.push(e);
            }
        };
        let mut sku = current.and_then(|c| c.sku.clone());
        if let Some(v) = &f.sku {
            check(text::product_code("sku", v.as_deref()).map(|v| sku = v));
        }
        let mut barcode = current.and_then(|c| c.barcode.clone());
        if let Some(v) = &f.barcode {
            check(text::product_code("barcode", v.as_deref()).map(|v| barcode = v));
        }
        let mut price_minor = current.map(|c| c.price_minor);
        if let Some(p) = f.price {
            check(money::to_minor(&["price"], p, currency).map(|v| price_minor = Some(v)));
        }
        if price_minor.is_none() && f.price.is_none() {
            check(Err(FieldError::new(&["price"], ErrorCode::Blank, "price can't be blank")));
        }
        let mut list_price_minor = current.and_then(|c| c.list_price_minor);
        if let Some(p) = &f.list_price {
            check(p.map(|p| money::to_minor(&["listPrice"], p, currency)).transpose().map(|v| list_price_minor = v));
        }
        let mut cost_price_minor = current.and_then(|c| c.cost_price_minor);
        if let Some(p) = &f.cost_price {
            check(p.map(|p| money::to_minor(&["costPrice"], p, currency)).transpose().map(|v| cost_price_minor = v));
        }
        let mut options = current.map(stored_options).unwrap_or_default();
        if let Some(given) = &f.options {
            check(validate_options(given).map(|v| options = v));
        }
        let mut unit = current.and_then(|c| c.unit.clone());
        if let Some(v) = &f.unit {
            check(text::optional("unit", v.as_deref(), 50).map(|v| unit = v));
        }
        let mut image_url = current.and_then(|c| c.image_url.clone());
        if let Some(v) = &f.image_url {
            check(text::optional("imageUrl", v.as_deref(), 2000).map(|v| image_url = v));
        }
        let mut title = current.map(|c| c.title.clone());
        if let Some(t) = &f.title {
            check(text::required("title", t, text::MAX_TITLE_LEN).map(|v| title = Some(v)));
        } else if f.options.is_some() || title.is_none() {
            // Titles follow the options unless the merchant named the variant.
            title = Some(default_title(&options));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            title: title.unwrap_or_else(|| default_title(&options)),
            sku,
            barcode,
            price_minor: price_minor.unwrap_or_default(),
            list_price_minor,
            cost_price_minor,
            options,
            track_inventory: f.track_inventory.or(current.map(|c| c.track_inventory)).unwrap_or(true),
            allow_oversell: f.allow_oversell.or(current.map(|c| c.allow_oversell)).unwrap_or(false),
            unit,
            image_url,
            hidden: f.hidden.or(current.map(|c| c.hidden)).unwrap_or(false),
        })
    }

    fn into_active(self, product_id: i64, position: i32) -> product_variant::ActiveModel {
        let opt = |i: usize| self.options.get(i).cloned();
        let (o1, o2, o3) = (opt(0), opt(1), opt(2));
        product_variant::ActiveModel {
            product_id: Set(product_id),
            title: Set(self.title),
            position: Set(position),
            sku: Set(self.sku),
            barcode: Set(self.barcode),
            price_minor: Set(self.price_minor),
            list_price_minor: Set(self.list_price_minor),
            cost_price_minor: Set(self.cost_price_minor),
            option1_name: Set(o1.as_ref().map(|o| o.name.clone())),
            option1_value: Set(o1.map(|o| o.value)),
            option2_name: Set(o2.as_ref().map(|o| o.name.clone())),
            option2_value: Set(o2.map(|o| o.value)),
            option3_name: Set(o3.as_ref().map(|o| o.name.clone())),
            option3_value: Set(o3.map(|o| o.value)),
            track_inventory: Set(self.track_inventory),
            allow_oversell: Set(self.allow_oversell),
            unit: Set(self.unit),
            image_url: Set(self.image_url),
            hidden: Set(self.hidden),
            created_at: Set(now()),
            updated_at: Set(now()),
            ..Default::default()
        }
    }
}

/// The name/value pairs stored in a variant's three option slots.
pub fn stored_options(v: &product_variant::Model) -> Vec<OptionPair> {
    [(&v.option1_name, &v.option1_value), (&v.option2_name, &v.option2_value), (&v.option3_name, &v.option3_value)]
        .into_iter()
        .filter_map(|(n, val)| Some(OptionPair { name: n.clone()?, value: val.clone().unwrap_or_default() }))
        .collect()
}

fn default_title(options: &[OptionPair]) -> String {
    if options.is_empty() {
        "Default Title".to_owned()
    } else {
        options.iter().map(|o| o.value.as_str()).collect::<Vec<_>>().join(" / ")
    }
}

fn validate_options(given: &[OptionPair]) -> Result<Vec<OptionPair>, FieldError> {
    if given.len() > MAX_OPTIONS {
        return Err(FieldError::new(
            &["options"],
            ErrorCode::InvalidOptions,
            format!("at most {MAX_OPTIONS} options per variant"),
        ));
    }
    let mut out: Vec<OptionPair> = Vec::with_capacity(given.len());
    for (i, o) in given.iter().enumerate() {
        let at = |code, msg: String| FieldError::new(&["options", &i.to_string()], code, msg);
        let name = text::required("name", &o.name, 100)
            .map_err(|e| at(ErrorCode::InvalidOptions, format!("option {}: {}", i + 1, e.message)))?;
        let value = text::required("value", &o.value, 255)
            .map_err(|e| at(ErrorCode::InvalidOptions, format!("option \"{name}\": {}", e.message)))?;
        if out.iter().any(|p| p.name.eq_ignore_ascii_case(&name)) {
            return Err(at(ErrorCode::InvalidOptions, format!("option \"{name}\" is given twice")));
        }
        out.push(OptionPair { name, value });
    }
    Ok(out)
}

/// SKUs must be unique within one product. Barcodes may repeat (within and across products): merchants' data
/// has such duplicates, and linking reports them where they matter (SPEC §2), instead of the catalog refusing.
/// `in_list`: the drafts came as the `variants` list of a product input (paths get `variants.<i>.`).
fn duplicate_codes_among(drafts: &[VariantDraft], stored: &[product_variant::Model], in_list: bool) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, d) in drafts.iter().enumerate() {
        let path = |f: &str| -> Vec<String> {
            if in_list { vec!["variants".into(), i.to_string(), f.into()] } else { vec![f.into()] }
        };
        let earlier = &drafts[..i];
        if let Some(sku) = &d.sku {
            let taken = earlier.iter().any(|e| e.sku.as_ref() == Some(sku))
                || stored.iter().any(|s| s.sku.as_ref() == Some(sku));
            if taken {
                errors.push(FieldError {
                    field: path("sku"),
                    code: ErrorCode::SkuTaken,
                    message: format!("SKU \"{sku}\" is already used by another variant of this product"),
                });
            }
        }
    }
    errors
}
