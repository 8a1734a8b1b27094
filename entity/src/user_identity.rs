//! A person's identity at an OpenID provider.
use sea_orm::entity::prelude::*;

/// The provider's `sub` for a maillage user, stored on their first sign-in there and required
/// to match on every later one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_identity")]
pub struct Model {
    /// The provider's configured name (`proconnect`, …).
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider: String,
    /// The provider's subject identifier.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: String,
    /// The maillage user.
    pub user_id: i64,
    /// The first sign-in.
    pub created_at: DateTimeUtc,
}

/// No navigable relation.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
