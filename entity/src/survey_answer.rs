//! One answer to a satisfaction survey.
use sea_orm::entity::prelude::*;

/// An answer: anonymous for users, by an agent for the agents' survey.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_answer")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The campaign.
    pub campaign_id: i64,
    /// The structure.
    pub structure_id: i64,
    /// The agent who answered (agents' survey only).
    pub respondent_agent_id: Option<i64>,
    /// 1 (poor) to 5 (excellent).
    pub satisfaction: i32,
    /// Would recommend.
    pub recommend: Option<bool>,
    /// Free comment.
    pub comment: Option<String>,
    /// When.
    pub answered_at: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
