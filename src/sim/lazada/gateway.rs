//! The simulated LazOP gateway: reads parameters from the query (GET) and form body (POST), checks the common
//! parameters, the timestamp window, the signature and the access token exactly where Lazada does, then
//! dispatches by API name. Errors use Lazada's envelope (`type`, `code`, `message`, `request_id`) with HTTP 200.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use rand::Rng;
use serde_json::{Value, json};

use super::codes;
use super::{SIM_APP_KEY, SIM_APP_SECRET, auth, orders, products};
use crate::channels::lazada::sign::sign_request;
use crate::channels::signatures_match;
use crate::sim::SimState;
use crate::sim::store::TokenProblem;

/// Largest allowed distance between the request's timestamp and server time.
const TIMESTAMP_WINDOW_SECONDS: i64 = 7200;

/// The parameters of one request (query and form fields together), as sent.
pub struct Params {
    values: HashMap<String, String>,
}

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// A mandatory parameter, or Lazada's `MissingParameter` refusal.
    pub fn required(&self, name: &str) -> Result<&str, Refusal> {
        self.get(name).ok_or_else(|| missing(name))
    }
}

/// A refusal in Lazada's words; becomes its answer at the end (kept small: handlers pass it around with `?`).
#[derive(Debug)]
pub enum Refusal {
    /// The error envelope: `type`, `code`, `message` (and `detail` for per-SKU failures).
    Envelope { kind: &'static str, code: String, message: String, detail: Option<Box<Value>> },
    /// Fulfilment APIs refuse inside `result`: top-level `code` "0", `success: false`.
    Fulfilment { code: String, message: String },
}

impl Refusal {
    pub fn into_response(self) -> HttpResponse {
        match self {
            Refusal::Envelope { kind, code, message, detail } => {
                let mut body = json!({ "type": kind, "code": code, "message": message, "request_id": request_id() });
                if let Some(detail) = detail {
                    body["detail"] = *detail;
                }
                HttpResponse::Ok().json(body)
            }
            Refusal::Fulfilment { code, message } => {
                result(json!({ "success": false, "error_code": code, "error_msg": message, "data": {} }))
            }
        }
    }
}

/// What a handler answers.
pub type Answer = Result<HttpResponse, Refusal>;

/// A Lazada request id (hex, like `0b1a2c3d4e5f…`).
pub fn request_id() -> String {
    format!("{:016x}{:08x}", rand::rng().random::<u64>(), rand::rng().random::<u32>())
}

/// Lazada's error envelope, as an answer.
pub fn error(kind: &'static str, code: &str, message: &str) -> HttpResponse {
    Refusal::Envelope { kind, code: code.to_owned(), message: message.to_owned(), detail: None }.into_response()
}

/// A business refusal (`ISV`: the caller's fault).
pub fn refuse(code: &str, message: impl Into<String>) -> Refusal {
    Refusal::Envelope { kind: "ISV", code: code.to_owned(), message: message.into(), detail: None }
}

pub fn missing(name: &str) -> Refusal {
    refuse(
        codes::MISSING_PARAMETER,
        format!("The input parameter “{name}” that is mandatory for processing this request is not supplied"),
    )
}

/// Success with `data`.
pub fn data(data: Value) -> Answer {
    Ok(HttpResponse::Ok().json(json!({ "code": "0", "data": data, "request_id": request_id() })))
}

/// Success with `result` (fulfilment APIs).
pub fn result(result: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "code": "0", "result": result, "request_id": request_id() }))
}

/// APIs that need no seller token.
const TOKEN_APIS: [&str; 2] = ["/auth/token/create", "/auth/token/refresh"];

pub async fn handle(req: HttpRequest, body: web::Bytes, state: web::Data<Arc<SimState>>) -> HttpResponse {
    let api = format!("/{}", req.match_info().get("api").unwrap_or_default());
    let mut sent: Vec<(String, String)> =
        url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
    let is_form = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if is_form {
        sent.extend(url::form_urlencoded::parse(&body).into_owned());
    }
    let params = Params { values: sent.iter().cloned().collect() };
    if let Err(refusal) = check_common(&state, &api, &sent, &params) {
        return refusal.into_response();
    }
    let state = state.get_ref().clone();
    let answer = match api.as_str() {
        "/auth/token/create" => auth::create(&state, &params),
        "/auth/token/refresh" => auth::refresh(&state, &params),
        "/seller/get" => products::seller(),
        "/products/get" => products::list(&state, &params),
        "/product/price_quantity/update" => products::update_price_quantity(&state, &params),
        "/orders/get" => orders::list(&state, &params),
        "/order/get" => orders::get(&state, &params),
        "/order/items/get" => orders::items(&state, &params),
        "/orders/items/get" => orders::multiple_items(&state, &params),
        "/order/fulfill/pack" => orders::pack(&state, &params).await,
        "/order/package/rts" => orders::ready_to_ship(&state, &params).await,
        "/order/package/document/get" => orders::document(&state, &params),
        "/order/reverse/cancel/validate" => orders::cancel_validate(&state, &params),
        "/order/reverse/cancel/create" => orders::cancel_create(&state, &params).await,
        _ => Err(refuse(codes::INVALID_API_PATH, format!("The specified API path {api} is invalid"))),
    };
    answer.unwrap_or_else(Refusal::into_response)
}

/// The gateway's checks, in its order: system parameters present, app key, timestamp window, signature, token.
fn check_common(state: &SimState, api: &str, sent: &[(String, String)], params: &Params) -> Result<(), Refusal> {
    let app_key = params.required("app_key")?;
    let timestamp = params.required("timestamp")?;
    let sign_method = params.required("sign_method")?;
    let sign = params.required("sign")?;
    let expected_key = state.credentials.app_key.as_deref().unwrap_or(SIM_APP_KEY);
    if app_key != expected_key {
        return Err(refuse(codes::INVALID_APP_KEY, "The specified app key is invalid"));
    }
    let sent_at = parse_timestamp(timestamp).ok_or_else(|| refuse(codes::INVALID_TIMESTAMP, "Invalid timestamp"))?;
    if (chrono::Utc::now() - sent_at).num_seconds().abs() > TIMESTAMP_WINDOW_SECONDS {
        return Err(refuse(codes::INVALID_TIMESTAMP, "Timestamp is more than 7200 seconds from server time"));
    }
    if sign_method != "sha256" {
        return Err(refuse(codes::INCOMPLETE_SIGNATURE, "The request signature does not conform to lazop standards"));
    }
    let secret = state.credentials.app_secret.as_deref().unwrap_or(SIM_APP_SECRET);
    let expected = sign_request(secret, api, sent.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if !signatures_match(&expected, sign, true) {
        return Err(refuse(codes::INCOMPLETE_SIGNATURE, "The request signature does not conform to lazop standards"));
    }
    if TOKEN_APIS.contains(&api) {
        return Ok(());
    }
    let token = params.required("access_token")?;
    match state.store().tokens.check_access(token) {
        Ok(()) => Ok(()),
        Err(TokenProblem::Unknown | TokenProblem::Expired) => {
            Err(refuse(codes::ILLEGAL_ACCESS_TOKEN, "The specified access token is invalid or expired"))
        }
    }
}

/// Epoch milliseconds or ISO 8601.
fn parse_timestamp(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::TimeZone;
    if let Ok(ms) = text.parse::<i64>() {
        return chrono::Utc.timestamp_millis_opt(ms).single();
    }
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&chrono::Utc))
}
