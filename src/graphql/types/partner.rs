//! `Partner`.
use async_graphql::{Context, ID, Object, Result};

use super::{Department, Referent};
use crate::domain::ids::{NodeType, encode};
use crate::graphql::context::ContextExt;
use crate::service::referents;

/// A partner organisation ("opérateur partenaire").
#[derive(Clone)]
pub struct Partner(pub entity::partner::Model);

/// A partner organisation ("opérateur partenaire").
#[Object]
impl Partner {
    /// Global id.
    pub async fn id(&self) -> ID {
        ID(encode(NodeType::Partner, &self.0.code))
    }

    /// Stable code ("CAF", "FRANCE_TRAVAIL", "DGFIP"…).
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// One of the nine core partners every France Services works with.
    async fn core(&self) -> bool {
        self.0.core
    }

    /// National partner (true) or local partner of one department (false).
    async fn national(&self) -> bool {
        self.0.department_code.is_none()
    }

    /// Its referents in the departments where the caller works (everyone working in a
    /// department reads its referents, R-10: policy `read_referents`), by department then
    /// name; an operator's portal lists its own this way.
    async fn referents(&self, ctx: &Context<'_>) -> Result<Option<Vec<Referent>>> {
        let rows = referents::of_partner(ctx.caller()?, self.0.id).await?;
        Ok(Some(rows.into_iter().map(Referent).collect()))
    }

    /// For a local partner: its department.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<Department>> {
        match &self.0.department_code {
            Some(code) => Ok(Department::by_code(ctx, code).await?),
            None => Ok(None),
        }
    }
}
