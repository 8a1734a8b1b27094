//! Reference data (departments, cantons, communes, partners) and department coverage.
use maillage::domain::ids::{NodeType, encode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn every_signed_in_role_reads_the_101_built_in_departments() {
    let app = spawn_app().await;
    for email in [ANCT, PREFECT_59, AUDITOR, OPERATOR_CAF, AGENT_LILLE] {
        let response = app
            .query_as(
                email,
                "{ departments { code name region { name } } }",
                Value::Null,
            )
            .await;
        let departments = data(&response)["departments"]
            .as_array()
            .expect("list")
            .clone();
        assert_eq!(departments.len(), 101, "{email}");
        assert_eq!(
            departments[0],
            json!({ "code": "01", "name": "Ain", "region": { "name": "Auvergne-Rhône-Alpes" } })
        );
    }
    let unknown = app
        .query_as(ANCT, "{ department(code: \"978\") { name } }", Value::Null)
        .await;
    assert_eq!(error_codes(&unknown), ["NOT_FOUND"]);
}

const COVERAGE: &str = "query($code: String!) { department(code: $code) {
    code coverage { cantonCount coveredCount uncoveredCount uncoveredCantons { code name kind } }
} }";

#[tokio::test]
async fn coverage_counts_cantons_with_a_labelled_structure() {
    let app = spawn_app().await;
    let response = app
        .query_as(PREFECT_23, COVERAGE, json!({ "code": "23" }))
        .await;
    assert_eq!(
        data(&response)["department"]["coverage"],
        json!({
            "cantonCount": 3, "coveredCount": 2, "uncoveredCount": 1,
            "uncoveredCantons": [{ "code": "2315", "name": "La Souterraine", "kind": "CANTON" }]
        })
    );
    // Lille holds a labelled site and a candidate bus: only the labelled one counts.
    app.db
        .execute_unprepared(
            "UPDATE structure SET label_status = 'WITHDRAWN' WHERE matricule = 'DEMO-59-01'",
        )
        .await
        .expect("withdraw");
    let nord = app.query_as(ANCT, COVERAGE, json!({ "code": "59" })).await;
    let coverage = &data(&nord)["department"]["coverage"];
    assert_eq!(coverage["cantonCount"], 3);
    assert_eq!(coverage["coveredCount"], 2);
    assert_eq!(
        coverage["uncoveredCantons"],
        json!([{ "code": "5997", "name": "Lille", "kind": "CITY_CANTON" }])
    );
}

#[tokio::test]
async fn coverage_is_hidden_from_those_who_do_not_steer_the_department() {
    let app = spawn_app().await;
    for email in [PREFECT_59, AGENT_LILLE, OPERATOR_CAF, AUDITOR] {
        let response = app.query_as(email, COVERAGE, json!({ "code": "23" })).await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{email}");
        assert_eq!(response["data"]["department"]["code"], "23", "{email}");
        assert!(
            response["data"]["department"]["coverage"].is_null(),
            "{email}"
        );
    }
    let anonymous = app.post(None, COVERAGE, json!({ "code": "23" })).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn coverage_of_every_department_loads_in_one_request() {
    let app = spawn_app().await;
    let response = app
        .query_as(
            ANCT,
            "{ departments { code coverage { cantonCount coveredCount } } }",
            Value::Null,
        )
        .await;
    let departments = data(&response)["departments"]
        .as_array()
        .expect("list")
        .clone();
    let covered: u64 = departments
        .iter()
        .map(|d| d["coverage"]["coveredCount"].as_u64().expect("n"))
        .sum();
    let units: u64 = departments
        .iter()
        .map(|d| d["coverage"]["cantonCount"].as_u64().expect("n"))
        .sum();
    assert_eq!((covered, units), (6, 7));
}

#[tokio::test]
async fn partners_are_the_nine_core_and_two_newer_national_operators() {
    let app = spawn_app().await;
    let response = app
        .query_as(
            AGENT_LILLE,
            "{ partners { code core national } }",
            Value::Null,
        )
        .await;
    let partners = data(&response)["partners"]
        .as_array()
        .expect("list")
        .clone();
    assert_eq!(partners.len(), 11);
    let core: Vec<&str> = partners
        .iter()
        .filter(|p| p["core"] == true)
        .map(|p| p["code"].as_str().expect("code"))
        .collect();
    assert_eq!(
        core,
        [
            "ASSURANCE_MALADIE",
            "ASSURANCE_RETRAITE",
            "CAF",
            "DGFIP",
            "FRANCE_TRAVAIL",
            "INTERIEUR",
            "JUSTICE",
            "LA_POSTE",
            "MSA"
        ]
    );
    assert!(partners.iter().all(|p| p["national"] == true));
    let others = app
        .query_as(
            OPERATOR_CAF,
            "{ partners(filter: { core: false }) { code } }",
            Value::Null,
        )
        .await;
    assert_eq!(
        data(&others)["partners"],
        json!([{ "code": "ANAH" }, { "code": "CHEQUE_ENERGIE" }])
    );
    let caf = app
        .query_as(
            PREFECT_23,
            "{ partner(code: \"CAF\") { name core } }",
            Value::Null,
        )
        .await;
    assert_eq!(data(&caf)["partner"]["core"], true);
    let missing = app
        .query_as(
            PREFECT_23,
            "{ partner(code: \"NOPE\") { name } }",
            Value::Null,
        )
        .await;
    assert_eq!(error_codes(&missing), ["NOT_FOUND"]);
}

#[tokio::test]
async fn reference_nodes_resolve_by_global_id() {
    let app = spawn_app().await;
    let query = "query($id: ID!) { node(id: $id) { id
        ... on Department { code } ... on Canton { code } ... on Commune { code } ... on Partner { code } } }";
    for (node_type, key) in [
        (NodeType::Department, "2A"),
        (NodeType::Canton, "2309"),
        (NodeType::Commune, "59350"),
        (NodeType::Partner, "DGFIP"),
    ] {
        let id = encode(node_type, key);
        let response = app.query_as(AUDITOR, query, json!({ "id": id })).await;
        assert_eq!(data(&response)["node"], json!({ "id": id, "code": key }));
    }
    let garbage = app
        .query_as(AUDITOR, query, json!({ "id": "bm9wZTox" }))
        .await;
    assert_eq!(error_codes(&garbage), ["NOT_FOUND"]);
    let anonymous = app
        .post(
            None,
            query,
            json!({ "id": encode(NodeType::Department, "59") }),
        )
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
}
