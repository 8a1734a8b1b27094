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

/// The same fields of a partner, asked plainly (answered at once, `graphql::flat`) and beside
/// a field that takes async-graphql's usual path item by item.
const PARTNER_LISTS: &str = "query($m: String!) {
    plain: structure(matricule: $m) { effectivePartners { __typename id code label: name core national code } }
    usual: structure(matricule: $m) { effectivePartners { __typename id code label: name core national code department { code } } }
    spread: structure(matricule: $m) { effectivePartners { ... on Partner { __typename id code label: name core national } } }
    partners { __typename id code label: name core national }
    every: partners { __typename id code label: name core national department { code } }
}";

/// `list` without the field `department` of each item.
fn without_department(list: &Value) -> Value {
    let mut list = list.clone();
    for item in list.as_array_mut().expect("a list") {
        item.as_object_mut()
            .expect("an object")
            .remove("department");
    }
    list
}

#[tokio::test]
async fn partner_lists_answer_the_same_fields_whichever_way_they_are_resolved() {
    let app = spawn_app().await;
    annex_local_partner(&app, "DEMO-59-02").await;
    let vars = json!({ "m": "DEMO-59-02" });
    let raw = app.raw_as(PREFECT_59, PARTNER_LISTS, vars.clone()).await;
    let response: Value = serde_json::from_str(&raw).expect("json");
    let lists = data(&response);
    let plain = &lists["plain"]["effectivePartners"];
    // Nine core partners and the local one, national and local, by code.
    let codes: Vec<&str> = plain
        .as_array()
        .expect("partners")
        .iter()
        .map(|p| p["code"].as_str().expect("code"))
        .collect();
    assert_eq!(codes.len(), 10, "{plain}");
    assert!(
        codes.contains(&"CD59") && codes.contains(&"CAF"),
        "{codes:?}"
    );
    let partner = |code: &str| {
        plain
            .as_array()
            .expect("partners")
            .iter()
            .find(|p| p["code"] == code)
            .unwrap_or_else(|| panic!("{code} listed"))
    };
    let cd59 = partner("CD59");
    assert_eq!(
        cd59,
        &json!({ "__typename": "Partner", "id": cd59["id"], "code": "CD59",
                 "label": "Département du Nord", "core": false, "national": false })
    );
    let caf = partner("CAF");
    assert_eq!(
        (&caf["core"], &caf["national"]),
        (&json!(true), &json!(true))
    );
    // The id is the partner's global id: `node` finds it.
    let node = app
        .query_as(
            PREFECT_59,
            "query($id: ID!) { node(id: $id) { ... on Partner { code } } }",
            json!({ "id": cd59["id"] }),
        )
        .await;
    assert_eq!(data(&node)["node"]["code"], "CD59", "{node}");

    // Answered at once or item by item, the same values.
    assert_eq!(
        without_department(&lists["usual"]["effectivePartners"]),
        *plain
    );
    assert_eq!(lists["spread"]["effectivePartners"], *plain);
    assert_eq!(without_department(&lists["every"]), lists["partners"]);
    assert!(
        lists["partners"]
            .as_array()
            .expect("partners")
            .iter()
            .any(|p| p["code"] == "CD59"),
        "{}",
        lists["partners"]
    );
    // In the order of the selection (the spec's serialized map ordering), the repeated
    // `code` in its first place.
    let first = raw.find("\"plain\"").expect("plain");
    let cd59_at = first + raw[first..].find("\"code\":\"CD59\"").expect("CD59 listed");
    let object = &raw[raw[..cd59_at].rfind('{').expect("its object")..];
    let object = &object[..=object.find('}').expect("its end")];
    assert_eq!(
        object,
        format!(
            "{{\"__typename\":\"Partner\",\"id\":{},\"code\":\"CD59\",\
             \"label\":\"Département du Nord\",\"core\":false,\"national\":false}}",
            cd59["id"]
        )
    );

    // Out of scope: the prefect of Creuse finds no structure of Nord; anonymous callers are
    // refused.
    let creuse = app.query_as(PREFECT_23, PARTNER_LISTS, vars.clone()).await;
    assert_eq!(error_codes(&creuse)[0], "NOT_FOUND", "{creuse}");
    assert_eq!(creuse["data"]["plain"], Value::Null);
    let anonymous = app.post(None, PARTNER_LISTS, vars).await;
    assert!(
        error_codes(&anonymous)
            .iter()
            .all(|c| c == "UNAUTHENTICATED"),
        "{anonymous}"
    );
}
