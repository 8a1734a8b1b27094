//! The SQL scope of lists agrees with the Oso policy, for every kind of actor, on the real
//! imported sites.
use std::collections::BTreeSet;

use maillage::auth::Policy;
use maillage::domain::enums::Role;
use maillage::service::structures;
use maillage::service::users::{self, ScopeArgs};
use sea_orm::EntityTrait;
use serde_json::json;

use crate::helpers::*;
use crate::import::{app_with_real_sites, read_rows};

async fn listed(app: &TestApp, email: &str) -> (BTreeSet<String>, u64) {
    let token = app.token(email).await;
    let query = "query($after: String) { structures(first: 100, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { matricule } } } }";
    let mut after = serde_json::Value::Null;
    let mut seen = BTreeSet::new();
    loop {
        let response = app
            .post(Some(&token), query, json!({ "after": after }))
            .await;
        let connection = data(&response)["structures"].clone();
        for edge in connection["edges"].as_array().expect("edges") {
            seen.insert(edge["node"]["matricule"].as_str().expect("m").to_owned());
        }
        if connection["pageInfo"]["hasNextPage"] != true {
            return (seen, connection["totalCount"].as_u64().expect("count"));
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn sql_scope_equals_the_policy_for_every_actor_on_the_real_sites() {
    let (app, _) = app_with_real_sites().await;
    let grants: [(&str, Role, ScopeArgs); 9] = [
        ("anct@t.fr", Role::Anct, ScopeArgs::default()),
        (
            "prefet59@t.fr",
            Role::Prefect,
            ScopeArgs {
                department: Some("59".into()),
                ..Default::default()
            },
        ),
        (
            "prefet.corse@t.fr",
            Role::Prefect,
            ScopeArgs {
                department: Some("2A".into()),
                ..Default::default()
            },
        ),
        (
            "prefet.corse@t.fr",
            Role::Prefect,
            ScopeArgs {
                department: Some("2B".into()),
                ..Default::default()
            },
        ),
        (
            "agent@t.fr",
            Role::Agent,
            ScopeArgs {
                structure: Some("99".into()),
                ..Default::default()
            },
        ),
        (
            "agent@t.fr",
            Role::Agent,
            ScopeArgs {
                structure: Some("1820".into()),
                ..Default::default()
            },
        ),
        ("auditeur@t.fr", Role::Auditor, ScopeArgs::default()),
        (
            "caf@t.fr",
            Role::Operator,
            ScopeArgs {
                partner: Some("CAF".into()),
                ..Default::default()
            },
        ),
        (
            "dgfip59@t.fr",
            Role::Operator,
            ScopeArgs {
                partner: Some("DGFIP".into()),
                department: Some("59".into()),
                ..Default::default()
            },
        ),
    ];
    for (email, role, scope) in &grants {
        users::grant(&app.db, email, *role, scope)
            .await
            .expect("grant");
    }
    // A mixed actor: prefect of 23 and agent of a site in 59.
    users::grant(
        &app.db,
        "mixte@t.fr",
        Role::Prefect,
        &ScopeArgs {
            department: Some("23".into()),
            ..Default::default()
        },
    )
    .await
    .expect("grant");
    users::grant(
        &app.db,
        "mixte@t.fr",
        Role::Agent,
        &ScopeArgs {
            structure: Some("1".into()),
            ..Default::default()
        },
    )
    .await
    .expect("grant");

    let policy = Policy::load().expect("policy");
    let rows = entity::structure::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    let views = structures::policy_views(&app.db, &rows)
        .await
        .expect("views");
    let actors: BTreeSet<&str> = grants
        .iter()
        .map(|(e, ..)| *e)
        .chain(["mixte@t.fr"])
        .collect();
    let mut sizes = std::collections::BTreeMap::new();
    for email in actors {
        let user = users::find_by_email(&app.db, email)
            .await
            .expect("db")
            .expect("user");
        let actor = users::load_actor(&app.db, user.id).await.expect("actor");
        let allowed: BTreeSet<String> = rows
            .iter()
            .zip(&views)
            .filter(|(_, view)| {
                policy
                    .is_allowed(&actor, "read", (*view).clone())
                    .expect("policy")
            })
            .map(|(row, _)| row.matricule.clone())
            .collect();
        let (listed, total) = listed(&app, email).await;
        assert_eq!(listed, allowed, "{email}: SQL scope and policy disagree");
        assert_eq!(total, allowed.len() as u64, "{email}: totalCount");
        sizes.insert(email, allowed.len());
    }
    // And the sizes match the open data itself.
    let sites = read_rows(&shared_data_dir().join("france-services-2024-08-01.csv"));
    let in_department = |codes: &[&str]| {
        sites
            .iter()
            .filter(|s| codes.contains(&s["insee_dep"].as_str()))
            .count()
    };
    assert_eq!(sizes["anct@t.fr"], rows.len());
    assert_eq!(sizes["prefet59@t.fr"], in_department(&["59"]));
    assert_eq!(sizes["prefet.corse@t.fr"], in_department(&["2A", "2B"]));
    assert_eq!(sizes["agent@t.fr"], 2);
    assert_eq!(sizes["mixte@t.fr"], in_department(&["23"]) + 1);
    assert_eq!(sizes["auditeur@t.fr"], 0);
    assert_eq!(sizes["caf@t.fr"], 0);
    assert_eq!(sizes["dgfip59@t.fr"], 0);
}
