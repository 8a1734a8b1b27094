//! The register of processing (PRIVACY.md) stays true: every schema field whose name points at
//! personal data is listed there, as personal data or as not personal with a reason, and
//! every field it names exists in the schema.
use std::collections::BTreeSet;

/// Name fragments that point at personal data (or data that may hold it).
const MARKERS: [&str; 14] = [
    "email",
    "phone",
    "name",
    "comment",
    "body",
    "details",
    "description",
    "content",
    "author",
    "citizen",
    "actor",
    "remark",
    "reason",
    "address",
];

/// Every `Type.field` of the object and input types of the committed schema.
fn schema_fields() -> BTreeSet<String> {
    let sdl = include_str!("../../schema.graphql");
    // Descriptions out: they are prose, not fields.
    let bare: String = sdl.split("\"\"\"").step_by(2).collect::<Vec<_>>().join(" ");
    let mut fields = BTreeSet::new();
    let mut current: Option<String> = None;
    let mut depth = 0_i32;
    for line in bare.lines().map(str::trim) {
        if let Some(rest) = line
            .strip_prefix("type ")
            .or_else(|| line.strip_prefix("input "))
        {
            current = rest.split([' ', '{']).next().map(str::to_owned);
            depth = 0;
            continue;
        }
        if line.starts_with('}') && depth == 0 {
            current = None;
            continue;
        }
        let Some(type_name) = &current else {
            continue;
        };
        if depth == 0 && !line.is_empty() {
            let field = line.split(['(', ':']).next().unwrap_or_default().trim();
            if !field.is_empty() {
                fields.insert(format!("{type_name}.{field}"));
            }
        }
        depth += line.matches('(').count() as i32 - line.matches(')').count() as i32;
    }
    fields
}

/// The `Type.field` names PRIVACY.md mentions (in backticks).
fn register_fields() -> BTreeSet<String> {
    include_str!("../../PRIVACY.md")
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            s.split_once('.').is_some_and(|(t, f)| {
                t.chars().next().is_some_and(char::is_uppercase)
                    && !f.is_empty()
                    && f.chars().all(char::is_alphanumeric)
            })
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_personal_data_field_of_the_schema_is_in_the_register() {
    let fields = schema_fields();
    assert!(
        fields.contains("SupportRequest.citizenDetails"),
        "the parse found the fields"
    );
    let register = register_fields();
    let missing: Vec<&String> = fields
        .iter()
        .filter(|f| {
            let name = f.split_once('.').map_or("", |(_, n)| n).to_lowercase();
            MARKERS.iter().any(|m| name.contains(m))
        })
        .filter(|f| !register.contains(*f))
        .collect();
    assert!(
        missing.is_empty(),
        "fields that may hold personal data are missing from PRIVACY.md (list each as personal \
         data with its purpose, readers, retention and protection, or as not personal with a \
         reason): {missing:?}"
    );
    let stale: Vec<&String> = register.iter().filter(|f| !fields.contains(*f)).collect();
    assert!(
        stale.is_empty(),
        "PRIVACY.md names fields the schema no longer has: {stale:?}"
    );
}

mod read_log {
    use serde_json::{Value, json};

    use crate::helpers::*;
    use crate::support::{SEND, request, setup};

    const DPO: &str = "dpo@anct.gouv.fr";
    const LOG: &str = "query($f: ContentReadFilterInput) { contentReads(filter: $f) {
        totalCount edges { node { reader request department kind readAt } } } }";

    #[tokio::test]
    async fn every_read_of_a_citizens_content_is_logged_for_the_dpo_alone() {
        let app = setup().await;
        app.grant_data_protection(DPO).await;
        let sent = app.query_as(AGENT_LILLE, SEND, request(vec![])).await;
        let id = data(&sent)["sendSupportRequest"]["id"].clone();
        let log = async |filter: Value| {
            let response = app.query_as(DPO, LOG, json!({ "f": filter })).await;
            data(&response)["contentReads"].clone()
        };
        // Sending, and reading metadata or lists, reads no content.
        let metadata =
            "query($id: ID!) { node(id: $id) { ... on SupportRequest { status dueAt late } } }";
        data(
            &app.query_as(PREFECT_59, metadata, json!({ "id": id }))
                .await,
        );
        data(&app.query_as(ANCT, "{ supportRequests { totalCount edges { node { status } } } structures { totalCount } }", Value::Null).await);
        assert_eq!(log(Value::Null).await["totalCount"], 0);

        // The partner's operator reads the details (twice in one request) and the messages.
        let content = "query($id: ID!) { node(id: $id) { ... on SupportRequest {
            citizenName citizenDetails again: citizenName messages { body } } } }";
        let read = app
            .query_as("caf59@t.fr", content, json!({ "id": id }))
            .await;
        assert_eq!(data(&read)["node"]["citizenName"], "Jeanne Dupont");
        // A prefect may not read the content: refused, and nothing is logged for them.
        let refused = app.query_as(PREFECT_59, content, json!({ "id": id })).await;
        assert!(error_codes(&refused).iter().all(|c| c == "FORBIDDEN"));
        let entries = log(Value::Null).await;
        assert_eq!(entries["totalCount"], 2);
        let kinds: Vec<(&str, &str)> = entries["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| {
                assert_eq!(e["node"]["request"], id);
                assert_eq!(e["node"]["department"], "59");
                (
                    e["node"]["reader"].as_str().expect("reader"),
                    e["node"]["kind"].as_str().expect("kind"),
                )
            })
            .collect();
        let mut kinds = kinds;
        kinds.sort();
        assert_eq!(
            kinds,
            [("caf59@t.fr", "DETAILS"), ("caf59@t.fr", "MESSAGES")]
        );
        // The structure's agent reads the attachments: one more entry, found by reader.
        let files = "query($id: ID!) { node(id: $id) { ... on SupportRequest { attachments { fileName } } } }";
        data(&app.query_as(AGENT_LILLE, files, json!({ "id": id })).await);
        let by_agent = log(json!({ "reader": AGENT_LILLE })).await;
        assert_eq!(by_agent["totalCount"], 1);
        assert_eq!(by_agent["edges"][0]["node"]["kind"], "ATTACHMENTS");
        assert_eq!(log(json!({ "request": id })).await["totalCount"], 3);

        // Nobody else reads the log; the officer reads nothing else.
        for email in [ANCT, PREFECT_59, "caf59@t.fr", AGENT_LILLE] {
            let response = app.query_as(email, LOG, Value::Null).await;
            assert_eq!(error_codes(&response), ["FORBIDDEN"], "{email}");
        }
        assert_eq!(
            error_codes(&app.post(None, LOG, Value::Null).await),
            ["UNAUTHENTICATED"]
        );
        let elsewhere = app
            .query_as(
                DPO,
                "{ supportRequests { totalCount } structures { totalCount } }",
                Value::Null,
            )
            .await;
        assert_eq!(data(&elsewhere)["supportRequests"]["totalCount"], 0);
        assert_eq!(data(&elsewhere)["structures"]["totalCount"], 0);
        let node = app.query_as(DPO, content, json!({ "id": id })).await;
        assert_eq!(error_codes(&node), ["NOT_FOUND"]);
    }
}

mod rights {
    use serde_json::{Value, json};

    use crate::helpers::*;
    use crate::support::{FULL, SEND, WRITE, file, pdf, request, setup};

    const DPO: &str = "dpo@anct.gouv.fr";
    const FIND: &str = "query($n: String!, $d: String) { citizenRequests(name: $n, details: $d) {
        id structure partner citizenName citizenDetails subject
        messages { side body } attachments { fileName sha256 } } }";
    const ERASE: &str = "mutation($r: [ID!]!, $why: String!) {
        eraseCitizenRequests(requests: $r, reason: $why) }";

    #[tokio::test]
    async fn a_citizen_s_requests_are_found_exported_and_erased_by_the_dpo_and_recorded() {
        let app = setup().await;
        app.grant_data_protection(DPO).await;
        let files = vec![file("avis.pdf", "application/pdf", &pdf())];
        let first = app.query_as(AGENT_LILLE, SEND, request(files)).await;
        let first = data(&first)["sendSupportRequest"]["id"].clone();
        data(
            &app.query_as(
                "caf59@t.fr",
                WRITE,
                json!({ "r": first, "b": "Vu", "f": [] }),
            )
            .await,
        );
        let mut other = request(vec![]);
        other["input"]["citizenName"] = json!("Paul Martin");
        other["input"]["citizenDetails"] = json!("Allocataire 999");
        data(&app.query_as(AGENT_LILLE, SEND, other).await);
        let dashboard = "{ dashboard { supportRequests { total late byPartner { key count } } } }";
        let figures = app.query_as(ANCT, dashboard, Value::Null).await;

        // Found by the name as the citizen gives it (case, accents and spaces ignored), and
        // narrowed by a detail.
        let found = app
            .query_as(DPO, FIND, json!({ "n": "  JEANNE   dupont ", "d": null }))
            .await;
        let found = data(&found)["citizenRequests"].clone();
        assert_eq!(found.as_array().map(Vec::len), Some(1));
        assert_eq!(found[0]["id"], first);
        assert_eq!(found[0]["structure"], "DEMO-59-01");
        assert_eq!(found[0]["partner"], "CAF");
        assert_eq!(found[0]["citizenDetails"], "Allocataire 1234567");
        assert_eq!(found[0]["messages"][0]["body"], "Vu");
        assert_eq!(found[0]["attachments"][0]["fileName"], "avis.pdf");
        let narrowed = app
            .query_as(DPO, FIND, json!({ "n": "Jeanne Dupont", "d": "999" }))
            .await;
        assert_eq!(data(&narrowed)["citizenRequests"], json!([]));
        let short = app.query_as(DPO, FIND, json!({ "n": "Jo" })).await;
        assert_eq!(error_codes(&short), ["BAD_USER_INPUT"]);

        // Nobody else exercises the rights; anonymous callers are not signed in.
        for email in [ANCT, PREFECT_59, "caf59@t.fr", AGENT_LILLE] {
            let find = app
                .query_as(email, FIND, json!({ "n": "Jeanne Dupont" }))
                .await;
            assert_eq!(error_codes(&find), ["FORBIDDEN"], "{email}");
            let erase = app
                .query_as(email, ERASE, json!({ "r": [first], "why": "Demande" }))
                .await;
            assert_eq!(error_codes(&erase), ["FORBIDDEN"], "{email}");
        }
        assert_eq!(
            error_codes(&app.post(None, FIND, json!({ "n": "Jeanne Dupont" })).await),
            ["UNAUTHENTICATED"]
        );

        // Erased: the content is gone for its readers, the figures stay, the other citizen's
        // request is untouched.
        let erased = app
            .query_as(
                DPO,
                ERASE,
                json!({ "r": [first], "why": "Demande du 30/11 (art. 17)" }),
            )
            .await;
        assert_eq!(data(&erased)["eraseCitizenRequests"], 1);
        let read = app
            .query_as("caf59@t.fr", FULL, json!({ "id": first }))
            .await;
        assert_eq!(data(&read)["node"]["citizenName"], "");
        assert_eq!(data(&read)["node"]["attachments"], json!([]));
        assert_eq!(app.query_as(ANCT, dashboard, Value::Null).await, figures);
        let paul = app.query_as(DPO, FIND, json!({ "n": "paul martin" })).await;
        assert_eq!(
            data(&paul)["citizenRequests"][0]["citizenDetails"],
            "Allocataire 999"
        );
        let again = app
            .query_as(DPO, FIND, json!({ "n": "Jeanne Dupont" }))
            .await;
        assert_eq!(data(&again)["citizenRequests"], json!([]));
        let unknown = app
            .query_as(
                DPO,
                ERASE,
                json!({ "r": ["U3VwcG9ydFJlcXVlc3Q6OTk5OQ"], "why": "x" }),
            )
            .await;
        assert_eq!(error_codes(&unknown), ["NOT_FOUND"]);

        // Each access and erasure is in the audit log, without the content.
        let log = "{ auditLog(filter: { targetType: \"CitizenRights\" }) {
            edges { node { action actorEmail after } } } }";
        let entries = app.query_as(ANCT, log, Value::Null).await;
        let actions: Vec<&str> = data(&entries)["auditLog"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["action"].as_str().expect("action"))
            .collect();
        // Newest first: two searches after the erasure, the erasure, two before.
        assert_eq!(
            actions,
            [
                "privacy.access",
                "privacy.access",
                "privacy.erase",
                "privacy.access",
                "privacy.access"
            ]
        );
        assert!(!entries.to_string().contains("Dupont"));
    }
}
