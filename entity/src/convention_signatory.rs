//! A partner listed on a convention, and its signature.
use sea_orm::entity::prelude::*;

/// A partner listed on a departmental convention; `signed_at` once it has signed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "convention_signatory")]
pub struct Model {
    /// The convention.
    #[sea_orm(primary_key, auto_increment = false)]
    pub convention_id: i64,
    /// The partner.
    #[sea_orm(primary_key, auto_increment = false)]
    pub partner_id: i64,
    /// When its signature was recorded.
    pub signed_at: Option<DateTimeUtc>,
    /// User who recorded the signature.
    pub signed_by: Option<i64>,
    /// When the partner was listed.
    pub added_at: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
