//! `structures` (a Relay connection) and `structure(matricule:)`.
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, InputObject, Object, Result};

use chrono::NaiveDate;

use crate::domain::enums::{LabelStatus, StructureFormat};
use crate::domain::label_workflow;
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::graphql::pagination::PageRequest;
use crate::graphql::types::Structure;
use crate::service::structures::{self, StructureFilter};

/// Name of this connection in its cursors.
const CONNECTION: &str = "structure";
/// Longest accepted search text.
const MAX_SEARCH_LEN: usize = 100;

#[derive(Default)]
pub struct StructureQuery;

/// Filters of `structures`; all given filters must hold.
#[derive(InputObject, Default)]
pub struct StructureFilterInput {
    /// In this department (INSEE code).
    pub department: Option<String>,
    /// In one of these departments (INSEE codes). Not together with `department`.
    pub departments: Option<Vec<String>>,
    /// Of this format.
    pub format: Option<StructureFormat>,
    /// With this label status.
    pub label_status: Option<LabelStatus>,
    /// Whose commune lies in this canton (INSEE code).
    pub canton: Option<String>,
    /// Whose name or commune name contains this text (case and accents ignored).
    pub search: Option<String>,
    /// Only labelled structures due for their 3-yearly re-audit.
    #[graphql(default)]
    pub reaudit_due: bool,
}

impl StructureFilterInput {
    fn into_filter(self, today: NaiveDate) -> Result<StructureFilter, AppError> {
        let departments = match (self.department, self.departments) {
            (Some(_), Some(_)) => {
                return Err(AppError::bad_input(
                    "filter.departments",
                    "give either `department` or `departments`, not both",
                ));
            }
            (Some(one), None) => Some(vec![one]),
            (None, many) => many,
        };
        if self
            .search
            .as_ref()
            .is_some_and(|s| s.chars().count() > MAX_SEARCH_LEN)
        {
            return Err(AppError::bad_input(
                "filter.search",
                format!("search text is limited to {MAX_SEARCH_LEN} characters"),
            ));
        }
        Ok(StructureFilter {
            departments,
            format: self.format,
            label_status: self.label_status,
            canton: self.canton,
            text: self.search,
            labelled_on_or_before: self
                .reaudit_due
                .then(|| label_workflow::due_for_reaudit_if_labelled_by(today)),
        })
    }
}

/// Extra fields of the structures connection.
pub struct StructureConnectionFields {
    filter: StructureFilter,
}

#[Object]
impl StructureConnectionFields {
    /// Number of structures matching the filter that the caller may see (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(structures::count(ctx.caller()?, &self.filter).await?)
    }
}

#[Object]
impl StructureQuery {
    /// The structures the caller may see, by ascending creation, `first` at a time (at most
    /// 100) after the cursor `after`.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn structures(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 1 to 100, 20 when absent.")] first: Option<i32>,
        #[graphql(desc = "`pageInfo.endCursor` of the previous page; the first page when absent.")]
        after: Option<String>,
        #[graphql(desc = "Filters; all the given ones must hold.")] filter: Option<
            StructureFilterInput,
        >,
    ) -> Result<Connection<String, Structure, StructureConnectionFields, EmptyFields>> {
        let actor = ctx.actor()?;
        let page = PageRequest::parse(CONNECTION, first, after)?;
        let filter = filter
            .unwrap_or_default()
            .into_filter(ctx.request().clock.today())?;
        let (rows, has_next) =
            structures::page(ctx.request().caller(actor), &filter, page.after, page.limit).await?;
        let fields = StructureConnectionFields { filter };
        Ok(page.connection(rows, has_next, fields, |row| row.id, Structure))
    }

    /// The structure with this matricule, if the caller may see it (NOT_FOUND otherwise).
    async fn structure(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Matricule of the structure, e.g. `DEMO-59-01`.")] matricule: String,
    ) -> Result<Option<Structure>> {
        let row = structures::by_matricule(ctx.caller()?, &matricule).await?;
        Ok(Some(Structure(row)))
    }
}
