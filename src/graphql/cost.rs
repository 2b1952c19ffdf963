//! Query cost (Shopify's model): every request's requested cost is its complexity (each field 1, connections ×
//! their page size), charged before it runs; its actual cost is what the response holds (each field returned 1,
//! every list item counted), and the difference is given back after it ran. Both are reported in
//! `extensions.cost`. Each API token spends from a bucket that refills at a steady rate; a request costing more
//! than is left is refused with `THROTTLED` before it runs, telling the client how long to wait. The buckets are
//! per process (each API replica has its own).

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

/// The actual cost of a response: one per field it holds, counting every list item's fields.
pub fn actual_cost(data: &Value) -> usize {
    match data {
        Value::Object(fields) => fields.values().map(|v| 1 + actual_cost(v)).sum(),
        Value::List(items) => items.iter().map(actual_cost).sum(),
        _ => 0,
    }
}

impl Budget {
    /// Gives back `points` charged for work that did not happen (capped at the capacity).
    fn refund(&self, bucket: &mut Bucket, points: usize) -> f64 {
        bucket.available = (bucket.available + points as f64).min(self.capacity);
        bucket.available
    }

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
    /// What validation charged: (token, requested cost, available after the charge).
    charge: Mutex<Option<(i64, usize, Option<f64>)>>,
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

    /// Gives back to the token what it was charged beyond the actual cost; returns what it then holds.
    fn refund(&self, token_id: i64, points: usize) -> Option<f64> {
        let budget = self.budget?;
        let mut buckets = self.buckets.lock().ok()?;
        buckets.get_mut(&token_id).map(|bucket| budget.refund(bucket, points))
    }

    fn report(&self, requested: usize, actual: Option<usize>, available: Option<f64>) -> Value {
        let mut cost = value!({ "requestedQueryCost": requested });
        if let (Value::Object(fields), Some(actual)) = (&mut cost, actual) {
            fields.insert(async_graphql::Name::new("actualQueryCost"), value!(actual));
        }
        let (Some(budget), Some(available), Value::Object(fields)) = (self.budget, available, &mut cost) else {
            return cost;
        };
        let (maximum, current, restore) =
            (budget.capacity.floor() as u64, available.floor() as u64, budget.restore_per_second.floor() as u64);
        fields.insert(
            async_graphql::Name::new("throttleStatus"),
            value!({ "maximumAvailable": maximum, "currentlyAvailable": current, "restoreRate": restore }),
        );
        cost
    }
}

#[async_trait::async_trait]
impl Extension for QueryCostExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        let charged = self.charge.lock().ok().and_then(|mut c| c.take());
        let Some((token_id, requested, available)) = charged else { return response };
        let actual = actual_cost(&response.data);
        let available = match requested.checked_sub(actual) {
            Some(unused) if unused > 0 => self.refund(token_id, unused).or(available),
            _ => available,
        };
        let report = self.report(requested, Some(actual), available);
        response.extension("cost", report)
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
                    *charge = Some((principal.token_id, result.complexity, available));
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
                extensions.set("cost", self.report(result.complexity, None, Some(available)));
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
        assert_eq!(budget.spend(&mut bucket, 300, start + Duration::from_secs(60)), Ok(700.0));
        assert_eq!(budget.refund(&mut bucket, 200), 900.0, "unused points come back");
        assert_eq!(budget.refund(&mut bucket, 500), 1000.0, "never above the capacity");
    }

    #[test]
    fn the_actual_cost_counts_the_fields_a_response_holds() {
        let cases = [
            (value!(null), 0),
            (value!({ "shop": "x" }), 1),
            (value!({ "products": { "nodes": [{ "id": 1, "title": "a" }, { "id": 2, "title": "b" }] } }), 6),
            (value!({ "products": { "nodes": [] } }), 2),
            (value!({ "a": [[{ "x": 1 }], [{ "x": 2 }, { "x": 3 }]] }), 4),
        ];
        for (data, cost) in cases {
            assert_eq!(actual_cost(&data), cost, "{data}");
        }
    }
}
