//! GraphiQL served by maillage itself (issue 11): GraphiQL and React at pinned versions,
//! vendored gzipped in `assets/graphiql` by `scripts/update-graphiql.sh` and embedded in the
//! binary, so that it works on a network with no internet; a Content-Security-Policy lets
//! the page load nothing from elsewhere. Served when [`crate::config::ServeConfig::graphiql`]
//! says so (on in demo mode, off otherwise).

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The versions embedded (first lines of `assets/graphiql/VERSIONS`).
pub const VERSIONS: &str = include_str!("../../assets/graphiql/VERSIONS");

/// What the page may load: this server only.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

/// `(name, bytes, content type, gzipped)`.
const ASSETS: [(&str, &[u8], &str, bool); 5] = [
    (
        "graphiql.min.js",
        include_bytes!("../../assets/graphiql/graphiql.min.js.gz"),
        "text/javascript; charset=utf-8",
        true,
    ),
    (
        "graphiql.min.css",
        include_bytes!("../../assets/graphiql/graphiql.min.css.gz"),
        "text/css; charset=utf-8",
        true,
    ),
    (
        "react.production.min.js",
        include_bytes!("../../assets/graphiql/react.production.min.js.gz"),
        "text/javascript; charset=utf-8",
        true,
    ),
    (
        "react-dom.production.min.js",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js.gz"),
        "text/javascript; charset=utf-8",
        true,
    ),
    (
        "init.js",
        include_bytes!("../../assets/graphiql/init.js"),
        "text/javascript; charset=utf-8",
        false,
    ),
];

/// The page (`GET /graphql`).
pub fn page() -> Response {
    let html = r#"<!doctype html>
<html lang="fr">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>maillage · GraphiQL</title>
  <link rel="stylesheet" href="/graphiql/graphiql.min.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Chargement de GraphiQL…</div>
  <script src="/graphiql/react.production.min.js"></script>
  <script src="/graphiql/react-dom.production.min.js"></script>
  <script src="/graphiql/graphiql.min.js"></script>
  <script src="/graphiql/init.js"></script>
</body>
</html>
"#;
    let mut response = axum::response::Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /graphiql/{name}`: one embedded asset (gzipped ones as `Content-Encoding: gzip`,
/// which every browser accepts).
pub async fn asset(Path(name): Path<String>) -> Response {
    let Some((_, bytes, content_type, gzipped)) = ASSETS.iter().find(|(n, ..)| *n == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = (*bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if *gzipped {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
