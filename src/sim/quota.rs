//! Request quotas as a marketplace enforces them: a request over the quota gets the marketplace's own
//! rate-limit answer, so a hub that limits itself wrongly meets refusals here before it meets them in production.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// How a marketplace counts requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quota {
    /// At most `limit` requests in any one-second interval (the strictest reading of "N per second"), per API
    /// (`per_api`) or for the whole shop.
    PerSecond { limit: usize, per_api: bool },
    /// A leaky bucket of `capacity` requests, draining `per_second`.
    Bucket { capacity: f64, per_second: f64 },
}

const WINDOW: Duration = Duration::from_secs(1);

/// The requests a simulator has admitted, for its quota.
#[derive(Debug, Default)]
pub struct QuotaCounter {
    windows: HashMap<String, VecDeque<Instant>>,
    bucket: Option<(f64, Instant)>,
    refused: u64,
}

impl QuotaCounter {
    /// Counts a request to `path` at `now`, or refuses it (not counted) when the quota is used up.
    pub fn admit(&mut self, quota: Quota, path: &str, now: Instant) -> bool {
        let admitted = match quota {
            Quota::PerSecond { limit, per_api } => {
                let key = if per_api { api_key(path) } else { String::new() };
                let window = self.windows.entry(key).or_default();
                while window.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                    window.pop_front();
                }
                let admitted = window.len() < limit;
                if admitted {
                    window.push_back(now);
                }
                admitted
            }
            Quota::Bucket { capacity, per_second } => {
                let (level, at) = self.bucket.unwrap_or((0.0, now));
                let level = (level - now.duration_since(at).as_secs_f64() * per_second).max(0.0);
                let admitted = level + 1.0 <= capacity;
                self.bucket = Some((if admitted { level + 1.0 } else { level }, now));
                admitted
            }
        };
        if !admitted {
            self.refused += 1;
        }
        admitted
    }

    /// Requests refused so far.
    pub fn refused(&self) -> u64 {
        self.refused
    }
}

/// The API a path names: numeric segments (ids) are one API.
fn api_key(path: &str) -> String {
    path.split('/')
        .map(|s| if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) { "{id}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_the_limit_in_any_second_per_api() {
        let quota = Quota::PerSecond { limit: 3, per_api: true };
        let mut counter = QuotaCounter::default();
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert!(counter.admit(quota, "/product/1/update", at(0)));
        assert!(counter.admit(quota, "/product/2/update", at(100)));
        assert!(counter.admit(quota, "/product/3/update", at(900)));
        assert!(!counter.admit(quota, "/product/4/update", at(950)), "a fourth within one second");
        assert!(counter.admit(quota, "/orders/get", at(950)), "another API has its own quota");
        assert!(counter.admit(quota, "/product/4/update", at(1000)), "the first has left the window");
        assert!(!counter.admit(quota, "/product/5/update", at(1050)));
        assert_eq!(counter.refused(), 2);
    }

    #[test]
    fn one_quota_for_the_shop_when_not_per_api() {
        let quota = Quota::PerSecond { limit: 2, per_api: false };
        let mut counter = QuotaCounter::default();
        let t0 = Instant::now();
        assert!(counter.admit(quota, "/a", t0));
        assert!(counter.admit(quota, "/b", t0));
        assert!(!counter.admit(quota, "/c", t0));
    }

    #[test]
    fn a_leaky_bucket_takes_its_capacity_then_its_rate() {
        let quota = Quota::Bucket { capacity: 4.0, per_second: 2.0 };
        let mut counter = QuotaCounter::default();
        let t0 = Instant::now();
        for _ in 0..4 {
            assert!(counter.admit(quota, "/x", t0));
        }
        assert!(!counter.admit(quota, "/x", t0), "full");
        assert!(!counter.admit(quota, "/x", t0 + Duration::from_millis(400)), "not yet drained by one");
        assert!(counter.admit(quota, "/x", t0 + Duration::from_millis(500)), "one drained");
    }
}
