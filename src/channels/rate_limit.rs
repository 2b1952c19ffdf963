//! Per-channel request rate limiting. In one process: a token bucket. With Redis: a shared one-second window
//! (`INCR` on a per-second key), so several worker processes together stay within the marketplace's quota.

use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;
use tokio::sync::Mutex;

#[derive(Clone)]
pub enum RateLimiter {
    Unlimited,
    Local(Arc<LocalBucket>),
    Shared(Arc<SharedWindow>),
}

impl RateLimiter {
    /// `per_second` requests per second for the channel `key`; shared through Redis when `redis` is given.
    pub fn new(per_second: u32, key: &str, redis: Option<ConnectionManager>) -> Self {
        let per_second = per_second.max(1);
        match redis {
            Some(conn) => Self::Shared(Arc::new(SharedWindow {
                conn,
                key: format!("omnisync:ratelimit:{key}"),
                per_second,
                fallback: LocalBucket::new(per_second),
            })),
            None => Self::Local(Arc::new(LocalBucket::new(per_second))),
        }
    }

    /// Waits until one more request is allowed.
    pub async fn acquire(&self) {
        match self {
            Self::Unlimited => {}
            Self::Local(bucket) => bucket.acquire().await,
            Self::Shared(window) => window.acquire().await,
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
    fallback: LocalBucket,
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

    #[tokio::test]
    async fn a_local_bucket_spreads_requests_over_time() {
        let limiter = RateLimiter::new(20, "t", None);
        let started = Instant::now();
        for _ in 0..30 {
            limiter.acquire().await;
        }
        // 20 immediately (burst), the next 10 at 20/s: about half a second.
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    }
}
