//! One log line per HTTP request: its id (the client's `x-request-id`, or a new one, sent back either way), method,
//! route template (never ids), status, latency, and for GraphQL the operation name. Everything logged while the
//! request is served carries the same id (its span).

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument as _;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A client's request id is kept if it is short printable ASCII; otherwise a new one is made.
fn request_id(given: Option<&HeaderValue>) -> String {
    given
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| ulid::Ulid::generate().to_string(), str::to_owned)
}

pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request_id(req.headers().get(REQUEST_ID));
    let method = req.method().to_string();
    // The route's template (`/webhooks/{channel_id}`), so a log line never carries a path's ids.
    let path = req.match_pattern().unwrap_or_else(|| "(no route)".to_owned());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        path = %path,
        operation = tracing::field::Empty
    );
    let started = Instant::now();
    let mut response = next.call(req).instrument(span.clone()).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| tracing::info!(status, latency_ms, "request"));
    Ok(response)
}

/// Names the GraphQL operation on the request's log line.
pub fn record_operation(name: &str) {
    tracing::Span::current().record("operation", name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_request_id_is_kept_when_sane_and_replaced_otherwise() {
        assert_eq!(request_id(Some(&HeaderValue::from_static("abc-123"))), "abc-123");
        assert_eq!(request_id(None).len(), 26, "a ULID");
        assert_eq!(request_id(Some(&HeaderValue::from_static("has space"))).len(), 26);
        let long = HeaderValue::from_str(&"x".repeat(200)).expect("header");
        assert_eq!(request_id(Some(&long)).len(), 26);
    }
}
