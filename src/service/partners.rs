//! Reading partners. Any signed-in user may read them (policy: `read` on `Partner`).

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder};

use crate::auth::policy::PolarPartner;
use crate::auth::{Actor, Policy};
use crate::error::AppResult;
use entity::partner;

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
    db: &impl ConnectionTrait,
    policy: &Policy,
    actor: &Actor,
    code: &str,
) -> AppResult<partner::Model> {
    let row = partner::Entity::find()
        .filter(partner::Column::Code.eq(code))
        .one(db)
        .await?;
    let resource = |p: &partner::Model| PolarPartner {
        code: p.code.clone(),
    };
    policy.readable(actor, row, resource, "partner", code)
}
