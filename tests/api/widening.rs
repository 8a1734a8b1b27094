//! Authorization, second pass (issue 13): no mutation widens its caller's access or that of
//! someone outside the caller's scope; every `Node` type answers by its own rule; a local
//! partner's operators stay in its department; the draw of a mystery campaign stays hidden.
use maillage::domain::enums::Role;
use maillage::service::users::{self, ScopeArgs};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

use crate::agents::{label_demo_bus, person};
use crate::helpers::*;
use crate::workflow::refused;

const REGISTER: &str = "mutation($s: String!, $input: AgentInput!) {
    registerAgent(structure: $s, input: $input) { id } }";
const ONBOARD: &str = "mutation($c: String!, $a: [AgentInput!]!) {
    onboardStructure(code: $c, agents: $a) { matricule registered } }";
const NODE_AGENT: &str = "query($id: ID!) { node(id: $id) { ... on Agent { name } } }";

/// The role assignments of `email`, as the actor loaded on each request sees them.
async fn roles(app: &TestApp, email: &str) -> Vec<(Role, Option<String>)> {
    let user = users::find_by_email(&app.db, email)
        .await
        .expect("db")
        .expect("user");
    users::load_actor(&app.db, users::bearer_of(&user))
        .await
        .expect("actor")
        .assignments
        .into_iter()
        .map(|a| (a.role, a.department_code.or(a.structure_department_code)))
        .collect()
}

#[tokio::test]
async fn registering_an_agent_never_gives_a_role_to_an_account_that_holds_another() {
    let app = spawn_app().await;
    let agent_of_23 = "agent.gueret@t.fr";
    let scope = ScopeArgs {
        structure: Some("DEMO-23-01".into()),
        ..Default::default()
    };
    users::grant(&app.db, agent_of_23, Role::Agent, &scope, app.now())
        .await
        .expect("grant");
    let before: Vec<_> = [PREFECT_59, OPERATOR_CAF, ANCT, AUDITOR, agent_of_23]
        .into_iter()
        .map(|e| e.to_owned())
        .collect();
    let mut held = Vec::new();
    for email in &before {
        held.push(roles(&app, email).await);
    }
    // The prefect registering themselves (which would open the citizens' Administration+
    // content to them), a partner's operator, ANCT, an auditor, an agent of another department.
    for email in &before {
        let vars = json!({ "s": "DEMO-59-01", "input": person("Quelqu'un", email) });
        let response = app.query_as(PREFECT_59, REGISTER, vars).await;
        refused(&response, "FORBIDDEN");
    }
    // Through the onboarding code as well; a refused attempt does not use the code up.
    let code = label_demo_bus(&app).await;
    for email in &before {
        let vars = json!({ "c": code, "a": [person("Quelqu'un", email)] });
        refused(&app.post(None, ONBOARD, vars).await, "FORBIDDEN");
    }
    for (email, roles_before) in before.iter().zip(&held) {
        assert_eq!(&roles(&app, email).await, roles_before, "{email}");
    }
    // The code attaches no account that holds a role, not even an agent of the same
    // department (whoever holds the code would choose who gets in); the prefecture does.
    let vars = json!({ "c": code, "a": [person("Léa Martin", AGENT_LILLE)] });
    refused(&app.post(None, ONBOARD, vars).await, "FORBIDDEN");
    let vars = json!({ "c": code, "a": [person("Chloé Petit", "chloe@bus.fr")] });
    let done = app.post(None, ONBOARD, vars).await;
    assert_eq!(data(&done)["onboardStructure"]["registered"], 1);
    let vars = json!({ "s": "DEMO-59-04", "input": person("Léa Martin", AGENT_LILLE) });
    data(&app.query_as(PREFECT_59, REGISTER, vars).await);
    assert_eq!(roles(&app, AGENT_LILLE).await.len(), 2);
}

#[tokio::test]
async fn an_agent_is_read_by_the_rule_of_their_structures_internal_data_on_every_path() {
    let app = spawn_app().await;
    let listed = app
        .query_as(
            ANCT,
            "{ structure(matricule: \"DEMO-59-01\") { agents { id } } }",
            Value::Null,
        )
        .await;
    let id = data(&listed)["structure"]["agents"][0]["id"].clone();
    for reader in [ANCT, PREFECT_59, AGENT_LILLE] {
        let found = app.query_as(reader, NODE_AGENT, json!({ "id": id })).await;
        assert_eq!(data(&found)["node"]["name"], "Léa Martin", "{reader}");
    }
    // The CAF operator and the auditor read DEMO-59-01's public facts, not its agents.
    for outsider in [OPERATOR_CAF, AUDITOR, PREFECT_23] {
        let hidden = app
            .query_as(outsider, NODE_AGENT, json!({ "id": id }))
            .await;
        refused(&hidden, "NOT_FOUND");
        assert!(hidden["data"]["node"].is_null(), "{outsider}");
    }
    refused(
        &app.post(None, NODE_AGENT, json!({ "id": id })).await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn a_local_partners_operator_acts_in_its_department_only() {
    let app = spawn_app().await;
    let created = app
        .query_as(
            PREFECT_23,
            "mutation { createLocalPartner(input: { code: \"cd23\", name: \"Conseil départemental\", department: \"23\" }) { code } }",
            Value::Null,
        )
        .await;
    data(&created);
    for department in [None, Some("59")] {
        let scope = ScopeArgs {
            partner: Some("CD23".into()),
            department: department.map(Into::into),
            ..Default::default()
        };
        let refused = users::grant(&app.db, "op@cd23.fr", Role::Operator, &scope, app.now()).await;
        assert!(refused.is_err(), "{department:?}");
    }
    // A national row written before the rule reaches department 23 only.
    let partner = entity::partner::Entity::find()
        .filter(entity::partner::Column::Code.eq("CD23"))
        .one(&app.db)
        .await
        .expect("db")
        .expect("partner");
    let scope = ScopeArgs {
        department: Some("23".into()),
        partner: Some("CD23".into()),
        ..Default::default()
    };
    users::grant(&app.db, "op@cd23.fr", Role::Operator, &scope, app.now())
        .await
        .expect("grant in its department");
    let mut row: entity::role_assignment::ActiveModel = entity::role_assignment::Entity::find()
        .filter(entity::role_assignment::Column::PartnerId.eq(partner.id))
        .one(&app.db)
        .await
        .expect("db")
        .expect("row")
        .into();
    row.department_code = Set(None);
    row.update(&app.db).await.expect("widen the row by hand");
    assert_eq!(
        roles(&app, "op@cd23.fr").await,
        [(Role::Operator, Some("23".to_owned()))]
    );
    let referents = app
        .query_as(
            "op@cd23.fr",
            "{ department(code: \"59\") { referents { name } } }",
            Value::Null,
        )
        .await;
    assert!(referents["data"]["department"]["referents"].is_null());
    assert!(!error_codes(&referents).is_empty());
}

#[tokio::test]
async fn the_draw_of_an_unpublished_mystery_campaign_stays_with_anct_and_prefectures() {
    let app = spawn_app().await;
    let create = "mutation { createMysteryCampaign(input: { year: 2026, label: \"B\", perDepartment: 1, seed: 7 }) { id } }";
    data(&app.query_as(ANCT, create, Value::Null).await);
    let list = "{ mysteryCampaigns { label seed perDepartment published } }";
    for steering in [ANCT, PREFECT_59] {
        let seen = app.query_as(steering, list, Value::Null).await;
        assert_eq!(data(&seen)["mysteryCampaigns"][0]["seed"], 7, "{steering}");
    }
    for other in [AGENT_LILLE, OPERATOR_CAF, AUDITOR] {
        let seen = app.query_as(other, list, Value::Null).await;
        let campaign = &seen["data"]["mysteryCampaigns"][0];
        assert_eq!(campaign["label"], "B", "{other}");
        assert!(campaign["seed"].is_null() && campaign["perDepartment"].is_null());
        assert_eq!(error_codes(&seen), ["FORBIDDEN", "FORBIDDEN"], "{other}");
    }
    refused(&app.post(None, list, Value::Null).await, "UNAUTHENTICATED");
}

#[tokio::test]
async fn an_online_training_session_is_for_users_who_hold_a_role() {
    let app = spawn_app().await;
    let organise =
        "mutation($input: TrainingSessionInput!) { organiseTrainingSession(input: $input) { id } }";
    let input = json!({ "input": { "module": "MANDATORY_WEBINARS", "department": null,
        "place": "En ligne", "startsOn": app.day(8), "endsOn": app.day(8), "halfDays": 0,
        "capacity": 500 } });
    let created = app.query_as(ANCT, organise, input).await;
    let id = data(&created)["organiseTrainingSession"]["id"].clone();
    let node = "query($id: ID!) { node(id: $id) { ... on TrainingSession { place } } }";
    for reader in [AGENT_LILLE, OPERATOR_CAF, PREFECT_23] {
        let seen = app.query_as(reader, node, json!({ "id": id })).await;
        assert_eq!(data(&seen)["node"]["place"], "En ligne", "{reader}");
    }
    users::grant(
        &app.db,
        "nobody@t.fr",
        Role::Anct,
        &Default::default(),
        app.now(),
    )
    .await
    .expect("grant");
    users::revoke(&app.db, "nobody@t.fr", Role::Anct, &Default::default())
        .await
        .expect("revoke");
    refused(
        &app.query_as("nobody@t.fr", node, json!({ "id": id })).await,
        "NOT_FOUND",
    );
}
