//! Calling the Open API: common query parameters, the signature (fresh timestamp per attempt), the access-token
//! header, reading the envelope, and keeping the access token fresh (before expiry and on `105002`).

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{ACCESS_TOKEN_HEADER, TiktokConnector, codes, sign, wire};
use crate::channels::http::{RawResponse, Verdict, default_verdict};
use crate::channels::{ApiClient, ConnectorError, ConnectorResult, Credentials};

/// Refresh this long before the access token's expiry, so no call races the deadline.
const REFRESH_MARGIN: chrono::Duration = chrono::Duration::minutes(10);

/// Whether a call names the shop with `shop_cipher` (most do) or must not (authorization/*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    Shop,
    App,
}

/// One Open API call, before signing.
#[derive(Debug, Clone)]
pub(super) struct ApiCall {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Raw JSON body, signed exactly as sent.
    pub body: Option<String>,
    pub scope: Scope,
}

impl ApiCall {
    pub fn get(path: impl Into<String>, scope: Scope) -> Self {
        Self { method: Method::GET, path: path.into(), query: Vec::new(), body: None, scope }
    }

    /// A shop-scoped POST with a JSON body.
    pub fn post(path: impl Into<String>, body: &impl Serialize) -> ConnectorResult<Self> {
        let path = path.into();
        let body = serde_json::to_string(body)
            .map_err(|e| ConnectorError::Config(format!("{path}: body not serialisable: {e}")))?;
        Ok(Self { method: Method::POST, path, query: Vec::new(), body: Some(body), scope: Scope::Shop })
    }

    pub fn param(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_owned(), value.into()));
        self
    }
}

/// What one signed attempt (with its retries) gave.
enum Answer {
    Data(Value),
    TokenExpired(String),
}

/// TikTok's reading of an answer: the shared HTTP rules, plus body codes for throttling and transient faults
/// (which may come with HTTP 200).
pub(super) fn classify(response: &RawResponse) -> Verdict {
    match default_verdict(response) {
        Verdict::Done => match serde_json::from_slice::<wire::CodeOnly>(&response.body).ok().and_then(|c| c.code) {
            Some(codes::RATE_LIMITED) => Verdict::RateLimited(response.retry_after()),
            Some(codes::INTERNAL_ERROR | codes::REQUEST_TIMEOUT) => Verdict::Retry,
            _ => Verdict::Done,
        },
        other => other,
    }
}

/// Unix seconds → UTC; out-of-range values are a parse error of `path`.
pub(super) fn unix_time(path: &str, seconds: i64) -> ConnectorResult<DateTime<Utc>> {
    DateTime::from_timestamp(seconds, 0)
        .ok_or_else(|| ConnectorError::parse(path, "timestamp out of range", seconds.to_string().as_bytes()))
}

/// A GET on the auth host's token endpoints (no signature there: the app secret is a parameter).
/// A refusal is `Api` with TikTok's code; the caller decides what it means.
pub(super) async fn token_request(
    http: &ApiClient,
    host: &str,
    path: &str,
    params: &[(&str, &str)],
) -> ConnectorResult<wire::TokenData> {
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    let url = format!("{host}{path}?{query}");
    let raw = http.send(path, |client| client.get(&url), classify).await?;
    // An answer that carries tokens must not end up in errors or logs: keep its body only when it has none.
    let kept_body: &[u8] =
        if String::from_utf8_lossy(&raw.body).contains("token") { b"(withheld: may carry tokens)" } else { &raw.body };
    let envelope: wire::Envelope =
        serde_json::from_slice(&raw.body).map_err(|e| ConnectorError::parse(path, e, kept_body))?;
    if envelope.code != codes::OK {
        return Err(ConnectorError::Api {
            path: path.to_owned(),
            code: envelope.code.to_string(),
            message: envelope.message,
        });
    }
    let data = envelope.data.unwrap_or(Value::Null);
    serde_json::from_value(data).map_err(|e| ConnectorError::parse(path, e, kept_body))
}

/// Puts freshly issued tokens into `credentials`.
pub(super) fn apply_tokens(path: &str, credentials: &mut Credentials, tokens: wire::TokenData) -> ConnectorResult<()> {
    credentials.access_token_expires_at = Some(unix_time(path, tokens.access_token_expire_in)?);
    credentials.refresh_token_expires_at = Some(unix_time(path, tokens.refresh_token_expire_in)?);
    credentials.access_token = Some(tokens.access_token);
    credentials.refresh_token = Some(tokens.refresh_token);
    Ok(())
}

impl TiktokConnector {
    /// Makes `call` and returns its `data` decoded as `T` (`null` data reads as `{}`).
    pub(super) async fn call_as<T: DeserializeOwned>(&self, call: &ApiCall) -> ConnectorResult<T> {
        let data = match self.call(call).await? {
            Value::Null => Value::Object(serde_json::Map::new()),
            data => data,
        };
        T::deserialize(&data).map_err(|e| ConnectorError::parse(&call.path, e, data.to_string().as_bytes()))
    }

    /// Makes `call` with fresh credentials; on an expired-token answer refreshes once and tries again.
    pub(super) async fn call(&self, call: &ApiCall) -> ConnectorResult<Value> {
        let credentials = self.usable_credentials(call.scope).await?;
        match self.send_signed(call, &credentials).await? {
            Answer::Data(data) => Ok(data),
            Answer::TokenExpired(_) => {
                let credentials = self.refresh_after_rejection(&credentials).await?;
                match self.send_signed(call, &credentials).await? {
                    Answer::Data(data) => Ok(data),
                    Answer::TokenExpired(message) => {
                        Err(ConnectorError::TokenExpired { path: call.path.clone(), message })
                    }
                }
            }
        }
    }

    /// The credentials to sign with: refreshed first when the token is about to expire; with a shop cipher
    /// looked up (and saved) when a shop-scoped call needs one and the credentials lack it.
    async fn usable_credentials(&self, scope: Scope) -> ConnectorResult<Credentials> {
        let snapshot = {
            let mut credentials = self.credentials.lock().await;
            if expires_soon(&credentials)
                && let Err(err) = self.refresh_locked(&mut credentials).await
            {
                // An early refresh that fails is not fatal while the current token still works.
                let still_valid = credentials.access_token.is_some()
                    && credentials.access_token_expires_at.is_some_and(|at| at > Utc::now());
                if !still_valid {
                    return Err(err);
                }
                tracing::warn!(channel = "tiktok", error = %err, "early token refresh failed; using the current token");
            }
            credentials.clone()
        };
        if scope == Scope::Shop && snapshot.shop_cipher.is_none() {
            // Boxed: looking the cipher up is itself a call.
            return Box::pin(self.resolve_shop_cipher()).await;
        }
        Ok(snapshot)
    }

    /// Fills a missing `shop_cipher` (and `shop_id`) from the authorized shops, and saves it.
    async fn resolve_shop_cipher(&self) -> ConnectorResult<Credentials> {
        let shop = self.authorized_shop().await?;
        let mut credentials = self.credentials.lock().await;
        if credentials.shop_cipher.is_none() {
            credentials.shop_cipher = shop.cipher.clone();
            credentials.shop_id.get_or_insert(shop.id);
            self.config.tokens.save(&credentials).await?;
        }
        if credentials.shop_cipher.is_none() {
            return Err(ConnectorError::Config("the authorized shop has no cipher".into()));
        }
        Ok(credentials.clone())
    }

    /// After a `105002`: refresh, unless another call already did (then use its token).
    async fn refresh_after_rejection(&self, used: &Credentials) -> ConnectorResult<Credentials> {
        let mut credentials = self.credentials.lock().await;
        if credentials.access_token == used.access_token {
            self.refresh_locked(&mut credentials).await?;
        }
        Ok(credentials.clone())
    }

    /// Exchanges the refresh token for a new pair, updates `credentials` (held locked by the caller, so only one
    /// refresh runs) and saves them.
    async fn refresh_locked(&self, credentials: &mut Credentials) -> ConnectorResult<()> {
        let path = "/api/v2/token/refresh";
        let expired = |message: String| ConnectorError::TokenExpired { path: path.to_owned(), message };
        let refresh_token = credentials.refresh_token.clone().ok_or_else(|| expired("no refresh token".into()))?;
        let params = [
            ("app_key", self.app_key.as_str()),
            ("app_secret", self.app_secret.as_str()),
            ("refresh_token", refresh_token.as_str()),
            ("grant_type", "refresh_token"),
        ];
        let tokens = match token_request(&self.config.http, &self.token_host(), path, &params).await {
            Ok(tokens) => tokens,
            Err(ConnectorError::Api { code, message, .. }) => return Err(expired(format!("{code}: {message}"))),
            Err(other) => return Err(other),
        };
        apply_tokens(path, credentials, tokens)?;
        tracing::info!(channel = "tiktok", "access token refreshed");
        self.config.tokens.save(credentials).await
    }

    /// One signed call (the shared client retries it, re-signing each attempt with a new timestamp).
    async fn send_signed(&self, call: &ApiCall, credentials: &Credentials) -> ConnectorResult<Answer> {
        let token = credentials
            .access_token
            .clone()
            .ok_or_else(|| ConnectorError::Config("TikTok needs an access token".into()))?;
        let mut fixed: Vec<(String, String)> = vec![("app_key".to_owned(), self.app_key.clone())];
        if call.scope == Scope::Shop {
            let cipher = credentials
                .shop_cipher
                .clone()
                .ok_or_else(|| ConnectorError::Config("TikTok needs a shop cipher".into()))?;
            fixed.push(("shop_cipher".to_owned(), cipher));
        }
        fixed.extend(call.query.iter().cloned());
        let endpoint = format!("{}{}", self.base_url, call.path);
        let build = |client: &reqwest::Client| {
            let timestamp = Utc::now().timestamp().to_string();
            let mut params: Vec<(&str, &str)> = fixed.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            params.push(("timestamp", timestamp.as_str()));
            let signature =
                sign::request_sign(&self.app_secret, &call.path, &params, call.body.as_deref().map(str::as_bytes));
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&params)
                .append_pair("sign", &signature)
                .finish();
            let request = client
                .request(call.method.clone(), format!("{endpoint}?{query}"))
                .header(ACCESS_TOKEN_HEADER, token.as_str())
                .header(reqwest::header::CONTENT_TYPE, "application/json");
            match &call.body {
                Some(body) => request.body(body.clone()),
                None => request,
            }
        };
        let raw = self.config.http.send(&call.path, build, classify).await?;
        let envelope: wire::Envelope = raw.json(&call.path)?;
        let path = call.path.clone();
        match envelope.code {
            codes::OK => Ok(Answer::Data(envelope.data.unwrap_or(Value::Null))),
            codes::EXPIRED_TOKEN => Ok(Answer::TokenExpired(envelope.message)),
            codes::RATE_LIMITED => Err(ConnectorError::RateLimited { path }),
            code if codes::is_credentials_refusal(code) => {
                Err(ConnectorError::Auth { path, code: code.to_string(), message: envelope.message })
            }
            code => Err(ConnectorError::Api { path, code: code.to_string(), message: envelope.message }),
        }
    }
}

/// Whether the access token is missing or expires within the refresh margin (only when a refresh token exists
/// to renew it).
fn expires_soon(credentials: &Credentials) -> bool {
    if credentials.refresh_token.is_none() {
        return false;
    }
    credentials.access_token.is_none()
        || credentials.access_token_expires_at.is_some_and(|at| at - REFRESH_MARGIN <= Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    fn answer(status: u16, body: &str) -> RawResponse {
        RawResponse { status, headers: HeaderMap::new(), body: body.as_bytes().to_vec() }
    }

    #[test]
    fn throttling_and_internal_error_codes_are_retried_even_with_http_200() {
        assert_eq!(
            classify(&answer(200, r#"{"code":36009002,"message":"Too many requests"}"#)),
            Verdict::RateLimited(None)
        );
        assert_eq!(classify(&answer(429, r#"{"code":36009002}"#)), Verdict::RateLimited(None));
        assert_eq!(classify(&answer(200, r#"{"code":36009003,"message":"internal"}"#)), Verdict::Retry);
        assert_eq!(classify(&answer(200, r#"{"code":106001,"message":"bad sign"}"#)), Verdict::Done);
        assert_eq!(classify(&answer(200, "not json")), Verdict::Done);
    }

    #[test]
    fn a_token_close_to_expiry_is_refreshed_only_when_a_refresh_token_exists() {
        let soon = Credentials {
            access_token: Some("a".into()),
            access_token_expires_at: Some(Utc::now() + chrono::Duration::minutes(5)),
            refresh_token: Some("r".into()),
            ..Credentials::default()
        };
        assert!(expires_soon(&soon));
        let later =
            Credentials { access_token_expires_at: Some(Utc::now() + chrono::Duration::days(1)), ..soon.clone() };
        assert!(!expires_soon(&later));
        let no_access = Credentials { access_token: None, ..later };
        assert!(expires_soon(&no_access), "a missing access token is fetched with the refresh token");
        let no_refresh = Credentials { refresh_token: None, ..soon };
        assert!(!expires_soon(&no_refresh));
    }
}
