//! The one HTTP path to marketplaces: rate limit, timeout, retry with exponential backoff and jitter on timeouts
//! and 5xx, waiting as told on rate-limit answers, and a trace line per call (channel, API path, status,
//! latency). Requests are built afresh for every attempt, because signatures carry timestamps.
//! URLs, query strings and bodies are never logged: they carry tokens and signatures.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::header::HeaderMap;

use super::ConnectorError;
use super::rate_limit::{LocalBuckets, RateLimiter};

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all (first try included).
    pub max_attempts: u32,
    /// First backoff; doubles each retry, with jitter, up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Per-attempt timeout.
    pub timeout: Duration,
    /// Longest wait honoured when a marketplace says "retry after".
    pub max_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(300),
            max_delay: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_rate_limit_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Short delays for tests against local simulators.
    pub fn fast() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            timeout: Duration::from_secs(5),
            max_rate_limit_wait: Duration::from_secs(3),
        }
    }

    /// Exponential backoff with "equal jitter": half fixed, half random, so retries of many clients spread out.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.base_delay.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.max_delay);
        let half = capped / 2;
        half + half.mul_f64(rand::rng().random::<f64>())
    }

    /// How long after an attempt was sent a marketplace may still apply it when the hub gave up on its answer:
    /// three timeouts, at least 5 s. UNCONFIRMED: no marketplace documents how late a request it received may be
    /// applied; this is the plausible bound (the simulators apply a slow request ~1.7 timeouts after it was sent).
    pub fn in_doubt_for(&self) -> Duration {
        (self.timeout * 3).max(Duration::from_secs(5))
    }
}

/// A marketplace answer as received.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// `Retry-After` in seconds, when given.
    pub fn retry_after(&self) -> Option<Duration> {
        let value = self.headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
        value.trim().parse::<f64>().ok().filter(|s| *s >= 0.0).map(Duration::from_secs_f64)
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, ConnectorError> {
        serde_json::from_slice(&self.body).map_err(|e| ConnectorError::parse(path, e, &self.body))
    }
}

/// How a marketplace module reads an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Final: hand the answer to the caller (success or a refusal it will map).
    Done,
    /// Rate limited: wait this long (or back off when unknown), then retry.
    RateLimited(Option<Duration>),
    /// Transient (5xx, gateway hiccup): back off and retry.
    Retry,
}

/// The HTTP-level reading every marketplace shares: 429 waits, 5xx retries, anything else is final.
pub fn default_verdict(response: &RawResponse) -> Verdict {
    match response.status {
        429 => Verdict::RateLimited(response.retry_after()),
        500..=599 => Verdict::Retry,
        _ => Verdict::Done,
    }
}

#[derive(Clone)]
pub struct ApiClient {
    client: reqwest::Client,
    limiter: RateLimiter,
    retry: RetryPolicy,
    label: Arc<str>,
    /// Until when a request this client gave up on (timed out, or failed after it may have been sent) may still
    /// be applied by the marketplace. Shared by the client's clones.
    in_doubt_until: Arc<Mutex<Option<Instant>>>,
}

/// What every connector of a process shares: one HTTP client (its connection pool and TLS roots, which are
/// costly to build per run) and the local rate-limit buckets.
#[derive(Clone)]
pub struct ChannelHttp {
    pub client: reqwest::Client,
    pub buckets: LocalBuckets,
}

impl ChannelHttp {
    pub fn new() -> Result<Self, ConnectorError> {
        Ok(Self { client: http_client()?, buckets: LocalBuckets::default() })
    }
}

fn http_client() -> Result<reqwest::Client, ConnectorError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("omnisync/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ConnectorError::Config(format!("HTTP client: {e}")))
}

impl ApiClient {
    /// A client with an HTTP client of its own.
    pub fn new(label: impl Into<Arc<str>>, limiter: RateLimiter, retry: RetryPolicy) -> Result<Self, ConnectorError> {
        Ok(Self::with_client(http_client()?, label, limiter, retry))
    }

    pub fn with_client(
        client: reqwest::Client,
        label: impl Into<Arc<str>>,
        limiter: RateLimiter,
        retry: RetryPolicy,
    ) -> Self {
        Self { client, limiter, retry, label: label.into(), in_doubt_until: Arc::default() }
    }

    /// The latest time until which a request this client gave up on may still be applied by the marketplace
    /// (`None`: it never gave up on one). A caller compares it before and after a call: if it moved, that call's
    /// request may land later than the answer the caller acts on.
    pub fn in_doubt_until(&self) -> Option<Instant> {
        *self.in_doubt_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn gave_up_on(&self, sent_at: Instant) {
        let until = sent_at + self.retry.in_doubt_for();
        let mut slot = self.in_doubt_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_none_or(|t| t < until) {
            *slot = Some(until);
        }
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// How long an ordinary request to `path` would wait for the rate limit now (`RateLimiter::ordinary_wait`).
    pub async fn ordinary_wait(&self, path: &str) -> std::time::Duration {
        self.limiter.ordinary_wait(path).await
    }

    /// Sends the request `build` makes (called once per attempt), retrying as `classify` says.
    /// `path` is the API path used in traces and errors (never the full URL: it may carry tokens).
    pub async fn send<B, C>(&self, path: &str, build: B, classify: C) -> Result<RawResponse, ConnectorError>
    where
        B: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
        C: Fn(&RawResponse) -> Verdict,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= self.retry.max_attempts;
            self.limiter.acquire(path).await;
            let started = Instant::now();
            let sent = build(&self.client).timeout(self.retry.timeout).send().await;
            let response = match sent {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let headers = resp.headers().clone();
                    resp.bytes().await.map(|body| RawResponse { status, headers, body: body.to_vec() })
                }
                Err(err) => Err(err),
            };
            let latency_ms = started.elapsed().as_millis() as u64;
            crate::metrics::marketplace_call(
                &self.label,
                path,
                response.as_ref().map(|r| r.status).unwrap_or(0),
                started.elapsed(),
            );
            let response = match response {
                Ok(r) => r,
                Err(err) => {
                    let kind = if err.is_timeout() {
                        "timeout"
                    } else if err.is_connect() {
                        "connect"
                    } else {
                        "transport"
                    };
                    if !err.is_connect() {
                        // The marketplace may have received it and may still apply it.
                        self.gave_up_on(started);
                    }
                    tracing::warn!(channel = %self.label, path, error_kind = kind, latency_ms, attempt, "marketplace call failed");
                    if last {
                        return Err(ConnectorError::Transport {
                            path: path.to_owned(),
                            message: format!("{kind} error after {attempt} attempts"),
                        });
                    }
                    tokio::time::sleep(self.retry.backoff(attempt)).await;
                    continue;
                }
            };
            let verdict = classify(&response);
            tracing::info!(channel = %self.label, path, status = response.status, latency_ms, attempt, verdict = ?verdict, "marketplace call");
            match verdict {
                Verdict::Done => return Ok(response),
                Verdict::RateLimited(wait) => {
                    if last {
                        return Err(ConnectorError::RateLimited { path: path.to_owned() });
                    }
                    let wait = wait.unwrap_or_else(|| self.retry.backoff(attempt)).min(self.retry.max_rate_limit_wait);
                    tokio::time::sleep(wait).await;
                }
                Verdict::Retry => {
                    if last {
                        return Err(ConnectorError::Server {
                            path: path.to_owned(),
                            status: response.status,
                            body: ConnectorError::truncate_body(&response.body),
                        });
                    }
                    tokio::time::sleep(self.retry.backoff(attempt)).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        for attempt in 1..10 {
            let d = policy.backoff(attempt);
            let ceiling = (Duration::from_millis(100) * (1 << (attempt - 1).min(16))).min(Duration::from_millis(1000));
            assert!(
                d >= ceiling / 2 && d <= ceiling,
                "attempt {attempt}: {d:?} within [{:?}, {ceiling:?}]",
                ceiling / 2
            );
        }
    }

    #[test]
    fn default_verdict_waits_on_429_and_retries_5xx() {
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "2".parse().expect("header"));
        let r = |status| RawResponse { status, headers: headers.clone(), body: Vec::new() };
        assert_eq!(default_verdict(&r(429)), Verdict::RateLimited(Some(Duration::from_secs(2))));
        assert_eq!(default_verdict(&r(503)), Verdict::Retry);
        assert_eq!(default_verdict(&r(400)), Verdict::Done);
    }
}
