//! A training module, as data.
use sea_orm::entity::prelude::*;

/// A module: common core, partner training, webinars.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "training_module")]
pub struct Model {
    /// Code (`COMMON_CORE`…).
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// Label.
    pub label: String,
    /// `IN_PERSON` or `WEBINAR`.
    pub kind: String,
    /// Half-days in person it requires.
    pub half_days: i32,
    /// Required for the qualification.
    pub mandatory: bool,
    /// Who gives it.
    pub provider: String,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
