//! `loadCriteriaFramework`.
use crate::graphql::scalars::Date;
use async_graphql::{Context, InputObject, Object, Result};

use crate::graphql::context::ContextExt;
use crate::graphql::types::CriteriaFramework;
use crate::service::criteria::{self, NewCriterion, NewFramework};

#[derive(Default)]
pub struct CriteriaMutation;

/// A criterion of a new framework version.
#[derive(InputObject)]
pub struct CriterionInput {
    /// Code, unique in the version ("C01").
    pub code: String,
    /// Theme ("OPENING_AND_STAFF"…).
    pub theme: String,
    /// What must hold.
    pub label: String,
    /// Must be met for the label.
    pub mandatory: bool,
    /// Can be evaluated from data.
    pub computable: bool,
}

/// A new version of the label's criteria grid.
#[derive(InputObject)]
pub struct LoadCriteriaFrameworkInput {
    /// Version, e.g. "2025": letters, digits, '.', '-', '_'.
    pub version: String,
    /// Title and source.
    pub label: String,
    /// First day it applies.
    pub effective_from: Date,
    /// Its criteria, in grid order (1 to 100).
    pub criteria: Vec<CriterionInput>,
}

#[Object]
impl CriteriaMutation {
    /// Loads a new version of the label's criteria grid (ANCT only). Versions never change
    /// once loaded: a correction is a new version.
    async fn load_criteria_framework(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to create or change.")] input: LoadCriteriaFrameworkInput,
    ) -> Result<CriteriaFramework> {
        let request = ctx.request();
        let new = NewFramework {
            version: input.version,
            label: input.label,
            effective_from: input.effective_from.into(),
            criteria: input
                .criteria
                .into_iter()
                .map(|c| NewCriterion {
                    code: c.code,
                    theme: c.theme,
                    label: c.label,
                    mandatory: c.mandatory,
                    computable: c.computable,
                })
                .collect(),
        };
        let loaded = criteria::load(ctx.caller()?, new, &ctx.request().clock).await?;
        let today = request.clock.today();
        let framework = criteria::frameworks(&request.db, today)
            .await?
            .into_iter()
            .find(|f| f.framework.version == loaded.version);
        Ok(framework.map(CriteriaFramework::from).ok_or_else(|| {
            crate::error::AppError::Internal(anyhow::anyhow!("loaded framework vanished"))
        })?)
    }
}
