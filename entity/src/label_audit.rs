//! An on-site labelling audit.
use sea_orm::entity::prelude::*;

/// An audit of an application by its assigned auditor.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "label_audit")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The application audited.
    pub application_id: i64,
    /// The structure.
    pub structure_id: i64,
    /// The assigned auditor (user).
    pub auditor_id: i64,
    /// A priority audit (re-proposal after failure).
    pub priority: bool,
    /// Planned visit date.
    pub scheduled_on: Date,
    /// When ANCT scheduled it.
    pub scheduled_at: DateTimeUtc,
    /// When the auditor submitted it.
    pub submitted_at: Option<DateTimeUtc>,
    /// `PASSED` or `FAILED` once submitted.
    pub outcome: Option<String>,
    /// When ANCT gave its prior approval.
    pub approved_at: Option<DateTimeUtc>,
    /// A re-audit of a labelled structure, not the audit of a candidate.
    pub reaudit: bool,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
