//! Bulk "create hub products from listings" (a CREATE_PRODUCTS run) and the per-listing results of such a run.

use async_graphql::{Context, ID, InputObject, Object, Result};

use entity::enums::SyncRunKind;
use entity::sync_run_item;

use super::catalog::Product;
use super::errors::{UserError, payloads, query, split, user_errors};
use super::linking::ChannelListing;
use super::loaders::{ChannelListingId, ProductId, load_by_id};
use super::relay::{Conn, ConnectionArgs, connection, input_id, require_id};
use super::sync_runs::{SyncRun, run_answer};
use super::{app, reader};
use crate::domain::errors::{ErrorCode, FieldError};
use crate::jobs;
use crate::jobs::listing_products::CreateProductsInput;
use crate::services::linking::{self as service, ListingSelection};
use crate::services::{ServiceError, channels};

/// Most listing ids one request takes.
const MAX_LISTING_IDS: usize = 10_000;

/// Which listings become hub products: `listingIds`, or a filter of the channel's stored listings (both: the
/// ids, filtered). One hub product is made per channel product, with all its SKUs not linked yet.
#[derive(InputObject)]
pub struct ProductsCreateFromListingsInput {
    /// Global id of the Channel; it must be CONNECTED.
    pub channel_id: ID,
    /// ChannelListing global ids of the channel, at most 10,000.
    pub listing_ids: Option<Vec<ID>>,
    /// Stored listings matching it (an empty filter selects every listing not linked yet).
    pub filter: Option<ChannelListingFilterInput>,
}

/// Which stored listings a bulk creation selects; the conditions combine.
#[derive(InputObject, Default)]
pub struct ChannelListingFilterInput {
    /// Seller SKU starts with it, or the title contains it.
    pub search: Option<String>,
    /// Only listings without a link in state LINKED. Default true.
    pub unlinked_only: Option<bool>,
}

payloads! {
    /// Result of `productsCreateFromListings`.
    ProductsCreateFromListingsPayload => {
        /// The run, CREATED; follow it with `syncRun`, then read `syncRunItems` for each listing's outcome.
        pub sync_run: Option<SyncRun>,
        /// Why no run was started (nothing was changed); empty on success.
        pub user_errors: Vec<UserError>,
    }
}

fn decode(input: &ProductsCreateFromListingsInput) -> Result<(i64, ListingSelection), Vec<FieldError>> {
    let mut errors = Vec::new();
    let channel_id = input_id("Channel", &input.channel_id, &["channelId"]).map_err(|e| errors.push(e)).ok();
    let listing_ids = input.listing_ids.as_ref().map(|ids| {
        if ids.len() > MAX_LISTING_IDS {
            errors.push(FieldError::new(&["listingIds"], ErrorCode::TooMany, "at most 10,000 listings; use a filter"));
        }
        ids.iter()
            .enumerate()
            .filter_map(|(i, id)| {
                input_id("ChannelListing", id, &["listingIds", &i.to_string()]).map_err(|e| errors.push(e)).ok()
            })
            .collect::<Vec<_>>()
    });
    if input.listing_ids.is_none() && input.filter.is_none() {
        errors.push(FieldError::new(
            &["listingIds"],
            ErrorCode::Blank,
            "choose listings: listingIds, or a filter (an empty filter selects every listing not linked yet)",
        ));
    }
    let filter = input.filter.as_ref();
    let selection = ListingSelection {
        listing_ids,
        search: filter.and_then(|f| f.search.clone()),
        // Chosen ids are taken as they are (a linked one is reported); a filter skips linked listings by default.
        unlinked_only: filter.map(|f| f.unlinked_only.unwrap_or(true)).unwrap_or(false),
    };
    match (channel_id, errors.is_empty()) {
        (Some(id), true) => Ok((id, selection)),
        _ => Err(errors),
    }
}

#[derive(Default)]
pub struct ListingProductsMutation;

#[Object]
impl ListingProductsMutation {
    /// Bulk "create hub products from listings": each selected channel product becomes a hub product with its
    /// SKUs linked, in a job. Returns the run at once; `syncRunItems` then says which listings failed and why.
    async fn products_create_from_listings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The channel and the listings.")] input: ProductsCreateFromListingsInput,
    ) -> Result<ProductsCreateFromListingsPayload> {
        let (channel_id, selection) = match decode(&input) {
            Ok(v) => v,
            Err(errors) => return Ok(run_answer((None, user_errors(errors, &[]))).into()),
        };
        let app = app(ctx)?;
        let result = async {
            channels::connected(&app.db, channel_id).await?;
            if let Some(ids) = &selection.listing_ids {
                service::check_listing_ids(&app.db, channel_id, ids).await?;
            }
            let input = serde_json::to_value(CreateProductsInput { selection })
                .map_err(|e| ServiceError::Unexpected(e.into()))?;
            jobs::enqueue_run(app, SyncRunKind::CreateProducts, Some(channel_id), Some(input)).await
        }
        .await;
        Ok(run_answer(split(result, &[])?).into())
    }
}

pub struct SyncRunItem(pub sync_run_item::Model);

/// What a run did with one listing: the hub product it made, or why it could not.
#[Object]
impl SyncRunItem {
    /// The listing (the first selected SKU of its channel product).
    async fn listing(&self, ctx: &Context<'_>) -> Result<Option<ChannelListing>> {
        Ok(load_by_id(ctx, ChannelListingId(self.0.listing_id)).await?.map(ChannelListing))
    }
    /// It became a hub product.
    async fn succeeded(&self) -> bool {
        self.0.succeeded
    }
    /// The hub product made from it; null when it failed (or the product was deleted since).
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        let Some(id) = self.0.product_id else { return Ok(None) };
        Ok(load_by_id(ctx, ProductId(id)).await?.map(Product))
    }
    /// Why it failed, as a `userErrors` code; null when it succeeded.
    async fn error_code(&self) -> Option<ErrorCode> {
        self.0.error_code.as_deref().and_then(ErrorCode::parse)
    }
    /// What went wrong and what to do; null when it succeeded.
    async fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }
}

#[derive(Default)]
pub struct ListingProductsQuery;

#[Object]
impl ListingProductsQuery {
    /// The per-listing results of a CREATE_PRODUCTS run, in listing order.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::relay::page_cost(first, last, child_complexity)")]
    async fn sync_run_items(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the SyncRun.")] run_id: ID,
        #[graphql(default, desc = "Only the listings that could not become products.")] failed_only: bool,
        #[graphql(desc = "Start after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "End before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Page size, from the start (or `after`): 0 to 100, default 50.")] first: Option<i32>,
        #[graphql(desc = "Page size, from the end (or `before`): 0 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "true: newest first (the list's order reversed). Default false.")] reverse: Option<bool>,
    ) -> Result<Conn<SyncRunItem>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page(ctx)?;
        let run_id = require_id("SyncRun", &run_id)?;
        let found = query(service::run_items(reader(ctx)?, run_id, failed_only, &page).await)?;
        Ok(connection(found, SyncRunItem))
    }
}
