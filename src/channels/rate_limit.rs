//! Per-channel request rate limiting. In one process: a token bucket. With Redis: GCRA in one script on Redis's
//! clock (`SharedWindow`), so several worker processes, on hosts whose clocks differ, together stay within the
//! marketplace's quota.
//!
//! Both keep any one-second interval near the rate, not only each calendar second: a marketplace that counts
//! "N per second" over a sliding second (the simulators do) refuses a bucket that saved a second of tokens and
//! spends them with the next second's (up to twice the rate), or a per-second window filled at the end of one
//! second and again at the start of the next.

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
        let mut buckets = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
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
    pub fn pooled_per_api(
        per_second: u32,
        key: &str,
        redis: Option<ConnectionManager>,
        buckets: &LocalBuckets,
    ) -> Self {
        Self::PerApi(Arc::new(PerApi {
            per_second: per_second.max(1),
            key: key.to_owned(),
            redis,
            buckets: buckets.clone(),
            limiters: Default::default(),
        }))
    }

    fn with_bucket(per_second: u32, key: &str, redis: Option<ConnectionManager>, bucket: Arc<LocalBucket>) -> Self {
        match redis {
            Some(conn) => Self::Shared(Arc::new(SharedWindow {
                conn,
                key: format!("omnisync:ratelimit:{key}"),
                per_second,
                fallback: bucket,
            })),
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
                    let mut limiters = apis.limiters.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    limiters
                        .entry(api.clone())
                        .or_insert_with(|| {
                            Self::pooled(
                                apis.per_second,
                                &format!("{}:{api}", apis.key),
                                apis.redis.clone(),
                                &apis.buckets,
                            )
                        })
                        .clone()
                };
                // `pooled` never makes another PerApi: no recursion.
                Box::pin(limiter.acquire(path)).await;
            }
        }
    }
}

pub struct LocalBucket {
    per_second: f64,
    /// Tokens kept at most: an eighth of a second's (at least one), so any second holds at most 1⅛ × the rate.
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl LocalBucket {
    fn new(per_second: u32) -> Self {
        let burst = f64::from((per_second / 8).max(1));
        Self { per_second: f64::from(per_second), burst, state: Mutex::new((burst, Instant::now())) }
    }

    async fn acquire(&self) {
        loop {
            let wait = {
                let mut state = self.state.lock().await;
                let (tokens, last) = *state;
                let now = Instant::now();
                let refilled = (tokens + now.duration_since(last).as_secs_f64() * self.per_second).min(self.burst);
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

/// The shared burst for a rate, as (window length in ms, requests per window): as many windows a second as divide
/// the rate evenly, up to ten: 40/s is 4 per 100 ms (a burst of 4; at most 44 in any second), 2/s is 1 per 500 ms.
pub fn windows_for(per_second: u32) -> (i64, u32) {
    let per_second = per_second.max(1);
    let windows = (1..=10u32).rev().find(|n| per_second.is_multiple_of(*n)).unwrap_or(1);
    (1000 / i64::from(windows), per_second / windows)
}

/// GCRA (the generic cell rate algorithm) on Redis's clock, one atomic script: the key holds the theoretical
/// arrival time of the next request (µs). A request may go once `now ≥ tat − tolerance`; it then moves `tat` one
/// interval on. Every host reads `TIME` from Redis, so hosts whose clocks differ still share one quota. Returns 0
/// (go) or the µs to wait.
const GCRA_SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then tat = now end
if now < tat - tolerance then
  return math.ceil(tat - tolerance - now)
end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 1000)
return 0
";

impl SharedWindow {
    async fn acquire(&self) {
        static SCRIPT: std::sync::OnceLock<redis::Script> = std::sync::OnceLock::new();
        let script = SCRIPT.get_or_init(|| redis::Script::new(GCRA_SCRIPT));
        // The burst the windows allowed before (a window's share), at the same rate.
        let (_, burst) = windows_for(self.per_second);
        let interval_us = 1_000_000.0 / f64::from(self.per_second);
        let tolerance_us = interval_us * f64::from(burst.saturating_sub(1));
        loop {
            let mut conn = self.conn.clone();
            let wait: redis::RedisResult<i64> =
                script.key(&self.key).arg(interval_us).arg(tolerance_us).invoke_async(&mut conn).await;
            match wait {
                Ok(0) => return,
                Ok(micros) => tokio::time::sleep(Duration::from_micros(micros.max(1) as u64)).await,
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
        assert_eq!(
            api_name("/product/202309/products/1729382256910944578/inventory/update"),
            "/product/202309/products/{id}/inventory/update"
        );
        assert_eq!(
            api_name("/product/202309/products/100042/inventory/update"),
            "/product/202309/products/{id}/inventory/update"
        );
        assert_eq!(api_name("/fulfillment/202309/packages/200123/ship"), "/fulfillment/202309/packages/{id}/ship");
        assert_eq!(api_name("/api/v2/order/get_order_detail"), "/api/v2/order/get_order_detail");
        assert_eq!(api_name("/orders/get"), "/orders/get");
    }

    #[tokio::test]
    async fn per_api_quotas_do_not_share_their_buckets() {
        let buckets = LocalBuckets::default();
        // 80/s: a burst of 10 per API.
        let limiter = RateLimiter::pooled_per_api(80, "p", None, &buckets);
        let started = Instant::now();
        for _ in 0..10 {
            limiter.acquire("/orders/get").await;
            limiter.acquire("/product/202309/products/111111/inventory/update").await;
        }
        assert!(started.elapsed() < Duration::from_millis(60), "both bursts at once: {:?}", started.elapsed());
        // The same API again (another product id) is over its quota: it waits 1/80 s each.
        let before = Instant::now();
        for _ in 0..8 {
            limiter.acquire("/product/202309/products/222222/inventory/update").await;
        }
        assert!(before.elapsed() >= Duration::from_millis(80), "{:?}", before.elapsed());
    }

    /// The most requests any one-second interval of `times` holds.
    fn busiest_second(times: &[Instant]) -> usize {
        (0..times.len())
            .map(|i| times[i..].iter().take_while(|t| t.duration_since(times[i]) < Duration::from_secs(1)).count())
            .max()
            .unwrap_or(0)
    }

    #[tokio::test]
    async fn a_local_bucket_keeps_any_second_near_its_rate() {
        let limiter = RateLimiter::new(40, "t", None);
        // Idle first: the bucket is as full as it gets.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = Instant::now();
        let mut times = Vec::new();
        while started.elapsed() < Duration::from_millis(1600) {
            limiter.acquire("/a").await;
            times.push(Instant::now());
        }
        let busiest = busiest_second(&times);
        assert!(busiest <= 45, "at most 40 + a burst of 5 in any second: {busiest}");
        assert!(busiest >= 38, "and close to the rate: {busiest}");
    }

    #[test]
    fn shared_windows_divide_the_rate_evenly() {
        assert_eq!(windows_for(40), (100, 4));
        assert_eq!(windows_for(100), (100, 10));
        assert_eq!(windows_for(2), (500, 1));
        assert_eq!(windows_for(7), (142, 1));
        assert_eq!(windows_for(13), (1000, 13));
    }

    #[tokio::test]
    async fn pooled_limiters_of_one_key_share_one_quota() {
        let buckets = LocalBuckets::default();
        // 80/s: bursts of 10.
        let (first, second) =
            (RateLimiter::pooled(80, "k", None, &buckets), RateLimiter::pooled(80, "k", None, &buckets));
        let other = RateLimiter::pooled(80, "other", None, &buckets);
        let started = Instant::now();
        for _ in 0..15 {
            first.acquire("/a").await;
            second.acquire("/a").await;
        }
        // 30 requests on one key: 10 at once, 20 more at 80/s.
        assert!(started.elapsed() >= Duration::from_millis(200), "{:?}", started.elapsed());
        // Another key still has its whole burst.
        let started = Instant::now();
        for _ in 0..10 {
            other.acquire("/a").await;
        }
        assert!(started.elapsed() < Duration::from_millis(50), "{:?}", started.elapsed());
    }
}
