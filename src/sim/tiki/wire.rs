//! Tiki's protocol as the simulator reads it from shared/channels/tiki.md: paths, the API-key header, limits,
//! event types and the local-time format. The connector keeps its own reading (`channels::tiki::wire`); a test
//! checks that the two agree. Limits the docs leave UNCONFIRMED are chosen here, each with its reason.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeZone, Utc};

/// Legacy API-key integration; the event queues live here for both credential styles (§A.1, §B.7).
pub const V1: &str = "/integration/v1";
/// OAuth2 integration (§B.1).
pub const V2: &str = "/integration/v2";
/// OAuth2 batch endpoints, e.g. `products/updateSkus` (§B.1, §B.4).
pub const V2_1: &str = "/integration/v2.1";
/// OAuth2 token endpoint, on the API host (§B.2).
pub const TOKEN_PATH: &str = "/sc/oauth2/token";
/// OAuth2 consent page of public apps (§B.2).
pub const AUTHORIZE_PATH: &str = "/sc/oauth2/auth";
/// Header carrying the legacy API key (§A.1).
pub const API_KEY_HEADER: &str = "tiki-api";

/// Largest product page `limit`. UNCONFIRMED: a community client notes "limit must not be greater than 100".
pub const MAX_PRODUCTS_PAGE: u32 = 100;
/// Largest order page `limit`. UNCONFIRMED: the same community note.
pub const MAX_ORDERS_PAGE: u32 = 100;
/// Largest `data` array of `PUT /integration/v2.1/products/updateSkus`. UNCONFIRMED: 50, the price/stock batch
/// of the other Vietnamese marketplaces.
pub const MAX_UPDATE_SKUS_BATCH: usize = 50;
/// Longest date range of one order search. UNCONFIRMED: the widest `filter_date_by` preset is `last30days`.
pub const MAX_ORDER_WINDOW_DAYS: i64 = 30;
/// Most events one pull returns. UNCONFIRMED (batch size not documented).
pub const MAX_EVENTS_PER_PULL: usize = 100;
/// Order event types (§B.7): an order reached `queueing`, an order changed status.
pub const ORDER_EVENT_TYPES: [&str; 2] = [ORDER_CREATED, ORDER_STATUS_UPDATED];
pub const ORDER_CREATED: &str = "ORDER_CREATED_SUCCESSFULLY";
pub const ORDER_STATUS_UPDATED: &str = "ORDER_STATUS_UPDATED";

/// Tiki's date parameters and fields: `yyyy-MM-dd HH:mm:ss`, Vietnam local time (UTC+7, no DST).
pub const DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

fn vietnam() -> FixedOffset {
    // 7 h is always a valid offset; the UTC fallback is never taken.
    FixedOffset::east_opt(7 * 3600).unwrap_or(Utc.fix())
}

/// `2024-05-01 17:05:00` for 10:05 UTC.
pub fn format_local(at: DateTime<Utc>) -> String {
    at.with_timezone(&vietnam()).format(DATE_FORMAT).to_string()
}

/// Reads a Tiki local time (RFC 3339 too, which some v2 fields use).
pub fn parse_local(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(text, DATE_FORMAT).ok()?;
    vietnam().from_local_datetime(&naive).single().map(|at| at.with_timezone(&Utc))
}
