//! Warehouses, products and variants.

use async_graphql::{
    Context, Enum, ID, InputObject, InputValueError, InputValueResult, MaybeUndefined, Object, Result, Scalar,
    ScalarType, SimpleObject, Value,
};

use entity::{product, product_variant, warehouse};

use super::errors::{UserError, int, int_opt, payloads, query, split, user_errors};
use super::inventory::InventoryLevel;
use super::loaders::{ComponentsOf, LevelsOf, ProductId, VariantId, VariantsOf, load_by_id, load_children};
use super::relay::{Conn, ConnectionArgs, connection, global_id, input_id, require_id};
use super::{app, reader};
use crate::domain::money::{self, CurrencyCode};
use crate::jobs::effects::with_effects;
use crate::services::catalog::{
    self, OptionPair, ProductFields, ProductFilter, SaleFields, VariantFields, VariantFilter, WarehouseFields,
};

// ------------------------------------------------------------------------------------------------ types

pub struct Warehouse(pub warehouse::Model);

/// A place that holds stock. Exactly one is the default ("Kho tổng"), used when a channel names none.
#[Object]
impl Warehouse {
    /// Global id.
    pub async fn id(&self) -> ID {
        global_id("Warehouse", self.0.id)
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Short code, unique by convention (not enforced).
    async fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }
    /// Postal address, free text.
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    /// Whether this is the default warehouse; exactly one is.
    async fn is_default(&self) -> bool {
        self.0.is_default
    }
    /// Its units are split between the channels that sell from it alone, by their `allocationWeight`: each
    /// channel is pushed its own share, so what they show never adds up to more than is available here.
    async fn stock_allocation(&self) -> bool {
        self.0.stock_allocation
    }
    /// Allocation turns on for a variant whose available units here fall to this or below (a variant's own
    /// `lowStockThreshold` overrides it); null: only `stockAllocation`.
    async fn low_stock_threshold(&self) -> Result<Option<i32>> {
        int_opt(self.0.low_stock_threshold)
    }
    /// When it was created.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}

/// The schema's `Decimal` scalar: async-graphql's, with a description.
pub struct Decimal(pub rust_decimal::Decimal);

/// A decimal number as a string, e.g. "150000" or "12.50", so no precision is lost (inputs may also be JSON
/// numbers, which float rounding may alter). Money amounts are in the currency's main unit (dong, ringgit), not
/// in cents.
#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => Ok(Self(text.parse()?)),
            Value::Number(n) => {
                if let Some(f) = n.as_f64() {
                    return rust_decimal::Decimal::try_from(f).map(Self).map_err(InputValueError::custom);
                }
                if let Some(i) = n.as_i64() {
                    return Ok(Self(i.into()));
                }
                n.as_u64().map(|u| Self(u.into())).ok_or_else(|| InputValueError::expected_type(value.clone()))
            }
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// An amount of money in a currency. `amount` is a decimal string, never a float.
#[derive(SimpleObject)]
pub struct Money {
    /// Decimal amount, e.g. "150000" (VND) or "12.50" (MYR).
    pub amount: Decimal,
    /// The amount's currency.
    pub currency_code: CurrencyCode,
}

impl Money {
    pub fn new(minor: i64, currency: &str) -> Self {
        Self { amount: Decimal(money::from_minor(minor, currency)), currency_code: CurrencyCode::of_stored(currency) }
    }
}

pub struct Product(pub product::Model);

/// A product of the hub catalog; what is sold is its variants.
#[Object]
impl Product {
    /// Global id.
    pub async fn id(&self) -> ID {
        global_id("Product", self.0.id)
    }
    /// The product's name.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Long description, free text.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Brand or maker.
    async fn vendor(&self) -> Option<&str> {
        self.0.vendor.as_deref()
    }
    /// The merchant's own category, free text.
    async fn product_type(&self) -> Option<&str> {
        self.0.product_type.as_deref()
    }
    /// URL of the main image.
    async fn image_url(&self) -> Option<&str> {
        self.0.image_url.as_deref()
    }
    /// On-hand units over all variants and warehouses, as of `totalsComputedAt` (recomputed by a
    /// PRODUCT_TOTALS run; see `productInventoryRecompute`).
    async fn total_on_hand(&self) -> Result<i32> {
        int(self.0.total_on_hand)
    }
    /// When `totalOnHand` was computed; null before the first PRODUCT_TOTALS run that included the product.
    async fn totals_computed_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.totals_computed_at
    }
    /// The variants, in position order (at most 100). Costs 10× its selection in query complexity.
    #[graphql(complexity = "10 * child_complexity")]
    async fn variants(&self, ctx: &Context<'_>) -> Result<Vec<ProductVariant>> {
        let variants = load_children(ctx, VariantsOf(self.0.id)).await?;
        Ok(variants.into_iter().map(ProductVariant).collect())
    }
    /// When it was created.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
    /// When it or one of its variants last changed.
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}

/// One option of a variant, such as Color = Red.
#[derive(SimpleObject)]
pub struct VariantOption {
    /// The option's name, e.g. "Color".
    pub name: String,
    /// The variant's value of it, e.g. "Red".
    pub value: String,
}

pub struct ProductVariant(pub product_variant::Model);

/// A sellable item: one combination of options, with its own SKU, barcode, price and stock.
#[Object]
impl ProductVariant {
    /// Global id.
    pub async fn id(&self) -> ID {
        global_id("ProductVariant", self.0.id)
    }
    /// The product it belongs to.
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(load_by_id(ctx, ProductId(self.0.product_id)).await?.map(Product))
    }
    /// Its name within the product; by default its option values joined by " / ", e.g. "Red / XL".
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Its place among the product's variants, from 0.
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// Stock keeping unit: trimmed, case-sensitive, unique within the product.
    async fn sku(&self) -> Option<&str> {
        self.0.sku.as_deref()
    }
    /// Barcode: trimmed, case-sensitive; need not be a GTIN. Unlike SKUs, barcodes may repeat (linking reports
    /// the duplicates).
    async fn barcode(&self) -> Option<&str> {
        self.0.barcode.as_deref()
    }
    /// Retail price.
    async fn price(&self, ctx: &Context<'_>) -> Result<Money> {
        Ok(Money::new(self.0.price_minor, &app(ctx)?.settings.currency))
    }
    /// List ("compare at") price; null when none.
    async fn list_price(&self, ctx: &Context<'_>) -> Result<Option<Money>> {
        let currency = &app(ctx)?.settings.currency;
        Ok(self.0.list_price_minor.map(|m| Money::new(m, currency)))
    }
    /// What the merchant paid for a unit; null when unknown.
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
    /// Units held back from what every channel is pushed, instead of each channel's safety stock; null: each
    /// channel's own (`ChannelSettings.safetyStockUnits` / `safetyStockPercent`).
    async fn safety_stock_units(&self) -> Result<Option<i32>> {
        int_opt(self.0.safety_stock_units)
    }
    /// Allocation turns on for this variant where its available units in a warehouse fall to this or below;
    /// null: the warehouse's `lowStockThreshold`.
    async fn low_stock_threshold(&self) -> Result<Option<i32>> {
        int_opt(self.0.low_stock_threshold)
    }
    /// Unit of sale, e.g. "cái" or "kg".
    async fn unit(&self) -> Option<&str> {
        self.0.unit.as_deref()
    }
    /// URL of the variant's own image.
    async fn image_url(&self) -> Option<&str> {
        self.0.image_url.as_deref()
    }
    /// Marked hidden by the merchant, for the front end's lists; syncing ignores it.
    async fn hidden(&self) -> bool {
        self.0.hidden
    }
    /// Its sale price for a time, pushed where the marketplace schedules sale prices (Lazada); null: none.
    async fn sale(&self, ctx: &Context<'_>) -> Result<Option<ScheduledSale>> {
        let currency = &app(ctx)?.settings.currency;
        Ok(crate::services::link_marks::variant_prices(&self.0).sale.map(|s| ScheduledSale::new(s, currency)))
    }
    /// What it is made of, if it is a bundle (a combo or multi-pack): each component variant with its units per
    /// bundle. Empty: an ordinary variant. A bundle holds no stock of its own: its available quantity, pushed like
    /// any variant's, is what its components make (`stockExplanation.bundleComponents`), and its orders, slips and
    /// returns move its components. Costs 5× its selection in query complexity.
    #[graphql(complexity = "5 * child_complexity")]
    async fn bundle_components(&self, ctx: &Context<'_>) -> Result<Vec<BundleComponent>> {
        Ok(load_children(ctx, ComponentsOf(self.0.id)).await?.into_iter().map(BundleComponent).collect())
    }
    /// Stock of this variant in each warehouse where it has a level. Costs 5× its selection in query complexity.
    #[graphql(complexity = "5 * child_complexity")]
    async fn inventory_levels(&self, ctx: &Context<'_>) -> Result<Vec<InventoryLevel>> {
        let levels = load_children(ctx, LevelsOf(self.0.id)).await?;
        Ok(levels.into_iter().map(InventoryLevel).collect())
    }
    /// When it was created.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
    /// When its fields last changed (stock movements do not count: see `InventoryLevel.updatedAt`).
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}

/// A sale price for a time.
#[derive(SimpleObject)]
pub struct ScheduledSale {
    /// The sale price.
    pub price: Money,
    /// When the sale starts.
    pub starts_at: chrono::DateTime<chrono::Utc>,
    /// When it ends.
    pub ends_at: chrono::DateTime<chrono::Utc>,
}

impl ScheduledSale {
    pub fn new(sale: crate::domain::price_rules::ScheduledSale, currency: &str) -> Self {
        Self { price: Money::new(sale.price, currency), starts_at: sale.starts_at, ends_at: sale.ends_at }
    }
}

pub struct BundleComponent(pub entity::bundle_component::Model);

/// One component of a bundle: so many units of a variant in each bundle.
#[Object]
impl BundleComponent {
    /// The component variant.
    async fn variant(&self, ctx: &Context<'_>) -> Result<ProductVariant> {
        let found = load_by_id(ctx, VariantId(self.0.component_variant_id)).await?;
        found.map(ProductVariant).ok_or_else(|| async_graphql::Error::new("the bundle's component vanished"))
    }
    /// Units of it in one bundle.
    async fn quantity(&self) -> Result<i32> {
        int(self.0.quantity)
    }
}

// ------------------------------------------------------------------------------------------------ queries

/// Which products to list.
#[derive(InputObject, Default)]
pub struct ProductFilterInput {
    /// Title contains this text, without regard to case or diacritics ("ao thun" finds "Áo thun"), or a variant's
    /// SKU or barcode starts with it (exact case).
    pub search: Option<String>,
    /// Only products changed at or after this time (`updatedAt`, inclusive; a variant's create, update or delete
    /// counts, a stock movement does not): a client syncing incrementally passes the newest `updatedAt` it has seen.
    pub updated_at_min: Option<chrono::DateTime<chrono::Utc>>,
}

/// The products list's sort keys. Rows with equal values are ordered by id, so pages never skip or repeat one.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
#[graphql(remote = "catalog::ProductSortKey")]
pub enum ProductSortKeys {
    /// Creation order (the default).
    #[default]
    Id,
    /// The title, in the database's text order: byte order on SQLite, the database collation on PostgreSQL (not
    /// a language's alphabetical order; upper case may sort apart from lower case).
    Title,
    /// When the product or one of its variants last changed (`updatedAt`). With `updatedAtMin`, what changed
    /// since a time.
    UpdatedAt,
}

/// Which variants to list.
#[derive(InputObject, Default)]
pub struct VariantFilterInput {
    /// SKU or barcode starts with this text (exact case), or the variant's title or an option value contains it,
    /// without regard to case or diacritics ("do" finds "Đỏ").
    pub search: Option<String>,
    /// Only the variants of this product (a Product global id).
    pub product_id: Option<ID>,
}

/// Which warehouses to list.
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
    #[graphql(complexity = "super::relay::page_cost(first, last, child_complexity)")]
    async fn warehouses(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Start after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "End before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Page size, from the start (or `after`): 0 to 100, default 50.")] first: Option<i32>,
        #[graphql(desc = "Page size, from the end (or `before`): 0 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "true: newest first (the list's order reversed). Default false.")] reverse: Option<bool>,
        #[graphql(desc = "Narrows the list.")] filter: Option<WarehouseFilterInput>,
    ) -> Result<Conn<Warehouse>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page(ctx)?;
        let search = filter.and_then(|f| f.search);
        let found = query(catalog::warehouses(reader(ctx)?, search.as_deref(), &page).await)?;
        Ok(connection(found, Warehouse))
    }

    /// A warehouse by global id; null if it does not exist.
    async fn warehouse(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Warehouse.")] id: ID,
    ) -> Result<Option<Warehouse>> {
        let id = require_id("Warehouse", &id)?;
        Ok(query(catalog::warehouse(reader(ctx)?, id).await)?.map(Warehouse))
    }

    /// Products, in creation order unless `sortKey` says otherwise (`reverse` for newest first). At most 100 a page.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::relay::page_cost(first, last, child_complexity)")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Start after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "End before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Page size, from the start (or `after`): 0 to 100, default 50.")] first: Option<i32>,
        #[graphql(desc = "Page size, from the end (or `before`): 0 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "true: newest first (the list's order reversed). Default false.")] reverse: Option<bool>,
        #[graphql(
            desc = "What the list is sorted by; ties by id. Cursors are only valid under the key they were taken \
                    with.",
            default_with = "Some(ProductSortKeys::Id)"
        )]
        sort_key: Option<ProductSortKeys>,
        #[graphql(desc = "Narrows the list.")] filter: Option<ProductFilterInput>,
    ) -> Result<Conn<Product>> {
        let page = ConnectionArgs { after, before, first, last, reverse }
            .sorted_page(ctx, sort_key.unwrap_or_default().into())?;
        let filter = filter.unwrap_or_default();
        let filter = ProductFilter { search: filter.search, updated_at_min: filter.updated_at_min };
        let found = query(catalog::products(reader(ctx)?, &filter, &page).await)?;
        Ok(connection(found, Product))
    }

    /// A product by global id; null if it does not exist.
    async fn product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Product.")] id: ID,
    ) -> Result<Option<Product>> {
        let id = require_id("Product", &id)?;
        Ok(query(catalog::product(reader(ctx)?, id).await)?.map(Product))
    }

    /// Variants of all products, in creation order. At most 100 a page.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::relay::page_cost(first, last, child_complexity)")]
    async fn product_variants(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Start after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "End before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Page size, from the start (or `after`): 0 to 100, default 50.")] first: Option<i32>,
        #[graphql(desc = "Page size, from the end (or `before`): 0 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "true: newest first (the list's order reversed). Default false.")] reverse: Option<bool>,
        #[graphql(desc = "Narrows the list.")] filter: Option<VariantFilterInput>,
    ) -> Result<Conn<ProductVariant>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page(ctx)?;
        let filter = filter.unwrap_or_default();
        let product_id = filter.product_id.as_ref().map(|id| require_id("Product", id)).transpose()?;
        let filter = VariantFilter { search: filter.search, product_id };
        let found = query(catalog::variants(reader(ctx)?, &filter, &page).await)?;
        Ok(connection(found, ProductVariant))
    }

    /// A variant by global id; null if it does not exist.
    async fn product_variant(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the ProductVariant.")] id: ID,
    ) -> Result<Option<ProductVariant>> {
        let id = require_id("ProductVariant", &id)?;
        Ok(query(catalog::variant(reader(ctx)?, id).await)?.map(ProductVariant))
    }
}

// ------------------------------------------------------------------------------------------------ mutations

/// A warehouse's fields. On update, an omitted field is unchanged and an explicit null clears it.
/// A warehouse's fields other than its name, the same on create and update. On update, an omitted field is
/// unchanged and an explicit null clears it.
#[derive(InputObject)]
pub struct WarehouseFieldsInput {
    /// Short code, up to 100 characters.
    pub code: MaybeUndefined<String>,
    /// Postal address, up to 1000 characters.
    pub address: MaybeUndefined<String>,
    /// Making a warehouse the default takes the flag from the current default.
    pub is_default: Option<bool>,
    /// Split its units between the channels that sell from it alone, by their weights. Default false.
    pub stock_allocation: Option<bool>,
    /// Allocation turns on for a variant whose available units here fall to this or below: 0 to 1,000,000;
    /// null: only `stockAllocation`. Default null.
    pub low_stock_threshold: MaybeUndefined<i32>,
}

/// A new warehouse.
#[derive(InputObject)]
pub struct WarehouseCreateInput {
    /// Display name, 1 to 255 characters.
    pub name: String,
    #[graphql(flatten)]
    pub fields: WarehouseFieldsInput,
}

/// The warehouse fields to change; an omitted field is unchanged.
#[derive(InputObject)]
pub struct WarehouseUpdateInput {
    /// Display name, 1 to 255 characters.
    pub name: Option<String>,
    #[graphql(flatten)]
    pub fields: WarehouseFieldsInput,
}

impl WarehouseFieldsInput {
    fn with_name(self, name: Option<String>) -> WarehouseFields {
        WarehouseFields {
            name,
            code: patch(self.code),
            address: patch(self.address),
            is_default: self.is_default,
            stock_allocation: self.stock_allocation,
            low_stock_threshold: patch(self.low_stock_threshold).map(|t| t.map(i64::from)),
        }
    }
}

/// One option of a variant, such as Color = Red.
#[derive(InputObject)]
pub struct OptionInput {
    /// The option's name, e.g. "Color": 1 to 100 characters, once per variant.
    pub name: String,
    /// The variant's value of it, e.g. "Red": 1 to 255 characters.
    pub value: String,
}

/// A product's fields other than its title, the same on create and update. On update, an omitted field is
/// unchanged and an explicit null clears it.
#[derive(InputObject)]
pub struct ProductFieldsInput {
    /// Long description, up to 20,000 characters.
    pub description: MaybeUndefined<String>,
    /// Brand or maker, up to 255 characters.
    pub vendor: MaybeUndefined<String>,
    /// The merchant's own category, up to 255 characters.
    pub product_type: MaybeUndefined<String>,
    /// URL of the main image, up to 2000 characters.
    pub image_url: MaybeUndefined<String>,
}

/// A new product with its variants.
#[derive(InputObject)]
pub struct ProductCreateInput {
    /// The product's name, 1 to 255 characters.
    pub title: String,
    #[graphql(flatten)]
    pub fields: ProductFieldsInput,
    /// The variants, 1 to 100.
    pub variants: Vec<ProductVariantCreateInput>,
}

/// The product fields to change; an omitted field is unchanged. Variants have their own mutations.
#[derive(InputObject)]
pub struct ProductUpdateInput {
    /// The product's name, 1 to 255 characters.
    pub title: Option<String>,
    #[graphql(flatten)]
    pub fields: ProductFieldsInput,
}

impl ProductFieldsInput {
    fn with_title(self, title: Option<String>) -> ProductFields {
        ProductFields {
            title,
            description: patch(self.description),
            vendor: patch(self.vendor),
            product_type: patch(self.product_type),
            image_url: patch(self.image_url),
        }
    }
}

/// A variant's fields other than its price, the same on create and update. On update, an omitted field is
/// unchanged and an explicit null clears it.
#[derive(InputObject)]
pub struct ProductVariantFieldsInput {
    /// Defaults to the option values joined by " / ", or "Default Title".
    pub title: Option<String>,
    /// Stock keeping unit: up to 100 characters, no spaces, trimmed, case-sensitive; unique within the product
    /// (SKU_TAKEN).
    pub sku: MaybeUndefined<String>,
    /// Barcode: up to 100 characters, no spaces, trimmed, case-sensitive; need not be a GTIN.
    pub barcode: MaybeUndefined<String>,
    /// List ("compare at") price, a decimal string in the shop currency.
    pub list_price: MaybeUndefined<Decimal>,
    /// What the merchant paid for a unit, a decimal string in the shop currency.
    pub cost_price: MaybeUndefined<Decimal>,
    /// Up to three name/value pairs; replaces all options.
    pub options: Option<Vec<OptionInput>>,
    /// Default true.
    pub track_inventory: Option<bool>,
    /// Continue selling when out of stock. Default false.
    pub allow_oversell: Option<bool>,
    /// Units held back from what every channel is pushed (0 to 1,000,000), instead of each channel's safety
    /// stock; null: each channel's own. Default null.
    pub safety_stock_units: MaybeUndefined<i32>,
    /// Allocation turns on for this variant where its available units in a warehouse fall to this or below
    /// (0 to 1,000,000); null: the warehouse's. Default null.
    pub low_stock_threshold: MaybeUndefined<i32>,
    /// Unit of sale, e.g. "cái" or "kg": up to 50 characters.
    pub unit: MaybeUndefined<String>,
    /// URL of the variant's own image, up to 2000 characters.
    pub image_url: MaybeUndefined<String>,
    /// Marked hidden for the front end's lists; syncing ignores it. Default false.
    pub hidden: Option<bool>,
    /// A sale price for a time, pushed (through each channel's price rule) where the marketplace schedules sale
    /// prices (Lazada); null: no sale (a channel that was given one has it ended). Its price is above 0 and below
    /// the variant's price; it ends after it starts and after now.
    pub sale: MaybeUndefined<ScheduledSaleInput>,
}

/// A sale price for a time.
#[derive(InputObject)]
pub struct ScheduledSaleInput {
    /// The sale price, a decimal string in the shop currency.
    pub price: Decimal,
    /// When the sale starts.
    pub starts_at: chrono::DateTime<chrono::Utc>,
    /// When it ends.
    pub ends_at: chrono::DateTime<chrono::Utc>,
}

/// A new variant.
#[derive(InputObject)]
pub struct ProductVariantCreateInput {
    /// Retail price, a decimal string in the shop currency.
    pub price: Decimal,
    #[graphql(flatten)]
    pub fields: ProductVariantFieldsInput,
}

/// The variant fields to change; an omitted field is unchanged.
#[derive(InputObject)]
pub struct ProductVariantUpdateInput {
    /// Retail price, a decimal string in the shop currency.
    pub price: Option<Decimal>,
    #[graphql(flatten)]
    pub fields: ProductVariantFieldsInput,
}

fn patch<T>(v: MaybeUndefined<T>) -> Option<Option<T>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

impl ProductVariantFieldsInput {
    fn with_price(self, price: Option<Decimal>) -> VariantFields {
        VariantFields {
            title: self.title,
            sku: patch(self.sku),
            barcode: patch(self.barcode),
            price: price.map(|p| p.0),
            list_price: patch(self.list_price).map(|p| p.map(|p| p.0)),
            cost_price: patch(self.cost_price).map(|p| p.map(|p| p.0)),
            options: self.options.map(|o| o.into_iter().map(|o| OptionPair { name: o.name, value: o.value }).collect()),
            track_inventory: self.track_inventory,
            allow_oversell: self.allow_oversell,
            safety_stock_units: patch(self.safety_stock_units).map(|u| u.map(i64::from)),
            low_stock_threshold: patch(self.low_stock_threshold).map(|t| t.map(i64::from)),
            unit: patch(self.unit),
            image_url: patch(self.image_url),
            hidden: self.hidden,
            sale: patch(self.sale)
                .map(|s| s.map(|s| SaleFields { price: s.price.0, starts_at: s.starts_at, ends_at: s.ends_at })),
        }
    }
}

impl From<ProductVariantCreateInput> for VariantFields {
    fn from(i: ProductVariantCreateInput) -> Self {
        i.fields.with_price(Some(i.price))
    }
}

impl From<ProductVariantUpdateInput> for VariantFields {
    fn from(i: ProductVariantUpdateInput) -> Self {
        i.fields.with_price(i.price)
    }
}

payloads! {
    /// Result of `warehouseCreate`.
    WarehouseCreatePayload,
    /// Result of `warehouseUpdate`.
    WarehouseUpdatePayload => {
        /// The warehouse after the change; null when refused.
        pub warehouse: Option<Warehouse>,
        /// Why the input was refused; empty on success.
        pub user_errors: Vec<UserError>,
    }
}

payloads! {
    /// Result of `productCreate`.
    ProductCreatePayload,
    /// Result of `productUpdate`.
    ProductUpdatePayload => {
        /// The product after the change; null when refused.
        pub product: Option<Product>,
        /// Why the input was refused; empty on success.
        pub user_errors: Vec<UserError>,
    }
}

payloads! {
    /// Result of `productVariantCreate`.
    ProductVariantCreatePayload,
    /// Result of `productVariantUpdate`.
    ProductVariantUpdatePayload => {
        /// The variant after the change; null when refused.
        pub product_variant: Option<ProductVariant>,
        /// Why the input was refused; empty on success.
        pub user_errors: Vec<UserError>,
    }
}

/// One component of a bundle being set.
#[derive(InputObject)]
pub struct BundleComponentInput {
    /// Global id of the component ProductVariant (not a bundle itself).
    pub variant_id: ID,
    /// Units of it in one bundle, 1–10,000.
    pub quantity: i32,
}

payloads! {
    /// Result of `productVariantBundleSet`.
    ProductVariantBundleSetPayload => {
        /// The variant (now a bundle of the components given, or an ordinary variant again); null when refused.
        pub product_variant: Option<ProductVariant>,
        /// Why the input was refused; empty on success.
        pub user_errors: Vec<UserError>,
    }
}

payloads! {
    /// Result of `warehouseDelete`.
    WarehouseDeletePayload,
    /// Result of `productDelete`.
    ProductDeletePayload,
    /// Result of `productVariantDelete`.
    ProductVariantDeletePayload => {
        /// The id of what was deleted; null when nothing was.
        pub deleted_id: Option<ID>,
        /// Why the request was refused; empty on success.
        pub user_errors: Vec<UserError>,
    }
}

#[derive(Default)]
pub struct CatalogMutation;

/// The arguments of `productVariantBundleSet` (userErrors' paths start at them).
const BUNDLE_SET_ARGS: &[&str] = &["variantId", "components"];

/// (global id of what was deleted, userErrors) of a delete.
fn deleted(type_name: &str, result: (Option<i64>, Vec<UserError>)) -> (Option<ID>, Vec<UserError>) {
    (result.0.map(|id| global_id(type_name, id)), result.1)
}

/// A delete of `type_name` by its global id, answered as (deleted id, userErrors).
async fn delete_by_id<F, Fut>(type_name: &str, id: &ID, delete: F) -> Result<(Option<ID>, Vec<UserError>)>
where
    F: FnOnce(i64) -> Fut,
    Fut: std::future::Future<Output = crate::services::ServiceResult<i64>>,
{
    let id = match input_id(type_name, id, &["id"]) {
        Ok(id) => id,
        Err(e) => return Ok((None, user_errors(vec![e], &["id"]))),
    };
    Ok(deleted(type_name, split(delete(id).await, &["id"])?))
}

#[Object]
impl CatalogMutation {
    /// Creates a warehouse.
    async fn warehouse_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new warehouse.")] input: WarehouseCreateInput,
    ) -> Result<WarehouseCreatePayload> {
        let fields = input.fields.with_name(Some(input.name));
        let (w, user_errors) = split(catalog::warehouse_create(&app(ctx)?.db, fields).await, &[])?;
        Ok(WarehouseCreatePayload { warehouse: w.map(Warehouse), user_errors })
    }

    /// Changes a warehouse's fields.
    async fn warehouse_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Warehouse.")] id: ID,
        #[graphql(desc = "The fields to change.")] input: WarehouseUpdateInput,
    ) -> Result<WarehouseUpdatePayload> {
        let id = match input_id("Warehouse", &id, &["id"]) {
            Ok(id) => id,
            Err(e) => {
                return Ok(WarehouseUpdatePayload { warehouse: None, user_errors: user_errors(vec![e], &["id"]) });
            }
        };
        let fields = input.fields.with_name(input.name);
        let (w, user_errors) = split(catalog::warehouse_update(&app(ctx)?.db, id, fields).await, &["id"])?;
        Ok(WarehouseUpdatePayload { warehouse: w.map(Warehouse), user_errors })
    }

    /// Deletes a warehouse that never held stock movements and that no channel reads its stock from (take it out
    /// of the channels' `stockWarehouseIds` first). The default warehouse can't be deleted.
    async fn warehouse_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Warehouse.")] id: ID,
    ) -> Result<WarehouseDeletePayload> {
        let db = &app(ctx)?.db;
        let (deleted_id, user_errors) = delete_by_id("Warehouse", &id, |id| catalog::warehouse_delete(db, id)).await?;
        Ok(WarehouseDeletePayload { deleted_id, user_errors })
    }

    /// Creates a product with its variants (each gets a zero stock level in the default warehouse).
    async fn product_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new product and its variants.")] input: ProductCreateInput,
    ) -> Result<ProductCreatePayload> {
        let app = app(ctx)?;
        let variants = input.variants.into_iter().map(VariantFields::from).collect();
        let fields = input.fields.with_title(Some(input.title));
        let (created, user_errors) =
            split(catalog::product_create(&app.db, &app.settings.currency, fields, variants).await, &[])?;
        if let Some((product, _)) = &created {
            // Committed: the channels that keep products in step get it (SPEC §2 [Sapo]).
            crate::jobs::linking::on_hub_product_created(app, product.id).await;
        }
        Ok(ProductCreatePayload { product: created.map(|(p, _)| Product(p)), user_errors })
    }

    /// Updates product fields (variants have their own mutations).
    async fn product_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Product.")] id: ID,
        #[graphql(desc = "The fields to change.")] input: ProductUpdateInput,
    ) -> Result<ProductUpdatePayload> {
        let id = match input_id("Product", &id, &["id"]) {
            Ok(id) => id,
            Err(e) => return Ok(ProductUpdatePayload { product: None, user_errors: user_errors(vec![e], &["id"]) }),
        };
        let fields = input.fields.with_title(input.title);
        let (p, user_errors) = split(catalog::product_update(&app(ctx)?.db, id, fields).await, &["id"])?;
        Ok(ProductUpdatePayload { product: p.map(Product), user_errors })
    }

    /// Deletes a product, its variants and their stock levels. Channel links to it report the loss.
    async fn product_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Product.")] id: ID,
    ) -> Result<ProductDeletePayload> {
        let app = app(ctx)?;
        let (deleted_id, user_errors) =
            delete_by_id(
                "Product",
                &id,
                |id| async move { with_effects(app, catalog::product_delete(&app.db, id).await) },
            )
            .await?;
        Ok(ProductDeletePayload { deleted_id, user_errors })
    }

    /// Adds a variant to a product (at most 100 per product), with a zero stock level in the default warehouse.
    async fn product_variant_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Product.")] product_id: ID,
        #[graphql(desc = "The new variant.")] input: ProductVariantCreateInput,
    ) -> Result<ProductVariantCreatePayload> {
        let app = app(ctx)?;
        let product_id = match input_id("Product", &product_id, &["productId"]) {
            Ok(id) => id,
            Err(e) => {
                return Ok(ProductVariantCreatePayload {
                    product_variant: None,
                    user_errors: user_errors(vec![e], &["productId"]),
                });
            }
        };
        let result = catalog::variant_create(&app.db, &app.settings.currency, product_id, input.into()).await;
        let (v, user_errors) = split(result, &["productId"])?;
        Ok(ProductVariantCreatePayload { product_variant: v.map(ProductVariant), user_errors })
    }

    /// Changes a variant's fields. A change of price, `trackInventory` or `allowOversell` is pushed to the
    /// channels it is linked on.
    async fn product_variant_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the ProductVariant.")] id: ID,
        #[graphql(desc = "The fields to change.")] input: ProductVariantUpdateInput,
    ) -> Result<ProductVariantUpdatePayload> {
        let app = app(ctx)?;
        let id = match input_id("ProductVariant", &id, &["id"]) {
            Ok(id) => id,
            Err(e) => {
                return Ok(ProductVariantUpdatePayload {
                    product_variant: None,
                    user_errors: user_errors(vec![e], &["id"]),
                });
            }
        };
        // What linking matches on: a change is matched again on the product's channels.
        let rematch =
            input.fields.options.is_some() || !input.fields.sku.is_undefined() || !input.fields.barcode.is_undefined();
        let result = catalog::variant_update(&app.db, &app.settings.currency, id, input.into()).await;
        let (v, user_errors) = split(crate::jobs::effects::with_effects(app, result), &["id"])?;
        if let Some(variant) = v.as_ref().filter(|_| rematch) {
            crate::jobs::linking::on_hub_product_edited(app, variant.product_id).await;
        }
        Ok(ProductVariantUpdatePayload { product_variant: v.map(ProductVariant), user_errors })
    }

    /// Makes a variant a bundle (a combo such as "áo + quần", or a multi-pack such as "lốc 6 chai") of the given
    /// components, replacing what it was made of; an empty list makes it an ordinary variant again. A bundle holds
    /// no stock of its own: what it has is, in each warehouse, the fewest bundles any component makes (⌊available ÷
    /// units per bundle⌋); it is pushed to its channels like any variant, again whenever a component moves, and
    /// its orders reserve, fulfil, release and restock its components (ledger entries name it in `bundle`).
    /// Refused, nothing changed: a bundle containing itself (directly or through another bundle: BUNDLE_CYCLE), a
    /// component that is a bundle or a bundle's component becoming one (BUNDLE_NESTED), a quantity out of range, a
    /// variant holding stock of its own, or a composition change while its orders or slips hold units by the old one.
    async fn product_variant_bundle_set(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the ProductVariant that is (or stops being) a bundle.")] variant_id: ID,
        #[graphql(desc = "Its components: at most 50, each variant once.")] components: Vec<BundleComponentInput>,
    ) -> Result<ProductVariantBundleSetPayload> {
        let app = app(ctx)?;
        let refused = |errors: Vec<crate::domain::errors::FieldError>| ProductVariantBundleSetPayload {
            product_variant: None,
            user_errors: user_errors(errors, BUNDLE_SET_ARGS),
        };
        let mut errors = Vec::new();
        let variant_id = input_id("ProductVariant", &variant_id, &["variantId"]).map_err(|e| errors.push(e)).ok();
        let mut parts = Vec::with_capacity(components.len());
        for (i, c) in components.iter().enumerate() {
            let index = i.to_string();
            match input_id("ProductVariant", &c.variant_id, &["components", &index, "variantId"]) {
                Ok(id) => {
                    parts.push(crate::domain::bundles::Component { variant_id: id, quantity: i64::from(c.quantity) });
                }
                Err(e) => errors.push(e),
            }
        }
        let Some(variant_id) = variant_id.filter(|_| errors.is_empty()) else { return Ok(refused(errors)) };
        let result = catalog::set_components(&app.db, variant_id, parts).await;
        let (v, user_errors) = split(with_effects(app, result), BUNDLE_SET_ARGS)?;
        Ok(ProductVariantBundleSetPayload { product_variant: v.map(ProductVariant), user_errors })
    }

    /// Deletes a variant and its stock levels; a product keeps at least one variant.
    async fn product_variant_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the ProductVariant.")] id: ID,
    ) -> Result<ProductVariantDeletePayload> {
        let app = app(ctx)?;
        let (deleted_id, user_errors) = delete_by_id("ProductVariant", &id, |id| async move {
            with_effects(app, catalog::variant_delete(&app.db, id).await)
        })
        .await?;
        Ok(ProductVariantDeletePayload { deleted_id, user_errors })
    }
}
