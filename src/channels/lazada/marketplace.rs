//! Lazada's descriptor: what the hub knows of Lazada outside the connector.

use std::sync::Arc;

use entity::enums::OrderStatus::{Cancelled, Delivered, DeliveryFailed, InTransit, Pending, ReadyToShip};
use entity::enums::{ChannelKind, MatchKey, OversellPolicy, PricePolicy};

use crate::channels::registry::{
    Auth, Consent, ConsentRequest, Fact, Marketplace, OrderRules, PriceRules, PushAddress, Quota, SKUS_PER_UPDATE_CALL,
    UpdateLimits,
};
use crate::channels::{Connector, ConnectorConfig, ConnectorResult};
use crate::domain::cancel_reasons::CancelReasonOption;
use crate::domain::channel_settings::KindDefaults;
use crate::domain::order_status::{PAID, RETURNED, StatusRow, UNPAID};
use crate::domain::orders::CustomerEmail;

/// Requests per second Lazada allows, per API ("per-API QPS throttling", code 901): 50 on stock and price
/// updates ([GUIDE-INV]); other APIs' per-API rates are console-set (UNCONFIRMED), taken as the same.
const QUOTA_PER_SECOND: u32 = 50;

/// What the simulator must read the same way (`sim::lazada`).
const FACTS: &[(&str, Fact)] = &[
    (SKUS_PER_UPDATE_CALL, Fact::Number(super::PRICE_QUANTITY_BATCH as i64)),
    ("products per page", Fact::Number(super::PRODUCTS_PAGE_SIZE as i64)),
    ("products offset max", Fact::Number(super::PRODUCTS_MAX_OFFSET as i64)),
    ("orders per page", Fact::Number(super::ORDERS_PAGE_SIZE as i64)),
    ("orders offset max", Fact::Number(super::ORDERS_MAX_OFFSET as i64)),
    ("orders per items call", Fact::Number(super::ORDER_ITEMS_BATCH as i64)),
    ("orders per pack or RTS call", Fact::Number(super::actions::FULFILMENT_BATCH as i64)),
    ("packable statuses", Fact::Names(&super::actions::PACKABLE)),
    ("cancellable statuses", Fact::Names(&super::actions::CANCELLABLE)),
    ("rate limit code", Fact::Text(super::codes::RATE_LIMIT)),
    ("expired token code", Fact::Text(super::codes::ILLEGAL_ACCESS_TOKEN)),
    ("credential refusal codes", Fact::Names(&super::codes::AUTH)),
];

pub static MARKETPLACE: Marketplace = Marketplace {
    kind: ChannelKind::Lazada,
    slug: "lazada",
    name: "Lazada",
    quota: Quota { per_second: QUOTA_PER_SECOND, per_api: true, bucket: 0 },
    // 80% of the quota.
    hub_rate_per_second: QUOTA_PER_SECOND * 4 / 5,
    updates: UpdateLimits {
        max_skus_per_call: super::PRICE_QUANTITY_BATCH,
        one_product_per_call: false,
        stock_and_price_apart: false,
        computed_stock_refusal: None,
    },
    auth: Auth::OAuth { shop_id: false },
    consent: Some(Consent { url: "https://auth.lazada.com/oauth/authorize", query: consent_query }),
    default_base_url: super::default_base_url,
    connector,
    order_statuses: ORDER_STATUSES,
    // Matched by barcode [H-Laz]; the first order sync reaches back 60 days [Biz]; the oversell quantity is
    // pushed always [H-Laz].
    settings: KindDefaults {
        match_key: MatchKey::Barcode,
        order_backfill_days: 60,
        oversell_policy: OversellPolicy::Always,
        price_policy: PricePolicy::Retail,
    },
    // The ward is not saved [H-Laz].
    orders: OrderRules {
        poll_every_seconds: 60,
        event_queue: false,
        customer_email: CustomerEmail::Given,
        keeps_ward: false,
    },
    push_address: PushAddress::Console {
        instructions: "In the Lazada Open Platform console, open your app's Message Service tab, set the callback URL to {url} (HTTPS with an OV or EV certificate), press Verify, then subscribe to Trade Order messages (type 0). The address is one per app.",
    },
    creates_missing_products: false,
    prices: PriceRules { at_most_list_price: false, scheduled_sale: true },
    unique_seller_skus: false,
    // The reason ids Lazada's cancel validation offers (`/order/reverse/cancel/validate`); the connector sends the
    // chosen one if Lazada offers it for the order.
    cancel_reasons: &[
        CancelReasonOption { code: "SOURCING_DELAY", label: "Chậm nguồn hàng", wire: "10000019" },
        CancelReasonOption { code: "OUT_OF_STOCK", label: "Hết hàng", wire: "10000021" },
        CancelReasonOption { code: "PRICING_ERROR", label: "Sai giá", wire: "10000023" },
    ],
    facts: FACTS,
};

fn connector(config: ConnectorConfig) -> ConnectorResult<Arc<dyn Connector>> {
    Ok(Arc::new(super::LazadaConnector::new(config)?))
}

fn consent_query(
    q: &mut url::form_urlencoded::Serializer<'_, url::UrlQuery<'_>>,
    r: &ConsentRequest<'_>,
) -> Result<(), String> {
    q.append_pair("response_type", "code")
        .append_pair("client_id", r.app_key)
        .append_pair("redirect_uri", r.redirect_uri)
        .append_pair("force_auth", "true")
        .append_pair("country", &r.country.to_ascii_lowercase())
        .append_pair("state", r.state);
    Ok(())
}

/// Lazada item statuses (the 19 `status` filter values, plus `repacked`, `ready_to_ship_pending` and `shipping`
/// from the status-flow guide). Labels from [H-Laz]: Chưa giao hàng → PENDING, Chờ giao hàng → READY_TO_SHIP, Đang giao hàng →
/// IN_TRANSIT, Đã giao hàng → DELIVERED, Hủy giao hàng → DELIVERY_FAILED.
pub const ORDER_STATUSES: &[StatusRow] = &[
    ("unpaid", Pending, UNPAID),
    ("pending", Pending, None),
    ("topack", Pending, None),
    ("packed", ReadyToShip, None),
    ("repacked", ReadyToShip, None),
    ("ready_to_ship_pending", ReadyToShip, None),
    ("toship", ReadyToShip, None),
    ("ready_to_ship", ReadyToShip, None),
    ("shipped", InTransit, None),
    ("shipping", InTransit, None),
    ("delivered", Delivered, PAID),
    ("failed", DeliveryFailed, None),
    ("failed_delivery", DeliveryFailed, None),
    ("lost", DeliveryFailed, None),
    ("lost_by_3pl", DeliveryFailed, None),
    ("damaged_by_3pl", DeliveryFailed, None),
    ("shipped_back", DeliveryFailed, None),
    ("shipped_back_success", DeliveryFailed, None),
    ("shipped_back_failed", DeliveryFailed, None),
    ("package_scrapped", DeliveryFailed, None),
    ("canceled", Cancelled, None),
    ("returned", Delivered, RETURNED),
];
