//! An INSEE region ("région").
use sea_orm::entity::prelude::*;

/// A region, keyed by its INSEE code ("84" Auvergne-Rhône-Alpes).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "region")]
pub struct Model {
    /// INSEE code.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// Official name.
    pub name: String,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
