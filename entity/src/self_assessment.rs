//! The prefecture's declared status of one criterion for an application.
use sea_orm::entity::prelude::*;

/// A self-assessed criterion (declarative, R-04).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "self_assessment")]
pub struct Model {
    /// The application.
    #[sea_orm(primary_key, auto_increment = false)]
    pub application_id: i64,
    /// The criterion.
    #[sea_orm(primary_key, auto_increment = false)]
    pub criterion_id: i64,
    /// Declared met.
    pub met: bool,
    /// Comment.
    pub comment: Option<String>,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
