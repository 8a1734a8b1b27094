//! The audit log (DOMAIN "Audit log"): every mutation records who changed what, when, with
//! the object before and after, in the same transaction as the change. ANCT reads every
//! entry, a prefect the entries of their departments (policy: `read` on `AuditEntry`).

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Select,
    Set,
};
use serde_json::Value;

use super::paging::{self, Direction};
use crate::auth::{Actor, Caller};
use crate::clock::Clock;
use crate::domain::enums::Role;
use crate::error::AppResult;
use entity::audit_log;

/// A change to record.
pub struct Change<'a> {
    /// What was done, `area.verb` (`partner.create_local`).
    pub action: &'a str,
    /// Type of the changed object (`Partner`).
    pub target_type: &'a str,
    /// Key of the changed object.
    pub target_key: &'a str,
    /// Department the change concerns, if any.
    pub department: Option<&'a str>,
    /// The object before (none for a creation).
    pub before: Option<Value>,
    /// The object after (none for a deletion).
    pub after: Option<Value>,
}

/// Records `change` by `actor`; call it with the transaction of the change itself.
pub async fn record(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    clock: &Clock,
    change: Change<'_>,
) -> AppResult<()> {
    insert(txn, Some(actor.user_id), &actor.email, clock, change).await
}

/// Records `change` made without an account (a single-use code, an anonymous survey), under
/// `who`, e.g. `"onboarding code"`.
pub async fn record_without_account(
    txn: &impl ConnectionTrait,
    clock: &Clock,
    who: &str,
    change: Change<'_>,
) -> AppResult<()> {
    insert(txn, None, who, clock, change).await
}

async fn insert(
    txn: &impl ConnectionTrait,
    user_id: Option<i64>,
    who: &str,
    clock: &Clock,
    change: Change<'_>,
) -> AppResult<()> {
    crate::service::idempotency::written(txn, clock, change.target_type, change.target_key).await?;
    row(user_id, who, clock, change).insert(txn).await?;
    Ok(())
}

/// The audit record of `change` by `who` (user `user_id`), as [`record`] writes it.
fn row(
    user_id: Option<i64>,
    who: &str,
    clock: &Clock,
    change: Change<'_>,
) -> audit_log::ActiveModel {
    audit_log::ActiveModel {
        at: Set(clock.now()),
        actor_user_id: Set(user_id),
        actor_email: Set(who.to_owned()),
        action: Set(change.action.to_owned()),
        target_type: Set(change.target_type.to_owned()),
        target_key: Set(change.target_key.to_owned()),
        department_code: Set(change.department.map(str::to_owned)),
        before: Set(change.before.map(|v| v.to_string())),
        after: Set(change.after.map(|v| v.to_string())),
        ..Default::default()
    }
}

/// The audit record of `change` by `actor`, for a statement that writes it with the object
/// it records ([`record`] otherwise): the caller writes it when no idempotency key is
/// claimed for the object (`idempotency::creating`).
pub fn row_of(actor: &Actor, clock: &Clock, change: Change<'_>) -> audit_log::ActiveModel {
    row(Some(actor.user_id), &actor.email, clock, change)
}

/// An entry's `before` / `after` as its readers (ANCT, prefects) may see it: the same field
/// rules as the object itself. An Administration+ request's content (its attachments'
/// names, sizes and checksums among it) is for the partner and the structure only,
/// so such entries show how many files came, never which; entries written before that rule
/// are redacted here on the way out.
pub fn redacted(target_type: &str, mut value: Value) -> Value {
    if target_type == "SupportRequest"
        && let Some(attachments) = value.pointer_mut("/details/attachments")
        && let Some(files) = attachments.as_array()
    {
        *attachments = Value::from(files.len());
    }
    value
}

/// The entries an actor may read, as the policy's `read` rules on `AuditEntry` decide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditScope {
    /// Every entry (ANCT).
    All,
    /// The entries of these departments (PREFECT); possibly none.
    Departments(Vec<String>),
}

impl AuditScope {
    /// The scope of `actor`. Keep in step with `src/authorization.polar`.
    pub fn of(actor: &Actor) -> Self {
        if actor.has_role(Role::Anct) {
            return Self::All;
        }
        Self::Departments(actor.views().steered.departments.clone())
    }
}

/// Filters of the audit log; all given filters must hold.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Concerning this department.
    pub department: Option<String>,
    /// On objects of this type.
    pub target_type: Option<String>,
    /// On the object with this key.
    pub target_key: Option<String>,
}

fn scoped(actor: &Actor, filter: &AuditFilter) -> Option<Select<audit_log::Entity>> {
    let mut select = audit_log::Entity::find();
    match AuditScope::of(actor) {
        AuditScope::All => {}
        AuditScope::Departments(departments) if departments.is_empty() => return None,
        AuditScope::Departments(departments) => {
            select = select.filter(audit_log::Column::DepartmentCode.is_in(departments));
        }
    }
    let mut all = Condition::all();
    if let Some(department) = &filter.department {
        all = all.add(audit_log::Column::DepartmentCode.eq(department.as_str()));
    }
    if let Some(target_type) = &filter.target_type {
        all = all.add(audit_log::Column::TargetType.eq(target_type.as_str()));
    }
    if let Some(target_key) = &filter.target_key {
        all = all.add(audit_log::Column::TargetKey.eq(target_key.as_str()));
    }
    Some(select.filter(all))
}

/// One page of the actor's entries, newest first, before the entry `before`: at most
/// `limit` entries, plus whether more follow.
pub async fn page(
    caller: Caller<'_, impl ConnectionTrait>,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: u64,
) -> AppResult<(Vec<audit_log::Model>, bool)> {
    let Caller { db, actor, .. } = caller;
    let select = scoped(actor, filter);
    paging::keyset_page(
        db,
        select,
        audit_log::Column::Id,
        Direction::Descending,
        before,
        limit,
    )
    .await
}

/// How many of the actor's entries match `filter`.
pub async fn count(
    caller: Caller<'_, impl ConnectionTrait>,
    filter: &AuditFilter,
) -> AppResult<u64> {
    let Caller { db, actor, .. } = caller;
    paging::count(db, scoped(actor, filter)).await
}
