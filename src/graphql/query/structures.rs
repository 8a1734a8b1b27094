//! `structures` (a Relay connection) and `structure(matricule:)`.
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, InputObject, Object, Result};
use chrono::NaiveDate;

use crate::domain::enums::{LabelStatus, StructureFormat};
use crate::domain::label_workflow;
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::graphql::pagination::{CursorKey, PageRequest};
use crate::graphql::types::{Partner, Structure};
use crate::service::conventions;
use crate::service::structures::{self, SortField, SortPosition, StructureFilter};

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

/// What `structures` can be sorted by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "StructureOrderField")]
pub enum OrderField {
    /// Creation order (the default).
    Created,
    /// Name, case and accents ignored.
    Name,
    /// Commune name, case and accents ignored; then name.
    Commune,
    /// Department code, in code order (`01` … `19`, `21` … `29`, `2A`, `2B`, `30` … `976`); then
    /// name.
    Department,
    /// Label date; structures never labelled come last in both directions; then name.
    LabelDate,
}

/// A sort direction.
#[derive(Enum, Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum OrderDirection {
    /// Smallest (or earliest, or A) first.
    #[default]
    Asc,
    /// Largest (or latest, or Z) first.
    Desc,
}

/// The order of `structures`. Ties are broken by name, then by creation.
#[derive(InputObject)]
pub struct StructureOrder {
    /// The field sorted on.
    pub field: OrderField,
    /// The direction; ascending when absent.
    #[graphql(default)]
    pub direction: OrderDirection,
}

impl StructureOrder {
    fn resolve(order: Option<Self>) -> structures::StructureOrder {
        let Some(order) = order else {
            return structures::StructureOrder::default();
        };
        structures::StructureOrder {
            field: match order.field {
                OrderField::Created => SortField::Created,
                OrderField::Name => SortField::Name,
                OrderField::Commune => SortField::Commune,
                OrderField::Department => SortField::Department,
                OrderField::LabelDate => SortField::LabelDate,
            },
            descending: order.direction == OrderDirection::Desc,
        }
    }
}

/// Cursor text of each order; creation order keeps the bare id of earlier cursors.
const ORDER_TAGS: [(SortField, &str); 5] = [
    (SortField::Created, "created"),
    (SortField::Name, "name"),
    (SortField::Commune, "commune"),
    (SortField::Department, "department"),
    (SortField::LabelDate, "label-date"),
];

impl CursorKey for SortPosition {
    fn to_text(&self) -> String {
        let order = self.order;
        if order == structures::StructureOrder::default() {
            return self.id.to_string();
        }
        let tag = ORDER_TAGS
            .iter()
            .find(|(field, _)| *field == order.field)
            .map_or("created", |(_, tag)| tag);
        let direction = if order.descending { "desc" } else { "asc" };
        let mut values: Vec<serde_json::Value> =
            self.keys.iter().map(|k| k.clone().into()).collect();
        values.push(self.id.into());
        format!("{tag}.{direction}:{}", serde_json::Value::from(values))
    }

    fn from_text(text: &str) -> Option<Self> {
        let Some((order, values)) = text.split_once(':') else {
            return Some(SortPosition {
                order: structures::StructureOrder::default(),
                keys: Vec::new(),
                id: text.parse().ok()?,
            });
        };
        let (tag, direction) = order.split_once('.')?;
        let field = ORDER_TAGS.iter().find(|(_, t)| *t == tag)?.0;
        let descending = match direction {
            "asc" => false,
            "desc" => true,
            _ => return None,
        };
        let mut values: Vec<serde_json::Value> = serde_json::from_str(values).ok()?;
        let id = values.pop()?.as_i64()?;
        let keys = values
            .into_iter()
            .map(|value| match value {
                serde_json::Value::Null => Some(None),
                serde_json::Value::String(text) => Some(Some(text)),
                _ => None,
            })
            .collect::<Option<_>>()?;
        Some(SortPosition {
            order: structures::StructureOrder { field, descending },
            keys,
            id,
        })
    }
}

/// Extra fields of the structures connection.
pub struct StructureConnectionFields {
    filter: StructureFilter,
    /// The count, when it was read with the page.
    total: Option<u64>,
}

#[Object]
impl StructureConnectionFields {
    /// Number of structures matching the filter that the caller may see (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        match self.total {
            Some(total) => Ok(total),
            None => Ok(structures::count(ctx.caller()?, &self.filter).await?),
        }
    }
}

#[Object]
impl StructureQuery {
    /// The structures the caller may see, in `orderBy` (creation when absent), `first` at a
    /// time (at most 100) after the cursor `after`. A cursor holds its order: pass the same
    /// `orderBy` with it.
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
        #[graphql(desc = "Sort order; creation order when absent.")] order_by: Option<
            StructureOrder,
        >,
    ) -> Result<Connection<String, Structure, StructureConnectionFields, EmptyFields>> {
        let actor = ctx.actor()?;
        let page = PageRequest::<SortPosition>::parse(CONNECTION, first, after)?;
        let filter = filter
            .unwrap_or_default()
            .into_filter(ctx.request().clock.today())?;
        let order = StructureOrder::resolve(order_by);
        let caller = ctx.request().caller(actor);
        let look = ctx.look_ahead();
        let with_total = look.field("totalCount").exists();
        let structures::Page {
            rows,
            has_next,
            total,
            data_version,
        } = structures::page(
            caller,
            &ctx.request().structure_rows,
            &filter,
            order,
            page.after.as_ref(),
            page.limit,
            with_total,
        )
        .await?;
        // The page's effective partners when asked for: kept at the version the page was read
        // at, or read in one statement (and kept).
        let asks_partners = look
            .field("edges")
            .field("node")
            .field("effectivePartners")
            .exists()
            || look.field("nodes").field("effectivePartners").exists();
        if asks_partners
            && let Some(found) = page_partners(ctx, caller.db, &rows, data_version).await
        {
            ctx.loaders().prime_effective_partners(found);
        }
        let fields = StructureConnectionFields { filter, total };
        Ok(page.connection(rows, has_next, fields, |row| order.position(row), Structure))
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

/// The effective partners of a page's structures, by structure id: kept at the data version
/// the page was read at, or read in one statement (and kept). `None` when the statement
/// fails: each field then reads through the loader and reports its own error, as without
/// priming, and the page itself stands.
async fn page_partners(
    ctx: &Context<'_>,
    db: &sea_orm::DatabaseConnection,
    rows: &[entity::structure::Model],
    data_version: Option<i64>,
) -> Option<HashMap<i64, Arc<[Partner]>>> {
    let kept = &ctx.request().effective_partners;
    if let Some(found) =
        data_version.and_then(|version| kept.get(version, rows.iter().map(|row| row.id)))
    {
        return Some(found);
    }
    let keys: Vec<(i64, String)> = rows
        .iter()
        .map(|row| (row.id, row.department_code.clone()))
        .collect();
    match conventions::effective_partner_rows(db, &keys).await {
        Ok((version, found)) => {
            let found = found
                .into_iter()
                .map(|((id, _), rows)| (id, rows.into_iter().map(Partner).collect()))
                .collect();
            if let Some(version) = version {
                kept.keep(version, &found);
            }
            Some(found)
        }
        Err(err) => {
            tracing::warn!(error = %err.message(), "priming effective partners failed");
            None
        }
    }
}
