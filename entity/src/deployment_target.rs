//! A department's deployment target.
use sea_orm::entity::prelude::*;

/// How many France Services ANCT aims for in a department.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deployment_target")]
pub struct Model {
    /// The department (INSEE code).
    #[sea_orm(primary_key, auto_increment = false)]
    pub department_code: String,
    /// Structures aimed for.
    pub target: i32,
    /// Who set it (user id).
    pub set_by: i64,
    /// When.
    pub set_at: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
