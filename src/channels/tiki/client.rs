//! Authenticated calls to Tiki: the legacy `tiki-api` key (v1) or an OAuth2 bearer token (v2) obtained at
//! `/sc/oauth2/token`. Tiki signs nothing; a v2 token is renewed shortly before it expires and once on a 401.

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use super::wire::{self, ErrorBody, TokenResponse};
use crate::channels::http::{RawResponse, default_verdict};
use crate::channels::{ConnectorConfig, ConnectorError, ConnectorResult, Credentials};

/// A token is renewed when it has less than this left, so no call races its expiry.
const RENEW_MARGIN: Duration = Duration::seconds(120);

/// Which integration the credentials open.
#[derive(Clone)]
pub enum Style {
    /// Legacy integration: a static seller API key.
    V1 { api_key: String },
    /// OAuth2: client id/secret (in-house app, or public app with a refresh token) and/or a bearer token.
    V2 { client: Option<(String, String)> },
}

impl Style {
    /// v2 when client id and secret (or only a token) are given, else v1 with the API key.
    pub fn of(credentials: &Credentials) -> ConnectorResult<Self> {
        let present = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        match (
            present(&credentials.app_key),
            present(&credentials.app_secret),
            present(&credentials.api_key),
            present(&credentials.access_token),
        ) {
            (Some(id), Some(secret), _, _) => Ok(Self::V2 { client: Some((id, secret)) }),
            (_, _, Some(api_key), _) => Ok(Self::V1 { api_key }),
            (_, _, None, Some(_)) => Ok(Self::V2 { client: None }),
            _ => Err(ConnectorError::Config("Tiki needs an API key (v1) or a client id and secret (v2)".into())),
        }
    }

    pub fn is_v2(&self) -> bool {
        matches!(self, Self::V2 { .. })
    }
}

pub struct Client {
    pub config: ConnectorConfig,
    pub style: Style,
    credentials: Mutex<Credentials>,
}

enum Auth<'a> {
    Key(&'a str),
    Bearer(&'a str),
}

impl Client {
    pub fn new(config: ConnectorConfig) -> ConnectorResult<Self> {
        let style = Style::of(&config.credentials)?;
        Url::parse(&config.base_url).map_err(|e| ConnectorError::Config(format!("base URL: {e}")))?;
        let credentials = Mutex::new(config.credentials.clone());
        Ok(Self { config, style, credentials })
    }

    pub async fn credentials(&self) -> Credentials {
        self.credentials.lock().await.clone()
    }

    fn url(&self, path: &str, query: &[(&str, String)]) -> ConnectorResult<Url> {
        let base = self.config.base_url.trim_end_matches('/');
        let mut url =
            Url::parse(&format!("{base}{path}")).map_err(|e| ConnectorError::Config(format!("URL for {path}: {e}")))?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in query {
                pairs.append_pair(name, value);
            }
        }
        Ok(url)
    }

    /// One API call; a 2xx answer is returned, anything else becomes the matching `ConnectorError`.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> ConnectorResult<RawResponse> {
        let url = self.url(path, query)?;
        match &self.style {
            Style::V1 { api_key } => {
                let response = self.send(&method, &url, path, body, Auth::Key(api_key)).await?;
                check(path, response)
            }
            Style::V2 { .. } => {
                let token = self.bearer().await?;
                let response = self.send(&method, &url, path, body, Auth::Bearer(&token)).await?;
                if response.status != 401 {
                    return check(path, response);
                }
                // Expired (or revoked) token: get a new one and try once more.
                let token = self.renew_after_refusal(&token, path, &response).await?;
                let response = self.send(&method, &url, path, body, Auth::Bearer(&token)).await?;
                check(path, response)
            }
        }
    }

    async fn send(
        &self,
        method: &Method,
        url: &Url,
        path: &str,
        body: Option<&Value>,
        auth: Auth<'_>,
    ) -> ConnectorResult<RawResponse> {
        self.config
            .http
            .send(
                path,
                |client| {
                    let mut request =
                        client.request(method.clone(), url.clone()).header(reqwest::header::ACCEPT, "application/json");
                    request = match auth {
                        Auth::Key(key) => request.header(wire::API_KEY_HEADER, key),
                        Auth::Bearer(token) => request.bearer_auth(token),
                    };
                    if let Some(body) = body {
                        request = request.json(body);
                    }
                    request
                },
                default_verdict,
            )
            .await
    }

    /// The current bearer token, renewed first when it is missing or about to expire.
    async fn bearer(&self) -> ConnectorResult<String> {
        let mut credentials = self.credentials.lock().await;
        let fresh = match (&credentials.access_token, credentials.access_token_expires_at) {
            (Some(_), Some(expires)) => expires - Utc::now() > RENEW_MARGIN,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if !fresh {
            self.renew(&mut credentials, wire::TOKEN_PATH).await?;
        }
        credentials.access_token.clone().ok_or_else(|| ConnectorError::Config("no access token".into()))
    }

    async fn renew_after_refusal(&self, refused: &str, path: &str, response: &RawResponse) -> ConnectorResult<String> {
        let mut credentials = self.credentials.lock().await;
        // Another call may have renewed it meanwhile: then use that token.
        if credentials.access_token.as_deref() == Some(refused) {
            self.renew(&mut credentials, path).await.map_err(|e| ConnectorError::TokenExpired {
                path: path.to_owned(),
                message: format!("{} (renewal: {e})", error_text(response)),
            })?;
        }
        credentials
            .access_token
            .clone()
            .ok_or_else(|| ConnectorError::TokenExpired { path: path.to_owned(), message: error_text(response) })
    }

    /// New token: refresh-token grant when a refresh token is held (public apps), else (or when refused)
    /// client credentials (in-house apps, which get no refresh token). Saved before use.
    async fn renew(&self, credentials: &mut Credentials, path: &str) -> ConnectorResult<()> {
        let Style::V2 { client: Some((client_id, client_secret)) } = &self.style else {
            return Err(ConnectorError::TokenExpired {
                path: path.to_owned(),
                message: "no client id/secret to obtain a new token".into(),
            });
        };
        let mut issued = None;
        if let Some(refresh_token) = credentials.refresh_token.clone() {
            match self
                .token_request(
                    client_id,
                    client_secret,
                    &[("grant_type", "refresh_token"), ("refresh_token", &refresh_token)],
                )
                .await
            {
                Ok(tokens) => issued = Some(tokens),
                Err(ConnectorError::Auth { .. }) => {
                    tracing::info!(channel = "tiki", "refresh token refused; using client credentials");
                }
                Err(err) => return Err(err),
            }
        }
        let tokens = match issued {
            Some(tokens) => tokens,
            None => self.token_request(client_id, client_secret, &[("grant_type", "client_credentials")]).await?,
        };
        let now = Utc::now();
        credentials.access_token = Some(tokens.access_token);
        credentials.access_token_expires_at = tokens.expires_in.map(|s| now + Duration::seconds(s));
        credentials.refresh_token = tokens.refresh_token;
        if credentials.refresh_token.is_none() {
            credentials.refresh_token_expires_at = None;
        }
        self.config.tokens.save(credentials).await
    }

    /// `POST /sc/oauth2/token` with `client_secret_post` authentication (as Tiki's own samples do).
    async fn token_request(
        &self,
        client_id: &str,
        client_secret: &str,
        grant: &[(&str, &str)],
    ) -> ConnectorResult<TokenResponse> {
        let path = wire::TOKEN_PATH;
        let url = self.url(path, &[])?;
        let form = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in grant {
                form.append_pair(name, value);
            }
            form.append_pair("client_id", client_id).append_pair("client_secret", client_secret);
            form.finish()
        };
        let response = self
            .config
            .http
            .send(
                path,
                |client| {
                    client
                        .post(url.clone())
                        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .header(reqwest::header::ACCEPT, "application/json")
                        .body(form.clone())
                },
                default_verdict,
            )
            .await?;
        if !(200..300).contains(&response.status) {
            let body: ErrorBody = serde_json::from_slice(&response.body).unwrap_or_default();
            return Err(ConnectorError::Auth {
                path: path.to_owned(),
                code: body.error.clone().unwrap_or_else(|| response.status.to_string()),
                message: body.message().unwrap_or_else(|| ConnectorError::truncate_body(&response.body)),
            });
        }
        response.json(path)
    }
}

fn error_text(response: &RawResponse) -> String {
    serde_json::from_slice::<ErrorBody>(&response.body)
        .ok()
        .and_then(|b| b.message())
        .unwrap_or_else(|| ConnectorError::truncate_body(&response.body))
}

/// Tiki has no error codes: the HTTP status is the code, the `errors` (or legacy `msg`) text the message.
fn check(path: &str, response: RawResponse) -> ConnectorResult<RawResponse> {
    let code = response.status.to_string();
    match response.status {
        200..=299 => {
            // Legacy: a seller who paused the connection gets HTTP 200 with `{msg, integration_status}`.
            if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&response.body)
                && map.contains_key("integration_status")
            {
                let message = map.get("msg").and_then(Value::as_str).unwrap_or("integration paused").to_owned();
                return Err(ConnectorError::Auth { path: path.to_owned(), code: "integration_paused".into(), message });
            }
            Ok(response)
        }
        401 | 403 => Err(ConnectorError::Auth { path: path.to_owned(), code, message: error_text(&response) }),
        429 => Err(ConnectorError::RateLimited { path: path.to_owned() }),
        _ => Err(ConnectorError::Api { path: path.to_owned(), code, message: error_text(&response) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_and_secret_choose_v2_and_a_lone_api_key_v1() {
        let both = Credentials {
            app_key: Some("id".into()),
            app_secret: Some("secret".into()),
            api_key: Some("key".into()),
            ..Credentials::default()
        };
        assert!(Style::of(&both).expect("v2").is_v2());
        let key = Credentials { api_key: Some("key".into()), ..Credentials::default() };
        assert!(!Style::of(&key).expect("v1").is_v2());
        assert!(Style::of(&Credentials::default()).is_err());
    }
}
