//! What every operation goes through before the schema executes it, on HTTP and WebSocket alike
//! (`HubExecutor`, async-graphql's `Executor`): automatic persisted queries, the per-operation scope check, the
//! query cost (`cost::CostMeter`), and one tracing span per operation.
//!
//! Why not schema extensions: while a schema has any extension, async-graphql runs every field and every list item
//! of a response through the extension chain (a `ResolveInfo` built from two registry lookups, a boxed future per
//! extension), whether the extension looks at fields or not; on a page of 50 products that was over a quarter of
//! the request's CPU (docs/performance.md). None of these needs a field: they read the request before execution.
//! The query cost is measured on a second schema, which executes nothing (`cost`).

use std::sync::Arc;

use async_graphql::extensions::apollo_persisted_queries::{CacheStorage, LruCacheStorage};
use async_graphql::futures_util::stream::{self, BoxStream, StreamExt};
use async_graphql::{Data, ErrorExtensionValues, Executor, Request, Response, ServerError};
use sha2::Digest;
use tracing::Instrument;

use super::AppSchema;
use super::auth::{Principal, forbidden_message, required_scope};
use super::cost::CostMeter;
use crate::services::api_tokens::rank;

/// Persisted queries remembered per process (the least recently used go first).
const PERSISTED_QUERIES: usize = 1000;

/// The schema behind the hub's checks (`graphql::executor()` builds it). Cheap to clone (all is shared).
#[derive(Clone)]
pub struct HubExecutor {
    schema: AppSchema,
    cost: Arc<CostMeter>,
    persisted: LruCacheStorage,
}

impl HubExecutor {
    pub fn new(schema: AppSchema, cost: CostMeter) -> Self {
        Self { schema, cost: Arc::new(cost), persisted: LruCacheStorage::new(PERSISTED_QUERIES) }
    }

    /// The request, ready for the schema: its persisted query resolved, parsed, and refused when the caller's
    /// scope does not cover an operation of the document. `principal` is `None` only outside the transports.
    async fn prepare(&self, mut request: Request, principal: Option<&Principal>) -> Result<Request, ServerError> {
        request = self.persisted_query(request).await?;
        let document = request.parsed_query()?;
        let Some(principal) = principal else { return Ok(request) };
        for (_, operation) in document.operations.iter() {
            let needed = required_scope(operation.node.ty);
            if rank(principal.scope) < rank(needed) {
                let mut error =
                    ServerError::new(forbidden_message("this operation", needed, Some(principal.scope)), None);
                let mut extensions = ErrorExtensionValues::default();
                extensions.set("code", "FORBIDDEN");
                error.extensions = Some(extensions);
                return Err(error);
            }
        }
        Ok(request)
    }

    /// Apollo's automatic persisted queries (`extensions.persistedQuery`, version 1): a request with the hash and no
    /// text takes the text this process saw with that hash, or fails with `PersistedQueryNotFound` so the client
    /// sends the text; a request with both is checked (the hash must be the text's SHA-256) and remembered.
    async fn persisted_query(&self, mut request: Request) -> Result<Request, ServerError> {
        let Some(value) = request.extensions.remove("persistedQuery") else { return Ok(request) };
        let persisted: PersistedQuery = async_graphql::from_value(value)
            .map_err(|_| ServerError::new("Invalid \"PersistedQuery\" extension configuration.", None))?;
        if persisted.version != 1 {
            return Err(ServerError::new(
                format!(
                    "Only the \"PersistedQuery\" extension of version \"1\" is supported, and the current version is \"{}\".",
                    persisted.version
                ),
                None,
            ));
        }
        if request.query.is_empty() {
            let document = self
                .persisted
                .get(persisted.sha256_hash)
                .await
                .ok_or_else(|| ServerError::new("PersistedQueryNotFound", None))?;
            request.set_parsed_query(document);
            return Ok(request);
        }
        let hash = format!("{:x}", sha2::Sha256::digest(request.query.as_bytes()));
        if persisted.sha256_hash != hash {
            return Err(ServerError::new("provided sha does not match query", None));
        }
        let document = request.parsed_query()?.clone();
        self.persisted.set(hash, document).await;
        Ok(request)
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PersistedQuery {
    version: i32,
    sha256_hash: String,
}

fn principal_in(data: &Data) -> Option<&Principal> {
    data.get(&std::any::TypeId::of::<Principal>()).and_then(|value| value.downcast_ref::<Principal>())
}

impl Executor for HubExecutor {
    /// A query or mutation (HTTP carries the caller in the request's data).
    async fn execute(&self, request: Request) -> Response {
        let span = tracing::info_span!(
            "graphql",
            operation = request.operation_name.as_deref().unwrap_or("anonymous"),
            errors = tracing::field::Empty
        );
        let started = std::time::Instant::now();
        let response = async {
            let principal = principal_in(&request.data).cloned();
            let mut request = match self.prepare(request, principal.as_ref()).await {
                Ok(request) => request,
                Err(error) => return Response::from_errors(vec![error]),
            };
            match self.cost.charge(&mut request, principal.as_ref()).await {
                Ok(charged) => self.cost.settle(charged, self.schema.execute(request).await),
                Err(refused) => refused,
            }
        }
        .instrument(span.clone())
        .await;
        span.record("errors", response.errors.len());
        tracing::debug!(parent: &span, took_ms = started.elapsed().as_millis() as u64, "graphql operation");
        response
    }

    /// Any operation over the WebSocket (the caller is in the connection's data, from `connection_init`).
    fn execute_stream(&self, request: Request, session_data: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        let this = self.clone();
        stream::once(async move {
            let principal = session_data.as_deref().and_then(principal_in).cloned();
            let mut request = match this.prepare(request, principal.as_ref()).await {
                Ok(request) => request,
                Err(error) => return stream::once(async move { Response::from_errors(vec![error]) }).boxed(),
            };
            // Charged when it starts; a stream's cost is not settled (it has no one response to count).
            match this.cost.charge(&mut request, principal.as_ref()).await {
                Ok(_) => this.schema.execute_stream_with_session_data(request, session_data.unwrap_or_default()),
                Err(refused) => stream::once(async move { refused }).boxed(),
            }
        })
        .flatten()
        .boxed()
    }
}
