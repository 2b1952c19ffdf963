//! The simulator's gatekeeping, as strict as TikTok's: app key, timestamp window, signature, access token, shop
//! cipher — each refused with TikTok's own code and message — and the auth host's token endpoints.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde_json::json;

use super::{TIMESTAMP_WINDOW_FUTURE_SECONDS, TIMESTAMP_WINDOW_PAST_SECONDS, codes};
use super::{envelope_error, envelope_ok};
use crate::channels::signatures_match;
use crate::channels::tiktok::sign;
use crate::sim::SimState;
use crate::sim::store::TokenProblem;

pub(super) type State = web::Data<Arc<SimState>>;

/// Access-token lifetime TikTok documents (seven days).
const ACCESS_TOKEN_LIFETIME: chrono::Duration = chrono::Duration::days(7);
/// Refresh-token lifetime: UNCONFIRMED (the docs' example values imply about a year).
const REFRESH_TOKEN_LIFETIME: chrono::Duration = chrono::Duration::days(365);
/// Whether a refresh token is spent by use: UNCONFIRMED for TikTok; we keep it valid until it expires.
const REFRESH_TOKEN_SINGLE_USE: bool = false;

/// Whether an endpoint names the shop (`shop_cipher` required) or must not (authorization/*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    Shop,
    App,
}

/// The decoded query of a request that passed every check.
pub(super) struct Verified {
    query: Vec<(String, String)>,
}

impl Verified {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

fn decoded_query(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect()
}

/// Checks a call the way TikTok's gateway does; the refusal is the answer to send.
pub(super) fn verify(state: &SimState, req: &HttpRequest, body: &[u8], scope: Scope) -> Result<Verified, HttpResponse> {
    let verified = Verified { query: decoded_query(req) };
    let credentials = &state.credentials;
    if verified.get("app_key").is_none() || verified.get("app_key") != credentials.app_key.as_deref() {
        return Err(envelope_error(
            codes::INVALID_CREDENTIALS,
            "Invalid credentials. Invalid `app_key` query parameter.",
        ));
    }
    let Some(given_sign) = verified.get("sign") else {
        return Err(envelope_error(
            codes::INVALID_CREDENTIALS,
            "Missing credentials. The request does not include a required signature in the query.",
        ));
    };
    let timestamp = verified.get("timestamp").and_then(|t| t.parse::<i64>().ok());
    let now = Utc::now().timestamp();
    match timestamp {
        None => {
            return Err(envelope_error(
                codes::INVALID_CREDENTIALS,
                "Invalid timestamp. The `timestamp` query parameter is missing or not an integer.",
            ));
        }
        Some(t) if t < 0 => {
            return Err(envelope_error(
                codes::INVALID_CREDENTIALS,
                "Invalid timestamp. The value of the `timestamp` query parameter must not be lesser than 0.",
            ));
        }
        Some(t) if t < now - TIMESTAMP_WINDOW_PAST_SECONDS => {
            return Err(envelope_error(
                codes::INVALID_CREDENTIALS,
                "Invalid timestamp. The value of the `timestamp` query parameter must not be earlier than 5 minutes before the current time.",
            ));
        }
        Some(t) if t > now + TIMESTAMP_WINDOW_FUTURE_SECONDS => {
            return Err(envelope_error(
                codes::INVALID_CREDENTIALS,
                "Invalid timestamp. The value of the `timestamp` query parameter must not exceed the current time by more than 30 seconds.",
            ));
        }
        Some(_) => {}
    }
    let multipart = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let params: Vec<(&str, &str)> = verified.query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let secret = credentials.app_secret.as_deref().unwrap_or_default();
    let expected = sign::request_sign(secret, req.path(), &params, (!multipart && !body.is_empty()).then_some(body));
    if !signatures_match(&expected, given_sign, false) {
        return Err(envelope_error(codes::INVALID_SIGN, "Invalid credentials. The `sign` query parameter is invalid."));
    }
    let token = req.headers().get(super::ACCESS_TOKEN_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    match state.store().tokens.check_access(token) {
        Ok(()) => {}
        Err(TokenProblem::Expired) => {
            return Err(envelope_error(
                codes::EXPIRED_TOKEN,
                "Expired credentials. The `access_token` or `x-tts-access-token` header has expired.",
            ));
        }
        Err(TokenProblem::Unknown) => {
            return Err(envelope_error(
                codes::INVALID_CREDENTIALS,
                "Invalid credentials. The `x-tts-access-token` header is invalid.",
            ));
        }
    }
    match (scope, verified.get("shop_cipher")) {
        (Scope::Shop, None) => Err(envelope_error(
            codes::MISSING_SHOP_CIPHER,
            "Missing identifier. The `shop_cipher` query parameter is required to identify the target shop.",
        )),
        (Scope::Shop, Some(cipher)) if Some(cipher) != credentials.shop_cipher.as_deref() => Err(envelope_error(
            codes::TOKEN_SHOP_MISMATCH,
            "Invalid query or header. The shop associated with the `x-tts-access-token` header does not match the `shop_cipher` query parameter.",
        )),
        (Scope::App, Some(_)) => Err(envelope_error(
            codes::INVALID_CREDENTIALS,
            "Unexpected identifier. The `shop_cipher` query parameter is not required for this request.",
        )),
        _ => Ok(verified),
    }
}

/// Checks the app credentials a token request carries in its query.
fn check_app(state: &SimState, query: &Verified) -> Result<(), HttpResponse> {
    let credentials = &state.credentials;
    if query.get("app_key") != credentials.app_key.as_deref()
        || query.get("app_secret") != credentials.app_secret.as_deref()
    {
        return Err(envelope_error(
            codes::INVALID_CREDENTIALS,
            "Invalid credentials. Invalid `app_key` or `app_secret` query parameter.",
        ));
    }
    Ok(())
}

/// A fresh token pair in the auth host's shape (expiries as absolute Unix times).
fn issue_tokens(state: &SimState) -> HttpResponse {
    let issued = state.store().tokens.issue(ACCESS_TOKEN_LIFETIME, REFRESH_TOKEN_LIFETIME);
    let now = Utc::now().timestamp();
    envelope_ok(json!({
        "access_token": issued.access_token,
        "access_token_expire_in": now + issued.access_expires_in,
        "refresh_token": issued.refresh_token,
        "refresh_token_expire_in": now + issued.refresh_expires_in,
        "open_id": "sim-open-id-0001",
        "seller_name": super::SHOP_NAME,
        "seller_base_region": super::SHOP_REGION,
        "user_type": 0,
        "granted_scopes": ["seller.authorization.info", "seller.product.basic", "seller.order.info", "seller.fulfillment.basic", "seller.return_refund.basic"],
    }))
}

/// `GET /api/v2/token/get?app_key&app_secret&auth_code&grant_type=authorized_code` (auth host).
pub(super) async fn token_get(state: State, req: HttpRequest) -> HttpResponse {
    let query = Verified { query: decoded_query(&req) };
    if let Err(refusal) = check_app(&state, &query) {
        return refusal;
    }
    if query.get("grant_type") != Some("authorized_code") {
        return envelope_error(codes::INVALID_PARAMETER, "Invalid grant_type: only `authorized_code` is accepted.");
    }
    let code = query.get("auth_code").unwrap_or_default().to_owned();
    if state.store().tokens.use_code(&code).is_err() {
        return envelope_error(codes::INVALID_GRANT, "Invalid auth_code: unknown, used or expired.");
    }
    issue_tokens(&state)
}

/// `GET /api/v2/token/refresh?app_key&app_secret&refresh_token&grant_type=refresh_token` (auth host).
pub(super) async fn token_refresh(state: State, req: HttpRequest) -> HttpResponse {
    let query = Verified { query: decoded_query(&req) };
    if let Err(refusal) = check_app(&state, &query) {
        return refusal;
    }
    if query.get("grant_type") != Some("refresh_token") {
        return envelope_error(codes::INVALID_PARAMETER, "Invalid grant_type: only `refresh_token` is accepted.");
    }
    let refresh_token = query.get("refresh_token").unwrap_or_default().to_owned();
    if state.store().tokens.use_refresh(&refresh_token, REFRESH_TOKEN_SINGLE_USE).is_err() {
        return envelope_error(codes::INVALID_GRANT, "Invalid refresh_token: unknown or expired.");
    }
    issue_tokens(&state)
}

/// `GET /authorization/202309/shops`.
pub(super) async fn shops(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(refusal) = verify(&state, &req, &body, Scope::App) {
        return refusal;
    }
    let credentials = &state.credentials;
    envelope_ok(json!({ "shops": [{
        "id": credentials.shop_id,
        "name": super::SHOP_NAME,
        "region": super::SHOP_REGION,
        "seller_type": "LOCAL",
        "cipher": credentials.shop_cipher,
        "code": "VNSIMSHOP01",
    }]}))
}
