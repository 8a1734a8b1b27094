//! A training session.
use sea_orm::entity::prelude::*;

/// A session of a module: where, when, by whom, how many seats.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "training_session")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The module.
    pub module_code: String,
    /// Department; none for an online session.
    pub department_code: Option<String>,
    /// Place or link.
    pub place: String,
    /// First day.
    pub starts_on: Date,
    /// Last day.
    pub ends_on: Date,
    /// Half-days in person it counts for.
    pub half_days: i32,
    /// The partner giving it, if any.
    pub trainer_partner_id: Option<i64>,
    /// Seats.
    pub capacity: i32,
    /// Seats taken.
    pub enrolled: i32,
    /// User who organised it.
    pub organised_by: i64,
    /// When created.
    pub created_at: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
