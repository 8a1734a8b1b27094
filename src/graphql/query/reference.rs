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
    async fn department(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "INSEE code of the department, e.g. `59` or `2A`.")] code: String,
    ) -> Result<Option<Department>> {
        let row = reference::department(ctx.caller()?, &code).await?;
        Ok(Some(Department(row)))
    }
}
