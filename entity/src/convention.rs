//! A department's framework convention ("convention-cadre départementale", R-13).
use sea_orm::entity::prelude::*;

/// The departmental framework convention: drafted by the prefect, signed by the partners.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "convention")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Its department (one convention per department).
    pub department_code: String,
    /// Title.
    pub title: String,
    /// `DRAFT` or `SIGNED`.
    pub status: String,
    /// When it became signed (every listed partner had signed).
    pub signed_on: Option<Date>,
    /// User who drafted it.
    pub created_by: i64,
    /// When it was drafted.
    pub created_at: DateTimeUtc,
    /// When it last changed.
    pub updated_at: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
