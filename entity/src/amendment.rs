//! A numbered amendment ("avenant") to a convention.
use sea_orm::entity::prelude::*;

/// An amendment: adds an annex, adds a partner, or extends a legacy MSAP convention.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "amendment")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The convention.
    pub convention_id: i64,
    /// Number, from 1 within the convention.
    pub number: i32,
    /// `ADD_ANNEX`, `ADD_PARTNER` or `EXTEND_LEGACY_MSAP`.
    pub kind: String,
    /// Structure concerned (annex, legacy MSAP).
    pub structure_id: Option<i64>,
    /// Partner added.
    pub partner_id: Option<i64>,
    /// New end date of a legacy MSAP convention.
    pub end_date: Option<Date>,
    /// What it changes, in words.
    pub description: String,
    /// User who recorded it.
    pub created_by: i64,
    /// When it was recorded.
    pub created_at: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
