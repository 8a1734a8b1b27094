//! `trainingModules`, `trainingSessions(department)`.
use async_graphql::{Context, Object, Result};

use crate::graphql::context::ContextExt;
use crate::graphql::types::{TrainingModule, TrainingSession};
use crate::service::training;

#[derive(Default)]
pub struct TrainingQuery;

#[Object]
impl TrainingQuery {
    /// The training modules.
    async fn training_modules(&self, ctx: &Context<'_>) -> Result<Vec<TrainingModule>> {
        let rows = training::modules(ctx.caller()?).await?;
        Ok(rows
            .into_iter()
            .map(TrainingModule::try_from)
            .collect::<Result<_, _>>()?)
    }

    /// The sessions of a department and the online ones, by start date: for everyone
    /// working in the department (NOT_FOUND otherwise). Without `department`, the online
    /// sessions only: for every user who holds a role.
    async fn training_sessions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "INSEE code of the department; absent: the online sessions.")]
        department: Option<String>,
    ) -> Result<Option<Vec<TrainingSession>>> {
        let r = ctx.request();
        let actor = ctx.actor()?;
        let rows = training::sessions(r.caller(actor), department.as_deref()).await?;
        Ok(Some(rows.into_iter().map(TrainingSession).collect()))
    }
}
