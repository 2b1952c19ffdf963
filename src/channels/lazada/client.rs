//! Calls to the Lazada gateway: every attempt signed afresh (the signature covers the timestamp), the envelope
//! read, and the seller's access token kept fresh (refreshed shortly before it expires, and once when the
//! gateway says `IllegalAccessToken`).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use super::codes;
use super::sign::sign_request;
use super::wire::{Envelope, TokenAnswer};
use crate::channels::http::{RawResponse, Verdict, default_verdict};
use crate::channels::{ApiClient, ConnectorError, ConnectorResult, Credentials, TokenStore};

/// Token endpoints of the real platform (the API gateways do not serve them).
pub const REAL_AUTH_GATEWAY: &str = "https://auth.lazada.com/rest";

/// Refresh this long before the access token expires, so no call races the expiry.
fn refresh_margin() -> chrono::Duration {
    chrono::Duration::minutes(10)
}

/// Lazada's advice on `901` is "retry next second".
const RATE_LIMIT_WAIT: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Parameters in the query string.
    Get,
    /// Parameters as form fields (`application/x-www-form-urlencoded`), as the official SDKs send them.
    Post,
}

/// A successful answer with its raw body (kept for parse errors).
pub struct Reply {
    pub envelope: Envelope,
    pub body: Vec<u8>,
}

impl Reply {
    /// `data`, typed.
    pub fn data<T: DeserializeOwned>(&self, api: &str) -> ConnectorResult<T> {
        let value = self.envelope.data.clone().unwrap_or(serde_json::Value::Null);
        serde_json::from_value(value).map_err(|e| ConnectorError::parse(api, e, &self.body))
    }

    /// `result` (fulfilment APIs), typed.
    pub fn result<T: DeserializeOwned>(&self, api: &str) -> ConnectorResult<T> {
        let value = self.envelope.result.clone().unwrap_or(serde_json::Value::Null);
        serde_json::from_value(value).map_err(|e| ConnectorError::parse(api, e, &self.body))
    }
}

/// `base_url` as a gateway ending in `/rest` (the simulator's base URL is its bare host).
pub fn gateway_of(base_url: &str) -> String {
    let trimmed = base_url.trim_end_matches('/');
    if trimmed.ends_with("/rest") { trimmed.to_owned() } else { format!("{trimmed}/rest") }
}

/// HTTP-level reading plus Lazada's body-level rate-limit codes (answered with HTTP 200).
fn classify(response: &RawResponse) -> Verdict {
    #[derive(serde::Deserialize)]
    struct CodeOnly {
        #[serde(default)]
        code: Option<super::wire::Text>,
    }
    match default_verdict(response) {
        Verdict::Done => {
            let code = serde_json::from_slice::<CodeOnly>(&response.body).ok().and_then(|c| c.code).map(|c| c.0);
            match code {
                Some(code) if codes::RATE_LIMITED.contains(&code.as_str()) => {
                    Verdict::RateLimited(Some(RATE_LIMIT_WAIT))
                }
                _ => Verdict::Done,
            }
        }
        other => other,
    }
}

pub struct Client {
    http: ApiClient,
    gateway: String,
    auth_gateway: String,
    app_key: String,
    app_secret: String,
    credentials: Mutex<Credentials>,
    tokens: Arc<dyn TokenStore>,
}

impl Client {
    pub fn api(&self) -> &ApiClient {
        &self.http
    }

    pub fn new(
        http: ApiClient,
        gateway: String,
        auth_gateway: String,
        credentials: Credentials,
        tokens: Arc<dyn TokenStore>,
    ) -> ConnectorResult<Self> {
        let app_key = credentials
            .app_key
            .clone()
            .filter(|k| !k.is_empty())
            .ok_or_else(|| ConnectorError::Config("Lazada needs an app key".into()))?;
        let app_secret = credentials
            .app_secret
            .clone()
            .filter(|k| !k.is_empty())
            .ok_or_else(|| ConnectorError::Config("Lazada needs an app secret".into()))?;
        Ok(Self { http, gateway, auth_gateway, app_key, app_secret, credentials: Mutex::new(credentials), tokens })
    }

    pub fn app_key(&self) -> &str {
        &self.app_key
    }

    pub fn app_secret(&self) -> &str {
        &self.app_secret
    }

    pub async fn credentials(&self) -> Credentials {
        self.credentials.lock().await.clone()
    }

    /// Calls a seller API with the access token; the answer must be a success (`code` `"0"`).
    pub async fn call(&self, method: Method, api: &str, params: &[(String, String)]) -> ConnectorResult<Reply> {
        let reply = self.call_any(method, api, params).await?;
        Self::success(api, reply)
    }

    /// Calls a seller API with the access token and returns whatever code it answers (for APIs whose refusals
    /// carry details, like per-SKU failures), except an expired token: that is refreshed and the call retried once.
    pub async fn call_any(&self, method: Method, api: &str, params: &[(String, String)]) -> ConnectorResult<Reply> {
        let token = self.fresh_access_token(api).await?;
        let reply = self.signed(&self.gateway, method, api, params, Some(&token)).await?;
        if reply.envelope.code() != codes::ILLEGAL_ACCESS_TOKEN {
            return Ok(reply);
        }
        self.refresh_after_rejection(api, &token).await?;
        let token = self.fresh_access_token(api).await?;
        let reply = self.signed(&self.gateway, method, api, params, Some(&token)).await?;
        if reply.envelope.code() == codes::ILLEGAL_ACCESS_TOKEN {
            return Err(ConnectorError::TokenExpired {
                path: api.to_owned(),
                message: "a freshly refreshed access token was refused".into(),
            });
        }
        Ok(reply)
    }

    /// Exchanges an authorization code at `/auth/token/create`; the new tokens become the ones in use.
    pub async fn exchange_code(&self, code: &str) -> ConnectorResult<Credentials> {
        let api = "/auth/token/create";
        let reply =
            self.signed(&self.auth_gateway, Method::Post, api, &[("code".to_owned(), code.to_owned())], None).await?;
        let reply = Self::success(api, reply)?;
        let answer: TokenAnswer =
            serde_json::from_slice(&reply.body).map_err(|e| ConnectorError::parse(api, e, &reply.body))?;
        let mut credentials = self.credentials.lock().await;
        apply_tokens(&mut credentials, answer, api, &reply.body)?;
        Ok(credentials.clone())
    }

    /// The access token, refreshed first when it expires within the margin. A failed early refresh keeps the
    /// old token while it is still valid.
    async fn fresh_access_token(&self, api: &str) -> ConnectorResult<String> {
        let mut credentials = self.credentials.lock().await;
        let now = Utc::now();
        let expiring = credentials.access_token_expires_at.is_some_and(|at| at - now <= refresh_margin());
        if (expiring || credentials.access_token.is_none())
            && credentials.refresh_token.is_some()
            && let Err(err) = self.refresh_locked(&mut credentials).await
        {
            let still_valid =
                credentials.access_token_expires_at.is_some_and(|at| at > now) && credentials.access_token.is_some();
            if !still_valid {
                return Err(err);
            }
            tracing::warn!(channel = "lazada", error = %err, "early token refresh failed; the current token is still valid");
        }
        credentials
            .access_token
            .clone()
            .ok_or_else(|| ConnectorError::TokenExpired { path: api.to_owned(), message: "no access token".into() })
    }

    /// After `IllegalAccessToken`: refresh, unless another call already replaced the token that was refused.
    async fn refresh_after_rejection(&self, api: &str, refused: &str) -> ConnectorResult<()> {
        let mut credentials = self.credentials.lock().await;
        if credentials.access_token.as_deref() != Some(refused) {
            return Ok(());
        }
        self.refresh_locked(&mut credentials).await.map_err(|err| match err {
            ConnectorError::TokenExpired { message, .. } => {
                ConnectorError::TokenExpired { path: api.to_owned(), message }
            }
            other => ConnectorError::TokenExpired { path: api.to_owned(), message: other.to_string() },
        })
    }

    /// `/auth/token/refresh`; saves the new tokens before they are used.
    async fn refresh_locked(&self, credentials: &mut Credentials) -> ConnectorResult<()> {
        let api = "/auth/token/refresh";
        let refresh_token = credentials
            .refresh_token
            .clone()
            .ok_or_else(|| ConnectorError::TokenExpired { path: api.to_owned(), message: "no refresh token".into() })?;
        let reply = self
            .signed(&self.auth_gateway, Method::Post, api, &[("refresh_token".to_owned(), refresh_token)], None)
            .await?;
        if !reply.envelope.is_success() {
            return Err(ConnectorError::TokenExpired {
                path: api.to_owned(),
                message: format!("{}: {}", reply.envelope.code(), reply.envelope.message.clone().unwrap_or_default()),
            });
        }
        let answer: TokenAnswer =
            serde_json::from_slice(&reply.body).map_err(|e| ConnectorError::parse(api, e, &reply.body))?;
        let mut updated = credentials.clone();
        apply_tokens(&mut updated, answer, api, &reply.body)?;
        self.tokens.save(&updated).await?;
        *credentials = updated;
        tracing::info!(channel = "lazada", "access token refreshed");
        Ok(())
    }

    /// One signed call (any answer code); rate limits, 5xx and timeouts are retried by the shared client.
    async fn signed(
        &self,
        gateway: &str,
        method: Method,
        api: &str,
        params: &[(String, String)],
        access_token: Option<&str>,
    ) -> ConnectorResult<Reply> {
        let url = url::Url::parse(&format!("{gateway}{api}"))
            .map_err(|e| ConnectorError::Config(format!("Lazada base URL: {e}")))?;
        let build = |client: &reqwest::Client| {
            let timestamp = Utc::now().timestamp_millis().to_string();
            let mut all: Vec<(&str, &str)> =
                vec![("app_key", self.app_key.as_str()), ("timestamp", timestamp.as_str()), ("sign_method", "sha256")];
            if let Some(token) = access_token {
                all.push(("access_token", token));
            }
            all.extend(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let sign = sign_request(&self.app_secret, api, all.iter().copied());
            match method {
                Method::Get => {
                    let mut url = url.clone();
                    url.query_pairs_mut().extend_pairs(all.iter()).append_pair("sign", &sign);
                    client.get(url)
                }
                Method::Post => {
                    let body = url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(all.iter())
                        .append_pair("sign", &sign)
                        .finish();
                    client
                        .post(url.clone())
                        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded;charset=utf-8")
                        .body(body)
                }
            }
        };
        let raw = self.http.send(api, build, classify).await?;
        let envelope: Envelope =
            serde_json::from_slice(&raw.body).map_err(|e| ConnectorError::parse(api, e, &raw.body))?;
        if envelope.code.is_none() {
            return Err(ConnectorError::parse(api, format!("HTTP {} without a Lazada code", raw.status), &raw.body));
        }
        Ok(Reply { envelope, body: raw.body })
    }

    /// A refusal becomes an error with Lazada's own code and message.
    fn success(api: &str, reply: Reply) -> ConnectorResult<Reply> {
        if reply.envelope.is_success() {
            return Ok(reply);
        }
        let code = reply.envelope.code().to_owned();
        let message = reply.envelope.message.clone().unwrap_or_default();
        if codes::AUTH.contains(&code.as_str()) {
            Err(ConnectorError::Auth { path: api.to_owned(), code, message })
        } else {
            Err(ConnectorError::Api { path: api.to_owned(), code, message })
        }
    }
}

fn apply_tokens(credentials: &mut Credentials, answer: TokenAnswer, api: &str, body: &[u8]) -> ConnectorResult<()> {
    let access = answer
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ConnectorError::parse(api, "no access_token", body))?;
    let now = Utc::now();
    credentials.access_token = Some(access);
    credentials.access_token_expires_at = answer.expires_in.map(|s| now + chrono::Duration::seconds(s));
    if let Some(refresh) = answer.refresh_token.filter(|t| !t.is_empty()) {
        credentials.refresh_token = Some(refresh);
        credentials.refresh_token_expires_at = answer.refresh_expires_in.map(|s| now + chrono::Duration::seconds(s));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gateway_always_ends_in_rest() {
        assert_eq!(gateway_of("https://api.lazada.vn/rest"), "https://api.lazada.vn/rest");
        assert_eq!(gateway_of("https://api.lazada.vn/rest/"), "https://api.lazada.vn/rest");
        assert_eq!(gateway_of("http://127.0.0.1:9000"), "http://127.0.0.1:9000/rest");
    }

    #[test]
    fn code_901_in_a_200_answer_is_a_rate_limit() {
        let answer =
            |body: &str| RawResponse { status: 200, headers: Default::default(), body: body.as_bytes().to_vec() };
        assert_eq!(
            classify(&answer(r#"{"code":"901","type":"ISP","message":"E901"}"#)),
            Verdict::RateLimited(Some(RATE_LIMIT_WAIT))
        );
        assert_eq!(classify(&answer(r#"{"code":"0","data":{}}"#)), Verdict::Done);
        assert_eq!(classify(&answer("<html>")), Verdict::Done);
    }
}
