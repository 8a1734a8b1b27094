//! Live Administration+ events (issue 16): a request sent, a message written, a deadline
//! passed. The GraphQL subscription `supportEvents` delivers them to the people they concern.
//!
//! Across replicas: on PostgreSQL an event is published with `NOTIFY` on
//! [`CHANNEL`] after its transaction committed, and every replica `LISTEN`s and hands it to
//! its own subscribers; on SQLite (one server) it goes straight to them. Deadlines are
//! watched by every replica for its own subscribers (no notification: each replica sees the
//! same clock and rows). An event carries ids only: each subscriber's stream reads the
//! request and checks its reader's rights again before delivering anything.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter,
    Statement,
};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::reference_cache::{self, ReferenceCache};
use crate::clock::Clock;
use entity::support_request;
use sea_orm::sqlx::postgres::PgListener;

/// The PostgreSQL channel of the events.
pub const CHANNEL: &str = "maillage_support_events";

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SupportEventKind {
    /// A structure's agent sent a request to a partner.
    RequestSent,
    /// A message was written on a request (by either side).
    MessageWritten,
    /// A request's answer deadline (72 working hours) passed without an answer.
    DeadlinePassed,
}

/// An event: which request, what, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportEvent {
    /// What happened.
    pub kind: SupportEventKind,
    /// The request.
    pub request: i64,
    /// When.
    pub at: DateTime<Utc>,
}

/// The events of this server, for its subscribers.
#[derive(Clone, Debug)]
pub struct Live {
    sender: broadcast::Sender<SupportEvent>,
}

impl Default for Live {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(1024).0,
        }
    }
}

impl Live {
    /// A receiver of every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<SupportEvent> {
        self.sender.subscribe()
    }

    /// Publishes `event` (its change committed): `NOTIFY` on PostgreSQL, to this server's
    /// subscribers on SQLite. A failure is logged: the change stands, only the live event
    /// is lost (clients re-read their lists on reconnecting).
    pub async fn publish(&self, db: &DatabaseConnection, event: SupportEvent) {
        if db.get_database_backend() == DatabaseBackend::Postgres {
            let payload = serde_json::to_string(&event).unwrap_or_default();
            let notified = db
                .execute_raw(Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    "SELECT pg_notify($1, $2)",
                    [CHANNEL.into(), payload.into()],
                ))
                .await;
            if let Err(err) = notified {
                tracing::warn!(error = %err, "a live event was not published");
            }
        } else {
            // No subscriber is not an error.
            let _ = self.sender.send(event);
        }
    }

    /// On PostgreSQL, listens for as long as the server runs, on one connection: to
    /// [`CHANNEL`], handing each event to this server's subscribers, and to the reference
    /// data's channel, dropping `reference`'s snapshot at each change. The first `LISTEN` is
    /// set up before this returns (so that no change is missed between the server's start
    /// and its first notification); after a lost connection it listens again and drops the
    /// snapshot, since changes may have been announced meanwhile.
    pub async fn spawn_listener(&self, db: &DatabaseConnection, reference: ReferenceCache) {
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return;
        }
        let pool = db.get_postgres_connection_pool().clone();
        let channels = [CHANNEL, reference_cache::CHANNEL];
        let listen = async move || -> Result<PgListener, sea_orm::sqlx::Error> {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen_all(channels).await?;
            Ok(listener)
        };
        let mut first = match listen().await {
            Ok(listener) => Some(listener),
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen to live events and reference changes");
                None
            }
        };
        let sender = self.sender.clone();
        tokio::spawn(async move {
            loop {
                let listener = match first.take() {
                    Some(listener) => Ok(listener),
                    None => listen().await.inspect(|_| reference.forget()),
                };
                match listener {
                    Ok(mut listener) => loop {
                        let note = match listener.recv().await {
                            Ok(note) => note,
                            Err(err) => {
                                tracing::warn!(error = %err, "notifications: connection lost");
                                break;
                            }
                        };
                        if note.channel() == reference_cache::CHANNEL {
                            reference.forget();
                            continue;
                        }
                        match serde_json::from_str(note.payload()) {
                            Ok(event) => {
                                let _ = sender.send(event);
                            }
                            Err(err) => tracing::warn!(error = %err, "an unreadable live event"),
                        }
                    },
                    Err(err) => tracing::warn!(error = %err, "notifications: cannot listen"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }

    /// Watches deadlines for as long as the server runs: every `every`, the unanswered open
    /// requests whose deadline passed since the last look are announced to this server's
    /// subscribers.
    pub fn spawn_deadlines(&self, db: DatabaseConnection, clock: Clock, every: Duration) {
        let live = self.clone();
        tokio::spawn(async move {
            let mut since = clock.now();
            loop {
                tokio::time::sleep(every).await;
                let now = clock.now();
                match live.deadlines(&db, since, now).await {
                    Ok(()) => since = now,
                    Err(err) => tracing::warn!(error = %err, "deadlines not watched"),
                }
            }
        });
    }

    /// Announces the requests whose deadline fell in `(since, now]` unanswered.
    pub async fn deadlines(
        &self,
        db: &DatabaseConnection,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), sea_orm::DbErr> {
        let passed = support_request::Entity::find()
            .filter(support_request::Column::DueAt.gt(since))
            .filter(support_request::Column::DueAt.lte(now))
            .filter(support_request::Column::FirstAnsweredAt.is_null())
            .filter(support_request::Column::ClosedAt.is_null())
            .all(db)
            .await?;
        for row in passed {
            let _ = self.sender.send(SupportEvent {
                kind: SupportEventKind::DeadlinePassed,
                request: row.id,
                at: row.due_at,
            });
        }
        Ok(())
    }
}
