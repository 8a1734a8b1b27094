//! `Department`.
use async_graphql::{Context, ID, Object, Result};

use super::{Region, coverage::Coverage};
use crate::auth::policy::PolarDepartment;
use crate::domain::ids::{NodeType, encode};
use crate::graphql::context::ContextExt;

/// An INSEE department ("département").
#[derive(Clone)]
pub struct Department(pub entity::department::Model);

#[Object]
impl Department {
    /// Global id.
    pub async fn id(&self) -> ID {
        ID(encode(NodeType::Department, &self.0.code))
    }

    /// INSEE code ("59", "2A", "974").
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Official name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Its region.
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        let reference = ctx.request().reference.snapshot().await?;
        Ok(reference
            .region(&self.0.region_code)
            .cloned()
            .map(Region::from))
    }

    /// Coverage of its cantons by labelled structures. Visible to ANCT and to the
    /// department's prefects; others get null and a FORBIDDEN error.
    async fn coverage(&self, ctx: &Context<'_>) -> Result<Option<Coverage>> {
        let actor = ctx.actor()?;
        ctx.request().policy.authorize(
            actor,
            "read_coverage",
            PolarDepartment {
                code: self.0.code.clone(),
            },
            "coverage is visible to ANCT and to the department's prefecture only",
        )?;
        let loaders = ctx.loaders();
        let coverage = loaders.coverage.load_one(self.0.code.clone()).await?;
        Ok(Some(Coverage(coverage.unwrap_or_default())))
    }
}
