//! The reporting tool ("saisie unitaire"): an agent records a handled request in one call,
//! corrections are recorded as such, and each role reads its slice.
use chrono::{Datelike, Days};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::workflow::refused;

const RECORD: &str = "mutation($input: ReportEntryInput!) {
    recordReportEntry(input: $input) { id occurredOn partner { code } theme lifeSituation helpKind resolvedOnSite durationMinutes }
}";
const CORRECT: &str = "mutation($e: ID!, $input: ReportEntryInput!, $r: String!) {
    correctReportEntry(entry: $e, input: $input, reason: $r) { id corrects correctionReason partner { code } }
}";
const LIST: &str = "query($all: Boolean!) { reportEntries(filter: { includeSuperseded: $all }) {
    totalCount edges { node { id supersededBy partner { code } } } } }";

fn entry(app: &TestApp, structure: &str, partner: &str, days_ago: u64, minutes: i32) -> Value {
    let date = app
        .today()
        .checked_sub_days(Days::new(days_ago))
        .expect("date");
    json!({ "input": { "structure": structure, "occurredOn": date.to_string(), "partner": partner,
        "theme": "FAMILY", "lifeSituation": "HAVING_A_CHILD", "helpKind": "ONLINE_PROCEDURE",
        "resolvedOnSite": true, "durationMinutes": minutes } })
}

async fn total(app: &TestApp, email: &str, all: bool) -> Value {
    let response = app.query_as(email, LIST, json!({ "all": all })).await;
    data(&response)["reportEntries"]["totalCount"].clone()
}

#[tokio::test]
async fn an_agent_records_a_handled_request_and_each_role_reads_its_slice() {
    let app = spawn_app().await;
    let vars = entry(&app, "DEMO-59-01", "CAF", 1, 20);
    refused(
        &app.query_as(PREFECT_59, RECORD, vars.clone()).await,
        "FORBIDDEN",
    );
    refused(&app.query_as(ANCT, RECORD, vars.clone()).await, "FORBIDDEN");
    refused(
        &app.query_as(OPERATOR_CAF, RECORD, vars.clone()).await,
        "FORBIDDEN",
    );
    refused(
        &app.query_as(PREFECT_23, RECORD, vars.clone()).await,
        "NOT_FOUND",
    );
    refused(
        &app.post(None, RECORD, vars.clone()).await,
        "UNAUTHENTICATED",
    );
    refused(
        &app.query_as(AGENT_LILLE, RECORD, entry(&app, "DEMO-59-02", "CAF", 1, 20))
            .await,
        "NOT_FOUND",
    );
    for (bad, field) in [
        (
            entry(&app, "DEMO-59-01", "CAF", 400, 20),
            "input.occurredOn",
        ),
        (
            entry(&app, "DEMO-59-01", "CAF", 1, 0),
            "input.durationMinutes",
        ),
        (entry(&app, "DEMO-59-01", "NOPE", 1, 20), "input.partner"),
    ] {
        let response = app.query_as(AGENT_LILLE, RECORD, bad).await;
        refused(&response, "BAD_USER_INPUT");
        assert_eq!(response["errors"][0]["extensions"]["field"], field);
    }
    let tomorrow = app.today().checked_add_days(Days::new(1)).expect("date");
    let mut future = entry(&app, "DEMO-59-01", "CAF", 0, 20);
    future["input"]["occurredOn"] = json!(tomorrow.to_string());
    refused(
        &app.query_as(AGENT_LILLE, RECORD, future).await,
        "BAD_USER_INPUT",
    );

    let recorded = app.query_as(AGENT_LILLE, RECORD, vars).await;
    let recorded = &data(&recorded)["recordReportEntry"];
    assert_eq!(recorded["partner"]["code"], "CAF");
    assert_eq!(recorded["lifeSituation"], "HAVING_A_CHILD");
    for (email, expected) in [
        (AGENT_LILLE, 1),
        (PREFECT_59, 1),
        (ANCT, 1),
        (PREFECT_23, 0),
        (OPERATOR_CAF, 0),
        (AUDITOR, 0),
    ] {
        assert_eq!(total(&app, email, true).await, expected, "{email}");
    }
    refused(
        &app.post(None, LIST, json!({ "all": true })).await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn a_correction_is_a_new_entry_and_the_old_one_is_kept() {
    let app = spawn_app().await;
    let recorded = app
        .query_as(AGENT_LILLE, RECORD, entry(&app, "DEMO-59-01", "CAF", 2, 20))
        .await;
    let old = data(&recorded)["recordReportEntry"]["id"].clone();
    let fixed = entry(&app, "DEMO-59-01", "DGFIP", 2, 25)["input"].clone();
    let vars = json!({ "e": old, "input": fixed, "r": "Wrong partner: it was a tax question" });
    refused(
        &app.query_as(PREFECT_59, CORRECT, vars.clone()).await,
        "FORBIDDEN",
    );
    refused(
        &app.query_as(PREFECT_23, CORRECT, vars.clone()).await,
        "NOT_FOUND",
    );
    refused(
        &app.post(None, CORRECT, vars.clone()).await,
        "UNAUTHENTICATED",
    );
    let no_reason = json!({ "e": old, "input": fixed, "r": " " });
    refused(
        &app.query_as(AGENT_LILLE, CORRECT, no_reason).await,
        "BAD_USER_INPUT",
    );
    let corrected = app.query_as(AGENT_LILLE, CORRECT, vars.clone()).await;
    let corrected = &data(&corrected)["correctReportEntry"];
    assert_eq!(corrected["corrects"], old);
    assert_eq!(corrected["partner"]["code"], "DGFIP");
    refused(&app.query_as(AGENT_LILLE, CORRECT, vars).await, "CONFLICT");
    // The current view counts one request; the full history keeps both.
    assert_eq!(total(&app, PREFECT_59, false).await, 1);
    assert_eq!(total(&app, PREFECT_59, true).await, 2);
    let history = app.query_as(PREFECT_59, LIST, json!({ "all": true })).await;
    let edges = data(&history)["reportEntries"]["edges"]
        .as_array()
        .expect("edges")
        .clone();
    let original = edges
        .iter()
        .find(|e| e["node"]["id"] == old)
        .expect("old entry");
    assert_eq!(original["node"]["supersededBy"], corrected["id"]);
    assert_eq!(
        original["node"]["partner"]["code"], "CAF",
        "never edited in place"
    );
    let log = app
        .query_as(
            ANCT,
            "{ auditLog(filter: { targetType: \"ReportEntry\" }) { edges { node { action } } } }",
            json!({}),
        )
        .await;
    let actions: Vec<&str> = data(&log)["auditLog"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["report.correct", "report.record"]);
}

#[tokio::test]
async fn suggestions_follow_the_structure_and_the_chosen_partner() {
    let app = spawn_app().await;
    let query =
        "query($s: String!, $p: String) { reportingSuggestions(structure: $s, partner: $p) {
        partners { code } themes lifeSituations helpKinds } }";
    let response = app
        .query_as(AGENT_LILLE, query, json!({ "s": "DEMO-59-01", "p": "CAF" }))
        .await;
    let s = &data(&response)["reportingSuggestions"];
    // Nord's signed convention: the nine core partners.
    assert_eq!(s["partners"].as_array().expect("partners").len(), 9);
    assert_eq!(s["themes"][0], "FAMILY");
    assert_eq!(s["themes"][1], "HOUSING_ENERGY");
    assert_eq!(s["themes"].as_array().expect("themes").len(), 13);
    assert_eq!(
        s["helpKinds"],
        json!(["INFORMATION", "ONLINE_PROCEDURE", "REFERRAL"])
    );
    refused(
        &app.query_as(PREFECT_23, query, json!({ "s": "DEMO-59-01", "p": null }))
            .await,
        "NOT_FOUND",
    );
    refused(
        &app.post(None, query, json!({ "s": "DEMO-59-01", "p": null }))
            .await,
        "UNAUTHENTICATED",
    );
}

/// Recording an entry reads the caller and the structure, then writes the entry, the audit
/// line and its two summaries at once: on PostgreSQL one statement (data-modifying `WITH`s,
/// atomic without a transaction), on SQLite one list of four statements handed over together
/// in a transaction. Three in all. The partner comes from the reference snapshot and the
/// policy's decisions are kept, so neither adds one. Each entry has its audit line, keyed by
/// its identifier, and counts in the summaries.
#[tokio::test]
async fn recording_an_entry_costs_three_statements() {
    let app = spawn_app().await;
    let token = app.token(AGENT_LILLE).await;
    let record = "mutation($input: ReportEntryInput!) { recordReportEntry(input: $input) { id } }";
    let mut costs = Vec::new();
    let mut ids = Vec::new();
    // The first request also loads the reference snapshot.
    for days_ago in [1, 2, 3] {
        let before = app.statements();
        let response = app
            .post(
                Some(&token),
                record,
                entry(&app, "DEMO-59-01", "CAF", days_ago, 10),
            )
            .await;
        let id = data(&response)["recordReportEntry"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let (_, key) = maillage::domain::ids::decode(&id).expect("an entry id");
        ids.push(key);
        costs.push(app.statements() - before);
    }
    let each = 3;
    assert_eq!(costs[1..], [each, each], "statements per entry: {costs:?}");

    let log = app
        .query_as(
            ANCT,
            "{ auditLog(filter: { targetType: \"ReportEntry\" }) { edges { node { action targetKey actorEmail department { code } } } } }",
            json!({}),
        )
        .await;
    let mut lines: Vec<(String, String, String, String)> = data(&log)["auditLog"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            let n = &e["node"];
            let text = |v: &Value| v.as_str().expect("text").to_owned();
            (
                text(&n["action"]),
                text(&n["targetKey"]),
                text(&n["actorEmail"]),
                text(&n["department"]["code"]),
            )
        })
        .collect();
    lines.sort();
    let mut expected: Vec<_> = ids
        .iter()
        .map(|key| {
            (
                "report.record".to_owned(),
                key.clone(),
                AGENT_LILLE.to_owned(),
                "59".to_owned(),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(lines, expected);

    // The department's dashboard counts them from the summaries.
    let dashboard = app
        .query_as(
            PREFECT_59,
            "{ dashboard { reporting { total byPartner { key count } } } }",
            json!({}),
        )
        .await;
    let reporting = &data(&dashboard)["dashboard"]["reporting"];
    assert_eq!(reporting["total"], 3, "{reporting}");
    assert_eq!(
        reporting["byPartner"],
        json!([{ "key": "CAF", "count": 3 }])
    );
}

/// An entry's writes stand or fall together: when the last of them (the monthly summary)
/// fails, the entry, its audit line and its daily summary are not kept either, on both
/// databases (one statement on PostgreSQL, one list in a transaction on SQLite).
#[tokio::test]
async fn an_entry_whose_summary_cannot_be_written_leaves_nothing_behind() {
    let app = spawn_app().await;
    let refuse = match app.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => vec![
            "CREATE FUNCTION refuse_summary() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'summary refused'; END $$",
            "CREATE TRIGGER refuse_summary BEFORE INSERT ON report_monthly \
             FOR EACH ROW EXECUTE FUNCTION refuse_summary()",
        ],
        _ => vec![
            "CREATE TRIGGER refuse_summary BEFORE INSERT ON report_monthly \
             BEGIN SELECT RAISE(ABORT, 'summary refused'); END",
        ],
    };
    for sql in refuse {
        app.db
            .execute_unprepared(sql)
            .await
            .expect("refusing trigger");
    }
    let counts = || async {
        let mut counts = Vec::new();
        for table in [
            "report_entry",
            "report_daily",
            "report_monthly",
            "audit_log",
        ] {
            let row = app
                .db
                .query_one_raw(sea_orm::Statement::from_string(
                    app.db.get_database_backend(),
                    format!("SELECT COUNT(*) AS n FROM {table}"),
                ))
                .await
                .expect("count")
                .expect("a row");
            counts.push(row.try_get::<i64>("", "n").expect("n"));
        }
        counts
    };
    let before = counts().await;
    let failed = app
        .query_as(AGENT_LILLE, RECORD, entry(&app, "DEMO-59-01", "CAF", 1, 10))
        .await;
    assert!(failed["data"].is_null(), "{failed}");
    assert_eq!(error_codes(&failed), ["INTERNAL"], "{failed}");
    assert_eq!(counts().await, before, "nothing kept");

    // Once the summary can be written again, the same entry is recorded whole.
    let drop = match app.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "DROP TRIGGER refuse_summary ON report_monthly",
        _ => "DROP TRIGGER refuse_summary",
    };
    app.db
        .execute_unprepared(drop)
        .await
        .expect("drop the refusing trigger");
    let recorded = app
        .query_as(AGENT_LILLE, RECORD, entry(&app, "DEMO-59-01", "CAF", 1, 10))
        .await;
    assert!(data(&recorded)["recordReportEntry"]["id"].is_string());
    let after = counts().await;
    assert_eq!(after[0], before[0] + 1, "one entry");
    assert_eq!(after[3], before[3] + 1, "one audit line");
}

/// The entries of `table` (a month's partition, the default one, or the whole table).
async fn rows_in(app: &TestApp, table: &str) -> i64 {
    app.db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .expect("count")
        .expect("a row")
        .try_get::<i64>("", "n")
        .expect("n")
}

/// Records one entry of `partner` in `structure` as `email` per number of days ago; their ids.
async fn record_on(
    app: &TestApp,
    email: &str,
    (structure, partner): (&str, &str),
    days_ago: &[u64],
) -> Vec<Value> {
    let mut ids = Vec::new();
    for days in days_ago {
        let recorded = app
            .query_as(email, RECORD, entry(app, structure, partner, *days, 10))
            .await;
        assert!(recorded["errors"].is_null(), "{recorded}");
        ids.push(data(&recorded)["recordReportEntry"]["id"].clone());
    }
    ids
}

/// The ids of every entry the prefect of Nord reads, superseded ones included, sorted.
async fn listed_ids(app: &TestApp) -> Vec<String> {
    let response = app.query_as(PREFECT_59, LIST, json!({ "all": true })).await;
    let mut ids: Vec<String> = data(&response)["reportEntries"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
        .collect();
    ids.sort_unstable();
    ids
}

/// On PostgreSQL `report_entry` is partitioned by month (migration 35). Entries of a month
/// without its partition wait in the default one; making the month later moves them there,
/// and reads, corrections and the dashboards see the same entries before and after. On
/// SQLite there is one table and nothing to make. Two corrections of one entry at once:
/// exactly one is kept (PostgreSQL cannot keep `corrects_id` unique across months, the
/// correction's guarded update does it).
#[tokio::test]
async fn a_month_partitioned_after_its_entries_were_written_keeps_them_all() {
    use maillage::service::reporting;
    let app = spawn_app().await;
    let postgres = app.db.get_database_backend() == sea_orm::DbBackend::Postgres;
    let ids = record_on(&app, AGENT_LILLE, ("DEMO-59-01", "CAF"), &[0, 40, 330]).await;
    let before = listed_ids(&app).await;
    assert_eq!(before.len(), 3);
    if postgres {
        assert_eq!(
            rows_in(&app, "report_entry_default").await,
            3,
            "no month made yet"
        );
    }

    let made = reporting::keep_months(&app.db, app.today())
        .await
        .expect("months");
    let this_month = format!("report_entry_{}", app.today().format("%Y_%m"));
    if postgres {
        // Twelve months back (366 days), this one and three ahead.
        assert!((16..=17).contains(&made), "{made} months made");
        assert_eq!(rows_in(&app, "report_entry_default").await, 0);
        assert!(rows_in(&app, &this_month).await >= 1);
    } else {
        assert_eq!(made, 0);
    }
    assert_eq!(
        reporting::keep_months(&app.db, app.today())
            .await
            .expect("months"),
        0,
        "each month is made once"
    );
    assert_eq!(listed_ids(&app).await, before, "the same entries");

    // A new entry goes straight to its month.
    app.query_as(AGENT_LILLE, RECORD, entry(&app, "DEMO-59-01", "MSA", 0, 5))
        .await;
    if postgres {
        assert_eq!(rows_in(&app, "report_entry_default").await, 0);
    }
    assert_eq!(rows_in(&app, "report_entry").await, 4);

    // Two corrections of the entry of 40 days ago at once, to another month.
    let correction = |partner: &str| {
        let input = entry(&app, "DEMO-59-01", partner, 10, 25)["input"].clone();
        json!({ "e": ids[1], "input": input, "r": "Wrong partner" })
    };
    let (first, second) = tokio::join!(
        app.query_as(AGENT_LILLE, CORRECT, correction("DGFIP")),
        app.query_as(AGENT_LILLE, CORRECT, correction("ASSURANCE_MALADIE")),
    );
    let kept: Vec<&Value> = [&first, &second]
        .into_iter()
        .filter(|r| r["errors"].is_null())
        .collect();
    assert_eq!(kept.len(), 1, "{first} {second}");
    let lost = if first["errors"].is_null() {
        &second
    } else {
        &first
    };
    refused(lost, "CONFLICT");
    assert_eq!(total(&app, PREFECT_59, false).await, 4);
    assert_eq!(total(&app, PREFECT_59, true).await, 5);
    let figures = app
        .query_as(
            PREFECT_59,
            "{ dashboard { reporting { total byPartner { key count } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&figures)["dashboard"]["reporting"]["total"],
        4,
        "{figures}"
    );
}

/// Migration 35 over an existing database: the entries are moved into their months'
/// partitions with their identifiers, and a new entry's identifier follows theirs; undone,
/// the table is whole again. (On SQLite the migration leaves the table as it is.)
#[tokio::test]
async fn partitioning_an_existing_database_keeps_every_entry_and_its_identifier() {
    use migration::{Migrator, MigratorTrait};
    let app = spawn_app().await;
    let postgres = app.db.get_database_backend() == sea_orm::DbBackend::Postgres;
    record_on(&app, AGENT_LILLE, ("DEMO-59-01", "CAF"), &[1, 35, 200]).await;
    let before = listed_ids(&app).await;
    assert_eq!(before.len(), 3);
    let last = || async {
        app.db
            .query_one_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                "SELECT MAX(id) AS n FROM report_entry",
            ))
            .await
            .expect("max")
            .expect("a row")
            .try_get::<i64>("", "n")
            .expect("n")
    };
    let last_before = last().await;
    Migrator::down(&app.db, Some(1)).await.expect("down");
    assert_eq!(listed_ids(&app).await, before, "undone, the same entries");
    Migrator::up(&app.db, None).await.expect("up");
    assert_eq!(
        listed_ids(&app).await,
        before,
        "partitioned, the same entries"
    );
    if postgres {
        assert_eq!(rows_in(&app, "report_entry_default").await, 0);
        let month = app.today().checked_sub_days(Days::new(200)).expect("date");
        let table = format!("report_entry_{}", month.format("%Y_%m"));
        assert!(rows_in(&app, &table).await >= 1, "{table}");
    }
    assert_eq!(last().await, last_before);
    let recorded = app
        .query_as(AGENT_LILLE, RECORD, entry(&app, "DEMO-59-01", "MSA", 0, 5))
        .await;
    assert!(data(&recorded)["recordReportEntry"]["id"].is_string());
    assert_eq!(last().await, last_before + 1, "the next identifier");
    assert_eq!(listed_ids(&app).await.len(), 4);
}

/// `totalCount` of the current entries of whole departments (the nation, a prefect's) is
/// summed from the summaries; it equals the number of entries listed with the same filter
/// for every period — whole months, parts of months at either end, one day, none, open
/// ends — after a correction, for each slice: the nation, a department, a structure's agent
/// (counted from its entries), another department, and superseded entries included.
#[tokio::test]
async fn the_total_count_equals_the_entries_listed_for_every_period_and_slice() {
    use maillage::domain::enums::Role;
    use maillage::service::users::{self, ScopeArgs};
    let app = spawn_app().await;
    let scope = ScopeArgs {
        structure: Some("DEMO-23-01".into()),
        ..Default::default()
    };
    users::grant(&app.db, "agent.gueret@t.fr", Role::Agent, &scope, app.now())
        .await
        .expect("grant");
    let ids = record_on(
        &app,
        AGENT_LILLE,
        ("DEMO-59-01", "CAF"),
        &[0, 1, 29, 30, 31, 60, 95, 200, 364],
    )
    .await;
    record_on(
        &app,
        "agent.gueret@t.fr",
        ("DEMO-23-01", "MSA"),
        &[2, 45, 300],
    )
    .await;
    // The entry of 60 days ago, corrected to 10 days ago.
    let fixed = entry(&app, "DEMO-59-01", "DGFIP", 10, 10)["input"].clone();
    let corrected = app
        .query_as(
            AGENT_LILLE,
            CORRECT,
            json!({ "e": ids[5], "input": fixed, "r": "Wrong partner" }),
        )
        .await;
    assert!(corrected["errors"].is_null(), "{corrected}");

    let day = |days_ago: u64| {
        json!(
            app.today()
                .checked_sub_days(Days::new(days_ago))
                .expect("date")
                .to_string()
        )
    };
    let periods = [
        (None, None),
        (Some(day(31)), Some(day(0))),
        (Some(day(95)), Some(day(29))),
        (Some(day(30)), Some(day(30))),
        (Some(day(400)), None),
        (None, Some(day(61))),
        (Some(day(10)), Some(day(200))),
    ];
    let query = "query($f: ReportEntryFilterInput) { reportEntries(first: 100, filter: $f) {
        totalCount edges { node { id } } } }";
    let mut seen = Vec::new();
    for (email, all) in [
        (ANCT, false),
        (PREFECT_59, false),
        (PREFECT_23, false),
        (AGENT_LILLE, false),
        (ANCT, true),
    ] {
        for (from, to) in &periods {
            let filter = json!({ "from": from, "to": to, "includeSuperseded": all });
            let response = app.query_as(email, query, json!({ "f": filter })).await;
            let connection = &data(&response)["reportEntries"];
            let listed = connection["edges"].as_array().expect("edges").len();
            assert_eq!(
                connection["totalCount"], listed,
                "{email}, {from:?} to {to:?}, superseded included: {all}"
            );
            seen.push(listed);
        }
    }
    // The periods do cut: not every count is the same.
    assert_eq!(seen[..7], [12, 7, 5, 1, 12, 4, 0], "nation: {seen:?}");
    assert_eq!(seen[7..14], [9, 6, 4, 1, 9, 3, 0], "Nord: {seen:?}");
    assert_eq!(seen[14..21], [3, 1, 1, 0, 3, 1, 0], "Creuse: {seen:?}");
    assert_eq!(seen[21..28], seen[7..14], "Lille's agent: {seen:?}");
    assert_eq!(
        seen[28..],
        [13, 7, 6, 1, 13, 4, 0],
        "with superseded: {seen:?}"
    );
    refused(
        &app.post(None, query, json!({ "f": { "from": day(31) } }))
            .await,
        "UNAUTHENTICATED",
    );
}

/// A period covering most of a month is read from the month's summary less the days it
/// leaves out: the count and the dashboard leave those days' entries out, and keep the rest.
#[tokio::test]
async fn a_period_over_most_of_a_month_leaves_out_exactly_the_days_outside_it() {
    let app = spawn_app().await;
    let today = app.today();
    let first = today
        .checked_sub_days(Days::new(100))
        .and_then(|d| d.with_day(1))
        .expect("a first day");
    let end = first
        .checked_add_months(chrono::Months::new(1))
        .expect("next month");
    let ago = |day: chrono::NaiveDate| u64::try_from((today - day).num_days()).expect("past");
    // The 1st, 2nd, 6th and last day of the month, and the 1st of the next.
    let days = [
        first,
        first + Days::new(1),
        first + Days::new(5),
        end.pred_opt().expect("last day"),
        end,
    ];
    record_on(&app, AGENT_LILLE, ("DEMO-59-01", "CAF"), &days.map(ago)).await;
    let date = |d: chrono::NaiveDate| json!(d.to_string());
    let count = "query($f: ReportEntryFilterInput) { reportEntries(first: 100, filter: $f) {
        totalCount edges { node { id } } } }";
    let figures = "query($f: DashboardFilterInput) { dashboard(filter: $f) {
        reporting { total byMonth { key count } byPartner { key count } } } }";
    let periods = [
        // Most of the month: its 2nd to its end, its 1st to the day before its end, inside.
        ((first + Days::new(1), end.pred_opt().expect("d")), 3),
        ((first, end - Days::new(2)), 3),
        ((first + Days::new(1), end - Days::new(2)), 2),
        // Across the month's end.
        ((first + Days::new(1), end), 4),
    ];
    for email in [ANCT, PREFECT_59, AGENT_LILLE, PREFECT_23] {
        for ((from, to), expected) in periods {
            let expected = if email == PREFECT_23 { 0 } else { expected };
            let case = format!("{email}, {from} to {to}");
            let period = json!({ "f": { "from": date(from), "to": date(to) } });
            let response = app.query_as(email, count, period.clone()).await;
            let connection = &data(&response)["reportEntries"];
            assert_eq!(connection["totalCount"], expected, "{case}");
            assert_eq!(
                connection["edges"].as_array().expect("edges").len(),
                expected,
                "{case}"
            );
            let response = app.query_as(email, figures, period).await;
            let reporting = &data(&response)["dashboard"]["reporting"];
            assert_eq!(reporting["total"], expected, "{case}");
            if expected > 0 {
                assert_eq!(
                    reporting["byPartner"],
                    json!([{ "key": "CAF", "count": expected }]),
                    "{case}"
                );
            }
        }
    }
    refused(
        &app.post(None, count, json!({ "f": { "from": date(first) } }))
            .await,
        "UNAUTHENTICATED",
    );
}
