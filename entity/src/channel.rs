//! Table `channels`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{ChannelKind, ChannelStatus, MatchKey, OversellPolicy, PricePolicy};

/// A connected marketplace or web store account, with its per-channel settings.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "channels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: ChannelKind,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// ISO 3166-1 alpha-2 (VN, TH, MY, SG, PH, ID).
    #[sea_orm(column_type = "String(StringLen::N(2))")]
    pub country: String,
    #[sea_orm(column_type = "Text")]
    pub base_url: String,
    /// Nonce + ciphertext, base64. Never returned by the API.
    #[sea_orm(column_type = "Text")]
    pub credentials_encrypted: String,
    pub status: ChannelStatus,
    #[sea_orm(column_type = "Text")]
    pub shop_external_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub shop_name: Option<String>,
    pub access_token_expires_at: Option<DateTimeUtc>,
    pub sync_price: bool,
    pub sync_quantity: bool,
    pub process_orders_in_hub: bool,
    // The warehouses whose stock is pushed are in `channel_stock_warehouses` (the old `stock_warehouse_id` column
    // is no longer read).
    /// Warehouse channel orders take stock from; null = the default warehouse.
    pub order_warehouse_id: Option<i64>,
    pub price_policy: PricePolicy,
    pub match_key: MatchKey,
    pub order_backfill_days: i32,
    /// Quantity pushed for variants that allow overselling (see `oversell_policy`).
    pub oversell_quantity: i64,
    pub oversell_policy: OversellPolicy,
    /// Units held back from every quantity pushed (safety stock); a variant's own `safety_stock_units` overrides.
    pub safety_stock_units: i64,
    /// Percent of the real quantity held back (rounded up); the larger of this and `safety_stock_units` is held.
    pub safety_stock_percent: i32,
    /// The channel's weight in the split of an allocating warehouse's units (0: nothing while allocating).
    pub allocation_weight: i32,
    /// Price rule (`domain::price_rules`, migration 20261208_000002): a markup (> 0) or markdown (< 0) in basis
    /// points (1000 = +10%), applied to the policy's price first…
    pub price_adjust_basis_points: i64,
    /// …then an amount added or taken off (minor units)…
    pub price_adjust_amount_minor: i64,
    /// …then rounded to the nearest multiple of this (minor units)…
    pub price_round_to_minor: Option<i64>,
    /// …or up to the nearest price ending in this (minor units, e.g. 9000).
    pub price_round_up_to_ending_minor: Option<i64>,
    pub order_poll_overlap_seconds: i32,
    /// Seconds between order polls; NULL: the marketplace's default.
    pub order_poll_interval_seconds: Option<i32>,
    pub stock_drift_repair: bool,
    pub push_history_retention_days: i32,
    pub status_mapping_overrides: Option<Json>,
    pub orders_cursor_at: Option<DateTimeUtc>,
    pub orders_reconciled_until: Option<DateTimeUtc>,
    pub connected_at: Option<DateTimeUtc>,
    pub disconnected_at: Option<DateTimeUtc>,
    /// When the hub registered the push address through the marketplace's API.
    pub webhook_registered_at: Option<DateTimeUtc>,
    /// Why the last registration through the API failed (cleared by a success).
    #[sea_orm(column_type = "Text")]
    pub webhook_registration_error: Option<String>,
    /// When the first verified push arrived.
    pub webhook_first_push_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::warehouse::Entity",
        from = "Column::OrderWarehouseId",
        to = "super::warehouse::Column::Id",
        on_delete = "SetNull"
    )]
    OrderWarehouse,
}

impl ActiveModelBehavior for ActiveModel {}
