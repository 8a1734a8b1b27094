//! `criteriaFrameworks`, `criteriaFramework`.
use async_graphql::{Context, Object, Result};

use crate::auth::policy::PolarCriteriaCatalogue;
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::graphql::types::CriteriaFramework;
use crate::service::criteria;

#[derive(Default)]
pub struct CriteriaQuery;

impl CriteriaQuery {
    async fn all(ctx: &Context<'_>) -> Result<Vec<CriteriaFramework>, AppError> {
        let request = ctx.request();
        request.policy.authorize(
            ctx.actor()?,
            "read",
            PolarCriteriaCatalogue {},
            "the criteria catalogue is not readable",
        )?;
        let today = request.clock.today();
        let frameworks = criteria::frameworks(&request.db, today).await?;
        Ok(frameworks
            .into_iter()
            .map(CriteriaFramework::from)
            .collect())
    }
}

#[Object]
impl CriteriaQuery {
    /// Every version of the label's criteria grid, newest first.
    async fn criteria_frameworks(&self, ctx: &Context<'_>) -> Result<Vec<CriteriaFramework>> {
        Ok(Self::all(ctx).await?)
    }

    /// One version of the grid; without `version`, the one in force today.
    async fn criteria_framework(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Version of the criteria framework, e.g. `2019`.")] version: Option<
            String,
        >,
    ) -> Result<Option<CriteriaFramework>> {
        let found = Self::all(ctx).await?.into_iter().find(|f| match &version {
            Some(version) => &f.version == version,
            None => f.current,
        });
        match found {
            Some(framework) => Ok(Some(framework)),
            None => Err(AppError::not_found(
                "criteria framework",
                version.as_deref().unwrap_or("current"),
            )
            .into()),
        }
    }
}
