//! A yearly satisfaction survey campaign.
use sea_orm::entity::prelude::*;

/// A campaign for users or for agents.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_campaign")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Year.
    pub year: i32,
    /// `USERS` or `AGENTS`.
    pub audience: String,
    /// Title.
    pub title: String,
    /// First day answers are taken.
    pub opens_on: Date,
    /// Last day.
    pub closes_on: Date,
    /// User (ANCT) who created it.
    pub created_by: i64,
    /// When.
    pub created_at: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
