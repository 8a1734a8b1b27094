//! A browser session.
use sea_orm::entity::prelude::*;

/// A signed-in browser: its cookie holds a random id, of which only the SHA-256 is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "web_session")]
pub struct Model {
    /// SHA-256 (hex) of the cookie's value.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id_hash: String,
    /// The signed-in user.
    pub user_id: i64,
    /// The provider signed in with (`demo` on the demo sign-in page).
    pub provider: String,
    /// The user's token epoch at sign-in: disabling the user or ending their sessions moves
    /// it on, and ends this session.
    pub token_epoch: i32,
    /// The ID token, sent back to the provider as `id_token_hint` at logout.
    #[sea_orm(column_type = "Text", nullable)]
    pub id_token: Option<String>,
    /// Sign-in.
    pub created_at: DateTimeUtc,
    /// Last request (updated at most once a minute); idle sessions end.
    pub last_seen_at: DateTimeUtc,
    /// Absolute end of the session.
    pub expires_at: DateTimeUtc,
}

/// No navigable relation.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
