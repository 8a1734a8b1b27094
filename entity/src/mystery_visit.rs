//! A mystery visit of one structure.
use sea_orm::entity::prelude::*;

/// A drawn structure, its visitor and their scores.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mystery_visit")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The campaign.
    pub campaign_id: i64,
    /// The structure.
    pub structure_id: i64,
    /// Its department.
    pub department_code: String,
    /// The assigned visitor (AUDITOR).
    pub visitor_id: Option<i64>,
    /// When visited.
    pub visited_on: Option<Date>,
    /// Scores per item (JSON).
    pub scores: Option<String>,
    /// Sum of the item scores (dashboards average it).
    pub score: Option<i32>,
    /// Visitor's comment.
    pub comment: Option<String>,
    /// When recorded.
    pub submitted_at: Option<DateTimeUtc>,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
