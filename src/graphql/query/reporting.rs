//! `reportEntries`, `reportingSuggestions`.
use crate::graphql::scalars::Date;
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use strum::IntoEnumIterator;

use crate::domain::reporting::{self, HelpKind, LifeSituation, ReportTheme};
use crate::graphql::context::ContextExt;
use crate::graphql::pagination::PageRequest;
use crate::graphql::types::convention::partners;
use crate::graphql::types::{Partner, ReportEntry};
use crate::service::reporting::{self as service, EntryFilter};
use crate::service::structures;

#[derive(Default)]
pub struct ReportingQuery;

const CONNECTION: &str = "reportEntries";

/// Filters of `reportEntries`.
#[derive(InputObject, Default)]
pub struct ReportEntryFilterInput {
    /// Of this structure (matricule).
    pub structure: Option<String>,
    /// Handled on or after.
    pub from: Option<Date>,
    /// Handled on or before.
    pub to: Option<Date>,
    /// Include entries replaced by a correction.
    #[graphql(default)]
    pub include_superseded: bool,
}

/// Extra fields of the entries connection.
pub struct ReportEntryConnectionFields {
    filter: EntryFilter,
}

#[Object]
impl ReportEntryConnectionFields {
    /// Number of entries matching (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        let today = ctx.request().clock.today();
        Ok(service::count(ctx.caller()?, &self.filter, today).await?)
    }
}

/// The suggested values of each step of an entry.
#[derive(SimpleObject)]
pub struct ReportingSuggestions {
    /// The structure's effective partners (all national partners while it has none).
    pub partners: Vec<Partner>,
    /// Themes, those the chosen partner usually covers first.
    pub themes: Vec<ReportTheme>,
    /// Life situations.
    pub life_situations: Vec<LifeSituation>,
    /// Kinds of help.
    pub help_kinds: Vec<HelpKind>,
}

#[Object]
impl ReportingQuery {
    /// Report entries the caller may read, newest first: ANCT all, a prefecture its
    /// departments', agents their structures'. Corrected entries are left out unless asked.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn report_entries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 1 to 100, 20 when absent.")] first: Option<i32>,
        #[graphql(desc = "`pageInfo.endCursor` of the previous page; the first page when absent.")]
        after: Option<String>,
        #[graphql(desc = "Filters; all the given ones must hold.")] filter: Option<
            ReportEntryFilterInput,
        >,
    ) -> Result<Connection<String, ReportEntry, ReportEntryConnectionFields, EmptyFields>> {
        let r = ctx.request();
        let actor = ctx.actor()?;
        let page = PageRequest::parse(CONNECTION, first, after)?;
        let input = filter.unwrap_or_default();
        let structure_id = match &input.structure {
            Some(m) => Some(structures::by_matricule(r.caller(actor), m).await?.id),
            None => None,
        };
        let filter = EntryFilter {
            structure_id,
            from: input.from.map(Into::into),
            to: input.to.map(Into::into),
            include_superseded: input.include_superseded,
        };
        let (rows, has_next) =
            service::page(r.caller(actor), &filter, page.after, page.limit).await?;
        let fields = ReportEntryConnectionFields { filter };
        Ok(page.connection(rows, has_next, fields, |e| e.id, ReportEntry))
    }

    /// What to offer at each step of an entry for a structure (and a chosen partner).
    async fn reporting_suggestions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Matricule of the structure, e.g. `DEMO-59-01`.")] structure: String,
        #[graphql(desc = "Code of a partner, to suggest its themes only.")] partner: Option<String>,
    ) -> Result<Option<ReportingSuggestions>> {
        let r = ctx.request();
        let actor = ctx.actor()?;
        let row = structures::by_matricule(r.caller(actor), &structure).await?;
        let key = (row.id, row.department_code.clone());
        let ids = ctx
            .loaders()
            .effective_partners
            .load_one(key)
            .await?
            .unwrap_or_default();
        let mut offered = partners(ctx, &ids).await?;
        if offered.is_empty() {
            let reference = r.reference.snapshot().await?;
            offered = reference
                .national_partners()
                .into_iter()
                .cloned()
                .map(Partner)
                .collect();
        }
        let mut themes = partner
            .as_deref()
            .map(|p| reporting::themes_of(&p.trim().to_uppercase()))
            .unwrap_or_default();
        themes.extend(
            ReportTheme::iter()
                .filter(|t| !themes.contains(t))
                .collect::<Vec<_>>(),
        );
        Ok(Some(ReportingSuggestions {
            partners: offered,
            themes,
            life_situations: LifeSituation::iter().collect(),
            help_kinds: HelpKind::iter().collect(),
        }))
    }
}
