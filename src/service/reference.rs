//! Reading reference data (regions, departments, cantons, communes). Any signed-in user may
//! read it; the policy's `read` rule on `Department` says so and by-key reads ask it.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::auth::Caller;
use crate::auth::policy::PolarDepartment;
use crate::domain::enums::LOCATABLE_COMMUNE_KINDS;
use crate::error::AppResult;
use entity::{canton, commune, department};

/// Every department, by code.
pub async fn departments(db: &impl ConnectionTrait) -> AppResult<Vec<department::Model>> {
    Ok(department::Entity::find()
        .order_by_asc(department::Column::Code)
        .all(db)
        .await?)
}

/// The department with `code`, if the actor may read it.
pub async fn department(
    caller: Caller<'_, impl ConnectionTrait>,
    code: &str,
) -> AppResult<department::Model> {
    let Caller { db, policy, actor } = caller;
    let row = department::Entity::find_by_id(code.to_owned())
        .one(db)
        .await?;
    policy.readable(actor, row, |d| in_department(&d.code), "department", code)
}

/// The canton with `code`, if the actor may read its department.
pub async fn canton(
    caller: Caller<'_, impl ConnectionTrait>,
    code: &str,
) -> AppResult<canton::Model> {
    let Caller { db, policy, actor } = caller;
    let row = canton::Entity::find_by_id(code.to_owned()).one(db).await?;
    policy.readable(
        actor,
        row,
        |c| in_department(&c.department_code),
        "canton",
        code,
    )
}

/// The commune or arrondissement with `code`, if the actor may read its department.
pub async fn commune(
    caller: Caller<'_, impl ConnectionTrait>,
    code: &str,
) -> AppResult<commune::Model> {
    let Caller { db, policy, actor } = caller;
    let row = commune::Entity::find()
        .filter(commune::Column::Code.eq(code))
        .filter(commune::Column::Kind.is_in(LOCATABLE_COMMUNE_KINDS))
        .one(db)
        .await?;
    policy.readable(
        actor,
        row,
        |c| in_department(&c.department_code),
        "commune",
        code,
    )
}

/// Reference rows are read under the policy's rule on their department.
fn in_department(code: &str) -> PolarDepartment {
    PolarDepartment {
        code: code.to_owned(),
    }
}
