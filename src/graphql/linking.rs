//! Product links: bulk link and relink (jobs), the four views, manual link, create from listing, unlink,
//! delete, compare, preview.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};

use entity::enums::SyncRunKind;
use entity::{channel_listing, product_link};

use super::catalog::{Money, Product, ProductVariant};
use super::channels::Channel;
use super::errors::{UserError, int_opt, query, split, user_errors};
use super::loaders::{ChannelId, ChannelListingId, ProductId, VariantId, load_by_id};
use super::relay::{Conn, ConnectionArgs, connection, global_id, input_id, require_id};
use super::sync_runs::{ChannelListingsPullPayload, ProductLinksCreatePayload, ProductLinksRelinkPayload, run_answer};
use super::{app, reader};
use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::linking::Outcome;
use crate::domain::sync_errors::SyncErrorCode;
use crate::jobs;
use crate::jobs::effects::with_effects;
use crate::jobs::linking::{LinkInput, RelinkInput};
use crate::services::linking::{self as service, ProductLinkState, Selection, View};
use crate::services::{ServiceError, ServiceResult, catalog, channels};

/// State of a link.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "LinkState", remote = "entity::enums::LinkState")]
pub enum LinkStateGql {
    /// Not matched yet.
    Pending,
    /// Linked; stock and price are pushed.
    Linked,
    /// Not linked: see `errorCode`.
    LinkError,
    /// Linked, but the last push failed: see `errorMessage`.
    SyncError,
    /// Stopped by the merchant; can be relinked.
    Unlinked,
}

/// The four views ("tabs") of a channel's links.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum ProductLinkView {
    /// Every link, whatever its state.
    #[default]
    All,
    /// Linked and syncing.
    Synced,
    /// Linked, but a price/quantity push failed.
    SyncError,
    /// Not linked, with the reason.
    LinkError,
}

pub struct ChannelListing(pub channel_listing::Model);

/// A channel's product/SKU as last read from it.
#[Object]
impl ChannelListing {
    /// Global id.
    pub async fn id(&self) -> ID {
        global_id("ChannelListing", self.0.id)
    }
    /// The channel it is on.
    async fn channel(&self, ctx: &Context<'_>) -> Result<Option<Channel>> {
        Ok(load_by_id(ctx, ChannelId(self.0.channel_id)).await?.map(Channel))
    }
    /// The channel's id of the product.
    async fn external_product_id(&self) -> &str {
        &self.0.external_product_id
    }
    /// The channel's id of the SKU (one sellable variant of the product).
    async fn external_sku_id(&self) -> &str {
        &self.0.external_sku_id
    }
    /// The merchant's code on the channel (Lazada SellerSku, Shopee model_sku, Tiki original_sku, TikTok
    /// seller_sku, web store SKU): matched against the hub's barcode or SKU.
    async fn seller_sku(&self) -> Option<&str> {
        self.0.seller_sku.as_deref()
    }
    /// The product's title on the channel.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The SKU's name on the channel, e.g. its option values.
    async fn variant_title(&self) -> Option<&str> {
        self.0.variant_title.as_deref()
    }
    /// The SKU's options on the channel.
    async fn options(&self) -> Vec<super::catalog::VariantOption> {
        service::listing_options(&self.0)
            .into_iter()
            .map(|(name, value)| super::catalog::VariantOption { name, value })
            .collect()
    }
    /// The selling price on the channel, in the channel's currency; null when the channel gave none.
    async fn price(&self, ctx: &Context<'_>) -> Result<Option<Money>> {
        listing_money(ctx, self.0.channel_id, self.0.price_minor).await
    }
    /// The list price on the channel, in the channel's currency; null when none.
    async fn list_price(&self, ctx: &Context<'_>) -> Result<Option<Money>> {
        listing_money(ctx, self.0.channel_id, self.0.list_price_minor).await
    }
    /// Units the channel showed when last read; null when it gave none.
    async fn quantity(&self) -> Result<Option<i32>> {
        int_opt(self.0.quantity)
    }
    /// The channel's status of the listing.
    async fn status(&self) -> Option<&str> {
        self.0.channel_status.as_deref()
    }
    /// The link was deleted for good: the listing can no longer be linked.
    async fn link_excluded(&self) -> bool {
        self.0.link_excluded
    }
    /// When it was last read from the channel.
    async fn seen_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.seen_at
    }
}

async fn listing_money(ctx: &Context<'_>, channel_id: i64, minor: Option<i64>) -> Result<Option<Money>> {
    let Some(minor) = minor else { return Ok(None) };
    let channel = load_by_id(ctx, ChannelId(channel_id)).await?;
    let currency = channel.as_ref().map(channels::currency).unwrap_or("VND");
    Ok(Some(Money::new(minor, currency)))
}

pub struct ProductLink(pub product_link::Model);

/// A channel listing ↔ hub variant link, or a variant's link error.
#[Object]
impl ProductLink {
    /// Global id.
    pub async fn id(&self) -> ID {
        global_id("ProductLink", self.0.id)
    }
    /// The channel of the link.
    async fn channel(&self, ctx: &Context<'_>) -> Result<Option<Channel>> {
        Ok(load_by_id(ctx, ChannelId(self.0.channel_id)).await?.map(Channel))
    }
    /// The channel listing; null for a variant that found none.
    async fn listing(&self, ctx: &Context<'_>) -> Result<Option<ChannelListing>> {
        let Some(id) = self.0.listing_id else { return Ok(None) };
        Ok(load_by_id(ctx, ChannelListingId(id)).await?.map(ChannelListing))
    }
    /// The hub variant; null once it was deleted (error VARIANT_DELETED).
    async fn variant(&self, ctx: &Context<'_>) -> Result<Option<ProductVariant>> {
        let Some(id) = self.0.variant_id else { return Ok(None) };
        Ok(load_by_id(ctx, VariantId(id)).await?.map(ProductVariant))
    }
    /// The hub product of the variant; null once it was deleted.
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        let Some(id) = self.0.product_id else { return Ok(None) };
        Ok(load_by_id(ctx, ProductId(id)).await?.map(Product))
    }
    /// Where the link is.
    async fn state(&self) -> LinkStateGql {
        self.0.state.into()
    }
    /// Why the link failed (LINK_ERROR): a link code, or STOCK_PUSH_FAILED while pushes to it fail.
    async fn error_code(&self) -> Option<SyncErrorCode> {
        self.0.error_code.as_deref().and_then(SyncErrorCode::parse)
    }
    /// What went wrong and what to do, naming the variant.
    async fn error_message(&self) -> Option<&str> {
        self.0.error_message.as_deref()
    }
    /// The quantity the channel last accepted (or was read back); null before the first push.
    async fn last_pushed_quantity(&self) -> Result<Option<i32>> {
        int_opt(self.0.last_pushed_quantity)
    }
    /// The price the channel last accepted, in its currency; null before the first price push.
    async fn last_pushed_price(&self, ctx: &Context<'_>) -> Result<Option<Money>> {
        listing_money(ctx, self.0.channel_id, self.0.last_pushed_price_minor).await
    }
    /// When a push of this link last succeeded.
    async fn last_pushed_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.last_pushed_at
    }
    /// When it was linked; null while never linked.
    async fn linked_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.linked_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}

/// A product's link state on one channel.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ProductChannelState {
    /// No variant of the product has a link (or link error) on the channel yet.
    NotLinked,
    /// Every variant is linked.
    Linked,
    /// Some variants are not linked: see `failingVariants`.
    Failed,
}

/// A product's link state on one channel.
#[derive(SimpleObject)]
pub struct ProductLinkStatus {
    /// Linked only when every variant is.
    pub state: ProductChannelState,
    /// The variants not linked (FAILED), in position order; empty otherwise.
    pub failing_variants: Vec<ProductVariant>,
}

/// One field of a comparison.
#[derive(SimpleObject)]
pub struct LinkFieldComparison {
    /// Which field: title, variantTitle, matchKey, price, listPrice, options or quantity.
    pub field: String,
    /// The hub's value as text (prices with their currency); null when none.
    pub hub: Option<String>,
    /// The channel's value as text; null when none.
    pub channel: Option<String>,
    /// The two values differ.
    pub differs: bool,
}

/// One decision of a preview.
#[derive(SimpleObject)]
pub struct LinkPreview {
    /// The hub variant decided on.
    pub variant: ProductVariant,
    /// The listing it would link to (or the one its failure is about).
    pub listing: Option<ChannelListing>,
    /// Linking now would link it.
    pub would_link: bool,
    /// Why it would not link; null when it would.
    pub error_code: Option<SyncErrorCode>,
    /// What would go wrong and what to do; null when it would link.
    pub error_message: Option<String>,
}

#[derive(Default)]
pub struct LinkingQuery;

#[Object]
impl LinkingQuery {
    /// A channel's links in one view, searchable by SKU/barcode/seller SKU (prefix) or product title.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::relay::page_cost(first, last, child_complexity)")]
    async fn product_links(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Channel.")] channel_id: ID,
        #[graphql(default, desc = "Which tab: every link, synced, push failed, or not linked.")] view: ProductLinkView,
        #[graphql(desc = "SKU, barcode or seller SKU starts with it, or the title has it.")] search: Option<String>,
        #[graphql(desc = "Only the links of this hub product (global id of the Product), e.g. its failing variants.")]
        product_id: Option<ID>,
        #[graphql(desc = "Start after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "End before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Page size, from the start (or `after`): 0 to 100, default 50.")] first: Option<i32>,
        #[graphql(desc = "Page size, from the end (or `before`): 0 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "true: newest first (the list's order reversed). Default false.")] reverse: Option<bool>,
    ) -> Result<Conn<ProductLink>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page(ctx)?;
        let channel_id = require_id("Channel", &channel_id)?;
        let product_id = product_id.as_ref().map(|id| require_id("Product", id)).transpose()?;
        let view = match view {
            ProductLinkView::All => View::All,
            ProductLinkView::Synced => View::Synced,
            ProductLinkView::SyncError => View::SyncError,
            ProductLinkView::LinkError => View::LinkError,
        };
        let found = query(service::links(reader(ctx)?, channel_id, view, search.as_deref(), product_id, &page).await)?;
        Ok(connection(found, ProductLink))
    }

    /// A link by global id; null if it does not exist.
    async fn product_link(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the ProductLink.")] id: ID,
    ) -> Result<Option<ProductLink>> {
        let id = require_id("ProductLink", &id)?;
        Ok(query(service::link(reader(ctx)?, id).await)?.map(ProductLink))
    }

    /// A channel's stored listings (pulled by link runs or `channelListingsPull`).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::relay::page_cost(first, last, child_complexity)")]
    async fn channel_listings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Channel.")] channel_id: ID,
        #[graphql(desc = "Seller SKU starts with it, or the title contains it.")] search: Option<String>,
        #[graphql(default, desc = "Only listings without a link in state LINKED.")] unlinked_only: bool,
        #[graphql(desc = "Start after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "End before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Page size, from the start (or `after`): 0 to 100, default 50.")] first: Option<i32>,
        #[graphql(desc = "Page size, from the end (or `before`): 0 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "true: newest first (the list's order reversed). Default false.")] reverse: Option<bool>,
    ) -> Result<Conn<ChannelListing>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page(ctx)?;
        let channel_id = require_id("Channel", &channel_id)?;
        let found = query(service::listings(reader(ctx)?, channel_id, search.as_deref(), unlinked_only, &page).await)?;
        Ok(connection(found, ChannelListing))
    }

    /// A product's link state on a channel: linked only when all its variants are.
    async fn product_link_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Product.")] product_id: ID,
        #[graphql(desc = "Global id of the Channel.")] channel_id: ID,
    ) -> Result<ProductLinkStatus> {
        let product_id = require_id("Product", &product_id)?;
        let channel_id = require_id("Channel", &channel_id)?;
        let db = reader(ctx)?;
        Ok(match query(service::product_link_state(db, channel_id, product_id).await)? {
            ProductLinkState::NotLinked => {
                ProductLinkStatus { state: ProductChannelState::NotLinked, failing_variants: vec![] }
            }
            ProductLinkState::Linked => {
                ProductLinkStatus { state: ProductChannelState::Linked, failing_variants: vec![] }
            }
            ProductLinkState::Failed(ids) => {
                let mut failing = Vec::new();
                for id in ids {
                    if let Some(v) = query(catalog::variant(db, id).await)? {
                        failing.push(ProductVariant(v));
                    }
                }
                ProductLinkStatus { state: ProductChannelState::Failed, failing_variants: failing }
            }
        })
    }

    /// The hub variant and its listing side by side, field by field.
    async fn product_link_compare(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the ProductLink.")] link_id: ID,
    ) -> Result<Vec<LinkFieldComparison>> {
        let link_id = require_id("ProductLink", &link_id)?;
        let app = app(ctx)?;
        let rows = query(service::compare(&app.db, &app.settings.currency, link_id).await)?;
        Ok(rows
            .into_iter()
            .map(|r| LinkFieldComparison {
                field: r.field.to_owned(),
                hub: r.hub,
                channel: r.channel,
                differs: r.differs,
            })
            .collect())
    }

    /// A dry run of bulk linking against the listings last pulled from the channel: what would link and why the
    /// rest would not. Nothing is written. At most 500 variants.
    async fn product_links_preview(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The channel and the products, as for `productLinksCreate`.")] input: ProductLinksCreateInput,
    ) -> Result<Vec<LinkPreview>> {
        let app = app(ctx)?;
        let (channel_id, selection) = decode_selection(&input).map_err(|e| {
            async_graphql::Error::new(e.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("; "))
        })?;
        let channel = query(channels::get(&app.db, channel_id).await)?
            .ok_or_else(|| async_graphql::Error::new("Channel not found"))?;
        let products = query(service::selected_products(&app.db, &channel, &selection).await)?;
        let variants = query(service::hub_variants(&app.db, &products).await)?;
        if variants.len() > 500 {
            return Err(async_graphql::Error::new(format!(
                "the selection has {} variants; preview at most 500 (narrow the filter)",
                variants.len()
            )));
        }
        let decisions = query(service::decide(&app.db, &channel, &variants, &Default::default()).await)?;
        let mut out = Vec::with_capacity(decisions.len());
        for d in decisions {
            let Some(variant) = query(catalog::variant(&app.db, d.variant_id).await)? else { continue };
            let (listing_id, would_link, code, message) = match d.outcome {
                Outcome::Linked { listing_id } => (Some(listing_id), true, None, None),
                Outcome::KeptUnlinked { listing_id } => (
                    Some(listing_id),
                    false,
                    None,
                    Some("the merchant unlinked this listing; relink it to sync it again".to_owned()),
                ),
                Outcome::Failed { code, message, listing_id } => (listing_id, false, Some(code.into()), Some(message)),
            };
            let listing = match listing_id {
                Some(id) => query(service::listing(&app.db, id).await)?.map(ChannelListing),
                None => None,
            };
            out.push(LinkPreview {
                variant: ProductVariant(variant),
                listing,
                would_link,
                error_code: code,
                error_message: message,
            });
        }
        Ok(out)
    }
}

/// Which hub products to link: `productIds`, or a filter (both: the ids, filtered).
#[derive(InputObject)]
pub struct ProductLinksCreateInput {
    /// Global id of the Channel; it must be CONNECTED.
    pub channel_id: ID,
    /// Product global ids, at most 10,000.
    pub product_ids: Option<Vec<ID>>,
    /// Products matching it (an empty filter selects every product).
    pub filter: Option<ProductLinkFilterInput>,
}

/// Which products a bulk link selects; the conditions combine.
#[derive(InputObject, Default)]
pub struct ProductLinkFilterInput {
    /// Title contains / SKU or barcode starts with.
    pub search: Option<String>,
    /// true: only products whose variants all have the channel's match key (barcode or SKU); false: only those
    /// where some variant lacks it.
    pub has_match_key: Option<bool>,
    /// Only products with no link on this channel yet.
    pub not_yet_linked: Option<bool>,
}

fn decode_selection(input: &ProductLinksCreateInput) -> Result<(i64, Selection), Vec<FieldError>> {
    let mut errors = Vec::new();
    let channel_id = input_id("Channel", &input.channel_id, &["channelId"]).map_err(|e| errors.push(e)).ok();
    let product_ids = input.product_ids.as_ref().map(|ids| {
        if ids.len() > 10_000 {
            errors.push(FieldError::new(
                &["productIds"],
                ErrorCode::TooMany,
                "at most 10,000 products per run; use a filter",
            ));
        }
        ids.iter()
            .enumerate()
            .filter_map(|(i, id)| {
                input_id("Product", id, &["productIds", &i.to_string()]).map_err(|e| errors.push(e)).ok()
            })
            .collect::<Vec<_>>()
    });
    if input.product_ids.is_none() && input.filter.is_none() {
        errors.push(FieldError::new(
            &["productIds"],
            ErrorCode::Blank,
            "choose products: productIds, or a filter (an empty filter selects every product)",
        ));
    }
    let filter = input.filter.as_ref();
    let selection = Selection {
        product_ids,
        search: filter.and_then(|f| f.search.clone()),
        has_match_key: filter.and_then(|f| f.has_match_key),
        not_yet_linked: filter.and_then(|f| f.not_yet_linked).unwrap_or(false),
    };
    match (channel_id, errors.is_empty()) {
        (Some(id), true) => Ok((id, selection)),
        _ => Err(errors),
    }
}

/// Which links to match again: `linkIds`, or `allErrors: true`.
#[derive(InputObject)]
pub struct ProductLinksRelinkInput {
    /// Global id of the Channel; it must be CONNECTED.
    pub channel_id: ID,
    /// ProductLink global ids of the links to relink.
    pub link_ids: Option<Vec<ID>>,
    /// Relink every link in LINK_ERROR on the channel.
    pub all_errors: Option<bool>,
}

/// Result of `productLinkSet`.
#[derive(SimpleObject)]
pub struct ProductLinkSetPayload {
    /// The link after the change; null when refused.
    pub product_link: Option<ProductLink>,
    /// Why the request was refused; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Result of `productLinksUnlink`.
#[derive(SimpleObject)]
pub struct ProductLinksUnlinkPayload {
    /// The links after the change, UNLINKED; null when refused.
    pub product_links: Option<Vec<ProductLink>>,
    /// Why the request was refused (nothing was changed); empty on success.
    pub user_errors: Vec<UserError>,
}

/// Result of `productLinksDelete`.
#[derive(SimpleObject)]
pub struct ProductLinksDeletePayload {
    /// Global ids of the deleted links; null when refused.
    pub deleted_ids: Option<Vec<ID>>,
    /// Why the request was refused (nothing was deleted); empty on success.
    pub user_errors: Vec<UserError>,
}

/// Result of `productCreateFromListing`.
#[derive(SimpleObject)]
pub struct ProductCreateFromListingPayload {
    /// The new hub product; null when refused.
    pub product: Option<Product>,
    /// The links of its variants to the listing's SKUs; null when refused.
    pub product_links: Option<Vec<ProductLink>>,
    /// Why the request was refused; empty on success.
    pub user_errors: Vec<UserError>,
}

async fn connected(ctx: &Context<'_>, channel_id: i64) -> ServiceResult<()> {
    let db = &app(ctx).map_err(|e| ServiceError::Unexpected(anyhow::anyhow!(e.message)))?.db;
    channels::connected(db, channel_id).await.map(|_| ())
}

fn ids_of(list: &[ID], type_name: &str, field: &str, errors: &mut Vec<FieldError>) -> Vec<i64> {
    list.iter()
        .enumerate()
        .filter_map(|(i, id)| input_id(type_name, id, &[field, &i.to_string()]).map_err(|e| errors.push(e)).ok())
        .collect()
}

#[derive(Default)]
pub struct LinkingMutation;

#[Object]
impl LinkingMutation {
    /// Bulk link: matches the chosen hub products to the channel's listings by its match key, in a job.
    /// Returns the sync run at once; follow it with `syncRun`.
    async fn product_links_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The channel and the products to link.")] input: ProductLinksCreateInput,
    ) -> Result<ProductLinksCreatePayload> {
        let (channel_id, selection) = match decode_selection(&input) {
            Ok(v) => v,
            Err(errors) => return Ok(run_answer((None, user_errors(errors, &[]))).into()),
        };
        let result = async {
            connected(ctx, channel_id).await?;
            service::check_request_ids(
                &app(ctx).map_err(|e| ServiceError::Unexpected(anyhow::anyhow!(e.message)))?.db,
                channel_id,
                selection.product_ids.as_deref(),
                None,
            )
            .await?;
            let input = serde_json::to_value(LinkInput { selection, ..LinkInput::default() })
                .map_err(|e| ServiceError::Unexpected(e.into()))?;
            jobs::enqueue_run(
                app(ctx).map_err(|e| ServiceError::Unexpected(anyhow::anyhow!(e.message)))?,
                SyncRunKind::LinkProducts,
                Some(channel_id),
                Some(input),
            )
            .await
        }
        .await;
        Ok(run_answer(split(result, &[])?).into())
    }

    /// Re-runs matching for chosen links, or for every link in error, after the merchant fixed the data.
    async fn product_links_relink(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The channel and the links to match again.")] input: ProductLinksRelinkInput,
    ) -> Result<ProductLinksRelinkPayload> {
        let mut errors = Vec::new();
        let channel_id = input_id("Channel", &input.channel_id, &["channelId"]).map_err(|e| errors.push(e)).ok();
        let link_ids = input.link_ids.as_ref().map(|ids| ids_of(ids, "ProductLink", "linkIds", &mut errors));
        let all = input.all_errors.unwrap_or(false);
        if link_ids.is_some() == all {
            errors.push(FieldError::new(
                &["linkIds"],
                ErrorCode::Invalid,
                "give linkIds, or allErrors: true (not both)",
            ));
        }
        let Some(channel_id) = channel_id.filter(|_| errors.is_empty()) else {
            return Ok(run_answer((None, user_errors(errors, &[]))).into());
        };
        let result = async {
            connected(ctx, channel_id).await?;
            service::check_request_ids(
                &app(ctx).map_err(|e| ServiceError::Unexpected(anyhow::anyhow!(e.message)))?.db,
                channel_id,
                None,
                link_ids.as_deref(),
            )
            .await?;
            let input =
                serde_json::to_value(RelinkInput { link_ids }).map_err(|e| ServiceError::Unexpected(e.into()))?;
            jobs::enqueue_run(
                app(ctx).map_err(|e| ServiceError::Unexpected(anyhow::anyhow!(e.message)))?,
                SyncRunKind::Relink,
                Some(channel_id),
                Some(input),
            )
            .await
        }
        .await;
        Ok(run_answer(split(result, &[])?).into())
    }

    /// Reads every listing of the channel (a job); link runs do this too.
    async fn channel_listings_pull(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Channel; it must be CONNECTED.")] channel_id: ID,
    ) -> Result<ChannelListingsPullPayload> {
        let channel_id = match input_id("Channel", &channel_id, &["channelId"]) {
            Ok(id) => id,
            Err(e) => return Ok(run_answer((None, user_errors(vec![e], &["channelId"]))).into()),
        };
        let result = async {
            connected(ctx, channel_id).await?;
            jobs::enqueue_run(
                app(ctx).map_err(|e| ServiceError::Unexpected(anyhow::anyhow!(e.message)))?,
                SyncRunKind::PullListings,
                Some(channel_id),
                None,
            )
            .await
        }
        .await;
        Ok(run_answer(split(result, &["channelId"])?).into())
    }

    /// Manual link: attaches a listing to a chosen variant (or changes its variant).
    async fn product_link_set(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the ChannelListing.")] listing_id: ID,
        #[graphql(desc = "Global id of the ProductVariant to link it to.")] variant_id: ID,
    ) -> Result<ProductLinkSetPayload> {
        let mut errors = Vec::new();
        let listing = input_id("ChannelListing", &listing_id, &["listingId"]).map_err(|e| errors.push(e)).ok();
        let variant = input_id("ProductVariant", &variant_id, &["variantId"]).map_err(|e| errors.push(e)).ok();
        let (Some(listing), Some(variant)) = (listing, variant) else {
            return Ok(ProductLinkSetPayload {
                product_link: None,
                user_errors: user_errors(errors, &["listingId", "variantId"]),
            });
        };
        let app = app(ctx)?;
        let result = with_effects(app, service::set_link(&app.db, listing, variant).await);
        let (link, user_errors) = split(result, &["listingId", "variantId"])?;
        Ok(ProductLinkSetPayload { product_link: link.map(ProductLink), user_errors })
    }

    /// Creates a hub product from a listing's product (all its unlinked SKUs) and links them.
    async fn product_create_from_listing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of a ChannelListing of the product.")] listing_id: ID,
    ) -> Result<ProductCreateFromListingPayload> {
        let listing = match input_id("ChannelListing", &listing_id, &["listingId"]) {
            Ok(id) => id,
            Err(e) => {
                return Ok(ProductCreateFromListingPayload {
                    product: None,
                    product_links: None,
                    user_errors: user_errors(vec![e], &["listingId"]),
                });
            }
        };
        let app = app(ctx)?;
        let result = service::create_product_from_listing(&app.db, &app.settings.currency, listing, false).await;
        let (created, user_errors) = split(with_effects(app, result), &["listingId"])?;
        Ok(match created {
            Some((product, links)) => ProductCreateFromListingPayload {
                product: Some(Product(product)),
                product_links: Some(links.into_iter().map(ProductLink).collect()),
                user_errors,
            },
            None => ProductCreateFromListingPayload { product: None, product_links: None, user_errors },
        })
    }

    /// Unlink ("ngắt đồng bộ"): stops syncing these links; they can be relinked.
    async fn product_links_unlink(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "ProductLink global ids, at least one.")] link_ids: Vec<ID>,
    ) -> Result<ProductLinksUnlinkPayload> {
        let mut errors = Vec::new();
        let ids = ids_of(&link_ids, "ProductLink", "linkIds", &mut errors);
        if ids.is_empty() && errors.is_empty() {
            errors.push(FieldError::new(&["linkIds"], ErrorCode::Blank, "give at least one link"));
        }
        if !errors.is_empty() {
            return Ok(ProductLinksUnlinkPayload {
                product_links: None,
                user_errors: user_errors(errors, &["linkIds"]),
            });
        }
        let (links, user_errors) = split(service::unlink(&app(ctx)?.db, &ids).await, &["linkIds"])?;
        Ok(ProductLinksUnlinkPayload {
            product_links: links.map(|ls| ls.into_iter().map(ProductLink).collect()),
            user_errors,
        })
    }

    /// Delete link ("hủy đồng bộ"): permanent; the listings leave the sync list and cannot be linked again.
    async fn product_links_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "ProductLink global ids, at least one.")] link_ids: Vec<ID>,
    ) -> Result<ProductLinksDeletePayload> {
        let mut errors = Vec::new();
        let ids = ids_of(&link_ids, "ProductLink", "linkIds", &mut errors);
        if ids.is_empty() && errors.is_empty() {
            errors.push(FieldError::new(&["linkIds"], ErrorCode::Blank, "give at least one link"));
        }
        if !errors.is_empty() {
            return Ok(ProductLinksDeletePayload { deleted_ids: None, user_errors: user_errors(errors, &["linkIds"]) });
        }
        let (deleted, user_errors) = {
            let app = app(ctx)?;
            split(with_effects(app, service::delete_links(&app.db, &ids).await), &["linkIds"])?
        };
        Ok(ProductLinksDeletePayload {
            deleted_ids: deleted.map(|ids| ids.into_iter().map(|id| global_id("ProductLink", id)).collect()),
            user_errors,
        })
    }
}
