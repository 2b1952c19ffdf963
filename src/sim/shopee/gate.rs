//! What every Shopee v2 call goes through: the common query parameters (partner_id, timestamp, sign, and for
//! shop calls access_token and shop_id), the signature, the timestamp window, the access token; and the answer
//! envelope `{request_id, error, message, warning, response}` in Shopee's own error codes.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use rand::Rng;
use serde_json::{Value, json};

use crate::channels::shopee::sign;
use crate::sim::SimState;

/// A request must arrive within 5 minutes of its `timestamp`.
pub const TIMESTAMP_TOLERANCE_SECS: i64 = 300;

/// Which common parameters a call carries and how it is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// auth_partner, token endpoints: partner_id + path + timestamp.
    Public,
    /// Shop APIs: partner_id + path + timestamp + access_token + shop_id, and a valid access token.
    Shop,
}

/// A refusal already in Shopee's shape, boxed because an `HttpResponse` is large. Handlers return it with
/// `.into()`; `?` turns an `HttpResponse` into it.
pub struct Refusal(Box<HttpResponse>);

impl From<HttpResponse> for Refusal {
    fn from(response: HttpResponse) -> Self {
        Self(Box::new(response))
    }
}

impl From<Refusal> for HttpResponse {
    fn from(refusal: Refusal) -> Self {
        *refusal.0
    }
}

/// The query string, keys kept in order and repeatable (`item_status=NORMAL&item_status=UNLIST`).
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(query: &str) -> Self {
        Self(url::form_urlencoded::parse(query.as_bytes()).into_owned().collect())
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }

    /// A required integer parameter, refused with Shopee's `error_param` otherwise.
    pub fn required_int(&self, key: &str) -> Result<i64, Refusal> {
        let value = self.get(key).ok_or_else(|| wrong_param(&format!("{key} is required")))?;
        Ok(value.trim().parse().map_err(|_| wrong_param(&format!("{key} should be an integer")))?)
    }
}

fn request_id() -> String {
    format!("{:032x}", rand::rng().random::<u128>())
}

/// HTTP status of an error answer. Shopee documents the codes but not the statuses (UNCONFIRMED): credential
/// and signature refusals answer 403, the throttling answer 429, everything else 400. Kept here only.
fn status_of(code: &str) -> StatusCode {
    match code {
        "error_sign" | "error_auth" | "error_permission" => StatusCode::FORBIDDEN,
        _ if code == super::RATE_LIMIT_ERROR => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// A refusal in Shopee's shape.
pub fn error(code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status_of(code)).json(json!({ "request_id": request_id(), "error": code, "message": message }))
}

/// `error_param` / "Wrong parameters, detail: …" (Shopee's wording for bad business parameters).
pub fn wrong_param(detail: &str) -> HttpResponse {
    error("error_param", &format!("Wrong parameters, detail: {detail}."))
}

/// A success with `response`.
pub fn ok(response: Value) -> HttpResponse {
    HttpResponse::Ok()
        .json(json!({ "request_id": request_id(), "error": "", "message": "", "warning": "", "response": response }))
}

/// A success whose fields sit at the top level (get_shop_info, token endpoints, ship_order).
pub fn ok_flat(mut fields: Value) -> HttpResponse {
    if let Value::Object(map) = &mut fields {
        map.insert("request_id".into(), json!(request_id()));
        map.insert("error".into(), json!(""));
        map.insert("message".into(), json!(""));
    }
    HttpResponse::Ok().json(fields)
}

/// A success with `response` and a `warning` list (get_order_detail: order_sn not found).
pub fn ok_with_warning(response: Value, warning: Vec<String>) -> HttpResponse {
    let warning = if warning.is_empty() { json!("") } else { json!(warning) };
    HttpResponse::Ok().json(
        json!({ "request_id": request_id(), "error": "", "message": "", "warning": warning, "response": response }),
    )
}

/// Checks the common parameters of `req` as Shopee does; the query on success.
pub fn check(state: &SimState, req: &HttpRequest, access: Access) -> Result<Query, Refusal> {
    let query = Query::parse(req.query_string());
    let credentials = &state.credentials;
    let partner_id = query.get("partner_id").ok_or_else(|| error("error_param", "There is no partner_id in query."))?;
    if Some(partner_id) != credentials.app_key.as_deref() {
        return Err(error("error_param", "Invalid partner_id.").into());
    }
    let timestamp = query.get("timestamp").ok_or_else(|| error("error_param", "no timestamp"))?;
    let sent_at: i64 = timestamp.parse().map_err(|_| error("error_param", "Invalid timestamp"))?;
    let given = query.get("sign").ok_or_else(|| error("error_param", "There is no sign in query."))?;
    let path = req.path();
    let partner_key = credentials.app_secret.as_deref().unwrap_or_default();
    let (base, token, shop_id) = match access {
        Access::Public => (sign::public_base_string(partner_id, path, timestamp), None, None),
        Access::Shop => {
            let token =
                query.get("access_token").ok_or_else(|| error("error_param", "There is no access_token in query."))?;
            let shop_id = query.get("shop_id").ok_or_else(|| error("error_param", "There is no shop_id in query."))?;
            (sign::shop_base_string(partner_id, path, timestamp, token, shop_id), Some(token), Some(shop_id))
        }
    };
    // Exact, case-sensitive: Shopee's sign is lowercase hex.
    if !crate::channels::signatures_match(&sign::sign(partner_key, &base), given, false) {
        return Err(error("error_sign", "Wrong sign.").into());
    }
    if (chrono::Utc::now().timestamp() - sent_at).abs() > TIMESTAMP_TOLERANCE_SECS {
        return Err(error("error_param", "Invalid timestamp").into());
    }
    if let (Some(token), Some(shop_id)) = (token, shop_id) {
        if Some(shop_id) != credentials.shop_id.as_deref() {
            return Err(error("error_auth", "Invalid partner_id or shopid.").into());
        }
        // Unknown and expired tokens get the same answer on Shopee.
        if state.store().tokens.check_access(token).is_err() {
            return Err(error("error_auth", "Invalid access_token.").into());
        }
    }
    Ok(query)
}

/// A POST's JSON body, or Shopee's parameter error.
pub fn json_body(body: &[u8]) -> Result<Value, Refusal> {
    let value: Value = serde_json::from_slice(body).map_err(|e| wrong_param(&format!("body is not JSON ({e})")))?;
    if value.is_object() { Ok(value) } else { Err(wrong_param("body should be a JSON object").into()) }
}
