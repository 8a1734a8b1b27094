//! One entry of the audit log.
use sea_orm::entity::prelude::*;

/// Who changed what, when: written in the same transaction as the change.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    /// Internal id (increasing with time).
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When the change was made.
    pub at: DateTimeUtc,
    /// The user who made it.
    pub actor_user_id: Option<i64>,
    /// Their e-mail at the time (kept if the user goes).
    pub actor_email: String,
    /// What was done, e.g. `partner.create_local`.
    pub action: String,
    /// Type of the changed object, e.g. `Partner`.
    pub target_type: String,
    /// Key of the changed object (code, matricule…).
    pub target_key: String,
    /// Department the change concerns, if any: its prefects read the entry.
    pub department_code: Option<String>,
    /// The object before the change, as JSON (none for a creation).
    #[sea_orm(column_type = "Text", nullable)]
    pub before: Option<String>,
    /// The object after the change, as JSON (none for a deletion).
    #[sea_orm(column_type = "Text", nullable)]
    pub after: Option<String>,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
