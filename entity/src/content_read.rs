//! A read of a citizen's content.
use sea_orm::entity::prelude::*;

/// Who read which support request's content, and when (the request's details, its messages
/// or its attachments).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "content_read")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The reader.
    pub user_id: i64,
    /// The reader's e-mail, as it was.
    pub user_email: String,
    /// The support request.
    pub request_id: i64,
    /// Its department.
    pub department_code: String,
    /// `DETAILS`, `MESSAGES` or `ATTACHMENTS`.
    pub kind: String,
    /// When.
    pub read_at: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
