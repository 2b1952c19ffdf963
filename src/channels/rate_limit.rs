//! Per-channel request rate limiting. In one process: a token bucket. With Redis: a shared one-second window
//! (`INCR` on a per-second key), so several worker processes together stay within the marketplace's quota.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;
use tokio::sync::Mutex;

#[derive(Clone)]
pub enum RateLimiter {
    Unlimited,
    Local(Arc<LocalBucket>),
    Shared(Arc<SharedWindow>),
    /// A quota per API (the marketplace counts each API separately): one limiter per API name, made on first use.
    PerApi(Arc<PerApi>),
}

pub struct PerApi {
    per_second: u32,
    key: String,
    redis: Option<ConnectionManager>,
    buckets: LocalBuckets,
    limiters: std::sync::Mutex<HashMap<String, RateLimiter>>,
}

/// The API a request path names, for per-API quotas: numeric path segments are ids (TikTok's product and package
/// ids) and become `{id}`, so one API is one quota whatever it acts on — except a version right after the module
/// (`/product/202309/…`, TikTok's `/{module}/{yyyymm}/…` layout).
pub fn api_name(path: &str) -> String {
    path.split('/')
        .enumerate()
        .map(|(i, segment)| {
            let numeric = !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit());
            let version = i == 2 && segment.len() == 6;
            if numeric && !version { "{id}" } else { segment }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// This process's token buckets, one per limiter key. Connectors are built per run, so without it two runs of
/// one channel account in one process (a push and an order fetch) would each get the whole quota.
#[derive(Clone, Default)]
pub struct LocalBuckets(Arc<std::sync::Mutex<HashMap<String, Arc<LocalBucket>>>>);

impl LocalBuckets {
    fn bucket(&self, key: &str, per_second: u32) -> Arc<LocalBucket> {
        let mut buckets = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.entry(key.to_owned()).or_insert_with(|| Arc::new(LocalBucket::new(per_second)));
        if bucket.per_second != f64::from(per_second) {
            *bucket = Arc::new(LocalBucket::new(per_second));
        }
        bucket.clone()
    }
}

impl RateLimiter {
    /// `per_second` requests per second for the channel `key`, with a bucket of its own; shared through Redis when
    /// `redis` is given.
    pub fn new(per_second: u32, key: &str, redis: Option<ConnectionManager>) -> Self {
        let per_second = per_second.max(1);
        Self::with_bucket(per_second, key, redis, Arc::new(LocalBucket::new(per_second)))
    }

    /// As `new`, drawing from the process's bucket for `key` (and falling back to it when Redis is unreachable).
    pub fn pooled(per_second: u32, key: &str, redis: Option<ConnectionManager>, buckets: &LocalBuckets) -> Self {
        let per_second = per_second.max(1);
        Self::with_bucket(per_second, key, redis, buckets.bucket(key, per_second))
    }

    /// As `pooled`, with a quota of `per_second` for each API of the channel `key` (see `api_name`).
    pub fn pooled_per_api(per_second: u32, key: &str, redis: Option<ConnectionManager>, buckets: &LocalBuckets) -> Self {
        Self::PerApi(Arc::new(PerApi { per_second: per_second.max(1), key: key.to_owned(), redis, buckets: buckets.clone(), limiters: Default::default() }))
    }

    fn with_bucket(per_second: u32, key: &str, redis: Option<ConnectionManager>, bucket: Arc<LocalBucket>) -> Self {
        match redis {
            Some(conn) => Self::Shared(Arc::new(SharedWindow { conn, key: format!("omnisync:ratelimit:{key}"), per_second, fallback: bucket })),
            None => Self::Local(bucket),
        }
    }

    /// Waits until one more request to `path` is allowed.
    pub async fn acquire(&self, path: &str) {
        match self {
            Self::Unlimited => {}
            Self::Local(bucket) => bucket.acquire().await,
            Self::Shared(window) => window.acquire().await,
            Self::PerApi(apis) => {
                let limiter = {
                    let api = api_name(path);
                    let mut limiters = apis.limiters.lock().unwrap_or_else(|p| p.into_inner());
                    limiters
                        .entry(api.clone())
                        .or_insert_with(|| Self::pooled(apis.per_second, &format!("{}:{api}", apis.key), apis.redis.clone(), &apis.buckets))
                        .clone()
                };
                // `pooled` never makes another PerApi: no recursion.
                Box::pin(limiter.acquire(path)).await
            }
        }
    }
}

pub struct LocalBucket {
    per_second: f64,
    state: Mutex<(f64, Instant)>,
}

impl LocalBucket {
    fn new(per_second: u32) -> Self {
        Self { per_second: f64::from(per_second), state: Mutex::new((f64::from(per_second), Instant::now())) }
    }

    async fn acquire(&self) {
        loop {
            let wait = {
                let mut state = self.state.lock().await;
                let (tokens, last) = *state;
                let now = Instant::now();
                let refilled = (tokens + now.duration_since(last).as_secs_f64() * self.per_second).min(self.per_second);
                if refilled >= 1.0 {
                    *state = (refilled - 1.0, now);
                    return;
                }
                *state = (refilled, now);
                Duration::from_secs_f64((1.0 - refilled) / self.per_second)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

pub struct SharedWindow {
    conn: ConnectionManager,
    key: String,
    per_second: u32,
    /// Used while Redis is unreachable: this process alone still stays within the quota.
    fallback: Arc<LocalBucket>,
}

impl SharedWindow {
    async fn acquire(&self) {
        loop {
            let now = chrono::Utc::now();
            let second = now.timestamp();
            let key = format!("{}:{second}", self.key);
            let mut conn = self.conn.clone();
            let counted: redis::RedisResult<(u32, i32)> =
                redis::pipe().atomic().incr(&key, 1).expire(&key, 2).query_async(&mut conn).await;
            match counted {
                Ok((n, _)) if n <= self.per_second => return,
                Ok(_) => {
                    // Window full: wait for the next second.
                    let into_second = now.timestamp_subsec_millis() as u64;
                    tokio::time::sleep(Duration::from_millis(1000u64.saturating_sub(into_second) + 1)).await;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "shared rate limiter unavailable; limiting this process only");
                    self.fallback.acquire().await;
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_name_keeps_versions_and_drops_ids() {
        assert_eq!(api_name("/product/202309/products/1729382256910944578/inventory/update"), "/product/202309/products/{id}/inventory/update");
        assert_eq!(api_name("/product/202309/products/100042/inventory/update"), "/product/202309/products/{id}/inventory/update");
        assert_eq!(api_name("/fulfillment/202309/packages/200123/ship"), "/fulfillment/202309/packages/{id}/ship");
        assert_eq!(api_name("/api/v2/order/get_order_detail"), "/api/v2/order/get_order_detail");
        assert_eq!(api_name("/orders/get"), "/orders/get");
    }

    #[tokio::test]
    async fn per_api_quotas_do_not_share_their_buckets() {
        let buckets = LocalBuckets::default();
        let limiter = RateLimiter::pooled_per_api(20, "p", None, &buckets);
        let started = Instant::now();
        // 20 on each of two APIs: both bursts at once.
        for _ in 0..20 {
            limiter.acquire("/orders/get").await;
            limiter.acquire("/product/202309/products/111111/inventory/update").await;
        }
        assert!(started.elapsed() < Duration::from_millis(300), "{:?}", started.elapsed());
        // The same API again (another product id) is over its quota: it waits.
        let before = Instant::now();
        for _ in 0..5 {
            limiter.acquire("/product/202309/products/222222/inventory/update").await;
        }
        assert!(before.elapsed() >= Duration::from_millis(150), "{:?}", before.elapsed());
    }

    #[tokio::test]
    async fn a_local_bucket_spreads_requests_over_time() {
        let limiter = RateLimiter::new(20, "t", None);
        let started = Instant::now();
        for _ in 0..30 {
            limiter.acquire("/a").await;
        }
        // 20 immediately (burst), the next 10 at 20/s: about half a second.
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    }

    #[tokio::test]
    async fn pooled_limiters_of_one_key_share_one_quota() {
        let buckets = LocalBuckets::default();
        let (first, second) = (RateLimiter::pooled(20, "k", None, &buckets), RateLimiter::pooled(20, "k", None, &buckets));
        let other = RateLimiter::pooled(20, "other", None, &buckets);
        let started = Instant::now();
        for _ in 0..15 {
            first.acquire("/a").await;
            second.acquire("/a").await;
        }
        // 30 requests on one key: 20 burst, 10 more at 20/s.
        assert!(started.elapsed() >= Duration::from_millis(400), "{:?}", started.elapsed());
        // Another key still has its whole burst.
        let started = Instant::now();
        for _ in 0..20 {
            other.acquire("/a").await;
        }
        assert!(started.elapsed() < Duration::from_millis(100), "{:?}", started.elapsed());
    }
}
