//! An Administration+ support request (R-30..R-33).
use sea_orm::entity::prelude::*;

/// A request from a structure's agent to a partner's referents in the department.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "support_request")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The structure asking.
    pub structure_id: i64,
    /// Its department.
    pub department_code: String,
    /// The partner addressed.
    pub partner_id: i64,
    /// User (agent) who sent it.
    pub opened_by: i64,
    /// Subject (content, sealed).
    pub subject: String,
    /// The case (content, sealed).
    pub description: String,
    /// The citizen concerned (content, sealed).
    pub citizen_name: String,
    /// Citizen's details (content, sealed).
    pub citizen_details: Option<String>,
    /// `OPEN`, `ANSWERED` or `CLOSED`.
    pub status: String,
    /// When sent.
    pub sent_at: DateTimeUtc,
    /// When an answer is due (72 working hours).
    pub due_at: DateTimeUtc,
    /// First answer from the partner.
    pub first_answered_at: Option<DateTimeUtc>,
    /// Seconds from sending to the first answer (dashboards rank them).
    pub answer_seconds: Option<i64>,
    /// When closed.
    pub closed_at: Option<DateTimeUtc>,
    /// Times reopened.
    pub reopened_count: i32,
    /// Last change.
    pub updated_at: DateTimeUtc,
    /// When the retention purge anonymised its content (issue 18).
    pub purged_at: Option<DateTimeUtc>,
    /// The data key that sealed the content (`None`: clear text, from before encryption,
    /// or erased).
    pub key_id: Option<String>,
    /// Keyed hash of the citizen's folded name (a blind index: their requests are found
    /// without the clear name).
    pub citizen_key: Option<String>,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
