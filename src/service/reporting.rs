//! The reporting tool ("saisie unitaire"): an agent records each user request handled in
//! one call; entries are never edited in place — a correction is a new entry that
//! supersedes the old one, with its reason. The structure's agents record (policy
//! `record_report`); ANCT, the prefects and the structure's agents read (`read_reports`,
//! mirrored in SQL by the internal view).

use chrono::{Datelike, Days, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    Select, Set,
};
use serde_json::json;

use super::paging::{self, Direction};
use super::reference_cache::ReferenceCache;
use super::{audit, sql, structures};
use crate::auth::policy::PolarStructure;
use crate::auth::{Actor, Caller};
use crate::clock::Clock;
use crate::domain::reporting::{HelpKind, LifeSituation, ReportTheme};
use crate::error::{AppError, AppResult};
use entity::{partner, report_entry, structure};
use migration::m20261204_000035_report_entry_by_month::MONTHS;

/// An entry as entered.
#[derive(Clone, Debug)]
pub struct EntryInput {
    /// Structure matricule.
    pub structure: String,
    /// When the request was handled.
    pub occurred_on: NaiveDate,
    /// Partner code.
    pub partner: String,
    /// Theme.
    pub theme: ReportTheme,
    /// Life situation, if any.
    pub life_situation: Option<LifeSituation>,
    /// Kind of help.
    pub help_kind: HelpKind,
    /// Resolved on site.
    pub resolved_on_site: bool,
    /// Minutes spent.
    pub duration_minutes: i32,
}

/// Longest a request is recorded as taking (a working day).
const MAX_MINUTES: i32 = 480;
/// How far back an entry may be dated.
const MAX_AGE_DAYS: u64 = 366;

/// Filters of the entries list.
#[derive(Clone, Debug, Default)]
pub struct EntryFilter {
    /// Of this structure.
    pub structure_id: Option<i64>,
    /// Handled on or after.
    pub from: Option<NaiveDate>,
    /// Handled on or before.
    pub to: Option<NaiveDate>,
    /// Include entries replaced by a correction.
    pub include_superseded: bool,
}

async fn checked(
    caller: Caller<'_, impl ConnectionTrait>,
    input: &EntryInput,
    clock: &Clock,
    reference: &ReferenceCache,
) -> AppResult<(structure::Model, partner::Model)> {
    let Caller { db, policy, actor } = caller;
    let structure = structures::by_matricule(caller, &input.structure).await?;
    policy.authorize(
        actor,
        "record_report",
        PolarStructure::bare(&structure),
        "entries are recorded by the structure's agents",
    )?;
    let today = clock.today();
    let earliest = today
        .checked_sub_days(Days::new(MAX_AGE_DAYS))
        .unwrap_or(today);
    if input.occurred_on > today || input.occurred_on < earliest {
        return Err(AppError::bad_input(
            "input.occurredOn",
            format!("an entry is dated between {earliest} and today"),
        ));
    }
    if !(1..=MAX_MINUTES).contains(&input.duration_minutes) {
        return Err(AppError::bad_input(
            "input.durationMinutes",
            format!("a duration is 1 to {MAX_MINUTES} minutes"),
        ));
    }
    // Partners are created, never changed nor removed: one in the reference snapshot is its
    // row as stored; one created since the snapshot was loaded (on another replica, say) is
    // read from the database.
    let code = input.partner.trim().to_uppercase();
    let known = reference
        .snapshot()
        .await?
        .partner(&code)
        .map(|p| p.as_ref().clone());
    let partner = match known {
        Some(partner) => Some(partner),
        None => {
            partner::Entity::find()
                .filter(partner::Column::Code.eq(code))
                .one(db)
                .await?
        }
    };
    let partner = partner
        .filter(|p| {
            p.department_code
                .as_ref()
                .is_none_or(|d| d == &structure.department_code)
        })
        .ok_or_else(|| {
            AppError::bad_input(
                "input.partner",
                format!(
                    "no partner '{}' in department {}",
                    input.partner, structure.department_code
                ),
            )
        })?;
    Ok((structure, partner))
}

fn model(
    actor: &Actor,
    structure: &structure::Model,
    partner: &partner::Model,
    input: &EntryInput,
    clock: &Clock,
) -> report_entry::ActiveModel {
    report_entry::ActiveModel {
        structure_id: Set(structure.id),
        department_code: Set(structure.department_code.clone()),
        recorded_by: Set(actor.user_id),
        occurred_on: Set(input.occurred_on),
        partner_id: Set(partner.id),
        theme: Set(<&str>::from(input.theme).to_owned()),
        life_situation: Set(input.life_situation.map(|l| <&str>::from(l).to_owned())),
        help_kind: Set(<&str>::from(input.help_kind).to_owned()),
        resolved_on_site: Set(input.resolved_on_site),
        duration_minutes: Set(input.duration_minutes),
        corrects_id: Set(None),
        superseded_by_id: Set(None),
        correction_reason: Set(None),
        created_at: Set(clock.now()),
        ..Default::default()
    }
}

fn snapshot(row: &report_entry::Model, partner: &str) -> serde_json::Value {
    json!({ "structureId": row.structure_id, "occurredOn": row.occurred_on, "partner": partner,
        "theme": row.theme, "lifeSituation": row.life_situation, "helpKind": row.help_kind,
        "resolvedOnSite": row.resolved_on_site, "durationMinutes": row.duration_minutes,
        "corrects": row.corrects_id })
}

/// The summaries of the entries, by grain: each row adds up the current entries of one
/// department, partner, theme and outcome over a day or a month (dated its first day).
pub const SUMMARIES: [(&str, Grain); 2] = [
    ("report_daily", Grain::Day),
    ("report_monthly", Grain::Month),
];

/// The period a summary row covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grain {
    /// One day.
    Day,
    /// One calendar month, dated its first day.
    Month,
}

impl Grain {
    /// The date of the summary row holding an entry of `day`.
    pub fn of(self, day: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => day,
            Self::Month => day.with_day(1).unwrap_or(day),
        }
    }

    /// SQL giving the row date of `column`.
    fn sql(self, backend: DbBackend, column: &str) -> String {
        match (self, backend) {
            (Self::Day, _) => column.to_owned(),
            (Self::Month, DbBackend::Postgres) => {
                format!("CAST(date_trunc('month', {column}) AS DATE)")
            }
            (Self::Month, _) => format!("date({column}, 'start of month')"),
        }
    }
}

/// Adds `delta` to the summaries of `row` (dashboards read them), in the write's
/// transaction so that they never drift from the entries. On PostgreSQL, one statement (each
/// summary but the last in a data-modifying `WITH`): the rows it locks, shared by the
/// entries of one department and day, are held one round trip less.
async fn summarise(
    txn: &impl ConnectionTrait,
    row: &report_entry::Model,
    delta: i64,
) -> AppResult<()> {
    let backend = txn.get_database_backend();
    let mut statements = summary_upserts(row, delta);
    if backend == DbBackend::Postgres
        && statements.len() > 1
        && let Some((last, values)) = statements.pop()
    {
        let with: Vec<String> = statements
            .iter()
            .enumerate()
            .map(|(i, (sql, _))| format!("s{i} AS ({sql})"))
            .collect();
        let all = statements.into_iter().flat_map(|(_, v)| v).chain(values);
        statements = vec![(format!("WITH {} {last}", with.join(", ")), all.collect())];
    }
    for (sql, values) in statements {
        txn.execute_raw(sql::statement(backend, &sql, values))
            .await?;
    }
    Ok(())
}

/// One upsert per summary (SQL and values), adding `delta` to the row that holds `row`.
fn summary_upserts(row: &report_entry::Model, delta: i64) -> Vec<(String, Vec<sea_orm::Value>)> {
    SUMMARIES
        .iter()
        .map(|(table, grain)| {
            let values = vec![
                row.department_code.clone().into(),
                grain.of(row.occurred_on).into(),
                row.partner_id.into(),
                row.theme.clone().into(),
                row.resolved_on_site.into(),
                delta.into(),
            ];
            (add_to(table, "VALUES (?, ?, ?, ?, ?, ?)"), values)
        })
        .collect()
}

/// SQL adding the rows of `source` (department, date, partner, theme, outcome, entries) to
/// the summary `table`.
fn add_to(table: &str, source: &str) -> String {
    format!(
        "INSERT INTO {table} (department_code, occurred_on, partner_id, theme, \
         resolved_on_site, entries) {source} \
         ON CONFLICT (department_code, occurred_on, partner_id, theme, resolved_on_site) \
         DO UPDATE SET entries = {table}.entries + excluded.entries"
    )
}

/// Makes `report_entry`'s month partitions from `first`'s month to `last`'s on PostgreSQL
/// (migration 35), moving the entries of those months out of the default partition;
/// returns how many were made. Entries of a month without its partition are kept in the
/// default one, so this only ever helps reads: nothing depends on it having run. SQLite has
/// one table: nothing to do.
pub async fn make_months(
    db: &impl ConnectionTrait,
    first: NaiveDate,
    last: NaiveDate,
) -> AppResult<i32> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(0);
    }
    let row = db
        .query_one_raw(sql::statement(
            DbBackend::Postgres,
            &format!("SELECT {MONTHS}(?, ?) AS made"),
            vec![first.into(), last.into()],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i32>("", "made"))
        .transpose()?
        .unwrap_or(0))
}

/// The months an entry may be dated in around `today` ([`MAX_AGE_DAYS`] back) and the next
/// three, partitioned ahead (see [`make_months`]).
pub async fn keep_months(db: &impl ConnectionTrait, today: NaiveDate) -> AppResult<i32> {
    let first = today
        .checked_sub_days(Days::new(MAX_AGE_DAYS))
        .unwrap_or(today);
    let last = today
        .checked_add_months(chrono::Months::new(3))
        .unwrap_or(today);
    make_months(db, first, last).await
}

/// Rebuilds the summaries from the entries (after bulk loads) within `txn`, the
/// transaction of the load.
pub async fn rebuild_summary(txn: &sea_orm::DatabaseTransaction) -> AppResult<()> {
    for (table, grain) in SUMMARIES {
        let date = grain.sql(txn.get_database_backend(), "occurred_on");
        txn.execute_unprepared(&format!("DELETE FROM {table}"))
            .await?;
        txn.execute_unprepared(&format!(
            "INSERT INTO {table} (department_code, partner_id, occurred_on, theme, \
             resolved_on_site, entries) \
             SELECT department_code, partner_id, {date}, theme, resolved_on_site, COUNT(*) \
             FROM report_entry WHERE superseded_by_id IS NULL \
             GROUP BY department_code, partner_id, {date}, theme, resolved_on_site"
        ))
        .await?;
    }
    Ok(())
}

/// Records one handled request.
pub async fn record(
    caller: Caller<'_>,
    input: EntryInput,
    clock: &Clock,
    reference: &ReferenceCache,
) -> AppResult<report_entry::Model> {
    let Caller { db, actor, .. } = caller;
    let (structure, partner) = checked(caller, &input, clock, reference).await?;
    if !super::idempotency::creating("ReportEntry") {
        return record_at_once(db, actor, &structure, &partner, &input, clock).await;
    }
    let txn = crate::db::begin(db).await?;
    let row = model(actor, &structure, &partner, &input, clock)
        .insert(&txn)
        .await?;
    let key = row.id.to_string();
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "report.record",
            target_type: "ReportEntry",
            target_key: &key,
            department: Some(&structure.department_code),
            before: None,
            after: Some(snapshot(&row, &partner.code)),
        },
    )
    .await?;
    // Last before the commit: on PostgreSQL, the summary rows stay locked until then, and
    // the entries of one department and day (the same rows) follow one another.
    summarise(&txn, &row, 1).await?;
    txn.commit().await?;
    Ok(row)
}

/// [`record`] in one round trip: the entry, its audit record and its summaries.
///
/// - PostgreSQL: one statement, data-modifying `WITH`s reading the inserted row. One
///   statement is atomic, so it needs no `BEGIN` and `COMMIT`; the summary rows, shared by
///   the entries of a department and day, are locked for that statement only.
/// - SQLite: the four statements sent as one list (sqlx hands a list to its connection's
///   thread at once and runs it in order), between `BEGIN` and `COMMIT` in the file's write
///   turn. The audit record takes the entry's identifier from `last_insert_rowid()`, right
///   after the entry's insert. Every result of the list is read: the list runs to its end
///   or fails, and then the transaction rolls back.
///
/// A call with an idempotency key takes the general path, which writes its key with the
/// audit record.
async fn record_at_once(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    structure: &structure::Model,
    partner: &partner::Model,
    input: &EntryInput,
    clock: &Clock,
) -> AppResult<report_entry::Model> {
    let backend = db.get_database_backend();
    let entry = model(actor, structure, partner, input, clock);
    let mut drafted = entry.clone();
    drafted.id = Set(0);
    let drafted: report_entry::Model = sea_orm::TryIntoModel::try_into_model(drafted)?;
    let audit = audit::row_of(
        actor,
        clock,
        audit::Change {
            action: "report.record",
            target_type: "ReportEntry",
            // Written from the inserted row below.
            target_key: "",
            department: Some(&structure.department_code),
            before: None,
            after: Some(snapshot(&drafted, &partner.code)),
        },
    );
    let (entry_columns, mut values) = set_columns(&entry, &[]);
    let (audit_columns, audit_values) = set_columns(&audit, &["target_key"]);
    values.extend(audit_values);
    let insert_entry = format!(
        "INSERT INTO report_entry ({}) VALUES ({}) RETURNING *",
        entry_columns.join(", "),
        sql::placeholders(entry_columns.len()),
    );
    let audit_values = sql::placeholders(audit_columns.len());
    let audit_columns = audit_columns.join(", ");
    let read = |sql: String, values| {
        <report_entry::Model as sea_orm::FromQueryResult>::find_by_statement(sql::statement(
            backend, &sql, values,
        ))
    };
    let rows = if backend == DbBackend::Postgres {
        let summaries: Vec<String> = SUMMARIES
            .iter()
            .enumerate()
            .map(|(i, (table, grain))| {
                let date = grain.sql(backend, "occurred_on");
                let source = format!(
                    "SELECT department_code, {date}, partner_id, theme, resolved_on_site, 1 FROM e"
                );
                format!("s{i} AS ({})", add_to(table, &source))
            })
            .collect();
        let sql = format!(
            "WITH e AS ({insert_entry}), \
             a AS (INSERT INTO audit_log ({audit_columns}, target_key) \
             SELECT {audit_values}, CAST(e.id AS TEXT) FROM e), {} \
             SELECT * FROM e",
            summaries.join(", "),
        );
        read(sql, values).all(db).await?
    } else {
        let mut list = vec![
            insert_entry,
            format!(
                "INSERT INTO audit_log ({audit_columns}, target_key) \
                 VALUES ({audit_values}, CAST(last_insert_rowid() AS TEXT))"
            ),
        ];
        for (sql, summary_values) in summary_upserts(&drafted, 1) {
            list.push(sql);
            values.extend(summary_values);
        }
        let txn = crate::db::begin(db).await?;
        let rows = read(list.join("; "), values).all(&txn).await?;
        txn.commit().await?;
        rows
    };
    rows.into_iter()
        .next()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the entry's insert returned no row")))
}

/// The names and values of the columns `row` sets, but those in `skip`.
fn set_columns<A: ActiveModelTrait>(row: &A, skip: &[&str]) -> (Vec<String>, Vec<sea_orm::Value>) {
    use sea_orm::{ActiveValue, IdenStatic, Iterable};
    <A::Entity as EntityTrait>::Column::iter()
        .filter(|column| !skip.contains(&column.as_str()))
        .filter_map(|column| match row.get(column) {
            ActiveValue::Set(value) => Some((format!("\"{}\"", column.as_str()), value)),
            _ => None,
        })
        .unzip()
}

/// Corrects entry `id`: a new entry replaces it, which says why; the old one stays, marked
/// superseded.
pub async fn correct(
    caller: Caller<'_>,
    id: i64,
    input: EntryInput,
    reason: &str,
    clock: &Clock,
    reference: &ReferenceCache,
) -> AppResult<report_entry::Model> {
    let Caller { db, actor, .. } = caller;
    let old = readable(caller, id).await?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::bad_input(
            "reason",
            "a correction says why, in 1 to 500 characters",
        ));
    }
    let (structure, partner) = checked(caller, &input, clock, reference).await?;
    if structure.id != old.structure_id {
        return Err(AppError::bad_input(
            "input.structure",
            "a correction stays in the entry's structure",
        ));
    }
    if old.superseded_by_id.is_some() {
        return Err(AppError::Conflict(format!(
            "entry {id} was already corrected"
        )));
    }
    let txn = crate::db::begin(db).await?;
    let mut new = model(actor, &structure, &partner, &input, clock);
    new.corrects_id = Set(Some(old.id));
    new.correction_reason = Set(Some(reason.to_owned()));
    let row = new
        .insert(&txn)
        .await
        .map_err(|err| AppError::on_write(err, || format!("entry {id} was already corrected")))?;
    let marked = report_entry::Entity::update_many()
        .col_expr(report_entry::Column::SupersededById, row.id.into())
        .filter(report_entry::Column::Id.eq(old.id))
        // Its month: PostgreSQL updates that month's partition only (migration 35).
        .filter(report_entry::Column::OccurredOn.eq(old.occurred_on))
        .filter(report_entry::Column::SupersededById.is_null())
        .exec(&txn)
        .await?;
    if marked.rows_affected != 1 {
        return Err(AppError::Conflict(format!(
            "entry {id} was already corrected"
        )));
    }
    summarise(&txn, &old, -1).await?;
    summarise(&txn, &row, 1).await?;
    let key = old.id.to_string();
    let old_partner = partner::Entity::find_by_id(old.partner_id)
        .one(&txn)
        .await?
        .map(|p| p.code)
        .unwrap_or_default();
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "report.correct",
            target_type: "ReportEntry",
            target_key: &key,
            department: Some(&structure.department_code),
            before: Some(snapshot(&old, &old_partner)),
            after: Some(json!({ "replacement": row.id, "reason": reason,
                "entry": snapshot(&row, &partner.code) })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The entries `actor` may read (`None` when none can be).
fn scoped(actor: &Actor, filter: &EntryFilter) -> Option<Select<report_entry::Entity>> {
    let view = &actor.views().internal;
    let mut select = report_entry::Entity::find();
    if !view.all {
        let mut any = Condition::any();
        if !view.departments.is_empty() {
            any = any.add(report_entry::Column::DepartmentCode.is_in(view.departments.clone()));
        }
        if !view.structure_ids.is_empty() {
            any = any.add(report_entry::Column::StructureId.is_in(view.structure_ids.clone()));
        }
        if any.is_empty() {
            return None;
        }
        select = select.filter(any);
    }
    if let Some(id) = filter.structure_id {
        select = select.filter(report_entry::Column::StructureId.eq(id));
    }
    if let Some(from) = filter.from {
        select = select.filter(report_entry::Column::OccurredOn.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(report_entry::Column::OccurredOn.lte(to));
    }
    if !filter.include_superseded {
        select = select.filter(report_entry::Column::SupersededById.is_null());
    }
    Some(select)
}

/// Entry `id` if the policy lets the actor read its structure's reports (`NOT_FOUND`
/// otherwise). Lists use [`scoped`], its SQL mirror.
pub async fn readable(
    caller: Caller<'_, impl ConnectionTrait>,
    id: i64,
) -> AppResult<report_entry::Model> {
    let Caller { db, policy, actor } = caller;
    match report_entry::Entity::find_by_id(id).one(db).await? {
        Some(entry)
            if policy.is_allowed(
                actor,
                "read_reports",
                PolarStructure::of(entry.structure_id, &entry.department_code),
            )? =>
        {
            Ok(entry)
        }
        _ => Err(AppError::not_found("report entry", &id.to_string())),
    }
}

/// One page of entries, newest first.
pub async fn page(
    caller: Caller<'_, impl ConnectionTrait>,
    filter: &EntryFilter,
    after: Option<i64>,
    limit: u64,
) -> AppResult<(Vec<report_entry::Model>, bool)> {
    let Caller { db, actor, .. } = caller;
    paging::keyset_page(
        db,
        scoped(actor, filter),
        report_entry::Column::Id,
        Direction::Descending,
        after,
        limit,
    )
    .await
}

/// How many entries match, as of `today`.
///
/// The current entries (not superseded) of whole departments, which is what the national
/// view and a prefect's read, are counted from the summaries, which each write keeps exact
/// (`summarise`): a dozen monthly rows per department and partner instead of every entry, so
/// the count costs the same with ten years of entries as with one. Other slices (a
/// structure's agents, one structure, superseded entries included) count their entries
/// through the structure's index.
pub async fn count(
    caller: Caller<'_, impl ConnectionTrait>,
    filter: &EntryFilter,
    today: NaiveDate,
) -> AppResult<u64> {
    let Caller { db, actor, .. } = caller;
    let view = &actor.views().internal;
    let whole_departments =
        view.structure_ids.is_empty() && (view.all || !view.departments.is_empty());
    if filter.include_superseded || filter.structure_id.is_some() || !whole_departments {
        return paging::count(db, scoped(actor, filter)).await;
    }
    let (source, mut values) = super::dashboard::summary_source(filter.from, filter.to, today);
    let mut sql = format!("SELECT CAST(COALESCE(SUM(entries), 0) AS BIGINT) AS n FROM {source}");
    if !view.all {
        sql.push_str(&format!(
            " WHERE department_code IN ({})",
            sql::placeholders(view.departments.len())
        ));
        values.extend(view.departments.iter().map(|d| d.clone().into()));
    }
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(sql::statement(backend, &sql, values))
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a sum without a row")))?;
    Ok(u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0))
}
