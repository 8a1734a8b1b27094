//! `contentReads`: the log of reads of citizens' content (RGPD), newest first, for ANCT's
//! data-protection officer only.
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use crate::domain::enums::ContentReadKind;
use crate::domain::ids::{NodeType, decode, encode};
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::graphql::pagination::PageRequest;
use crate::graphql::scalars::DateTime;
use crate::service::privacy::{self, ReadFilter};

/// Name of this connection in its cursors.
const CONNECTION: &str = "content-read";

#[derive(Default)]
pub struct PrivacyQuery;

/// Filters of `contentReads`; all given filters must hold.
#[derive(InputObject, Default)]
pub struct ContentReadFilterInput {
    /// Reads of this support request (its id).
    pub request: Option<ID>,
    /// Reads by this user (e-mail).
    pub reader: Option<String>,
}

/// One read of a citizen's content.
#[derive(SimpleObject)]
pub struct ContentRead {
    /// Who read (e-mail, as it was then).
    pub reader: String,
    /// The support request read (its id; the request itself is read through `node` by
    /// whoever may).
    pub request: ID,
    /// Its department (INSEE code).
    pub department: String,
    /// What was read.
    pub kind: ContentReadKind,
    /// When.
    pub read_at: DateTime,
}

/// Extra fields of the read log connection.
pub struct ContentReadConnectionFields {
    filter: ReadFilter,
}

#[Object]
impl ContentReadConnectionFields {
    /// Number of reads matching the filter (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(privacy::reads_count(ctx.caller()?, &self.filter).await?)
    }
}

#[Object]
impl PrivacyQuery {
    /// Every read of a citizen's content (a support request's details, messages or
    /// attachments), newest first: for ANCT's data-protection officer (role
    /// DATA_PROTECTION) only, FORBIDDEN for everyone else.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn content_reads(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 1 to 100, 20 when absent.")] first: Option<i32>,
        #[graphql(desc = "`pageInfo.endCursor` of the previous page; the first page when absent.")]
        after: Option<String>,
        #[graphql(desc = "Filters; all the given ones must hold.")] filter: Option<
            ContentReadFilterInput,
        >,
    ) -> Result<Connection<String, ContentRead, ContentReadConnectionFields, EmptyFields>> {
        let caller = ctx.caller()?;
        let page = PageRequest::parse(CONNECTION, first, after)?;
        let input = filter.unwrap_or_default();
        let request = match &input.request {
            Some(id) => Some(
                decode(id)
                    .filter(|(node, _)| *node == NodeType::SupportRequest)
                    .and_then(|(_, key)| key.parse::<i64>().ok())
                    .ok_or_else(|| {
                        AppError::bad_input("filter.request", "not a support request's id")
                    })?,
            ),
            None => None,
        };
        let filter = ReadFilter {
            request,
            reader: input.reader,
        };
        let (rows, has_next) = privacy::reads_page(caller, &filter, page.after, page.limit).await?;
        let fields = ContentReadConnectionFields { filter };
        let node = |row: entity::content_read::Model| ContentRead {
            reader: row.user_email,
            request: ID(encode(
                NodeType::SupportRequest,
                &row.request_id.to_string(),
            )),
            department: row.department_code,
            kind: row.kind.parse().unwrap_or(ContentReadKind::Details),
            read_at: row.read_at.into(),
        };
        Ok(page.connection(rows, has_next, fields, |row| row.id, node))
    }
}
