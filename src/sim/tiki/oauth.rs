//! Tiki's OAuth2 server (Ory Hydra style): `POST /sc/oauth2/token` for client credentials (no refresh token),
//! authorization codes and refresh tokens (rotated: each is single-use), and `GET /sc/oauth2/auth`, which
//! consents at once and redirects with a code.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use chrono::Duration;
use serde_json::json;

use super::State;
use super::wire;
use crate::channels::signatures_match;
use crate::sim::store::IssuedTokens;

/// Access token lifetime. UNCONFIRMED: Ory Hydra's default (1 hour).
pub const ACCESS_TOKEN_TTL: Duration = Duration::hours(1);
/// Refresh token lifetime. UNCONFIRMED: Ory Hydra's default (30 days).
pub const REFRESH_TOKEN_TTL: Duration = Duration::days(30);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(wire::TOKEN_PATH, web::post().to(token));
    cfg.route(wire::AUTHORIZE_PATH, web::get().to(authorize_page));
}

fn oauth_error(status: u16, error: &str, description: &str) -> HttpResponse {
    let code = actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
    HttpResponse::build(code).json(json!({ "error": error, "error_description": description, "status_code": status }))
}

fn invalid_client() -> HttpResponse {
    oauth_error(
        401,
        "invalid_client",
        "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method).",
    )
}

fn invalid_grant() -> HttpResponse {
    oauth_error(
        400,
        "invalid_grant",
        "The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
    )
}

/// Client id and secret from HTTP Basic (`client_secret_basic`) or the form (`client_secret_post`).
fn client_of(req: &HttpRequest, form: &HashMap<String, String>) -> Option<(String, String)> {
    let basic = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.split_once(':').map(|(id, secret)| (id.to_owned(), secret.to_owned())));
    basic.or_else(|| Some((form.get("client_id")?.clone(), form.get("client_secret")?.clone())))
}

fn token_json(issued: &IssuedTokens, with_refresh: bool, scope: &str) -> serde_json::Value {
    let mut body = json!({ "access_token": issued.access_token, "expires_in": issued.access_expires_in, "scope": scope, "token_type": "bearer" });
    if with_refresh {
        body["refresh_token"] = json!(issued.refresh_token);
    }
    body
}

async fn token(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let Some((client_id, client_secret)) = client_of(&req, &form) else { return invalid_client() };
    let expected_id = state.credentials.app_key.as_deref().unwrap_or_default();
    let expected_secret = state.credentials.app_secret.as_deref().unwrap_or_default();
    if expected_id.is_empty() || client_id != expected_id || !signatures_match(expected_secret, &client_secret, false) {
        return invalid_client();
    }
    let scope = form.get("scope").cloned().unwrap_or_default();
    let mut store = state.store();
    match form.get("grant_type").map(String::as_str) {
        // In-house apps: a token for the seller that owns the app, and no refresh token.
        Some("client_credentials") => {
            let issued = store.tokens.issue(ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL);
            HttpResponse::Ok().json(token_json(&issued, false, &scope))
        }
        Some("authorization_code") => {
            let Some(code) = form.get("code") else { return oauth_error(400, "invalid_request", "code is required") };
            if store.tokens.use_code(code).is_err() {
                return invalid_grant();
            }
            let issued = store.tokens.issue(ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL);
            HttpResponse::Ok().json(token_json(&issued, true, &scope))
        }
        Some("refresh_token") => {
            let Some(refresh) = form.get("refresh_token") else {
                return oauth_error(400, "invalid_request", "refresh_token is required");
            };
            // Hydra rotates refresh tokens: the one used is spent.
            if store.tokens.use_refresh(refresh, true).is_err() {
                return invalid_grant();
            }
            let issued = store.tokens.issue(ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL);
            HttpResponse::Ok().json(token_json(&issued, true, &scope))
        }
        Some(_) => oauth_error(
            400,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        ),
        None => oauth_error(400, "invalid_request", "grant_type is required"),
    }
}

/// The consent page of a public app: the simulated seller consents at once.
async fn authorize_page(state: State, query: web::Query<HashMap<String, String>>) -> HttpResponse {
    let q = query.into_inner();
    if q.get("response_type").map(String::as_str) != Some("code") {
        return oauth_error(400, "unsupported_response_type", "response_type must be code");
    }
    if q.get("client_id").map(String::as_str) != state.credentials.app_key.as_deref() {
        return invalid_client();
    }
    let Some(redirect) = q.get("redirect_uri").and_then(|r| url::Url::parse(r).ok()) else {
        return oauth_error(400, "invalid_request", "redirect_uri is required");
    };
    let Some(oauth_state) = q.get("state").filter(|s| s.len() >= 8) else {
        return oauth_error(
            400,
            "invalid_state",
            "The state is missing or does not have enough characters and is therefore considered too weak.",
        );
    };
    let code = state.store().tokens.issue_code();
    let mut target = redirect;
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("scope", q.get("scope").map(String::as_str).unwrap_or_default())
        .append_pair("state", oauth_state);
    HttpResponse::Found().insert_header(("location", target.to_string())).finish()
}
