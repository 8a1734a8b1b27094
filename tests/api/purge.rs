//! Retention (issue 18): a purge at a pinned clock anonymises exactly what is past its period,
//! leaves every dashboard figure equal, records itself without content, and a dry run changes
//! nothing.
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use maillage::service::purge::{self, PurgeReport, Retention};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::support::{FULL, SEND, WRITE, file, pdf, request, setup};

const DASHBOARD: &str = "{ dashboard { supportRequests { total late byPartner { key count } }
    answerDelays { partner answered medianHours p90Hours }
    satisfaction { audience answers mean } reporting { total } } }";
const CLOSE: &str = "mutation($r: ID!) { closeSupportRequest(request: $r) { status } }";

fn at(instant: &str) -> DateTime<Utc> {
    instant.parse().expect("instant")
}

/// Sends a request with a file, answers it with a file and closes it; returns its id.
async fn answered_and_closed(app: &TestApp) -> Value {
    let files = vec![file("avis.pdf", "application/pdf", &pdf())];
    let sent = app
        .query_as(AGENT_LILLE, SEND, request(files.clone()))
        .await;
    let id = data(&sent)["sendSupportRequest"]["id"].clone();
    app.time.advance(TimeDelta::hours(5));
    let answer = json!({ "r": id, "b": "Dossier débloqué pour Mme Dupont", "f": files });
    data(&app.query_as("caf59@t.fr", WRITE, answer).await);
    data(&app.query_as("caf59@t.fr", CLOSE, json!({ "r": id })).await);
    id
}

#[tokio::test]
async fn a_purge_anonymises_exactly_what_is_past_its_period_and_keeps_every_figure() {
    let app = setup().await;
    app.time.set(at("2026-01-12T09:00:00Z"));
    // Request A closes in January 2026, B in August; a survey comment is given in January.
    let old = answered_and_closed(&app).await;
    let campaign = "mutation { createSurveyCampaign(input: { year: 2026, audience: USERS,
        title: \"Enquête\", opensOn: \"2026-01-01\", closesOn: \"2026-12-31\" }) { id } }";
    let campaign =
        data(&app.query_as(ANCT, campaign, Value::Null).await)["createSurveyCampaign"]["id"]
            .clone();
    let issue =
        "mutation($c: ID!) { issueSurveyCodes(campaign: $c, structure: \"DEMO-59-01\", count: 2) }";
    let codes = data(
        &app.query_as(AGENT_LILLE, issue, json!({ "c": campaign }))
            .await,
    )["issueSurveyCodes"]
        .clone();
    let answer = "mutation($k: String!, $c: String) { answerSurvey(code: $k, satisfaction: 4, comment: $c) }";
    data(
        &app.post(
            None,
            answer,
            json!({ "k": codes[0], "c": "Très bien reçue par Paul" }),
        )
        .await,
    );
    // The operator reads A's content in January (a read-log entry).
    data(&app.query_as("caf59@t.fr", FULL, json!({ "id": old })).await);
    app.time.set(at("2026-08-20T09:00:00Z"));
    let recent = answered_and_closed(&app).await;
    data(
        &app.post(None, answer, json!({ "k": codes[1], "c": "Merci à Léa" }))
            .await,
    );

    // In February 2027, with a year for everything: A, the January comment, the January
    // read and the audit payloads of January are past their period; B and August's are not.
    app.time.set(at("2027-02-01T09:00:00Z"));
    let year = Duration::from_secs(365 * 24 * 3600);
    let retention = Retention {
        support: year,
        survey_comments: year,
        read_log: year,
        audit_payloads: year,
    };
    let before = app.query_as(ANCT, DASHBOARD, Value::Null).await;
    let dry = purge::run(&app.db, &retention, &app.clock(), true)
        .await
        .expect("dry run");
    assert_eq!(dry.support_requests, 1);
    assert_eq!(dry.survey_comments, 1);
    // January's read of A: its details, messages and attachments.
    assert_eq!(dry.read_log, 3);
    assert!(dry.audit_payloads > 0);
    // The dry run changed nothing.
    let untouched = app.query_as("caf59@t.fr", FULL, json!({ "id": old })).await;
    assert_eq!(data(&untouched)["node"]["citizenName"], "Jeanne Dupont");

    let done = purge::run(&app.db, &retention, &app.clock(), false)
        .await
        .expect("purge");
    // The reads since February 2027 (the dry run's check above) are not due: the counts are
    // those of the dry run.
    assert_eq!(done, dry);
    assert_eq!(
        app.query_as(ANCT, DASHBOARD, Value::Null).await,
        before,
        "every dashboard figure is unchanged by the purge"
    );
    let purged = app.query_as("caf59@t.fr", FULL, json!({ "id": old })).await;
    let node = &data(&purged)["node"];
    assert_eq!(node["subject"], purge::PURGED);
    assert_eq!(node["citizenName"], "");
    assert_eq!(node["citizenDetails"], Value::Null);
    assert_eq!(node["description"], "");
    assert_eq!(node["attachments"], json!([]));
    assert!(
        node["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .all(|m| m["body"] == "")
    );
    assert_eq!(node["status"], "CLOSED");
    let kept = app
        .query_as("caf59@t.fr", FULL, json!({ "id": recent }))
        .await;
    assert_eq!(data(&kept)["node"]["citizenName"], "Jeanne Dupont");
    assert_eq!(
        data(&kept)["node"]["attachments"][0]["fileName"],
        "avis.pdf"
    );
    // Survey: the January comment is gone, August's stays; the scores stay.
    let results = "{ structure(matricule: \"DEMO-59-01\") { surveyResults { answers comments } } }";
    let survey = app.query_as(PREFECT_59, results, Value::Null).await;
    assert_eq!(
        data(&survey)["structure"]["surveyResults"][0],
        json!({ "answers": 2, "comments": ["Merci à Léa"] })
    );

    // The run is in the audit log, with counts and no content; a second run finds nothing.
    let log = "{ auditLog(filter: { targetType: \"Retention\" }) { edges { node { action actorEmail after } } } }";
    let entries = app.query_as(ANCT, log, Value::Null).await;
    let entry = &data(&entries)["auditLog"]["edges"][0]["node"];
    assert_eq!(entry["action"], "privacy.purge");
    assert_eq!(entry["actorEmail"], "retention purge");
    assert_eq!(entry["after"]["supportRequests"], 1);
    assert!(!entry.to_string().contains("Dupont"));
    let again = purge::run(&app.db, &retention, &app.clock(), false)
        .await
        .expect("again");
    assert_eq!(again, PurgeReport::default());
}

#[tokio::test]
async fn maillage_purge_dry_run_counts_and_changes_nothing() {
    let app = setup().await;
    let out = crate::cli::maillage(&app, &["purge", "--dry-run"]);
    let text = crate::cli::stdout(&out);
    assert!(text.starts_with("dry run: nothing changed"), "{text}");
    assert!(text.contains("support requests anonymised: 0"), "{text}");
    let out = crate::cli::maillage(&app, &["purge", "--retain-support", "0s"]);
    assert!(crate::cli::stdout(&out).starts_with("purged"));
}
