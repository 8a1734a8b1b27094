//! A partner organisation ("opérateur partenaire").
use sea_orm::entity::prelude::*;

/// A national partner (CAF, France Travail, …) or a local one added for a department.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partner")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Stable code used by scripts and assignments ("CAF", "DGFIP", …).
    #[sea_orm(unique)]
    pub code: String,
    /// Display name.
    pub name: String,
    /// One of the core partners every France Services must work with.
    pub core: bool,
    /// For a local partner: the department it was added for; none for a national one.
    pub department_code: Option<String>,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
