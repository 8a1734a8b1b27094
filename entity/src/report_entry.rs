//! One user request handled, as an agent recorded it ("saisie unitaire").
use sea_orm::entity::prelude::*;

/// A report entry; corrections supersede, never overwrite.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_entry")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The structure.
    pub structure_id: i64,
    /// Its department.
    pub department_code: String,
    /// User (agent) who recorded it.
    pub recorded_by: i64,
    /// When the request was handled.
    pub occurred_on: Date,
    /// The partner concerned.
    pub partner_id: i64,
    /// Theme (`ReportTheme`).
    pub theme: String,
    /// Life situation (`LifeSituation`), if any.
    pub life_situation: Option<String>,
    /// Kind of help (`HelpKind`).
    pub help_kind: String,
    /// Resolved on site.
    pub resolved_on_site: bool,
    /// Time spent.
    pub duration_minutes: i32,
    /// The entry this one corrects.
    pub corrects_id: Option<i64>,
    /// The correction that replaced it.
    pub superseded_by_id: Option<i64>,
    /// Why it was corrected.
    pub correction_reason: Option<String>,
    /// When recorded.
    pub created_at: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
