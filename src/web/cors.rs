//! CORS for browser front-ends served from other origins (`OMNISYNC_CORS_ORIGINS`). Only the listed origins get
//! CORS headers (and preflights answered); other origins get none, so a browser refuses them, while clients that are
//! not browsers (and same-origin pages such as GraphiQL) are served as before.

use actix_cors::Cors;
use actix_web::http::{Method, header};

/// Preflight answers are cached by browsers this long (seconds).
const PREFLIGHT_MAX_AGE: usize = 600;

/// The middleware for `origins` (each already checked by `parse_origin`).
pub fn middleware(origins: &[String]) -> Cors {
    origins.iter().fold(
        Cors::default()
            .allowed_methods([Method::GET, Method::POST, Method::OPTIONS])
            .allowed_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                header::HeaderName::from_static("x-request-id"),
                header::HeaderName::from_static("idempotency-key"),
            ])
            .expose_headers([header::HeaderName::from_static("x-request-id")])
            .max_age(PREFLIGHT_MAX_AGE),
        |cors, origin| cors.allowed_origin(origin),
    )
}

/// An allowed origin as browsers send it (`https://shop.example.com`, `http://localhost:5173`): a scheme, a host and
/// an optional port, nothing else. Refused at start otherwise, since a typo would silently allow nothing.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let text = text.trim().trim_end_matches('/');
    let url = url::Url::parse(text).map_err(|e| format!("\"{text}\" is not an origin ({e})"))?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty();
    if !plain {
        return Err(format!("\"{text}\" is not an origin: use scheme://host[:port], e.g. https://shop.example.com"));
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        assert_eq!(parse_origin("https://shop.example.com/").as_deref(), Ok("https://shop.example.com"));
        assert_eq!(parse_origin(" http://localhost:5173 ").as_deref(), Ok("http://localhost:5173"));
        assert_eq!(parse_origin("HTTPS://Shop.Example.com:443").as_deref(), Ok("https://shop.example.com"));
        for bad in ["shop.example.com", "ftp://x.org", "https://x.org/app", "https://x.org?a=1", "*", ""] {
            assert!(parse_origin(bad).is_err(), "{bad} accepted");
        }
    }
}
