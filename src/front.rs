//! The web front (issue 16): the departmental dashboard, the operator portal and the agent
//! desk, in the French State's design system (DSFR), served by this binary at `/`.
//!
//! It is a client of the public API like any other: the page (`front/index.html`) loads
//! `front/app.js`, which reads and writes only through `POST /graphql` with the signed-in
//! session's cookie, with the documents of `front/graphql/` (validated against
//! `schema.graphql` by the test suite). Everything is embedded in the binary: the front's
//! files from `front/`, and DSFR (vendored gzipped in `assets/dsfr` by
//! `scripts/update-dsfr.sh`), so nothing needs Node or the internet at build or run time.
//! A Content-Security-Policy lets the page load nothing from elsewhere.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use include_dir::{Dir, include_dir};

use crate::startup::AppState;

/// The front's own files.
static FRONT: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/front");
/// DSFR, as vendored.
static DSFR: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/assets/dsfr");

/// What the page may load: this server only.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

fn secured(mut response: Response, cache: &'static str) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// `GET /`: the page, told whether the demo sign-in page exists and whether GraphiQL does.
pub async fn page(State(state): State<Arc<AppState>>) -> Response {
    let html = FRONT
        .get_file("index.html")
        .and_then(|f| f.contents_utf8())
        .unwrap_or_default()
        .replace(
            "data-demo=\"false\"",
            &format!("data-demo=\"{}\"", state.demo),
        )
        .replace(
            "data-graphiql=\"false\"",
            &format!("data-graphiql=\"{}\"", state.graphiql),
        );
    secured(axum::response::Html(html).into_response(), "no-cache")
}

fn content_type(path: &str) -> &'static str {
    let path = path.strip_suffix(".gz").unwrap_or(path);
    match path.rsplit('.').next().unwrap_or_default() {
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "woff2" => "font/woff2",
        "graphql" => "application/graphql; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `GET /ui/{path}`: a file of the front, or of DSFR under `dsfr/`. Files stored gzipped go
/// as `Content-Encoding: gzip` to clients that accept it (every browser), inflated for the
/// others.
pub async fn asset(Path(path): Path<String>, request: HeaderMap) -> Response {
    let (dir, inner) = match path.strip_prefix("dsfr/") {
        Some(inner) => (&DSFR, inner),
        None => (&FRONT, path.as_str()),
    };
    if inner.split('/').any(|part| part.is_empty() || part == "..") {
        return StatusCode::NOT_FOUND.into_response();
    }
    let gzipped = format!("{inner}.gz");
    let (file, compressed) = match dir.get_file(&gzipped) {
        Some(file) => (file, true),
        None => match dir.get_file(inner) {
            Some(file) => (file, false),
            None => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    let accepts_gzip = request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let (mut response, compressed) = if compressed && !accepts_gzip {
        let mut inflated = Vec::new();
        match std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(file.contents()),
            &mut inflated,
        ) {
            Ok(_) => (inflated.into_response(), false),
            Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    } else {
        (file.contents().into_response(), compressed)
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(inner)),
    );
    if compressed {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    // DSFR is pinned (a new version is a new binary); the front's own files change with it.
    let cache = if path.starts_with("dsfr/") {
        "public, max-age=86400"
    } else {
        "no-cache"
    };
    secured(response, cache)
}

/// Every GraphQL document of the front, `(file name, text)`: the test suite validates them
/// against `schema.graphql`.
pub fn documents() -> Vec<(&'static str, &'static str)> {
    FRONT
        .get_dir("graphql")
        .map(|dir| {
            dir.files()
                .filter_map(|f| Some((f.path().file_name()?.to_str()?, f.contents_utf8()?)))
                .collect()
        })
        .unwrap_or_default()
}
