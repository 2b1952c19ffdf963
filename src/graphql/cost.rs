//! Query cost (Shopify's model): every request's cost is its complexity (each field 1, connections × their page
//! size), reported in `extensions.cost`; each API token spends from a bucket that refills at a steady rate, and
//! a request costing more than is left is refused with `THROTTLED` before it runs, telling the client how long to
//! wait. The buckets are per process (each API replica has its own).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest, NextValidation};
use async_graphql::{Response, ServerError, ValidationResult, Value, value};

use super::auth::Principal;

/// A token's budget: `capacity` points, refilled at `restore_per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    pub capacity: f64,
    pub restore_per_second: f64,
}

/// One token's bucket at a moment.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bucket {
    available: f64,
    at: Instant,
}

/// What a client is told after a request: the cost and what is left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Charge {
    pub requested: usize,
    pub available: f64,
    pub budget: Budget,
}

impl Budget {
    /// Spends `cost` from `bucket` at `now` if it holds that much; either way returns what is left.
    fn spend(&self, bucket: &mut Bucket, cost: usize, now: Instant) -> Result<f64, f64> {
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.available = (bucket.available + elapsed * self.restore_per_second).min(self.capacity);
        bucket.at = now;
        let cost = cost as f64;
        if cost <= bucket.available {
            bucket.available -= cost;
            Ok(bucket.available)
        } else {
            Err(bucket.available)
        }
    }
}

/// The schema extension; `budget: None` reports costs without refusing any.
pub struct QueryCost {
    budget: Option<Budget>,
    buckets: Arc<Mutex<HashMap<i64, Bucket>>>,
}

impl QueryCost {
    pub fn new(budget: Option<Budget>) -> Self {
        Self { budget, buckets: Arc::default() }
    }
}

impl ExtensionFactory for QueryCost {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QueryCostExtension { budget: self.budget, buckets: self.buckets.clone(), charge: Mutex::new(None) })
    }
}

struct QueryCostExtension {
    budget: Option<Budget>,
    buckets: Arc<Mutex<HashMap<i64, Bucket>>>,
    charge: Mutex<Option<(usize, Option<f64>)>>,
}

impl QueryCostExtension {
    /// Charges the token; `Err(available)` when the bucket holds less than the cost.
    fn charge(&self, token_id: i64, cost: usize) -> Result<Option<f64>, f64> {
        let Some(budget) = self.budget else { return Ok(None) };
        let now = Instant::now();
        let mut buckets = self.buckets.lock().map_err(|_| 0.0)?;
        let bucket = buckets.entry(token_id).or_insert(Bucket { available: budget.capacity, at: now });
        budget.spend(bucket, cost, now).map(Some)
    }

    fn report(&self, requested: usize, available: Option<f64>) -> Value {
        let Some((budget, available)) = self.budget.zip(available) else {
            return value!({ "requestedQueryCost": requested });
        };
        let (maximum, current, restore) =
            (budget.capacity.floor() as u64, available.floor() as u64, budget.restore_per_second.floor() as u64);
        value!({
            "requestedQueryCost": requested,
            "throttleStatus": { "maximumAvailable": maximum, "currentlyAvailable": current, "restoreRate": restore },
        })
    }
}

#[async_trait::async_trait]
impl Extension for QueryCostExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        let charged = self.charge.lock().ok().and_then(|mut c| c.take());
        match charged {
            Some((requested, available)) => response.extension("cost", self.report(requested, available)),
            None => response,
        }
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        // Without a principal the schema runs outside the HTTP layer (SDL export, tests of the schema alone).
        let Some(principal) = ctx.data_opt::<Principal>() else { return Ok(result) };
        match self.charge(principal.token_id, result.complexity) {
            Ok(available) => {
                if let Ok(mut charge) = self.charge.lock() {
                    *charge = Some((result.complexity, available));
                }
                Ok(result)
            }
            Err(available) => {
                let budget = self.budget.map(|b| b.restore_per_second).unwrap_or(1.0).max(f64::MIN_POSITIVE);
                let wait = ((result.complexity as f64 - available) / budget).ceil();
                let mut error = ServerError::new(
                    format!(
                        "Throttled: this query costs {}, the token has {} left; retry in {wait} s",
                        result.complexity,
                        available.floor()
                    ),
                    None,
                );
                let mut extensions = async_graphql::ErrorExtensionValues::default();
                extensions.set("code", "THROTTLED");
                extensions.set("cost", self.report(result.complexity, Some(available)));
                error.extensions = Some(extensions);
                Err(vec![error])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_bucket_spends_refills_at_its_rate_and_never_exceeds_its_capacity() {
        let budget = Budget { capacity: 1000.0, restore_per_second: 100.0 };
        let start = Instant::now();
        let mut bucket = Bucket { available: 1000.0, at: start };
        assert_eq!(budget.spend(&mut bucket, 600, start), Ok(400.0));
        assert_eq!(budget.spend(&mut bucket, 500, start), Err(400.0), "too dear: nothing spent");
        assert_eq!(budget.spend(&mut bucket, 500, start + Duration::from_secs(1)), Ok(0.0), "refilled by 100");
        assert_eq!(budget.spend(&mut bucket, 0, start + Duration::from_secs(60)), Ok(1000.0), "capped");
    }
}
