//! `Region`.
use async_graphql::SimpleObject;

/// An INSEE region.
#[derive(SimpleObject, Clone)]
pub struct Region {
    /// INSEE code ("32").
    pub code: String,
    /// Official name ("Hauts-de-France").
    pub name: String,
}

impl From<entity::region::Model> for Region {
    fn from(row: entity::region::Model) -> Self {
        Self {
            code: row.code,
            name: row.name,
        }
    }
}
