//! `/auth/token/create` and `/auth/token/refresh` (served by auth.lazada.com/rest in production). Token fields
//! come at the top level of the answer, next to `code`.

use actix_web::HttpResponse;
use serde_json::json;

use super::codes;
use super::gateway::{Answer, Params, refuse, request_id};
use super::{SIM_SELLER_ID, SIM_SHORT_CODE};
use crate::sim::SimState;
use crate::sim::store::IssuedTokens;

/// Lifetimes of an app in "test" status: access 7 days, refresh 14 days.
fn access_ttl() -> chrono::Duration {
    chrono::Duration::days(7)
}

fn refresh_ttl() -> chrono::Duration {
    chrono::Duration::days(14)
}

fn answer(tokens: IssuedTokens, user_info_field: &str) -> Answer {
    Ok(HttpResponse::Ok().json(json!({
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "expires_in": tokens.access_expires_in,
        "refresh_expires_in": tokens.refresh_expires_in,
        "account_id": SIM_SELLER_ID,
        "account": "seller@omnisync.test",
        "account_platform": "seller_center",
        "country": "vn",
        user_info_field: [{ "country": "vn", "seller_id": SIM_SELLER_ID, "user_id": SIM_SELLER_ID, "short_code": SIM_SHORT_CODE }],
        "code": "0",
        "request_id": request_id(),
    })))
}

pub fn create(state: &SimState, params: &Params) -> Answer {
    let code = params.required("code")?;
    let mut store = state.store();
    if store.tokens.use_code(code).is_err() {
        return Err(refuse(codes::INVALID_CODE, "Invalid authorization code"));
    }
    answer(store.tokens.issue(access_ttl(), refresh_ttl()), "country_user_info")
}

/// Lazada refresh tokens stay valid until they expire (not single-use; UNCONFIRMED), so the old one is kept.
pub fn refresh(state: &SimState, params: &Params) -> Answer {
    let token = params.required("refresh_token")?;
    let mut store = state.store();
    if store.tokens.use_refresh(token, false).is_err() {
        return Err(refuse(codes::ILLEGAL_REFRESH_TOKEN, "The specified refresh token is invalid or expired"));
    }
    answer(store.tokens.issue(access_ttl(), refresh_ttl()), "country_user_info_list")
}
