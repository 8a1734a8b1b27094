//! `surveyCampaigns`, `mysteryCampaigns`.
use async_graphql::{Context, Object, Result};

use crate::graphql::context::ContextExt;
use crate::graphql::types::{MysteryCampaign, SurveyCampaign};
use crate::service::{mystery, surveys};

#[derive(Default)]
pub struct QualityQuery;

#[Object]
impl QualityQuery {
    /// Satisfaction survey campaigns, newest first.
    async fn survey_campaigns(&self, ctx: &Context<'_>) -> Result<Vec<SurveyCampaign>> {
        let rows = surveys::campaigns(ctx.caller()?).await?;
        Ok(rows.into_iter().map(SurveyCampaign).collect())
    }

    /// Mystery-visit campaigns, newest first (each lists the visits the caller may read).
    async fn mystery_campaigns(&self, ctx: &Context<'_>) -> Result<Vec<MysteryCampaign>> {
        let rows = mystery::campaigns(ctx.caller()?).await?;
        Ok(rows.into_iter().map(MysteryCampaign).collect())
    }
}
