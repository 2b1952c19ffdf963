//! The HTTP endpoints that are not GraphQL: marketplace webhooks, the OAuth callback, health, readiness and
//! metrics. GraphQL's own transport (POST, GraphiQL, WebSocket) stays in `graphql`.

mod health;
pub mod oauth;
pub mod webhooks;

pub use health::{healthz, metrics, readyz};
