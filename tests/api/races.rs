//! Workflows under concurrency (issue 14): the conflicting pairs of each workflow fired at
//! once, several rounds, and the invariant checked afterwards (the conventions' pairs are in
//! `conventions.rs`). On SQLite and, in CI, on PostgreSQL.
use maillage::domain::enums::Role;
use maillage::service::users::{self, ScopeArgs};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::workflow::*;

/// Two calls at once, with their tokens.
async fn both(app: &TestApp, a: (&str, &str, Value), b: (&str, &str, Value)) -> (Value, Value) {
    let (ta, tb) = (app.token(a.0).await, app.token(b.0).await);
    tokio::join!(app.post(Some(&ta), a.1, a.2), app.post(Some(&tb), b.1, b.2))
}

fn ok(response: &Value) -> bool {
    error_codes(response).is_empty()
}

#[tokio::test]
async fn a_result_recorded_while_the_audit_is_submitted_is_in_the_outcome_or_refused() {
    let sites = real_sites_of("59", 4);
    let matricules: Vec<&str> = sites.iter().map(String::as_str).collect();
    let app = app_with_candidates(&matricules).await;
    let audit = "query($a: ID!) { node(id: $a) { ... on LabelAudit {
        outcome findings { met criterion { mandatory } } } } }";
    for m in &matricules {
        let (id, _) = propose_and_schedule(&app, m).await;
        record_all(&app, &id, &[]).await;
        let unmet = json!({ "a": id, "c": "C01", "met": false, "r": "closed on Monday" });
        let (recorded, submitted) = both(
            &app,
            (AUDITOR_T, RECORD, unmet),
            (AUDITOR_T, SUBMIT, json!({ "a": id })),
        )
        .await;
        assert!(ok(&submitted), "{submitted}");
        if !ok(&recorded) {
            refused(&recorded, "CONFLICT");
        }
        let read = app.query_as(ANCT_T, audit, json!({ "a": id })).await;
        let node = &data(&read)["node"];
        let all_met = node["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| f["met"] == true || f["criterion"]["mandatory"] == false);
        let passed = node["outcome"] == "PASSED";
        assert_eq!(passed, all_met, "{m}: outcome against findings: {node}");
        assert_eq!(passed, !ok(&recorded), "{m}: {recorded}");
    }
}

#[tokio::test]
async fn a_message_written_while_the_request_is_closed_comes_first_or_is_refused() {
    let app = spawn_app().await;
    let referent = "mutation { createReferent(input: { partner: \"CAF\", department: \"59\",
        kind: BACK_OFFICE, name: \"Paul Martin\", email: \"paul.martin@caf.fr\" }) { id } }";
    data(&app.query_as(PREFECT_59, referent, json!({})).await);
    let send = "mutation { sendSupportRequest(input: { structure: \"DEMO-59-01\", partner: \"CAF\",
        subject: \"Droits\", description: \"Dossier bloqué\", citizenName: \"J. D.\",
        citizenDetails: \"Allocataire\" }) { id } }";
    let write =
        "mutation($r: ID!) { writeSupportMessage(request: $r, body: \"Réponse\") { status } }";
    let close = "mutation($r: ID!) { closeSupportRequest(request: $r) { status } }";
    let status = "query($r: ID!) { node(id: $r) { ... on SupportRequest { status closedAt } } }";
    let mut outcomes = std::collections::BTreeSet::new();
    for _ in 0..8 {
        let sent = app.query_as(AGENT_LILLE, send, json!({})).await;
        let id = data(&sent)["sendSupportRequest"]["id"].clone();
        data(&app.query_as(OPERATOR_CAF, write, json!({ "r": id })).await);
        let (written, closed) = both(
            &app,
            (OPERATOR_CAF, write, json!({ "r": id })),
            (AGENT_LILLE, close, json!({ "r": id })),
        )
        .await;
        let read = app.query_as(AGENT_LILLE, status, json!({ "r": id })).await;
        let node = &data(&read)["node"];
        for (name, response) in [("write", &written), ("close", &closed)] {
            if !ok(response) {
                refused(response, "CONFLICT");
                outcomes.insert(format!("{name} refused"));
            }
        }
        // A closed request has no message after its closing: if the close went through,
        // the request is closed, whatever the message did.
        if ok(&closed) {
            assert_eq!(node["status"], "CLOSED", "{written} {closed}");
            assert!(node["closedAt"].is_string());
        } else {
            assert_eq!(node["status"], "ANSWERED");
        }
    }
}

#[tokio::test]
async fn a_campaign_is_published_once_and_a_recorded_visit_keeps_its_visitor() {
    let app = spawn_app().await;
    let create = "mutation { createMysteryCampaign(input: { year: 2026, label: \"B\",
        perDepartment: 1, seed: 3 }) { id visits { id } } }";
    let publish = "mutation($c: ID!) { publishMysteryCampaign(campaign: $c) { published } }";
    for _ in 0..3 {
        let created = app.query_as(ANCT, create, json!({})).await;
        let campaign = data(&created)["createMysteryCampaign"]["id"].clone();
        let token = app.token(ANCT).await;
        let calls = futures::future::join_all(
            (0..6).map(|_| app.post(Some(&token), publish, json!({ "c": campaign }))),
        )
        .await;
        assert_eq!(calls.iter().filter(|r| ok(r)).count(), 1, "{calls:?}");
        for r in calls.iter().filter(|r| !ok(r)) {
            refused(r, "CONFLICT");
        }
    }

    // Reassigning a visit while its visitor records it: the recording stands only for the
    // visitor it was assigned to when it committed.
    grant(&app, OTHER_AUDITOR_T, Role::Auditor, ScopeArgs::default()).await;
    let assign = "mutation($v: ID!, $e: String!) { assignMysteryVisitor(visit: $v, visitor: $e) { assigned } }";
    let record = "mutation($v: ID!, $on: Date!, $s: [MysteryScoreInput!]!) {
        recordMysteryVisit(visit: $v, visitedOn: $on, scores: $s) { meanScore } }";
    let scores: Vec<Value> = [
        "WELCOME",
        "WAITING_TIME",
        "LISTENING",
        "ANSWER_QUALITY",
        "FOLLOW_UP",
        "PREMISES",
    ]
    .iter()
    .map(|item| json!({ "item": item, "score": 7 }))
    .collect();
    let created = app.query_as(ANCT, create, json!({})).await;
    let visits = data(&created)["createMysteryCampaign"]["visits"].clone();
    let auditor = users::find_by_email(&app.db, AUDITOR)
        .await
        .expect("db")
        .expect("auditor");
    for visit in visits.as_array().expect("visits").iter().take(6) {
        let v = visit["id"].clone();
        data(
            &app.query_as(ANCT, assign, json!({ "v": v, "e": AUDITOR }))
                .await,
        );
        let (reassigned, recorded) = both(
            &app,
            (ANCT, assign, json!({ "v": v, "e": OTHER_AUDITOR_T })),
            (
                AUDITOR,
                record,
                json!({ "v": v, "on": app.day(-1), "s": scores }),
            ),
        )
        .await;
        assert!(ok(&reassigned) != ok(&recorded), "{reassigned} {recorded}");
        let id = internal_id(v.as_str().expect("id"));
        let row = entity::mystery_visit::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .expect("db")
            .expect("visit");
        if ok(&recorded) {
            assert_eq!(row.visitor_id, Some(auditor.id));
            assert!(row.submitted_at.is_some());
        } else {
            assert!(row.submitted_at.is_none());
        }
    }
}

/// The internal id of a global id.
fn internal_id(global: &str) -> i64 {
    let (_, key) = maillage::domain::ids::decode(global).expect("a global id");
    key.parse().expect("a numeric key")
}
