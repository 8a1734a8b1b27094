//! A grant of State funding to a structure (R-40..R-42).
use sea_orm::entity::prelude::*;

/// A grant: operating lump sum, investment or mobile-bus grant.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "funding_grant")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The structure.
    pub structure_id: i64,
    /// `OPERATING`, `INVESTMENT` or `MOBILE_BUS`.
    pub kind: String,
    /// Budget year.
    pub year: i32,
    /// Amount in euros.
    pub amount_euros: i64,
    /// What it pays for.
    pub purpose: Option<String>,
    /// Envelope it draws on.
    pub envelope_code: Option<String>,
    /// Guards one-per-structure grants (`OPERATING:2025`, `MOBILE_BUS`).
    pub unique_key: Option<String>,
    /// User who granted it.
    pub granted_by: i64,
    /// When.
    pub granted_at: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
