//! The few pages of signing in: plain HTML, no script, every value escaped.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// `text` with HTML's special characters escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A page titled `title` around `body` (already escaped HTML).
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} — maillage</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;\
         padding:0 1rem;line-height:1.5;color:#161616}}h1{{font-size:1.5rem}}\
         button,a.button{{font:inherit;padding:.5rem 1rem;margin:.25rem 0;background:#000091;\
         color:#fff;border:0;cursor:pointer;text-decoration:none;display:inline-block}}\
         li{{margin:.5rem 0}}</style></head>\
         <body><main><h1>{title}</h1>{body}</main></body></html>",
        title = escape(title),
    );
    let mut response = (status, Html(html)).into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

/// A refusal page: what happened, and a link to try again.
pub fn refusal(status: StatusCode, title: &str, reason: &str) -> Response {
    page(
        status,
        title,
        &format!(
            "<p>{}</p><p><a href=\"/auth/login\">Sign in again</a></p>",
            escape(reason)
        ),
    )
}
