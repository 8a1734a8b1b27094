//! Subscriptions (issue 16), over WebSocket at `GET /graphql/ws` with the
//! `graphql-transport-ws` protocol: `supportEvents`, the live Administration+ events
//! addressed to the subscriber.
//!
//! A connection authenticates like a request: the session cookie of the upgrade (from this
//! site or a configured origin only), or a bearer token or API key, in the upgrade's
//! `Authorization` header or in `connection_init`'s payload (`{"Authorization": "Bearer …"}`).
//! Every event re-authenticates those credentials and re-checks the reader's right to follow
//! that request (policy `follow` on SupportRequest): an expired or revoked session, token or
//! key, or roles that no longer follow anything, end the stream with an error; an event
//! about a request the reader may not follow is not delivered.

use std::sync::Arc;

use async_graphql::futures_util::Stream;
use async_graphql::{Context, ErrorExtensions, ID, Result, SimpleObject, Subscription};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast::error::RecvError;

use crate::auth::Actor;
use crate::domain::enums::SupportStatus;
use crate::domain::ids::{NodeType, encode};
use crate::error::AppError;
use crate::graphql::scalars::DateTime;
use crate::service::live::{SupportEvent, SupportEventKind};
use crate::service::support;
use crate::startup::AppState;

/// What a WebSocket connection authenticates with, again at every event.
#[derive(Clone)]
pub struct Credentials {
    state: Arc<AppState>,
    headers: HeaderMap,
}

impl Credentials {
    async fn actor(&self) -> Result<Arc<Actor>, AppError> {
        super::http::authenticate_socket(&self.state, &self.headers)
            .await?
            .ok_or_else(|| {
                AppError::Unauthenticated(
                    "sign in first: a session cookie, or 'Authorization: Bearer <token>' in the \
                     upgrade or in connection_init's payload"
                        .into(),
                )
            })
    }
}

/// An Administration+ event addressed to the subscriber. It carries the request's metadata;
/// its content is read (and the read logged) through `node(id:)`.
#[derive(SimpleObject)]
pub struct SupportEventNotice {
    /// What happened.
    pub kind: SupportEventKind,
    /// When.
    pub at: DateTime,
    /// The request (a `SupportRequest` id).
    pub request: ID,
    /// Matricule of the structure that sent it.
    pub structure: String,
    /// Code of the partner addressed.
    pub partner: String,
    /// Where it stands now.
    pub status: SupportStatus,
    /// Its answer deadline.
    pub due_at: DateTime,
    /// Whether it is late now.
    pub late: bool,
}

/// The subscription root.
#[derive(Default)]
pub struct SubscriptionRoot;

/// What a stream carries between events.
struct Following {
    receiver: tokio::sync::broadcast::Receiver<SupportEvent>,
    credentials: Credentials,
}

impl Following {
    /// The next event for the subscriber: `None` when the events end, an error (and then
    /// the end) when the subscriber may no longer follow anything.
    async fn next(mut self) -> Option<(Result<SupportEventNotice>, Option<Self>)> {
        loop {
            let event = match self.receiver.recv().await {
                Ok(event) => event,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a slow subscriber missed live events");
                    continue;
                }
                Err(RecvError::Closed) => return None,
            };
            let actor = match self.credentials.actor().await {
                Ok(actor) => actor,
                Err(err) => return Some((Err(err.extend()), None)),
            };
            if !support::follows_anything(&actor) {
                let refusal = AppError::Forbidden(
                    "your roles no longer follow any Administration+ request: the stream ends"
                        .into(),
                );
                return Some((Err(refusal.extend()), None));
            }
            let state = &self.credentials.state;
            match support::followed(&state.db, &state.policy, &actor, event.request).await {
                Ok(Some((row, partner, structure))) => {
                    let now = state.clock.now();
                    let notice = SupportEventNotice {
                        kind: event.kind,
                        at: event.at.into(),
                        request: ID(encode(NodeType::SupportRequest, &row.id.to_string())),
                        structure,
                        partner,
                        status: match super::types::stored("support request status", &row.status) {
                            Ok(status) => status,
                            Err(err) => return Some((Err(err.extend()), None)),
                        },
                        due_at: row.due_at.into(),
                        late: support::is_late(&row, now),
                    };
                    return Some((Ok(notice), Some(self)));
                }
                Ok(None) => continue,
                Err(err) => return Some((Err(err.extend()), None)),
            }
        }
    }
}

#[Subscription]
impl SubscriptionRoot {
    /// Live Administration+ events addressed to the subscriber: requests sent to their
    /// partner or by their structure, messages written on them, deadlines passing unanswered.
    /// For the partner's operators and the structure's agents (policy `follow`); the rights
    /// are checked again at every event.
    async fn support_events(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<SupportEventNotice>> + use<>> {
        let credentials = ctx
            .data::<Credentials>()
            .map_err(|_| {
                AppError::bad_input(
                    "supportEvents",
                    "subscriptions run over WebSocket at /graphql/ws (graphql-transport-ws)",
                )
                .extend()
            })?
            .clone();
        let actor = credentials.actor().await.map_err(|e| e.extend())?;
        if !support::follows_anything(&actor) {
            return Err(AppError::Forbidden(
                "Administration+ events are for the partners' operators and the structures' \
                 agents"
                    .into(),
            )
            .extend());
        }
        let following = Following {
            receiver: credentials.state.live.subscribe(),
            credentials,
        };
        Ok(async_graphql::futures_util::stream::unfold(
            Some(following),
            |following| async move { following?.next().await },
        ))
    }
}

/// `GET /graphql/ws`: the WebSocket of subscriptions.
pub async fn socket(
    State(state): State<Arc<AppState>>,
    protocol: async_graphql_axum::GraphQLProtocol,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    // A browser sends the session cookie with any site's upgrade: only this site's pages
    // (or a configured origin's) may use it (cross-site WebSocket hijacking).
    if headers.contains_key(header::ORIGIN)
        && !crate::signin::same_origin(&headers, &state.cors_origins)
    {
        return (
            StatusCode::FORBIDDEN,
            "this origin may not open the subscriptions' WebSocket",
        )
            .into_response();
    }
    let schema = state.schema.clone();
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            async_graphql_axum::GraphQLWebSocket::new(stream, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let mut headers = headers;
                    let given = payload
                        .get("Authorization")
                        .or_else(|| payload.get("authorization"))
                        .and_then(|v| v.as_str())
                        .and_then(|v| HeaderValue::from_str(v).ok());
                    if let Some(value) = given {
                        headers.insert(header::AUTHORIZATION, value);
                    }
                    let mut data = async_graphql::Data::default();
                    data.insert(Credentials { state, headers });
                    Ok(data)
                })
                .serve()
        })
}
