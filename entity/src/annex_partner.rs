//! An additional partner of one structure, named in its annex.
use sea_orm::entity::prelude::*;

/// A partner acting in one structure only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "annex_partner")]
pub struct Model {
    /// The annex.
    #[sea_orm(primary_key, auto_increment = false)]
    pub annex_id: i64,
    /// The partner.
    #[sea_orm(primary_key, auto_increment = false)]
    pub partner_id: i64,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
