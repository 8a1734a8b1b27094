//! A polyvalent agent: a person working in one or more structures.
use sea_orm::entity::prelude::*;

/// An agent; their user account holds an AGENT assignment per structure.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agent")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Their user account.
    pub user_id: i64,
    /// Full name.
    pub full_name: String,
    /// Professional e-mail (personal data).
    pub email: String,
    /// Phone (personal data).
    pub phone: Option<String>,
    /// When registered.
    pub created_at: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
