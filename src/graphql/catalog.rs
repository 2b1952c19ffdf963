//! Warehouses, products and variants.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use rust_decimal::Decimal;

use entity::{inventory_level, product, product_variant, warehouse};

use super::app;
use super::errors::{UserError, query, split, user_errors};
use super::inventory::InventoryLevel;
use super::relay::{Conn, ConnectionArgs, connection, global_id, input_id, require_id};
use crate::domain::money;
use crate::services::catalog::{
    self, OptionPair, ProductFields, ProductFilter, VariantFields, VariantFilter, WarehouseFields,
};

// ------------------------------------------------------------------------------------------------ types

/// A place that holds stock. Exactly one is the default ("Kho tổng"), used when a channel names none.
pub struct Warehouse(pub warehouse::Model);

#[Object]
impl Warehouse {
    pub async fn id(&self) -> ID {
        global_id("Warehouse", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Short code, unique by convention (not enforced).
    async fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    /// Whether this is the default warehouse; exactly one is.
    async fn is_default(&self) -> bool {
        self.0.is_default
    }
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}

/// An amount of money in a currency. `amount` is a decimal string, never a float.
#[derive(SimpleObject)]
pub struct Money {
    /// Decimal amount, e.g. "150000" (VND) or "12.50" (MYR).
    pub amount: Decimal,
    /// ISO 4217 code.
    pub currency_code: String,
}

impl Money {
    pub fn new(minor: i64, currency: &str) -> Self {
        Self { amount: money::from_minor(minor, currency), currency_code: currency.to_owned() }
    }
}

/// A product of the hub catalog; what is sold is its variants.
pub struct Product(pub product::Model);

#[Object]
impl Product {
    pub async fn id(&self) -> ID {
        global_id("Product", self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn vendor(&self) -> Option<&str> {
        self.0.vendor.as_deref()
    }
    async fn product_type(&self) -> Option<&str> {
        self.0.product_type.as_deref()
    }
    async fn image_url(&self) -> Option<&str> {
        self.0.image_url.as_deref()
    }
    /// On-hand units over all variants and warehouses, as of `totalsComputedAt` (recomputed by a
    /// PRODUCT_TOTALS run; see `productInventoryRecompute`).
    async fn total_on_hand(&self) -> i64 {
        self.0.total_on_hand
    }
    async fn totals_computed_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.totals_computed_at
    }
    /// The variants, in position order (at most 100). Costs 10× its selection in query complexity.
    #[graphql(complexity = "10 * child_complexity")]
    async fn variants(&self, ctx: &Context<'_>) -> Result<Vec<ProductVariant>> {
        let loader = ctx.data::<super::loaders::HubLoader>()?;
        let variants = loader
            .load_one(super::loaders::VariantsOf(self.0.id))
            .await
            .map_err(super::loaders::failed)?
            .unwrap_or_default();
        Ok(variants.into_iter().map(ProductVariant).collect())
    }
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}

/// One option of a variant, such as Color = Red.
#[derive(SimpleObject)]
pub struct VariantOption {
    pub name: String,
    pub value: String,
}

/// A sellable item: one combination of options, with its own SKU, barcode, price and stock.
pub struct ProductVariant(pub product_variant::Model);

#[Object]
impl ProductVariant {
    pub async fn id(&self) -> ID {
        global_id("ProductVariant", self.0.id)
    }
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(query(catalog::product(&app(ctx)?.db, self.0.product_id).await)?.map(Product))
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// Stock keeping unit: trimmed, case-sensitive, unique within the product.
    async fn sku(&self) -> Option<&str> {
        self.0.sku.as_deref()
    }
    /// Barcode: trimmed, case-sensitive, unique within the product; need not be a GTIN.
    async fn barcode(&self) -> Option<&str> {
        self.0.barcode.as_deref()
    }
    /// Retail price.
    async fn price(&self, ctx: &Context<'_>) -> Result<Money> {
        Ok(Money::new(self.0.price_minor, &app(ctx)?.settings.currency))
    }
    /// List ("compare at") price.
    async fn list_price(&self, ctx: &Context<'_>) -> Result<Option<Money>> {
        let currency = &app(ctx)?.settings.currency;
        Ok(self.0.list_price_minor.map(|m| Money::new(m, currency)))
    }
    async fn cost_price(&self, ctx: &Context<'_>) -> Result<Option<Money>> {
        let currency = &app(ctx)?.settings.currency;
        Ok(self.0.cost_price_minor.map(|m| Money::new(m, currency)))
    }
    /// Up to three options.
    async fn options(&self) -> Vec<VariantOption> {
        catalog::stored_options(&self.0).into_iter().map(|o| VariantOption { name: o.name, value: o.value }).collect()
    }
    /// When false, stock is not counted and no quantity is pushed to channels.
    async fn track_inventory(&self) -> bool {
        self.0.track_inventory
    }
    /// Continue selling when out of stock: on hand may go below zero.
    async fn allow_oversell(&self) -> bool {
        self.0.allow_oversell
    }
    async fn unit(&self) -> Option<&str> {
        self.0.unit.as_deref()
    }
    async fn image_url(&self) -> Option<&str> {
        self.0.image_url.as_deref()
    }
    async fn hidden(&self) -> bool {
        self.0.hidden
    }
    /// Stock of this variant in each warehouse where it has a level. Costs 5× its selection in query complexity.
    #[graphql(complexity = "5 * child_complexity")]
    async fn inventory_levels(&self, ctx: &Context<'_>) -> Result<Vec<InventoryLevel>> {
        let loader = ctx.data::<super::loaders::HubLoader>()?;
        let levels: Vec<inventory_level::Model> = loader
            .load_one(super::loaders::LevelsOf(self.0.id))
            .await
            .map_err(super::loaders::failed)?
            .unwrap_or_default();
        Ok(levels.into_iter().map(InventoryLevel).collect())
    }
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}

// ------------------------------------------------------------------------------------------------ queries

#[derive(InputObject, Default)]
pub struct ProductFilterInput {
    /// Title contains this text (case-insensitive for ASCII), or a variant's SKU or barcode starts with it.
    pub search: Option<String>,
}

#[derive(InputObject, Default)]
pub struct VariantFilterInput {
    /// SKU or barcode starts with this text, or the variant title contains it.
    pub search: Option<String>,
    pub product_id: Option<ID>,
}

#[derive(InputObject, Default)]
pub struct WarehouseFilterInput {
    /// Name contains this text, or code starts with it.
    pub search: Option<String>,
}

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// Warehouses, in creation order (`reverse` for newest first). At most 100 a page.
    #[allow(clippy::too_many_arguments)]
    async fn warehouses(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        reverse: Option<bool>,
        filter: Option<WarehouseFilterInput>,
    ) -> Result<Conn<Warehouse>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page()?;
        let search = filter.and_then(|f| f.search);
        let found = query(catalog::warehouses(&app(ctx)?.db, search.as_deref(), &page).await)?;
        Ok(connection(found, |w| w.id, Warehouse))
    }

    async fn warehouse(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Warehouse>> {
        let id = require_id("Warehouse", &id)?;
        Ok(query(catalog::warehouse(&app(ctx)?.db, id).await)?.map(Warehouse))
    }

    /// Products, in creation order (`reverse` for newest first). At most 100 a page.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "first.or(last).unwrap_or(50).max(1) as usize * child_complexity")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        reverse: Option<bool>,
        filter: Option<ProductFilterInput>,
    ) -> Result<Conn<Product>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page()?;
        let filter = ProductFilter { search: filter.and_then(|f| f.search) };
        let found = query(catalog::products(&app(ctx)?.db, &filter, &page).await)?;
        Ok(connection(found, |p| p.id, Product))
    }

    async fn product(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Product>> {
        let id = require_id("Product", &id)?;
        Ok(query(catalog::product(&app(ctx)?.db, id).await)?.map(Product))
    }

    /// Variants of all products, in creation order. At most 100 a page.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "first.or(last).unwrap_or(50).max(1) as usize * child_complexity")]
    async fn product_variants(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        reverse: Option<bool>,
        filter: Option<VariantFilterInput>,
    ) -> Result<Conn<ProductVariant>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page()?;
        let filter = filter.unwrap_or_default();
        let product_id = filter.product_id.as_ref().map(|id| require_id("Product", id)).transpose()?;
        let filter = VariantFilter { search: filter.search, product_id };
        let found = query(catalog::variants(&app(ctx)?.db, &filter, &page).await)?;
        Ok(connection(found, |v| v.id, ProductVariant))
    }

    async fn product_variant(&self, ctx: &Context<'_>, id: ID) -> Result<Option<ProductVariant>> {
        let id = require_id("ProductVariant", &id)?;
        Ok(query(catalog::variant(&app(ctx)?.db, id).await)?.map(ProductVariant))
    }
}

// ------------------------------------------------------------------------------------------------ mutations

#[derive(InputObject)]
pub struct WarehouseInput {
    /// Required on create.
    pub name: Option<String>,
    pub code: MaybeUndefined<String>,
    pub address: MaybeUndefined<String>,
    /// Making a warehouse the default takes the flag from the current default.
    pub is_default: Option<bool>,
}

impl From<WarehouseInput> for WarehouseFields {
    fn from(i: WarehouseInput) -> Self {
        Self { name: i.name, code: patch(i.code), address: patch(i.address), is_default: i.is_default }
    }
}

#[derive(InputObject)]
pub struct OptionInput {
    pub name: String,
    pub value: String,
}

#[derive(InputObject)]
pub struct ProductInput {
    /// Required on create.
    pub title: Option<String>,
    pub description: MaybeUndefined<String>,
    pub vendor: MaybeUndefined<String>,
    pub product_type: MaybeUndefined<String>,
    pub image_url: MaybeUndefined<String>,
    /// On create: the variants (1 to 100). Ignored on update: use the variant mutations.
    pub variants: Option<Vec<VariantInput>>,
}

/// A variant's fields. On update, an omitted field is unchanged and an explicit null clears it.
#[derive(InputObject)]
pub struct VariantInput {
    /// Defaults to the option values joined by " / ", or "Default Title".
    pub title: Option<String>,
    pub sku: MaybeUndefined<String>,
    pub barcode: MaybeUndefined<String>,
    /// Retail price, a decimal string in the shop currency. Required on create.
    pub price: Option<Decimal>,
    pub list_price: MaybeUndefined<Decimal>,
    pub cost_price: MaybeUndefined<Decimal>,
    /// Up to three name/value pairs; replaces all options.
    pub options: Option<Vec<OptionInput>>,
    /// Default true.
    pub track_inventory: Option<bool>,
    /// Continue selling when out of stock. Default false.
    pub allow_oversell: Option<bool>,
    pub unit: MaybeUndefined<String>,
    pub image_url: MaybeUndefined<String>,
    pub hidden: Option<bool>,
}

fn patch<T>(v: MaybeUndefined<T>) -> Option<Option<T>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

impl From<VariantInput> for VariantFields {
    fn from(i: VariantInput) -> Self {
        Self {
            title: i.title,
            sku: patch(i.sku),
            barcode: patch(i.barcode),
            price: i.price,
            list_price: patch(i.list_price),
            cost_price: patch(i.cost_price),
            options: i.options.map(|o| o.into_iter().map(|o| OptionPair { name: o.name, value: o.value }).collect()),
            track_inventory: i.track_inventory,
            allow_oversell: i.allow_oversell,
            unit: patch(i.unit),
            image_url: patch(i.image_url),
            hidden: i.hidden,
        }
    }
}

impl ProductInput {
    fn split(self) -> (ProductFields, Vec<VariantFields>) {
        let variants = self.variants.unwrap_or_default().into_iter().map(VariantFields::from).collect();
        let fields = ProductFields {
            title: self.title,
            description: patch(self.description),
            vendor: patch(self.vendor),
            product_type: patch(self.product_type),
            image_url: patch(self.image_url),
        };
        (fields, variants)
    }
}

#[derive(SimpleObject)]
pub struct WarehousePayload {
    pub warehouse: Option<Warehouse>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct ProductPayload {
    pub product: Option<Product>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct ProductVariantPayload {
    pub product_variant: Option<ProductVariant>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct DeletePayload {
    /// The id of what was deleted; null when nothing was.
    pub deleted_id: Option<ID>,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct CatalogMutation;

fn deleted(type_name: &str, result: (Option<i64>, Vec<UserError>)) -> DeletePayload {
    DeletePayload { deleted_id: result.0.map(|id| global_id(type_name, id)), user_errors: result.1 }
}

#[Object]
impl CatalogMutation {
    async fn warehouse_create(&self, ctx: &Context<'_>, input: WarehouseInput) -> Result<WarehousePayload> {
        let (w, user_errors) = split(catalog::warehouse_create(&app(ctx)?.db, input.into()).await, &[])?;
        Ok(WarehousePayload { warehouse: w.map(Warehouse), user_errors })
    }

    async fn warehouse_update(&self, ctx: &Context<'_>, id: ID, input: WarehouseInput) -> Result<WarehousePayload> {
        let id = match input_id("Warehouse", &id, &["id"]) {
            Ok(id) => id,
            Err(e) => return Ok(WarehousePayload { warehouse: None, user_errors: user_errors(vec![e], &["id"]) }),
        };
        let (w, user_errors) = split(catalog::warehouse_update(&app(ctx)?.db, id, input.into()).await, &["id"])?;
        Ok(WarehousePayload { warehouse: w.map(Warehouse), user_errors })
    }

    /// Deletes a warehouse that never held stock movements. The default warehouse can't be deleted.
    async fn warehouse_delete(&self, ctx: &Context<'_>, id: ID) -> Result<DeletePayload> {
        let id = match input_id("Warehouse", &id, &["id"]) {
            Ok(id) => id,
            Err(e) => return Ok(deleted("Warehouse", (None, user_errors(vec![e], &["id"])))),
        };
        Ok(deleted("Warehouse", split(catalog::warehouse_delete(&app(ctx)?.db, id).await, &["id"])?))
    }

    /// Creates a product with its variants (each gets a zero stock level in the default warehouse).
    async fn product_create(&self, ctx: &Context<'_>, input: ProductInput) -> Result<ProductPayload> {
        let app = app(ctx)?;
        let (fields, variants) = input.split();
        let (created, user_errors) =
            split(catalog::product_create(&app.db, &app.settings.currency, fields, variants).await, &[])?;
        Ok(ProductPayload { product: created.map(|(p, _)| Product(p)), user_errors })
    }

    /// Updates product fields (variants have their own mutations).
    async fn product_update(&self, ctx: &Context<'_>, id: ID, input: ProductInput) -> Result<ProductPayload> {
        let id = match input_id("Product", &id, &["id"]) {
            Ok(id) => id,
            Err(e) => return Ok(ProductPayload { product: None, user_errors: user_errors(vec![e], &["id"]) }),
        };
        let (fields, _) = input.split();
        let (p, user_errors) = split(catalog::product_update(&app(ctx)?.db, id, fields).await, &["id"])?;
        Ok(ProductPayload { product: p.map(Product), user_errors })
    }

    /// Deletes a product, its variants and their stock levels. Channel links to it report the loss.
    async fn product_delete(&self, ctx: &Context<'_>, id: ID) -> Result<DeletePayload> {
        let id = match input_id("Product", &id, &["id"]) {
            Ok(id) => id,
            Err(e) => return Ok(deleted("Product", (None, user_errors(vec![e], &["id"])))),
        };
        Ok(deleted("Product", split(catalog::product_delete(&app(ctx)?.db, id).await, &["id"])?))
    }

    async fn product_variant_create(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        input: VariantInput,
    ) -> Result<ProductVariantPayload> {
        let app = app(ctx)?;
        let product_id = match input_id("Product", &product_id, &["productId"]) {
            Ok(id) => id,
            Err(e) => {
                return Ok(ProductVariantPayload {
                    product_variant: None,
                    user_errors: user_errors(vec![e], &["productId"]),
                });
            }
        };
        let result = catalog::variant_create(&app.db, &app.settings.currency, product_id, input.into()).await;
        let (v, user_errors) = split(result, &["productId"])?;
        Ok(ProductVariantPayload { product_variant: v.map(ProductVariant), user_errors })
    }

    async fn product_variant_update(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: VariantInput,
    ) -> Result<ProductVariantPayload> {
        let app = app(ctx)?;
        let id = match input_id("ProductVariant", &id, &["id"]) {
            Ok(id) => id,
            Err(e) => {
                return Ok(ProductVariantPayload { product_variant: None, user_errors: user_errors(vec![e], &["id"]) });
            }
        };
        let result = catalog::variant_update(&app.db, &app.settings.currency, id, input.into()).await;
        let (v, user_errors) = split(crate::jobs::effects::with_effects(app, result), &["id"])?;
        Ok(ProductVariantPayload { product_variant: v.map(ProductVariant), user_errors })
    }

    /// Deletes a variant and its stock levels; a product keeps at least one variant.
    async fn product_variant_delete(&self, ctx: &Context<'_>, id: ID) -> Result<DeletePayload> {
        let id = match input_id("ProductVariant", &id, &["id"]) {
            Ok(id) => id,
            Err(e) => return Ok(deleted("ProductVariant", (None, user_errors(vec![e], &["id"])))),
        };
        Ok(deleted("ProductVariant", split(catalog::variant_delete(&app(ctx)?.db, id).await, &["id"])?))
    }
}
