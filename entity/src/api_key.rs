//! An API key of an integration script.
use sea_orm::entity::prelude::*;

/// A long-lived, revocable credential. It acts as its own user (`user_id`), whose role
/// assignments say what the key may do, through the same policy as a person.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_key")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unique name, e.g. `caf-export`.
    #[sea_orm(unique)]
    pub name: String,
    /// SHA-256 (hex) of the key; the key itself is shown once and never stored.
    #[sea_orm(unique)]
    pub key_hash: String,
    /// The key's first characters, to recognise it in a list.
    pub prefix: String,
    /// The key's own user (e-mail `NAME@api-key.invalid`), holding its assignments.
    pub user_id: i64,
    /// Creation.
    pub created_at: DateTimeUtc,
    /// Expiry.
    pub expires_at: DateTimeUtc,
    /// Last successful use (updated at most once a minute).
    pub last_used_at: Option<DateTimeUtc>,
    /// Revocation.
    pub revoked_at: Option<DateTimeUtc>,
}

/// No navigable relation.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
