//! The one error type of the API.
//!
//! `AppError` deliberately does not implement `Display`: async-graphql converts any
//! `Display` type into an error *without* `extensions.code`, and we want every `?` in a
//! resolver to go through our conversion, which sets the code.
//!
//! Use [`AppError`] in services and resolvers: each variant maps to a stable
//! `extensions.code` that clients branch on. Command-line and start-up code use
//! `anyhow` with `.context(…)`, since a person reads those errors, not a program.

use async_graphql::ErrorExtensions;

/// An error a GraphQL client can receive.
#[derive(Debug)]
pub enum AppError {
    /// No valid credentials: missing, malformed, expired token, or disabled user.
    Unauthenticated(String),
    /// Authenticated, but the policy does not allow this action.
    Forbidden(String),
    /// No such object, or the caller may not know it exists.
    NotFound(String),
    /// The input is invalid; `field` names the offending argument.
    BadUserInput {
        /// The argument or input field at fault.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The change conflicts with the current state.
    Conflict(String),
    /// Too many attempts in a short time (anonymous endpoints); retry later.
    RateLimited(String),
    /// The database cannot serve the request now (unreachable, busy, read-only, disk full):
    /// nothing was changed; retry later (HTTP 503 with `Retry-After`).
    Unavailable(String),
    /// Anything else: logged with a correlation id, never described to the client.
    Internal(anyhow::Error),
}

impl AppError {
    /// A `NOT_FOUND` that reveals nothing about whether the object exists.
    pub fn not_found(what: &str, key: &str) -> Self {
        Self::NotFound(format!("{what} '{}' not found", echo(key)))
    }

    /// A `BAD_USER_INPUT` about `field`.
    pub fn bad_input(field: &str, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// The message a client sees (internal errors say nothing of their cause).
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::Conflict(m)
            | Self::RateLimited(m)
            | Self::Unavailable(m) => m.clone(),
            Self::BadUserInput { message, .. } => message.clone(),
            Self::Internal(_) => "internal error".to_owned(),
        }
    }

    /// The `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadUserInput { .. } => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::RateLimited(_) => "RATE_LIMITED",
            Self::Unavailable(_) => "UNAVAILABLE",
            Self::Internal(_) => "INTERNAL",
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        Self::Internal(err)
    }
}

impl AppError {
    /// A write's error: `CONFLICT` with `message` when it broke a unique constraint (a
    /// concurrent or repeated write), else internal.
    pub fn on_write(err: sea_orm::DbErr, message: impl FnOnce() -> String) -> Self {
        match err.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Self::Conflict(message()),
            _ => Self::Internal(err.into()),
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        match unavailable(&err) {
            Some(reason) => {
                tracing::warn!(error = %err, "database unavailable");
                Self::Unavailable(reason.to_owned())
            }
            None => Self::Internal(err.into()),
        }
    }
}

/// Why the database cannot serve now, when `err` says so: the pool found no connection in
/// time, the server is unreachable, or SQLite reports busy, locked, read-only or full.
pub fn unavailable(err: &sea_orm::DbErr) -> Option<&'static str> {
    use sea_orm::{DbErr, RuntimeErr};
    const AWAY: &str = "the database is not answering; nothing was changed, retry shortly";
    let sqlx = match err {
        DbErr::ConnectionAcquire(_) => return Some(AWAY),
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        DbErr::Conn(_) => return Some(AWAY),
        _ => return None,
    };
    use sea_orm::sqlx::Error;
    match &**sqlx {
        Error::PoolTimedOut | Error::PoolClosed | Error::Io(_) | Error::Tls(_) => Some(AWAY),
        Error::Database(db)
            if db
                .try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
                .is_some() =>
        {
            // SQLite primary result codes (the low byte of the extended code).
            let code = db
                .code()
                .and_then(|c| c.parse::<u32>().ok())
                .unwrap_or_default()
                & 0xff;
            match code {
                5 | 6 => Some("the database is busy; nothing was changed, retry shortly"),
                8 => Some("the database is read-only; nothing was changed"),
                13 => Some("the database's disk is full; nothing was changed"),
                _ => None,
            }
        }
        Error::Database(db) => match db.code().as_deref() {
            // PostgreSQL: read-only transaction, admin shutdown, cannot connect now.
            Some("25006" | "57P01" | "57P02" | "57P03") => Some(AWAY),
            _ => None,
        },
        _ => None,
    }
}

/// At most 64 characters of client input, for messages that echo it.
pub fn echo(input: &str) -> String {
    const MAX: usize = 64;
    match input.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &input[..cut]),
        None => input.to_owned(),
    }
}

impl From<oso::OsoError> for AppError {
    fn from(err: oso::OsoError) -> Self {
        Self::Internal(anyhow::anyhow!("policy evaluation failed: {err}"))
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        let message = match self {
            Self::Internal(source) => {
                let correlation_id = uuid::Uuid::new_v4();
                tracing::error!(%correlation_id, error = ?source, "internal error");
                format!("internal error (correlation id {correlation_id})")
            }
            other => other.message(),
        };
        async_graphql::Error::new(message).extend_with(|_, extensions| {
            extensions.set("code", self.code());
            if let Self::BadUserInput { field, .. } = self {
                extensions.set("field", field.as_str());
            }
        })
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.extend()
    }
}

/// Result of a service or resolver.
pub type AppResult<T> = Result<T, AppError>;
