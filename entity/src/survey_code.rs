//! A structure's code for a users' survey campaign.
use sea_orm::entity::prelude::*;

/// A single-use code a user enters (or scans) to answer anonymously, once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_code")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The campaign.
    pub campaign_id: i64,
    /// The structure.
    pub structure_id: i64,
    /// The code.
    pub code: String,
    /// When issued.
    pub created_at: DateTimeUtc,
    /// Answered with already: a code answers once.
    pub used: bool,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
