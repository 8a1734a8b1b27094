//! One quality criterion of a framework version.
use sea_orm::entity::prelude::*;

/// A criterion ("critère") of the label.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "criterion")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Its framework version.
    pub framework_version: String,
    /// Code, unique in its version (`C01`).
    pub code: String,
    /// Order in the grid, from 1.
    pub position: i32,
    /// Theme (`OPENING_AND_STAFF`, `TRAINING`, …): data, not an enumeration.
    pub theme: String,
    /// What must hold.
    #[sea_orm(column_type = "Text")]
    pub label: String,
    /// Must be met for the label.
    pub mandatory: bool,
    /// Can be evaluated from the data maillage holds (else from audits only).
    pub computable: bool,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
