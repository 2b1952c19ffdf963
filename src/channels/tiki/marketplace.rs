//! Tiki's descriptor: what the hub knows of Tiki outside the connector.

use std::sync::Arc;

use entity::enums::OrderStatus::{Cancelled, Delivered, InTransit, Pending, ReadyToShip};
use entity::enums::{ChannelKind, MatchKey, OversellPolicy, PricePolicy};

use super::wire;
use crate::channels::registry::{
    Auth, Consent, ConsentRequest, Fact, Marketplace, OrderRules, PriceRules, PushAddress, Quota, SKUS_PER_UPDATE_CALL,
    UpdateLimits,
};
use crate::channels::{Connector, ConnectorConfig, ConnectorResult};
use crate::domain::channel_settings::KindDefaults;
use crate::domain::order_status::{PAID, RETURNED, StatusRow, UNPAID};
use crate::domain::orders::CustomerEmail;

/// Requests per second Tiki allows: 200 per seller, one quota for everything.
const QUOTA_PER_SECOND: u32 = 200;

/// What the simulator must read the same way (`sim::tiki`).
const FACTS: &[(&str, Fact)] = &[
    (SKUS_PER_UPDATE_CALL, Fact::Number(wire::MAX_UPDATE_SKUS_BATCH as i64)),
    ("v1 prefix", Fact::Text(wire::V1)),
    ("v2 prefix", Fact::Text(wire::V2)),
    ("v2.1 prefix", Fact::Text(wire::V2_1)),
    ("token path", Fact::Text(wire::TOKEN_PATH)),
    ("consent path", Fact::Text(wire::AUTHORIZE_PATH)),
    ("API key header", Fact::Text(wire::API_KEY_HEADER)),
    ("products per page", Fact::Number(wire::MAX_PRODUCTS_PAGE as i64)),
    ("orders per page", Fact::Number(wire::MAX_ORDERS_PAGE as i64)),
    ("order window days", Fact::Number(wire::MAX_ORDER_WINDOW_DAYS)),
    ("events per pull", Fact::Number(wire::MAX_EVENTS_PER_PULL as i64)),
    ("order event types", Fact::Names(&wire::ORDER_EVENT_TYPES)),
    ("date format", Fact::Text(wire::DATE_FORMAT)),
];

pub static MARKETPLACE: Marketplace = Marketplace {
    kind: ChannelKind::Tiki,
    slug: "tiki",
    name: "Tiki",
    quota: Quota { per_second: QUOTA_PER_SECOND, per_api: false, bucket: 0 },
    // The rate Tiki's team once gave (tikivn/open-api-docs#150).
    hub_rate_per_second: 100,
    updates: UpdateLimits {
        max_skus_per_call: wire::MAX_UPDATE_SKUS_BATCH,
        one_product_per_call: false,
        stock_and_price_apart: false,
        computed_stock_refusal: None,
    },
    auth: Auth::ApiKeyOrClient,
    consent: Some(Consent { url: "https://api.tiki.vn/sc/oauth2/auth", query: consent_query }),
    default_base_url,
    connector,
    order_statuses: ORDER_STATUSES,
    // Matched by barcode [H-Tiki]; the first order sync reaches back 60 days [Biz]; the oversell quantity is
    // pushed only when out of stock [H-Tiki].
    settings: KindDefaults {
        match_key: MatchKey::Barcode,
        order_backfill_days: 60,
        oversell_policy: OversellPolicy::WhenOutOfStock,
        price_policy: PricePolicy::Retail,
    },
    // No push: the event queue is pulled at every poll, so polls come more often. Tiki shares no customer
    // e-mail [H-Tiki].
    orders: OrderRules {
        poll_every_seconds: 15,
        event_queue: true,
        customer_email: CustomerEmail::FromPhone,
        keeps_ward: true,
    },
    push_address: PushAddress::Pulled,
    creates_missing_products: false,
    prices: PriceRules { at_most_list_price: true, scheduled_sale: false },
    unique_seller_skus: false,
    // A cancel is a confirmation with no item available: Tiki takes no reason, the text stays in the hub.
    cancel_reasons: &[],
    facts: FACTS,
};

fn default_base_url(_country: &str) -> String {
    super::DEFAULT_BASE_URL.to_owned()
}

fn connector(config: ConnectorConfig) -> ConnectorResult<Arc<dyn Connector>> {
    Ok(Arc::new(super::TikiConnector::new(config)?))
}

fn consent_query(
    q: &mut url::form_urlencoded::Serializer<'_, url::UrlQuery<'_>>,
    r: &ConsentRequest<'_>,
) -> Result<(), String> {
    q.append_pair("response_type", "code")
        .append_pair("client_id", r.app_key)
        .append_pair("redirect_uri", r.redirect_uri)
        .append_pair("scope", "offline all")
        .append_pair("state", r.state);
    Ok(())
}

/// Tiki v2 order statuses (18) and the v1 filter values `seller_confirmed`, `seller_canceled`.
pub const ORDER_STATUSES: &[StatusRow] = &[
    ("queueing", Pending, None),
    ("processing", Pending, None),
    ("waiting_payment", Pending, UNPAID),
    ("payment_review", Pending, UNPAID),
    ("paid", Pending, PAID),
    ("holded", Pending, None),
    // Confirmed by the seller and being prepared: what the hub's "ready to ship" sends Tiki to (confirming the
    // items answers `packaging`), so these must read READY_TO_SHIP or Tiki's next update would move the order back.
    ("seller_confirmed", ReadyToShip, None),
    ("picking", ReadyToShip, None),
    ("packaging", ReadyToShip, None),
    ("finished_packing", ReadyToShip, None),
    ("ready_to_ship", ReadyToShip, None),
    ("handover_to_partner", InTransit, None),
    ("shipping", InTransit, None),
    ("delivered", Delivered, None),
    ("successful_delivery", Delivered, PAID),
    ("complete", Delivered, PAID),
    ("canceled", Cancelled, None),
    ("seller_canceled", Cancelled, None),
    ("closed", Cancelled, None),
    ("returned", Delivered, RETURNED),
];
