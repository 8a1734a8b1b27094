//! `User` (the caller, through `me`) and their role assignments.
use async_graphql::{Context, ID, Object, Result};

use super::{Department, Partner, Structure};
use crate::auth::{Actor, Assignment};
use crate::domain::enums::Role;
use crate::graphql::context::ContextExt;

/// A signed-in user.
pub struct User(pub Actor);

/// A signed-in user.
#[Object]
impl User {
    /// Internal id.
    async fn id(&self) -> ID {
        ID(self.0.user_id.to_string())
    }

    /// E-mail address.
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// Role assignments, loaded from the database on every request.
    async fn roles(&self) -> Vec<RoleAssignment> {
        self.0
            .assignments
            .iter()
            .cloned()
            .map(RoleAssignment)
            .collect()
    }
}

/// A role with its scope.
pub struct RoleAssignment(Assignment);

/// A role with its scope.
#[Object]
impl RoleAssignment {
    /// The role.
    async fn role(&self) -> Role {
        self.0.role
    }

    /// PREFECT, OPERATOR: the department (none for a national operator).
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<Department>> {
        match &self.0.department_code {
            Some(code) => Ok(Department::by_code(ctx, code).await?),
            None => Ok(None),
        }
    }

    /// OPERATOR: the partner.
    async fn partner(&self, ctx: &Context<'_>) -> Result<Option<Partner>> {
        let Some(code) = &self.0.partner_code else {
            return Ok(None);
        };
        let reference = ctx.request().reference.snapshot().await?;
        Ok(reference.partner(code).cloned().map(Partner))
    }

    /// AGENT: the structure.
    async fn structure(&self, ctx: &Context<'_>) -> Result<Option<Structure>> {
        let Some(id) = self.0.structure_id else {
            return Ok(None);
        };
        Ok(ctx.loaders().structures.load_one(id).await?.map(Structure))
    }
}
