//! `supportRequests`: Administration+ requests the caller may read.
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Object, Result};

use crate::graphql::context::ContextExt;
use crate::graphql::pagination::PageRequest;
use crate::graphql::types::SupportRequest;
use crate::service::support;

#[derive(Default)]
pub struct SupportQuery;

const CONNECTION: &str = "supportRequests";

/// Extra fields of the support requests connection.
pub struct SupportConnectionFields {
    late: bool,
}

#[Object]
impl SupportConnectionFields {
    /// Number of requests matching (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(support::count(ctx.caller()?, self.late, &ctx.request().clock).await?)
    }
}

#[Object]
impl SupportQuery {
    /// Support requests the caller may read, newest first: ANCT all, a prefecture its
    /// departments' (metadata only), a partner's operators those addressed to it in their
    /// departments, agents their structures'. `late` keeps those not answered in time.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn support_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 1 to 100, 20 when absent.")] first: Option<i32>,
        #[graphql(desc = "`pageInfo.endCursor` of the previous page; the first page when absent.")]
        after: Option<String>,
        #[graphql(default, desc = "Only the requests past their answer deadline.")] late: bool,
    ) -> Result<Connection<String, SupportRequest, SupportConnectionFields, EmptyFields>> {
        let page = PageRequest::parse(CONNECTION, first, after)?;
        let (rows, has_next) = support::page(
            ctx.caller()?,
            late,
            page.after,
            page.limit,
            &ctx.request().clock,
        )
        .await?;
        let reference = ctx
            .request()
            .reference
            .snapshot_with_partners(rows.iter().map(|row| row.partner_id))
            .await?;
        let fields = SupportConnectionFields { late };
        Ok(page.connection(
            rows,
            has_next,
            fields,
            |r| r.id,
            |row| SupportRequest {
                partner: reference
                    .partner_by_id(row.partner_id)
                    .map(|p| p.code.clone())
                    .unwrap_or_default(),
                row,
            },
        ))
    }
}
