//! A capped funding envelope.
use sea_orm::entity::prelude::*;

/// A capped envelope; `committed_euros` never exceeds `total_euros`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "funding_envelope")]
pub struct Model {
    /// Code (`MOBILE_BUS`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// Label.
    pub label: String,
    /// Total in euros.
    pub total_euros: i64,
    /// Already granted, in euros.
    pub committed_euros: i64,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
