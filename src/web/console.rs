//! The merchant console: a front-end app of our own GraphQL API (`assets/console/`, Preact + htm as plain ES
//! modules, no build step), served at `GET /` with its files under `/console/…`. It reads and writes only through
//! `/graphql` and `/graphql/ws`, so the page holds no data and needs no token to load; the token it asks for stays
//! in the tab's `sessionStorage`.
//!
//! The files are built into release binaries (rust-embed), so the console works offline from one file; debug
//! builds read them from `assets/console/` on each request, so editing the console needs no rebuild.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "$CARGO_MANIFEST_DIR/assets/console/"]
#[exclude = "*.md"]
struct ConsoleFiles;

/// Scripts, styles and connections from this origin only: no inline script or style, no eval, nothing from a CDN.
/// WebSocket subscriptions go to this origin's `/graphql/ws` (`'self'` covers `ws:`/`wss:` of the same host).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Vendored files carry their upstream version in their name, so a browser may keep them for good.
const VENDORED: &str = "vendor/";

/// `GET /`: the console's page. Never cached, so a new binary's page is what a browser loads.
pub async fn page() -> HttpResponse {
    let Some(file) = ConsoleFiles::get("index.html") else {
        return not_found();
    };
    super::html_page(CONTENT_SECURITY_POLICY, file.data.into_owned())
}

/// `GET /console/{path}`: one of the console's files, or 404. Ours are revalidated by their hash (`ETag`).
pub async fn file(request: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let Some(name) = servable(path.as_str()) else {
        return not_found();
    };
    let Some(file) = ConsoleFiles::get(name) else {
        return not_found();
    };
    let etag = format!("\"{}\"", hex::encode(file.metadata.sha256_hash()));
    let cache = if name.starts_with(VENDORED) { "public, max-age=31536000, immutable" } else { "no-cache" };
    let unchanged = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    let mut response = if unchanged { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if unchanged {
        return response.finish();
    }
    response.content_type(content_type(name)).body(file.data.into_owned())
}

/// A request path naming a file of the console: relative, no `..`, no backslash. The page itself is `GET /`.
fn servable(path: &str) -> Option<&str> {
    let clean = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && path.split('/').all(|segment| !segment.is_empty() && segment != "." && segment != "..");
    (clean && path != "index.html").then_some(path)
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "text/plain; charset=utf-8",
    }
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such file")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_are_servable() {
        for bad in
            ["", "/etc/passwd", "../Cargo.toml", "vendor/../../Cargo.toml", "a//b", "./app.js", "a\\b", "index.html"]
        {
            assert_eq!(servable(bad), None, "{bad:?}");
        }
        assert_eq!(servable("vendor/x-1.0.js"), Some("vendor/x-1.0.js"));
    }

    #[test]
    fn the_page_loads_only_files_of_this_server_and_runs_no_inline_script() {
        let page = ConsoleFiles::get("index.html").expect("the console's page");
        let page = String::from_utf8_lossy(&page.data).into_owned();
        for external in ["http://", "https://", "//unpkg", "//cdn", "fonts.googleapis"] {
            assert!(!page.contains(external), "the page names no external URL ({external})");
        }
        assert!(!page.contains("<script>") && !page.contains("style="), "nothing inline: the CSP allows none");
        let referenced: Vec<&str> = page.split("/console/").skip(1).filter_map(|rest| rest.split('"').next()).collect();
        assert!(!referenced.is_empty(), "the page loads its script");
        for name in referenced {
            assert!(ConsoleFiles::get(name).is_some(), "the page's {name} is served");
        }
    }

    #[test]
    fn every_script_imports_only_files_of_this_server() {
        for name in ConsoleFiles::iter().filter(|n| n.ends_with(".js") && !n.starts_with(VENDORED)) {
            let file = ConsoleFiles::get(&name).expect("listed");
            let source = String::from_utf8_lossy(&file.data).into_owned();
            for import in source.split("from \"").chain(source.split("from '")).skip(1) {
                let target = import.split(['"', '\'']).next().unwrap_or_default();
                if let Some(served) = target.strip_prefix("/console/") {
                    assert!(ConsoleFiles::get(served).is_some(), "{name} imports {target}, which is served");
                } else {
                    assert!(!target.contains("://"), "{name} imports nothing from elsewhere: {target}");
                }
            }
        }
    }
}
