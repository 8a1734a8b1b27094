//! Criteria computed from recorded data (issue 15, point 3): premises and equipment (C15,
//! C16, C19, C20) from the facts the prefecture records, unit reporting (C24) from the
//! report entries of the last complete month, the users' survey (C25) from the current
//! campaign's answers; each MET, NOT_MET and UNKNOWN through GraphQL, at a pinned clock.
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::helpers::*;

const COMPLIANCE: &str = "query($m: String!) { structure(matricule: $m) {
    compliance { criterion { code } computed evidence } } }";
const UPDATE: &str = "mutation($m: String!, $v: Int!, $input: StructureFactsInput!) {
    updateStructure(structure: $m, expectedVersion: $v, input: $input) { factsVersion } }";

fn at(instant: &str) -> DateTime<Utc> {
    instant.parse().expect("instant")
}

/// The computed status of each of `codes` for `matricule`, as `email` reads it.
async fn computed(app: &TestApp, email: &str, matricule: &str, codes: &[&str]) -> Vec<String> {
    let response = app
        .query_as(email, COMPLIANCE, json!({ "m": matricule }))
        .await;
    let list = data(&response)["structure"]["compliance"]
        .as_array()
        .expect("compliance")
        .clone();
    codes
        .iter()
        .map(|code| {
            let row = list
                .iter()
                .find(|c| c["criterion"]["code"] == *code)
                .unwrap_or_else(|| panic!("no {code}"));
            row["computed"].as_str().expect("computed").to_owned()
        })
        .collect()
}

#[tokio::test]
async fn premises_and_equipment_criteria_follow_the_recorded_facts() {
    let app = spawn_app().await;
    let codes = ["C15", "C16", "C19", "C20"];
    // The demo records premises and equipment for its fixed sites: cleared (null), the
    // criteria cannot tell.
    let clear = json!({ "confidentialSpace": null, "pmrAccess": null,
        "freeAccessWorkstation": null, "webcamComputer": null });
    data(
        &app.query_as(
            PREFECT_59,
            UPDATE,
            json!({ "m": "DEMO-59-02", "v": 0, "input": clear }),
        )
        .await,
    );
    assert_eq!(
        computed(&app, ANCT, "DEMO-59-02", &codes).await,
        ["UNKNOWN", "UNKNOWN", "UNKNOWN", "UNKNOWN"]
    );
    let yes = json!({ "confidentialSpace": true, "pmrAccess": true,
        "freeAccessWorkstation": true, "webcamComputer": true });
    data(
        &app.query_as(
            PREFECT_59,
            UPDATE,
            json!({ "m": "DEMO-59-02", "v": 1, "input": yes }),
        )
        .await,
    );
    assert_eq!(
        computed(&app, PREFECT_59, "DEMO-59-02", &codes).await,
        ["MET", "MET", "MET", "MET"]
    );
    let no = json!({ "confidentialSpace": false, "pmrAccess": false,
        "freeAccessWorkstation": false, "webcamComputer": false });
    data(
        &app.query_as(
            ANCT,
            UPDATE,
            json!({ "m": "DEMO-59-02", "v": 2, "input": no }),
        )
        .await,
    );
    assert_eq!(
        computed(&app, ANCT, "DEMO-59-02", &codes).await,
        ["NOT_MET", "NOT_MET", "NOT_MET", "NOT_MET"]
    );
    // Compliance is internal data: an operator reading the structure gets null and an
    // error; another department's prefect does not find it; anonymous callers are refused.
    let operator = app
        .query_as(OPERATOR_CAF, COMPLIANCE, json!({ "m": "DEMO-59-02" }))
        .await;
    assert_eq!(operator["data"]["structure"]["compliance"], Value::Null);
    assert_eq!(error_codes(&operator), ["FORBIDDEN"]);
    let other = app
        .query_as(PREFECT_23, COMPLIANCE, json!({ "m": "DEMO-59-02" }))
        .await;
    assert_eq!(error_codes(&other), ["NOT_FOUND"]);
    let anonymous = app
        .post(None, COMPLIANCE, json!({ "m": "DEMO-59-02" }))
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn unit_reporting_is_read_from_last_months_entries() {
    let app = spawn_app().await;
    app.time.set(at("2026-11-30T10:00:00Z"));
    // DEMO-59-01 has an agent and nothing reported for October; DEMO-59-02 has no agent.
    assert_eq!(
        computed(&app, ANCT, "DEMO-59-01", &["C24"]).await,
        ["NOT_MET"]
    );
    assert_eq!(
        computed(&app, ANCT, "DEMO-59-02", &["C24"]).await,
        ["UNKNOWN"]
    );
    let record = "mutation($d: Date!) { recordReportEntry(input: { structure: \"DEMO-59-01\",
        occurredOn: $d, partner: \"CAF\", theme: \"FAMILY\", helpKind: \"INFORMATION\",
        resolvedOnSite: true, durationMinutes: 15 }) { id } }";
    // An entry of this month does not count for the last complete month.
    data(
        &app.query_as(AGENT_LILLE, record, json!({ "d": "2026-11-03" }))
            .await,
    );
    assert_eq!(
        computed(&app, ANCT, "DEMO-59-01", &["C24"]).await,
        ["NOT_MET"]
    );
    data(
        &app.query_as(AGENT_LILLE, record, json!({ "d": "2026-10-31" }))
            .await,
    );
    let response = app
        .query_as(AGENT_LILLE, COMPLIANCE, json!({ "m": "DEMO-59-01" }))
        .await;
    let c24 = data(&response)["structure"]["compliance"]
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["criterion"]["code"] == "C24")
        .cloned()
        .expect("C24");
    assert_eq!(c24["computed"], "MET");
    assert_eq!(c24["evidence"], "1 requests reported for 2026-10");
    // In December, November's entry is the one that counts.
    app.time.set(at("2026-12-01T10:00:00Z"));
    assert_eq!(computed(&app, ANCT, "DEMO-59-01", &["C24"]).await, ["MET"]);
    app.time.set(at("2027-01-02T10:00:00Z"));
    assert_eq!(
        computed(&app, ANCT, "DEMO-59-01", &["C24"]).await,
        ["NOT_MET"]
    );
}

#[tokio::test]
async fn the_users_survey_criterion_reads_the_current_campaigns_answers() {
    let app = spawn_app().await;
    app.time.set(at("2026-11-30T10:00:00Z"));
    assert_eq!(
        computed(&app, ANCT, "DEMO-59-01", &["C25"]).await,
        ["UNKNOWN"]
    );
    let create = "mutation { createSurveyCampaign(input: { year: 2026, audience: USERS,
        title: \"Enquête 2026\", opensOn: \"2026-11-29\", closesOn: \"2026-12-10\" }) { id } }";
    let campaign =
        data(&app.query_as(ANCT, create, Value::Null).await)["createSurveyCampaign"]["id"].clone();
    let issue =
        "mutation($c: ID!) { issueSurveyCodes(campaign: $c, structure: \"DEMO-59-01\", count: 1) }";
    let codes = data(
        &app.query_as(AGENT_LILLE, issue, json!({ "c": campaign }))
            .await,
    )["issueSurveyCodes"]
        .clone();
    // Open, no answer yet: unknown.
    assert_eq!(
        computed(&app, ANCT, "DEMO-59-01", &["C25"]).await,
        ["UNKNOWN"]
    );
    let answer = "mutation($k: String!) { answerSurvey(code: $k, satisfaction: 4) }";
    data(&app.post(None, answer, json!({ "k": codes[0] })).await);
    assert_eq!(computed(&app, ANCT, "DEMO-59-01", &["C25"]).await, ["MET"]);
    assert_eq!(
        computed(&app, ANCT, "DEMO-59-02", &["C25"]).await,
        ["UNKNOWN"]
    );
    // Closed: a structure without an answer did not take part.
    app.time.set(at("2026-12-20T10:00:00Z"));
    assert_eq!(
        computed(&app, ANCT, "DEMO-59-02", &["C25"]).await,
        ["NOT_MET"]
    );
    assert_eq!(computed(&app, ANCT, "DEMO-59-01", &["C25"]).await, ["MET"]);
}
