//! `maillage seed synthetic`: a realistic national dataset built on the imported sites, for
//! dashboards and benchmarks (issue 5). Deterministic for a given seed (ChaCha8); `scale`
//! shrinks every count (tests use a small one). All or nothing: the whole dataset is
//! written in one transaction (an interrupted run leaves nothing and can be run again), with
//! multi-row INSERTs in batches of [`TRANSACTION_ROWS`] rows.
//!
//! Made: departmental conventions (a few left as drafts on purpose), back-office referents
//! (a few missing on purpose), agents with their accounts, report entries with the real
//! partner shares (France Titres 19 %, CAF 16 %, Assurance Maladie 16 %, DGFiP 15 %…) and
//! ~82 % resolved on site, Administration+ requests with their delays, users' survey
//! answers, training records, a year of audits (with skewed self-assessments) and a
//! published mystery-visit campaign. ANCT (`anct@`) and 30 auditors (`auditor0@`…) get
//! accounts at the synthetic domain.

use std::fmt;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, TransactionTrait,
};

use crate::clock::{Clock, paris_date};
use crate::domain::enums::{ConventionStatus, LabelStatus, ReferentKind, Role, db_name};
use crate::domain::reporting::{self, HelpKind, LifeSituation};
use crate::domain::working_time;
use entity::{
    agent, agent_structure, app_user, audit_result, convention, convention_signatory,
    label_application, label_audit, mystery_campaign, mystery_visit, partner, referent,
    report_entry, role_assignment, self_assessment, structure, support_request, survey_answer,
    survey_campaign, training_enrolment, training_session,
};

/// Rows generated and written per batch.
pub const TRANSACTION_ROWS: usize = 100_000;
/// Rows per INSERT statement (15 columns × 1,000 stays under SQLite's 32,766 parameters).
const STATEMENT_ROWS: usize = 1_000;
/// E-mail domain of the synthetic accounts.
pub const DOMAIN: &str = "synthetic.maillage.fr";

/// National counts at scale 1 (DOMAIN.md "Scale").
const AGENTS: f64 = 7_000.0;
const REPORT_ENTRIES: f64 = 9_000_000.0;
const SUPPORT_REQUESTS: f64 = 250_000.0;
const SURVEY_ANSWERS: f64 = 100_000.0;

/// Partner shares of the report entries.
const SHARES: [(&str, f64); 9] = [
    ("INTERIEUR", 0.19),
    ("CAF", 0.16),
    ("ASSURANCE_MALADIE", 0.16),
    ("DGFIP", 0.15),
    ("FRANCE_TRAVAIL", 0.10),
    ("ASSURANCE_RETRAITE", 0.09),
    ("MSA", 0.06),
    ("LA_POSTE", 0.05),
    ("JUSTICE", 0.04),
];

/// What to build.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Seed of the generator.
    pub seed: u64,
    /// Multiplies every count (1.0 = national scale).
    pub scale: f64,
    /// The last day of the twelve months of activity.
    pub until: NaiveDate,
    /// Years of reporting history up to `until` (1 to 10): the report entries are the
    /// national year's count times `scale`, every year. The rest of the activity (requests,
    /// surveys, audits…) is the last twelve months'.
    pub years: u32,
}

/// Rows written per table, and how fast.
#[derive(Debug, Default)]
pub struct Report {
    /// `(table, rows, time)`.
    pub tables: Vec<(&'static str, u64, Duration)>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (table, rows, time) in &self.tables {
            let per_second = *rows as f64 / time.as_secs_f64().max(1e-9);
            writeln!(
                f,
                "{table:<22} {rows:>10} rows  {:>8.1} s  {per_second:>10.0} rows/s",
                time.as_secs_f64()
            )?;
        }
        Ok(())
    }
}

/// Progress of a step: `(step, done, total)`.
pub trait Progress {
    /// Called after each batch.
    fn update(&self, step: &str, done: u64, total: u64);
}

impl<F: Fn(&str, u64, u64)> Progress for F {
    fn update(&self, step: &str, done: u64, total: u64) {
        self(step, done, total);
    }
}

fn scaled(national: f64, scale: f64) -> usize {
    (national * scale).round().max(0.0) as usize
}

/// Builds the dataset on the imported structures.
pub async fn seed(
    db: &DatabaseConnection,
    options: Options,
    progress: &impl Progress,
    clock: &Clock,
) -> anyhow::Result<Report> {
    if !(options.scale > 0.0 && options.scale <= 10.0) {
        bail!("--scale is between 0 and 10 (1 = national scale)");
    }
    if !(1..=10).contains(&options.years) {
        bail!("--years is between 1 and 10");
    }
    let structures: Vec<structure::Model> = structure::Entity::find()
        .all(db)
        .await
        .context("Failed to read the structures")?;
    if structures.is_empty() {
        bail!("no structure: run `maillage import reference` and `maillage import sites` first");
    }
    let already = app_user::Entity::find()
        .filter(app_user::Column::Email.like(format!("%@{DOMAIN}")))
        .one(db)
        .await?;
    if already.is_some() {
        bail!("the synthetic dataset is already there (users @{DOMAIN})");
    }
    let partners = partner::Entity::find().all(db).await?;
    // All or nothing: one transaction, so that an interrupted run (killed, disk full, an
    // error) leaves no half dataset behind and can simply be run again.
    let txn = crate::db::begin(db).await?;
    let core: Vec<&partner::Model> = partners
        .iter()
        .filter(|p| p.core && p.department_code.is_none())
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut report = Report::default();
    let labelled: Vec<&structure::Model> = structures
        .iter()
        .filter(|s| s.label_status == db_name(LabelStatus::Labelled))
        .collect();
    let active = if labelled.is_empty() {
        structures.iter().collect()
    } else {
        labelled
    };

    let started = Instant::now();
    let rows = conventions(&txn, &structures, &core, &mut rng, clock).await?;
    report.tables.push(("conventions", rows, started.elapsed()));
    progress.update("conventions", rows, rows);

    let started = Instant::now();
    let rows = referents(&txn, &structures, &core, &mut rng, clock).await?;
    report.tables.push(("referents", rows, started.elapsed()));
    progress.update("referents", rows, rows);

    let steering = steering(&txn, clock).await?;
    let started = Instant::now();
    let agents = agents(
        &txn,
        &active,
        scaled(AGENTS, options.scale),
        &mut rng,
        progress,
        clock,
    )
    .await?;
    report
        .tables
        .push(("agents", agents.len() as u64, started.elapsed()));

    let started = Instant::now();
    // Partner training by three core partners, a day each.
    let trainers: Vec<i64> = ["CAF", "FRANCE_TRAVAIL", "ASSURANCE_MALADIE"]
        .iter()
        .filter_map(|code| partners.iter().find(|p| p.code == *code).map(|p| p.id))
        .collect();
    let rows = training(
        &txn,
        &active,
        &agents,
        &trainers,
        &steering,
        options.until,
        &mut rng,
        clock,
    )
    .await?;
    report
        .tables
        .push(("training_enrolment", rows, started.elapsed()));
    progress.update("training", rows, rows);

    let started = Instant::now();
    let rows = audits(&txn, &active, &steering, options.until, &mut rng, clock).await?;
    report.tables.push(("label_audit", rows, started.elapsed()));
    progress.update("audits", rows, rows);

    let started = Instant::now();
    let rows = mystery_visits(&txn, &active, &steering, options, &mut rng, clock).await?;
    report
        .tables
        .push(("mystery_visit", rows, started.elapsed()));
    progress.update("mystery visits", rows, rows);

    let weights: Vec<(i64, f64, &str)> = SHARES
        .iter()
        .filter_map(|(code, share)| {
            partners
                .iter()
                .find(|p| p.code == *code)
                .map(|p| (p.id, *share, *code))
        })
        .collect();
    let started = Instant::now();
    let total = scaled(REPORT_ENTRIES, options.scale) * options.years as usize;
    let first = options
        .until
        .checked_sub_days(Days::new(365 * u64::from(options.years)))
        .unwrap_or(options.until);
    // Each month's entries go straight to its own partition (PostgreSQL).
    crate::service::reporting::make_months(&txn, first, options.until)
        .await
        .map_err(|e| anyhow::anyhow!("Failed to partition the report entries: {}", e.message()))?;
    let rows = report_entries(
        &txn,
        &active,
        &agents,
        &weights,
        total,
        (options.until, options.years),
        &mut rng,
        progress,
        clock,
    )
    .await?;
    report
        .tables
        .push(("report_entry", rows, started.elapsed()));
    let started = Instant::now();
    crate::service::reporting::rebuild_summary(&txn)
        .await
        .map_err(|e| anyhow::anyhow!("Failed to summarise the report entries: {}", e.message()))?;
    report
        .tables
        .push(("summaries (rebuilt)", rows, started.elapsed()));

    let started = Instant::now();
    let total = scaled(SUPPORT_REQUESTS, options.scale);
    let rows = support_requests(
        &txn,
        &active,
        &agents,
        &weights,
        total,
        options.until,
        &mut rng,
        progress,
    )
    .await?;
    report
        .tables
        .push(("support_request", rows, started.elapsed()));

    let started = Instant::now();
    let total = scaled(SURVEY_ANSWERS, options.scale);
    let rows = survey_answers(
        &txn,
        &active,
        total,
        options.until,
        &mut rng,
        progress,
        clock,
    )
    .await?;
    report
        .tables
        .push(("survey_answer", rows, started.elapsed()));

    let started = Instant::now();
    txn.commit().await?;
    report.tables.push(("(commit)", 0, started.elapsed()));

    // Fresh planner statistics after the bulk load (PostgreSQL also sets the visibility map
    // that index-only scans need).
    let started = Instant::now();
    let analyse = match db.get_database_backend() {
        DbBackend::Postgres => "VACUUM ANALYZE",
        _ => "ANALYZE",
    };
    db.execute_unprepared(analyse).await?;
    report.tables.push(("(statistics)", 0, started.elapsed()));
    Ok(report)
}

/// Inserts `models` in statements of [`STATEMENT_ROWS`] within `db` (a transaction).
async fn insert<A>(db: &impl ConnectionTrait, models: Vec<A>) -> anyhow::Result<()>
where
    A: sea_orm::ActiveModelTrait + Send,
{
    let mut models = models.into_iter().peekable();
    while models.peek().is_some() {
        let chunk: Vec<A> = models.by_ref().take(STATEMENT_ROWS).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

async fn conventions(
    db: &DatabaseTransaction,
    structures: &[structure::Model],
    core: &[&partner::Model],
    rng: &mut ChaCha8Rng,
    clock: &Clock,
) -> anyhow::Result<u64> {
    let departments = departments_of(structures);
    let existing: Vec<String> = convention::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.department_code)
        .collect();
    let now = clock.now();
    let txn = db.begin().await?;
    let mut rows = 0;
    for department in departments
        .into_iter()
        .filter(|d| !existing.iter().any(|e| e == d))
    {
        // One convention in twenty still waits for a signature: a gap on purpose.
        let draft = rng.random_bool(0.05);
        let status = if draft {
            ConventionStatus::Draft
        } else {
            ConventionStatus::Signed
        };
        let row = sea_orm::ActiveModelTrait::insert(
            convention::ActiveModel {
                department_code: Set(department.to_owned()),
                title: Set(format!("Convention-cadre France services ({department})")),
                status: Set(db_name(status).to_owned()),
                signed_on: Set((!draft).then(|| paris_date(now))),
                created_by: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
            &txn,
        )
        .await?;
        let unsigned = draft.then(|| rng.random_range(0..core.len()));
        let signatories: Vec<convention_signatory::ActiveModel> = core
            .iter()
            .enumerate()
            .map(|(i, p)| convention_signatory::ActiveModel {
                convention_id: Set(row.id),
                partner_id: Set(p.id),
                signed_at: Set((unsigned != Some(i)).then_some(now)),
                signed_by: Set(None),
                added_at: Set(now),
            })
            .collect();
        insert(&txn, signatories).await?;
        rows += 1;
    }
    txn.commit().await?;
    Ok(rows)
}

async fn referents(
    db: &DatabaseTransaction,
    structures: &[structure::Model],
    core: &[&partner::Model],
    rng: &mut ChaCha8Rng,
    clock: &Clock,
) -> anyhow::Result<u64> {
    let departments = departments_of(structures);
    let now = clock.now();
    let mut models = Vec::new();
    for department in departments {
        for p in core {
            // About 3 % missing: R-10 gaps for the dashboards to find.
            if rng.random_bool(0.03) {
                continue;
            }
            let code = p.code.to_lowercase().replace('_', "-");
            models.push(referent::ActiveModel {
                partner_id: Set(p.id),
                department_code: Set(department.to_owned()),
                kind: Set(db_name(ReferentKind::BackOffice).to_owned()),
                name: Set(format!("Référent {} {department}", p.code)),
                email: Set(format!("referent.{department}@{code}.{DOMAIN}")),
                phone: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
        }
    }
    let rows = models.len() as u64;
    let txn = db.begin().await?;
    insert(&txn, models).await?;
    txn.commit().await?;
    Ok(rows)
}

/// The departments of `structures`, sorted, once each.
fn departments_of(structures: &[structure::Model]) -> Vec<&str> {
    let mut departments: Vec<&str> = structures
        .iter()
        .map(|s| s.department_code.as_str())
        .collect();
    departments.sort_unstable();
    departments.dedup();
    departments
}

/// A synthetic agent: `(structure id, user id, agent id)`.
type Made = (i64, i64, i64);

async fn agents(
    db: &DatabaseTransaction,
    structures: &[&structure::Model],
    total: usize,
    rng: &mut ChaCha8Rng,
    progress: &impl Progress,
    clock: &Clock,
) -> anyhow::Result<Vec<Made>> {
    let now = clock.now();
    // Every structure gets one agent when there are enough; the rest at random.
    let homes: Vec<&structure::Model> = (0..total)
        .map(|i| {
            if i < structures.len() {
                structures[i]
            } else {
                structures[rng.random_range(0..structures.len())]
            }
        })
        .collect();
    let txn = db.begin().await?;
    let users: Vec<app_user::ActiveModel> = (0..total)
        .map(|i| app_user::ActiveModel {
            email: Set(format!("agent{i}@{DOMAIN}")),
            disabled: Set(false),
            created_at: Set(now),
            token_epoch: Set(0),
            ..Default::default()
        })
        .collect();
    insert(&txn, users).await?;
    let mut ids: Vec<(String, i64)> = app_user::Entity::find()
        .filter(app_user::Column::Email.like(format!("%@{DOMAIN}")))
        .all(&txn)
        .await?
        .into_iter()
        .map(|u| (u.email, u.id))
        .collect();
    ids.sort();
    let user_id = |i: usize| -> anyhow::Result<i64> {
        let email = format!("agent{i}@{DOMAIN}");
        ids.binary_search_by(|(e, _)| e.as_str().cmp(&email))
            .map(|at| ids[at].1)
            .map_err(|_| anyhow::anyhow!("synthetic user {email} missing"))
    };
    let mut assignments = Vec::with_capacity(total);
    let mut people = Vec::with_capacity(total);
    for (i, home) in homes.iter().enumerate() {
        let user = user_id(i)?;
        assignments.push(role_assignment::ActiveModel {
            user_id: Set(user),
            role: Set(db_name(Role::Agent).to_owned()),
            department_code: Set(None),
            partner_id: Set(None),
            structure_id: Set(Some(home.id)),
            created_at: Set(now),
            ..Default::default()
        });
        people.push(agent::ActiveModel {
            user_id: Set(user),
            full_name: Set(format!("Agent {i}")),
            email: Set(format!("agent{i}@{DOMAIN}")),
            phone: Set(None),
            created_at: Set(now),
            ..Default::default()
        });
    }
    insert(&txn, assignments).await?;
    insert(&txn, people).await?;
    let agent_ids: std::collections::HashMap<i64, i64> = agent::Entity::find()
        .filter(agent::Column::Email.like(format!("%@{DOMAIN}")))
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| (a.user_id, a.id))
        .collect();
    let mut made = Vec::with_capacity(total);
    let mut links = Vec::with_capacity(total);
    for (i, home) in homes.iter().enumerate() {
        let user = user_id(i)?;
        let agent = *agent_ids
            .get(&user)
            .ok_or_else(|| anyhow::anyhow!("synthetic agent {i} missing"))?;
        links.push(agent_structure::ActiveModel {
            agent_id: Set(agent),
            structure_id: Set(home.id),
            since: Set(now),
        });
        made.push((home.id, user, agent));
    }
    insert(&txn, links).await?;
    txn.commit().await?;
    progress.update("agents", total as u64, total as u64);
    Ok(made)
}

fn pick_partner<'a>(weights: &'a [(i64, f64, &'a str)], rng: &mut ChaCha8Rng) -> (i64, &'a str) {
    let total: f64 = weights.iter().map(|w| w.1).sum();
    let mut x = rng.random_range(0.0..total);
    for (id, share, code) in weights {
        if x < *share {
            return (*id, code);
        }
        x -= share;
    }
    weights.last().map_or((0, ""), |w| (w.0, w.2))
}

fn day_within_year(until: NaiveDate, rng: &mut ChaCha8Rng) -> NaiveDate {
    day_within_years(until, 1, rng)
}

/// A day of the `years` years up to `until`.
fn day_within_years(until: NaiveDate, years: u32, rng: &mut ChaCha8Rng) -> NaiveDate {
    until
        .checked_sub_days(Days::new(rng.random_range(0..365 * u64::from(years))))
        .unwrap_or(until)
}

/// The agents of each structure (user ids), for `recorded_by`.
fn agents_by_structure(agents: &[Made]) -> std::collections::HashMap<i64, Vec<i64>> {
    let mut map: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
    for (structure, user, _) in agents {
        map.entry(*structure).or_default().push(*user);
    }
    map
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the steps share the generator"
)]
async fn report_entries(
    db: &DatabaseTransaction,
    structures: &[&structure::Model],
    agents: &[Made],
    weights: &[(i64, f64, &str)],
    total: usize,
    (until, years): (NaiveDate, u32),
    rng: &mut ChaCha8Rng,
    progress: &impl Progress,
    clock: &Clock,
) -> anyhow::Result<u64> {
    let by_structure = agents_by_structure(agents);
    let now = clock.now();
    let help = [
        HelpKind::Information,
        HelpKind::OnlineProcedure,
        HelpKind::Referral,
    ];
    let situations: Vec<LifeSituation> =
        <LifeSituation as strum::IntoEnumIterator>::iter().collect();
    let mut done = 0;
    while done < total {
        let batch = TRANSACTION_ROWS.min(total - done);
        let mut models = Vec::with_capacity(batch);
        for _ in 0..batch {
            let s = structures[rng.random_range(0..structures.len())];
            let (partner_id, code) = pick_partner(weights, rng);
            let themes = reporting::themes_of(code);
            let recorder = by_structure
                .get(&s.id)
                .and_then(|users| users.choose(rng).copied())
                .unwrap_or(0);
            models.push(NewEntry {
                structure_id: s.id,
                department_code: &s.department_code,
                recorded_by: recorder,
                occurred_on: day_within_years(until, years, rng),
                partner_id,
                theme: themes[rng.random_range(0..themes.len())].into(),
                life_situation: rng
                    .random_bool(0.3)
                    .then(|| <&str>::from(situations[rng.random_range(0..situations.len())])),
                help_kind: help[rng.random_range(0..help.len())].into(),
                resolved_on_site: rng.random_bool(0.82),
                duration_minutes: rng.random_range(5..=60),
            });
        }
        write_entries(db, models, now).await?;
        done += batch;
        progress.update("report entries", done as u64, total as u64);
    }
    Ok(total as u64)
}

/// A generated report entry.
struct NewEntry<'a> {
    structure_id: i64,
    department_code: &'a str,
    recorded_by: i64,
    occurred_on: NaiveDate,
    partner_id: i64,
    theme: &'static str,
    life_situation: Option<&'static str>,
    help_kind: &'static str,
    resolved_on_site: bool,
    duration_minutes: i32,
}

/// Writes a batch of entries with multi-row INSERTs. (`COPY` was twice as fast on
/// PostgreSQL, but sea-orm gives no access to a transaction's connection, and the whole
/// seed is one transaction.)
async fn write_entries(
    db: &DatabaseTransaction,
    rows: Vec<NewEntry<'_>>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let models: Vec<report_entry::ActiveModel> = rows
        .into_iter()
        .map(|r| report_entry::ActiveModel {
            structure_id: Set(r.structure_id),
            department_code: Set(r.department_code.to_owned()),
            recorded_by: Set(r.recorded_by),
            occurred_on: Set(r.occurred_on),
            partner_id: Set(r.partner_id),
            theme: Set(r.theme.to_owned()),
            life_situation: Set(r.life_situation.map(str::to_owned)),
            help_kind: Set(r.help_kind.to_owned()),
            resolved_on_site: Set(r.resolved_on_site),
            duration_minutes: Set(r.duration_minutes),
            corrects_id: Set(None),
            superseded_by_id: Set(None),
            correction_reason: Set(None),
            created_at: Set(now),
            ..Default::default()
        })
        .collect();
    let txn = db.begin().await?;
    insert(&txn, models).await?;
    txn.commit().await?;
    Ok(())
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the steps share the generator"
)]
async fn support_requests(
    db: &DatabaseTransaction,
    structures: &[&structure::Model],
    agents: &[Made],
    weights: &[(i64, f64, &str)],
    total: usize,
    until: NaiveDate,
    rng: &mut ChaCha8Rng,
    progress: &impl Progress,
) -> anyhow::Result<u64> {
    let by_structure = agents_by_structure(agents);
    let mut done = 0;
    while done < total {
        let batch = TRANSACTION_ROWS.min(total - done);
        let mut models = Vec::with_capacity(batch);
        for _ in 0..batch {
            let s = structures[rng.random_range(0..structures.len())];
            let (partner_id, _) = pick_partner(weights, rng);
            let day = day_within_year(until, rng);
            let sent: DateTime<Utc> = day
                .and_hms_opt(rng.random_range(8..18), rng.random_range(0..60), 0)
                .unwrap_or_default()
                .and_utc();
            let due = working_time::Calendar::of(&s.department_code).due_at(sent);
            // Nine in ten answered, most within the delay, a tail beyond it.
            let answered = rng
                .random_bool(0.9)
                .then(|| sent + TimeDelta::minutes(rng.random_range(30..60 * 24 * 6)));
            let closed = answered.filter(|_| rng.random_bool(0.7));
            let status = match (answered, closed) {
                (_, Some(_)) => "CLOSED",
                (Some(_), None) => "ANSWERED",
                (None, _) => "OPEN",
            };
            models.push(support_request::ActiveModel {
                structure_id: Set(s.id),
                department_code: Set(s.department_code.clone()),
                partner_id: Set(partner_id),
                opened_by: Set(by_structure
                    .get(&s.id)
                    .and_then(|u| u.first().copied())
                    .unwrap_or(0)),
                subject: Set("Demande synthétique".into()),
                description: Set("Situation complexe (données synthétiques)".into()),
                citizen_name: Set("Usager synthétique".into()),
                citizen_details: Set(None),
                status: Set(status.into()),
                sent_at: Set(sent),
                due_at: Set(due),
                first_answered_at: Set(answered),
                answer_seconds: Set(answered.map(|a| (a - sent).num_seconds())),
                closed_at: Set(closed.map(|a| a + TimeDelta::hours(2))),
                reopened_count: Set(0),
                updated_at: Set(sent),
                ..Default::default()
            });
        }
        let txn = db.begin().await?;
        insert(&txn, models).await?;
        txn.commit().await?;
        done += batch;
        progress.update("support requests", done as u64, total as u64);
    }
    Ok(total as u64)
}

async fn survey_answers(
    db: &DatabaseTransaction,
    structures: &[&structure::Model],
    total: usize,
    until: NaiveDate,
    rng: &mut ChaCha8Rng,
    progress: &impl Progress,
    clock: &Clock,
) -> anyhow::Result<u64> {
    use chrono::Datelike;
    let year = until.year();
    let campaign = match survey_campaign::Entity::find()
        .filter(survey_campaign::Column::Year.eq(year))
        .filter(survey_campaign::Column::Audience.eq("USERS"))
        .one(db)
        .await?
    {
        Some(c) => c,
        None => {
            sea_orm::ActiveModelTrait::insert(
                survey_campaign::ActiveModel {
                    year: Set(year),
                    audience: Set("USERS".into()),
                    title: Set(format!("Enquête de satisfaction des usagers {year}")),
                    opens_on: Set(until.checked_sub_days(Days::new(364)).unwrap_or(until)),
                    closes_on: Set(until),
                    created_by: Set(0),
                    created_at: Set(clock.now()),
                    ..Default::default()
                },
                db,
            )
            .await?
        }
    };
    let scores = [(5, 0.45), (4, 0.35), (3, 0.12), (2, 0.05), (1, 0.03)];
    let mut done = 0;
    while done < total {
        let batch = TRANSACTION_ROWS.min(total - done);
        let mut models = Vec::with_capacity(batch);
        for _ in 0..batch {
            let s = structures[rng.random_range(0..structures.len())];
            let mut x: f64 = rng.random();
            let mut satisfaction = 5;
            for (score, share) in scores {
                if x < share {
                    satisfaction = score;
                    break;
                }
                x -= share;
            }
            let day = day_within_year(until, rng);
            models.push(survey_answer::ActiveModel {
                campaign_id: Set(campaign.id),
                structure_id: Set(s.id),
                respondent_agent_id: Set(None),
                satisfaction: Set(satisfaction),
                recommend: Set(Some(satisfaction >= 4)),
                comment: Set(None),
                answered_at: Set(day.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc()),
                ..Default::default()
            });
        }
        let txn = db.begin().await?;
        insert(&txn, models).await?;
        txn.commit().await?;
        done += batch;
        progress.update("survey answers", done as u64, total as u64);
    }
    Ok(total as u64)
}

/// The synthetic steering accounts: ANCT's, and the auditors' (who also make the mystery
/// visits).
struct Steering {
    anct: i64,
    auditors: Vec<i64>,
}

/// Auditors of the synthetic dataset.
const AUDITORS: usize = 30;
/// Share of the labelled structures with an audit in the dataset's year, and of the audit
/// findings met.
const AUDITED: f64 = 0.3;
const FOUND_MET: f64 = 0.985;
/// Share of the criteria the prefecture declares met (self-assessments are skewed, R-04).
const DECLARED_MET: f64 = 0.995;
/// Mystery visits per department.
const VISITS_PER_DEPARTMENT: usize = 3;

async fn steering(db: &DatabaseTransaction, clock: &Clock) -> anyhow::Result<Steering> {
    let now = clock.now();
    let txn = db.begin().await?;
    let mut accounts = vec![(format!("anct@{DOMAIN}"), Role::Anct)];
    accounts.extend((0..AUDITORS).map(|i| (format!("auditor{i}@{DOMAIN}"), Role::Auditor)));
    let mut ids = Vec::with_capacity(accounts.len());
    for (email, role) in accounts {
        let user = app_user::ActiveModel {
            email: Set(email),
            disabled: Set(false),
            created_at: Set(now),
            token_epoch: Set(0),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        role_assignment::ActiveModel {
            user_id: Set(user.id),
            role: Set(db_name(role).to_owned()),
            department_code: Set(None),
            partner_id: Set(None),
            structure_id: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        ids.push(user.id);
    }
    txn.commit().await?;
    Ok(Steering {
        anct: ids[0],
        auditors: ids[1..].to_vec(),
    })
}

/// Per department: a common-core session and a day of partner training by each of
/// `trainers`; one national webinar. Most agents attended them all, the others part of
/// them. Every session has ended by `until`.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the steps share the generator"
)]
async fn training(
    db: &DatabaseTransaction,
    structures: &[&structure::Model],
    agents: &[Made],
    trainers: &[i64],
    steering: &Steering,
    until: NaiveDate,
    rng: &mut ChaCha8Rng,
    clock: &Clock,
) -> anyhow::Result<u64> {
    use crate::domain::training::module;
    let department: std::collections::HashMap<i64, &str> = structures
        .iter()
        .map(|s| (s.id, s.department_code.as_str()))
        .collect();
    let mut by_department: std::collections::BTreeMap<&str, Vec<i64>> = Default::default();
    for (structure, _, agent) in agents {
        if let Some(code) = department.get(structure) {
            by_department.entry(code).or_default().push(*agent);
        }
    }
    let now = clock.now();
    let txn = db.begin().await?;
    let mut session = async |module: &str,
                             department: Option<&str>,
                             half_days: i32,
                             trainer: Option<i64>,
                             seats: usize| {
        // Two half-days a day, ended by `until`.
        let length = Days::new(u64::try_from((half_days + 1) / 2 - 1).unwrap_or(0));
        let starts_on = day_within_year(until, rng);
        let starts_on = starts_on.min(until.checked_sub_days(length).unwrap_or(until));
        let seats = i32::try_from(seats).unwrap_or(i32::MAX);
        training_session::ActiveModel {
            module_code: Set(module.to_owned()),
            department_code: Set(department.map(str::to_owned)),
            place: Set(department.map_or("En ligne".to_owned(), |d| format!("Préfecture {d}"))),
            starts_on: Set(starts_on),
            ends_on: Set(starts_on.checked_add_days(length).unwrap_or(starts_on)),
            half_days: Set(half_days),
            trainer_partner_id: Set(trainer),
            capacity: Set(seats.max(1)),
            enrolled: Set(seats),
            organised_by: Set(steering.anct),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map(|s| s.id)
    };
    let webinar = session(module::MANDATORY_WEBINARS, None, 0, None, agents.len()).await?;
    let mut sessions = Vec::new();
    for (code, members) in &by_department {
        let core = session(module::COMMON_CORE, Some(code), 5, None, members.len()).await?;
        let mut partners = Vec::with_capacity(trainers.len());
        for trainer in trainers {
            let day = session(
                module::PARTNER_TRAINING,
                Some(code),
                2,
                Some(*trainer),
                members.len(),
            )
            .await?;
            partners.push(day);
        }
        sessions.push((core, partners, members));
    }
    let mut enrolments = Vec::with_capacity(agents.len() * (2 + trainers.len()));
    let mut enrol = |session: i64, agent: i64, attended: bool| {
        enrolments.push(training_enrolment::ActiveModel {
            session_id: Set(session),
            agent_id: Set(agent),
            enrolled_at: Set(now),
            attended: Set(Some(attended)),
            attendance_recorded_at: Set(Some(now)),
        });
    };
    for (core, partners, members) in sessions {
        for agent in members {
            enrol(core, *agent, rng.random_bool(0.9));
            for day in &partners {
                enrol(*day, *agent, rng.random_bool(0.93));
            }
            enrol(webinar, *agent, rng.random_bool(0.85));
        }
    }
    let rows = enrolments.len() as u64;
    insert(&txn, enrolments).await?;
    txn.commit().await?;
    Ok(rows)
}

/// Audits of the year on part of the labelled structures: the application with its
/// self-assessment, the submitted audit and its 30 findings.
async fn audits(
    db: &DatabaseTransaction,
    structures: &[&structure::Model],
    steering: &Steering,
    until: NaiveDate,
    rng: &mut ChaCha8Rng,
    clock: &Clock,
) -> anyhow::Result<u64> {
    let today = clock.today();
    let framework = crate::service::criteria::frameworks(db, today)
        .await
        .map_err(|e| anyhow::anyhow!("Failed to read the criteria: {}", e.message()))?
        .into_iter()
        .find(|f| f.current)
        .context("no criteria framework")?;
    let txn = db.begin().await?;
    let mut declared = Vec::new();
    let mut results = Vec::new();
    let mut rows = 0;
    for structure in structures {
        if !rng.random_bool(AUDITED) {
            continue;
        }
        let day = day_within_year(until, rng);
        let at = day
            .and_hms_opt(10, 0, 0)
            .map_or_else(|| clock.now(), |t| t.and_utc());
        let application = label_application::ActiveModel {
            structure_id: Set(structure.id),
            framework_version: Set(framework.framework.version.clone()),
            priority: Set(false),
            proposed_by: Set(steering.anct),
            proposed_at: Set(at - TimeDelta::days(30)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let findings: Vec<(&entity::criterion::Model, bool)> = framework
            .criteria
            .iter()
            .map(|c| (c, rng.random_bool(FOUND_MET)))
            .collect();
        let (outcome, _) = crate::domain::label_workflow::audit_outcome(
            &findings
                .iter()
                .map(|(c, met)| crate::domain::label_workflow::Finding {
                    code: &c.code,
                    mandatory: c.mandatory,
                    met: *met,
                })
                .collect::<Vec<_>>(),
        );
        let audit = label_audit::ActiveModel {
            application_id: Set(application.id),
            structure_id: Set(structure.id),
            auditor_id: Set(*steering.auditors.choose(rng).context("no auditor")?),
            priority: Set(false),
            scheduled_on: Set(day),
            scheduled_at: Set(at - TimeDelta::days(20)),
            submitted_at: Set(Some(at)),
            outcome: Set(Some(db_name(outcome).to_owned())),
            approved_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for (criterion, met) in findings {
            declared.push(self_assessment::ActiveModel {
                application_id: Set(application.id),
                criterion_id: Set(criterion.id),
                met: Set(met || rng.random_bool(DECLARED_MET)),
                comment: Set(None),
            });
            results.push(audit_result::ActiveModel {
                audit_id: Set(audit.id),
                criterion_id: Set(criterion.id),
                met: Set(met),
                remark: Set(None),
                recorded_at: Set(at),
            });
        }
        rows += 1;
    }
    insert(&txn, declared).await?;
    insert(&txn, results).await?;
    txn.commit().await?;
    Ok(rows)
}

/// A published mystery-visit campaign of the year, drawn like ANCT's (seeded, stratified by
/// department), every visit made and scored.
async fn mystery_visits(
    db: &DatabaseTransaction,
    structures: &[&structure::Model],
    steering: &Steering,
    options: Options,
    rng: &mut ChaCha8Rng,
    clock: &Clock,
) -> anyhow::Result<u64> {
    use crate::domain::mystery::{self, ITEMS, MAX_SCORE};
    let candidates: Vec<(String, i64)> = structures
        .iter()
        .filter(|s| s.label_status == db_name(LabelStatus::Labelled))
        .map(|s| (s.department_code.clone(), s.id))
        .collect();
    let drawn = mystery::draw(&candidates, VISITS_PER_DEPARTMENT, options.seed);
    let now = clock.now();
    let txn = db.begin().await?;
    let campaign = mystery_campaign::ActiveModel {
        year: Set(options.until.year()),
        label: Set(format!("Visites mystères {}", options.until.year())),
        seed: Set(i64::from_ne_bytes(options.seed.to_ne_bytes())),
        per_department: Set(VISITS_PER_DEPARTMENT as i32),
        published: Set(true),
        created_by: Set(steering.anct),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut visits = Vec::with_capacity(drawn.len());
    for (department, id) in drawn {
        let scores: Vec<(&str, i32)> = ITEMS
            .iter()
            .map(|item| (*item, rng.random_range(MAX_SCORE / 2..=MAX_SCORE)))
            .collect();
        visits.push(mystery_visit::ActiveModel {
            campaign_id: Set(campaign.id),
            structure_id: Set(id),
            department_code: Set(department),
            visitor_id: Set(Some(*steering.auditors.choose(rng).context("no auditor")?)),
            visited_on: Set(Some(day_within_year(options.until, rng))),
            score: Set(Some(scores.iter().map(|(_, s)| s).sum())),
            scores: Set(Some(serde_json::to_string(&scores)?)),
            comment: Set(None),
            submitted_at: Set(Some(now)),
            ..Default::default()
        });
    }
    let rows = visits.len() as u64;
    insert(&txn, visits).await?;
    txn.commit().await?;
    Ok(rows)
}
