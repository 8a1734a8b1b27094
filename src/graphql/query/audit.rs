//! `auditLog`: a Relay connection over the audit log, newest first.
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, InputObject, Object, Result};

use crate::graphql::context::ContextExt;
use crate::graphql::pagination::PageRequest;
use crate::graphql::types::AuditEntry;
use crate::service::audit::{self, AuditFilter};

/// Name of this connection in its cursors.
const CONNECTION: &str = "audit";

#[derive(Default)]
pub struct AuditQuery;

/// Filters of `auditLog`; all given filters must hold.
#[derive(InputObject, Default)]
pub struct AuditFilterInput {
    /// Concerning this department (INSEE code).
    pub department: Option<String>,
    /// On objects of this type, e.g. "Partner".
    pub target_type: Option<String>,
    /// On the object with this key, e.g. a partner code.
    pub target_key: Option<String>,
}

/// Extra fields of the audit log connection.
pub struct AuditConnectionFields {
    filter: AuditFilter,
}

#[Object]
impl AuditConnectionFields {
    /// Number of entries matching the filter that the caller may read (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(audit::count(ctx.caller()?, &self.filter).await?)
    }
}

#[Object]
impl AuditQuery {
    /// The changes the caller may read, newest first: everything for ANCT, the changes
    /// concerning their departments for a prefect, nothing for other roles.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 1 to 100, 20 when absent.")] first: Option<i32>,
        #[graphql(desc = "`pageInfo.endCursor` of the previous page; the first page when absent.")]
        after: Option<String>,
        #[graphql(desc = "Filters; all the given ones must hold.")] filter: Option<
            AuditFilterInput,
        >,
    ) -> Result<Connection<String, AuditEntry, AuditConnectionFields, EmptyFields>> {
        let actor = ctx.actor()?;
        let page = PageRequest::parse(CONNECTION, first, after)?;
        let filter = filter.unwrap_or_default();
        let filter = AuditFilter {
            department: filter.department,
            target_type: filter.target_type,
            target_key: filter.target_key,
        };
        let (rows, has_next) =
            audit::page(ctx.request().caller(actor), &filter, page.after, page.limit).await?;
        let fields = AuditConnectionFields { filter };
        Ok(page.connection(rows, has_next, fields, |row| row.id, AuditEntry))
    }
}
