//! Closed sets stored as `VARCHAR` holding the upper-snake-case name (portable across SQLite and
//! PostgreSQL; no native PostgreSQL enums).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Declares a database enum: the stored string is written once and serves `DeriveActiveEnum`, serde and
/// `as_str`, so the three cannot drift apart.
macro_rules! db_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $value:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        pub enum $name {
            $(
                $(#[$variant_meta])*
                #[sea_orm(string_value = $value)]
                #[serde(rename = $value)]
                $variant,
            )+
        }

        impl $name {
            /// The stored (upper-snake-case) name, also used on the wire and in messages.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $(Self::$variant => $value,)+
                }
            }
        }
    };
}

db_enum! {
    /// The platform a channel account belongs to.
    pub enum ChannelKind {
        /// Lazada marketplace.
        Lazada = "LAZADA",
        /// Shopee marketplace.
        Shopee = "SHOPEE",
        /// Tiki marketplace.
        Tiki = "TIKI",
        /// TikTok Shop.
        Tiktok = "TIKTOK",
        /// A web storefront (like Sapo Web).
        Webstore = "WEBSTORE",
    }
}

db_enum! {
    /// Connection state of a channel account.
    pub enum ChannelStatus {
        /// Created with app credentials, waiting for the seller's consent (OAuth callback).
        PendingAuthorization = "PENDING_AUTHORIZATION",
        /// Credentials accepted; the channel syncs.
        Connected = "CONNECTED",
        /// Disconnected by the merchant; nothing syncs, imported orders stay.
        Disconnected = "DISCONNECTED",
        /// The channel rejects the credentials or keeps failing; it needs reconnecting.
        Error = "ERROR",
    }
}

db_enum! {
    /// Which hub price is pushed to a channel.
    pub enum PricePolicy {
        /// The variant's retail price (`price_minor`); the default.
        Retail = "RETAIL",
        /// The variant's list price (`list_price_minor`).
        List = "LIST",
        /// The variant's cost price (`cost_price_minor`).
        Cost = "COST",
    }
}

db_enum! {
    /// Which hub variant field must equal a listing's seller SKU for them to link.
    pub enum MatchKey {
        /// The variant's barcode (default for Lazada, Shopee, Tiki, TikTok).
        Barcode = "BARCODE",
        /// The variant's SKU (default for web stores).
        Sku = "SKU",
    }
}

db_enum! {
    /// When a variant allows overselling, which quantity is pushed.
    pub enum OversellPolicy {
        /// Always push the channel's oversell quantity (Lazada).
        Always = "ALWAYS",
        /// Push the real quantity when > 0, else the oversell quantity (Tiki).
        WhenOutOfStock = "WHEN_OUT_OF_STOCK",
    }
}

db_enum! {
    /// State of a product link.
    pub enum LinkState {
        /// Not matched yet, or a (re)link is in progress.
        Pending = "PENDING",
        /// Linked to a hub variant and syncing.
        Linked = "LINKED",
        /// Matching failed; the link's error code says why.
        LinkError = "LINK_ERROR",
        /// Linked, but the last quantity or price push failed.
        SyncError = "SYNC_ERROR",
        /// Sync stopped by the merchant; can be relinked later.
        Unlinked = "UNLINKED",
    }
}

db_enum! {
    /// What a sync error is about.
    pub enum SyncErrorKind {
        /// A product link or a stock/price push.
        Product = "PRODUCT",
        /// An order import or update.
        Order = "ORDER",
    }
}

db_enum! {
    /// Why an inventory level changed.
    pub enum LedgerReason {
        /// Manual adjustment by the merchant.
        Adjustment = "ADJUSTMENT",
        /// Correction of a counting or entry mistake.
        Correction = "CORRECTION",
        /// Goods received into the warehouse.
        Received = "RECEIVED",
        /// Goods written off as damaged or lost.
        Damaged = "DAMAGED",
        /// Stock committed to an imported order.
        OrderReserved = "ORDER_RESERVED",
        /// An order's commitment released (cancelled, changed, or moved to an export slip elsewhere).
        OrderReleased = "ORDER_RELEASED",
        /// Committed stock left the warehouse for an order.
        OrderFulfilled = "ORDER_FULFILLED",
        /// Stock of an order put back on hand.
        OrderRestocked = "ORDER_RESTOCKED",
        /// Returned goods put back on hand.
        ReturnRestocked = "RETURN_RESTOCKED",
        /// Export slip created: units move into pending export.
        ExportSlipCreated = "EXPORT_SLIP_CREATED",
        /// Export slip exported: units leave pending export and on hand.
        ExportSlipExported = "EXPORT_SLIP_EXPORTED",
        /// Export slip cancelled: units leave pending export.
        ExportSlipCancelled = "EXPORT_SLIP_CANCELLED",
    }
}

db_enum! {
    /// What `inventory_ledger.reference_id` points to.
    pub enum LedgerReference {
        /// No other row: a direct adjustment (the id, if any, groups one request's rows).
        Adjustment = "ADJUSTMENT",
        /// An order (`orders.id`).
        Order = "ORDER",
        /// An export slip (`export_slips.id`).
        ExportSlip = "EXPORT_SLIP",
        /// A return (`returns.id`).
        Return = "RETURN",
    }
}

db_enum! {
    /// Who made a ledger entry or an order history line (`actor_kind`; `actor_name` names them).
    pub enum ActorKind {
        /// A caller of the API: `actor_name` is the API token's name.
        ApiToken = "API_TOKEN",
        /// A sales channel (order imports, webhooks, polls): `actor_name` is the channel's name.
        Channel = "CHANNEL",
        /// The hub itself (scheduler, recomputations, demo and benchmark seeding): `actor_name` says which part.
        System = "SYSTEM",
    }
}

db_enum! {
    /// An order's status in the hub, mapped from the channel's status.
    pub enum OrderStatus {
        /// Placed, not yet ready to ship ("Chưa giao hàng").
        Pending = "PENDING",
        /// Packed, waiting for pickup ("Chờ giao hàng").
        ReadyToShip = "READY_TO_SHIP",
        /// Handed to the carrier ("Đang giao hàng").
        InTransit = "IN_TRANSIT",
        /// Delivered to the customer ("Đã giao hàng").
        Delivered = "DELIVERED",
        /// Delivery failed ("Hủy giao hàng").
        DeliveryFailed = "DELIVERY_FAILED",
        /// Cancelled.
        Cancelled = "CANCELLED",
        /// The channel reported a status the mapping does not know.
        Unrecognized = "UNRECOGNIZED",
    }
}

db_enum! {
    /// An order's payment status.
    pub enum PaymentStatus {
        /// Paid.
        Paid = "PAID",
        /// Not paid yet (e.g. cash on delivery).
        Unpaid = "UNPAID",
        /// Refunded in full without a return.
        Refunded = "REFUNDED",
        /// Returned in full; the refunded amount is on the order.
        Returned = "RETURNED",
        /// Partly returned; the refunded amount is on the order.
        PartiallyReturned = "PARTIALLY_RETURNED",
    }
}

db_enum! {
    /// Kind of an order history line.
    pub enum OrderEventKind {
        /// The order was imported from its channel.
        Imported = "IMPORTED",
        /// The hub status changed.
        StatusChanged = "STATUS_CHANGED",
        /// Stock was committed for the order.
        StockReserved = "STOCK_RESERVED",
        /// The order's committed stock was released.
        StockReleased = "STOCK_RELEASED",
        /// Stock was put back on hand.
        StockRestocked = "STOCK_RESTOCKED",
        /// Stock left the warehouse for the order.
        StockFulfilled = "STOCK_FULFILLED",
        /// A return was recorded in the hub.
        ReturnRecorded = "RETURN_RECORDED",
        /// An export slip was created, exported or cancelled.
        ExportSlip = "EXPORT_SLIP",
        /// An action was sent to the channel (ready to ship, cancel, print, …).
        ChannelAction = "CHANNEL_ACTION",
        /// A free-text note.
        Note = "NOTE",
    }
}

db_enum! {
    /// State of a return recorded in the hub.
    pub enum ReturnStatus {
        /// Recorded; nothing restocked yet.
        Recorded = "RECORDED",
        /// Its restock quantities were put back on hand.
        Restocked = "RESTOCKED",
    }
}

db_enum! {
    /// State of an export slip.
    pub enum ExportSlipStatus {
        /// Created; units are pending export.
        Waiting = "WAITING",
        /// Goods left the warehouse.
        Exported = "EXPORTED",
        /// Cancelled; units no longer pending export.
        Cancelled = "CANCELLED",
    }
}

db_enum! {
    /// What a sync run (background job) does.
    pub enum SyncRunKind {
        /// Recompute products' cached on-hand totals.
        ProductTotals = "PRODUCT_TOTALS",
        /// Pull a channel's listings.
        PullListings = "PULL_LISTINGS",
        /// Link hub products to a channel's listings.
        LinkProducts = "LINK_PRODUCTS",
        /// Retry linking after the merchant fixed the data.
        Relink = "RELINK",
        /// Create hub products from a channel's listings, in bulk.
        CreateProducts = "CREATE_PRODUCTS",
        /// Apply the web store's product pushes: create or match the pushed products in the hub.
        StoreProducts = "STORE_PRODUCTS",
        /// Push quantities and prices to a channel.
        StockPush = "STOCK_PUSH",
        /// Compare channel quantities with the hub and repair drift.
        StockReconcile = "STOCK_RECONCILE",
        /// Poll a channel for new and changed orders.
        OrderPoll = "ORDER_POLL",
        /// Fetch (resync) given orders from a channel.
        OrderFetch = "ORDER_FETCH",
        /// Import a CSV file: products with their variants, or a stock count.
        CsvImport = "CSV_IMPORT",
    }
}

db_enum! {
    /// What a CSV import did (or in a dry run would do) with one row.
    pub enum CsvRowOutcome {
        /// A new product or variant.
        Created = "CREATED",
        /// An existing variant (or stock level) changed.
        Updated = "UPDATED",
        /// The row matches what the hub holds.
        Unchanged = "UNCHANGED",
        /// Refused: the row's error says why.
        Rejected = "REJECTED",
    }
}

db_enum! {
    /// Lifecycle of a sync run.
    pub enum SyncRunStatus {
        /// Saved, job not started yet.
        Created = "CREATED",
        /// The job is running.
        Running = "RUNNING",
        /// Finished (some items may have failed; see the counters).
        Completed = "COMPLETED",
        /// Stopped by an error (see `error_message`).
        Failed = "FAILED",
        /// Cancelled before finishing.
        Cancelled = "CANCELLED",
    }
}

db_enum! {
    /// What an API token may do.
    pub enum TokenScope {
        /// Queries only.
        Read = "READ",
        /// Queries and mutations.
        Write = "WRITE",
        /// Everything, including managing tokens and channels.
        Admin = "ADMIN",
    }
}
