//! The GraphiQL IDE at `GET /graphql`, built into the binary: the page and its scripts come from
//! `assets/graphiql/` (pinned upstream builds, see its README), so it works without internet, and its
//! Content-Security-Policy lets it load nothing from elsewhere. The page asks for an API token and keeps it in the
//! browser tab's `sessionStorage`; the token travels only in the `Authorization` header and in the subscription's
//! connection parameters, never in a URL. The page itself holds no data, so it needs no token to load.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

/// Our page; it loads only `/graphql/assets/…`.
const PAGE: &str = include_str!("../../assets/graphiql/index.html");

/// Scripts from this origin only (no inline script, no eval); GraphiQL sets inline styles and its fonts are
/// `data:` URLs; requests go to this origin's `/graphql` and `/graphql/ws` only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     font-src 'self' data:; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// A file served under `/graphql/assets/`.
struct Asset {
    /// The name in the URL. Vendored files carry their upstream version, so a browser may cache them for good.
    name: &'static str,
    content_type: &'static str,
    /// Pinned by version (cached for a year) or ours (revalidated, as it changes with the binary).
    immutable: bool,
    body: &'static [u8],
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every file the page loads. A fixed list: no request reaches the filesystem.
const ASSETS: &[Asset] = &[
    Asset {
        name: "react-18.3.1.production.min.js",
        content_type: JAVASCRIPT,
        immutable: true,
        body: include_bytes!("../../assets/graphiql/react.production.min.js"),
    },
    Asset {
        name: "react-dom-18.3.1.production.min.js",
        content_type: JAVASCRIPT,
        immutable: true,
        body: include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    },
    Asset {
        name: "graphiql-3.9.0.min.js",
        content_type: JAVASCRIPT,
        immutable: true,
        body: include_bytes!("../../assets/graphiql/graphiql.min.js"),
    },
    Asset {
        name: "graphiql-3.9.0.min.css",
        content_type: CSS,
        immutable: true,
        body: include_bytes!("../../assets/graphiql/graphiql.min.css"),
    },
    Asset {
        name: "omnisync-graphiql.js",
        content_type: JAVASCRIPT,
        immutable: false,
        body: include_bytes!("../../assets/graphiql/omnisync-graphiql.js"),
    },
];

/// `GET /graphql`: the IDE page.
pub async fn page() -> HttpResponse {
    super::html_page(CONTENT_SECURITY_POLICY, PAGE)
}

/// `GET /graphql/assets/{file}`: one of the files above, or 404.
pub async fn asset(path: web::Path<String>) -> HttpResponse {
    let Some(asset) = find(path.as_str()) else {
        return HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such asset");
    };
    let cache = if asset.immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
    HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(asset.body)
}

fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `src`/`href` values of the page that point at our assets.
    fn asset_references() -> Vec<&'static str> {
        PAGE.split("/graphql/assets/").skip(1).filter_map(|rest| rest.split('"').next()).collect()
    }

    fn header_of(response: &HttpResponse, name: header::HeaderName) -> String {
        response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }

    #[test]
    fn the_page_loads_every_asset_and_only_from_this_server() {
        let referenced = asset_references();
        for asset in ASSETS {
            assert!(referenced.contains(&asset.name), "the page loads {}", asset.name);
        }
        for name in &referenced {
            assert!(find(name).is_some(), "the page's {name} is served");
        }
        for external in ["http://", "https://", "//unpkg", "//cdn", "fonts.googleapis"] {
            assert!(!PAGE.contains(external), "the page names no external URL ({external})");
        }
        assert!(!PAGE.contains("<script>"), "no inline script: the CSP allows none");
    }

    #[test]
    fn the_bootstrap_keeps_the_token_out_of_urls() {
        let script = String::from_utf8_lossy(find("omnisync-graphiql.js").map(|a| a.body).unwrap_or_default());
        assert!(script.contains("sessionStorage"));
        assert!(script.contains("Authorization: authorization"));
        assert!(script.contains("wsConnectionParams"));
        assert!(!script.contains("?token") && !script.contains("searchParams"), "no token in a query string");
    }

    #[test]
    fn unknown_and_traversing_names_are_not_found() {
        for name in ["", "graphiql.min.js", "../Cargo.toml", "..%2FCargo.toml", "index.html", "README.md"] {
            assert!(find(name).is_none(), "{name:?} is not an asset");
        }
    }

    #[tokio::test]
    async fn the_page_is_never_cached_and_carries_a_strict_policy() {
        let response = page().await;
        assert_eq!(response.status(), actix_web::http::StatusCode::OK);
        assert_eq!(header_of(&response, header::CACHE_CONTROL), "no-store");
        let policy = header_of(&response, header::CONTENT_SECURITY_POLICY);
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert!(policy.contains("default-src 'none'"), "{policy}");
    }

    #[tokio::test]
    async fn assets_are_served_with_their_type_and_cache_lifetime() {
        let response = asset(web::Path::from("graphiql-3.9.0.min.js".to_owned())).await;
        assert_eq!(response.status(), actix_web::http::StatusCode::OK);
        assert_eq!(header_of(&response, header::CONTENT_TYPE), JAVASCRIPT);
        assert_eq!(header_of(&response, header::CACHE_CONTROL), "public, max-age=31536000, immutable");
        let missing = asset(web::Path::from("nope.js".to_owned())).await;
        assert_eq!(missing.status(), actix_web::http::StatusCode::NOT_FOUND);
    }
}
