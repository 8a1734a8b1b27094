//! The criteria catalogue: the 2019 grid ships as data; ANCT loads new versions.
use serde_json::{Value, json};

use crate::helpers::*;

const CURRENT: &str = "query($v: String) { criteriaFramework(version: $v) {
    version current effectiveFrom criteria { code theme label mandatory computable }
} }";
const LOAD: &str = "mutation($input: LoadCriteriaFrameworkInput!) {
    loadCriteriaFramework(input: $input) { version current criteria { code } }
}";
const COMPUTABLE: [&str; 16] = [
    "C01", "C02", "C04", "C06", "C07", "C08", "C09", "C10", "C15", "C16", "C19", "C20", "C24",
    "C25", "C26", "C27",
];

fn framework(version: &str, effective_from: &str, codes: &[&str]) -> Value {
    let criteria: Vec<Value> = codes
        .iter()
        .map(|code| {
            json!({ "code": code, "theme": "ACCUEIL", "label": format!("Critère {code}"),
                            "mandatory": true, "computable": false })
        })
        .collect();
    json!({ "input": { "version": version, "label": format!("Référentiel {version}"),
                       "effectiveFrom": effective_from, "criteria": criteria } })
}

#[tokio::test]
async fn every_role_reads_the_thirty_criteria_of_the_2019_grid() {
    let app = spawn_app().await;
    for email in [ANCT, PREFECT_59, AUDITOR, OPERATOR_CAF, AGENT_LILLE] {
        let response = app.query_as(email, CURRENT, Value::Null).await;
        let grid = &data(&response)["criteriaFramework"];
        assert_eq!(grid["version"], "2019", "{email}");
        assert_eq!(grid["current"], true);
        let criteria = grid["criteria"].as_array().expect("criteria");
        assert_eq!(criteria.len(), 30);
        assert_eq!(criteria[0]["code"], "C01");
        assert_eq!(criteria[0]["theme"], "OPENING_AND_STAFF");
        assert!(criteria.iter().all(|c| c["mandatory"] == true));
        let computable: Vec<&str> = criteria
            .iter()
            .filter(|c| c["computable"] == true)
            .map(|c| c["code"].as_str().expect("code"))
            .collect();
        assert_eq!(computable, COMPUTABLE);
    }
    let anonymous = app.post(None, CURRENT, Value::Null).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn anct_loads_a_new_version_that_applies_from_its_date() {
    let app = spawn_app().await;
    let loaded = app
        .query_as(
            ANCT,
            LOAD,
            framework("2025", "2025-06-16", &["A1", "A2", "A3"]),
        )
        .await;
    assert_eq!(
        data(&loaded)["loadCriteriaFramework"],
        json!({ "version": "2025", "current": true, "criteria": [{ "code": "A1" }, { "code": "A2" }, { "code": "A3" }] })
    );
    let future = app
        .query_as(ANCT, LOAD, framework("2030", &app.day(30), &["F1"]))
        .await;
    assert_eq!(data(&future)["loadCriteriaFramework"]["current"], false);

    let current = app.query_as(AGENT_LILLE, CURRENT, Value::Null).await;
    assert_eq!(data(&current)["criteriaFramework"]["version"], "2025");
    let old = app
        .query_as(AGENT_LILLE, CURRENT, json!({ "v": "2019" }))
        .await;
    assert_eq!(data(&old)["criteriaFramework"]["current"], false);
    let all = app
        .query_as(
            PREFECT_23,
            "{ criteriaFrameworks { version current } }",
            Value::Null,
        )
        .await;
    assert_eq!(
        data(&all)["criteriaFrameworks"],
        json!([{ "version": "2030", "current": false }, { "version": "2025", "current": true },
               { "version": "2019", "current": false }])
    );
    let missing = app
        .query_as(AGENT_LILLE, CURRENT, json!({ "v": "1999" }))
        .await;
    assert_eq!(error_codes(&missing), ["NOT_FOUND"]);

    // Audited, with no department: ANCT reads it, prefects do not.
    let log = "{ auditLog { totalCount edges { node { action targetKey actorEmail } } } }";
    let anct = app.query_as(ANCT, log, Value::Null).await;
    assert_eq!(data(&anct)["auditLog"]["totalCount"], 2);
    assert_eq!(
        data(&anct)["auditLog"]["edges"][1]["node"],
        json!({ "action": "criteria.load_framework", "targetKey": "2025", "actorEmail": ANCT })
    );
    let prefect = app.query_as(PREFECT_23, log, Value::Null).await;
    assert_eq!(data(&prefect)["auditLog"]["totalCount"], 0);
}

#[tokio::test]
async fn only_anct_loads_a_framework() {
    let app = spawn_app().await;
    for email in [PREFECT_59, AUDITOR, OPERATOR_CAF, AGENT_LILLE] {
        let response = app
            .query_as(email, LOAD, framework("2025", "2025-06-16", &["A1"]))
            .await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{email}");
    }
    let anonymous = app
        .post(None, LOAD, framework("2025", "2025-06-16", &["A1"]))
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    let all = app
        .query_as(ANCT, "{ criteriaFrameworks { version } }", Value::Null)
        .await;
    assert_eq!(
        data(&all)["criteriaFrameworks"],
        json!([{ "version": "2019" }])
    );
}

#[tokio::test]
async fn a_bad_framework_is_refused_field_by_field_and_versions_never_change() {
    let app = spawn_app().await;
    let mut empty_theme = framework("2025", "2025-06-16", &["A1", "A2"]);
    empty_theme["input"]["criteria"][1]["theme"] = json!(" ");
    for (variables, code, field) in [
        (
            framework("20 25", "2025-06-16", &["A1"]),
            "BAD_USER_INPUT",
            Some("input.version"),
        ),
        (
            framework("2025", "2025-06-16", &[]),
            "BAD_USER_INPUT",
            Some("input.criteria"),
        ),
        (
            framework("2025", "2025-06-16", &["A1", "A1"]),
            "BAD_USER_INPUT",
            Some("input.criteria[1].code"),
        ),
        (
            empty_theme,
            "BAD_USER_INPUT",
            Some("input.criteria[1].theme"),
        ),
        (framework("2019", "2019-07-01", &["C01"]), "CONFLICT", None),
    ] {
        let response = app.query_as(ANCT, LOAD, variables.clone()).await;
        assert_eq!(error_codes(&response), [code], "{variables}");
        if let Some(field) = field {
            assert_eq!(response["errors"][0]["extensions"]["field"], field);
        }
    }
    let all = app
        .query_as(
            ANCT,
            "{ criteriaFrameworks { version criteria { code } } }",
            Value::Null,
        )
        .await;
    let frameworks = data(&all)["criteriaFrameworks"]
        .as_array()
        .expect("list")
        .clone();
    assert_eq!(frameworks.len(), 1);
    assert_eq!(
        frameworks[0]["criteria"]
            .as_array()
            .expect("criteria")
            .len(),
        30
    );
}
