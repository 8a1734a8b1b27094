//! Which structures an agent works in.
use sea_orm::entity::prelude::*;

/// An agent's attachment to a structure.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agent_structure")]
pub struct Model {
    /// The agent.
    #[sea_orm(primary_key, auto_increment = false)]
    pub agent_id: i64,
    /// The structure.
    #[sea_orm(primary_key, auto_increment = false)]
    pub structure_id: i64,
    /// Since when.
    pub since: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
