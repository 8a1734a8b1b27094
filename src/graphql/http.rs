//! The HTTP side of GraphQL: authentication of the bearer token, per-request data, one
//! tracing span per operation.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ErrorExtensions, ServerError};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::context::RequestData;
use super::limits::{self, Requester};
use super::loaders::Loaders;
use crate::auth::{Actor, StructureScope};
use crate::error::AppError;
use crate::service::{api_keys, sessions, users};
use crate::startup::AppState;

/// `POST /graphql`.
///
/// GraphQL over HTTP: a client that accepts `application/graphql-response+json` gets it, with
/// a 4xx status for a request that failed before execution (400; 401 unauthenticated; 429
/// rate-limited); any other client (`application/json`, `*/*` or no `Accept`) gets
/// `application/json` and 200 for every well-formed GraphQL response, as before the draft.
pub async fn graphql(
    state: State<Arc<AppState>>,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    request: GraphQLRequest<BadRequest>,
) -> Response {
    let graphql_response = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/graphql-response+json"));
    let started = Instant::now();
    let mut request = request;
    // Parsed here once (or copied from the kept parse of the same text), for the execution.
    let document = state.documents.prepare(&mut request.0);
    // The operation's name: sent, or the one named operation of the document.
    let name = request.0.operation_name.clone().or_else(|| {
        let mut named = document
            .as_deref()?
            .operations
            .iter()
            .filter_map(|(name, _)| name);
        named
            .next()
            .filter(|_| named.next().is_none())
            .map(|n| n.to_string())
    });
    let operation = crate::metrics::operation_label(name.as_deref(), &request.0.query);
    let mut response = execute(state, peer, headers, request, document, &operation).await;
    let code = response
        .extensions()
        .get::<Outcome>()
        .map_or("OK", |o| o.0.as_str());
    crate::metrics::request(&operation, code, started.elapsed().as_secs_f64());
    let media = if graphql_response {
        if let Some(RequestError(status)) = response.extensions().get::<RequestError>().copied()
            && response.status() == StatusCode::OK
        {
            *response.status_mut() = status;
        }
        "application/graphql-response+json"
    } else {
        "application/json"
    };
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    response
}

/// The code a response ended with (its first error's, `OK` without error), for the metrics.
#[derive(Clone)]
struct Outcome(String);

/// The code of `error`, if it has one.
fn code_of(error: &async_graphql::ServerError) -> Option<&str> {
    error
        .extensions
        .as_ref()
        .and_then(|e| e.get("code"))
        .and_then(|c| match c {
            async_graphql::Value::String(s) => Some(s.as_str()),
            _ => None,
        })
}

/// Marks a response whose request failed before execution, with the status the GraphQL over
/// HTTP draft gives it.
#[derive(Clone, Copy)]
struct RequestError(StatusCode);

impl RequestError {
    /// The status of a request refused with `code`.
    fn of(code: Option<&str>) -> Self {
        Self(match code {
            Some("UNAUTHENTICATED") => StatusCode::UNAUTHORIZED,
            Some("RATE_LIMITED") => StatusCode::TOO_MANY_REQUESTS,
            Some("UNAVAILABLE") => StatusCode::SERVICE_UNAVAILABLE,
            Some("INTERNAL") => StatusCode::INTERNAL_SERVER_ERROR,
            Some("TIMEOUT") => StatusCode::GATEWAY_TIMEOUT,
            _ => StatusCode::BAD_REQUEST,
        })
    }
}

/// Runs one request (see [`graphql`]).
async fn execute(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    request: GraphQLRequest<BadRequest>,
    parsed: Option<Arc<ExecutableDocument>>,
    operation: &str,
) -> Response {
    let started = Instant::now();
    let mut request = request.into_inner();
    let actor = match authenticate(&state, &headers).await {
        Ok(actor) => actor,
        Err(err) => {
            tracing::info!(%operation, code = err.code(), reason = %err.message(), "request refused");
            return refused(err.extend());
        }
    };
    if let Some((field, why)) = unfit_input(&request) {
        return refused(AppError::bad_input(&field, why).extend());
    }
    let document = match request.parsed_query() {
        Ok(document) => document,
        Err(error) => {
            tracing::info!(%operation, reason = %error.message, "query does not parse");
            let mut error = error;
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", "GRAPHQL_PARSE_FAILED");
            return failed_request(error);
        }
    };
    if let Some(why) = limits::unfit_argument(document) {
        return refused(AppError::bad_input("query", why).extend());
    }
    if actor.is_none() && !state.demo && limits::introspects(document) {
        return refused(
            AppError::Unauthenticated(
                "sign in to read the schema by introspection (or read schema.graphql, published \
                 with the sources); anonymous introspection is open in demo mode only"
                    .into(),
            )
            .extend(),
        );
    }
    if let Some(reason) = limits::too_much(document) {
        tracing::info!(%operation, %reason, "query refused as too large");
        return refused(
            async_graphql::Error::new(reason)
                .extend_with(|_, e| e.set("code", "QUERY_TOO_COMPLEX")),
        );
    }
    let heavy = limits::is_heavy(document);
    let caller = actor.as_ref().map_or(Requester::Address(peer.ip()), |a| {
        Requester::User(a.user_id)
    });
    let Some(_slot) = state
        .in_flight
        .enter(caller.clone(), limits::SLOT_PATIENCE)
        .await
    else {
        let why = format!(
            "more than {} requests at once for {} s: send fewer at a time",
            limits::MAX_IN_FLIGHT_PER_CALLER,
            limits::SLOT_PATIENCE.as_secs()
        );
        return too_many(why, "1");
    };
    // Dashboards take their turn at the heavy gate, so that light requests keep a core.
    let _turn = if heavy {
        let Some(turn) = state.heavy.enter(limits::SLOT_PATIENCE).await else {
            let why = format!(
                "the server has been busy with dashboards for {} s: retry in a moment",
                limits::SLOT_PATIENCE.as_secs()
            );
            return too_many(why, "2");
        };
        Some(turn)
    } else {
        None
    };
    // Light requests are counted: dashboards pace themselves while any run.
    let _light = (!heavy).then(|| state.light.enter());
    let user_id = actor.as_ref().map(|a| a.user_id);
    let scope = actor
        .as_deref()
        .map_or_else(StructureScope::nothing, |actor| actor.views().scope.clone());
    let request = request
        .data(Loaders::new(&state.db, scope, &state.clock))
        .data(RequestData {
            db: state.db.clone(),
            policy: state.policy.clone(),
            actor,
            reference: state.reference.clone(),
            caller: caller.to_string(),
            guesses: state.guesses.clone(),
            figures: Arc::new(limits::FigureTurns::new(state.light.clone())),
            clock: state.clock.clone(),
            content_reads: Default::default(),
            vault: state.vault.clone(),
            live: state.live.clone(),
            memo: state.figure_memo.view(started),
            structure_rows: state.structure_rows.clone(),
            effective_partners: state.effective_partners.clone(),
        });
    let span = tracing::info_span!("graphql", %operation, user_id = tracing::field::Empty);
    if let Some(id) = user_id {
        span.record("user_id", id);
    }
    // Kept to put failed fields back as null (nulls::restore) when the response has any.
    let operation_name = request.operation_name.clone();
    let execution = state.schema.execute(request).instrument(span.clone());
    let response = match tokio::time::timeout(limits::EXECUTION_TIMEOUT, execution).await {
        Ok(response) => response,
        Err(_) => {
            span.in_scope(|| tracing::warn!("graphql operation stopped: took too long"));
            let error = async_graphql::Error::new(format!(
                "the request ran longer than {} s and was stopped; a change it had not committed \
                 was rolled back: read the current state before retrying",
                limits::EXECUTION_TIMEOUT.as_secs()
            ))
            .extend_with(|_, e| e.set("code", "TIMEOUT"));
            unplaced(error)
        }
    };
    let mut response = response;
    coded(&mut response);
    if response.errors.iter().any(|e| !e.path.is_empty())
        && let Some(document) = &parsed
    {
        super::nulls::restore(&mut response, document, operation_name.as_deref());
    }
    let unavailable = response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(|c| *c == async_graphql::Value::from("UNAVAILABLE"))
    });
    span.in_scope(|| {
        tracing::info!(
            errors = response.errors.len(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "graphql operation"
        );
    });
    let mut response = respond(response, operation);
    if unavailable {
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    response
}

/// The HTTP response of `response`, serialised once; one larger than
/// [`limits::MAX_RESPONSE_BYTES`] is replaced by a `RESPONSE_TOO_LARGE` error.
fn respond(response: async_graphql::Response, operation: &str) -> Response {
    let body = match serde_json::to_string(&response) {
        Ok(body) if body.len() <= limits::MAX_RESPONSE_BYTES => body,
        Ok(body) => {
            tracing::warn!(%operation, bytes = body.len(), "response too large");
            let error = async_graphql::Error::new(format!(
                "the answer would be {} MB, more than {} MB: ask for fewer rows or fields",
                body.len() / 1_000_000,
                limits::MAX_RESPONSE_BYTES / 1_000_000
            ))
            .extend_with(|_, e| e.set("code", "RESPONSE_TOO_LARGE"));
            return refused(error);
        }
        Err(err) => {
            tracing::error!(%operation, error = %err, "response not serialisable");
            return refused(AppError::Internal(err.into()).extend());
        }
    };
    // No data and only errors without a path: the request failed before execution.
    let request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let mut http = Response::new(axum::body::Body::from(body));
    let first = response
        .errors
        .first()
        .map(|e| code_of(e).unwrap_or("INTERNAL"));
    if request_error {
        http.extensions_mut().insert(RequestError::of(first));
    }
    http.extensions_mut()
        .insert(Outcome(first.unwrap_or("OK").to_owned()));
    http.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/graphql-response+json"),
    );
    http.headers_mut().extend(response.http_headers);
    http
}

/// Gives every error its `extensions.code` (clients switch on it): the errors async-graphql
/// raises itself carry none. Without a path, an error was raised before execution: the
/// complexity and depth limits (`QUERY_TOO_COMPLEX`), a value that does not fit its type
/// (`BAD_USER_INPUT`), or any other rule of the GraphQL validation
/// (`GRAPHQL_VALIDATION_FAILED`). With one, an argument the resolver could not read
/// (`BAD_USER_INPUT`); anything else is `INTERNAL`.
fn coded(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_some() {
            continue;
        }
        let message = error.message.as_str();
        let code = if message.starts_with("Query is too complex")
            || message.starts_with("Query is nested too deep")
        {
            "QUERY_TOO_COMPLEX"
        } else if message.starts_with("Invalid value for argument")
            || message.starts_with("Expected input type")
            || message.starts_with("Failed to parse")
            || message.starts_with("Variable ")
        {
            "BAD_USER_INPUT"
        } else if error.path.is_empty() {
            "GRAPHQL_VALIDATION_FAILED"
        } else {
            "INTERNAL"
        };
        extensions.set("code", code);
    }
}

/// A response made of one error raised before execution (so not tied to a place in the
/// query: no `locations`).
fn refused(error: async_graphql::Error) -> Response {
    failed_request(placeless(error))
}

/// The response of a request that failed before execution with `error`, marked for the
/// status (GraphQL over HTTP) and the metrics.
fn failed_request(error: ServerError) -> Response {
    let code = code_of(&error).unwrap_or("INTERNAL").to_owned();
    let mut response =
        GraphQLResponse::from(async_graphql::Response::from_errors(vec![error])).into_response();
    response
        .extensions_mut()
        .insert(RequestError::of(Some(&code)));
    response.extensions_mut().insert(Outcome(code));
    response
}

/// `RATE_LIMITED` with HTTP 429 and `Retry-After` (seconds).
fn too_many(why: String, retry_after: &'static str) -> Response {
    let mut response = refused(AppError::RateLimited(why).extend());
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static(retry_after));
    response
}

/// A GraphQL response made of `error` alone, with no `locations`.
fn unplaced(error: async_graphql::Error) -> async_graphql::Response {
    async_graphql::Response::from_errors(vec![placeless(error)])
}

/// `error` as a server error with no `locations` and no path.
fn placeless(error: async_graphql::Error) -> ServerError {
    let mut server_error = ServerError::new(error.message, None);
    server_error.extensions = error.extensions;
    server_error
}

/// What is wrong with the request's variables ([`limits::unfit_value`]) or its text (U+0000),
/// checked before anything runs: `(path, why)`. The values written in the document are
/// checked once it is parsed ([`limits::unfit_argument`]).
fn unfit_input(request: &async_graphql::Request) -> Option<(String, String)> {
    if request.query.contains('\0') {
        let why = "text must not contain the NUL character (U+0000)";
        return Some(("query".into(), why.to_owned()));
    }
    request.variables.iter().find_map(|(k, v)| {
        limits::unfit_value(v).map(|(rest, why)| (format!("variables.{k}{rest}"), why))
    })
}

/// A body that is not one GraphQL request: a GraphQL-shaped JSON error (400, or 413 when too
/// large), never the parser's debug text.
pub struct BadRequest(async_graphql::ParseRequestError);

impl From<async_graphql::ParseRequestError> for BadRequest {
    fn from(err: async_graphql::ParseRequestError) -> Self {
        Self(err)
    }
}

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        use async_graphql::ParseRequestError as E;
        let (status, code, message) = match self.0 {
            E::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                "the request body is too large".to_owned(),
            ),
            E::UnsupportedBatch => (
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "batched requests are not supported: send one operation per request".to_owned(),
            ),
            other => (
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!(
                    "the body is not a GraphQL request ({{\"query\": …, \"variables\": …}}): {}",
                    one_line(&other.to_string())
                ),
            ),
        };
        http_error(status, code, &message)
    }
}

/// `message` on one line (parser messages span several).
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A GraphQL-shaped JSON error answered at the HTTP level.
pub fn http_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{
        "message": message, "extensions": { "code": code } }] });
    (status, axum::Json(body)).into_response()
}

/// Turns every refusal of the HTTP layers on `/graphql` that is not JSON (405 for another
/// method, 413 from the body limit…) into a GraphQL-shaped JSON error with a code.
pub async fn json_refusals(request: axum::extract::Request, next: Next) -> Response {
    let graphql = request.uri().path() == "/graphql";
    let response = next.run(request).await;
    if !graphql {
        return response;
    }
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if !(status.is_client_error() || status.is_server_error()) || json {
        return response;
    }
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => "METHOD_NOT_ALLOWED",
        StatusCode::PAYLOAD_TOO_LARGE => "PAYLOAD_TOO_LARGE",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "UNSUPPORTED_MEDIA_TYPE",
        s if s.is_server_error() => "INTERNAL",
        _ => "BAD_REQUEST",
    };
    let allow = response.headers().get(header::ALLOW).cloned();
    let bytes = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap_or_default();
    let text = one_line(&String::from_utf8_lossy(&bytes));
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("refused")
            .to_lowercase()
    } else {
        text
    };
    let mut refused = http_error(status, code, &message);
    if let Some(allow) = allow {
        refused.headers_mut().insert(header::ALLOW, allow);
    }
    refused
}

/// Refuses a `POST /graphql` whose body is not declared JSON (415): a form or `text/plain`
/// body is what a cross-site page can send without a preflight.
pub async fn require_json(request: axum::extract::Request, next: Next) -> Response {
    if request.method() == axum::http::Method::POST {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .is_some_and(|v| v == "application/json" || v == "application/graphql-response+json");
        if !json {
            return http_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "send the request as 'Content-Type: application/json'",
            );
        }
    }
    next.run(request).await
}

/// `GET /graphql`: GraphiQL where it is on, else a JSON refusal that says how to turn it on.
pub async fn graphiql(State(state): State<Arc<AppState>>) -> Response {
    if state.graphiql {
        super::graphiql::page()
    } else {
        http_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "GraphiQL is off on this server (MAILLAGE_GRAPHIQL=true turns it on); send \
             queries with POST /graphql",
        )
    }
}

/// The actor of the request, from its `Authorization` header (a maillage token, or an API
/// key), else from its session cookie; `None` with neither. A header or cookie that is not
/// valid is an error, not an anonymous request.
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Arc<Actor>>, AppError> {
    authenticate_as(state, headers, false).await
}

/// [`authenticate`] for the subscriptions' WebSocket: the upgrade's headers (with
/// `connection_init`'s `Authorization`), at connection and at every event.
pub async fn authenticate_socket(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Arc<Actor>>, AppError> {
    authenticate_as(state, headers, false).await
}

/// [`authenticate`] for a read that changes nothing (a download): the session cookie counts
/// without an `Origin` (a link followed from a page sends none; another site cannot read
/// the answer).
pub async fn authenticate_read(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Arc<Actor>>, AppError> {
    authenticate_as(state, headers, true).await
}

async fn authenticate_as(
    state: &AppState,
    headers: &HeaderMap,
    safe_read: bool,
) -> Result<Option<Arc<Actor>>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return session_actor(state, headers, safe_read).await;
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(|| {
            AppError::Unauthenticated("the Authorization header must be 'Bearer <token>'".into())
        })?;
    if token.starts_with(api_keys::PREFIX) {
        return Ok(Some(Arc::new(
            api_keys::authenticate(&state.db, token, &state.clock).await?,
        )));
    }
    match state.keys.verify(token, state.clock.now()) {
        Ok(bearer) => Ok(Some(Arc::new(users::load_actor(&state.db, bearer).await?))),
        // Not one of ours: perhaps a token of a configured OpenID provider.
        Err(err) => match state
            .signin
            .provider_bearer(&state.db, token, &state.clock)
            .await?
        {
            Some(actor) => Ok(Some(Arc::new(actor))),
            None => Err(err),
        },
    }
}

/// The actor of the request's session cookie, if it sent one. A cookie is sent by the browser
/// whatever page makes the request, so the request must come from this site or a configured
/// origin (`Origin`); with the JSON-only body (`require_json`), that stops cross-site use.
async fn session_actor(
    state: &AppState,
    headers: &HeaderMap,
    safe_read: bool,
) -> Result<Option<Arc<Actor>>, AppError> {
    let Some(value) = crate::signin::cookie(headers, sessions::COOKIE) else {
        return Ok(None);
    };
    if !safe_read && !crate::signin::same_origin(headers, &state.cors_origins) {
        return Err(AppError::Forbidden(
            "a request signed in by session cookie must come from a page of this site or of a \
             configured origin (its Origin header is missing or foreign)"
                .into(),
        ));
    }
    let actor = sessions::actor(&state.db, &value, state.signin.lifetimes, &state.clock).await?;
    Ok(Some(Arc::new(actor)))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(response: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        serde_json::from_slice(&bytes).expect("JSON")
    }

    #[tokio::test]
    async fn an_answer_over_the_size_limit_is_replaced_by_an_error() {
        let big = "x".repeat(limits::MAX_RESPONSE_BYTES);
        let response = async_graphql::Response::new(async_graphql::Value::from(big));
        let body = body_of(respond(response, "test")).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "RESPONSE_TOO_LARGE"
        );
        assert!(body["data"].is_null());

        let small = async_graphql::Response::new(async_graphql::Value::from("fine"));
        let http = respond(small, "test");
        assert_eq!(
            http.headers()[header::CONTENT_TYPE],
            "application/graphql-response+json"
        );
        assert_eq!(body_of(http).await["data"], "fine");
    }
}
