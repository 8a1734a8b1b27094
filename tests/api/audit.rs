//! The audit log: mutations are recorded in their transaction, and each role reads only its
//! slice (ANCT all, a prefect their departments').
use std::collections::BTreeSet;

use maillage::auth::Policy;
use maillage::auth::policy::PolarAuditEntry;
use maillage::service::users;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::*;

const CREATE: &str =
    "mutation($input: CreateLocalPartnerInput!) { createLocalPartner(input: $input) { code } }";
const LOG: &str = "query($first: Int, $after: String, $filter: AuditFilterInput) {
    auditLog(first: $first, after: $after, filter: $filter) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { actorEmail action targetType targetKey department { code } before after } }
    }
}";

async fn create(app: &TestApp, email: &str, code: &str, department: &str) -> Value {
    app.query_as(
        email,
        CREATE,
        json!({ "input": { "code": code, "name": format!("Partenaire {code}"), "department": department } }),
    )
    .await
}

async fn log(app: &TestApp, email: &str, variables: Value) -> Value {
    let response = app.query_as(email, LOG, variables).await;
    data(&response)["auditLog"].clone()
}

#[tokio::test]
async fn a_created_local_partner_is_audited_for_anct_and_the_departments_prefect_only() {
    let app = spawn_app().await;
    data(&create(&app, PREFECT_23, "CD23", "23").await);
    let expected = json!({
        "actorEmail": PREFECT_23, "action": "partner.create_local", "targetType": "Partner",
        "targetKey": "CD23", "department": { "code": "23" }, "before": null,
        "after": { "code": "CD23", "name": "Partenaire CD23", "core": false, "department": "23" }
    });
    for email in [ANCT, PREFECT_23] {
        let entries = log(&app, email, Value::Null).await;
        assert_eq!(entries["totalCount"], 1, "{email}");
        assert_eq!(entries["edges"][0]["node"], expected, "{email}");
    }
    for email in [PREFECT_59, AGENT_LILLE, OPERATOR_CAF, AUDITOR] {
        let entries = log(&app, email, Value::Null).await;
        assert_eq!(entries["totalCount"], 0, "{email}");
        assert_eq!(entries["edges"], json!([]), "{email}");
    }
    let anonymous = app.post(None, LOG, Value::Null).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn a_refused_mutation_records_nothing() {
    let app = spawn_app().await;
    assert_eq!(
        error_codes(&create(&app, PREFECT_59, "CD23", "23").await),
        ["FORBIDDEN"]
    );
    assert_eq!(
        error_codes(&create(&app, PREFECT_23, "CAF", "23").await),
        ["CONFLICT"]
    );
    assert_eq!(
        error_codes(&create(&app, PREFECT_23, "?", "23").await),
        ["BAD_USER_INPUT"]
    );
    assert_eq!(log(&app, ANCT, Value::Null).await["totalCount"], 0);
}

#[tokio::test]
async fn the_log_pages_newest_first_and_filters() {
    let app = spawn_app().await;
    for (code, department) in [("P1", "23"), ("P2", "59"), ("P3", "23")] {
        data(&create(&app, ANCT, code, department).await);
    }
    let first = log(&app, ANCT, json!({ "first": 2 })).await;
    let keys = |page: &Value| -> Vec<String> {
        page["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["targetKey"].as_str().expect("key").to_owned())
            .collect()
    };
    assert_eq!(keys(&first), ["P3", "P2"]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let second = log(
        &app,
        ANCT,
        json!({ "first": 2, "after": first["pageInfo"]["endCursor"] }),
    )
    .await;
    assert_eq!(keys(&second), ["P1"]);
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
    let creuse = log(&app, ANCT, json!({ "filter": { "department": "23" } })).await;
    assert_eq!(
        (keys(&creuse), creuse["totalCount"].clone()),
        (vec!["P3".to_owned(), "P1".to_owned()], json!(2))
    );
    let one = log(
        &app,
        ANCT,
        json!({ "filter": { "targetType": "Partner", "targetKey": "P2" } }),
    )
    .await;
    assert_eq!(keys(&one), ["P2"]);
    let bad = app
        .query_as(ANCT, LOG, json!({ "after": "eyJub3BlIjp0cnVlfQ" }))
        .await;
    assert_eq!(error_codes(&bad), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn sql_scope_of_the_log_equals_the_policy_for_every_demo_actor() {
    let app = spawn_app().await;
    for (code, department) in [("P23", "23"), ("P59", "59"), ("P2A", "2A")] {
        data(&create(&app, ANCT, code, department).await);
    }
    let policy = Policy::load().expect("policy");
    let rows = entity::audit_log::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    for email in [
        ANCT,
        PREFECT_59,
        PREFECT_23,
        AUDITOR,
        OPERATOR_CAF,
        AGENT_LILLE,
    ] {
        let user = users::find_by_email(&app.db, email)
            .await
            .expect("db")
            .expect("user");
        let actor = users::load_actor(&app.db, users::bearer_of(&user))
            .await
            .expect("actor");
        let allowed: BTreeSet<String> = rows
            .iter()
            .filter(|row| {
                policy
                    .is_allowed(&actor, "read", PolarAuditEntry::from(*row))
                    .expect("policy")
            })
            .map(|row| row.target_key.clone())
            .collect();
        let listed: BTreeSet<String> = log(&app, email, json!({ "first": 100 })).await["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["targetKey"].as_str().expect("key").to_owned())
            .collect();
        assert_eq!(listed, allowed, "{email}");
        let expected: &[&str] = match email {
            ANCT => &["P23", "P2A", "P59"],
            PREFECT_59 => &["P59"],
            PREFECT_23 => &["P23"],
            _ => &[],
        };
        assert_eq!(
            listed.iter().map(String::as_str).collect::<Vec<_>>(),
            expected,
            "{email}"
        );
    }
}
