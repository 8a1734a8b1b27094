//! A structure's annex to its department's convention.
use sea_orm::entity::prelude::*;

/// Per-structure annex: functioning, carrier and the partners acting in this structure only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "annex")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The convention.
    pub convention_id: i64,
    /// The structure (one annex each).
    pub structure_id: i64,
    /// How the structure works.
    pub functioning: String,
    /// Carrier ("porteur") named in the annex.
    pub carrier: Option<String>,
    /// When the annex took effect (with its convention or its amendment).
    pub signed_on: Option<Date>,
    /// When it was added.
    pub created_at: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
