//! An auditor's finding on one criterion.
use sea_orm::entity::prelude::*;

/// One criterion as found on site.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_result")]
pub struct Model {
    /// The audit.
    #[sea_orm(primary_key, auto_increment = false)]
    pub audit_id: i64,
    /// The criterion.
    #[sea_orm(primary_key, auto_increment = false)]
    pub criterion_id: i64,
    /// Met on site.
    pub met: bool,
    /// Remark.
    pub remark: Option<String>,
    /// When recorded.
    pub recorded_at: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
