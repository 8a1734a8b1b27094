//! An idempotency key of a creating mutation.
use sea_orm::entity::prelude::*;

/// A key a caller sent with a creating mutation, and what that mutation created: written in
/// the same transaction as the creation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_key")]
pub struct Model {
    /// `user:<id>`, or `anonymous` for the calls made without an account.
    #[sea_orm(primary_key, auto_increment = false)]
    pub caller: String,
    /// The mutation, e.g. `recordReportEntry`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub operation: String,
    /// The caller's key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// SHA-256 (hex) of the mutation's other arguments: the same key with other arguments is
    /// refused.
    pub fingerprint: String,
    /// Key of the created object (as in the audit log).
    pub target_key: String,
    /// When the key was first used.
    pub created_at: DateTimeUtc,
}

/// No navigable relation.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
