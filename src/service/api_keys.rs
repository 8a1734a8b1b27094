//! API keys for integration scripts: long-lived, revocable bearer credentials that are not a
//! person's token.
//!
//! A key acts as its own user (`NAME@api-key.invalid`), whose role assignments say what it
//! may do; it goes through the same actor loading and the same policy as a person. Only the
//! key's SHA-256 is stored (a key is 32 random bytes: a slow hash would add nothing but
//! latency on every request). Creation, revocation and every use of a revoked key are in the
//! audit log.

use anyhow::{Context, bail, ensure};
use chrono::Duration;
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use sha2::{Digest, Sha256};

use super::audit::{self, Change};
use super::users::{self, ScopeArgs};
use crate::auth::policy::PolarApiKeys;
use crate::auth::{Actor, Caller};
use crate::clock::Clock;
use crate::domain::enums::Role;
use crate::error::{AppError, AppResult};
use entity::{api_key, app_user};

/// Every key starts with this, so that a leaked one is recognised (and routed here).
pub const PREFIX: &str = "mk_";
/// The domain of keys' own users: `.invalid` can never be a person's e-mail, so no OpenID
/// provider signs anyone in as a key.
pub const USER_DOMAIN: &str = "api-key.invalid";
/// Longest lifetime of a key.
pub const MAX_TTL: Duration = Duration::days(366);
/// `last_used_at` is written at most this often per key.
const USE_RESOLUTION: Duration = Duration::seconds(60);

/// SHA-256 (hex) of a key, as stored.
fn digest(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A key's name: 1 to 64 of `a-z 0-9 - _`.
fn check_name(name: &str) -> anyhow::Result<()> {
    ensure!(
        (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'),
        "'{name}' is not a key name: 1 to 64 characters among a-z, 0-9, '-' and '_'"
    );
    Ok(())
}

/// A created key: the secret, shown once, and its row.
pub struct Created {
    /// The key to send as `Authorization: Bearer <key>`.
    pub key: String,
    /// The stored row.
    pub row: api_key::Model,
}

/// Creates the key `name` with `role` in `scope`, valid for `ttl`, recorded in the audit log
/// as done by `by` (an actor, or `None` from the command line).
pub async fn create(
    db: &DatabaseConnection,
    name: &str,
    role: Role,
    scope: &ScopeArgs,
    ttl: Duration,
    by: Option<&Actor>,
    clock: &Clock,
) -> anyhow::Result<Created> {
    check_name(name)?;
    ensure!(
        ttl > Duration::zero() && ttl <= MAX_TTL,
        "a key lives from 1 to 366 days"
    );
    let now = clock.now();
    let txn = crate::db::begin(db).await?;
    if api_key::Entity::find()
        .filter(api_key::Column::Name.eq(name))
        .one(&txn)
        .await?
        .is_some()
    {
        bail!("a key named '{name}' exists already: revoke it, or choose another name");
    }
    let email = format!("{name}@{USER_DOMAIN}");
    ensure!(
        users::find_by_email(&txn, &email).await?.is_none(),
        "a revoked key named '{name}' existed: choose another name"
    );
    // The key's user and its one assignment (same checks as `maillage user grant`).
    users::grant(&txn, &email, role, scope, now).await?;
    let user = users::find_by_email(&txn, &email)
        .await?
        .context("the key's user was just created")?;
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let key = format!("{PREFIX}{}", hex::encode(secret));
    let row = api_key::ActiveModel {
        name: Set(name.to_owned()),
        key_hash: Set(digest(&key)),
        prefix: Set(key[..PREFIX.len() + 6].to_owned()),
        user_id: Set(user.id),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .context("Failed to store the key")?;
    let change = Change {
        action: "apiKey.create",
        target_type: "ApiKey",
        target_key: name,
        // Keys are ANCT's to manage: their entries concern no department, so that only ANCT
        // reads them, as it alone reads `apiKeys`.
        department: None,
        before: None,
        after: Some(serde_json::json!({
            "name": name,
            "role": <&str>::from(role),
            "department": scope.department,
            "partner": scope.partner,
            "structure": scope.structure,
            "expiresAt": row.expires_at,
        })),
    };
    audit_by(&txn, by, clock, change).await?;
    txn.commit().await?;
    Ok(Created { key, row })
}

/// Revokes the key `name`: it stops working at once.
pub async fn revoke(
    db: &DatabaseConnection,
    name: &str,
    by: Option<&Actor>,
    clock: &Clock,
) -> anyhow::Result<api_key::Model> {
    let txn = crate::db::begin(db).await?;
    let row = api_key::Entity::find()
        .filter(api_key::Column::Name.eq(name))
        .one(&txn)
        .await?
        .with_context(|| format!("no key named '{name}' (see `maillage apikey list`)"))?;
    if row.revoked_at.is_some() {
        txn.commit().await?;
        return Ok(row);
    }
    let mut active: api_key::ActiveModel = row.into();
    active.revoked_at = Set(Some(clock.now()));
    let row = active.update(&txn).await?;
    // The key's user is disabled too: its epoch moves on, whatever path it is loaded by.
    let user = app_user::Entity::find_by_id(row.user_id)
        .one(&txn)
        .await?
        .context("the key's user is gone")?;
    let epoch = user.token_epoch.wrapping_add(1);
    let mut user: app_user::ActiveModel = user.into();
    user.disabled = Set(true);
    user.token_epoch = Set(epoch);
    user.update(&txn).await?;
    let change = Change {
        action: "apiKey.revoke",
        target_type: "ApiKey",
        target_key: name,
        department: None,
        before: None,
        after: Some(serde_json::json!({ "name": name, "revokedAt": row.revoked_at })),
    };
    audit_by(&txn, by, clock, change).await?;
    txn.commit().await?;
    Ok(row)
}

/// Records `change` by `by`, or by the command line.
async fn audit_by(
    txn: &impl ConnectionTrait,
    by: Option<&Actor>,
    clock: &Clock,
    change: Change<'_>,
) -> anyhow::Result<()> {
    match by {
        Some(actor) => audit::record(txn, actor, clock, change).await,
        None => audit::record_without_account(txn, clock, "command line", change).await,
    }
    .map_err(|e| anyhow::anyhow!("Failed to write the audit log: {}", e.message()))
}

/// Every key, newest first.
pub async fn list(db: &impl ConnectionTrait) -> anyhow::Result<Vec<api_key::Model>> {
    Ok(api_key::Entity::find()
        .order_by_desc(api_key::Column::Id)
        .all(db)
        .await?)
}

/// The actor of a key sent as a bearer token; `UNAUTHENTICATED` for an unknown, revoked or
/// expired key. A revoked key's use is written to the audit log.
pub async fn authenticate(db: &DatabaseConnection, key: &str, clock: &Clock) -> AppResult<Actor> {
    let now = clock.now();
    let row = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(digest(key)))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("unknown API key".into()))?;
    if row.revoked_at.is_some() {
        let txn = crate::db::begin(db).await?;
        audit::record_without_account(
            &txn,
            clock,
            &format!("API key {}", row.name),
            Change {
                action: "apiKey.useRevoked",
                target_type: "ApiKey",
                target_key: &row.name,
                department: None,
                before: None,
                after: None,
            },
        )
        .await?;
        txn.commit().await?;
        return Err(AppError::Unauthenticated(
            "this API key was revoked: ask for a new one".into(),
        ));
    }
    if row.expires_at <= now {
        return Err(AppError::Unauthenticated(
            "this API key has expired: ask for a new one".into(),
        ));
    }
    let user = app_user::Entity::find_by_id(row.user_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("unknown API key".into()))?;
    let actor = users::load_actor(db, users::bearer_of(&user)).await?;
    if row.last_used_at.is_none_or(|at| now - at >= USE_RESOLUTION) {
        let mut active: api_key::ActiveModel = row.into();
        active.last_used_at = Set(Some(now));
        active.update(db).await?;
    }
    Ok(actor)
}

/// A key as listed: its row and its one assignment.
pub struct Listed {
    /// The stored row.
    pub row: api_key::Model,
    /// The key's role and scope, as `maillage user list` shows them.
    pub assignment: Option<users::AssignmentListing>,
}

/// Every key with its assignment, newest first, for a caller who may manage keys (policy
/// `manage` on `ApiKeys`).
pub async fn listed(caller: Caller<'_>) -> AppResult<Vec<Listed>> {
    authorize(caller)?;
    let assignments = users::list(caller.db).await.map_err(AppError::Internal)?;
    let rows = list(caller.db).await.map_err(AppError::Internal)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let email = format!("{}@{USER_DOMAIN}", row.name);
            let assignment = assignments
                .iter()
                .find(|a| a.email == email && a.role.is_some())
                .cloned();
            Listed { row, assignment }
        })
        .collect())
}

fn authorize(caller: Caller<'_>) -> AppResult<()> {
    caller.policy.authorize(
        caller.actor,
        "manage",
        PolarApiKeys {},
        "only ANCT manages API keys",
    )
}

/// A refusal of `create` or `revoke` as the caller should read it: bad input, unless the
/// database failed.
fn refused(err: anyhow::Error) -> AppError {
    if err.downcast_ref::<sea_orm::DbErr>().is_some() {
        AppError::Internal(err)
    } else {
        AppError::bad_input("input", err.to_string())
    }
}

/// `create` for a caller who may manage keys.
pub async fn create_as(
    caller: Caller<'_>,
    name: &str,
    role: Role,
    scope: &ScopeArgs,
    ttl: Duration,
    clock: &Clock,
) -> AppResult<Created> {
    authorize(caller)?;
    // A name is a key's natural key: a second creation is a conflict that creates nothing.
    if api_key::Entity::find()
        .filter(api_key::Column::Name.eq(name))
        .one(caller.db)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(format!(
            "a key named '{name}' exists already: revoke it, or choose another name"
        )));
    }
    create(caller.db, name, role, scope, ttl, Some(caller.actor), clock)
        .await
        .map_err(refused)
}

/// `revoke` for a caller who may manage keys.
pub async fn revoke_as(caller: Caller<'_>, name: &str, clock: &Clock) -> AppResult<api_key::Model> {
    authorize(caller)?;
    revoke(caller.db, name, Some(caller.actor), clock)
        .await
        .map_err(|err| match refused(err) {
            AppError::BadUserInput { message, .. } => AppError::NotFound(message),
            other => other,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_lower_case_words() {
        assert!(check_name("caf-export_2").is_ok());
        for bad in ["", "CAF", "caf export", "caf@x", &"a".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
