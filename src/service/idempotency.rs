//! Idempotency keys for the mutations that create something (issue 14): a client that lost
//! the answer to a creation (a timeout, a crashed database, a dropped connection) sends it
//! again with the same `idempotencyKey` and gets the object the first call created, never a
//! second one.
//!
//! How it holds without touching each service: the resolver runs the service inside
//! [`claimed`], which puts a [`Claim`] in a task-local; [`crate::service::audit`] writes the
//! key, with the key of the object created, in the same transaction as the audit entry of
//! that creation (every creation is audited). So the key exists if and only if the creation
//! committed. A concurrent twin with the same key fails on the key's primary key and is
//! answered with the first one's object.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set};
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use entity::idempotency_key;

/// The longest key accepted (a UUID is 36 characters).
pub const MAX_KEY_CHARS: usize = 128;

tokio::task_local! {
    static CLAIM: Arc<Claim>;
}

/// A key being used by one mutation call.
#[derive(Debug)]
pub struct Claim {
    caller: String,
    operation: String,
    key: String,
    fingerprint: String,
    /// The audit `target_type` of the object the mutation creates.
    creates: &'static str,
    /// Set once the key is written (one object per call).
    written: AtomicBool,
}

impl Claim {
    /// A claim of `key` by `caller` (`Some(user id)`, `None` for a call without an account)
    /// for `operation`, whose other arguments are `arguments`, creating a `creates`.
    pub fn new(
        caller: Option<i64>,
        operation: &str,
        key: &str,
        arguments: &serde_json::Value,
        creates: &'static str,
    ) -> AppResult<Self> {
        let valid = !key.is_empty()
            && key.chars().count() <= MAX_KEY_CHARS
            && key.chars().all(|c| c.is_ascii_graphic());
        if !valid {
            return Err(AppError::bad_input(
                "idempotencyKey",
                format!(
                    "an idempotency key is 1 to {MAX_KEY_CHARS} printable ASCII characters \
                     (a UUID is a good one)"
                ),
            ));
        }
        Ok(Self {
            caller: caller.map_or_else(|| "anonymous".to_owned(), |id| format!("user:{id}")),
            operation: operation.to_owned(),
            key: key.to_owned(),
            fingerprint: hex::encode(Sha256::digest(arguments.to_string().as_bytes())),
            creates,
            written: AtomicBool::new(false),
        })
    }

    /// The key's row, if a committed call used it already. The same key with other
    /// arguments is refused: it would otherwise answer a different question.
    pub async fn replay(&self, db: &DatabaseConnection) -> AppResult<Option<String>> {
        let found = idempotency_key::Entity::find_by_id((
            self.caller.clone(),
            self.operation.clone(),
            self.key.clone(),
        ))
        .one(db)
        .await?;
        match found {
            Some(row) if row.fingerprint != self.fingerprint => Err(AppError::bad_input(
                "idempotencyKey",
                "this idempotency key was used with other arguments: send a new key for a new \
                 request",
            )),
            Some(row) => Ok(Some(row.target_key)),
            None => Ok(None),
        }
    }
}

/// Runs `create` with `claim` (if any) in force: the key is written with the object created.
/// Returns the created value, or `Err` with the key of the object an earlier (or concurrent)
/// call with the same key created.
pub async fn claimed<T>(
    db: &DatabaseConnection,
    claim: Option<Claim>,
    create: impl Future<Output = AppResult<T>>,
) -> AppResult<Result<T, String>> {
    let Some(claim) = claim else {
        return Ok(Ok(create.await?));
    };
    if let Some(target) = claim.replay(db).await? {
        return Ok(Err(target));
    }
    let claim = Arc::new(claim);
    match CLAIM.scope(Arc::clone(&claim), create).await {
        Ok(value) => Ok(Ok(value)),
        // A concurrent twin committed first: its object is the answer.
        Err(err) => match claim.replay(db).await? {
            Some(target) => Ok(Err(target)),
            None => Err(err),
        },
    }
}

/// Whether this task is a call with an idempotency key that will create an object of
/// `target_type` and has not written its key yet (the audit log writes it, [`written`]).
pub(crate) fn creating(target_type: &str) -> bool {
    CLAIM
        .try_with(|claim| claim.creates == target_type && !claim.written.load(Ordering::Relaxed))
        .unwrap_or(false)
}

/// Called by the audit log for each entry written: writes the key in force, once, with the
/// first created object of the claimed type (`target_type`, `target_key`).
pub(crate) async fn written(
    txn: &impl ConnectionTrait,
    clock: &Clock,
    target_type: &str,
    target_key: &str,
) -> AppResult<()> {
    let row = CLAIM
        .try_with(|claim| {
            (claim.creates == target_type && !claim.written.swap(true, Ordering::Relaxed)).then(
                || idempotency_key::ActiveModel {
                    caller: Set(claim.caller.clone()),
                    operation: Set(claim.operation.clone()),
                    key: Set(claim.key.clone()),
                    fingerprint: Set(claim.fingerprint.clone()),
                    target_key: Set(target_key.to_owned()),
                    created_at: Set(clock.now()),
                },
            )
        })
        .ok()
        .flatten();
    if let Some(row) = row {
        row.insert(txn).await.map_err(|err| {
            AppError::on_write(err, || {
                "this idempotency key is being used by another call".into()
            })
        })?;
    }
    Ok(())
}
