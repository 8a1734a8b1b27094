//! Monthly counts of report entries, kept exact with each write (dashboards read these).
use sea_orm::entity::prelude::*;

/// How many current (not superseded) entries share a department, partner, month, theme and
/// outcome.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_monthly")]
pub struct Model {
    /// Department.
    #[sea_orm(primary_key, auto_increment = false)]
    pub department_code: String,
    /// First day of the month handled.
    #[sea_orm(primary_key, auto_increment = false)]
    pub occurred_on: Date,
    /// Partner.
    #[sea_orm(primary_key, auto_increment = false)]
    pub partner_id: i64,
    /// Theme.
    #[sea_orm(primary_key, auto_increment = false)]
    pub theme: String,
    /// Resolved on site.
    #[sea_orm(primary_key, auto_increment = false)]
    pub resolved_on_site: bool,
    /// Entries.
    pub entries: i64,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
