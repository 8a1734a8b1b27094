//! Re-audits of labelled structures and the operating lump sum by the years a
//! label stood, through GraphQL at a pinned clock.
use chrono::{DateTime, Months, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::helpers::*;

const STATE: &str = "query($m: String!) { structure(matricule: $m) {
    labelStatus labelVersion reauditState reauditDue reauditDueOn reauditedOn remarksDueOn
    labelApplications { priority audit { id priority reaudit outcome } } } }";
const SCHEDULE: &str = "mutation($m: String!, $v: Int!, $on: Date!) {
    scheduleLabelAudit(structure: $m, expectedVersion: $v, auditor: \"auditeur@demo.maillage.fr\",
        scheduledOn: $on) { labelStatus labelVersion reauditState } }";
const RECORD: &str = "mutation($a: ID!, $c: String!, $met: Boolean!) {
    recordAuditResult(audit: $a, criterion: $c, met: $met) { id } }";
const SUBMIT: &str = "mutation($a: ID!) { submitAudit(audit: $a) { outcome reasons } }";
const PIPELINE: &str = "{ dashboard { labelPipeline {
    reauditsDue reauditsScheduled reauditsOverdue withdrawalsDue } } }";
const GRANT: &str = "mutation($m: String!, $y: Int!) {
    grantFunding(input: { structure: $m, kind: OPERATING, year: $y }) { year amountEuros } }";

fn at(date: &str) -> DateTime<Utc> {
    format!("{date}T10:00:00Z").parse().expect("instant")
}

async fn state(app: &TestApp, matricule: &str) -> Value {
    let response = app.query_as(ANCT, STATE, json!({ "m": matricule })).await;
    data(&response)["structure"].clone()
}

/// ANCT schedules the re-audit of `matricule`; returns the new audit's id.
async fn schedule(app: &TestApp, matricule: &str) -> Value {
    let version = state(app, matricule).await["labelVersion"].clone();
    let response = app
        .query_as(
            ANCT,
            SCHEDULE,
            json!({ "m": matricule, "v": version, "on": app.today().to_string() }),
        )
        .await;
    assert_eq!(
        data(&response)["scheduleLabelAudit"]["labelStatus"],
        "LABELLED"
    );
    state(app, matricule).await["labelApplications"][0]["audit"]["id"].clone()
}

/// The auditor records the 30 criteria (all met but `unmet`) and submits.
async fn conduct(app: &TestApp, audit: &Value, unmet: &[&str]) -> Value {
    for i in 1..=30 {
        let code = format!("C{i:02}");
        let met = !unmet.contains(&code.as_str());
        data(
            &app.query_as(
                AUDITOR,
                RECORD,
                json!({ "a": audit, "c": code, "met": met }),
            )
            .await,
        );
    }
    let response = app.query_as(AUDITOR, SUBMIT, json!({ "a": audit })).await;
    data(&response)["submitAudit"].clone()
}

async fn pipeline(app: &TestApp, email: &str) -> Value {
    let response = app.query_as(email, PIPELINE, Value::Null).await;
    data(&response)["dashboard"]["labelPipeline"].clone()
}

#[tokio::test]
async fn a_label_is_reaudited_while_it_stands_and_a_failed_priority_reaudit_leads_to_withdrawal() {
    let app = spawn_app().await;
    app.time.set(at("2026-11-30"));
    let today: NaiveDate = "2026-11-30".parse().expect("date");
    // DEMO-59-01 was labelled on 2020-01-01: due since 2023.
    let before = state(&app, "DEMO-59-01").await;
    assert_eq!(before["reauditState"], "DUE");
    assert_eq!(before["reauditDue"], true);
    assert_eq!(before["reauditDueOn"], "2023-01-01");
    let figures = pipeline(&app, PREFECT_59).await;
    assert_eq!(figures["reauditsDue"], 3);

    // Who schedules: ANCT only; another department's prefect does not find the structure.
    let vars = json!({ "m": "DEMO-59-01", "v": before["labelVersion"], "on": "2026-12-10" });
    assert_eq!(
        error_codes(&app.query_as(PREFECT_59, SCHEDULE, vars.clone()).await),
        ["FORBIDDEN"]
    );
    assert_eq!(
        error_codes(&app.query_as(PREFECT_23, SCHEDULE, vars.clone()).await),
        ["NOT_FOUND"]
    );
    assert_eq!(
        error_codes(&app.post(None, SCHEDULE, vars.clone()).await),
        ["UNAUTHENTICATED"]
    );

    let audit = schedule(&app, "DEMO-59-01").await;
    let scheduled = state(&app, "DEMO-59-01").await;
    assert_eq!(scheduled["labelStatus"], "LABELLED");
    assert_eq!(scheduled["reauditState"], "SCHEDULED");
    assert_eq!(scheduled["labelApplications"][0]["audit"]["reaudit"], true);
    assert_eq!(scheduled["labelApplications"][0]["priority"], false);
    let again = app
        .query_as(
            ANCT,
            SCHEDULE,
            json!({ "m": "DEMO-59-01", "v": scheduled["labelVersion"], "on": "2026-12-10" }),
        )
        .await;
    assert_eq!(error_codes(&again), ["CONFLICT"]);
    let figures = pipeline(&app, PREFECT_59).await;
    assert_eq!(
        (
            figures["reauditsDue"].clone(),
            figures["reauditsScheduled"].clone()
        ),
        (json!(2), json!(1))
    );

    // Failed: the label stands, the prefecture has three months for the remarks.
    let submitted = conduct(&app, &audit, &["C15"]).await;
    assert_eq!(
        submitted,
        json!({ "outcome": "FAILED", "reasons": ["C15"] })
    );
    let failed = state(&app, "DEMO-59-01").await;
    assert_eq!(failed["labelStatus"], "LABELLED");
    assert_eq!(failed["reauditState"], "REMARKS");
    let remarks_due = today.checked_add_months(Months::new(3)).expect("date");
    assert_eq!(failed["remarksDueOn"], remarks_due.to_string());
    // Four months on, the priority re-audit is overdue.
    app.time.set(at("2027-03-31"));
    assert_eq!(state(&app, "DEMO-59-01").await["reauditState"], "OVERDUE");
    assert_eq!(pipeline(&app, ANCT).await["reauditsOverdue"], 1);

    // The priority re-audit passes: the 3-year clock restarts from it.
    let priority = schedule(&app, "DEMO-59-01").await;
    assert_eq!(
        state(&app, "DEMO-59-01").await["labelApplications"][0]["audit"]["priority"],
        true
    );
    assert_eq!(conduct(&app, &priority, &[]).await["outcome"], "PASSED");
    let passed = state(&app, "DEMO-59-01").await;
    assert_eq!(passed["reauditState"], "NOT_DUE");
    assert_eq!(passed["reauditedOn"], "2027-03-31");
    assert_eq!(passed["reauditDueOn"], "2030-03-31");
    assert_eq!(passed["remarksDueOn"], Value::Null);

    // DEMO-59-02 fails twice: the label is for ANCT to withdraw, not to re-audit again.
    let first = schedule(&app, "DEMO-59-02").await;
    conduct(&app, &first, &["C16"]).await;
    let second = schedule(&app, "DEMO-59-02").await;
    conduct(&app, &second, &["C16"]).await;
    let twice = state(&app, "DEMO-59-02").await;
    assert_eq!(twice["labelStatus"], "LABELLED");
    assert_eq!(twice["reauditState"], "WITHDRAWAL_DUE");
    assert_eq!(pipeline(&app, PREFECT_59).await["withdrawalsDue"], 1);
    let third = app
        .query_as(
            ANCT,
            SCHEDULE,
            json!({ "m": "DEMO-59-02", "v": twice["labelVersion"], "on": "2027-04-10" }),
        )
        .await;
    assert_eq!(error_codes(&third), ["CONFLICT"]);
    let withdraw = "mutation($m: String!, $v: Int!) {
        withdrawLabel(structure: $m, expectedVersion: $v, reason: \"Re-audit prioritaire échoué\") {
            labelStatus reauditState } }";
    let withdrawn = app
        .query_as(
            ANCT,
            withdraw,
            json!({ "m": "DEMO-59-02", "v": twice["labelVersion"] }),
        )
        .await;
    assert_eq!(
        data(&withdrawn)["withdrawLabel"],
        json!({ "labelStatus": "WITHDRAWN", "reauditState": "NOT_DUE" })
    );
    assert_eq!(pipeline(&app, ANCT).await["withdrawalsDue"], 0);
}

#[tokio::test]
async fn the_operating_lump_sum_of_a_year_needs_the_label_during_that_year() {
    let app = spawn_app().await;
    app.time.set(at("2026-11-30"));
    // DEMO-23-02 was labelled on 2022-09-01: nothing for 2021, due from 2022.
    let before = app
        .query_as(PREFECT_23, GRANT, json!({ "m": "DEMO-23-02", "y": 2021 }))
        .await;
    assert_eq!(error_codes(&before), ["BAD_USER_INPUT"]);
    let message = before["errors"][0]["message"].as_str().expect("message");
    assert!(message.contains("not labelled during 2021"), "{message}");
    let granted = app
        .query_as(PREFECT_23, GRANT, json!({ "m": "DEMO-23-02", "y": 2022 }))
        .await;
    assert_eq!(data(&granted)["grantFunding"]["amountEuros"], 30000);

    // DEMO-23-01, labelled in 2020, loses its label today: its earlier years stay due, the
    // next one is not.
    let version = app
        .query_as(
            ANCT,
            "{ structure(matricule: \"DEMO-23-01\") { labelVersion } }",
            Value::Null,
        )
        .await;
    let withdraw = "mutation($v: Int!) { withdrawLabel(structure: \"DEMO-23-01\",
        expectedVersion: $v, reason: \"Fermeture\") { labelStatus } }";
    data(
        &app.query_as(
            ANCT,
            withdraw,
            json!({ "v": data(&version)["structure"]["labelVersion"] }),
        )
        .await,
    );
    for (year, allowed) in [(2021, true), (2026, true), (2027, false)] {
        let response = app
            .query_as(PREFECT_23, GRANT, json!({ "m": "DEMO-23-01", "y": year }))
            .await;
        if allowed {
            assert_eq!(data(&response)["grantFunding"]["year"], year);
        } else {
            assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{year}");
        }
    }
    // Out of scope and anonymous callers grant nothing.
    let other = app
        .query_as(PREFECT_59, GRANT, json!({ "m": "DEMO-23-01", "y": 2022 }))
        .await;
    assert_eq!(error_codes(&other), ["NOT_FOUND"]);
    let anonymous = app
        .post(None, GRANT, json!({ "m": "DEMO-23-01", "y": 2022 }))
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
}
