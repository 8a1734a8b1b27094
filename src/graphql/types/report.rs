//! `ReportEntry`: one user request handled, as recorded ("saisie unitaire").
use crate::graphql::scalars::{Date, DateTime};
use async_graphql::{Context, ID, Object, Result};

use super::{Partner, Structure, stored};
use crate::domain::ids::{NodeType, encode};
use crate::domain::reporting::{HelpKind, LifeSituation, ReportTheme};
use crate::graphql::context::ContextExt;
use entity::report_entry;

/// A report entry.
pub struct ReportEntry(pub report_entry::Model);

fn id_of(id: i64) -> ID {
    ID(encode(NodeType::ReportEntry, &id.to_string()))
}

/// A report entry.
#[Object]
impl ReportEntry {
    /// Global id.
    pub async fn id(&self) -> ID {
        id_of(self.0.id)
    }

    /// The structure.
    async fn structure(&self, ctx: &Context<'_>) -> Result<Option<Structure>> {
        let row = ctx
            .loaders()
            .structures
            .load_one(self.0.structure_id)
            .await?;
        Ok(row.map(Structure))
    }

    /// When the request was handled.
    async fn occurred_on(&self) -> Date {
        self.0.occurred_on.into()
    }

    /// The partner concerned.
    async fn partner(&self, ctx: &Context<'_>) -> Result<Option<Partner>> {
        let reference = ctx
            .request()
            .reference
            .snapshot_with_partners([self.0.partner_id])
            .await?;
        Ok(reference
            .partner_by_id(self.0.partner_id)
            .cloned()
            .map(Partner))
    }

    /// Theme.
    async fn theme(&self) -> Result<ReportTheme> {
        Ok(stored("theme", &self.0.theme)?)
    }

    /// Life situation.
    async fn life_situation(&self) -> Result<Option<LifeSituation>> {
        Ok(self
            .0
            .life_situation
            .as_deref()
            .map(|l| stored("life situation", l))
            .transpose()?)
    }

    /// Kind of help.
    async fn help_kind(&self) -> Result<HelpKind> {
        Ok(stored("help kind", &self.0.help_kind)?)
    }

    /// Resolved on site.
    async fn resolved_on_site(&self) -> bool {
        self.0.resolved_on_site
    }

    /// Minutes spent.
    async fn duration_minutes(&self) -> i32 {
        self.0.duration_minutes
    }

    /// The entry this one corrects.
    async fn corrects(&self) -> Option<ID> {
        self.0.corrects_id.map(id_of)
    }

    /// Why it corrects it.
    async fn correction_reason(&self) -> Option<&str> {
        self.0.correction_reason.as_deref()
    }

    /// The correction that replaced this entry, if any.
    async fn superseded_by(&self) -> Option<ID> {
        self.0.superseded_by_id.map(id_of)
    }

    /// When it was recorded.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}
