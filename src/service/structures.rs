//! Reading structures. Lists, counts and relations are filtered in SQL by the actor's
//! [`StructureScope`]; by-key reads ask the policy.

use std::collections::HashMap;

use chrono::NaiveDate;

use sea_orm::sea_query::{Alias, Expr, LikeExpr, NullOrdering, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait, FromQueryResult, Order,
    QueryFilter, QueryOrder, QueryResult, QuerySelect, Select, Value,
};

use super::conventions;
use super::paging;
use super::structure_rows::StructureRows;
use crate::auth::policy::PolarStructure;
use crate::auth::{Actor, Caller, StructureScope};
use crate::domain::enums::{LOCATABLE_COMMUNE_KINDS, LabelStatus, StructureFormat, db_name};
use crate::domain::label_workflow::ReauditStage;
use crate::domain::text::contains_pattern;
use crate::error::{AppError, AppResult};
use entity::{commune, label_audit, mystery_visit, partner, structure};

/// Filters of the structures list; all given filters must hold.
#[derive(Clone, Debug, Default)]
pub struct StructureFilter {
    /// In one of these departments.
    pub departments: Option<Vec<String>>,
    /// Of this format.
    pub format: Option<StructureFormat>,
    /// With this label status.
    pub label_status: Option<LabelStatus>,
    /// Whose commune lies in this canton.
    pub canton: Option<String>,
    /// Whose name or commune name contains this text (case and accents ignored).
    pub text: Option<String>,
    /// Labelled (or last re-audited) on or before this date with no re-audit under way:
    /// with today minus 3 years, the labels due for re-audit.
    pub labelled_on_or_before: Option<NaiveDate>,
}

impl StructureFilter {
    fn condition(&self) -> Condition {
        let mut all = Condition::all();
        if let Some(departments) = &self.departments {
            all = all.add(structure::Column::DepartmentCode.is_in(departments.clone()));
        }
        if let Some(format) = self.format {
            all = all.add(structure::Column::Format.eq(db_name(format)));
        }
        if let Some(date) = self.labelled_on_or_before {
            // Due: the 3-year clock (from the last passed re-audit, else the label) has run
            // out, and no re-audit is under way.
            all = all
                .add(structure::Column::LabelStatus.eq(db_name(LabelStatus::Labelled)))
                .add(structure::Column::ReauditStage.eq(<&str>::from(ReauditStage::None)))
                .add(
                    Condition::any()
                        .add(
                            Condition::all()
                                .add(structure::Column::ReauditedOn.is_null())
                                .add(structure::Column::LabelDate.lte(date)),
                        )
                        .add(structure::Column::ReauditedOn.lte(date)),
                );
        }
        if let Some(status) = self.label_status {
            all = all.add(structure::Column::LabelStatus.eq(db_name(status)));
        }
        if let Some(canton) = &self.canton {
            all = all.add(
                structure::Column::CommuneCode.in_subquery(
                    Query::select()
                        .column(commune::Column::Code)
                        .from(commune::Entity)
                        .and_where(commune::Column::CantonCode.eq(canton.as_str()))
                        .and_where(commune::Column::Kind.is_in(LOCATABLE_COMMUNE_KINDS))
                        .to_owned(),
                ),
            );
        }
        if let Some(text) = self.text.as_deref().filter(|t| !t.trim().is_empty()) {
            all = all.add(
                Expr::col(structure::Column::SearchText)
                    .like(LikeExpr::new(contains_pattern(text)).escape('\\')),
            );
        }
        all
    }
}

/// What a list of structures is sorted by. Ties are broken by name, then by id, ascending.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortField {
    /// Creation order (the id).
    #[default]
    Created,
    /// Name (case and accents ignored).
    Name,
    /// Commune name (case and accents ignored).
    Commune,
    /// Department code (`01` … `19`, `21` … `29`, `2A`, `2B`, `30` … `976`).
    Department,
    /// Label date; structures without one come last in both directions.
    LabelDate,
}

/// The order of a list of structures: a field and a direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StructureOrder {
    /// The field sorted on.
    pub field: SortField,
    /// Largest first.
    pub descending: bool,
}

impl StructureOrder {
    /// The sorted columns before the id, each with whether it is descending.
    fn columns(self) -> Vec<(structure::Column, bool)> {
        use structure::Column::{CommuneKey, DepartmentCode, LabelDate, NameKey};
        let first = match self.field {
            SortField::Created => return Vec::new(),
            SortField::Name => return vec![(NameKey, self.descending)],
            SortField::Commune => CommuneKey,
            SortField::Department => DepartmentCode,
            SortField::LabelDate => LabelDate,
        };
        vec![(first, self.descending), (NameKey, false)]
    }

    /// Whether the id (the last tie-breaker) is descending: only in creation order.
    fn id_descending(self) -> bool {
        self.field == SortField::Created && self.descending
    }

    /// Where `row` stands in this order.
    pub fn position(self, row: &structure::Model) -> SortPosition {
        let keys = self
            .columns()
            .into_iter()
            .map(|(column, _)| match column {
                structure::Column::NameKey => Some(row.name_key.clone()),
                structure::Column::CommuneKey => Some(row.commune_key.clone()),
                structure::Column::DepartmentCode => Some(row.department_code.clone()),
                _ => row.label_date.map(|date| date.to_string()),
            })
            .collect();
        SortPosition {
            order: self,
            keys,
            id: row.id,
        }
    }
}

/// Where a row stands in an order: the values of the order's columns (`None` for a missing
/// label date), then its id. A page starts after a position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortPosition {
    /// The order the position belongs to.
    pub order: StructureOrder,
    /// Values of [`StructureOrder::columns`], as text.
    pub keys: Vec<Option<String>>,
    /// Id of the row.
    pub id: i64,
}

impl SortPosition {
    /// The rows after this position, or `None` if its values do not fit its order.
    fn after(&self) -> Option<Condition> {
        let columns = self.order.columns();
        if columns.len() != self.keys.len() {
            return None;
        }
        let mut later = Condition::any();
        let mut equal = Condition::all();
        for ((column, descending), key) in columns.into_iter().zip(&self.keys) {
            let nullable = matches!(column, structure::Column::LabelDate);
            let value: Option<Value> = match key {
                None if nullable => None,
                None => return None,
                Some(text) if nullable => Some(text.parse::<NaiveDate>().ok()?.into()),
                Some(text) => Some(text.clone().into()),
            };
            match value {
                // A missing value sorts last: only equal (missing) values follow it.
                None => equal = equal.add(column.is_null()),
                Some(value) => {
                    let beyond = if descending {
                        column.lt(value.clone())
                    } else {
                        column.gt(value.clone())
                    };
                    let beyond = if nullable {
                        Condition::any().add(beyond).add(column.is_null())
                    } else {
                        Condition::all().add(beyond)
                    };
                    later = later.add(equal.clone().add(beyond));
                    equal = equal.add(column.eq(value));
                }
            }
        }
        let id = structure::Column::Id;
        Some(later.add(equal.add(if self.order.id_descending() {
            id.lt(self.id)
        } else {
            id.gt(self.id)
        })))
    }
}

/// The actor's structures matching `filter`, or `None` when nothing can be in scope.
fn scoped(actor: &Actor, filter: &StructureFilter) -> Option<Select<structure::Entity>> {
    let scope = actor.views().scope.clone();
    if scope.is_empty() {
        return None;
    }
    let mut select = structure::Entity::find().filter(filter.condition());
    let implied = filter
        .departments
        .as_deref()
        .is_some_and(|d| !d.is_empty() && scope.covers_departments(d));
    if !implied && let Some(condition) = scope.condition() {
        select = select.filter(condition);
    }
    Some(select)
}

/// One page of the actor's structures.
pub struct Page {
    /// At most the asked number of rows, in order.
    pub rows: Vec<structure::Model>,
    /// Whether more rows follow.
    pub has_next: bool,
    /// How many structures match in all, when it was asked for and read with the page.
    pub total: Option<u64>,
    /// The data's version (migration 33) as the page's statement read it; `None` when no row
    /// matched. What is kept under it (the effective partners, `KeptAtVersion`) is what the
    /// database held when the page was read.
    pub data_version: Option<i64>,
}

/// A row with the number of rows matching in all (`COUNT(*) OVER ()`).
struct Counted<T> {
    row: T,
    total: i64,
}

impl<T: FromQueryResult> FromQueryResult for Counted<T> {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Self {
            row: T::from_query_result(res, pre)?,
            total: res.try_get(pre, "total_count")?,
        })
    }
}

/// A row with its revision (`structure.revision`, migration 34).
struct Revised<T> {
    row: T,
    revision: i64,
}

impl<T: FromQueryResult> FromQueryResult for Revised<T> {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Self {
            row: T::from_query_result(res, pre)?,
            revision: res.try_get(pre, "revision")?,
        })
    }
}

/// A structure's identifier, with the data's version read in the same statement.
#[derive(FromQueryResult)]
struct Id {
    id: i64,
    data_version: i64,
}

/// One page of the actor's structures in `order`, after the position `after`: at most
/// `limit` rows, plus whether more follow. A position of another order is `BAD_USER_INPUT`.
///
/// The page's statement reads the identifiers and revisions of its rows; the rows come from
/// `kept` when every one is kept at that revision, else from a second statement with the same
/// conditions that reads them whole (and keeps them). See [`StructureRows`].
///
/// With `with_total`, on PostgreSQL, the first page also counts every matching structure in
/// the same statement (a window count, evaluated before the limit), which spares a round
/// trip; later pages leave the count to [`count`], since their condition excludes the
/// earlier rows. SQLite has no round trip to spare, and its window count copies the rows
/// into a temporary B-tree: measured slower than a second statement, so it counts apart.
pub async fn page(
    caller: Caller<'_, impl ConnectionTrait>,
    kept: &StructureRows,
    filter: &StructureFilter,
    order: StructureOrder,
    after: Option<&SortPosition>,
    limit: u64,
    with_total: bool,
) -> AppResult<Page> {
    let Caller { db, actor, .. } = caller;
    let Some(mut select) = scoped(actor, filter) else {
        return Ok(Page {
            rows: Vec::new(),
            has_next: false,
            total: with_total.then_some(0),
            data_version: None,
        });
    };
    let counted =
        with_total && after.is_none() && db.get_database_backend() == sea_orm::DbBackend::Postgres;
    if let Some(after) = after {
        let condition = (after.order == order)
            .then(|| after.after())
            .flatten()
            .ok_or_else(|| {
                AppError::bad_input("after", "the cursor belongs to another order of the list")
            })?;
        select = select.filter(condition);
    }
    let as_order = |descending| if descending { Order::Desc } else { Order::Asc };
    for (column, descending) in order.columns() {
        select = if matches!(column, structure::Column::LabelDate) {
            select.order_by_with_nulls(column, as_order(descending), NullOrdering::Last)
        } else {
            select.order_by(column, as_order(descending))
        };
    }
    let revision = Expr::col((structure::Entity, Alias::new("revision")));
    let select = select
        .order_by(structure::Column::Id, as_order(order.id_descending()))
        .limit(limit + 1)
        .column_as(revision.clone(), "revision");
    let keys = select
        .clone()
        .select_only()
        .column(structure::Column::Id)
        .column_as(revision, "revision")
        .column_as(
            Expr::cust("(SELECT version FROM data_version WHERE id = 1)"),
            "data_version",
        );
    let (keys, total) = if counted {
        let counted = keys
            .column_as(Expr::cust("COUNT(*) OVER ()"), "total_count")
            .into_model::<Counted<Revised<Id>>>()
            .all(db)
            .await?;
        // No row: nothing matches (this is the first page).
        let total = counted
            .first()
            .map_or(0, |c| u64::try_from(c.total).unwrap_or(0));
        (counted.into_iter().map(|c| c.row).collect(), Some(total))
    } else {
        (keys.into_model::<Revised<Id>>().all(db).await?, None)
    };
    let data_version = keys.first().map(|k| k.row.data_version);
    let mut rows = match kept.all(keys.iter().map(|k| (k.row.id, k.revision))) {
        Some(rows) => rows,
        None => {
            let read = select
                .into_model::<Revised<structure::Model>>()
                .all(db)
                .await?;
            kept.keep(read.iter().map(|r| (r.revision, &r.row)));
            read.into_iter().map(|r| r.row).collect()
        }
    };
    let has_next = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok(Page {
        rows,
        has_next,
        total,
        data_version,
    })
}

/// How many of the actor's structures match `filter`.
pub async fn count(
    caller: Caller<'_, impl ConnectionTrait>,
    filter: &StructureFilter,
) -> AppResult<u64> {
    let Caller { db, actor, .. } = caller;
    paging::count(db, scoped(actor, filter)).await
}

/// The structure with `matricule`, if the policy lets the actor read it; `NOT_FOUND`
/// otherwise, whether or not it exists.
pub async fn by_matricule(
    caller: Caller<'_, impl ConnectionTrait>,
    matricule: &str,
) -> AppResult<structure::Model> {
    let Caller { db, policy, actor } = caller;
    let row = structure::Entity::find()
        .filter(structure::Column::Matricule.eq(matricule))
        .one(db)
        .await?;
    // The read rules only grow with partners, auditors and visitors, so the bare view settles most
    // callers (ANCT, prefects, agents) without loading the structure's relations.
    if let Some(row) = row
        && (policy.is_allowed(actor, "read", PolarStructure::bare(&row))?
            || policy.is_allowed(actor, "read", policy_view(db, &row).await?)?)
    {
        return Ok(row);
    }
    Err(AppError::not_found("structure", matricule))
}

/// `row` as the policy's `read` rule sees it, with its effective partners, auditors and
/// visitors.
pub async fn policy_view(
    db: &impl ConnectionTrait,
    row: &structure::Model,
) -> AppResult<PolarStructure> {
    Ok(policy_views(db, std::slice::from_ref(row))
        .await?
        .pop()
        .unwrap_or_else(|| PolarStructure::bare(row)))
}

/// `rows` as the policy's `read` rule sees them (four to six queries in all).
pub async fn policy_views(
    db: &impl ConnectionTrait,
    rows: &[structure::Model],
) -> AppResult<Vec<PolarStructure>> {
    let keys: Vec<(i64, String)> = rows
        .iter()
        .map(|r| (r.id, r.department_code.clone()))
        .collect();
    let partners = conventions::effective_partners(db, &keys).await?;
    let codes: HashMap<i64, String> = partner::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.code))
        .collect();
    let mut auditors: HashMap<i64, Vec<i64>> = HashMap::new();
    for audit in label_audit::Entity::find()
        .filter(label_audit::Column::StructureId.is_in(rows.iter().map(|r| r.id)))
        .all(db)
        .await?
    {
        auditors
            .entry(audit.structure_id)
            .or_default()
            .push(audit.auditor_id);
    }
    let mut visitors: HashMap<i64, Vec<i64>> = HashMap::new();
    for visit in mystery_visit::Entity::find()
        .filter(mystery_visit::Column::StructureId.is_in(rows.iter().map(|r| r.id)))
        .filter(mystery_visit::Column::VisitorId.is_not_null())
        .all(db)
        .await?
    {
        if let Some(visitor) = visit.visitor_id {
            visitors
                .entry(visit.structure_id)
                .or_default()
                .push(visitor);
        }
    }
    Ok(rows
        .iter()
        .zip(keys)
        .map(|(row, key)| {
            let mut view = PolarStructure::bare(row);
            view.partners = partners
                .get(&key)
                .into_iter()
                .flatten()
                .filter_map(|id| codes.get(id).cloned())
                .collect();
            view.auditors = auditors.remove(&row.id).unwrap_or_default();
            view.visitors = visitors.remove(&row.id).unwrap_or_default();
            view
        })
        .collect())
}

/// The in-scope structures among `ids` (for relations such as `principal`).
pub async fn by_ids(
    db: &impl ConnectionTrait,
    scope: &StructureScope,
    ids: &[i64],
) -> AppResult<HashMap<i64, structure::Model>> {
    if scope.is_empty() || ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut select = structure::Entity::find().filter(structure::Column::Id.is_in(ids.to_vec()));
    if let Some(condition) = scope.condition() {
        select = select.filter(condition);
    }
    Ok(select
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect())
}

/// The in-scope antennas of each principal in `principal_ids`, by ascending id.
pub async fn antennas_of(
    db: &impl ConnectionTrait,
    scope: &StructureScope,
    principal_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<structure::Model>>> {
    let mut antennas: HashMap<i64, Vec<structure::Model>> = HashMap::new();
    if scope.is_empty() || principal_ids.is_empty() {
        return Ok(antennas);
    }
    let mut select = structure::Entity::find()
        .filter(structure::Column::PrincipalId.is_in(principal_ids.to_vec()));
    if let Some(condition) = scope.condition() {
        select = select.filter(condition);
    }
    for row in select.order_by_asc(structure::Column::Id).all(db).await? {
        if let Some(principal) = row.principal_id {
            antennas.entry(principal).or_default().push(row);
        }
    }
    Ok(antennas)
}
