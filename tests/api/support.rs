//! Administration+ (R-30..R-33): a request from a structure's agent to the addressed
//! partner's operators and back; who reads its content and attachments, who sees only its
//! delay; due dates in working time; close and reopen.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use maillage::auth::policy::PolarSupportRequest;
use maillage::auth::{Caller, Policy};
use maillage::domain::enums::Role;
use maillage::domain::working_time;
use maillage::service::support::{self, ContentView};
use maillage::service::users::{self, ScopeArgs};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::workflow::refused;

pub const SEND: &str = "mutation($input: SupportRequestInput!) {
    sendSupportRequest(input: $input) { id status sentAt dueAt late }
}";
pub const WRITE: &str = "mutation($r: ID!, $b: String!, $f: [AttachmentInput!]) {
    writeSupportMessage(request: $r, body: $b, attachments: $f) { status firstAnsweredAt }
}";
pub const FULL: &str = "query($id: ID!) { node(id: $id) { ... on SupportRequest {
    status dueAt late answerDelayHours partner { code }
    subject description citizenName citizenDetails
    messages { side authorEmail body }
    attachments { fileName contentType sizeBytes sha256 contentBase64 }
    referents { name }
} } }";
const METADATA: &str = "query($id: ID!) { node(id: $id) { ... on SupportRequest {
    status dueAt late answerDelayHours partner { code } } } }";

pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n% avis d'imposition 2025\n%%EOF\n".to_vec()
}

pub fn file(name: &str, content_type: &str, bytes: &[u8]) -> Value {
    json!({ "fileName": name, "contentType": content_type, "contentBase64": STANDARD.encode(bytes) })
}

pub fn request(files: Vec<Value>) -> Value {
    json!({ "input": { "structure": "DEMO-59-01", "partner": "CAF",
        "subject": "Rupture de droits RSA", "description": "Dossier bloqué depuis mars",
        "citizenName": "Jeanne Dupont", "citizenDetails": "Allocataire 1234567",
        "attachments": files } })
}

async fn grant(app: &TestApp, email: &str, role: Role, scope: ScopeArgs) {
    users::grant(&app.db, email, role, &scope, app.now())
        .await
        .expect("grant");
}

pub async fn setup() -> TestApp {
    let app = spawn_app().await;
    let referent = "mutation { createReferent(input: { partner: \"CAF\", department: \"59\",
        kind: BACK_OFFICE, name: \"Paul Martin\", email: \"paul.martin@caf.fr\" }) { id } }";
    // Without a back-office referent in the department, the request has nowhere to go.
    refused(
        &app.query_as(AGENT_LILLE, SEND, request(vec![])).await,
        "BAD_USER_INPUT",
    );
    data(&app.query_as(PREFECT_59, referent, json!({})).await);
    let dgfip = ScopeArgs {
        partner: Some("DGFIP".into()),
        department: Some("59".into()),
        ..Default::default()
    };
    grant(&app, "dgfip59@t.fr", Role::Operator, dgfip).await;
    let caf23 = ScopeArgs {
        partner: Some("CAF".into()),
        department: Some("23".into()),
        ..Default::default()
    };
    grant(&app, "caf23@t.fr", Role::Operator, caf23).await;
    let caf59 = ScopeArgs {
        partner: Some("CAF".into()),
        department: Some("59".into()),
        ..Default::default()
    };
    grant(&app, "caf59@t.fr", Role::Operator, caf59).await;
    let other = ScopeArgs {
        structure: Some("DEMO-59-02".into()),
        ..Default::default()
    };
    grant(&app, "agent.autre@t.fr", Role::Agent, other).await;
    app
}

#[tokio::test]
async fn a_request_goes_from_an_agent_to_the_partner_and_back_and_its_content_stays_between_them() {
    let app = setup().await;
    let sent = app
        .query_as(
            AGENT_LILLE,
            SEND,
            request(vec![file("avis.pdf", "application/pdf", &pdf())]),
        )
        .await;
    let sent = data(&sent)["sendSupportRequest"].clone();
    let id = sent["id"].clone();
    assert_eq!(sent["status"], "OPEN");
    assert_eq!(sent["late"], false);
    // Due 72 working hours after it was sent (domain::working_time, tested on real dates).
    let sent_at: DateTime<Utc> = sent["sentAt"]
        .as_str()
        .expect("sentAt")
        .parse()
        .expect("date");
    let due_at: DateTime<Utc> = sent["dueAt"]
        .as_str()
        .expect("dueAt")
        .parse()
        .expect("date");
    assert_eq!(due_at, working_time::Calendar::of("59").due_at(sent_at));
    assert!(due_at - sent_at >= chrono::TimeDelta::hours(72));

    // Who sends: the structure's agents only.
    refused(
        &app.query_as("agent.autre@t.fr", SEND, request(vec![]))
            .await,
        "NOT_FOUND",
    );
    refused(
        &app.query_as(PREFECT_59, SEND, request(vec![])).await,
        "FORBIDDEN",
    );
    refused(
        &app.query_as(OPERATOR_CAF, SEND, request(vec![])).await,
        "FORBIDDEN",
    );
    refused(
        &app.post(None, SEND, request(vec![])).await,
        "UNAUTHENTICATED",
    );

    // The addressed partner's operators (national, or in 59) read everything.
    for email in [OPERATOR_CAF, "caf59@t.fr"] {
        let full = app.query_as(email, FULL, json!({ "id": id })).await;
        let node = &data(&full)["node"];
        assert_eq!(node["citizenName"], "Jeanne Dupont", "{email}");
        assert_eq!(node["referents"], json!([{ "name": "Paul Martin" }]));
        assert_eq!(
            STANDARD
                .decode(
                    node["attachments"][0]["contentBase64"]
                        .as_str()
                        .expect("b64")
                )
                .expect("bytes"),
            pdf()
        );
        assert_eq!(
            node["attachments"][0]["sha256"],
            maillage::domain::attachment::checksum(&pdf())
        );
    }
    // Another partner's operator, the partner's operator elsewhere, another structure's agent:
    // not even its existence.
    for email in ["dgfip59@t.fr", "caf23@t.fr", "agent.autre@t.fr", PREFECT_23] {
        refused(
            &app.query_as(email, METADATA, json!({ "id": id })).await,
            "NOT_FOUND",
        );
    }
    // The prefect and ANCT see its delay, never its content.
    for email in [PREFECT_59, ANCT] {
        let metadata = app.query_as(email, METADATA, json!({ "id": id })).await;
        assert_eq!(data(&metadata)["node"]["status"], "OPEN", "{email}");
        assert_eq!(data(&metadata)["node"]["dueAt"], sent["dueAt"]);
        let full = app.query_as(email, FULL, json!({ "id": id })).await;
        let node = &full["data"]["node"];
        for field in [
            "subject",
            "description",
            "citizenName",
            "citizenDetails",
            "messages",
            "attachments",
            "referents",
        ] {
            assert!(node[field].is_null(), "{email} read {field}");
        }
        assert_eq!(error_codes(&full).len(), 7, "{email}: {full:#}");
        assert!(error_codes(&full).iter().all(|c| c == "FORBIDDEN"));
    }
    refused(
        &app.post(None, METADATA, json!({ "id": id })).await,
        "UNAUTHENTICATED",
    );

    // Bad files are refused clearly and change nothing.
    let exe = vec![file("outil.exe", "application/x-msdownload", b"MZ\x90\x00")];
    let refused_type = app
        .query_as(
            OPERATOR_CAF,
            WRITE,
            json!({ "r": id, "b": "Voir pièce", "f": exe }),
        )
        .await;
    refused(&refused_type, "BAD_USER_INPUT");
    assert_eq!(
        refused_type["errors"][0]["extensions"]["field"],
        "attachments.0"
    );
    let fake = vec![file("photo.png", "image/png", &pdf())];
    refused(
        &app.query_as(OPERATOR_CAF, WRITE, json!({ "r": id, "b": "x", "f": fake }))
            .await,
        "BAD_USER_INPUT",
    );
    let garbage = vec![
        json!({ "fileName": "a.pdf", "contentType": "application/pdf", "contentBase64": "%%%" }),
    ];
    refused(
        &app.query_as(
            OPERATOR_CAF,
            WRITE,
            json!({ "r": id, "b": "x", "f": garbage }),
        )
        .await,
        "BAD_USER_INPUT",
    );

    // The operator answers with a file; the agent reads it.
    refused(
        &app.query_as("dgfip59@t.fr", WRITE, json!({ "r": id, "b": "x", "f": [] }))
            .await,
        "NOT_FOUND",
    );
    refused(
        &app.query_as(PREFECT_59, WRITE, json!({ "r": id, "b": "x", "f": [] }))
            .await,
        "FORBIDDEN",
    );
    let png = b"\x89PNG\r\n\x1a\nimage".to_vec();
    let answer = json!({ "r": id, "b": "Droits rétablis au 1er avril", "f": [file("attestation.png", "image/png", &png)] });
    let answered = app.query_as(OPERATOR_CAF, WRITE, answer).await;
    assert_eq!(data(&answered)["writeSupportMessage"]["status"], "ANSWERED");
    assert!(data(&answered)["writeSupportMessage"]["firstAnsweredAt"].is_string());
    let read = app.query_as(AGENT_LILLE, FULL, json!({ "id": id })).await;
    let node = &data(&read)["node"];
    assert_eq!(
        node["messages"],
        json!([{ "side": "PARTNER", "authorEmail": OPERATOR_CAF, "body": "Droits rétablis au 1er avril" }])
    );
    assert_eq!(node["attachments"].as_array().expect("files").len(), 2);
    assert_eq!(node["attachments"][1]["sizeBytes"], png.len());

    // Close and reopen (R-33).
    let close = "mutation($r: ID!) { closeSupportRequest(request: $r) { status } }";
    let reopen = "mutation($r: ID!) { reopenSupportRequest(request: $r) { status reopenedCount } }";
    refused(
        &app.query_as(PREFECT_59, close, json!({ "r": id })).await,
        "FORBIDDEN",
    );
    refused(
        &app.query_as("agent.autre@t.fr", close, json!({ "r": id }))
            .await,
        "NOT_FOUND",
    );
    refused(
        &app.post(None, close, json!({ "r": id })).await,
        "UNAUTHENTICATED",
    );
    assert_eq!(
        data(&app.query_as(AGENT_LILLE, close, json!({ "r": id })).await)["closeSupportRequest"]["status"],
        "CLOSED"
    );
    refused(
        &app.query_as(AGENT_LILLE, close, json!({ "r": id })).await,
        "CONFLICT",
    );
    refused(
        &app.query_as(AGENT_LILLE, WRITE, json!({ "r": id, "b": "x", "f": [] }))
            .await,
        "CONFLICT",
    );
    refused(
        &app.query_as(OPERATOR_CAF, reopen, json!({ "r": id })).await,
        "FORBIDDEN",
    );
    let reopened = app.query_as(AGENT_LILLE, reopen, json!({ "r": id })).await;
    assert_eq!(
        data(&reopened)["reopenSupportRequest"],
        json!({ "status": "OPEN", "reopenedCount": 1 })
    );

    // The audit log, which prefects read, holds no content.
    let log = app
        .query_as(PREFECT_59, "{ auditLog(filter: { targetType: \"SupportRequest\" }) { totalCount edges { node { after } } } }", json!({}))
        .await;
    // Sent, answered, closed, reopened: the refused attempts left no trace.
    assert_eq!(data(&log)["auditLog"]["totalCount"], 4);
    let text = data(&log).to_string();
    for secret in ["Jeanne", "RSA", "Droits rétablis", "1234567"] {
        assert!(!text.contains(secret), "the audit log leaks '{secret}'");
    }
}

#[tokio::test]
async fn late_requests_are_flagged_and_listed_to_those_who_see_them() {
    let app = setup().await;
    let first = app.query_as(AGENT_LILLE, SEND, request(vec![])).await;
    let first_id = data(&first)["sendSupportRequest"]["id"].clone();
    data(&app.query_as(AGENT_LILLE, SEND, request(vec![])).await);
    // Make the first one a week old and unanswered.
    let id: i64 = maillage::domain::ids::internal_id(
        first_id.as_str().expect("id"),
        maillage::domain::ids::NodeType::SupportRequest,
        "r",
    )
    .expect("id");
    let row = entity::support_request::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("db")
        .expect("row");
    let sent = app.now() - chrono::TimeDelta::days(7);
    let mut old: entity::support_request::ActiveModel = row.into();
    old.sent_at = Set(sent);
    old.due_at = Set(working_time::Calendar::of("59").due_at(sent));
    old.update(&app.db).await.expect("update");

    let lists = "{ all: supportRequests { totalCount } late: supportRequests(late: true) {
        totalCount edges { node { late } } } }";
    for (email, total, late) in [
        (ANCT, 2, 1),
        (PREFECT_59, 2, 1),
        (AGENT_LILLE, 2, 1),
        (OPERATOR_CAF, 2, 1),
        ("caf59@t.fr", 2, 1),
        ("dgfip59@t.fr", 0, 0),
        ("caf23@t.fr", 0, 0),
        ("agent.autre@t.fr", 0, 0),
        (PREFECT_23, 0, 0),
        (AUDITOR, 0, 0),
    ] {
        let response = app.query_as(email, lists, json!({})).await;
        assert_eq!(data(&response)["all"]["totalCount"], total, "{email}");
        assert_eq!(data(&response)["late"]["totalCount"], late, "{email}");
        if late > 0 {
            assert_eq!(data(&response)["late"]["edges"][0]["node"]["late"], true);
        }
    }
    let anonymous = app.post(None, lists, json!({})).await;
    assert_eq!(
        error_codes(&anonymous),
        ["UNAUTHENTICATED", "UNAUTHENTICATED"]
    );
}

#[tokio::test]
async fn the_support_scopes_agree_with_the_policy() {
    let app = setup().await;
    data(&app.query_as(AGENT_LILLE, SEND, request(vec![])).await);
    let policy = Policy::load().expect("policy");
    let rows = entity::support_request::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    let emails = [
        ANCT,
        PREFECT_59,
        PREFECT_23,
        AGENT_LILLE,
        OPERATOR_CAF,
        AUDITOR,
        "dgfip59@t.fr",
        "caf23@t.fr",
        "caf59@t.fr",
        "agent.autre@t.fr",
    ];
    for email in emails {
        let user = users::find_by_email(&app.db, email)
            .await
            .expect("db")
            .expect("user");
        let actor = users::load_actor(&app.db, users::bearer_of(&user))
            .await
            .expect("actor");
        let (listed, _) = support::page(
            Caller::new(&app.db, &policy, &actor),
            false,
            None,
            100,
            &app.clock(),
        )
        .await
        .expect("page");
        let content = ContentView::of(&actor);
        for row in &rows {
            let resource = PolarSupportRequest {
                structure: row.structure_id,
                department: row.department_code.clone(),
                partner: "CAF".into(),
            };
            let read = policy
                .is_allowed(&actor, "read", resource.clone())
                .expect("policy");
            assert_eq!(listed.iter().any(|r| r.id == row.id), read, "{email}: read");
            let content_allowed = policy
                .is_allowed(&actor, "read_content", resource)
                .expect("policy");
            assert_eq!(
                content.contains(row, "CAF"),
                content_allowed,
                "{email}: content"
            );
        }
    }
}

#[tokio::test]
async fn an_oversized_request_body_is_refused_before_it_is_read() {
    let app = spawn_app().await;
    let huge = "A".repeat(9 * 1024 * 1024);
    let body = json!({ "query": "{ me { email } }", "variables": { "x": huge } });
    let response = reqwest::Client::new()
        .post(format!("{}/graphql", app.address))
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_audit_log_shows_its_readers_no_attachment_of_a_request() {
    let app = setup().await;
    let sent = app
        .query_as(
            AGENT_LILLE,
            SEND,
            request(vec![file("avis.pdf", "application/pdf", &pdf())]),
        )
        .await;
    data(&sent);
    let log = "{ auditLog(filter: { targetType: \"SupportRequest\" }) {
        edges { node { action after } } } }";
    for reader in [ANCT, PREFECT_59] {
        let response = app.query_as(reader, log, Value::Null).await;
        let edges = data(&response)["auditLog"]["edges"].clone();
        let entry = &edges[0]["node"];
        assert_eq!(entry["action"], "support.send", "{reader}");
        assert_eq!(entry["after"]["details"]["attachments"], 1, "{reader}");
        let text = response.to_string();
        assert!(
            !text.contains("avis.pdf") && !text.contains("sha256"),
            "{reader} reads attachment details: {text}"
        );
    }
    // An entry written before the rule (with the files listed) is redacted on the way out.
    let row = entity::audit_log::Entity::find()
        .filter(entity::audit_log::Column::TargetType.eq("SupportRequest"))
        .one(&app.db)
        .await
        .expect("db")
        .expect("entry");
    let mut legacy: entity::audit_log::ActiveModel = row.into();
    legacy.after = Set(Some(
        json!({ "partner": "CAF", "status": "OPEN", "details": { "attachments": [
            { "fileName": "avis.pdf", "sizeBytes": 40, "sha256": "ab" } ] } })
        .to_string(),
    ));
    legacy.update(&app.db).await.expect("update");
    let response = app.query_as(ANCT, log, Value::Null).await;
    assert_eq!(
        data(&response)["auditLog"]["edges"][0]["node"]["after"]["details"]["attachments"],
        1
    );
    assert!(!response.to_string().contains("avis.pdf"));
}

/// Public holidays of 2026 and 2027 by territory, written out by hand from the official
/// calendars (not computed): the national ones, then Alsace-Moselle's Good Friday and
/// 26 December, then Réunion's 20 December.
fn holidays_by_hand(department: &str) -> Vec<chrono::NaiveDate> {
    let mut days = vec![
        "2026-01-01",
        "2026-04-06",
        "2026-05-01",
        "2026-05-08",
        "2026-05-14",
        "2026-05-25",
        "2026-07-14",
        "2026-08-15",
        "2026-11-01",
        "2026-11-11",
        "2026-12-25",
        "2027-01-01",
        "2027-03-29",
        "2027-05-01",
        "2027-05-06",
        "2027-05-08",
        "2027-05-17",
        "2027-07-14",
        "2027-08-15",
        "2027-11-01",
        "2027-11-11",
        "2027-12-25",
    ];
    match department {
        "57" | "67" | "68" => days.extend(["2026-04-03", "2026-12-26", "2027-03-26", "2027-12-26"]),
        "974" => days.extend(["2026-12-20", "2027-12-20"]),
        _ => {}
    }
    days.iter().map(|d| d.parse().expect("date")).collect()
}

/// When a request sent at local time `sent` (a whole hour) is due, counting working hours
/// one by one in local time, with the hand-written holidays.
fn due_by_hand(department: &str, sent: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    use chrono::Datelike;
    let holidays = holidays_by_hand(department);
    let mut at = sent;
    let mut counted = 0;
    while counted < 72 {
        let day = at.date();
        let weekend = day.weekday().number_from_monday() > 5;
        if !weekend && !holidays.contains(&day) {
            counted += 1;
        }
        at += chrono::TimeDelta::hours(1);
    }
    at
}

#[tokio::test]
async fn the_deadline_follows_the_calendar_of_the_structures_territory() {
    let (app, _) = crate::import::app_with_real_sites().await;
    // (department, local send time, its UTC offset then): Thursday before Good Friday 2026
    // (Paris summer time) in Nord and in the three departments of Alsace-Moselle; Friday
    // before Monday 20 December 2027 in Réunion (UTC+4) and in mainland France (winter).
    let cases = [
        ("59", "2026-04-02T10:00:00", 2),
        ("57", "2026-04-02T10:00:00", 2),
        ("67", "2026-04-02T10:00:00", 2),
        ("68", "2026-04-02T10:00:00", 2),
        ("974", "2027-12-17T10:00:00", 4),
        ("59", "2027-12-17T10:00:00", 1),
    ];
    let find = "query($d: String!) { structures(first: 1, filter: { department: $d }) {
        edges { node { matricule } } } }";
    let mut dues = Vec::new();
    for (i, (department, local, offset)) in cases.into_iter().enumerate() {
        let found = app
            .query_as_new_anct(find, json!({ "d": department }))
            .await;
        let matricule = data(&found)["structures"]["edges"][0]["node"]["matricule"]
            .as_str()
            .expect("a structure in the department")
            .to_owned();
        let referent = "mutation($d: String!) { createReferent(input: { partner: \"CAF\",
            department: $d, kind: BACK_OFFICE, name: \"Référent\", email: \"ref@caf.fr\" }) { id } }";
        if i != 5 {
            let prefect = format!("prefet{i}@t.fr");
            let scope = ScopeArgs {
                department: Some(department.to_owned()),
                ..Default::default()
            };
            grant(&app, &prefect, Role::Prefect, scope).await;
            data(
                &app.query_as(&prefect, referent, json!({ "d": department }))
                    .await,
            );
        }
        let agent = format!("agent{i}@t.fr");
        let scope = ScopeArgs {
            structure: Some(matricule.clone()),
            ..Default::default()
        };
        grant(&app, &agent, Role::Agent, scope).await;
        let local: chrono::NaiveDateTime = local.parse().expect("local time");
        let sent_utc = (local - chrono::TimeDelta::hours(offset)).and_utc();
        app.time.set(sent_utc);
        let mut variables = request(vec![]);
        variables["input"]["structure"] = json!(matricule);
        let sent = app.query_as(&agent, SEND, variables).await;
        let due: DateTime<Utc> = data(&sent)["sendSupportRequest"]["dueAt"]
            .as_str()
            .expect("dueAt")
            .parse()
            .expect("date");
        // Both offsets hold over the whole delay (no clock change in these weeks).
        let expected = due_by_hand(department, local) - chrono::TimeDelta::hours(offset);
        assert_eq!(due.naive_utc(), expected, "{department} {local}");
        dues.push(due);
    }
    // Good Friday costs Alsace-Moselle one working day more than Nord; 20 December one more
    // in Réunion than in mainland France (within the different offsets).
    assert_eq!(dues[1] - dues[0], chrono::TimeDelta::days(1));
    assert_eq!(dues[1], dues[2]);
    assert_eq!(dues[2], dues[3]);
    assert_eq!(
        dues[4] - dues[5] + chrono::TimeDelta::hours(3),
        chrono::TimeDelta::days(1)
    );
}
