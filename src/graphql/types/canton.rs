//! `Canton`.
use async_graphql::{Context, ID, Object, Result};

use super::{Department, stored_canton_kind};
use crate::domain::enums::CantonKind;
use crate::domain::ids::{NodeType, encode};

/// An INSEE canton.
#[derive(Clone)]
pub struct Canton(pub entity::canton::Model);

/// An INSEE canton.
#[Object]
impl Canton {
    /// Global id.
    pub async fn id(&self) -> ID {
        ID(encode(NodeType::Canton, &self.0.code))
    }

    /// INSEE code ("5905").
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Canton, city-canton or fictitious canton.
    async fn kind(&self) -> Result<CantonKind> {
        Ok(stored_canton_kind(&self.0.kind)?)
    }

    /// Its department.
    async fn department(&self, ctx: &Context<'_>) -> Result<Department> {
        Ok(Department::of(ctx, &self.0.department_code).await?)
    }
}
