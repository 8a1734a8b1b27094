//! A mystery-visit campaign (R-18, Baromètre Marianne).
use sea_orm::entity::prelude::*;

/// A campaign: its seeded, department-stratified sample of labelled structures.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mystery_campaign")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Year.
    pub year: i32,
    /// Label.
    pub label: String,
    /// Seed of the draw (reproducible).
    pub seed: i64,
    /// Structures drawn per department.
    pub per_department: i32,
    /// Results published to the structures.
    pub published: bool,
    /// User (ANCT).
    pub created_by: i64,
    /// When.
    pub created_at: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
