//! A role held by a user, with the scope the role needs.
use sea_orm::entity::prelude::*;

/// One role assignment: role plus department, partner or structure as the role needs.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "role_assignment")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The user who holds it.
    pub user_id: i64,
    /// `ANCT`, `PREFECT`, `AUDITOR`, `OPERATOR` or `AGENT`.
    pub role: String,
    /// PREFECT: the department; OPERATOR: the department (none = national).
    pub department_code: Option<String>,
    /// OPERATOR: the partner.
    pub partner_id: Option<i64>,
    /// AGENT: the structure.
    pub structure_id: Option<i64>,
    /// When it was granted.
    pub created_at: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
