//! Shopee's descriptor: what the hub knows of Shopee outside the connector.

use std::sync::Arc;

use entity::enums::OrderStatus::{Cancelled, Delivered, InTransit, Pending, ReadyToShip};
use entity::enums::{ChannelKind, MatchKey, OversellPolicy, PricePolicy};

use crate::channels::hmac_sha256_hex;
use crate::channels::registry::{
    Auth, Consent, ConsentRequest, Fact, Marketplace, OrderRules, PriceRules, PushAddress, Quota, SKUS_PER_UPDATE_CALL,
    UpdateLimits,
};
use crate::channels::{Connector, ConnectorConfig, ConnectorResult};
use crate::domain::cancel_reasons::CancelReasonOption;
use crate::domain::channel_settings::KindDefaults;
use crate::domain::order_status::{PAID, RETURNED, StatusRow, UNPAID};
use crate::domain::orders::CustomerEmail;

/// Requests per second Shopee allows. Shopee publishes none (UNCONFIRMED): integrators report that ~100
/// requests/s hold while bursts of hundreds are throttled more and more (python-shopee#54), so 50 per API, as
/// TikTok. Per API: its Ads APIs report `exceed_api` apart from `exceed_shop_api`, so per API is the plausible
/// reading and is taken here.
const QUOTA_PER_SECOND: u32 = 50;

/// What the simulator must read the same way (`sim::shopee`).
const FACTS: &[(&str, Fact)] = &[
    (SKUS_PER_UPDATE_CALL, Fact::Number(super::MODELS_PER_UPDATE as i64)),
    ("items per page", Fact::Number(super::ITEM_PAGE_SIZE as i64)),
    ("items per base info call", Fact::Number(super::ITEM_INFO_BATCH as i64)),
    ("orders per page", Fact::Number(super::ORDER_PAGE_SIZE as i64)),
    ("order window seconds", Fact::Number(super::ORDER_WINDOW_SECS)),
    ("orders per detail call", Fact::Number(super::ORDER_DETAIL_BATCH as i64)),
    ("cancel reasons", Fact::Names(&super::CANCEL_REASONS)),
];

pub static MARKETPLACE: Marketplace = Marketplace {
    kind: ChannelKind::Shopee,
    slug: "shopee",
    name: "Shopee",
    quota: Quota { per_second: QUOTA_PER_SECOND, per_api: true, bucket: 0 },
    // 80% of the quota.
    hub_rate_per_second: QUOTA_PER_SECOND * 4 / 5,
    updates: UpdateLimits {
        max_skus_per_call: super::MODELS_PER_UPDATE,
        one_product_per_call: true,
        stock_and_price_apart: true,
        computed_stock_refusal: Some(super::VIRTUAL_SKU_STOCK_REFUSED),
    },
    auth: Auth::OAuth { shop_id: true },
    consent: Some(Consent { url: "https://partner.shopeemobile.com/api/v2/shop/auth_partner", query: consent_query }),
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
    push_address: PushAddress::Console {
        instructions: "In the Shopee Open Platform console, open your app's Push Mechanism page, set the Live Call Back URL to {url} and turn on the Order Status push (code 3); Shopee sends a test push to check it. The address is one per app.",
    },
    creates_missing_products: false,
    prices: PriceRules { at_most_list_price: false, scheduled_sale: false },
    unique_seller_skus: false,
    // `cancel_reason` of `/order/cancel_order` (OUT_OF_STOCK names the order's items; the connector adds them).
    cancel_reasons: &[
        CancelReasonOption { code: "OUT_OF_STOCK", label: "Hết hàng", wire: "OUT_OF_STOCK" },
        CancelReasonOption { code: "CUSTOMER_REQUEST", label: "Khách yêu cầu hủy", wire: "CUSTOMER_REQUEST" },
        CancelReasonOption {
            code: "UNDELIVERABLE_AREA", label: "Khu vực không giao được", wire: "UNDELIVERABLE_AREA"
        },
        CancelReasonOption { code: "COD_NOT_SUPPORTED", label: "Không hỗ trợ COD", wire: "COD_NOT_SUPPORTED" },
    ],
    facts: FACTS,
};

fn default_base_url(_country: &str) -> String {
    super::DEFAULT_BASE_URL.to_owned()
}

fn connector(config: ConnectorConfig) -> ConnectorResult<Arc<dyn Connector>> {
    Ok(Arc::new(super::ShopeeConnector::new(config)?))
}

/// Shopee's consent link is signed with the partner key.
fn consent_query(
    q: &mut url::form_urlencoded::Serializer<'_, url::UrlQuery<'_>>,
    r: &ConsentRequest<'_>,
) -> Result<(), String> {
    let secret = r.app_secret.ok_or("Shopee consent links are signed: the partner key (appSecret) is needed")?;
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let path = "/api/v2/shop/auth_partner";
    let sign = hmac_sha256_hex(secret.as_bytes(), format!("{}{path}{timestamp}", r.app_key).as_bytes());
    // Shopee passes no state through; the hub's state rides inside the redirect URL.
    let redirect =
        format!("{}{}state={}", r.redirect_uri, if r.redirect_uri.contains('?') { "&" } else { "?" }, r.state);
    q.append_pair("partner_id", r.app_key)
        .append_pair("timestamp", &timestamp)
        .append_pair("sign", &sign)
        .append_pair("redirect", &redirect);
    Ok(())
}

/// Shopee order statuses (10 core + PENDING, INVOICE_PENDING). IN_CANCEL is a buyer's cancellation request the
/// seller has not answered: the order is not cancelled yet.
pub const ORDER_STATUSES: &[StatusRow] = &[
    ("UNPAID", Pending, UNPAID),
    ("PENDING", Pending, None),
    ("INVOICE_PENDING", Pending, None),
    ("READY_TO_SHIP", Pending, None),
    ("PROCESSED", ReadyToShip, None),
    ("RETRY_SHIP", ReadyToShip, None),
    ("SHIPPED", InTransit, None),
    ("TO_CONFIRM_RECEIVE", Delivered, None),
    ("COMPLETED", Delivered, PAID),
    ("IN_CANCEL", Pending, None),
    ("CANCELLED", Cancelled, None),
    ("TO_RETURN", Delivered, RETURNED),
];
