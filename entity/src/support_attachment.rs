//! A file attached to a support request, stored intact.
use sea_orm::entity::prelude::*;

/// An attachment with its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "support_attachment")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The request.
    pub request_id: i64,
    /// The message it came with.
    pub message_id: Option<i64>,
    /// File name as given (sealed).
    pub file_name: String,
    /// MIME type.
    pub content_type: String,
    /// Size.
    pub size_bytes: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// The bytes (sealed).
    pub content: Vec<u8>,
    /// User who attached it.
    pub uploaded_by: i64,
    /// When attached.
    pub created_at: DateTimeUtc,
    /// The data key that sealed the name and bytes (`None`: clear, from before encryption).
    pub key_id: Option<String>,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
