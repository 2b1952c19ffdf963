//! Query cost (Shopify's model): every request's requested cost is its complexity (each field 1, connections ×
//! their page size), charged before it runs; its actual cost is what the response holds (each field returned 1,
//! every list item counted), and the difference is given back after it ran. Both are reported in
//! `extensions.cost`. Each API token spends from a bucket that refills at a steady rate; a request costing more
//! than is left is refused with `THROTTLED` before it runs, telling the client how long to wait. The buckets are
//! per process (each API replica has its own).
//!
//! Where the complexity comes from: only async-graphql's validation computes it, and only an extension sees it;
//! but while a schema has any extension every field of every response runs through the extension chain (over a
//! quarter of a catalog page's CPU, docs/performance.md). So the schema that executes has none, and a second
//! schema of the same types (`CostMeter::probe`), whose one extension records the complexity and stops before
//! execution, validates each operation first: the document is parsed once and validated twice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextValidation};
use async_graphql::{Request, Response, ServerError, ValidationResult, Value, value};

use super::AppSchema;
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

/// Measures, charges and reports the query cost of the operations of one process's API.
pub struct CostMeter {
    /// The API's schema with `ComplexityProbe`: validates, records the complexity, executes nothing.
    probe: AppSchema,
    /// `None`: costs are reported, nothing is refused.
    budget: Option<Budget>,
    buckets: Mutex<HashMap<i64, Bucket>>,
}

/// What an operation was charged, to settle once it ran.
#[derive(Debug)]
pub struct Charged {
    token_id: i64,
    requested: usize,
    available: Option<f64>,
}

/// Where the probe puts the complexity it measured, in its (otherwise empty) response.
const COMPLEXITY: &str = "complexity";

impl CostMeter {
    /// `probe`: a schema of the API's types whose one extension is `ComplexityProbe`.
    pub fn new(probe: AppSchema, budget: Option<Budget>) -> Self {
        Self { probe, budget, buckets: Mutex::default() }
    }

    /// Validates the operation and charges its token. `Err`: the response to send instead of executing it (the
    /// validation's errors, or THROTTLED). `Ok(None)`: no caller to charge (outside the transports).
    pub async fn charge(
        &self,
        request: &mut Request,
        principal: Option<&Principal>,
    ) -> Result<Option<Charged>, Response> {
        let Some(principal) = principal else { return Ok(None) };
        let document = request.parsed_query().map_err(|e| Response::from_errors(vec![e]))?.clone();
        let mut probe = Request::new(request.query.clone()).variables(request.variables.clone());
        probe.operation_name = request.operation_name.clone();
        probe.set_parsed_query(document);
        let probed = self.probe.execute(probe).await;
        if probed.is_err() {
            return Err(probed);
        }
        let requested = match probed.extensions.get(COMPLEXITY) {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(0) as usize,
            _ => 0,
        };
        match self.spend(principal.token_id, requested) {
            Ok(available) => Ok(Some(Charged { token_id: principal.token_id, requested, available })),
            Err(available) => Err(self.throttled(requested, available)),
        }
    }

    /// Gives back what the operation was charged beyond its actual cost and reports both in `extensions.cost`.
    pub fn settle(&self, charged: Option<Charged>, response: Response) -> Response {
        let Some(Charged { token_id, requested, available }) = charged else { return response };
        let actual = actual_cost(&response.data);
        let available = match requested.checked_sub(actual) {
            Some(unused) if unused > 0 => self.refund(token_id, unused).or(available),
            _ => available,
        };
        let report = self.report(requested, Some(actual), available);
        response.extension("cost", report)
    }

    /// Charges the token; `Err(available)` when the bucket holds less than the cost.
    fn spend(&self, token_id: i64, cost: usize) -> Result<Option<f64>, f64> {
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

    fn throttled(&self, requested: usize, available: f64) -> Response {
        let restore = self.budget.map(|b| b.restore_per_second).unwrap_or(1.0).max(f64::MIN_POSITIVE);
        let wait = ((requested as f64 - available) / restore).ceil();
        let mut error = ServerError::new(
            format!(
                "Throttled: this query costs {requested}, the token has {} left; retry in {wait} s",
                available.floor()
            ),
            None,
        );
        let mut extensions = async_graphql::ErrorExtensionValues::default();
        extensions.set("code", "THROTTLED");
        extensions.set("cost", self.report(requested, None, Some(available)));
        error.extensions = Some(extensions);
        Response::from_errors(vec![error])
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

/// The probe schema's extension: keeps the complexity the validation computed and answers with it, in place of
/// executing the operation.
pub struct ComplexityProbe;

impl ExtensionFactory for ComplexityProbe {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ComplexityProbeExtension { complexity: Mutex::new(0) })
    }
}

struct ComplexityProbeExtension {
    complexity: Mutex<usize>,
}

#[async_trait::async_trait]
impl Extension for ComplexityProbeExtension {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if let Ok(mut complexity) = self.complexity.lock() {
            *complexity = result.complexity;
        }
        Ok(result)
    }

    async fn execute(&self, _ctx: &ExtensionContext<'_>, _operation: Option<&str>, _next: NextExecute<'_>) -> Response {
        let complexity = self.complexity.lock().map(|c| *c).unwrap_or(0);
        Response::default().extension(COMPLEXITY, value!(complexity))
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
