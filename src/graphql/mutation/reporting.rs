//! `recordReportEntry`, `correctReportEntry`.
use crate::graphql::scalars::Date;
use async_graphql::{Context, ID, InputObject, Object, Result};

use crate::domain::ids::{NodeType, internal_id};
use crate::domain::reporting::{HelpKind, LifeSituation, ReportTheme};
use crate::graphql::context::ContextExt;
use crate::graphql::types::ReportEntry;
use crate::service::reporting::{self, EntryInput};

#[derive(Default)]
pub struct ReportingMutation;

/// One handled request.
#[derive(InputObject)]
pub struct ReportEntryInput {
    /// The structure's matricule.
    pub structure: String,
    /// When it was handled (within the last year).
    pub occurred_on: Date,
    /// The partner concerned (code).
    pub partner: String,
    /// Theme.
    pub theme: ReportTheme,
    /// Life situation, if any.
    pub life_situation: Option<LifeSituation>,
    /// Kind of help.
    pub help_kind: HelpKind,
    /// Resolved on site.
    pub resolved_on_site: bool,
    /// Minutes spent (1 to 480).
    pub duration_minutes: i32,
}

impl From<ReportEntryInput> for EntryInput {
    fn from(i: ReportEntryInput) -> Self {
        Self {
            structure: i.structure,
            occurred_on: i.occurred_on.into(),
            partner: i.partner,
            theme: i.theme,
            life_situation: i.life_situation,
            help_kind: i.help_kind,
            resolved_on_site: i.resolved_on_site,
            duration_minutes: i.duration_minutes,
        }
    }
}

#[Object]
impl ReportingMutation {
    /// An agent records one handled request for their structure.
    async fn record_report_entry(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to create or change.")] input: ReportEntryInput,
        #[graphql(
            desc = "A key of the client's choosing (a UUID): a retry with the same key and arguments returns what the first call created instead of creating it twice."
        )]
        idempotency_key: Option<String>,
    ) -> Result<ReportEntry> {
        let r = ctx.request();
        let actor = ctx.actor()?;
        let create = async {
            let row =
                reporting::record(r.caller(actor), input.into(), &r.clock, &r.reference).await?;
            Ok(ReportEntry(row))
        };
        let replay = super::replay_node!(ctx, ReportEntry);
        Ok(super::once(ctx, idempotency_key, "ReportEntry", create, replay).await?)
    }

    /// Corrects an entry: a new entry replaces it and says why; the old one is kept,
    /// marked superseded.
    async fn correct_report_entry(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the report entry to correct.")] entry: ID,
        #[graphql(desc = "The entry as it should read.")] input: ReportEntryInput,
        #[graphql(desc = "Why (kept in the audit log).")] reason: String,
        #[graphql(
            desc = "A key of the client's choosing (a UUID): a retry with the same key and arguments returns what the first call created instead of creating it twice."
        )]
        idempotency_key: Option<String>,
    ) -> Result<ReportEntry> {
        let r = ctx.request();
        let actor = ctx.actor()?;
        let id = internal_id(&entry, NodeType::ReportEntry, "report entry")?;
        let create = async {
            let row = reporting::correct(
                r.caller(actor),
                id,
                input.into(),
                &reason,
                &r.clock,
                &r.reference,
            )
            .await?;
            Ok(ReportEntry(row))
        };
        let replay = super::replay_node!(ctx, ReportEntry);
        Ok(super::once(ctx, idempotency_key, "ReportEntry", create, replay).await?)
    }
}
