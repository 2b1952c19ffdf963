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

use super::registry::Marketplace;

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
    reserve: Option<u32>,
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
    fn bucket(&self, key: &str, per_second: u32, reserve: Option<u32>) -> Arc<LocalBucket> {
        let wanted = LocalBucket::new(per_second, reserve);
        let mut buckets = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match buckets.get(key) {
            Some(bucket) if bucket.per_second == wanted.per_second && bucket.reserve == wanted.reserve => {
                bucket.clone()
            }
            _ => {
                let bucket = Arc::new(wanted);
                buckets.insert(key.to_owned(), bucket.clone());
                bucket
            }
        }
    }
}

impl RateLimiter {
    /// `per_second` requests per second for the channel `key`, with a bucket of its own; shared through Redis when
    /// `redis` is given.
    pub fn new(per_second: u32, key: &str, redis: Option<ConnectionManager>) -> Self {
        let per_second = per_second.max(1);
        Self::with_bucket(per_second, None, key, redis, Arc::new(LocalBucket::new(per_second, None)))
    }

    /// As `new`, drawing from the process's bucket for `key` (and falling back to it when Redis is unreachable).
    /// `reserve`: requests that urgent calls (`urgent`) may send at once beyond the rate, where the marketplace's
    /// quota is a bucket (`Marketplace::hub_reserve`); other calls keep any one-second interval near the rate.
    fn pooled(
        per_second: u32,
        reserve: Option<u32>,
        key: &str,
        redis: Option<ConnectionManager>,
        buckets: &LocalBuckets,
    ) -> Self {
        let per_second = per_second.max(1);
        Self::with_bucket(per_second, reserve, key, redis, buckets.bucket(key, per_second, reserve))
    }

    /// The limiter the hub gives a channel account of `marketplace` keyed `key`: its rate, its reserve for urgent
    /// calls, per API where the marketplace counts per API.
    pub fn for_marketplace(
        marketplace: &Marketplace,
        key: &str,
        redis: Option<ConnectionManager>,
        buckets: &LocalBuckets,
    ) -> Self {
        let (per_second, reserve) = (marketplace.hub_rate_per_second, marketplace.hub_reserve());
        if marketplace.quota.per_api {
            Self::pooled_per_api(per_second, reserve, key, redis, buckets)
        } else {
            Self::pooled(per_second, reserve, key, redis, buckets)
        }
    }

    /// As `pooled`, with a quota of `per_second` for each API of the channel `key` (see `api_name`).
    fn pooled_per_api(
        per_second: u32,
        reserve: Option<u32>,
        key: &str,
        redis: Option<ConnectionManager>,
        buckets: &LocalBuckets,
    ) -> Self {
        Self::PerApi(Arc::new(PerApi {
            per_second: per_second.max(1),
            reserve,
            key: key.to_owned(),
            redis,
            buckets: buckets.clone(),
            limiters: Default::default(),
        }))
    }

    fn with_bucket(
        per_second: u32,
        reserve: Option<u32>,
        key: &str,
        redis: Option<ConnectionManager>,
        bucket: Arc<LocalBucket>,
    ) -> Self {
        match redis {
            Some(conn) => Self::Shared(Arc::new(SharedWindow {
                conn,
                key: format!("omnisync:ratelimit:{key}"),
                per_second,
                // The burst the windows allowed before (a window's share), at the same rate.
                burst: windows_for(per_second).1,
                reserve: reserve.unwrap_or(0),
                fallback: bucket,
            })),
            None => Self::Local(bucket),
        }
    }

    /// How long an ordinary (not urgent) request to `path` would wait now; takes nothing.
    pub async fn ordinary_wait(&self, path: &str) -> Duration {
        match self {
            Self::Unlimited => Duration::ZERO,
            Self::Local(bucket) => bucket.ordinary_wait().await,
            Self::Shared(window) => window.ordinary_wait().await,
            Self::PerApi(apis) => {
                let limiter = apis
                    .limiters
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .get(&api_name(path))
                    .cloned();
                match limiter {
                    // `pooled` never makes another PerApi: no recursion.
                    Some(limiter) => Box::pin(limiter.ordinary_wait(path)).await,
                    None => Duration::ZERO,
                }
            }
        }
    }

    /// Waits until one more request to `path` is allowed.
    pub async fn acquire(&self, path: &str) {
        match self {
            Self::Unlimited => {}
            Self::Local(bucket) => bucket.acquire(is_urgent()).await,
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
                                apis.reserve,
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

/// GCRA in this process: `tat` is the theoretical arrival time of the next request; a request may go once
/// `now ≥ tat − tolerance` and moves `tat` one interval on. A tolerance of `burst − 1` intervals lets `burst`
/// requests go at once after a quiet spell, like a full token bucket of `burst`.
pub struct LocalBucket {
    per_second: f64,
    /// Requests at once for ordinary calls: an eighth of a second's (at least one), so any second holds at most
    /// 1⅛ × the rate.
    burst: u32,
    /// Requests at once for urgent calls (at least `burst`): the marketplace's bucket share, where it has one.
    reserve: u32,
    tat: Mutex<Instant>,
}

impl LocalBucket {
    fn new(per_second: u32, reserve: Option<u32>) -> Self {
        let burst = (per_second / 8).max(1);
        let reserve = reserve.unwrap_or(0).max(burst);
        Self { per_second: f64::from(per_second), burst, reserve, tat: Mutex::new(Instant::now()) }
    }

    fn interval(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.per_second)
    }

    /// How far `tat` may run ahead of now for a call to go: `burst − 1` intervals, or `reserve − 1` if urgent.
    fn tolerance(&self, urgent: bool) -> Duration {
        self.interval() * (if urgent { self.reserve } else { self.burst } - 1)
    }

    async fn ordinary_wait(&self) -> Duration {
        let tat = *self.tat.lock().await;
        tat.saturating_duration_since(Instant::now() + self.tolerance(false))
    }

    async fn acquire(&self, urgent: bool) {
        let (interval, tolerance) = (self.interval(), self.tolerance(urgent));
        loop {
            let wait = {
                let mut tat = self.tat.lock().await;
                let now = Instant::now();
                let next = (*tat).max(now);
                if next <= now + tolerance {
                    *tat = next + interval;
                    return;
                }
                next - tolerance - now
            };
            tokio::time::sleep(wait).await;
        }
    }
}

tokio::task_local! {
    /// Set for calls that may spend the reserve (`urgent`).
    static URGENT: bool;
}

/// Runs `calls` as urgent: where the marketplace's quota is a bucket, they may spend the hub's reserve of it
/// (`Marketplace::hub_reserve`) instead of waiting their turn at the rate; ordinary calls after them wait until the
/// reserve has drained back. Elsewhere the same as running them.
pub async fn urgent<F: std::future::Future>(calls: F) -> F::Output {
    URGENT.scope(true, calls).await
}

fn is_urgent() -> bool {
    URGENT.try_with(|urgent| *urgent).unwrap_or(false)
}

pub struct SharedWindow {
    conn: ConnectionManager,
    key: String,
    per_second: u32,
    /// Requests that may go at once (the GCRA's tolerance, in intervals, is one less): ordinary calls…
    burst: u32,
    /// …and urgent ones (`urgent`; 0: as ordinary ones).
    reserve: u32,
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

/// What `GCRA_SCRIPT` would make a request wait (µs; 0: none), taking nothing.
const GCRA_PEEK_SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tolerance = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or now >= tat - tolerance then return 0 end
return math.ceil(tat - tolerance - now)
";

impl SharedWindow {
    fn interval_us(&self) -> f64 {
        1_000_000.0 / f64::from(self.per_second)
    }

    /// As `LocalBucket::tolerance`, in µs.
    fn tolerance_us(&self, urgent: bool) -> f64 {
        let burst = if urgent { self.reserve.max(self.burst) } else { self.burst };
        self.interval_us() * f64::from(burst.saturating_sub(1))
    }

    async fn ordinary_wait(&self) -> Duration {
        static SCRIPT: std::sync::OnceLock<redis::Script> = std::sync::OnceLock::new();
        let script = SCRIPT.get_or_init(|| redis::Script::new(GCRA_PEEK_SCRIPT));
        let mut conn = self.conn.clone();
        match script.key(&self.key).arg(self.tolerance_us(false)).invoke_async::<i64>(&mut conn).await {
            Ok(micros) => Duration::from_micros(micros.max(0) as u64),
            // Unreachable: the fallback bucket is what this process would use.
            Err(_) => self.fallback.ordinary_wait().await,
        }
    }

    async fn acquire(&self) {
        static SCRIPT: std::sync::OnceLock<redis::Script> = std::sync::OnceLock::new();
        let script = SCRIPT.get_or_init(|| redis::Script::new(GCRA_SCRIPT));
        let (interval_us, tolerance_us) = (self.interval_us(), self.tolerance_us(is_urgent()));
        loop {
            let mut conn = self.conn.clone();
            let wait: redis::RedisResult<i64> =
                script.key(&self.key).arg(interval_us).arg(tolerance_us).invoke_async(&mut conn).await;
            match wait {
                Ok(0) => return,
                Ok(micros) => tokio::time::sleep(Duration::from_micros(micros.max(1) as u64)).await,
                Err(err) => {
                    tracing::warn!(error = %err, "shared rate limiter unavailable; limiting this process only");
                    self.fallback.acquire(is_urgent()).await;
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
        let limiter = RateLimiter::pooled_per_api(80, None, "p", None, &buckets);
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

    /// A marketplace whose quota is a bucket (the web store: 40, draining 2 a second): ordinary calls go at the
    /// rate, urgent ones may spend half the bucket at once; ordinary calls after them wait for it to drain back.
    #[tokio::test]
    async fn urgent_calls_spend_the_bucket_reserve_and_ordinary_ones_keep_the_rate() {
        const SET: &str = "/admin/api/2024-01/variants/set_batch.json";
        let webstore = crate::channels::marketplace(crate::channels::ChannelKind::Webstore);
        assert_eq!(webstore.hub_reserve(), Some(20));
        let limiter = RateLimiter::for_marketplace(webstore, "reserve", None, &LocalBuckets::default());
        let started = Instant::now();
        limiter.acquire(SET).await;
        limiter.acquire(SET).await;
        let second = started.elapsed();
        assert!(second >= Duration::from_millis(450), "ordinary calls at 2 a second: {second:?}");
        let started = Instant::now();
        for _ in 0..19 {
            urgent(limiter.acquire(SET)).await;
        }
        assert!(started.elapsed() < Duration::from_millis(100), "urgent calls at once: {:?}", started.elapsed());
        urgent(limiter.acquire(SET)).await;
        assert!(started.elapsed() >= Duration::from_millis(450), "the reserve is spent: {:?}", started.elapsed());
        // Quotas counted over any one second have no reserve: urgent calls keep the rate too.
        let lazada = crate::channels::marketplace(crate::channels::ChannelKind::Lazada);
        assert_eq!(lazada.hub_reserve(), None);
        let limiter = RateLimiter::pooled(8, None, "no-reserve", None, &LocalBuckets::default());
        let started = Instant::now();
        for _ in 0..3 {
            urgent(limiter.acquire(SET)).await;
        }
        assert!(started.elapsed() >= Duration::from_millis(240), "8 a second: {:?}", started.elapsed());
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
            (RateLimiter::pooled(80, None, "k", None, &buckets), RateLimiter::pooled(80, None, "k", None, &buckets));
        let other = RateLimiter::pooled(80, None, "other", None, &buckets);
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
