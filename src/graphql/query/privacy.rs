//! `contentReads`: the log of reads of citizens' content (RGPD), newest first, for ANCT's
//! data-protection officer only.
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use crate::domain::enums::ContentReadKind;
use crate::domain::ids::{NodeType, decode_as, encode};
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::graphql::pagination::PageRequest;
use crate::graphql::scalars::DateTime;
use crate::graphql::types::stored;
use crate::service::privacy::{self, ReadFilter};
use crate::service::support;
use sea_orm::EntityTrait;

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

/// A citizen's support request as exported to them (RGPD art. 15).
#[derive(SimpleObject)]
pub struct CitizenRequestRecord {
    /// The request's id.
    pub id: ID,
    /// The structure that sent it (matricule).
    pub structure: String,
    /// The partner addressed (code).
    pub partner: String,
    /// When sent.
    pub sent_at: DateTime,
    /// When closed, if it is.
    pub closed_at: Option<DateTime>,
    /// Subject.
    pub subject: String,
    /// The case.
    pub description: String,
    /// The citizen's name.
    pub citizen_name: String,
    /// The citizen's details.
    pub citizen_details: Option<String>,
    /// The messages, oldest first: who wrote (side), when, what.
    pub messages: Vec<CitizenMessage>,
    /// The attached files (name, type, size, SHA-256).
    pub attachments: Vec<CitizenAttachment>,
}

/// A message of an exported request.
#[derive(SimpleObject)]
pub struct CitizenMessage {
    /// `STRUCTURE` or `PARTNER`.
    pub side: String,
    /// When written.
    pub created_at: DateTime,
    /// Text.
    pub body: String,
}

/// A file of an exported request (its content is given on request through the request).
#[derive(SimpleObject)]
pub struct CitizenAttachment {
    /// File name.
    pub file_name: String,
    /// MIME type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
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
    /// Every support request that concerns a citizen, found by the identifiers they give,
    /// with its whole content: the export of their right of access (RGPD art. 15). ANCT's
    /// data-protection officer only; the access and each read are recorded.
    async fn citizen_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The citizen's name as written in the requests (case and accents ignored)."
        )]
        name: String,
        #[graphql(
            desc = "A detail their requests hold (an allocataire number…): only the requests whose details contain it."
        )]
        details: Option<String>,
    ) -> Result<Vec<CitizenRequestRecord>> {
        let caller = ctx.caller()?;
        let r = ctx.request();
        let who = privacy::CitizenIdentifiers { name, details };
        let rows =
            privacy::citizen_requests(caller, &r.vault, &who, &r.content_reads, &r.clock).await?;
        let reference = r
            .reference
            .snapshot_with_partners(rows.iter().map(|row| row.partner_id))
            .await?;
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            let content = support::content(&r.vault, &row)?;
            let messages = support::messages(&r.db, &r.vault, row.id).await?;
            let attachments = support::attachments(&r.db, &r.vault, row.id).await?;
            let structure = entity::structure::Entity::find_by_id(row.structure_id)
                .one(&r.db)
                .await?
                .map(|s| s.matricule)
                .unwrap_or_default();
            records.push(CitizenRequestRecord {
                id: ID(encode(NodeType::SupportRequest, &row.id.to_string())),
                structure,
                partner: reference
                    .partner_by_id(row.partner_id)
                    .map(|p| p.code.clone())
                    .unwrap_or_default(),
                sent_at: row.sent_at.into(),
                closed_at: row.closed_at.map(Into::into),
                subject: content.subject,
                description: content.description,
                citizen_name: content.citizen_name,
                citizen_details: content.citizen_details,
                messages: messages
                    .into_iter()
                    .map(|m| CitizenMessage {
                        side: m.side,
                        created_at: m.created_at.into(),
                        body: m.body,
                    })
                    .collect(),
                attachments: attachments
                    .into_iter()
                    .map(|a| CitizenAttachment {
                        file_name: a.file_name,
                        content_type: a.content_type,
                        size_bytes: a.size_bytes,
                        sha256: a.sha256,
                    })
                    .collect(),
            });
        }
        Ok(records)
    }

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
        let request =
            match &input.request {
                Some(id) => Some(decode_as::<i64>(id, NodeType::SupportRequest).ok_or_else(
                    || AppError::bad_input("filter.request", "not a support request's id"),
                )?),
                None => None,
            };
        let filter = ReadFilter {
            request,
            reader: input.reader,
        };
        let (rows, has_next) = privacy::reads_page(caller, &filter, page.after, page.limit).await?;
        let fields = ContentReadConnectionFields { filter };
        // Each row with its kind, read back (an unknown stored kind is an error, not a guess).
        let rows = rows
            .into_iter()
            .map(|row| Ok((stored::<ContentReadKind>("read kind", &row.kind)?, row)))
            .collect::<Result<Vec<_>, AppError>>()?;
        let node = |(kind, row): (ContentReadKind, entity::content_read::Model)| ContentRead {
            reader: row.user_email,
            request: ID(encode(
                NodeType::SupportRequest,
                &row.request_id.to_string(),
            )),
            department: row.department_code,
            kind,
            read_at: row.read_at.into(),
        };
        Ok(page.connection(rows, has_next, fields, |(_, row)| row.id, node))
    }
}
