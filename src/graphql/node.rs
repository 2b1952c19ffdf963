//! The `Node` interface: fetch any major object by its global id.

use async_graphql::{Context, ID, Interface, Object, Result};

use super::app;
use super::catalog::{Product, ProductVariant, Warehouse};
use super::channels::Channel;
use super::errors::query;
use super::inventory::InventoryLevel;
use super::linking::{ChannelListing, ProductLink};
use super::orders::Order;
use super::relay::{decode_any, invalid_id};
use super::stock::{ExportSlip, OrderReturn};
use super::sync_runs::SyncRun;
use crate::services::{catalog, channels, inventory, linking, sync_runs};

/// An object with a global id: `node(id:)` fetches any of them.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global id: opaque, stable, unique across all types."))]
pub enum Node {
    Warehouse(Warehouse),
    Product(Product),
    ProductVariant(ProductVariant),
    InventoryLevel(InventoryLevel),
    SyncRun(SyncRun),
    Channel(Channel),
    ProductLink(ProductLink),
    ChannelListing(ChannelListing),
    Order(Order),
    ExportSlip(ExportSlip),
    OrderReturn(OrderReturn),
}

async fn load(ctx: &Context<'_>, id: &ID) -> Result<Option<Node>> {
    let Some((kind, raw)) = decode_any(id) else { return Err(invalid_id(id, "global")) };
    let db = &app(ctx)?.db;
    Ok(match kind.as_str() {
        "Warehouse" => query(catalog::warehouse(db, raw).await)?.map(|m| Node::Warehouse(Warehouse(m))),
        "Product" => query(catalog::product(db, raw).await)?.map(|m| Node::Product(Product(m))),
        "ProductVariant" => query(catalog::variant(db, raw).await)?.map(|m| Node::ProductVariant(ProductVariant(m))),
        "InventoryLevel" => query(inventory::level(db, raw).await)?.map(|m| Node::InventoryLevel(InventoryLevel(m))),
        "SyncRun" => query(sync_runs::get(db, raw).await)?.map(|m| Node::SyncRun(SyncRun(m))),
        "Channel" => query(channels::get(db, raw).await)?.map(|m| Node::Channel(Channel(m))),
        "ProductLink" => query(linking::link(db, raw).await)?.map(|m| Node::ProductLink(ProductLink(m))),
        "ChannelListing" => query(linking::listing(db, raw).await)?.map(|m| Node::ChannelListing(ChannelListing(m))),
        "Order" => query(crate::services::orders::get(db, raw).await)?.map(|m| Node::Order(Order(m))),
        "ExportSlip" => {
            query(crate::services::export_slips::get(db, raw).await)?.map(|m| Node::ExportSlip(ExportSlip(m)))
        }
        "OrderReturn" => {
            query(crate::services::export_slips::get_return(db, raw).await)?.map(|m| Node::OrderReturn(OrderReturn(m)))
        }
        _ => None,
    })
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this global id; null if it does not exist. An id that is not one of this API is an error
    /// `INVALID_ID`, as on every field taking an id.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id of any type.")] id: ID,
    ) -> Result<Option<Node>> {
        load(ctx, &id).await
    }

    /// Several objects by global id (at most 100), in the order asked; null for each that does not exist.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids of any types, at most 100.")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        if ids.len() > 100 {
            return Err(async_graphql::Error::new("at most 100 ids per request"));
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in &ids {
            out.push(load(ctx, id).await?);
        }
        Ok(out)
    }
}
