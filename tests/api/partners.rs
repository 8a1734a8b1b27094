//! `createLocalPartner`: who may add a local partner, and what input is refused.
use maillage::domain::enums::Role;
use maillage::service::users::{self, ScopeArgs};
use serde_json::{Value, json};

use crate::helpers::*;

const CREATE: &str = "mutation($input: CreateLocalPartnerInput!) {
    createLocalPartner(input: $input) { code name core national department { code } }
}";

fn input(code: &str, name: &str, department: &str) -> Value {
    json!({ "input": { "code": code, "name": name, "department": department } })
}

async fn exists(app: &TestApp, code: &str) -> bool {
    let response = app
        .query_as(
            ANCT,
            "query($c: String!) { partner(code: $c) { code } }",
            json!({ "c": code }),
        )
        .await;
    response["data"]["partner"]["code"] == code
}

#[tokio::test]
async fn a_prefect_adds_a_local_partner_to_their_department() {
    let app = spawn_app().await;
    // Warm the in-memory reference snapshot before the partner exists.
    let warm = app
        .query_as(
            OPERATOR_CAF,
            "{ me { roles { partner { code } } } }",
            Value::Null,
        )
        .await;
    assert_eq!(data(&warm)["me"]["roles"][0]["partner"]["code"], "CAF");
    let created = app
        .query_as(
            PREFECT_23,
            CREATE,
            input("cd23", "  Conseil départemental de la Creuse ", "23"),
        )
        .await;
    assert_eq!(
        data(&created)["createLocalPartner"],
        json!({ "code": "CD23", "name": "Conseil départemental de la Creuse", "core": false,
                "national": false, "department": { "code": "23" } })
    );
    // Everyone signed in can read it; it is listed with the department's partners only.
    let list = "query($d: String) { partners(filter: { department: $d }) { code } }";
    let creuse = app.query_as(AGENT_LILLE, list, json!({ "d": "23" })).await;
    let codes: Vec<&str> = data(&creuse)["partners"]
        .as_array()
        .expect("list")
        .iter()
        .map(|p| p["code"].as_str().expect("code"))
        .collect();
    assert_eq!(codes.len(), 12);
    assert_eq!(codes.last(), Some(&"CD23"));
    let nord = app.query_as(AGENT_LILLE, list, json!({ "d": "59" })).await;
    assert_eq!(data(&nord)["partners"].as_array().expect("list").len(), 11);

    // The snapshot was refreshed: an operator of the new partner sees it at once.
    let scope = ScopeArgs {
        partner: Some("CD23".into()),
        department: Some("23".into()),
        ..Default::default()
    };
    users::grant(
        &app.db,
        "agent.cd23@creuse.fr",
        Role::Operator,
        &scope,
        app.now(),
    )
    .await
    .expect("grant");
    let me = app
        .query_as(
            "agent.cd23@creuse.fr",
            "{ me { roles { partner { code name } } } }",
            Value::Null,
        )
        .await;
    assert_eq!(
        data(&me)["me"]["roles"][0]["partner"],
        json!({ "code": "CD23", "name": "Conseil départemental de la Creuse" })
    );
}

#[tokio::test]
async fn anct_adds_local_partners_in_any_department() {
    let app = spawn_app().await;
    let created = app
        .query_as(
            ANCT,
            CREATE,
            input("MISSION_LOCALE_2A", "Mission locale d'Ajaccio", "2A"),
        )
        .await;
    assert_eq!(
        data(&created)["createLocalPartner"]["department"]["code"],
        "2A"
    );
}

#[tokio::test]
async fn others_cannot_add_a_local_partner_and_nothing_is_created() {
    let app = spawn_app().await;
    for email in [PREFECT_59, AGENT_LILLE, OPERATOR_CAF, AUDITOR] {
        let response = app
            .query_as(email, CREATE, input("CD23", "Conseil départemental", "23"))
            .await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{email}");
        assert!(response["data"].is_null(), "{email}: {response}");
    }
    let anonymous = app
        .post(None, CREATE, input("CD23", "Conseil départemental", "23"))
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    assert!(!exists(&app, "CD23").await);
}

#[tokio::test]
async fn bad_input_and_duplicate_codes_are_refused_clearly() {
    let app = spawn_app().await;
    for (variables, code, field) in [
        (
            input("x", "Name", "23"),
            "BAD_USER_INPUT",
            Some("input.code"),
        ),
        (
            input("CD 23", "Name", "23"),
            "BAD_USER_INPUT",
            Some("input.code"),
        ),
        (
            input("CD23", "   ", "23"),
            "BAD_USER_INPUT",
            Some("input.name"),
        ),
        (
            input("CD23", "Name", "978"),
            "BAD_USER_INPUT",
            Some("input.department"),
        ),
        (input("caf", "Caisse bis", "23"), "CONFLICT", None),
    ] {
        let response = app.query_as(PREFECT_23, CREATE, variables.clone()).await;
        assert_eq!(error_codes(&response), [code], "{variables}");
        if let Some(field) = field {
            assert_eq!(
                response["errors"][0]["extensions"]["field"], field,
                "{variables}"
            );
        }
    }
    assert!(!exists(&app, "CD23").await);
    let first = app
        .query_as(
            PREFECT_23,
            CREATE,
            input("CD23", "Conseil départemental", "23"),
        )
        .await;
    data(&first);
    let again = app
        .query_as(PREFECT_23, CREATE, input("CD23", "Autre nom", "23"))
        .await;
    assert_eq!(error_codes(&again), ["CONFLICT"]);
    assert_eq!(
        again["errors"][0]["message"],
        "a partner with code 'CD23' already exists"
    );
}
