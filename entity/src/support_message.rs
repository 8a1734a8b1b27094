//! A message of a support request.
use sea_orm::entity::prelude::*;

/// A message, from the structure's side or the partner's.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "support_message")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The request.
    pub request_id: i64,
    /// Author (user).
    pub author_user_id: i64,
    /// Author's e-mail.
    pub author_email: String,
    /// `STRUCTURE` or `PARTNER`.
    pub side: String,
    /// Text (sealed).
    pub body: String,
    /// When written.
    pub created_at: DateTimeUtc,
    /// The data key that sealed the text (`None`: clear text, from before encryption, or
    /// erased).
    pub key_id: Option<String>,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
