//! An agent's enrolment in a session, and attendance.
use sea_orm::entity::prelude::*;

/// An enrolment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "training_enrolment")]
pub struct Model {
    /// The session.
    #[sea_orm(primary_key, auto_increment = false)]
    pub session_id: i64,
    /// The agent.
    #[sea_orm(primary_key, auto_increment = false)]
    pub agent_id: i64,
    /// When enrolled.
    pub enrolled_at: DateTimeUtc,
    /// Attendance, once recorded.
    pub attended: Option<bool>,
    /// When recorded.
    pub attendance_recorded_at: Option<DateTimeUtc>,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
