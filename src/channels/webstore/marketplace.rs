//! The web store's descriptor: what the hub knows of the web store outside the connector.

use std::sync::Arc;

use entity::enums::OrderStatus::{Cancelled, Delivered, InTransit, Pending, ReadyToShip};
use entity::enums::{ChannelKind, MatchKey, OversellPolicy, PricePolicy};

use super::sign;
use crate::channels::registry::{
    Auth, Fact, Marketplace, OrderRules, PriceRules, PushAddress, Quota, SKUS_PER_UPDATE_CALL, UpdateLimits,
};
use crate::channels::{Connector, ConnectorConfig, ConnectorResult};
use crate::domain::channel_settings::KindDefaults;
use crate::domain::order_status::{PAID, RETURNED, StatusRow, UNPAID};
use crate::domain::orders::CustomerEmail;

/// Requests per second the web store allows: "2 calls per second for api client", the drain of a leaky bucket of
/// 40, one quota for everything.
const QUOTA_PER_SECOND: u32 = 2;
/// The bucket's capacity (its call-limit header reads `n/40`).
const QUOTA_BUCKET: u32 = 40;

/// What the simulator must read the same way (`sim::webstore`).
const FACTS: &[(&str, Fact)] = &[
    (SKUS_PER_UPDATE_CALL, Fact::Number(super::SET_BATCH_MAX as i64)),
    ("call bucket capacity", Fact::Number(QUOTA_BUCKET as i64)),
    ("path prefix", Fact::Text(super::API_PREFIX)),
    ("products per page", Fact::Number(super::PRODUCTS_PAGE_MAX as i64)),
    ("orders per page", Fact::Number(super::ORDERS_PAGE_MAX as i64)),
    ("order ids per call", Fact::Number(super::ORDERS_BY_ID_MAX as i64)),
    ("options per product", Fact::Number(super::OPTIONS_MAX as i64)),
    ("webhook signature header", Fact::Text(sign::WEBHOOK_SIGNATURE_HEADER)),
    ("webhook topic header", Fact::Text(sign::WEBHOOK_TOPIC_HEADER)),
    ("webhook event id header", Fact::Text(sign::WEBHOOK_EVENT_ID_HEADER)),
];

pub static MARKETPLACE: Marketplace = Marketplace {
    kind: ChannelKind::Webstore,
    slug: "webstore",
    name: "the web store",
    quota: Quota { per_second: QUOTA_PER_SECOND, per_api: false, bucket: QUOTA_BUCKET },
    // Its whole drain rate, with half the bucket as a burst (`Marketplace::hub_reserve`).
    hub_rate_per_second: QUOTA_PER_SECOND,
    updates: UpdateLimits {
        max_skus_per_call: super::SET_BATCH_MAX,
        one_product_per_call: false,
        stock_and_price_apart: false,
        computed_stock_refusal: None,
    },
    auth: Auth::ApiKey,
    consent: None,
    default_base_url,
    connector,
    order_statuses: ORDER_STATUSES,
    // Matched by SKU, and no order backfill [Sapo]; (omnisync) oversell as Tiki: the real quantity is more useful
    // while there is one.
    settings: KindDefaults {
        match_key: MatchKey::Sku,
        order_backfill_days: 0,
        oversell_policy: OversellPolicy::WhenOutOfStock,
        price_policy: PricePolicy::Retail,
    },
    orders: OrderRules {
        poll_every_seconds: 60,
        event_queue: false,
        customer_email: CustomerEmail::Given,
        keeps_ward: true,
    },
    push_address: PushAddress::RegisteredByApi,
    // SPEC §2: the only channel where linking creates missing products (hidden).
    creates_missing_products: true,
    prices: PriceRules { at_most_list_price: false, scheduled_sale: false },
    unique_seller_skus: true,
    cancel_reasons: &[],
    facts: FACTS,
};

/// The store is the merchant's own host: no default.
fn default_base_url(_country: &str) -> String {
    super::DEFAULT_BASE_URL.to_owned()
}

fn connector(config: ConnectorConfig) -> ConnectorResult<Arc<dyn Connector>> {
    Ok(Arc::new(super::WebstoreConnector::new(config)?))
}

/// Web store order statuses (docs/webstore-api.md): `financial_status` is `pending` while open, fulfilled or
/// shipped, `paid` once delivered, `voided` when cancelled, `refunded` when returned.
pub const ORDER_STATUSES: &[StatusRow] = &[
    ("open", Pending, UNPAID),
    ("fulfilled", ReadyToShip, UNPAID),
    ("shipped", InTransit, UNPAID),
    ("delivered", Delivered, PAID),
    ("cancelled", Cancelled, None),
    ("returned", Delivered, RETURNED),
];
