//! Partners: any signed-in user may read them (policy: `read` on `Partner`); ANCT and a
//! department's prefects add its local partners (`add_local_partner` on `Department`).

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, Set, SqlErr,
};

use super::audit;

use crate::auth::Caller;
use crate::auth::policy::{PolarDepartment, PolarPartner};
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use entity::{department, partner};

/// Filters of the partners list.
#[derive(Clone, Debug, Default)]
pub struct PartnerFilter {
    /// Only core partners (`true`) or only the others (`false`).
    pub core: Option<bool>,
    /// National partners plus the local partners of this department.
    pub department: Option<String>,
}

/// Partners, national ones first then local ones, each by code.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &PartnerFilter,
) -> AppResult<Vec<partner::Model>> {
    let mut select = partner::Entity::find();
    if let Some(core) = filter.core {
        select = select.filter(partner::Column::Core.eq(core));
    }
    if let Some(department) = &filter.department {
        select = select.filter(
            partner::Column::DepartmentCode
                .is_null()
                .or(partner::Column::DepartmentCode.eq(department.as_str())),
        );
    }
    let mut rows = select.order_by_asc(partner::Column::Code).all(db).await?;
    rows.sort_by_key(|row| row.department_code.is_some());
    Ok(rows)
}

/// The partner with `code`, if the actor may read it.
pub async fn by_code(
    caller: Caller<'_, impl ConnectionTrait>,
    code: &str,
) -> AppResult<partner::Model> {
    let Caller { db, policy, actor } = caller;
    let row = partner::Entity::find()
        .filter(partner::Column::Code.eq(code))
        .one(db)
        .await?;
    let resource = |p: &partner::Model| PolarPartner {
        code: p.code.clone(),
    };
    policy.readable(actor, row, resource, "partner", code)
}

/// A local partner to add to a department.
#[derive(Clone, Debug)]
pub struct NewLocalPartner {
    /// Stable code, e.g. `CD23`: 2 to 40 letters, digits or `_`, stored upper-case.
    pub code: String,
    /// Display name.
    pub name: String,
    /// The department it works in.
    pub department: String,
}

/// Longest partner name accepted.
const MAX_NAME_LEN: usize = 200;

/// Adds a local partner to a department: ANCT, or a prefect of that department (policy:
/// `add_local_partner` on `Department`).
pub async fn create_local(
    caller: Caller<'_>,
    new: NewLocalPartner,
    clock: &Clock,
) -> AppResult<partner::Model> {
    let Caller { db, policy, actor } = caller;
    let code = new.code.trim().to_uppercase();
    let code_ok = (2..=40).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !code_ok {
        return Err(AppError::bad_input(
            "input.code",
            "a partner code is 2 to 40 letters, digits or '_' (e.g. CD23)",
        ));
    }
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(AppError::bad_input(
            "input.name",
            format!("a partner name is 1 to {MAX_NAME_LEN} characters"),
        ));
    }
    let department = department::Entity::find_by_id(new.department.clone())
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::bad_input(
                "input.department",
                format!("unknown department '{}'", new.department),
            )
        })?;
    policy.authorize(
        actor,
        "add_local_partner",
        PolarDepartment {
            code: department.code.clone(),
        },
        "local partners are added by ANCT or by the department's prefecture",
    )?;
    let conflict = || AppError::Conflict(format!("a partner with code '{code}' already exists"));
    let exists = partner::Entity::find()
        .filter(partner::Column::Code.eq(code.as_str()))
        .one(db)
        .await?;
    if exists.is_some() {
        return Err(conflict());
    }
    let txn = crate::db::begin(db).await?;
    let inserted = partner::ActiveModel {
        code: Set(code.clone()),
        name: Set(name),
        core: Set(false),
        department_code: Set(Some(department.code)),
        created_at: Set(clock.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(row) => {
            let change = audit::Change {
                action: "partner.create_local",
                target_type: "Partner",
                target_key: &row.code,
                department: row.department_code.as_deref(),
                before: None,
                after: Some(serde_json::json!({
                    "code": row.code, "name": row.name, "core": row.core,
                    "department": row.department_code,
                })),
            };
            audit::record(&txn, actor, clock, change).await?;
            txn.commit().await?;
            Ok(row)
        }
        // Another request created the same code in between.
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Err(conflict())
        }
        Err(err) => Err(err.into()),
    }
}
