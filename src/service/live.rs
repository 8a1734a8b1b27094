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

use crate::clock::Clock;
use entity::support_request;

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

    /// On PostgreSQL, listens to [`CHANNEL`] for as long as the server runs and hands each
    /// event to this server's subscribers (reconnecting after a lost connection).
    pub fn spawn_listener(&self, db: &DatabaseConnection) {
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return;
        }
        let pool = db.get_postgres_connection_pool().clone();
        let sender = self.sender.clone();
        tokio::spawn(async move {
            loop {
                match sea_orm::sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(mut listener) => {
                        if let Err(err) = listener.listen(CHANNEL).await {
                            tracing::warn!(error = %err, "LISTEN failed");
                        } else {
                            loop {
                                match listener.recv().await {
                                    Ok(note) => match serde_json::from_str(note.payload()) {
                                        Ok(event) => {
                                            let _ = sender.send(event);
                                        }
                                        Err(err) => {
                                            tracing::warn!(error = %err, "an unreadable live event")
                                        }
                                    },
                                    Err(err) => {
                                        tracing::warn!(error = %err, "live events: connection lost");
                                        break;
                                    }
                                }
                            }
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "live events: cannot listen"),
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
