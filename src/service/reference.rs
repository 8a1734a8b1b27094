//! Reading reference data (regions, departments, cantons, communes). Any signed-in user may
//! read it; the policy's `read` rule on `Department` says so and by-key reads ask it.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::auth::policy::PolarDepartment;
use crate::auth::{Actor, Policy};
use crate::domain::enums::LOCATABLE_COMMUNE_KINDS;
use crate::error::{AppError, AppResult};
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
    db: &impl ConnectionTrait,
    policy: &Policy,
    actor: &Actor,
    code: &str,
) -> AppResult<department::Model> {
    let found = department::Entity::find_by_id(code.to_owned())
        .one(db)
        .await?;
    match found {
        Some(row)
            if policy.is_allowed(
                actor,
                "read",
                PolarDepartment {
                    code: row.code.clone(),
                },
            )? =>
        {
            Ok(row)
        }
        _ => Err(AppError::not_found("department", code)),
    }
}

/// Communes and arrondissements (the rows a structure can sit in) by code.
pub async fn communes_by_code(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> AppResult<HashMap<String, commune::Model>> {
    Ok(commune::Entity::find()
        .filter(commune::Column::Code.is_in(codes.to_vec()))
        .filter(commune::Column::Kind.is_in(LOCATABLE_COMMUNE_KINDS))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.code.clone(), row))
        .collect())
}

/// The canton with `code`, if the actor may read its department.
pub async fn canton(
    db: &impl ConnectionTrait,
    policy: &Policy,
    actor: &Actor,
    code: &str,
) -> AppResult<canton::Model> {
    let found = canton::Entity::find_by_id(code.to_owned()).one(db).await?;
    match found {
        Some(row)
            if policy.is_allowed(
                actor,
                "read",
                PolarDepartment {
                    code: row.department_code.clone(),
                },
            )? =>
        {
            Ok(row)
        }
        _ => Err(AppError::not_found("canton", code)),
    }
}

/// The commune or arrondissement with `code`, if the actor may read its department.
pub async fn commune(
    db: &impl ConnectionTrait,
    policy: &Policy,
    actor: &Actor,
    code: &str,
) -> AppResult<commune::Model> {
    let found = communes_by_code(db, &[code.to_owned()]).await?.remove(code);
    match found {
        Some(row)
            if policy.is_allowed(
                actor,
                "read",
                PolarDepartment {
                    code: row.department_code.clone(),
                },
            )? =>
        {
            Ok(row)
        }
        _ => Err(AppError::not_found("commune", code)),
    }
}
