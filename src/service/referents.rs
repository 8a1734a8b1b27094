//! Partners' referents in each department. Everyone working in the department reads
//! them (policy: `read_referents` on `Department`); its prefects and the partner's operators
//! manage them (`manage` on `Referent`), checked on the referent before and after a change.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::audit;
use crate::auth::policy::{PolarDepartment, PolarReferent};
use crate::auth::{Actor, Caller, Policy};
use crate::clock::Clock;
use crate::domain::enums::{ReferentKind, db_name};
use crate::domain::text::{is_email, is_phone};
use crate::error::{AppError, AppResult};
use entity::{department, partner, referent};

/// A referent as entered.
#[derive(Clone, Debug)]
pub struct ReferentInput {
    /// Partner code.
    pub partner: String,
    /// Department INSEE code.
    pub department: String,
    /// What the referent is for.
    pub kind: ReferentKind,
    /// Full name.
    pub name: String,
    /// Professional e-mail.
    pub email: String,
    /// Professional phone.
    pub phone: Option<String>,
}

/// Whether `actor` may read the referents of `department` (everyone working there).
pub fn can_read(policy: &Policy, actor: &Actor, department: &str) -> AppResult<bool> {
    policy.is_allowed(
        actor,
        "read_referents",
        PolarDepartment {
            code: department.to_owned(),
        },
    )
}

/// The referents of the partner `partner_id` in the departments whose referents the caller
/// reads (`read_referents`: everyone working there), by department then name.
pub async fn of_partner(caller: Caller<'_>, partner_id: i64) -> AppResult<Vec<referent::Model>> {
    let Caller { db, policy, actor } = caller;
    let rows = referent::Entity::find()
        .filter(referent::Column::PartnerId.eq(partner_id))
        .order_by_asc(referent::Column::DepartmentCode)
        .order_by_asc(referent::Column::Name)
        .all(db)
        .await?;
    let mut readable: HashMap<String, bool> = HashMap::new();
    let mut shown = Vec::with_capacity(rows.len());
    for row in rows {
        let allowed = match readable.get(&row.department_code) {
            Some(allowed) => *allowed,
            None => {
                let allowed = can_read(policy, actor, &row.department_code)?;
                readable.insert(row.department_code.clone(), allowed);
                allowed
            }
        };
        if allowed {
            shown.push(row);
        }
    }
    Ok(shown)
}

/// The referents of each department in `codes`, by partner code then name.
pub async fn of_departments(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> AppResult<HashMap<String, Vec<referent::Model>>> {
    let mut by_department: HashMap<String, Vec<referent::Model>> = HashMap::new();
    for row in referent::Entity::find()
        .filter(referent::Column::DepartmentCode.is_in(codes.to_vec()))
        .order_by_asc(referent::Column::PartnerId)
        .order_by_asc(referent::Column::Name)
        .all(db)
        .await?
    {
        by_department
            .entry(row.department_code.clone())
            .or_default()
            .push(row);
    }
    Ok(by_department)
}

/// Back-office referents Administration+ expects of each core partner in a department (R-10:
/// "deux référents identifiés localement"; the label's C10 asks for one).
pub const REFERENTS_EXPECTED: u64 = 2;

/// A core partner with fewer back-office referents in a department than expected.
#[derive(Clone, Debug)]
pub struct Shortfall {
    /// The partner.
    pub partner: partner::Model,
    /// Its back-office referents in the department.
    pub back_office: u64,
}

/// The core partners with fewer than [`REFERENTS_EXPECTED`] back-office referents, with
/// how many they have, for each department in `codes`, by partner code.
pub async fn missing_core(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> AppResult<HashMap<String, Vec<Shortfall>>> {
    let core = partner::Entity::find()
        .filter(partner::Column::Core.eq(true))
        .order_by_asc(partner::Column::Code)
        .all(db)
        .await?;
    let mut back_office: HashMap<(String, i64), u64> = HashMap::new();
    for referent in referent::Entity::find()
        .filter(referent::Column::DepartmentCode.is_in(codes.to_vec()))
        .filter(referent::Column::Kind.eq(db_name(ReferentKind::BackOffice)))
        .all(db)
        .await?
    {
        *back_office
            .entry((referent.department_code, referent.partner_id))
            .or_default() += 1;
    }
    Ok(codes
        .iter()
        .map(|code| {
            let short = core
                .iter()
                .map(|p| Shortfall {
                    partner: p.clone(),
                    back_office: back_office.get(&(code.clone(), p.id)).copied().unwrap_or(0),
                })
                .filter(|s| s.back_office < REFERENTS_EXPECTED)
                .collect();
            (code.clone(), short)
        })
        .collect())
}

/// Checks `input` and resolves its partner; `BAD_USER_INPUT` names the field at fault.
async fn check(db: &impl ConnectionTrait, input: &ReferentInput) -> AppResult<partner::Model> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::bad_input(
            "input.name",
            "a name is 1 to 200 characters",
        ));
    }
    let email = input.email.trim();
    if !is_email(email) {
        return Err(AppError::bad_input(
            "input.email",
            format!("'{email}' is not an e-mail address"),
        ));
    }
    if let Some(phone) = &input.phone
        && !is_phone(phone)
    {
        return Err(AppError::bad_input(
            "input.phone",
            format!("'{phone}' is not a phone number"),
        ));
    }
    department::Entity::find_by_id(input.department.clone())
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::bad_input(
                "input.department",
                format!("unknown department '{}'", input.department),
            )
        })?;
    let partner = partner::Entity::find()
        .filter(partner::Column::Code.eq(input.partner.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::bad_input(
                "input.partner",
                format!("unknown partner '{}'", input.partner),
            )
        })?;
    if let Some(home) = &partner.department_code
        && home != &input.department
    {
        return Err(AppError::bad_input(
            "input.partner",
            format!(
                "partner '{}' is a local partner of department {home}",
                partner.code
            ),
        ));
    }
    Ok(partner)
}

fn snapshot(row: &referent::Model, partner: &str) -> serde_json::Value {
    json!({
        "partner": partner, "department": row.department_code, "kind": row.kind,
        "name": row.name, "email": row.email, "phone": row.phone,
    })
}

fn authorize_manage(
    policy: &Policy,
    actor: &Actor,
    partner: &str,
    department: &str,
) -> AppResult<()> {
    policy.authorize(
        actor,
        "manage",
        PolarReferent {
            partner: partner.to_owned(),
            department: department.to_owned(),
        },
        "referents are managed by the department's prefecture and the partner's operators",
    )
}

/// Adds a referent, recorded in the audit log.
pub async fn create(
    caller: Caller<'_>,
    input: ReferentInput,
    clock: &Clock,
) -> AppResult<referent::Model> {
    let Caller { db, policy, actor } = caller;
    let partner = check(db, &input).await?;
    authorize_manage(policy, actor, &partner.code, &input.department)?;
    let txn = crate::db::begin(db).await?;
    let now = clock.now();
    let row = referent::ActiveModel {
        partner_id: Set(partner.id),
        department_code: Set(input.department.clone()),
        kind: Set(db_name(input.kind).to_owned()),
        name: Set(input.name.trim().to_owned()),
        email: Set(input.email.trim().to_lowercase()),
        phone: Set(input
            .phone
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let id = row.id.to_string();
    let change = audit::Change {
        action: "referent.create",
        target_type: "Referent",
        target_key: &id,
        department: Some(&row.department_code),
        before: None,
        after: Some(snapshot(&row, &partner.code)),
    };
    audit::record(&txn, actor, clock, change).await?;
    txn.commit().await?;
    Ok(row)
}

/// The referent `id` with its partner's code, if the actor may read it; `NOT_FOUND`
/// otherwise, whether or not it exists.
pub async fn readable(
    caller: Caller<'_, impl ConnectionTrait>,
    id: i64,
) -> AppResult<(referent::Model, String)> {
    let Caller { db, policy, actor } = caller;
    let found = referent::Entity::find_by_id(id).one(db).await?;
    let key = id.to_string();
    let row = match found {
        Some(row) if can_read(policy, actor, &row.department_code)? => row,
        _ => return Err(AppError::not_found("referent", &key)),
    };
    let partner = partner::Entity::find_by_id(row.partner_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("referent {id} has no partner")))?;
    Ok((row, partner.code))
}

/// Replaces the referent `id` with `input`; the actor must manage it both before and after.
pub async fn update(
    caller: Caller<'_>,
    id: i64,
    input: ReferentInput,
    clock: &Clock,
) -> AppResult<referent::Model> {
    let Caller { db, policy, actor } = caller;
    let (before, before_partner) = readable(caller, id).await?;
    authorize_manage(policy, actor, &before_partner, &before.department_code)?;
    let partner = check(db, &input).await?;
    authorize_manage(policy, actor, &partner.code, &input.department)?;
    let txn = crate::db::begin(db).await?;
    let mut row: referent::ActiveModel = before.clone().into();
    row.partner_id = Set(partner.id);
    row.department_code = Set(input.department.clone());
    row.kind = Set(db_name(input.kind).to_owned());
    row.name = Set(input.name.trim().to_owned());
    row.email = Set(input.email.trim().to_lowercase());
    row.phone = Set(input
        .phone
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty()));
    row.updated_at = Set(clock.now());
    let after = row.update(&txn).await?;
    let key = id.to_string();
    let change = audit::Change {
        action: "referent.update",
        target_type: "Referent",
        target_key: &key,
        department: Some(&after.department_code),
        before: Some(snapshot(&before, &before_partner)),
        after: Some(snapshot(&after, &partner.code)),
    };
    audit::record(&txn, actor, clock, change).await?;
    txn.commit().await?;
    Ok(after)
}

/// Removes the referent `id`.
pub async fn delete(caller: Caller<'_>, id: i64, clock: &Clock) -> AppResult<()> {
    let Caller { db, policy, actor } = caller;
    let (before, partner) = readable(caller, id).await?;
    authorize_manage(policy, actor, &partner, &before.department_code)?;
    let txn = crate::db::begin(db).await?;
    referent::Entity::delete_by_id(id).exec(&txn).await?;
    let key = id.to_string();
    let change = audit::Change {
        action: "referent.delete",
        target_type: "Referent",
        target_key: &key,
        department: Some(&before.department_code),
        before: Some(snapshot(&before, &partner)),
        after: None,
    };
    audit::record(&txn, actor, clock, change).await?;
    txn.commit().await?;
    Ok(())
}
