//! `convention`, `labelAudits`, `fundingEnvelopes`: partnership and labelling reads.
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Object, Result};

use crate::graphql::context::ContextExt;
use crate::graphql::pagination::PageRequest;
use crate::graphql::types::{Convention, FundingEnvelope, LabelAudit};
use crate::service::{conventions, funding, labelling};

#[derive(Default)]
pub struct LabellingQuery;

const AUDITS: &str = "labelAudits";

/// What `labelAudits` adds to a page.
pub struct LabelAuditConnectionFields {
    pending: bool,
}

#[Object]
impl LabelAuditConnectionFields {
    /// Number of audits matching (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(labelling::audits_count(ctx.caller()?, self.pending).await?)
    }
}

#[Object]
impl LabellingQuery {
    /// The framework convention of a department: everyone working there (NOT_FOUND when it
    /// has none or the caller does not work there).
    async fn convention(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "INSEE code of the department, e.g. `59` or `2A`.")] department: String,
    ) -> Result<Option<Convention>> {
        let record = conventions::of_department(ctx.caller()?, &department).await?;
        Ok(Some(Convention(record)))
    }

    /// Labelling audits the caller may read, newest first: ANCT all, a prefecture its
    /// departments', an auditor those assigned to them. `pending` keeps unsubmitted ones.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn label_audits(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 1 to 100, 20 when absent.")] first: Option<i32>,
        #[graphql(desc = "`pageInfo.endCursor` of the previous page; the first page when absent.")]
        after: Option<String>,
        #[graphql(default, desc = "Only the audits whose result is not submitted yet.")]
        pending: bool,
    ) -> Result<Connection<String, LabelAudit, LabelAuditConnectionFields, EmptyFields>> {
        let page = PageRequest::parse(AUDITS, first, after)?;
        let (rows, has_next) =
            labelling::audits_page(ctx.caller()?, pending, page.after, page.limit).await?;
        let fields = LabelAuditConnectionFields { pending };
        Ok(page.connection(rows, has_next, fields, |a| a.id, LabelAudit))
    }

    /// The national funding envelopes and what is left (ANCT and prefectures).
    async fn funding_envelopes(&self, ctx: &Context<'_>) -> Result<Vec<FundingEnvelope>> {
        let rows = funding::envelopes(ctx.caller()?).await?;
        Ok(rows.into_iter().map(FundingEnvelope::from).collect())
    }
}
