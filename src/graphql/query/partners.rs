//! `partners`, `partner`.
use async_graphql::{Context, InputObject, Object, Result};

use crate::graphql::context::ContextExt;
use crate::graphql::flat::FlatList;
use crate::graphql::types::Partner;
use crate::service::partners::{self, PartnerFilter};

#[derive(Default)]
pub struct PartnerQuery;

/// Filters of `partners`.
#[derive(InputObject, Default)]
pub struct PartnerFilterInput {
    /// Only core partners (true) or only the others (false).
    pub core: Option<bool>,
    /// National partners plus the local partners of this department.
    pub department: Option<String>,
}

#[Object]
impl PartnerQuery {
    /// Partners: national ones first, then local ones, each by code.
    async fn partners(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Filters; all the given ones must hold.")] filter: Option<
            PartnerFilterInput,
        >,
    ) -> Result<FlatList<Partner>> {
        ctx.actor()?;
        let filter = filter.unwrap_or_default();
        let filter = PartnerFilter {
            core: filter.core,
            department: filter.department,
        };
        let rows = partners::list(&ctx.request().db, &filter).await?;
        Ok(rows
            .into_iter()
            .map(Partner::from)
            .collect::<Vec<_>>()
            .into())
    }

    /// The partner with this code ("CAF").
    async fn partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Code of the partner, e.g. `CAF`.")] code: String,
    ) -> Result<Option<Partner>> {
        let row = partners::by_code(ctx.caller()?, &code).await?;
        Ok(Some(row.into()))
    }
}
