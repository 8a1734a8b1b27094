//! Idempotent creation (issue 14): a creating mutation sent again with the same
//! `idempotencyKey` returns what the first call created and never creates twice, even when
//! the two calls run at once; the key belongs to its caller.
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::workflow::refused;

const RECORD: &str = "mutation($input: ReportEntryInput!, $key: String) {
    recordReportEntry(input: $input, idempotencyKey: $key) { id durationMinutes }
}";
const SEND: &str = "mutation($input: SupportRequestInput!, $key: String) {
    sendSupportRequest(input: $input, idempotencyKey: $key) { id status }
}";

fn entry(app: &TestApp, minutes: i32, key: Option<&str>) -> Value {
    json!({ "input": { "structure": "DEMO-59-01", "occurredOn": app.day(-1), "partner": "CAF",
        "theme": "FAMILY", "helpKind": "ONLINE_PROCEDURE", "resolvedOnSite": true,
        "durationMinutes": minutes }, "key": key })
}

async fn rows(app: &TestApp, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    app.db
        .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .expect("count")
        .expect("row")
        .try_get::<i64>("", "n")
        .expect("n")
}

fn id_of(response: &Value, field: &str) -> String {
    data(response)[field]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {response}"))
        .to_owned()
}

#[tokio::test]
async fn a_retried_report_entry_with_its_key_is_recorded_once_and_returned_again() {
    let app = spawn_app().await;
    let before = rows(&app, "report_entry").await;
    let first = app
        .query_as(AGENT_LILLE, RECORD, entry(&app, 20, Some("k-1")))
        .await;
    let again = app
        .query_as(AGENT_LILLE, RECORD, entry(&app, 20, Some("k-1")))
        .await;
    assert_eq!(
        id_of(&first, "recordReportEntry"),
        id_of(&again, "recordReportEntry")
    );
    assert_eq!(rows(&app, "report_entry").await, before + 1);

    // Without a key, or with another one, each call records.
    for key in [None, Some("k-2"), None] {
        let response = app
            .query_as(AGENT_LILLE, RECORD, entry(&app, 20, key))
            .await;
        assert_ne!(
            id_of(&response, "recordReportEntry"),
            id_of(&first, "recordReportEntry")
        );
    }
    assert_eq!(rows(&app, "report_entry").await, before + 4);

    // The same key with other arguments is refused, and nothing is recorded.
    let other = app
        .query_as(AGENT_LILLE, RECORD, entry(&app, 45, Some("k-1")))
        .await;
    refused(&other, "BAD_USER_INPUT");
    assert_eq!(other["errors"][0]["extensions"]["field"], "idempotencyKey");
    assert_eq!(rows(&app, "report_entry").await, before + 4);

    // A key is 1 to 128 printable ASCII characters.
    for bad in ["", " spaced key", &"x".repeat(129)] {
        let response = app
            .query_as(AGENT_LILLE, RECORD, entry(&app, 20, Some(bad)))
            .await;
        refused(&response, "BAD_USER_INPUT");
    }
    assert_eq!(rows(&app, "report_entry").await, before + 4);
}

#[tokio::test]
async fn a_key_belongs_to_its_caller_and_opens_nothing_to_anyone_else() {
    let app = spawn_app().await;
    let first = app
        .query_as(AGENT_LILLE, RECORD, entry(&app, 20, Some("shared")))
        .await;
    let first = id_of(&first, "recordReportEntry");
    // Out of scope with the same key and arguments: refused as without a key, and the
    // first caller's entry is not handed out.
    for email in [PREFECT_59, PREFECT_23, OPERATOR_CAF] {
        let response = app
            .query_as(email, RECORD, entry(&app, 20, Some("shared")))
            .await;
        assert!(
            response["data"].is_null(),
            "{email} got {response} from another caller's key"
        );
        assert!(!response.to_string().contains(&first), "{response}");
    }
    refused(
        &app.post(None, RECORD, entry(&app, 20, Some("shared")))
            .await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn concurrent_calls_with_one_key_create_one_object() {
    let app = spawn_app().await;
    let referent = "mutation { createReferent(input: { partner: \"CAF\", department: \"59\",
        kind: BACK_OFFICE, name: \"Paul Martin\", email: \"paul.martin@caf.fr\" }) { id } }";
    data(&app.query_as(PREFECT_59, referent, json!({})).await);
    let token = app.token(AGENT_LILLE).await;
    let before = (
        rows(&app, "report_entry").await,
        rows(&app, "support_request").await,
    );
    for round in 0..3 {
        let key = format!("burst-{round}");
        let entries = futures::future::join_all(
            (0..6).map(|_| app.post(Some(&token), RECORD, entry(&app, 30, Some(&key)))),
        )
        .await;
        let ids: std::collections::BTreeSet<String> = entries
            .iter()
            .map(|r| id_of(r, "recordReportEntry"))
            .collect();
        assert_eq!(ids.len(), 1, "{entries:?}");

        let request = json!({ "input": { "structure": "DEMO-59-01", "partner": "CAF",
            "subject": "Rupture de droits", "description": "Dossier bloqué",
            "citizenName": "Jeanne Dupont", "citizenDetails": "Allocataire" }, "key": key });
        let sent = futures::future::join_all(
            (0..6).map(|_| app.post(Some(&token), SEND, request.clone())),
        )
        .await;
        let ids: std::collections::BTreeSet<String> = sent
            .iter()
            .map(|r| id_of(r, "sendSupportRequest"))
            .collect();
        assert_eq!(ids.len(), 1, "{sent:?}");
    }
    assert_eq!(
        (
            rows(&app, "report_entry").await,
            rows(&app, "support_request").await
        ),
        (before.0 + 3, before.1 + 3)
    );
}

/// Every mutation that creates a new object on each call takes an `idempotencyKey`: read
/// from the schema, so a creating mutation added later without one fails here.
#[tokio::test]
async fn every_creating_mutation_takes_an_idempotency_key() {
    let schema = maillage::graphql::sdl();
    let mutation = schema
        .split("type Mutation {")
        .nth(1)
        .and_then(|rest| rest.split("\n}").next())
        .expect("the mutation type");
    let creating = [
        "create", "record", "send", "write", "organise", "answer", "correct",
    ];
    // Creations whose key is natural (one per structure, year, code…): a second call is a
    // CONFLICT that creates nothing.
    let natural = [
        "createLocalPartner",
        "recordAuditResult",
        "recordTrainingAttendance",
        "recordMysteryVisit",
        "createApiKey",
    ];
    // Descriptions out, then each field is `name(arguments): Type`.
    let bare: String = mutation
        .split("\"\"\"")
        .step_by(2)
        .collect::<Vec<_>>()
        .join(" ");
    let mut checked = 0;
    for field in bare.split(')').filter(|f| f.contains('(')) {
        let (head, arguments) = field.split_once('(').expect("arguments");
        let name = head.split_whitespace().last().expect("name");
        if !creating.iter().any(|verb| name.starts_with(verb)) || natural.contains(&name) {
            continue;
        }
        assert!(
            arguments.contains("idempotencyKey: String"),
            "{name} creates an object on each call but takes no idempotencyKey"
        );
        checked += 1;
    }
    assert!(checked >= 9, "only {checked} creating mutations found");
}
