//! A person who signs in to maillage.
use sea_orm::entity::prelude::*;

/// A user. What they may do comes from their role assignments, never from their token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_user")]
pub struct Model {
    /// Internal id (the `sub` of their tokens).
    #[sea_orm(primary_key)]
    pub id: i64,
    /// E-mail address, stored lower-case.
    #[sea_orm(unique)]
    pub email: String,
    /// A disabled user's tokens stop working at once.
    pub disabled: bool,
    /// When the user was created.
    pub created_at: DateTimeUtc,
    /// Tokens carry the epoch they were issued in; only the current epoch's are accepted.
    /// Disabling or re-enabling the user moves it on.
    pub token_epoch: i32,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
