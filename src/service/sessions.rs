//! Who may sign in, and browser sessions.
//!
//! A person signs in only as an existing, enabled maillage user whose e-mail the provider
//! vouches for; the provider's `sub` is bound on the first sign-in and must match afterwards.
//! Roles are never taken from the provider: they are read from the database on every request,
//! like for a bearer token. A session stores the user's token epoch, so that disabling the
//! user (or `revoke all sessions`) ends it at once.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, Set,
    SqlErr,
};
use sha2::{Digest, Sha256};

use super::users;
use crate::auth::Actor;
use crate::auth::token::Bearer;
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use entity::{app_user, login_attempt, user_identity, web_session};

/// The session cookie's name.
pub const COOKIE: &str = "maillage_session";
/// The cookie binding a sign-in in progress to the browser that started it.
pub const LOGIN_COOKIE: &str = "maillage_login";
/// How long a sign-in may take at the provider.
pub const LOGIN_TIMEOUT: Duration = Duration::minutes(10);
/// `last_seen_at` is written at most this often.
const SEEN_RESOLUTION: Duration = Duration::seconds(60);

/// Session lifetimes.
#[derive(Clone, Copy, Debug)]
pub struct Lifetimes {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after sign-in, used or not.
    pub absolute: Duration,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

/// Why a person may not sign in (shown to them, and logged).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    /// The provider sent no e-mail address.
    #[error("the provider did not send an e-mail address (ask for the 'email' scope)")]
    NoEmail,
    /// The provider says the e-mail is not verified.
    #[error("the provider has not verified the e-mail address {0}")]
    Unverified(String),
    /// No maillage user has this e-mail.
    #[error("no maillage account has the address {0}: ask your administrator for access")]
    Unknown(String),
    /// The user is disabled.
    #[error("the maillage account {0} is disabled")]
    Disabled(String),
    /// The provider's subject differs from the one bound on the first sign-in.
    #[error(
        "the account {0} is bound to another identity at this provider: ask your administrator"
    )]
    OtherIdentity(String),
}

/// The user `email` may sign in as, coming from `provider` with subject `subject`; binds the
/// subject on the first sign-in.
pub async fn admit(
    db: &impl ConnectionTrait,
    provider: &str,
    subject: &str,
    email: Option<&str>,
    email_verified: Option<bool>,
    clock: &Clock,
) -> AppResult<Result<app_user::Model, Refusal>> {
    let Some(email) = email.map(|e| e.trim().to_lowercase()) else {
        return Ok(Err(Refusal::NoEmail));
    };
    if email_verified == Some(false) {
        return Ok(Err(Refusal::Unverified(email)));
    }
    let user = users::find_by_email(db, &email)
        .await
        .map_err(AppError::Internal)?
        .filter(|_| !email.ends_with(&format!("@{}", super::api_keys::USER_DOMAIN)));
    let Some(user) = user else {
        return Ok(Err(Refusal::Unknown(email)));
    };
    if user.disabled {
        return Ok(Err(Refusal::Disabled(email)));
    }
    let bound = user_identity::Entity::find()
        .filter(user_identity::Column::Provider.eq(provider))
        .filter(
            user_identity::Column::UserId
                .eq(user.id)
                .or(user_identity::Column::Subject.eq(subject)),
        )
        .all(db)
        .await?;
    if bound.is_empty() {
        let inserted = user_identity::ActiveModel {
            provider: Set(provider.to_owned()),
            subject: Set(subject.to_owned()),
            user_id: Set(user.id),
            created_at: Set(clock.now()),
        }
        .insert(db)
        .await;
        match inserted {
            Ok(_) => {}
            // Two first sign-ins at once: the other one bound it; check it like a later one.
            Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                return Box::pin(admit(db, provider, subject, Some(&email), None, clock)).await;
            }
            Err(err) => return Err(err.into()),
        }
    } else if !bound
        .iter()
        .all(|row| row.user_id == user.id && row.subject == subject)
    {
        return Ok(Err(Refusal::OtherIdentity(email)));
    }
    Ok(Ok(user))
}

/// The enabled user bound to `subject` at `provider` by an earlier sign-in, if any.
pub async fn bound_user(
    db: &impl ConnectionTrait,
    provider: &str,
    subject: &str,
) -> AppResult<Option<app_user::Model>> {
    let Some(identity) =
        user_identity::Entity::find_by_id((provider.to_owned(), subject.to_owned()))
            .one(db)
            .await?
    else {
        return Ok(None);
    };
    Ok(app_user::Entity::find_by_id(identity.user_id)
        .one(db)
        .await?
        .filter(|user| !user.disabled))
}

/// SHA-256 (hex) of a cookie value, as stored.
fn digest(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// A fresh random token (32 bytes, hex).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Opens a session for `user`; returns the cookie's value (only its hash is stored).
pub async fn open(
    db: &impl ConnectionTrait,
    user: &app_user::Model,
    provider: &str,
    id_token: Option<String>,
    lifetimes: Lifetimes,
    clock: &Clock,
) -> AppResult<String> {
    let value = random_token();
    let now = clock.now();
    // Sessions past their end or idle too long are cleared as new ones open.
    web_session::Entity::delete_many()
        .filter(
            web_session::Column::ExpiresAt
                .lte(now)
                .or(web_session::Column::LastSeenAt.lte(now - lifetimes.idle)),
        )
        .exec(db)
        .await?;
    web_session::ActiveModel {
        id_hash: Set(digest(&value)),
        user_id: Set(user.id),
        provider: Set(provider.to_owned()),
        token_epoch: Set(user.token_epoch),
        id_token: Set(id_token),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + lifetimes.absolute),
    }
    .insert(db)
    .await?;
    Ok(value)
}

/// The actor of the session whose cookie holds `value`; `UNAUTHENTICATED` when it is unknown,
/// idle too long, past its end, or its user was disabled since.
pub async fn actor(
    db: &impl ConnectionTrait,
    value: &str,
    lifetimes: Lifetimes,
    clock: &Clock,
) -> AppResult<Actor> {
    let ended = || AppError::Unauthenticated("your session has ended: sign in again".into());
    let now = clock.now();
    let session = web_session::Entity::find_by_id(digest(value))
        .one(db)
        .await?
        .ok_or_else(ended)?;
    if session.expires_at <= now || session.last_seen_at + lifetimes.idle <= now {
        web_session::Entity::delete_by_id(session.id_hash)
            .exec(db)
            .await?;
        return Err(ended());
    }
    let actor = users::load_actor(
        db,
        Bearer {
            user_id: session.user_id,
            epoch: session.token_epoch,
        },
    )
    .await
    .map_err(|_| ended())?;
    if now - session.last_seen_at >= SEEN_RESOLUTION {
        web_session::Entity::update_many()
            .col_expr(web_session::Column::LastSeenAt, now.into())
            .filter(web_session::Column::IdHash.eq(&session.id_hash))
            .exec(db)
            .await?;
    }
    Ok(actor)
}

/// Ends the session whose cookie holds `value`; returns it if it existed.
pub async fn close(
    db: &impl ConnectionTrait,
    value: &str,
) -> AppResult<Option<web_session::Model>> {
    let Some(session) = web_session::Entity::find_by_id(digest(value))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    web_session::Entity::delete_by_id(session.id_hash.clone())
        .exec(db)
        .await?;
    Ok(Some(session))
}

/// Records a sign-in begun at `provider`.
pub async fn remember_login(
    db: &impl ConnectionTrait,
    provider: &str,
    state: &str,
    nonce: &str,
    pkce_verifier: &str,
    return_to: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    // Attempts left unfinished are cleared as new ones come.
    login_attempt::Entity::delete_many()
        .filter(login_attempt::Column::CreatedAt.lt(now - LOGIN_TIMEOUT))
        .exec(db)
        .await?;
    login_attempt::ActiveModel {
        state: Set(state.to_owned()),
        provider: Set(provider.to_owned()),
        nonce: Set(nonce.to_owned()),
        pkce_verifier: Set(pkce_verifier.to_owned()),
        return_to: Set(return_to.to_owned()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Takes the sign-in begun with `state`: it is deleted, so a second callback with the same
/// `state` finds nothing. `None` when unknown, already used, or older than ten minutes.
pub async fn take_login(
    db: &impl ConnectionTrait,
    state: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<login_attempt::Model>> {
    let Some(row) = login_attempt::Entity::find_by_id(state.to_owned())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let deleted = login_attempt::Entity::delete_by_id(state.to_owned())
        .exec(db)
        .await?;
    // Two callbacks at once: only the one that deleted the row goes on.
    if deleted.rows_affected != 1 || row.created_at + LOGIN_TIMEOUT <= now {
        return Ok(None);
    }
    Ok(Some(row))
}
