//! Consent redirect, code exchange, token refresh (single-use refresh tokens) and the shop's identity.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;
use serde_json::{Value, json};

use super::gate::{self, Access, Refusal};
use crate::sim::SimState;
use crate::sim::store::TokenProblem;

type State = web::Data<Arc<SimState>>;

/// Access tokens live 4 hours, refresh tokens 30 days.
const ACCESS_TTL_HOURS: i64 = 4;
const REFRESH_TTL_DAYS: i64 = 30;

/// `GET /api/v2/shop/auth_partner`: the seller "consents" at once; redirects with `code` and `shop_id`.
pub async fn auth_partner(state: State, req: HttpRequest) -> HttpResponse {
    let query = match gate::check(&state, &req, Access::Public) {
        Ok(q) => q,
        Err(refusal) => return refusal.into(),
    };
    let Some(redirect) = query.get("redirect").filter(|r| r.starts_with("http")) else {
        return gate::wrong_param("redirect is required");
    };
    let code = state.store().tokens.issue_code();
    let shop_id = state.credentials.shop_id.clone().unwrap_or_default();
    let separator = if redirect.contains('?') { '&' } else { '?' };
    HttpResponse::Found()
        .insert_header(("Location", format!("{redirect}{separator}code={code}&shop_id={shop_id}")))
        .finish()
}

/// Body fields common to both token endpoints: partner_id and shop_id must name this app and shop.
fn check_body_ids(state: &SimState, body: &Value) -> Result<(), Refusal> {
    let as_text = |v: Option<&Value>| v.map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()));
    if as_text(body.get("partner_id")).as_deref() != state.credentials.app_key.as_deref() {
        return Err(gate::error("invalid_partner_id", "Invalid partner_id, please have a check.").into());
    }
    if as_text(body.get("shop_id")).as_deref() != state.credentials.shop_id.as_deref() {
        return Err(gate::error(
            "invalid_shop_id",
            "The code or shop_id is wrong, please check the code or the shop_id.",
        )
        .into());
    }
    Ok(())
}

/// `POST /api/v2/auth/token/get`: a one-time code for the first token pair.
pub async fn token_get(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(refusal) = gate::check(&state, &req, Access::Public) {
        return refusal.into();
    }
    let body = match gate::json_body(&body) {
        Ok(b) => b,
        Err(refusal) => return refusal.into(),
    };
    if let Err(refusal) = check_body_ids(&state, &body) {
        return refusal.into();
    }
    let code = body.get("code").and_then(Value::as_str).unwrap_or_default();
    let mut store = state.store();
    if store.tokens.use_code(code).is_err() {
        return gate::error("invalid_code", "The code is expired or used or invalid, please check the code.");
    }
    let issued = store.tokens.issue(Duration::hours(ACCESS_TTL_HOURS), Duration::days(REFRESH_TTL_DAYS));
    gate::ok_flat(
        json!({ "access_token": issued.access_token, "refresh_token": issued.refresh_token, "expire_in": issued.access_expires_in }),
    )
}

/// `POST /api/v2/auth/access_token/get`: a new pair; the refresh token sent is spent.
pub async fn access_token_get(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(refusal) = gate::check(&state, &req, Access::Public) {
        return refusal.into();
    }
    let body = match gate::json_body(&body) {
        Ok(b) => b,
        Err(refusal) => return refusal.into(),
    };
    if let Err(refusal) = check_body_ids(&state, &body) {
        return refusal.into();
    }
    let refresh_token = body.get("refresh_token").and_then(Value::as_str).unwrap_or_default();
    let mut store = state.store();
    match store.tokens.use_refresh(refresh_token, true) {
        Ok(()) => {}
        Err(TokenProblem::Expired) => return gate::error("refresh_token_expired", "Your refresh_token expired."),
        Err(TokenProblem::Unknown) => {
            return gate::error(
                "error_shop_refresh_token",
                "Your refresh token is error ,please check refresh token or shopid.",
            );
        }
    }
    let issued = store.tokens.issue(Duration::hours(ACCESS_TTL_HOURS), Duration::days(REFRESH_TTL_DAYS));
    let (partner_id, shop_id) = (body.get("partner_id").cloned(), body.get("shop_id").cloned());
    gate::ok_flat(json!({
        "partner_id": partner_id,
        "shop_id": shop_id,
        "access_token": issued.access_token,
        "refresh_token": issued.refresh_token,
        "expire_in": issued.access_expires_in,
    }))
}

/// `GET /api/v2/shop/get_shop_info`: fields at the top level.
pub async fn shop_info(state: State, req: HttpRequest) -> HttpResponse {
    if let Err(refusal) = gate::check(&state, &req, Access::Shop) {
        return refusal.into();
    }
    let now = chrono::Utc::now().timestamp();
    gate::ok_flat(json!({
        "shop_name": super::SHOP_NAME,
        "region": super::REGION,
        "status": "NORMAL",
        "is_cb": false,
        "is_sip": false,
        "is_upgraded_cbsc": false,
        "merchant_id": null,
        "shop_fulfillment_flag": "Others",
        "auth_time": now,
        "expire_time": now + 365 * 24 * 3600,
    }))
}
