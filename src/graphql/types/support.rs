//! `SupportRequest`, `SupportMessage`, `SupportAttachment` (Administration+, R-30..R-33).
//! Metadata and delays are read by whoever reads the request; the content only by the
//! partner's operators and the structure's agents (null + FORBIDDEN for ANCT and prefects).
use crate::graphql::scalars::DateTime;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{Department, Partner, Referent, Structure};
use crate::domain::enums::{ContentReadKind, MessageSide, SupportStatus};
use crate::domain::ids::{NodeType, encode};
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::service::privacy;
use crate::service::support::{self, ContentView};
use crate::vault::Field;
use entity::{support_attachment, support_request};

/// A support request from a structure's agent to a partner's referents.
pub struct SupportRequest {
    /// The request.
    pub row: support_request::Model,
    /// Code of the partner addressed.
    pub partner: String,
}

/// A message of a request.
#[derive(SimpleObject)]
pub struct SupportMessage {
    /// Who wrote it.
    pub side: MessageSide,
    /// Author's e-mail.
    pub author_email: String,
    /// Text.
    pub body: String,
    /// When written.
    pub created_at: DateTime,
}

/// A file attached to a request, kept intact.
pub struct SupportAttachment(pub support_attachment::Model);

/// A file attached to a request, kept intact.
#[Object]
impl SupportAttachment {
    /// File name.
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }

    /// MIME type.
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }

    /// Size in bytes.
    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }

    /// Hex SHA-256 of the content, computed on arrival.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }

    /// The content, base64-encoded.
    async fn content_base64(&self) -> String {
        STANDARD.encode(&self.0.content)
    }
}

impl SupportRequest {
    fn content(&self, ctx: &Context<'_>) -> Result<(), AppError> {
        if ContentView::of(ctx.actor()?).contains(&self.row, &self.partner) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "the content of a support request is for the partner's operators and the \
                 structure's agents"
                    .into(),
            ))
        }
    }

    /// [`Self::content`], then the read of `kind` in the read log (before anything is
    /// returned: a read that cannot be logged is refused).
    async fn read(&self, ctx: &Context<'_>, kind: ContentReadKind) -> Result<(), AppError> {
        self.content(ctx)?;
        let r = ctx.request();
        privacy::log_read(
            &r.db,
            &r.content_reads,
            ctx.actor()?,
            &self.row,
            kind,
            &r.clock,
        )
        .await
    }
}

/// A support request from a structure's agent to a partner's referents.
#[Object]
impl SupportRequest {
    /// Global id.
    pub async fn id(&self) -> ID {
        ID(encode(NodeType::SupportRequest, &self.row.id.to_string()))
    }

    /// The structure that sent it, when visible to the caller.
    async fn structure(&self, ctx: &Context<'_>) -> Result<Option<Structure>> {
        let row = ctx
            .loaders()
            .structures
            .load_one(self.row.structure_id)
            .await?;
        Ok(row.map(Structure))
    }

    /// Its department.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<Department>> {
        Ok(Department::by_code(ctx, &self.row.department_code).await?)
    }

    /// The partner addressed.
    async fn partner(&self, ctx: &Context<'_>) -> Result<Option<Partner>> {
        let id = self.row.partner_id;
        let reference = ctx.request().reference.snapshot_with_partners([id]).await?;
        Ok(reference.partner_by_id(id).cloned().map(Partner))
    }

    /// Where it stands.
    async fn status(&self) -> Result<SupportStatus> {
        Ok(super::stored("support request status", &self.row.status)?)
    }

    /// When it was sent.
    async fn sent_at(&self) -> DateTime {
        self.row.sent_at.into()
    }

    /// When an answer is due: 72 working hours after it was sent.
    async fn due_at(&self) -> DateTime {
        self.row.due_at.into()
    }

    /// The partner's first answer.
    async fn first_answered_at(&self) -> Option<DateTime> {
        self.row.first_answered_at.map(Into::into)
    }

    /// Hours from sending to the first answer (so far, if unanswered).
    async fn answer_delay_hours(&self, ctx: &Context<'_>) -> f64 {
        let end = self
            .row
            .first_answered_at
            .unwrap_or_else(|| ctx.request().clock.now());
        (end - self.row.sent_at).num_seconds() as f64 / 3600.0
    }

    /// Not answered by its due date.
    async fn late(&self, ctx: &Context<'_>) -> bool {
        support::is_late(&self.row, ctx.request().clock.now())
    }

    /// When it was closed.
    async fn closed_at(&self) -> Option<DateTime> {
        self.row.closed_at.map(Into::into)
    }

    /// Times it was reopened.
    async fn reopened_count(&self) -> i32 {
        self.row.reopened_count
    }

    /// Subject (content; each read of the details is logged).
    async fn subject(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.read(ctx, ContentReadKind::Details).await?;
        let sealed_with = self.row.key_id.as_deref();
        Ok(Some(ctx.request().vault.open_text(
            Field::Subject,
            &self.row.subject,
            sealed_with,
        )?))
    }

    /// The case (content).
    async fn description(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.read(ctx, ContentReadKind::Details).await?;
        let sealed_with = self.row.key_id.as_deref();
        Ok(Some(ctx.request().vault.open_text(
            Field::Description,
            &self.row.description,
            sealed_with,
        )?))
    }

    /// The citizen concerned (content).
    async fn citizen_name(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.read(ctx, ContentReadKind::Details).await?;
        let sealed_with = self.row.key_id.as_deref();
        Ok(Some(ctx.request().vault.open_text(
            Field::CitizenName,
            &self.row.citizen_name,
            sealed_with,
        )?))
    }

    /// The citizen's details (content).
    async fn citizen_details(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.read(ctx, ContentReadKind::Details).await?;
        Ok(ctx.request().vault.open_optional(
            Field::CitizenDetails,
            self.row.citizen_details.as_deref(),
            self.row.key_id.as_deref(),
        )?)
    }

    /// Messages, oldest first (content; each read is logged).
    async fn messages(&self, ctx: &Context<'_>) -> Result<Option<Vec<SupportMessage>>> {
        self.read(ctx, ContentReadKind::Messages).await?;
        let rows = support::messages(&ctx.request().db, &ctx.request().vault, self.row.id).await?;
        Ok(Some(
            rows.into_iter()
                .map(|m| {
                    Ok(SupportMessage {
                        side: super::stored("message side", &m.side)?,
                        author_email: m.author_email,
                        body: m.body,
                        created_at: m.created_at.into(),
                    })
                })
                .collect::<Result<_, crate::error::AppError>>()?,
        ))
    }

    /// Attached files (content; each read is logged).
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Option<Vec<SupportAttachment>>> {
        self.read(ctx, ContentReadKind::Attachments).await?;
        let rows =
            support::attachments(&ctx.request().db, &ctx.request().vault, self.row.id).await?;
        Ok(Some(rows.into_iter().map(SupportAttachment).collect()))
    }

    /// The partner's back-office referents in the department, whom it reaches (content).
    async fn referents(&self, ctx: &Context<'_>) -> Result<Option<Vec<Referent>>> {
        self.content(ctx)?;
        let rows = support::referents_of(
            &ctx.request().db,
            self.row.partner_id,
            &self.row.department_code,
        )
        .await?;
        Ok(Some(rows.into_iter().map(Referent).collect()))
    }
}
