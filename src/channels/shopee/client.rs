//! Signed calls to Shopee v2 with the shop's tokens: the common query parameters, the envelope
//! `{request_id, error, message, warning?, response}`, body-level rate-limit codes, and the access-token
//! refresh (shortly before expiry, and once on the expired-token answer). Refresh tokens are single-use, so
//! refreshes are serialised under the credentials' mutex.

use std::sync::Arc;

use chrono::{Duration, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::sign;
use super::wire::TokenAnswer;
use crate::channels::http::{RawResponse, Verdict, default_verdict};
use crate::channels::{ApiClient, ConnectorError, ConnectorResult, Credentials, TokenStore};

/// Code exchange (Public API).
pub const TOKEN_PATH: &str = "/api/v2/auth/token/get";
/// Access-token refresh (Public API); the refresh token sent is spent.
pub const REFRESH_PATH: &str = "/api/v2/auth/access_token/get";
/// Refresh this long before the access token (4 h) expires.
const REFRESH_MARGIN_SECS: i64 = 300;
/// Refresh tokens live 30 days; Shopee's answer does not say it, so we record it ourselves.
const REFRESH_TOKEN_LIFETIME_DAYS: i64 = 30;

/// A Shopee answer read as the common envelope.
#[derive(Debug)]
pub struct Answer {
    pub error: String,
    pub message: String,
    /// The whole JSON body (get_shop_info and token endpoints have their fields at the top level).
    pub body: Value,
    raw: Vec<u8>,
}

impl Answer {
    fn read(path: &str, raw: RawResponse) -> ConnectorResult<Self> {
        let body: Value = raw.json(path)?;
        if !body.is_object() {
            return Err(ConnectorError::parse(path, "the answer is not a JSON object", &raw.body));
        }
        let text = |key: &str| body.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        Ok(Self { error: text("error"), message: text("message"), raw: raw.body, body })
    }

    /// `Api` error when Shopee refused the call.
    pub fn ok(self, path: &str) -> ConnectorResult<Self> {
        if self.error.is_empty() {
            Ok(self)
        } else {
            Err(ConnectorError::Api { path: path.to_owned(), code: self.error, message: self.message })
        }
    }

    /// The `response` object, typed.
    pub fn response<T: DeserializeOwned>(&self, path: &str) -> ConnectorResult<T> {
        let response = self.body.get("response").cloned().unwrap_or(Value::Null);
        serde_json::from_value(response).map_err(|e| ConnectorError::parse(path, e, &self.raw))
    }

    /// The whole body, typed (APIs without a `response` wrapper).
    pub fn whole<T: DeserializeOwned>(&self, path: &str) -> ConnectorResult<T> {
        serde_json::from_value(self.body.clone()).map_err(|e| ConnectorError::parse(path, e, &self.raw))
    }
}

/// Shopee throttles with `error_server` / "Too many requests, please try again later" (HTTP status UNCONFIRMED:
/// we read the body whatever the status). `error_server` otherwise and `error_system_busy` are transient.
pub fn classify(response: &RawResponse) -> Verdict {
    let verdict = default_verdict(response);
    if verdict != Verdict::Done {
        return verdict;
    }
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(default)]
        error: String,
        #[serde(default)]
        message: String,
    }
    let Ok(head) = serde_json::from_slice::<Head>(&response.body) else { return Verdict::Done };
    if is_rate_limited(&head.error, &head.message) {
        Verdict::RateLimited(response.retry_after())
    } else if head.error == "error_server" || head.error == "error_system_busy" {
        Verdict::Retry
    } else {
        Verdict::Done
    }
}

/// The throttling answer (kept in one place; the simulator sends the same).
pub fn is_rate_limited(error: &str, message: &str) -> bool {
    error == "error_server" && message.to_ascii_lowercase().contains("too many requests")
}

/// Expired and unknown access tokens both get `error_auth` / "Invalid access_token." (the doc lists no separate
/// expiry code; `invalid_acceess_token` [sic] is seen in SDKs — UNCONFIRMED, accepted too).
pub fn is_token_rejected(error: &str, message: &str) -> bool {
    (error == "error_auth" && message.to_ascii_lowercase().contains("access_token"))
        || error == "invalid_acceess_token"
        || error == "invalid_access_token"
}

/// Codes that mean the credentials or signature are refused.
fn is_auth_refusal(error: &str) -> bool {
    matches!(
        error,
        "error_sign" | "error_auth" | "error_permission" | "error_shop" | "invalid_partner_id" | "invalid_shop_id"
    )
}

pub struct Client {
    base: url::Url,
    base_path: String,
    partner_id: i64,
    partner_key: String,
    http: ApiClient,
    tokens: Arc<dyn TokenStore>,
    credentials: Mutex<Credentials>,
}

impl Client {
    pub fn api(&self) -> &ApiClient {
        &self.http
    }

    pub fn new(
        base_url: &str,
        credentials: Credentials,
        http: ApiClient,
        tokens: Arc<dyn TokenStore>,
    ) -> ConnectorResult<Self> {
        let base =
            url::Url::parse(base_url).map_err(|e| ConnectorError::Config(format!("base URL {base_url:?}: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(ConnectorError::Config(format!("base URL {base_url:?} is not http(s)")));
        }
        let base_path = base.path().trim_end_matches('/').to_owned();
        let number = |value: &Option<String>, what: &str| {
            value
                .as_deref()
                .map(str::trim)
                .ok_or_else(|| ConnectorError::Config(format!("Shopee needs the {what}")))?
                .parse::<i64>()
                .map_err(|_| ConnectorError::Config(format!("the Shopee {what} is a number")))
        };
        let partner_id = number(&credentials.app_key, "partner id (app key)")?;
        // The shop id may come later, with the consent redirect (see `exchange_code`).
        if credentials.shop_id.is_some() {
            number(&credentials.shop_id, "shop id")?;
        }
        let partner_key = credentials
            .app_secret
            .clone()
            .filter(|k| !k.is_empty())
            .ok_or_else(|| ConnectorError::Config("Shopee needs the partner key (app secret)".into()))?;
        Ok(Self { base, base_path, partner_id, partner_key, http, tokens, credentials: Mutex::new(credentials) })
    }

    pub fn partner_key(&self) -> &str {
        &self.partner_key
    }

    pub async fn credentials(&self) -> Credentials {
        self.credentials.lock().await.clone()
    }

    fn url(&self, path: &str, params: &[(&str, String)]) -> url::Url {
        let mut url = self.base.clone();
        url.set_path(&format!("{}{path}", self.base_path));
        url.query_pairs_mut().extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
        url
    }

    /// A Shop API call: GET with `params` in the query, or POST with `body` as JSON. Refreshes the access token
    /// when it is about to expire, and once more (then retries) when Shopee says it is invalid.
    pub async fn call(&self, path: &str, params: &[(&str, String)], body: Option<&Value>) -> ConnectorResult<Answer> {
        let credentials = self.fresh_credentials().await?;
        let answer = self.send_shop(path, params, body, &credentials).await?;
        if !is_token_rejected(&answer.error, &answer.message) {
            return refuse_auth(path, answer);
        }
        let rejected = credentials.access_token.unwrap_or_default();
        let credentials = self.refresh_after_rejection(&rejected).await?;
        let answer = self.send_shop(path, params, body, &credentials).await?;
        refuse_auth(path, answer)
    }

    async fn send_shop(
        &self,
        path: &str,
        params: &[(&str, String)],
        body: Option<&Value>,
        credentials: &Credentials,
    ) -> ConnectorResult<Answer> {
        let token = credentials.access_token.clone().unwrap_or_default();
        let (partner_id, shop_id) = (self.partner_id.to_string(), shop_id_of(credentials)?.to_string());
        let build = |client: &reqwest::Client| {
            // Signed afresh per attempt: the timestamp must be within 5 minutes.
            let timestamp = Utc::now().timestamp().to_string();
            let signature =
                sign::sign(&self.partner_key, &sign::shop_base_string(&partner_id, path, &timestamp, &token, &shop_id));
            let mut query: Vec<(&str, String)> = vec![
                ("partner_id", partner_id.clone()),
                ("timestamp", timestamp),
                ("access_token", token.clone()),
                ("shop_id", shop_id.clone()),
                ("sign", signature),
            ];
            query.extend(params.iter().cloned());
            let url = self.url(path, &query);
            match body {
                Some(body) => client.post(url).json(body),
                None => client.get(url),
            }
        };
        let raw = self.http.send(path, build, classify).await?;
        Answer::read(path, raw)
    }

    /// A Public API POST (token endpoints): signed with partner id, path and timestamp only.
    async fn send_public(&self, path: &str, body: &Value) -> ConnectorResult<Answer> {
        let partner_id = self.partner_id.to_string();
        let build = |client: &reqwest::Client| {
            let timestamp = Utc::now().timestamp().to_string();
            let signature = sign::sign(&self.partner_key, &sign::public_base_string(&partner_id, path, &timestamp));
            let url =
                self.url(path, &[("partner_id", partner_id.clone()), ("timestamp", timestamp), ("sign", signature)]);
            client.post(url).json(body)
        };
        let raw = self.http.send(path, build, classify).await?;
        Answer::read(path, raw)
    }

    /// The credentials to sign with, refreshed first when the access token expires within the margin.
    async fn fresh_credentials(&self) -> ConnectorResult<Credentials> {
        let mut credentials = self.credentials.lock().await;
        let expiring = credentials
            .access_token_expires_at
            .is_some_and(|at| at <= Utc::now() + Duration::seconds(REFRESH_MARGIN_SECS));
        if expiring || credentials.access_token.is_none() {
            self.refresh_locked(&mut credentials).await?;
        }
        Ok(credentials.clone())
    }

    /// After Shopee refused `rejected`: refresh unless another call already did.
    async fn refresh_after_rejection(&self, rejected: &str) -> ConnectorResult<Credentials> {
        let mut credentials = self.credentials.lock().await;
        if credentials.access_token.as_deref().unwrap_or_default() == rejected {
            self.refresh_locked(&mut credentials).await?;
        }
        Ok(credentials.clone())
    }

    async fn refresh_locked(&self, credentials: &mut Credentials) -> ConnectorResult<()> {
        let expired = |message: String| ConnectorError::TokenExpired { path: REFRESH_PATH.to_owned(), message };
        let refresh_token = credentials.refresh_token.clone().ok_or_else(|| expired("no refresh token".into()))?;
        let body = json!({ "refresh_token": refresh_token, "partner_id": self.partner_id, "shop_id": shop_id_of(credentials)? });
        let answer = self.send_public(REFRESH_PATH, &body).await?;
        let tokens: TokenAnswer = answer.whole(REFRESH_PATH)?;
        if !tokens.error.is_empty() || tokens.access_token.is_empty() {
            return Err(expired(format!("{}: {}", tokens.error, tokens.message)));
        }
        self.store_tokens(credentials, tokens).await
    }

    async fn store_tokens(&self, credentials: &mut Credentials, tokens: TokenAnswer) -> ConnectorResult<()> {
        let now = Utc::now();
        credentials.access_token = Some(tokens.access_token);
        credentials.refresh_token = Some(tokens.refresh_token);
        credentials.access_token_expires_at = Some(now + Duration::seconds(tokens.expire_in));
        credentials.refresh_token_expires_at = Some(now + Duration::days(REFRESH_TOKEN_LIFETIME_DAYS));
        tracing::info!(channel = self.http.label(), "Shopee access token refreshed");
        self.tokens.save(credentials).await
    }

    /// Exchanges the one-time `code` of the consent redirect for the shop's first token pair. `shop_id` is the
    /// redirect's (it then replaces the configured one), or the configured shop when `None`.
    pub async fn exchange_code(&self, code: &str, shop_id: Option<&str>) -> ConnectorResult<Credentials> {
        let shop_id: i64 = match shop_id {
            Some(id) => id
                .trim()
                .parse()
                .map_err(|_| ConnectorError::Config(format!("the Shopee shop id {id:?} is not a number")))?,
            None => shop_id_of(&*self.credentials.lock().await)?,
        };
        let body = json!({ "code": code, "partner_id": self.partner_id, "shop_id": shop_id });
        let answer = self.send_public(TOKEN_PATH, &body).await?;
        let tokens: TokenAnswer = answer.whole(TOKEN_PATH)?;
        if !tokens.error.is_empty() || tokens.access_token.is_empty() {
            return Err(ConnectorError::Auth {
                path: TOKEN_PATH.to_owned(),
                code: tokens.error,
                message: tokens.message,
            });
        }
        let mut credentials = self.credentials.lock().await;
        credentials.shop_id = Some(shop_id.to_string());
        self.store_tokens(&mut credentials, tokens).await?;
        Ok(credentials.clone())
    }
}

/// The shop id every Shop API call carries.
pub fn shop_id_of(credentials: &Credentials) -> ConnectorResult<i64> {
    credentials
        .shop_id
        .as_deref()
        .ok_or_else(|| ConnectorError::Config("Shopee calls are per shop: the shop id is missing".into()))?
        .trim()
        .parse()
        .map_err(|_| ConnectorError::Config("the Shopee shop id is a number".into()))
}

/// Turns credential and signature refusals into `Auth`; other answers go to the caller.
fn refuse_auth(path: &str, answer: Answer) -> ConnectorResult<Answer> {
    if is_auth_refusal(&answer.error) {
        return Err(ConnectorError::Auth { path: path.to_owned(), code: answer.error, message: answer.message });
    }
    Ok(answer)
}

/// The consent page a seller opens to authorise the app (`redirect` receives `code` and `shop_id`).
pub fn authorization_url(
    base_url: &str,
    partner_id: &str,
    partner_key: &str,
    redirect: &str,
) -> ConnectorResult<String> {
    const PATH: &str = "/api/v2/shop/auth_partner";
    let timestamp = Utc::now().timestamp().to_string();
    let signature = sign::sign(partner_key, &sign::public_base_string(partner_id, PATH, &timestamp));
    let mut url =
        url::Url::parse(base_url).map_err(|e| ConnectorError::Config(format!("base URL {base_url:?}: {e}")))?;
    let base_path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{base_path}{PATH}"));
    url.query_pairs_mut()
        .append_pair("partner_id", partner_id)
        .append_pair("timestamp", &timestamp)
        .append_pair("sign", &signature)
        .append_pair("redirect", redirect);
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    fn raw(status: u16, body: &str) -> RawResponse {
        RawResponse { status, headers: HeaderMap::new(), body: body.as_bytes().to_vec() }
    }

    #[test]
    fn throttling_is_read_from_the_body_whatever_the_status() {
        let body = r#"{"request_id":"x","error":"error_server","message":"Too many requests, please try again later"}"#;
        assert_eq!(classify(&raw(200, body)), Verdict::RateLimited(None));
        assert_eq!(classify(&raw(403, body)), Verdict::RateLimited(None));
        assert_eq!(
            classify(&raw(200, r#"{"error":"error_server","message":"Something wrong. Please try later."}"#)),
            Verdict::Retry
        );
        assert_eq!(classify(&raw(403, r#"{"error":"error_sign","message":"Wrong sign."}"#)), Verdict::Done);
        assert_eq!(classify(&raw(200, "not json")), Verdict::Done);
    }

    #[test]
    fn an_invalid_access_token_answer_asks_for_a_refresh() {
        assert!(is_token_rejected("error_auth", "Invalid access_token."));
        assert!(!is_token_rejected("error_auth", "No permission to current api."));
        assert!(!is_token_rejected("error_sign", "Wrong sign."));
    }
}
