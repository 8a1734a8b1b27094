//! An INSEE department ("département").
use sea_orm::entity::prelude::*;

/// A department, keyed by its INSEE code ("59", "2A", "974").
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "department")]
pub struct Model {
    /// INSEE code.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// Official name.
    pub name: String,
    /// INSEE code of its region.
    pub region_code: String,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
