//! A single-use code that lets a labelled structure register its agents.
use sea_orm::entity::prelude::*;

/// An onboarding invitation; only the code's SHA-256 is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "onboarding_invitation")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The structure.
    pub structure_id: i64,
    /// Hex SHA-256 of the code.
    pub code_hash: String,
    /// User who labelled the structure.
    pub created_by: i64,
    /// When.
    pub created_at: DateTimeUtc,
    /// When the code was redeemed.
    pub used_at: Option<DateTimeUtc>,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
