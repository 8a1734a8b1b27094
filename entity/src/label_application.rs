//! A proposal of a structure for the label.
use sea_orm::entity::prelude::*;

/// One proposal round: the prefect's proposal with its self-assessment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "label_application")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The structure.
    pub structure_id: i64,
    /// Criteria framework in force when proposed.
    pub framework_version: String,
    /// Re-proposed after a failed audit.
    pub priority: bool,
    /// User who proposed it.
    pub proposed_by: i64,
    /// When.
    pub proposed_at: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
