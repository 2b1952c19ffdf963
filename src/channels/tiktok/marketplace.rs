//! TikTok Shop's descriptor: what the hub knows of TikTok Shop outside the connector.

use std::sync::Arc;

use entity::enums::OrderStatus::{Cancelled, Delivered, InTransit, Pending, ReadyToShip};
use entity::enums::{ChannelKind, MatchKey, OversellPolicy, PricePolicy};

use super::codes;
use crate::channels::registry::{
    Auth, Consent, ConsentRequest, Fact, Marketplace, OrderRules, PriceRules, PushAddress, Quota, SKUS_PER_UPDATE_CALL,
    UpdateLimits,
};
use crate::channels::{Connector, ConnectorConfig, ConnectorResult};
use crate::domain::channel_settings::KindDefaults;
use crate::domain::order_status::{PAID, StatusRow, UNPAID};
use crate::domain::orders::CustomerEmail;

/// Requests per second TikTok Shop allows: "50 QPS per API", per app and shop.
const QUOTA_PER_SECOND: u32 = 50;

/// What the simulator must read the same way (`sim::tiktok`).
const FACTS: &[(&str, Fact)] = &[
    (SKUS_PER_UPDATE_CALL, Fact::Number(super::MAX_SKUS_PER_UPDATE_CALL as i64)),
    ("page size max", Fact::Number(super::MAX_PAGE_SIZE as i64)),
    ("order ids per detail call", Fact::Number(super::MAX_ORDER_IDS_PER_CALL as i64)),
    ("inventory quantity min", Fact::Number(*super::INVENTORY_QUANTITY_RANGE.start())),
    ("inventory quantity max", Fact::Number(*super::INVENTORY_QUANTITY_RANGE.end())),
    ("order status webhook type", Fact::Number(super::WEBHOOK_ORDER_STATUS_CHANGE)),
    ("access token header", Fact::Text(super::ACCESS_TOKEN_HEADER)),
    ("code: success", Fact::Number(codes::OK)),
    ("code: expired token", Fact::Number(codes::EXPIRED_TOKEN)),
    ("code: rate limited", Fact::Number(codes::RATE_LIMITED)),
    ("code: internal error", Fact::Number(codes::INTERNAL_ERROR)),
    ("code: invalid sign", Fact::Number(codes::INVALID_SIGN)),
    ("code: invalid credentials", Fact::Number(codes::INVALID_CREDENTIALS)),
    ("code: token of another shop", Fact::Number(codes::TOKEN_SHOP_MISMATCH)),
    ("code: missing shop cipher", Fact::Number(codes::MISSING_SHOP_CIPHER)),
    ("code: order not found", Fact::Number(codes::ORDER_NOT_FOUND)),
    ("code: order status does not allow", Fact::Number(codes::ORDER_STATUS_NOT_ALLOWED)),
];

pub static MARKETPLACE: Marketplace = Marketplace {
    kind: ChannelKind::Tiktok,
    slug: "tiktok",
    name: "TikTok Shop",
    quota: Quota { per_second: QUOTA_PER_SECOND, per_api: true, bucket: 0 },
    // 80% of the quota.
    hub_rate_per_second: QUOTA_PER_SECOND * 4 / 5,
    updates: UpdateLimits {
        max_skus_per_call: super::MAX_SKUS_PER_UPDATE_CALL,
        one_product_per_call: true,
        stock_and_price_apart: true,
        computed_stock_refusal: Some(super::COMBO_STOCK_REFUSED),
    },
    auth: Auth::OAuth { shop_id: false },
    consent: Some(Consent { url: "https://auth.tiktok-shops.com/oauth/authorize", query: consent_query }),
    default_base_url,
    connector,
    order_statuses: ORDER_STATUSES,
    // (omnisync) As Tiki: the real quantity is more useful while there is one.
    settings: KindDefaults {
        match_key: MatchKey::Barcode,
        order_backfill_days: 60,
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
    creates_missing_products: false,
    prices: PriceRules { at_most_list_price: false, scheduled_sale: false },
    unique_seller_skus: false,
    // UNCONFIRMED: `cancel_reason` of `/return_refund/202309/cancellations` is a string whose accepted values
    // `../shared/channels/tiktok.md` does not list; text is sent as given.
    cancel_reasons: &[],
    facts: FACTS,
};

fn default_base_url(_country: &str) -> String {
    super::DEFAULT_BASE_URL.to_owned()
}

fn connector(config: ConnectorConfig) -> ConnectorResult<Arc<dyn Connector>> {
    Ok(Arc::new(super::TiktokConnector::new(config)?))
}

fn consent_query(
    q: &mut url::form_urlencoded::Serializer<'_, url::UrlQuery<'_>>,
    r: &ConsentRequest<'_>,
) -> Result<(), String> {
    q.append_pair("app_key", r.app_key).append_pair("state", r.state).append_pair("redirect_uri", r.redirect_uri);
    Ok(())
}

/// TikTok Shop order statuses (9); the order-status webhook spells cancellation `CANCEL`.
/// AWAITING_SHIPMENT: the seller has still to ship (PENDING); AWAITING_COLLECTION: packed, waiting for the carrier.
pub const ORDER_STATUSES: &[StatusRow] = &[
    ("UNPAID", Pending, UNPAID),
    ("ON_HOLD", Pending, None),
    ("AWAITING_SHIPMENT", Pending, None),
    ("AWAITING_COLLECTION", ReadyToShip, None),
    ("PARTIALLY_SHIPPING", InTransit, None),
    ("IN_TRANSIT", InTransit, None),
    ("DELIVERED", Delivered, None),
    ("COMPLETED", Delivered, PAID),
    ("CANCELLED", Cancelled, None),
    ("CANCEL", Cancelled, None),
];
