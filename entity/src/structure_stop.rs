//! A stop of a bus or itinerant France Services.
use sea_orm::entity::prelude::*;

/// Where and when a mobile structure stops, every week.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "structure_stop")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The structure (a `BUS` or `ITINERANT` one).
    pub structure_id: i64,
    /// INSEE code of the commune stopped in (a `COM` or `ARM` row).
    pub commune_code: String,
    /// Day of the week (`MONDAY` … `SUNDAY`).
    pub day: String,
    /// Arrival, `HH:MM`.
    pub opens: String,
    /// Departure, `HH:MM`.
    pub closes: String,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
