//! The `Node` interface: fetch any object that has an id by its global id.

use async_graphql::{Context, Guard, ID, Interface, Object, Result};

use super::api_tokens::ApiToken;
use super::auth::RequireScope;
use super::catalog::{Product, ProductVariant, Warehouse};
use super::channels::Channel;
use super::inventory::{InventoryLedgerEntry, InventoryLevel};
use super::linking::{ChannelListing, ProductLink};
use super::loaders::{self, load_by_id};
use super::orders::{Customer, Order, OrderEvent, OrderLine};
use super::relay::{decode_any, invalid_id};
use super::stock::{ExportSlip, OrderReturn, StockPush};
use super::sync_errors::SyncError;
use super::sync_runs::SyncRun;

/// An object with a global id: `node(id:)` fetches any of them.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global id: opaque, stable, unique across all types."))]
pub enum Node {
    Warehouse(Warehouse),
    Product(Product),
    ProductVariant(ProductVariant),
    InventoryLevel(InventoryLevel),
    InventoryLedgerEntry(InventoryLedgerEntry),
    SyncRun(SyncRun),
    SyncError(SyncError),
    Channel(Channel),
    ProductLink(ProductLink),
    ChannelListing(ChannelListing),
    StockPush(StockPush),
    Order(Order),
    OrderLine(OrderLine),
    OrderEvent(OrderEvent),
    Customer(Customer),
    ExportSlip(ExportSlip),
    OrderReturn(OrderReturn),
    ApiToken(ApiToken),
}

async fn load(ctx: &Context<'_>, id: &ID) -> Result<Option<Node>> {
    let Some((kind, raw)) = decode_any(id) else { return Err(invalid_id(id, "global")) };
    Ok(match kind.as_str() {
        "Warehouse" => load_by_id(ctx, loaders::WarehouseId(raw)).await?.map(|m| Node::Warehouse(Warehouse(m))),
        "Product" => load_by_id(ctx, loaders::ProductId(raw)).await?.map(|m| Node::Product(Product(m))),
        "ProductVariant" => {
            load_by_id(ctx, loaders::VariantId(raw)).await?.map(|m| Node::ProductVariant(ProductVariant(m)))
        }
        "InventoryLevel" => {
            load_by_id(ctx, loaders::InventoryLevelId(raw)).await?.map(|m| Node::InventoryLevel(InventoryLevel(m)))
        }
        "InventoryLedgerEntry" => load_by_id(ctx, loaders::LedgerEntryId(raw))
            .await?
            .map(|m| Node::InventoryLedgerEntry(InventoryLedgerEntry(m))),
        "SyncRun" => load_by_id(ctx, loaders::SyncRunId(raw)).await?.map(|m| Node::SyncRun(SyncRun(m))),
        "SyncError" => load_by_id(ctx, loaders::SyncErrorId(raw)).await?.map(|m| Node::SyncError(SyncError(m))),
        "Channel" => load_by_id(ctx, loaders::ChannelId(raw)).await?.map(|m| Node::Channel(Channel(m))),
        "ProductLink" => load_by_id(ctx, loaders::ProductLinkId(raw)).await?.map(|m| Node::ProductLink(ProductLink(m))),
        "ChannelListing" => {
            load_by_id(ctx, loaders::ChannelListingId(raw)).await?.map(|m| Node::ChannelListing(ChannelListing(m)))
        }
        "StockPush" => load_by_id(ctx, loaders::StockPushId(raw)).await?.map(|m| Node::StockPush(StockPush(m))),
        "Order" => load_by_id(ctx, loaders::OrderId(raw)).await?.map(|m| Node::Order(Order(m))),
        "OrderLine" => OrderLine::load(ctx, raw).await?.map(Node::OrderLine),
        "OrderEvent" => load_by_id(ctx, loaders::OrderEventId(raw)).await?.map(|m| Node::OrderEvent(OrderEvent(m))),
        "Customer" => load_by_id(ctx, loaders::CustomerId(raw)).await?.map(|m| Node::Customer(Customer(m))),
        "ExportSlip" => load_by_id(ctx, loaders::ExportSlipId(raw)).await?.map(|m| Node::ExportSlip(ExportSlip(m))),
        "OrderReturn" => load_by_id(ctx, loaders::OrderReturnId(raw)).await?.map(|m| Node::OrderReturn(OrderReturn(m))),
        "ApiToken" => {
            // Tokens are ADMIN data however they are reached (`apiTokens` carries the same guard).
            RequireScope::ADMIN.check(ctx).await?;
            load_by_id(ctx, loaders::ApiTokenId(raw)).await?.map(|m| Node::ApiToken(ApiToken(m)))
        }
        _ => None,
    })
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this global id; null if it does not exist. An id that is not one of this API is an error
    /// `INVALID_ID`, as on every field taking an id. ApiToken ids need the ADMIN scope.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id of any type.")] id: ID,
    ) -> Result<Option<Node>> {
        load(ctx, &id).await
    }

    /// Several objects by global id (at most 100), in the order asked; null for each that does not exist. Loaded
    /// together: one query per type, not per id.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids of any types, at most 100.")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        if ids.len() > 100 {
            return Err(async_graphql::Error::new("at most 100 ids per request"));
        }
        futures::future::try_join_all(ids.iter().map(|id| load(ctx, id))).await
    }
}
