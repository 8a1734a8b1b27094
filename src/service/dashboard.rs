//! Dashboard figures (issue 5, first slice): reporting, Administration+, the label pipeline
//! and funding, each computed by the database (GROUP BY) over the caller's slice of the
//! network, never by loading rows into Rust.
//!
//! The slice, by the caller's broadest role: ANCT the whole country; a prefect their
//! departments; an operator only figures about their partner, in their departments (or all
//! for a national assignment); an agent their structures. Funding is ANCT's and the
//! prefects' only; the label pipeline is not an operator's business.

use chrono::{Datelike, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Value};

use super::sql;
use crate::auth::Actor;
use crate::auth::scope::PartnerReach;
use crate::domain::enums::Role;
use crate::domain::label_workflow;
use crate::error::{AppError, AppResult};
use crate::service::reference_cache::Snapshot;

/// The filters a dashboard takes; all given filters must hold.
#[derive(Clone, Debug, Default)]
pub struct DashboardFilter {
    /// From this day (inclusive).
    pub from: Option<NaiveDate>,
    /// To this day (inclusive).
    pub to: Option<NaiveDate>,
    /// In these departments (within the caller's slice).
    pub departments: Option<Vec<String>>,
    /// About this partner (code).
    pub partner: Option<i64>,
}

/// The caller's slice of the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DashboardScope {
    /// Departments, `None` for all.
    pub departments: Option<Vec<String>>,
    /// Single structures (agents), `None` for no such limit.
    pub structures: Option<Vec<i64>>,
    /// The only partner the figures may be about (operators).
    pub partner: Option<String>,
    /// Whether funding amounts are in the slice.
    pub funding: bool,
    /// Whether the label pipeline is in the slice.
    pub labelling: bool,
}

impl DashboardScope {
    /// The slice of `actor` (see the module doc); `FORBIDDEN` for a role without one.
    pub fn of(actor: &Actor) -> AppResult<Self> {
        let whole = |departments: Option<Vec<String>>| Self {
            departments,
            structures: None,
            partner: None,
            funding: true,
            labelling: true,
        };
        if actor.has_role(Role::Anct) {
            return Ok(whole(None));
        }
        let mut prefect: Vec<String> = actor
            .assignments
            .iter()
            .filter(|a| a.role == Role::Prefect)
            .filter_map(|a| a.department_code.clone())
            .collect();
        if !prefect.is_empty() {
            prefect.sort();
            prefect.dedup();
            return Ok(whole(Some(prefect)));
        }
        let reaches = PartnerReach::of(actor);
        if let [reach] = reaches.as_slice() {
            return Ok(Self {
                departments: reach.departments.clone(),
                structures: None,
                partner: Some(reach.partner.clone()),
                funding: false,
                labelling: false,
            });
        }
        if reaches.len() > 1 {
            return Err(AppError::bad_input(
                "filter.partner",
                "you operate for several partners: see each partner's dashboard as a separate user",
            ));
        }
        let structures: Vec<i64> = actor
            .assignments
            .iter()
            .filter(|a| a.role == Role::Agent)
            .filter_map(|a| a.structure_id)
            .collect();
        if !structures.is_empty() {
            return Ok(Self {
                departments: None,
                structures: Some(structures),
                partner: None,
                funding: false,
                labelling: true,
            });
        }
        Err(AppError::Forbidden(
            "dashboards are for ANCT, prefectures, operators and agents".into(),
        ))
    }
}

/// A `WHERE` clause being built, with its bound values.
struct Where {
    clauses: Vec<String>,
    values: Vec<Value>,
}

impl Where {
    fn new() -> Self {
        Self {
            clauses: vec!["1 = 1".into()],
            values: Vec::new(),
        }
    }

    fn push(&mut self, clause: &str, values: impl IntoIterator<Item = Value>) {
        self.clauses.push(clause.to_owned());
        self.values.extend(values);
    }

    fn within<T: Into<Value> + Clone>(&mut self, column: &str, list: &[T]) {
        if list.is_empty() {
            self.clauses.push("1 = 0".into());
        } else {
            self.clauses
                .push(format!("{column} IN ({})", sql::placeholders(list.len())));
            self.values.extend(list.iter().cloned().map(Into::into));
        }
    }

    fn sql(&self) -> String {
        self.clauses.join(" AND ")
    }
}

/// The slice and the filters as a `WHERE` on a table with `department_code`,
/// `structure_id` (or `id` for `structure`) and optionally `partner_id`.
fn scoped(
    scope: &DashboardScope,
    filter: &DashboardFilter,
    reference: &Snapshot,
    prefix: &str,
    structure_column: &str,
    partner_column: Option<&str>,
) -> AppResult<Where> {
    let mut w = Where::new();
    if let Some(departments) = &scope.departments {
        w.within(&format!("{prefix}department_code"), departments);
    }
    if let Some(departments) = &filter.departments {
        w.within(&format!("{prefix}department_code"), departments);
    }
    if let Some(structures) = &scope.structures {
        w.within(&format!("{prefix}{structure_column}"), structures);
    }
    if let Some(column) = partner_column {
        if let Some(code) = &scope.partner {
            let id = reference.partner(code).map_or(0, |p| p.id);
            w.push(&format!("{prefix}{column} = ?"), [id.into()]);
        }
        if let Some(id) = filter.partner {
            w.push(&format!("{prefix}{column} = ?"), [id.into()]);
        }
    }
    Ok(w)
}

/// A label and a count.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct Count {
    /// What is counted (a month `YYYY-MM`, a partner id, a theme, a status…).
    pub key: String,
    /// How many.
    pub count: i64,
}

/// Reporting figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Reporting {
    /// Requests handled (corrections count once).
    pub total: i64,
    /// Of which resolved on site.
    pub resolved_on_site: i64,
    /// Per month (`YYYY-MM`).
    pub by_month: Vec<Count>,
    /// Per partner id.
    pub by_partner: Vec<Count>,
    /// Per theme.
    pub by_theme: Vec<Count>,
}

#[derive(FromQueryResult)]
struct Totals {
    total: i64,
    yes: Option<i64>,
}

async fn counts(
    db: &impl ConnectionTrait,
    key: &str,
    table: &str,
    w: &Where,
) -> AppResult<Vec<Count>> {
    let statement = sql::statement(
        db.get_database_backend(),
        &format!(
            "SELECT {key} AS key, COUNT(*) AS count FROM {table} WHERE {} GROUP BY {key} ORDER BY count DESC, key",
            w.sql()
        ),
        w.values.clone(),
    );
    Ok(Count::find_by_statement(statement).all(db).await?)
}

/// Reporting figures of the slice over the period.
pub async fn reporting(
    db: &impl ConnectionTrait,
    scope: &DashboardScope,
    filter: &DashboardFilter,
    reference: &Snapshot,
) -> AppResult<Reporting> {
    let mut w = scoped(
        scope,
        filter,
        reference,
        "",
        "structure_id",
        Some("partner_id"),
    )?;
    w.push("superseded_by_id IS NULL", []);
    if let Some(from) = filter.from {
        w.push("occurred_on >= ?", [from.into()]);
    }
    if let Some(to) = filter.to {
        w.push("occurred_on <= ?", [to.into()]);
    }
    let backend = db.get_database_backend();
    let totals = Totals::find_by_statement(sql::statement(
        backend,
        &format!(
            "SELECT COUNT(*) AS total, SUM(CASE WHEN resolved_on_site THEN 1 ELSE 0 END) AS yes \
             FROM report_entry WHERE {}",
            w.sql()
        ),
        w.values.clone(),
    ))
    .one(db)
    .await?
    .unwrap_or(Totals {
        total: 0,
        yes: None,
    });
    let month = match backend {
        DbBackend::Postgres => "to_char(occurred_on, 'YYYY-MM')",
        _ => "strftime('%Y-%m', occurred_on)",
    };
    let mut by_month = counts(db, month, "report_entry", &w).await?;
    by_month.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(Reporting {
        total: totals.total,
        resolved_on_site: totals.yes.unwrap_or(0),
        by_month,
        by_partner: counts(db, &as_key("partner_id"), "report_entry", &w).await?,
        by_theme: counts(db, "theme", "report_entry", &w).await?,
    })
}

/// A partner id as the text key of a [`Count`].
fn as_key(column: &str) -> String {
    format!("CAST({column} AS TEXT)")
}

/// Administration+ figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Support {
    /// Requests sent in the period.
    pub total: i64,
    /// Of which late (not answered by their due date).
    pub late: i64,
    /// Per partner id: sent.
    pub by_partner: Vec<Count>,
    /// Per partner id: late.
    pub late_by_partner: Vec<Count>,
}

/// Administration+ figures of the slice over the period (by sending date).
pub async fn support(
    db: &impl ConnectionTrait,
    scope: &DashboardScope,
    filter: &DashboardFilter,
    reference: &Snapshot,
) -> AppResult<Support> {
    let mut w = scoped(
        scope,
        filter,
        reference,
        "",
        "structure_id",
        Some("partner_id"),
    )?;
    if let Some(from) = filter.from.and_then(|d| d.and_hms_opt(0, 0, 0)) {
        w.push("sent_at >= ?", [from.and_utc().into()]);
    }
    if let Some(to) = filter
        .to
        .and_then(|d| d.succ_opt())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        w.push("sent_at < ?", [to.and_utc().into()]);
    }
    let partner = as_key("partner_id");
    let by_partner = counts(db, &partner, "support_request", &w).await?;
    let mut late = Where {
        clauses: w.clauses.clone(),
        values: w.values.clone(),
    };
    late.push(
        "((first_answered_at IS NULL AND due_at < ?) OR first_answered_at > due_at)",
        [Utc::now().into()],
    );
    let late_by_partner = counts(db, &partner, "support_request", &late).await?;
    Ok(Support {
        total: by_partner.iter().map(|c| c.count).sum(),
        late: late_by_partner.iter().map(|c| c.count).sum(),
        by_partner,
        late_by_partner,
    })
}

/// Label pipeline figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    /// Structures per label status.
    pub by_status: Vec<Count>,
    /// Audits submitted in the period that passed.
    pub audits_passed: i64,
    /// And failed.
    pub audits_failed: i64,
    /// Criteria most often unmet in failed audits (code, count), most frequent first.
    pub failed_criteria: Vec<Count>,
    /// Labels due for their 3-yearly re-audit today.
    pub reaudits_due: i64,
    /// Legacy MSAPs not labelled by 31 December 2021.
    pub msaps_losing_funding: i64,
}

#[derive(FromQueryResult)]
struct One {
    n: i64,
}

async fn one(db: &impl ConnectionTrait, sql_text: &str, values: Vec<Value>) -> AppResult<i64> {
    let statement = sql::statement(db.get_database_backend(), sql_text, values);
    Ok(One::find_by_statement(statement)
        .one(db)
        .await?
        .map_or(0, |r| r.n))
}

/// The label pipeline of the slice.
pub async fn pipeline(
    db: &impl ConnectionTrait,
    scope: &DashboardScope,
    filter: &DashboardFilter,
    reference: &Snapshot,
) -> AppResult<Pipeline> {
    let structures = scoped(scope, filter, reference, "s.", "id", None)?;
    let by_status = counts(db, "s.label_status", "structure s", &structures).await?;
    let mut audits = Where {
        clauses: structures.clauses.clone(),
        values: structures.values.clone(),
    };
    audits.push("a.submitted_at IS NOT NULL", []);
    if let Some(from) = filter.from.and_then(|d| d.and_hms_opt(0, 0, 0)) {
        audits.push("a.submitted_at >= ?", [from.and_utc().into()]);
    }
    if let Some(to) = filter
        .to
        .and_then(|d| d.succ_opt())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        audits.push("a.submitted_at < ?", [to.and_utc().into()]);
    }
    let outcomes = counts(
        db,
        "a.outcome",
        "label_audit a JOIN structure s ON s.id = a.structure_id",
        &audits,
    )
    .await?;
    let outcome = |name: &str| {
        outcomes
            .iter()
            .find(|c| c.key == name)
            .map_or(0, |c| c.count)
    };
    let mut failed = Where {
        clauses: audits.clauses.clone(),
        values: audits.values.clone(),
    };
    failed.push("a.outcome = 'FAILED' AND r.met = ?", [false.into()]);
    let mut failed_criteria = counts(
        db,
        "c.code",
        "audit_result r JOIN label_audit a ON a.id = r.audit_id \
         JOIN structure s ON s.id = a.structure_id JOIN criterion c ON c.id = r.criterion_id",
        &failed,
    )
    .await?;
    failed_criteria.truncate(10);
    let today = Utc::now().date_naive();
    let mut due = Where {
        clauses: structures.clauses.clone(),
        values: structures.values.clone(),
    };
    due.push(
        "s.label_status = 'LABELLED' AND s.label_date <= ?",
        [label_workflow::due_for_reaudit_if_labelled_by(today).into()],
    );
    let reaudits_due = one(
        db,
        &format!("SELECT COUNT(*) AS n FROM structure s WHERE {}", due.sql()),
        due.values,
    )
    .await?;
    let mut msaps = Where {
        clauses: structures.clauses.clone(),
        values: structures.values.clone(),
    };
    msaps.push(
        "s.legacy_msap = ? AND NOT (s.label_status = 'LABELLED' AND s.label_date <= ?)",
        [true.into(), label_workflow::legacy_msap_deadline().into()],
    );
    let msaps_losing_funding = one(
        db,
        &format!(
            "SELECT COUNT(*) AS n FROM structure s WHERE {}",
            msaps.sql()
        ),
        msaps.values,
    )
    .await?;
    Ok(Pipeline {
        by_status,
        audits_passed: outcome("PASSED"),
        audits_failed: outcome("FAILED"),
        failed_criteria,
        reaudits_due,
        msaps_losing_funding,
    })
}

/// Funding totals per kind (euros) for grants of the period's years.
pub async fn funding(
    db: &impl ConnectionTrait,
    scope: &DashboardScope,
    filter: &DashboardFilter,
    reference: &Snapshot,
) -> AppResult<Vec<Count>> {
    let mut w = scoped(scope, filter, reference, "s.", "id", None)?;
    if let Some(from) = filter.from {
        w.push("g.year >= ?", [from.year().into()]);
    }
    if let Some(to) = filter.to {
        w.push("g.year <= ?", [to.year().into()]);
    }
    let statement = sql::statement(
        db.get_database_backend(),
        &format!(
            "SELECT g.kind AS key, CAST(SUM(g.amount_euros) AS BIGINT) AS count FROM funding_grant g \
             JOIN structure s ON s.id = g.structure_id WHERE {} GROUP BY g.kind ORDER BY g.kind",
            w.sql()
        ),
        w.values,
    );
    Ok(Count::find_by_statement(statement).all(db).await?)
}
