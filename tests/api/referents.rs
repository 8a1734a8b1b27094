//! Referents: who reads them, who manages them, and which core partners lack one.
use maillage::domain::enums::Role;
use maillage::service::users::{self, ScopeArgs};
use serde_json::{Value, json};

use crate::helpers::*;

const CREATE: &str = "mutation($input: ReferentInput!) {
    createReferent(input: $input) { id partner { code } department { code } kind name email phone }
}";
const UPDATE: &str = "mutation($id: ID!, $input: ReferentInput!) {
    updateReferent(id: $id, input: $input) { name department { code } }
}";
const DELETE: &str = "mutation($id: ID!) { deleteReferent(id: $id) }";
const OF_DEPARTMENT: &str = "query($d: String!) { department(code: $d) {
    referents { name partner { code } kind } missingReferents { code }
} }";

fn referent(partner: &str, department: &str, kind: &str, name: &str) -> Value {
    json!({ "input": { "partner": partner, "department": department, "kind": kind, "name": name,
                       "email": "Contact@Partenaire.fr", "phone": "05 55 00 00 00" } })
}

async fn grant(app: &TestApp, email: &str, role: Role, scope: ScopeArgs) {
    users::grant(&app.db, email, role, &scope, app.now())
        .await
        .expect("grant");
}

#[tokio::test]
async fn everyone_working_in_the_department_reads_its_referents() {
    let app = spawn_app().await;
    let structure = ScopeArgs {
        structure: Some("DEMO-23-01".into()),
        ..Default::default()
    };
    grant(
        &app,
        "agent.gueret@demo.maillage.fr",
        Role::Agent,
        structure,
    )
    .await;
    let created = app
        .query_as(
            PREFECT_23,
            CREATE,
            referent("CAF", "23", "BACK_OFFICE", " Marie Dupont "),
        )
        .await;
    let created = data(&created)["createReferent"].clone();
    assert_eq!(created["name"], "Marie Dupont");
    assert_eq!(created["email"], "contact@partenaire.fr");
    assert_eq!(created["partner"]["code"], "CAF");

    let expected =
        json!([{ "name": "Marie Dupont", "partner": { "code": "CAF" }, "kind": "BACK_OFFICE" }]);
    for email in [
        ANCT,
        PREFECT_23,
        OPERATOR_CAF,
        "agent.gueret@demo.maillage.fr",
    ] {
        let response = app
            .query_as(email, OF_DEPARTMENT, json!({ "d": "23" }))
            .await;
        assert_eq!(
            data(&response)["department"]["referents"],
            expected,
            "{email}"
        );
    }
    for email in [PREFECT_59, AGENT_LILLE, AUDITOR] {
        let response = app
            .query_as(email, OF_DEPARTMENT, json!({ "d": "23" }))
            .await;
        assert_eq!(
            error_codes(&response),
            ["FORBIDDEN", "FORBIDDEN"],
            "{email}"
        );
        assert!(
            response["data"]["department"]["referents"].is_null(),
            "{email}"
        );
        assert!(
            response["data"]["department"]["missingReferents"].is_null(),
            "{email}"
        );
    }
    let anonymous = app.post(None, OF_DEPARTMENT, json!({ "d": "23" })).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);

    let node = "query($id: ID!) { node(id: $id) { ... on Referent { name } } }";
    let id = json!({ "id": created["id"] });
    assert_eq!(
        data(&app.query_as(OPERATOR_CAF, node, id.clone()).await)["node"]["name"],
        "Marie Dupont"
    );
    assert_eq!(
        error_codes(&app.query_as(PREFECT_59, node, id).await),
        ["NOT_FOUND"]
    );
}

#[tokio::test]
async fn a_department_shows_the_core_partners_short_of_two_back_office_referents() {
    let app = spawn_app().await;
    let query = "query($d: String!) { department(code: $d) {
        missingReferents { code }
        referentShortfalls { partner { code } backOfficeReferents expected } } }";
    let read = async |email: &str| -> (Vec<String>, Vec<(String, u64)>) {
        let response = app.query_as(email, query, json!({ "d": "23" })).await;
        let department = data(&response)["department"].clone();
        let missing = department["missingReferents"]
            .as_array()
            .expect("list")
            .iter()
            .map(|p| p["code"].as_str().expect("code").to_owned())
            .collect();
        let short = department["referentShortfalls"]
            .as_array()
            .expect("list")
            .iter()
            .map(|s| {
                assert_eq!(s["expected"], 2);
                (
                    s["partner"]["code"].as_str().expect("code").to_owned(),
                    s["backOfficeReferents"].as_u64().expect("count"),
                )
            })
            .collect();
        (missing, short)
    };
    let (missing, short) = read(PREFECT_23).await;
    assert_eq!(missing.len(), 9);
    assert!(short.iter().all(|(_, n)| *n == 0));
    for (partner, kind, name) in [
        ("CAF", "BACK_OFFICE", "A"),
        ("DGFIP", "TRAINING", "B"),
        ("MSA", "BACK_OFFICE", "C"),
        ("MSA", "BACK_OFFICE", "D"),
    ] {
        data(
            &app.query_as(PREFECT_23, CREATE, referent(partner, "23", kind, name))
                .await,
        );
    }
    // Another department's referents count there only.
    data(
        &app.query_as(
            PREFECT_59,
            CREATE,
            referent("CAF", "59", "BACK_OFFICE", "E"),
        )
        .await,
    );
    let (missing, short) = read(PREFECT_23).await;
    // MSA has its two; CAF one of two; a training referent does not count (DGFIP).
    assert_eq!(
        missing,
        [
            "ASSURANCE_MALADIE",
            "ASSURANCE_RETRAITE",
            "CAF",
            "DGFIP",
            "FRANCE_TRAVAIL",
            "INTERIEUR",
            "JUSTICE",
            "LA_POSTE",
        ]
    );
    assert_eq!(short[2], ("CAF".to_owned(), 1));
    assert_eq!(short[3], ("DGFIP".to_owned(), 0));
    // Read by those working in the department (an operator of CAF nationally), not by the
    // prefect of another department nor anonymously.
    assert_eq!(read(OPERATOR_CAF).await.0, missing);
    let other = app.query_as(PREFECT_59, query, json!({ "d": "23" })).await;
    assert_eq!(
        other["data"]["department"]["referentShortfalls"],
        Value::Null
    );
    assert!(error_codes(&other).iter().all(|c| c == "FORBIDDEN"));
    let anonymous = app.post(None, query, json!({ "d": "23" })).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn operators_manage_their_partners_referents_where_they_work() {
    let app = spawn_app().await;
    let dgfip_59 = ScopeArgs {
        partner: Some("DGFIP".into()),
        department: Some("59".into()),
        ..Default::default()
    };
    grant(&app, "dgfip59@demo.maillage.fr", Role::Operator, dgfip_59).await;
    data(
        &app.query_as(
            OPERATOR_CAF,
            CREATE,
            referent("CAF", "2A", "BACK_OFFICE", "A"),
        )
        .await,
    );
    data(
        &app.query_as(
            "dgfip59@demo.maillage.fr",
            CREATE,
            referent("DGFIP", "59", "BACK_OFFICE", "B"),
        )
        .await,
    );
    for (email, variables) in [
        (OPERATOR_CAF, referent("DGFIP", "2A", "BACK_OFFICE", "X")),
        (
            "dgfip59@demo.maillage.fr",
            referent("DGFIP", "23", "BACK_OFFICE", "X"),
        ),
        (PREFECT_59, referent("CAF", "23", "BACK_OFFICE", "X")),
        (AGENT_LILLE, referent("CAF", "59", "BACK_OFFICE", "X")),
        (AUDITOR, referent("CAF", "59", "BACK_OFFICE", "X")),
    ] {
        let response = app.query_as(email, CREATE, variables).await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{email}");
    }
    let anonymous = app
        .post(None, CREATE, referent("CAF", "59", "BACK_OFFICE", "X"))
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    let all = app
        .query_as(ANCT, "{ departments { referents { name } } }", Value::Null)
        .await;
    let names: Vec<&str> = data(&all)["departments"]
        .as_array()
        .expect("list")
        .iter()
        .flat_map(|d| d["referents"].as_array().expect("list"))
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["A", "B"]);
}

#[tokio::test]
async fn changes_are_checked_before_and_after_and_audited() {
    let app = spawn_app().await;
    let created = app
        .query_as(
            PREFECT_23,
            CREATE,
            referent("CAF", "23", "BACK_OFFICE", "Marie"),
        )
        .await;
    let id = data(&created)["createReferent"]["id"].clone();

    // Moving it to a department the prefect does not steer is refused, and changes nothing.
    let moved = app
        .query_as(
            PREFECT_23,
            UPDATE,
            json!({ "id": id, "input": referent("CAF", "59", "BACK_OFFICE", "Marie")["input"] }),
        )
        .await;
    assert_eq!(error_codes(&moved), ["FORBIDDEN"]);
    // A prefect elsewhere cannot even see it; an operator of another partner sees it but may not change it.
    let elsewhere = app
        .query_as(
            PREFECT_59,
            UPDATE,
            json!({ "id": id, "input": referent("CAF", "59", "BACK_OFFICE", "X")["input"] }),
        )
        .await;
    assert_eq!(error_codes(&elsewhere), ["NOT_FOUND"]);
    let dgfip = ScopeArgs {
        partner: Some("DGFIP".into()),
        ..Default::default()
    };
    grant(&app, "dgfip@demo.maillage.fr", Role::Operator, dgfip).await;
    let other_partner = app
        .query_as("dgfip@demo.maillage.fr", DELETE, json!({ "id": id }))
        .await;
    assert_eq!(error_codes(&other_partner), ["FORBIDDEN"]);

    let renamed = app.query_as(PREFECT_23, UPDATE, json!({ "id": id, "input": referent("CAF", "23", "BACK_OFFICE", "Marie Martin")["input"] })).await;
    assert_eq!(
        data(&renamed)["updateReferent"],
        json!({ "name": "Marie Martin", "department": { "code": "23" } })
    );
    let deleted = app
        .query_as(OPERATOR_CAF, DELETE, json!({ "id": id }))
        .await;
    assert_eq!(data(&deleted)["deleteReferent"], id);
    let gone = app.query_as(PREFECT_23, DELETE, json!({ "id": id })).await;
    assert_eq!(error_codes(&gone), ["NOT_FOUND"]);

    let log = app
        .query_as(PREFECT_23, "{ auditLog(filter: { targetType: \"Referent\" }) { edges { node { action actorEmail before after } } } }", Value::Null)
        .await;
    let entries = data(&log)["auditLog"]["edges"]
        .as_array()
        .expect("edges")
        .clone();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["node"]["action"].as_str().expect("a"))
        .collect();
    assert_eq!(
        actions,
        ["referent.delete", "referent.update", "referent.create"]
    );
    assert_eq!(entries[0]["node"]["actorEmail"], OPERATOR_CAF);
    assert_eq!(entries[1]["node"]["before"]["name"], "Marie");
    assert_eq!(entries[1]["node"]["after"]["name"], "Marie Martin");
    assert!(entries[0]["node"]["after"].is_null());
}

#[tokio::test]
async fn bad_referent_input_is_refused_field_by_field() {
    let app = spawn_app().await;
    app.query_as(ANCT, "mutation { createLocalPartner(input: { code: \"CD59\", name: \"CD du Nord\", department: \"59\" }) { code } }", Value::Null).await;
    let mut cases = Vec::new();
    for (field, value, expected) in [
        ("email", json!("not an email"), "input.email"),
        ("email", json!("a@b"), "input.email"),
        ("name", json!("  "), "input.name"),
        ("phone", json!("call me"), "input.phone"),
        ("partner", json!("NOPE"), "input.partner"),
        ("partner", json!("CD59"), "input.partner"),
        ("department", json!("978"), "input.department"),
    ] {
        let mut variables = referent("CAF", "23", "BACK_OFFICE", "Name");
        variables["input"][field] = value;
        cases.push((variables, expected));
    }
    for (variables, field) in cases {
        let response = app.query_as(ANCT, CREATE, variables.clone()).await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{variables}");
        assert_eq!(
            response["errors"][0]["extensions"]["field"], field,
            "{variables}"
        );
    }
    let none = app
        .query_as(ANCT, OF_DEPARTMENT, json!({ "d": "23" }))
        .await;
    assert_eq!(data(&none)["department"]["referents"], json!([]));
}

#[tokio::test]
async fn a_partner_lists_its_referents_in_the_departments_where_the_reader_works() {
    let app = spawn_app().await;
    for (by, department, name) in [
        (PREFECT_59, "59", "Paul Nord"),
        (PREFECT_59, "59", "Anne Lille"),
        (PREFECT_23, "23", "Marc Creuse"),
    ] {
        data(
            &app.query_as(by, CREATE, referent("CAF", department, "BACK_OFFICE", name))
                .await,
        );
    }
    data(
        &app.query_as(
            PREFECT_23,
            CREATE,
            referent("MSA", "23", "BACK_OFFICE", "Julie Msa"),
        )
        .await,
    );
    grant(
        &app,
        "caf59@t.fr",
        Role::Operator,
        ScopeArgs {
            partner: Some("CAF".into()),
            department: Some("59".into()),
            ..Default::default()
        },
    )
    .await;
    let query =
        "{ partner(code: \"CAF\") { referents { name department { code } partner { code } } } }";
    let names = |answer: &Value| -> Vec<String> {
        data(answer)["partner"]["referents"]
            .as_array()
            .expect("referents")
            .iter()
            .map(|r| {
                assert_eq!(r["partner"]["code"], "CAF");
                format!(
                    "{} {}",
                    r["department"]["code"].as_str().expect("code"),
                    r["name"].as_str().expect("name")
                )
            })
            .collect()
    };
    // The national CAF operator and ANCT: every department.
    for email in [OPERATOR_CAF, ANCT] {
        assert_eq!(
            names(&app.query_as(email, query, Value::Null).await),
            ["23 Marc Creuse", "59 Anne Lille", "59 Paul Nord"],
            "{email}"
        );
    }
    // The CAF operator of Nord, its prefect and an agent there: Nord's only.
    for email in ["caf59@t.fr", PREFECT_59, AGENT_LILLE] {
        assert_eq!(
            names(&app.query_as(email, query, Value::Null).await),
            ["59 Anne Lille", "59 Paul Nord"],
            "{email}"
        );
    }
    // Creuse's prefect: Creuse's only.
    assert_eq!(
        names(&app.query_as(PREFECT_23, query, Value::Null).await),
        ["23 Marc Creuse"]
    );
    // Anonymous: not signed in.
    let anonymous = app.post(None, query, Value::Null).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
}
