//! Dashboard figures (issue 5, first slice): reporting, Administration+, the label pipeline
//! and funding, each computed by the database (GROUP BY) over the caller's slice of the
//! network, never by loading rows into Rust.
//!
//! The slice, by the caller's broadest role: ANCT the whole country; a prefect their
//! departments; an operator only figures about their partner, in their departments (or all
//! for a national assignment); an agent their structures. Funding is ANCT's and the
//! prefects' only (R-42); the label pipeline is not an operator's business.

use std::collections::HashMap;
use std::future::Future;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Value};

use super::sql;
use crate::auth::Actor;
use crate::clock::Clock;
use crate::domain::enums::Role;
use crate::domain::label_workflow;
use crate::domain::training;
use crate::error::{AppError, AppResult};
use crate::service::figure_memo::Weight;
use crate::service::reference_cache::Snapshot;
use crate::service::reporting::Grain;
use crate::service::{coverage, referents};

/// The filters a dashboard takes; all given filters must hold.
#[derive(Clone, Debug, Default)]
pub struct DashboardFilter {
    /// From this day (inclusive).
    pub from: Option<NaiveDate>,
    /// To this day (inclusive).
    pub to: Option<NaiveDate>,
    /// In these departments (within the caller's slice).
    pub departments: Option<Vec<String>>,
    /// About this partner (internal id).
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
    /// Whether the caller steers the slice's departments (ANCT, prefects): funding amounts
    /// (R-42) and canton coverage (R-07) are theirs only.
    pub steers: bool,
    /// Whether figures about the structures themselves (label pipeline, audits, training,
    /// surveys) are in the slice: not for operators, whose figures are about their partner.
    pub structure_figures: bool,
}

impl DashboardScope {
    /// The slice of `actor` (see the module doc); `FORBIDDEN` for a role without one.
    pub fn of(actor: &Actor) -> AppResult<Self> {
        let whole = |departments: Option<Vec<String>>| Self {
            departments,
            structures: None,
            partner: None,
            steers: true,
            structure_figures: true,
        };
        if actor.has_role(Role::Anct) {
            return Ok(whole(None));
        }
        let prefect = actor.views().steered.departments.clone();
        if !prefect.is_empty() {
            return Ok(whole(Some(prefect)));
        }
        let reaches = actor.views().partners.clone();
        if let [reach] = reaches.as_slice() {
            return Ok(Self {
                departments: reach.departments.clone(),
                structures: None,
                partner: Some(reach.partner.clone()),
                steers: false,
                structure_figures: false,
            });
        }
        if reaches.len() > 1 {
            return Err(AppError::bad_input(
                "filter.partner",
                "you operate for several partners: see each partner's dashboard as a separate user",
            ));
        }
        let structures = actor.views().internal.structure_ids.clone();
        if !structures.is_empty() {
            return Ok(Self {
                departments: None,
                structures: Some(structures),
                partner: None,
                steers: false,
                structure_figures: true,
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

    /// A copy to add clauses to.
    fn and(&self) -> Self {
        Self {
            clauses: self.clauses.clone(),
            values: self.values.clone(),
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
) -> Where {
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
    w
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
    /// Per department (the breakdown of a national or multi-department slice).
    pub by_department: Vec<Count>,
}

/// One month of reporting: entries and those resolved on site.
#[derive(FromQueryResult)]
struct Month {
    key: String,
    count: i64,
    resolved: i64,
}

async fn counts(
    db: &impl ConnectionTrait,
    key: &str,
    table: &str,
    w: &Where,
) -> AppResult<Vec<Count>> {
    measured(db, key, "COUNT(*)", table, w).await
}

/// `measure` (an aggregate giving an integer) per `key`, most first.
async fn measured(
    db: &impl ConnectionTrait,
    key: &str,
    measure: &str,
    table: &str,
    w: &Where,
) -> AppResult<Vec<Count>> {
    rows::<Count>(
        db,
        &format!(
            "SELECT {key} AS key, {measure} AS count FROM {table} WHERE {} \
             GROUP BY {key} HAVING {measure} > 0 ORDER BY count DESC, key",
            w.sql()
        ),
        w.values.clone(),
    )
    .await
}

/// Reporting figures of the slice over the period.
///
/// Departments and partners read the summaries (kept exact with each write): the whole
/// months from the monthly one in four statements (months, partners, themes, departments),
/// and the partial months at the period's edges folded once ([`edge_figures`]); the two are
/// added here. A structure's own figures read its entries through their index, in the four
/// statements. Each statement runs once `turn` gives it its turn (the dashboard's pacing,
/// `graphql::limits::FigureTurns`), side by side with the others; the turn is held until the
/// statement ends.
pub async fn reporting<T, F>(
    db: &impl ConnectionTrait,
    scope: &DashboardScope,
    filter: &DashboardFilter,
    reference: &Snapshot,
    clock: &Clock,
    turn: impl Fn() -> F,
) -> AppResult<Reporting>
where
    F: Future<Output = T>,
{
    let mut w = scoped(
        scope,
        filter,
        reference,
        "",
        "structure_id",
        Some("partner_id"),
    );
    if scope.structures.is_some() {
        w.push("superseded_by_id IS NULL", []);
        if let Some(from) = filter.from {
            w.push("occurred_on >= ?", [from.into()]);
        }
        if let Some(to) = filter.to {
            w.push("occurred_on <= ?", [to.into()]);
        }
        return Ok(grouped(db, "report_entry", "1", &w, &turn).await?.into());
    }
    let Sources { months, days } = sources(filter.from, filter.to, clock.today());
    let whole = async {
        let Some((first, end)) = months else {
            return Ok(None);
        };
        let (part, values) = months_part(first, end);
        let table = format!("({part}) AS r");
        let w = Where {
            clauses: w.clauses.clone(),
            values: values.into_iter().chain(w.values.iter().cloned()).collect(),
        };
        grouped(db, &table, "entries", &w, &turn).await.map(Some)
    };
    let edges = async {
        if days.is_empty() {
            return Ok(Vec::new());
        }
        let _turn = turn().await;
        edge_figures(db, &days, &w).await
    };
    let (whole, edges) = tokio::try_join!(whole, edges)?;
    Ok(added(whole, edges))
}

/// The four groupings of one source of reporting figures.
struct Grouped {
    months: Vec<Month>,
    by_partner: Vec<Count>,
    by_theme: Vec<Count>,
    by_department: Vec<Count>,
}

impl From<Grouped> for Reporting {
    fn from(g: Grouped) -> Self {
        Self {
            total: g.months.iter().map(|m| m.count).sum(),
            resolved_on_site: g.months.iter().map(|m| m.resolved).sum(),
            by_month: g
                .months
                .into_iter()
                .map(|m| Count {
                    key: m.key,
                    count: m.count,
                })
                .collect(),
            by_partner: g.by_partner,
            by_theme: g.by_theme,
            by_department: g.by_department,
        }
    }
}

/// Months, partners, themes and departments of `table` (whose rows count `one` each) under
/// `w`, in four statements side by side, each in its turn.
async fn grouped<T, F>(
    db: &impl ConnectionTrait,
    table: &str,
    one: &str,
    w: &Where,
    turn: &impl Fn() -> F,
) -> AppResult<Grouped>
where
    F: Future<Output = T>,
{
    let sum = format!("CAST(SUM({one}) AS BIGINT)");
    let month = month_of(db.get_database_backend());
    // The months carry the resolved counts too: the totals add up at most a dozen rows.
    let months = async {
        let _turn = turn().await;
        rows::<Month>(
            db,
            &format!(
                "SELECT {month} AS key, {sum} AS count, \
                        CAST(SUM(CASE WHEN resolved_on_site THEN {one} ELSE 0 END) AS BIGINT) AS resolved \
                 FROM {table} WHERE {} GROUP BY {month} HAVING {sum} > 0 ORDER BY key",
                w.sql()
            ),
            w.values.clone(),
        )
        .await
    };
    let by = |key: String| {
        let sum = &sum;
        async move {
            let _turn = turn().await;
            measured(db, &key, sum, table, w).await
        }
    };
    let (months, by_partner, by_theme, by_department) = tokio::try_join!(
        months,
        by(as_key("partner_id")),
        by("theme".into()),
        by("department_code".into())
    )?;
    Ok(Grouped {
        months,
        by_partner,
        by_theme,
        by_department,
    })
}

/// The month (`YYYY-MM`) of `occurred_on`.
fn month_of(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "to_char(occurred_on, 'YYYY-MM')",
        // Dates are stored as `YYYY-MM-DD`.
        _ => "substr(occurred_on, 1, 7)",
    }
}

/// One figure of the period's edges: a month (with its resolved count), a partner, a theme
/// or a department.
#[derive(FromQueryResult)]
struct EdgeFigure {
    figure: String,
    key: String,
    count: i64,
    resolved: i64,
}

/// The summary rows of the partial months at a period's edges (`days`, inclusive ranges),
/// with their bound values: daily rows, but for a range covering most of its month, the
/// month's monthly rows and, counted negative, the daily rows of the days it leaves out. So
/// no edge reads more than half a month of daily rows (a year starting on the 2nd read 30
/// days of them, about 76,000 rows nationally).
fn edge_parts(days: &[(NaiveDate, NaiveDate)]) -> (Vec<String>, Vec<Value>) {
    const CELL: &str = "department_code, partner_id, occurred_on, theme, resolved_on_site";
    let daily = |sign: &str| {
        format!(
            "SELECT {CELL}, {sign}entries AS entries FROM report_daily \
             WHERE occurred_on >= ? AND occurred_on <= ?"
        )
    };
    let mut parts = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    for &(from, to) in days {
        let first = month_start(from);
        let end = next_month_start(from);
        let last = end.pred_opt().unwrap_or(from);
        let read = (to - from).num_days() + 1;
        let left_out = (end - first).num_days() - read;
        if month_start(to) != first || left_out >= read {
            parts.push(daily(""));
            values.extend([from.into(), to.into()]);
            continue;
        }
        let (month, month_values) = months_part(Some(first), Some(end));
        parts.push(month);
        values.extend(month_values);
        if let Some(before) = from.pred_opt().filter(|_| from > first) {
            parts.push(daily("-"));
            values.extend([first.into(), before.into()]);
        }
        if let Some(after) = to.succ_opt().filter(|_| to < last) {
            parts.push(daily("-"));
            values.extend([after.into(), last.into()]);
        }
    }
    (parts, values)
}

/// The figures of the partial months at a period's edges (`days`, inclusive ranges) under
/// `w`, in one statement: their summary rows ([`edge_parts`]) are folded to one row per
/// month and cell once, then grouped four ways (the four statements of the whole months each
/// read them again: 150 ms on SQLite for a year starting on the 2nd).
async fn edge_figures(
    db: &impl ConnectionTrait,
    days: &[(NaiveDate, NaiveDate)],
    w: &Where,
) -> AppResult<Vec<EdgeFigure>> {
    let (parts, mut values) = edge_parts(days);
    values.extend(w.values.iter().cloned());
    let month = month_of(db.get_database_backend());
    let sum = "CAST(SUM(entries) AS BIGINT)";
    let by = |figure: &str, key: &str| {
        format!(
            "SELECT '{figure}' AS figure, {key} AS key, {sum} AS count, CAST(0 AS BIGINT) AS resolved \
             FROM f GROUP BY {key}"
        )
    };
    let statement = format!(
        "WITH f AS MATERIALIZED (\
           SELECT {month} AS month, department_code, partner_id, theme, resolved_on_site, \
                  {sum} AS entries \
           FROM ({}) AS r WHERE {} \
           GROUP BY {month}, department_code, partner_id, theme, resolved_on_site) \
         SELECT 'month' AS figure, month AS key, {sum} AS count, \
                CAST(SUM(CASE WHEN resolved_on_site THEN entries ELSE 0 END) AS BIGINT) AS resolved \
         FROM f GROUP BY month \
         UNION ALL {} UNION ALL {} UNION ALL {}",
        parts.join(" UNION ALL "),
        w.sql(),
        by("partner", &as_key("partner_id")),
        by("theme", "theme"),
        by("department", "department_code"),
    );
    rows(db, &statement, values).await
}

/// The whole months' figures and the edges' added up: counts above zero, months in order,
/// the rest most first (then by key).
fn added(whole: Option<Grouped>, edges: Vec<EdgeFigure>) -> Reporting {
    let mut months: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
    let mut others: [HashMap<String, i64>; 3] = Default::default();
    let mut add = |figure: &str, key: String, count: i64, resolved: i64| {
        let map = match figure {
            "month" => {
                let month = months.entry(key).or_default();
                month.0 += count;
                month.1 += resolved;
                return;
            }
            "partner" => &mut others[0],
            "theme" => &mut others[1],
            _ => &mut others[2],
        };
        *map.entry(key).or_default() += count;
    };
    if let Some(g) = whole {
        for m in g.months {
            add("month", m.key, m.count, m.resolved);
        }
        for (figure, counts) in [
            ("partner", g.by_partner),
            ("theme", g.by_theme),
            ("department", g.by_department),
        ] {
            for c in counts {
                add(figure, c.key, c.count, 0);
            }
        }
    }
    for e in edges {
        add(&e.figure, e.key, e.count, e.resolved);
    }
    let months: Vec<(String, (i64, i64))> = months.into_iter().filter(|m| m.1.0 > 0).collect();
    let [by_partner, by_theme, by_department] = others.map(|counts| {
        let mut counts: Vec<Count> = counts
            .into_iter()
            .filter(|(_, count)| *count > 0)
            .map(|(key, count)| Count { key, count })
            .collect();
        counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
        counts
    });
    Reporting {
        total: months.iter().map(|m| m.1.0).sum(),
        resolved_on_site: months.iter().map(|m| m.1.1).sum(),
        by_month: months
            .into_iter()
            .map(|(key, (count, _))| Count { key, count })
            .collect(),
        by_partner,
        by_theme,
        by_department,
    }
}

/// Where a period's figures are read from the summaries: whole months (first days, from
/// inclusive to exclusive, `None` unbounded) from the monthly one, and day ranges
/// (inclusive) from the daily one.
#[derive(Debug, PartialEq, Eq)]
struct Sources {
    months: Option<(Option<NaiveDate>, Option<NaiveDate>)>,
    days: Vec<(NaiveDate, NaiveDate)>,
}

fn month_start(day: NaiveDate) -> NaiveDate {
    Grain::Month.of(day)
}

fn next_month_start(day: NaiveDate) -> NaiveDate {
    month_start(day)
        .checked_add_months(Months::new(1))
        .unwrap_or(day)
}

/// No entry is dated after `today` (recording refuses it), so a period ending today or later
/// holds its last month whole: the monthly row is exact.
fn sources(from: Option<NaiveDate>, to: Option<NaiveDate>, today: NaiveDate) -> Sources {
    let to = to.map(|t| {
        if t >= today {
            next_month_start(t).pred_opt().unwrap_or(t)
        } else {
            t
        }
    });
    let first = from.map(|f| if f.day() == 1 { f } else { next_month_start(f) });
    let end = to.map(|t| {
        if t.succ_opt().is_none_or(|next| next.day() == 1) {
            next_month_start(t)
        } else {
            month_start(t)
        }
    });
    if let (Some(from), Some(to), Some(first), Some(end)) = (from, to, first, end)
        && first >= end
    {
        return Sources {
            months: None,
            days: vec![(from, to)],
        };
    }
    let mut days = Vec::new();
    if let (Some(from), Some(first)) = (from, first)
        && from < first
    {
        days.push((from, first.pred_opt().unwrap_or(first)));
    }
    if let (Some(to), Some(end)) = (to, end)
        && to >= end
    {
        days.push((end, to));
    }
    Sources {
        months: Some((first, end)),
        days,
    }
}

/// The summary rows of the period as a derived table, with its bound values (also the
/// current entries' count of `reportEntries`, `reporting::count`).
pub(crate) fn summary_source(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> (String, Vec<Value>) {
    let Sources { months, days } = sources(from, to, today);
    let mut parts = Vec::new();
    let mut values = Vec::new();
    if let Some((first, end)) = months {
        let (part, months_values) = months_part(first, end);
        parts.push(part);
        values.extend(months_values);
    }
    let (edges, edge_values) = edge_parts(&days);
    parts.extend(edges);
    values.extend(edge_values);
    (format!("({}) AS r", parts.join(" UNION ALL ")), values)
}

/// The columns of a summary row.
const SUMMARY_COLUMNS: &str =
    "department_code, partner_id, occurred_on, theme, resolved_on_site, entries";

/// The monthly summary's rows of the whole months from `first` (inclusive) to `end`
/// (exclusive), `None` unbounded, with their bound values.
fn months_part(first: Option<NaiveDate>, end: Option<NaiveDate>) -> (String, Vec<Value>) {
    let mut w = Where::new();
    if let Some(first) = first {
        w.push("occurred_on >= ?", [first.into()]);
    }
    if let Some(end) = end {
        w.push("occurred_on < ?", [end.into()]);
    }
    (
        format!(
            "SELECT {SUMMARY_COLUMNS} FROM report_monthly WHERE {}",
            w.sql()
        ),
        w.values,
    )
}

/// Figure rows whose texts are codes (a department, a partner id, a month, a criterion):
/// their size and a few bytes of text each.
macro_rules! weighs_its_size {
    ($($row:ty),*) => {$(
        impl Weight for $row {
            fn weight(&self) -> usize {
                size_of::<Self>() + 16
            }
        }
    )*};
}

weighs_its_size!(
    Count,
    CoverageCount,
    ComplianceGap,
    MysteryScores,
    AssessmentGap,
    TrainingCompletion,
    Delays,
    Satisfaction
);

impl Weight for Pipeline {
    fn weight(&self) -> usize {
        size_of::<Self>() + self.by_status.weight() + self.failed_criteria.weight()
    }
}

impl Weight for SupportRequests {
    fn weight(&self) -> usize {
        size_of::<Self>()
            + self
                .partners
                .iter()
                .map(|p| {
                    size_of::<PartnerRequests>()
                        + p.key.len()
                        + p.unanswered_due.len() * size_of::<DateTime<Utc>>()
                })
                .sum::<usize>()
    }
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

/// The slice's Administration+ requests sent in the period.
fn requests_sent(scope: &DashboardScope, filter: &DashboardFilter, reference: &Snapshot) -> Where {
    let mut w = scoped(
        scope,
        filter,
        reference,
        "",
        "structure_id",
        Some("partner_id"),
    );
    period(&mut w, "sent_at", filter);
    w
}

/// Administration+ figures of the slice over the period (by sending date), as they stand
/// whatever the time: how many were sent and answered late per partner, and when each
/// request still unanswered falls due. [`SupportRequests::at`] gives the figures at an
/// instant, so they can be kept between requests (`service::figure_memo`) although a late
/// request is one whose due date has passed.
#[derive(Clone, Debug, PartialEq)]
pub struct SupportRequests {
    /// Per partner id, most requests first.
    partners: Vec<PartnerRequests>,
}

#[derive(Clone, Debug, PartialEq)]
struct PartnerRequests {
    key: String,
    sent: i64,
    answered_late: i64,
    /// Due dates of the unanswered requests, in order.
    unanswered_due: Vec<DateTime<Utc>>,
}

#[derive(FromQueryResult)]
struct Unanswered {
    key: String,
    due_at: DateTime<Utc>,
}

/// Administration+ figures of the slice over the period (by sending date).
pub async fn support(
    db: &impl ConnectionTrait,
    scope: &DashboardScope,
    filter: &DashboardFilter,
    reference: &Snapshot,
) -> AppResult<SupportRequests> {
    let w = requests_sent(scope, filter, reference);
    let sent: Vec<SentLate> = rows(
        db,
        &format!(
            "SELECT {} AS key, COUNT(*) AS sent, \
                    SUM(CASE WHEN first_answered_at > due_at THEN 1 ELSE 0 END) AS late \
             FROM support_request WHERE {} GROUP BY partner_id ORDER BY sent DESC, key",
            as_key("partner_id"),
            w.sql()
        ),
        w.values.clone(),
    )
    .await?;
    let unanswered: Vec<Unanswered> = rows(
        db,
        &format!(
            // `answer_seconds` is stored with the first answer: through the covering index
            // `(partner_id, answer_seconds, sent_at, …, due_at, first_answered_at)`.
            "SELECT {} AS key, due_at FROM support_request \
             WHERE {} AND answer_seconds IS NULL AND first_answered_at IS NULL",
            as_key("partner_id"),
            w.sql()
        ),
        w.values,
    )
    .await?;
    let mut due: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
    for row in unanswered {
        due.entry(row.key).or_default().push(row.due_at);
    }
    for dates in due.values_mut() {
        dates.sort_unstable();
    }
    Ok(SupportRequests {
        partners: sent
            .into_iter()
            .map(|r| PartnerRequests {
                unanswered_due: due.remove(&r.key).unwrap_or_default(),
                key: r.key,
                sent: r.sent,
                answered_late: r.late,
            })
            .collect(),
    })
}

impl SupportRequests {
    /// The figures at `now`: a request is late once answered after its due date, or still
    /// unanswered with its due date before `now`.
    pub fn at(&self, now: DateTime<Utc>) -> Support {
        let by_partner: Vec<Count> = self
            .partners
            .iter()
            .map(|p| Count {
                key: p.key.clone(),
                count: p.sent,
            })
            .collect();
        let mut late_by_partner: Vec<Count> = self
            .partners
            .iter()
            .map(|p| Count {
                key: p.key.clone(),
                count: p.answered_late + p.unanswered_due.partition_point(|due| *due < now) as i64,
            })
            .filter(|c| c.count > 0)
            .collect();
        late_by_partner.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
        Support {
            total: by_partner.iter().map(|c| c.count).sum(),
            late: late_by_partner.iter().map(|c| c.count).sum(),
            by_partner,
            late_by_partner,
        }
    }
}

#[derive(FromQueryResult)]
struct SentLate {
    key: String,
    sent: i64,
    late: i64,
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
    /// Labels due for their 3-yearly re-audit today, none scheduled.
    pub reaudits_due: i64,
    /// Re-audits scheduled and not submitted.
    pub reaudits_scheduled: i64,
    /// Failed re-audits whose remarks' deadline has passed with no priority re-audit.
    pub reaudits_overdue: i64,
    /// Labels whose priority re-audit failed, for ANCT to withdraw.
    pub withdrawals_due: i64,
    /// Legacy MSAPs not labelled by 31 December 2021 (R-06).
    pub msaps_losing_funding: i64,
}

#[derive(FromQueryResult)]
struct One {
    n: i64,
}

/// The rows of `sql_text` (with `?` placeholders) bound to `values`.
async fn rows<T: FromQueryResult>(
    db: &impl ConnectionTrait,
    sql_text: &str,
    values: Vec<Value>,
) -> AppResult<Vec<T>> {
    let statement = sql::statement(db.get_database_backend(), sql_text, values);
    Ok(T::find_by_statement(statement).all(db).await?)
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
    clock: &Clock,
) -> AppResult<Pipeline> {
    let structures = scoped(scope, filter, reference, "s.", "id", None);
    let by_status = counts(db, "s.label_status", "structure s", &structures).await?;
    let mut audits = structures.and();
    audits.push("a.submitted_at IS NOT NULL", []);
    period(&mut audits, "a.submitted_at", filter);
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
    let mut failed = audits.and();
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
    let today = clock.today();
    let labelled = |condition: &str, values: Vec<Value>| {
        let mut w = structures.and();
        w.push(
            &format!("s.label_status = 'LABELLED' AND {condition}"),
            values,
        );
        w
    };
    let count_of = async |w: Where| {
        one(
            db,
            &format!("SELECT COUNT(*) AS n FROM structure s WHERE {}", w.sql()),
            w.values,
        )
        .await
    };
    let threshold = label_workflow::due_for_reaudit_if_labelled_by(today);
    let reaudits_due = count_of(labelled(
        "s.reaudit_stage = 'NONE' AND ((s.reaudited_on IS NULL AND s.label_date <= ?) \
         OR s.reaudited_on <= ?)",
        vec![threshold.into(), threshold.into()],
    ))
    .await?;
    let reaudits_scheduled = count_of(labelled(
        "s.reaudit_stage IN ('SCHEDULED', 'PRIORITY_SCHEDULED')",
        vec![],
    ))
    .await?;
    let reaudits_overdue = count_of(labelled(
        "s.reaudit_stage = 'REMARKS' AND s.remarks_due_on < ?",
        vec![today.into()],
    ))
    .await?;
    let withdrawals_due = count_of(labelled("s.reaudit_stage = 'WITHDRAWAL_DUE'", vec![])).await?;
    let mut msaps = structures.and();
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
        reaudits_scheduled,
        reaudits_overdue,
        withdrawals_due,
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
    let mut w = scoped(scope, filter, reference, "s.", "id", None);
    if let Some(from) = filter.from {
        w.push("g.year >= ?", [from.year().into()]);
    }
    if let Some(to) = filter.to {
        w.push("g.year <= ?", [to.year().into()]);
    }
    rows::<Count>(
        db,
        &format!(
            "SELECT g.kind AS key, CAST(SUM(g.amount_euros) AS BIGINT) AS count FROM funding_grant g \
             JOIN structure s ON s.id = g.structure_id WHERE {} GROUP BY g.kind ORDER BY g.kind",
            w.sql()
        ),
        w.values,
    )
    .await
}

/// Canton coverage of one department (R-07).
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct CoverageCount {
    /// Department.
    pub department_code: String,
    /// Coverage units (cantons that communes map to).
    pub cantons: i64,
    /// Of which holding a labelled structure.
    pub covered: i64,
}

/// Canton coverage per department of the slice (today's labels; the period does not apply).
pub async fn coverage(
    db: &impl ConnectionTrait,
    scope: &DashboardScope,
    filter: &DashboardFilter,
) -> AppResult<Vec<CoverageCount>> {
    let mut w = Where::new();
    for departments in [&scope.departments, &filter.departments]
        .into_iter()
        .flatten()
    {
        w.within("c.department_code", departments);
    }
    w.push(coverage::UNIT, []);
    rows::<CoverageCount>(
        db,
        &format!(
            "SELECT c.department_code AS department_code, COUNT(*) AS cantons, \
                    SUM(CASE WHEN {} THEN 1 ELSE 0 END) AS covered \
             FROM canton c WHERE {} GROUP BY c.department_code ORDER BY c.department_code",
            coverage::COVERED,
            w.sql()
        ),
        w.values,
    )
    .await
}

/// How many structures' latest audit assessed a criterion, and found it unmet.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct ComplianceGap {
    /// Criterion code.
    pub code: String,
    /// Structures whose latest audit assessed it.
    pub assessed: i64,
    /// Of which found it unmet.
    pub unmet: i64,
}

/// Compliance gaps of the slice per criterion: each structure's latest submitted audit
/// (today's state; the period does not apply).
pub async fn compliance_gaps(
    db: &impl ConnectionTrait,
    scope: &DashboardScope,
    filter: &DashboardFilter,
    reference: &Snapshot,
) -> AppResult<Vec<ComplianceGap>> {
    let mut w = scoped(scope, filter, reference, "s.", "id", None);
    w.push(
        "a.id = (SELECT MAX(l.id) FROM label_audit l \
                 WHERE l.structure_id = a.structure_id AND l.submitted_at IS NOT NULL)",
        [],
    );
    rows::<ComplianceGap>(
        db,
        &format!(
            "SELECT c.code AS code, COUNT(*) AS assessed, \
                    SUM(CASE WHEN r.met THEN 0 ELSE 1 END) AS unmet \
             FROM audit_result r \
             JOIN label_audit a ON a.id = r.audit_id \
             JOIN criterion c ON c.id = r.criterion_id \
             JOIN structure s ON s.id = a.structure_id \
             WHERE {} GROUP BY c.code ORDER BY c.code",
            w.sql()
        ),
        w.values,
    )
    .await
}

/// Mystery-visit scores of one department.
#[derive(Clone, Debug, PartialEq, FromQueryResult)]
pub struct MysteryScores {
    /// Department.
    pub department_code: String,
    /// Recorded visits.
    pub visits: i64,
    /// Mean total score.
    pub mean: Option<f64>,
}

/// Mystery-visit scores per department of the slice (visits made in the period); a
/// structure's agents see their results once the campaign is published.
pub async fn mystery_scores(
    db: &impl ConnectionTrait,
    scope: &DashboardScope,
    filter: &DashboardFilter,
    reference: &Snapshot,
) -> AppResult<Vec<MysteryScores>> {
    let mut w = scoped(scope, filter, reference, "s.", "id", None);
    w.push("v.score IS NOT NULL", []);
    if scope.structures.is_some() {
        w.push("m.published = ?", [true.into()]);
    }
    if let Some(from) = filter.from {
        w.push("v.visited_on >= ?", [from.into()]);
    }
    if let Some(to) = filter.to {
        w.push("v.visited_on <= ?", [to.into()]);
    }
    rows::<MysteryScores>(
        db,
        &format!(
            "SELECT s.department_code AS department_code, COUNT(*) AS visits, \
                    AVG(CAST(v.score AS DOUBLE PRECISION)) AS mean \
             FROM mystery_visit v JOIN mystery_campaign m ON m.id = v.campaign_id \
             JOIN structure s ON s.id = v.structure_id \
             WHERE {} GROUP BY s.department_code ORDER BY s.department_code",
            w.sql()
        ),
        w.values,
    )
    .await
}

/// Per criterion: how many audited applications declared it met, and how many audits found
/// it met (R-04: self-assessments were found skewed).
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct AssessmentGap {
    /// Criterion code.
    pub code: String,
    /// Audited applications.
    pub audited: i64,
    /// Of which declared met.
    pub declared_met: i64,
    /// Of which found met.
    pub found_met: i64,
}

/// The self-assessment vs audit gap of the slice, per criterion (audits submitted in the
/// period).
pub async fn assessment_gap(
    db: &impl ConnectionTrait,
    scope: &DashboardScope,
    filter: &DashboardFilter,
    reference: &Snapshot,
) -> AppResult<Vec<AssessmentGap>> {
    let mut w = scoped(scope, filter, reference, "s.", "id", None);
    w.push("a.submitted_at IS NOT NULL", []);
    period(&mut w, "a.submitted_at", filter);
    rows::<AssessmentGap>(
        db,
        &format!(
            "SELECT c.code AS code, COUNT(*) AS audited, \
                    SUM(CASE WHEN sa.met THEN 1 ELSE 0 END) AS declared_met, \
                    SUM(CASE WHEN r.met THEN 1 ELSE 0 END) AS found_met \
             FROM audit_result r \
             JOIN label_audit a ON a.id = r.audit_id \
             JOIN self_assessment sa ON sa.application_id = a.application_id \
                                    AND sa.criterion_id = r.criterion_id \
             JOIN criterion c ON c.id = r.criterion_id \
             JOIN structure s ON s.id = a.structure_id \
             WHERE {} GROUP BY c.code ORDER BY c.code",
            w.sql()
        ),
        w.values,
    )
    .await
}

/// A timestamp column within the period's days.
fn period(w: &mut Where, column: &str, filter: &DashboardFilter) {
    if let Some(from) = filter.from.and_then(|d| d.and_hms_opt(0, 0, 0)) {
        w.push(&format!("{column} >= ?"), [from.and_utc().into()]);
    }
    if let Some(to) = filter
        .to
        .and_then(|d| d.succ_opt())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        w.push(&format!("{column} < ?"), [to.and_utc().into()]);
    }
}

/// Core partners with fewer than the two back-office referents Administration+ expects,
/// counted per department of the slice (R-10).
pub async fn missing_referents(
    db: &impl ConnectionTrait,
    scope: &DashboardScope,
    filter: &DashboardFilter,
) -> AppResult<Vec<Count>> {
    let mut w = Where::new();
    w.push("p.core = ? AND p.department_code IS NULL", [true.into()]);
    if let Some(departments) = &scope.departments {
        w.within("d.code", departments);
    }
    if let Some(departments) = &filter.departments {
        w.within("d.code", departments);
    }
    if let Some(structures) = &scope.structures {
        w.push(
            &format!(
                "d.code IN (SELECT department_code FROM structure WHERE id IN ({}))",
                sql::placeholders(structures.len().max(1))
            ),
            if structures.is_empty() {
                vec![Value::from(0i64)]
            } else {
                structures.iter().map(|id| Value::from(*id)).collect()
            },
        );
    }
    if let Some(code) = &scope.partner {
        w.push("p.code = ?", [code.clone().into()]);
    }
    if let Some(id) = filter.partner {
        w.push("p.id = ?", [id.into()]);
    }
    w.push(
        "(SELECT COUNT(*) FROM referent r WHERE r.department_code = d.code \
         AND r.partner_id = p.id AND r.kind = 'BACK_OFFICE') < ?",
        [(referents::REFERENTS_EXPECTED as i64).into()],
    );
    counts(db, "d.code", "department d CROSS JOIN partner p", &w).await
}

/// Agents of the slice and how many are qualified (R-14, as `domain::training` counts:
/// partner training at most a day per trainer partner), computed by the database.
#[derive(Clone, Debug, Default, PartialEq, Eq, FromQueryResult)]
pub struct TrainingCompletion {
    /// Agents.
    pub agents: i64,
    /// Of whom qualified.
    pub qualified: Option<i64>,
}

/// Training completion of the slice's agents.
pub async fn training(
    db: &impl ConnectionTrait,
    scope: &DashboardScope,
    filter: &DashboardFilter,
    reference: &Snapshot,
) -> AppResult<TrainingCompletion> {
    let w = scoped(scope, filter, reference, "s.", "id", None);
    let mut values = vec![Value::from(true)];
    values.extend(w.values.clone());
    let statement = sql::statement(
        db.get_database_backend(),
        &format!(
            "SELECT COUNT(*) AS agents, \
                    SUM(CASE WHEN q.cc >= {cc} AND q.pt >= {pt} AND q.web > 0 THEN 1 ELSE 0 END) AS qualified \
             FROM (SELECT p.id, SUM(p.cc) AS cc, SUM(p.web) AS web, \
                          SUM(CASE WHEN p.pt > {each} THEN {each} ELSE p.pt END) AS pt \
                   FROM (SELECT g.id, t.trainer_partner_id, \
                           SUM(CASE WHEN t.module_code = 'COMMON_CORE' THEN t.half_days ELSE 0 END) AS cc, \
                           SUM(CASE WHEN t.module_code = 'PARTNER_TRAINING' THEN t.half_days ELSE 0 END) AS pt, \
                           SUM(CASE WHEN t.module_code = 'MANDATORY_WEBINARS' THEN 1 ELSE 0 END) AS web \
                         FROM agent g \
                         LEFT JOIN training_enrolment e ON e.agent_id = g.id AND e.attended = ? \
                         LEFT JOIN training_session t ON t.id = e.session_id \
                         WHERE g.id IN (SELECT x.agent_id FROM agent_structure x \
                                        JOIN structure s ON s.id = x.structure_id WHERE {}) \
                         GROUP BY g.id, t.trainer_partner_id) p \
                   GROUP BY p.id) q",
            w.sql(),
            cc = training::COMMON_CORE_HALF_DAYS,
            pt = training::PARTNER_HALF_DAYS,
            each = training::PARTNER_HALF_DAYS_EACH,
        ),
        values,
    );
    Ok(TrainingCompletion::find_by_statement(statement)
        .one(db)
        .await?
        .unwrap_or_default())
}

/// Answer delays of one partner, in hours (nearest-rank percentiles).
#[derive(Clone, Debug, PartialEq, FromQueryResult)]
pub struct Delays {
    /// Partner id.
    pub partner_id: i64,
    /// Answered requests.
    pub answered: i64,
    /// Median hours to the first answer.
    pub median_hours: Option<f64>,
    /// 90th percentile.
    pub p90_hours: Option<f64>,
}

/// Answer delays per partner over the slice (answered requests sent in the period),
/// nearest-rank percentiles computed by the database. A slice of departments or structures
/// ranks its few requests with window functions; the whole country (or a national partner)
/// reads each partner's delays at the median's and the 90th percentile's ranks through the
/// `idx_support_request_answer` index (partner, delay, then the filtered columns) instead
/// of sorting every request.
pub async fn delays(
    db: &impl ConnectionTrait,
    scope: &DashboardScope,
    filter: &DashboardFilter,
    reference: &Snapshot,
) -> AppResult<Vec<Delays>> {
    let mut w = requests_sent(scope, filter, reference);
    w.push("answer_seconds IS NOT NULL", []);
    let national =
        scope.departments.is_none() && scope.structures.is_none() && filter.departments.is_none();
    if !national {
        return rows(
            db,
            &format!(
                "SELECT partner_id, MAX(n) AS answered, \
                        CAST(MAX(CASE WHEN rn = (n + 1) / 2 THEN delay END) / 3600.0 AS DOUBLE PRECISION) AS median_hours, \
                        CAST(MAX(CASE WHEN rn = (9 * n + 9) / 10 THEN delay END) / 3600.0 AS DOUBLE PRECISION) AS p90_hours \
                 FROM (SELECT partner_id, answer_seconds AS delay, \
                              ROW_NUMBER() OVER (PARTITION BY partner_id ORDER BY answer_seconds) AS rn, \
                              COUNT(*) OVER (PARTITION BY partner_id) AS n \
                       FROM support_request WHERE {}) d \
                 GROUP BY partner_id ORDER BY partner_id",
                w.sql()
            ),
            w.values,
        )
        .await;
    }
    let answered: Vec<Answered> = rows(
        db,
        &format!(
            "SELECT partner_id, COUNT(*) AS n FROM support_request WHERE {} \
             GROUP BY partner_id ORDER BY partner_id",
            w.sql()
        ),
        w.values.clone(),
    )
    .await?;
    let mut delays = Vec::with_capacity(answered.len());
    for Answered { partner_id, n } in answered {
        let at = async |rank: i64| -> AppResult<f64> {
            let mut values = w.values.clone();
            values.extend([partner_id.into(), (rank - 1).into()]);
            let seconds = one(
                db,
                &format!(
                    "SELECT answer_seconds AS n FROM support_request WHERE {} AND partner_id = ? \
                     ORDER BY answer_seconds LIMIT 1 OFFSET ?",
                    w.sql()
                ),
                values,
            )
            .await?;
            Ok(seconds as f64 / 3600.0)
        };
        delays.push(Delays {
            partner_id,
            answered: n,
            median_hours: Some(at((n + 1) / 2).await?),
            p90_hours: Some(at((9 * n + 9) / 10).await?),
        });
    }
    Ok(delays)
}

#[derive(FromQueryResult)]
struct Answered {
    partner_id: i64,
    n: i64,
}

/// Survey satisfaction of the slice per audience (answers in the period).
#[derive(Clone, Debug, PartialEq, FromQueryResult)]
pub struct Satisfaction {
    /// `USERS` or `AGENTS`.
    pub audience: String,
    /// Answers.
    pub answers: i64,
    /// Mean satisfaction, 1 to 5.
    pub mean: Option<f64>,
}

/// Survey satisfaction of the slice.
pub async fn satisfaction(
    db: &impl ConnectionTrait,
    scope: &DashboardScope,
    filter: &DashboardFilter,
    reference: &Snapshot,
) -> AppResult<Vec<Satisfaction>> {
    let mut w = scoped(scope, filter, reference, "s.", "id", None);
    period(&mut w, "x.answered_at", filter);
    rows::<Satisfaction>(
        db,
        &format!(
            "SELECT c.audience AS audience, COUNT(*) AS answers, \
                    AVG(CAST(x.satisfaction AS DOUBLE PRECISION)) AS mean \
             FROM survey_answer x JOIN survey_campaign c ON c.id = x.campaign_id \
             JOIN structure s ON s.id = x.structure_id WHERE {} \
             GROUP BY c.audience ORDER BY c.audience",
            w.sql()
        ),
        w.values,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    fn split(from: Option<&str>, to: Option<&str>) -> Sources {
        sources(from.map(day), to.map(day), day("2030-01-01"))
    }

    #[test]
    fn whole_months_come_from_the_monthly_summary_and_the_edges_from_the_daily_one() {
        assert_eq!(
            split(None, None),
            Sources {
                months: Some((None, None)),
                days: vec![]
            }
        );
        assert_eq!(
            split(Some("2026-01-01"), Some("2026-12-31")),
            Sources {
                months: Some((Some(day("2026-01-01")), Some(day("2027-01-01")))),
                days: vec![]
            }
        );
        assert_eq!(
            split(Some("2026-01-15"), Some("2026-03-10")),
            Sources {
                months: Some((Some(day("2026-02-01")), Some(day("2026-03-01")))),
                days: vec![
                    (day("2026-01-15"), day("2026-01-31")),
                    (day("2026-03-01"), day("2026-03-10"))
                ]
            }
        );
        assert_eq!(
            split(None, Some("2026-03-10")),
            Sources {
                months: Some((None, Some(day("2026-03-01")))),
                days: vec![(day("2026-03-01"), day("2026-03-10"))]
            }
        );
        assert_eq!(
            split(Some("2024-02-29"), None),
            Sources {
                months: Some((Some(day("2024-03-01")), None)),
                days: vec![(day("2024-02-29"), day("2024-02-29"))]
            }
        );
    }

    #[test]
    fn a_period_ending_today_or_later_holds_its_last_month_whole() {
        let today = day("2026-11-27");
        for to in ["2026-11-27", "2026-11-28", "2026-11-30"] {
            assert_eq!(
                sources(Some(day("2025-11-28")), Some(day(to)), today),
                Sources {
                    months: Some((Some(day("2025-12-01")), Some(day("2026-12-01")))),
                    days: vec![(day("2025-11-28"), day("2025-11-30"))]
                },
                "{to}"
            );
        }
        assert_eq!(
            sources(Some(day("2026-11-03")), Some(day("2026-11-27")), today),
            Sources {
                months: None,
                days: vec![(day("2026-11-03"), day("2026-11-30"))]
            }
        );
        assert_eq!(
            sources(Some(day("2026-11-03")), Some(day("2026-11-26")), today).days,
            vec![(day("2026-11-03"), day("2026-11-26"))]
        );
    }

    #[test]
    fn a_period_without_a_whole_month_reads_days_only() {
        for (from, to) in [
            ("2026-02-03", "2026-02-20"),
            ("2026-01-15", "2026-02-10"),
            ("2024-02-10", "2024-02-29"),
            ("2026-05-31", "2026-05-31"),
        ] {
            assert_eq!(
                split(Some(from), Some(to)),
                Sources {
                    months: None,
                    days: vec![(day(from), day(to))]
                },
                "{from}..{to}"
            );
        }
    }

    fn at(hour: u32) -> DateTime<Utc> {
        use chrono::TimeZone;
        Utc.with_ymd_and_hms(2026, 3, 2, hour, 0, 0)
            .single()
            .expect("a time")
    }

    #[test]
    fn kept_requests_turn_late_as_their_due_dates_pass() {
        let kept = SupportRequests {
            partners: vec![
                PartnerRequests {
                    key: "1".into(),
                    sent: 5,
                    answered_late: 1,
                    unanswered_due: vec![at(9), at(12)],
                },
                PartnerRequests {
                    key: "2".into(),
                    sent: 3,
                    answered_late: 0,
                    unanswered_due: vec![at(10)],
                },
            ],
        };
        let count = |key: &str, count| Count {
            key: key.into(),
            count,
        };
        let early = kept.at(at(8));
        assert_eq!((early.total, early.late), (8, 1));
        assert_eq!(early.by_partner, [count("1", 5), count("2", 3)]);
        assert_eq!(early.late_by_partner, [count("1", 1)]);
        // Due at 10: late only once 10 o'clock has passed.
        assert_eq!(kept.at(at(10)).late_by_partner, [count("1", 2)]);
        let later = kept.at(at(11));
        assert_eq!(later.late, 3);
        assert_eq!(later.late_by_partner, [count("1", 2), count("2", 1)]);
        assert_eq!(
            kept.at(at(13)).late_by_partner,
            [count("1", 3), count("2", 1)]
        );
    }
}
