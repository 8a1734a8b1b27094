//! `departments`, `department`.
use async_graphql::{Context, Object, Result};

use crate::graphql::context::ContextExt;
use crate::graphql::types::Department;
use crate::service::reference;

#[derive(Default)]
pub struct ReferenceQuery;

#[Object]
impl ReferenceQuery {
    /// Every department, by code.
    async fn departments(&self, ctx: &Context<'_>) -> Result<Vec<Department>> {
        ctx.actor()?;
        let rows = reference::departments(&ctx.request().db).await?;
        Ok(rows.into_iter().map(Department).collect())
    }

    /// The department with this INSEE code ("59", "2A").
    async fn department(&self, ctx: &Context<'_>, code: String) -> Result<Option<Department>> {
        let request = ctx.request();
        let row = reference::department(&request.db, &request.policy, ctx.actor()?, &code).await?;
        Ok(Some(Department(row)))
    }
}
