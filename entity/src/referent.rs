//! A partner's named contact in a department.
use sea_orm::entity::prelude::*;

/// A referent: back-office (answers agents' complex cases, Administration+) or training.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referent")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The partner they work for.
    pub partner_id: i64,
    /// The department they cover.
    pub department_code: String,
    /// `BACK_OFFICE` or `TRAINING`.
    pub kind: String,
    /// Full name.
    pub name: String,
    /// Professional e-mail.
    pub email: String,
    /// Professional phone.
    pub phone: Option<String>,
    /// When the row was created.
    pub created_at: DateTimeUtc,
    /// When the row last changed.
    pub updated_at: DateTimeUtc,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
