//! A sign-in in progress at an OpenID provider.
use sea_orm::entity::prelude::*;

/// What the callback needs to finish a sign-in: written by `/auth/login`, deleted by the
/// first callback that names its `state` (a replay finds nothing).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_attempt")]
pub struct Model {
    /// The `state` sent to the provider (random).
    #[sea_orm(primary_key, auto_increment = false)]
    pub state: String,
    /// The provider's configured name.
    pub provider: String,
    /// The `nonce` the ID token must carry.
    pub nonce: String,
    /// The PKCE code verifier.
    pub pkce_verifier: String,
    /// Where to send the browser afterwards (a path of this server).
    pub return_to: String,
    /// When the sign-in started (attempts expire after ten minutes).
    pub created_at: DateTimeUtc,
}

/// No navigable relation.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
