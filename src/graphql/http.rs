//! The HTTP side of GraphQL: authentication of the bearer token, per-request data, one
//! tracing span per operation.

use std::sync::Arc;
use std::time::Instant;

use async_graphql::http::GraphiQLSource;
use async_graphql::{ErrorExtensions, ServerError};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse};
use tracing::Instrument;

use super::context::RequestData;
use super::loaders::Loaders;
use crate::auth::{Actor, StructureScope};
use crate::error::AppError;
use crate::service::users;
use crate::startup::AppState;

/// `POST /graphql`.
pub async fn graphql(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let started = Instant::now();
    let mut request = request.into_inner();
    let operation = request
        .operation_name
        .clone()
        .unwrap_or_else(|| "unnamed".into());
    let actor = match authenticate(&state, &headers).await {
        Ok(actor) => actor,
        Err(err) => {
            tracing::info!(%operation, code = err.code(), reason = %err.message(), "request refused");
            // Not tied to a place in the query: no `locations`.
            let error = err.extend();
            let mut server_error = ServerError::new(error.message, None);
            server_error.extensions = error.extensions;
            return async_graphql::Response::from_errors(vec![server_error]).into();
        }
    };
    let user_id = actor.as_ref().map(|a| a.user_id);
    if actor.is_none() && !state.demo {
        request = request.disable_introspection();
    }
    let scope = actor
        .as_deref()
        .map_or_else(StructureScope::nothing, StructureScope::of);
    let request = request
        .data(Loaders::new(&state.db, scope, &state.clock))
        .data(RequestData {
            db: state.db.clone(),
            policy: state.policy.clone(),
            actor,
            reference: state.reference.clone(),
            survey_limiter: state.survey_limiter.clone(),
            clock: state.clock.clone(),
        });
    let span = tracing::info_span!("graphql", %operation, user_id = tracing::field::Empty);
    if let Some(id) = user_id {
        span.record("user_id", id);
    }
    let response = state.schema.execute(request).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(
            errors = response.errors.len(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "graphql operation"
        );
    });
    response.into()
}

/// `GET /graphql`: GraphiQL.
pub async fn graphiql() -> impl IntoResponse {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
}

/// The actor of the request: `None` without an `Authorization` header, an error for a
/// header that is not a valid bearer token of an enabled user.
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Arc<Actor>>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
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
    let user_id = state.keys.verify(token, state.clock.now())?;
    Ok(Some(Arc::new(users::load_actor(&state.db, user_id).await?)))
}
