//! A version of the label's criteria grid ("grille", since 2025 "référentiel").
use sea_orm::entity::prelude::*;

/// A framework version; immutable once loaded (audits refer to it).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "criteria_framework")]
pub struct Model {
    /// Version, e.g. `2019`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: String,
    /// Title and source.
    pub label: String,
    /// First day it applies.
    pub effective_from: Date,
    /// When it was loaded.
    pub created_at: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
