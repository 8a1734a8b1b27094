//! `sendSupportRequest`, `writeSupportMessage`, `closeSupportRequest`,
//! `reopenSupportRequest` (Administration+).
use async_graphql::{Context, ID, InputObject, Object, Result};

use crate::domain::ids::{NodeType, internal_id};
use crate::graphql::context::ContextExt;
use crate::graphql::types::SupportRequest;
use crate::service::live::{SupportEvent, SupportEventKind};
use crate::service::support::{self, AttachmentInput, NewRequest};

#[derive(Default)]
pub struct SupportMutation;

/// A file: PDF, PNG or JPEG, at most 4 MiB, base64-encoded.
#[derive(InputObject)]
#[graphql(name = "AttachmentInput")]
pub struct AttachmentInputObject {
    /// File name.
    pub file_name: String,
    /// `application/pdf`, `image/png` or `image/jpeg`.
    pub content_type: String,
    /// The bytes, base64-encoded (standard alphabet).
    pub content_base64: String,
}

impl From<AttachmentInputObject> for AttachmentInput {
    fn from(a: AttachmentInputObject) -> Self {
        Self {
            file_name: a.file_name,
            content_type: a.content_type,
            content_base64: a.content_base64,
        }
    }
}

/// A support request to send.
#[derive(InputObject)]
pub struct SupportRequestInput {
    /// The structure's matricule.
    pub structure: String,
    /// The partner addressed (code).
    pub partner: String,
    /// Subject.
    pub subject: String,
    /// The case.
    pub description: String,
    /// The citizen concerned.
    pub citizen_name: String,
    /// The citizen's details (file number, date of birth…).
    pub citizen_details: Option<String>,
    /// Files.
    #[graphql(default)]
    pub attachments: Vec<AttachmentInputObject>,
}

async fn wrap(ctx: &Context<'_>, row: entity::support_request::Model) -> Result<SupportRequest> {
    let (row, partner) = support::readable(ctx.caller()?, row.id).await?;
    Ok(SupportRequest { row, partner })
}

/// The live event of a change to `row` (committed).
fn live_event(kind: SupportEventKind, row: &entity::support_request::Model) -> SupportEvent {
    SupportEvent {
        kind,
        request: row.id,
        at: row.updated_at,
    }
}

/// The request of an idempotent replay, as the caller reads it.
async fn request_row(
    ctx: &Context<'_>,
    key: &str,
) -> Result<entity::support_request::Model, crate::error::AppError> {
    let id = key
        .parse()
        .map_err(|_| crate::error::AppError::not_found("support request", key))?;
    Ok(support::readable(ctx.caller()?, id).await?.0)
}

#[Object]
impl SupportMutation {
    /// An agent sends a request from their structure to a partner's referents in the
    /// department; it is due 72 working hours later.
    async fn send_support_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to create or change.")] input: SupportRequestInput,
        #[graphql(
            desc = "A key of the client's choosing (a UUID): a retry with the same key and arguments returns what the first call created instead of creating it twice."
        )]
        idempotency_key: Option<String>,
    ) -> Result<SupportRequest> {
        let r = ctx.request();
        let new = NewRequest {
            structure: input.structure,
            partner: input.partner,
            subject: input.subject,
            description: input.description,
            citizen_name: input.citizen_name,
            citizen_details: input.citizen_details,
            attachments: input.attachments.into_iter().map(Into::into).collect(),
        };
        let actor = ctx.actor()?;
        let create = async {
            let row = support::send(r.caller(actor), &r.vault, new, &r.clock).await?;
            r.live
                .publish(&r.db, live_event(SupportEventKind::RequestSent, &row))
                .await;
            Ok(row)
        };
        let row = super::once(
            ctx,
            idempotency_key,
            "SupportRequest",
            create,
            async |key| request_row(ctx, &key).await,
        )
        .await?;
        wrap(ctx, row).await
    }

    /// Writes a message (with files): the structure's agents or the partner's operators;
    /// the partner's first message is the answer.
    async fn write_support_message(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the Administration+ request.")] request: ID,
        #[graphql(desc = "The message.")] body: String,
        #[graphql(default, desc = "Files attached to the message (base64), if any.")]
        attachments: Vec<AttachmentInputObject>,
        #[graphql(
            desc = "A key of the client's choosing (a UUID): a retry with the same key and arguments returns what the first call created instead of creating it twice."
        )]
        idempotency_key: Option<String>,
    ) -> Result<SupportRequest> {
        let r = ctx.request();
        let actor = ctx.actor()?;
        let id = internal_id(&request, NodeType::SupportRequest, "support request")?;
        let files = attachments.into_iter().map(Into::into).collect();
        let create = async {
            let row = support::write(r.caller(actor), &r.vault, id, &body, files, &r.clock).await?;
            r.live
                .publish(&r.db, live_event(SupportEventKind::MessageWritten, &row))
                .await;
            Ok(row)
        };
        let row = super::once(
            ctx,
            idempotency_key,
            "SupportRequest",
            create,
            async |key| request_row(ctx, &key).await,
        )
        .await?;
        wrap(ctx, row).await
    }

    /// Closes an answered request.
    async fn close_support_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the Administration+ request.")] request: ID,
    ) -> Result<SupportRequest> {
        let r = ctx.request();
        let actor = ctx.actor()?;
        let id = internal_id(&request, NodeType::SupportRequest, "support request")?;
        let row = support::close(r.caller(actor), id, &ctx.request().clock).await?;
        wrap(ctx, row).await
    }

    /// Reopens a closed request (the structure's agents).
    async fn reopen_support_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the Administration+ request.")] request: ID,
    ) -> Result<SupportRequest> {
        let r = ctx.request();
        let actor = ctx.actor()?;
        let id = internal_id(&request, NodeType::SupportRequest, "support request")?;
        let row = support::reopen(r.caller(actor), id, &ctx.request().clock).await?;
        wrap(ctx, row).await
    }
}
