//! Dashboard figures kept between requests while the data under them is unchanged (issue 17,
//! goal 2): the data's version, raised by triggers, decides; every replica sees a change at
//! its next request, whatever wrote it.
use std::collections::BTreeSet;

use maillage::service::figure_memo;
use migration::m20261202_000033_data_version::UNVERSIONED;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::helpers::*;

const MISSING: &str = "{ dashboard { missingReferents { key count } } }";
const REFERENT: &str = "mutation($n: String!) { createReferent(input: { partner: \"CAF\", \
    department: \"59\", kind: BACK_OFFICE, name: $n, email: \"paul@caf.fr\" }) { id } }";

/// Rows of `sql`, first column as text.
async fn names(app: &TestApp, sql: &str) -> BTreeSet<String> {
    let backend = app.db.get_database_backend();
    app.db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .expect(sql)
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("a name"))
        .collect()
}

#[tokio::test]
async fn every_table_but_the_fast_moving_ones_raises_the_data_version() {
    let app = spawn_app().await;
    let (tables, watched) = match app.db.get_database_backend() {
        DbBackend::Postgres => (
            names(
                &app,
                // A partition (a month of `report_entry`) is part of its table.
                "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
                 AND NOT c.relispartition",
            )
            .await,
            names(
                &app,
                "SELECT c.relname::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
                 WHERE t.tgname = 'maillage_data_changed' AND t.tgdeferrable AND t.tginitdeferred",
            )
            .await,
        ),
        _ => {
            let tables = names(
                &app,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .await;
            // A table is watched when it has its three triggers (insert, update, delete).
            let mut watched = BTreeSet::new();
            for table in &tables {
                let triggers = names(
                    &app,
                    &format!(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '{table}' \
                         AND name LIKE 'maillage_data_changed_%'"
                    ),
                )
                .await;
                if triggers.len() == 3 {
                    watched.insert(table.clone());
                }
            }
            (tables, watched)
        }
    };
    assert!(tables.len() > 40, "{tables:?}");
    let expected: BTreeSet<String> = tables
        .iter()
        .filter(|t| !UNVERSIONED.contains(&t.as_str()))
        .cloned()
        .collect();
    assert_eq!(
        watched, expected,
        "a new table needs the data version's triggers (migration 33's `watch`), or a place \
         in UNVERSIONED if no kept dashboard figure reads it"
    );
    for table in UNVERSIONED {
        assert!(tables.contains(table), "{table} is not a table");
    }
}

#[tokio::test]
async fn a_kept_figure_changes_at_once_through_every_replica_whatever_wrote_the_change() {
    let app = spawn_app().await;
    let replica = app.replica().await;
    let token = app.token(PREFECT_59).await;
    let missing = |body: &Value| data(body)["dashboard"]["missingReferents"].clone();
    let on_replica = || async {
        missing(
            &app.post_to(&replica, Some(&token), MISSING, Value::Null)
                .await,
        )
    };
    let before = on_replica().await;
    assert_eq!(before, json!([{ "key": "59", "count": 9 }]));

    // A referent added through the first replica: the second computes again.
    data(
        &app.query_as(PREFECT_59, REFERENT, json!({ "n": "Paul Martin" }))
            .await,
    );
    data(
        &app.query_as(PREFECT_59, REFERENT, json!({ "n": "Léa Martin" }))
            .await,
    );
    let after = json!([{ "key": "59", "count": 8 }]);
    assert_eq!(on_replica().await, after);
    assert_eq!(
        missing(&app.query_as(PREFECT_59, MISSING, json!({})).await),
        after
    );

    // The figure is kept: with the version put back by hand after a change, the change is not
    // seen (this is what the triggers prevent) …
    let version = figure_memo::version(&app.db).await.expect("version");
    app.db
        .execute_unprepared("DELETE FROM referent")
        .await
        .expect("delete");
    assert!(figure_memo::version(&app.db).await.expect("version") > version);
    app.db
        .execute_unprepared(&format!("UPDATE data_version SET version = {version}"))
        .await
        .expect("put back");
    assert_eq!(
        on_replica().await,
        after,
        "served from what the replica kept"
    );
    // … and raised, it is, on every replica.
    app.db
        .execute_unprepared("UPDATE data_version SET version = version + 1")
        .await
        .expect("raise");
    assert_eq!(on_replica().await, before);
    assert_eq!(
        missing(&app.query_as(PREFECT_59, MISSING, json!({})).await),
        before
    );
}

#[tokio::test]
async fn the_reporting_tool_leaves_the_data_version_alone() {
    let app = spawn_app().await;
    let version = figure_memo::version(&app.db).await.expect("version");
    record_in_lille(&app).await;
    assert_eq!(
        figure_memo::version(&app.db).await.expect("version"),
        version
    );
    // The reporting figures are computed at each request: the entry is counted at once.
    let total = app
        .query_as(
            PREFECT_59,
            "{ dashboard { reporting { total } } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&total)["dashboard"]["reporting"]["total"], 1);
}

#[tokio::test]
async fn a_dashboard_asked_again_reads_only_the_figures_that_are_not_kept() {
    let app = spawn_app().await;
    let every = "{ dashboard { reporting { total byMonth { key count } byPartner { key count }
        byTheme { key count } byDepartment { key count } }
        supportRequests { total late byPartner { key count } }
        answerDelays { partner answered } missingReferents { key count }
        labelPipeline { byStatus { key count } reauditsDue } complianceGaps { criterion unmet }
        assessmentGap { criterion gap } training { agents qualified }
        satisfaction { audience answers } mysteryVisits { department visits }
        coverage { department covered } funding { key count } } }";
    let computed = "{ dashboard { reporting { total byMonth { key count } byPartner { key count }
        byTheme { key count } byDepartment { key count } } } }";
    let cost = |query: &'static str| {
        let app = &app;
        async move {
            let before = app.statements();
            let response = app.query_as(PREFECT_59, query, json!({})).await;
            data(&response);
            app.statements() - before
        }
    };
    let first = cost(every).await;
    let again = cost(every).await;
    let unkept = cost(computed).await;
    // Asked again, the kept groups cost nothing; the data's version is read once.
    assert_eq!(
        again,
        unkept + 1,
        "first {first}, again {again}, unkept {unkept}"
    );
    assert!(first >= again + 10, "first {first}, again {again}");
}

#[tokio::test]
async fn a_kept_request_count_turns_late_when_its_due_date_passes() {
    let app = spawn_app().await;
    data(
        &app.query_as(PREFECT_59, REFERENT, json!({ "n": "Paul Martin" }))
            .await,
    );
    let send = "mutation { sendSupportRequest(input: { structure: \"DEMO-59-01\", partner: \"CAF\",
        subject: \"S\", description: \"D\", citizenName: \"C\" }) { id } }";
    data(&app.query_as(AGENT_LILLE, send, json!({})).await);
    let figures = "{ dashboard { supportRequests { total late lateByPartner { key count } } } }";
    let ask = || async {
        data(&app.query_as(PREFECT_59, figures, json!({})).await)["dashboard"]["supportRequests"]
            .clone()
    };
    let on_time = json!({ "total": 1, "late": 0, "lateByPartner": [] });
    assert_eq!(ask().await, on_time);
    assert_eq!(ask().await, on_time, "asked again, from what was kept");
    // Days later, unanswered: late, with no change to the data.
    let version = figure_memo::version(&app.db).await.expect("version");
    app.time.advance(chrono::TimeDelta::days(8));
    assert_eq!(
        ask().await,
        json!({ "total": 1, "late": 1, "lateByPartner": [{ "key": "CAF", "count": 1 }] })
    );
    assert_eq!(
        figure_memo::version(&app.db).await.expect("version"),
        version
    );
}

const TOTAL: &str = "{ dashboard { reporting { total byDepartment { key count } } } }";

/// An entry of Lille's structure, today, recorded by its agent.
async fn record_in_lille(app: &TestApp) {
    let record = "mutation($input: ReportEntryInput!) { recordReportEntry(input: $input) { id } }";
    let input = json!({ "input": { "structure": "DEMO-59-01", "occurredOn": app.day(0),
        "partner": "CAF", "theme": "OTHER", "helpKind": "INFORMATION",
        "resolvedOnSite": true, "durationMinutes": 10 } });
    data(&app.query_as(AGENT_LILLE, record, input).await);
}

#[tokio::test]
async fn a_dashboard_asked_after_an_entry_counts_it_on_every_replica_though_reporting_is_shared() {
    let app = spawn_app().await;
    let replica = app.replica().await;
    let total = |body: &Value| data(body)["dashboard"]["reporting"]["total"].clone();
    let token = app.token(ANCT).await;
    let on_replica = || async {
        total(
            &app.post_to(&replica, Some(&token), TOTAL, Value::Null)
                .await,
        )
    };
    // Each replica computes (and shares) the national figures, then an entry arrives: a
    // request sent after it was recorded never takes a computation that started before.
    assert_eq!(total(&app.query_as(ANCT, TOTAL, json!({})).await), 0);
    assert_eq!(on_replica().await, 0);
    for expected in 1..=3 {
        record_in_lille(&app).await;
        assert_eq!(on_replica().await, expected);
        assert_eq!(total(&app.query_as(ANCT, TOTAL, json!({})).await), expected);
    }
    // A computation is shared within its slice only: the prefect of Creuse sees none of
    // Lille's entries, and an anonymous caller is refused.
    assert_eq!(total(&app.query_as(PREFECT_23, TOTAL, json!({})).await), 0);
    crate::workflow::refused(&app.post(None, TOTAL, Value::Null).await, "UNAUTHENTICATED");
}

#[tokio::test]
async fn national_dashboards_asked_at_once_share_their_reporting_computation() {
    let app = spawn_app().await;
    record_in_lille(&app).await;
    let token = app.token(ANCT).await;
    let ask = || app.post(Some(&token), TOTAL, Value::Null);
    let before = app.statements();
    let alone = data(&ask().await).clone();
    let one = app.statements() - before;
    assert_eq!(alone["dashboard"]["reporting"]["total"], 1);

    // Eight at once: they queue at the heavy gate, and those that arrived before a
    // computation started take its figures instead of reading them again.
    let before = app.statements();
    let answers = futures::future::join_all((0..8).map(|_| ask())).await;
    let eight = app.statements() - before;
    for answer in &answers {
        assert_eq!(data(answer), &alone);
    }
    assert!(eight < 8 * one, "eight at once {eight}, one alone {one}");
}
