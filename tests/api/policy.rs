//! The SQL scope of lists agrees with the Oso policy, for every kind of actor, on the real
//! imported sites.
use std::collections::BTreeSet;

use maillage::auth::{Caller, Policy, StructureView};
use maillage::domain::enums::Role;
use maillage::service::users::{self, ScopeArgs};
use maillage::service::{labelling, structures};
use sea_orm::{EntityTrait, QueryFilter};
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
        users::grant(&app.db, email, *role, scope, app.now())
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
        app.now(),
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
        app.now(),
    )
    .await
    .expect("grant");

    let more: [(&str, &str, Option<&str>); 5] = [
        ("caf2a@t.fr", "CAF", Some("2A")),
        ("caf2b@t.fr", "CAF", Some("2B")),
        ("dgfip23@t.fr", "DGFIP", Some("23")),
        ("anah@t.fr", "ANAH", None),
        ("msa@t.fr", "MSA", None),
    ];
    for (email, partner, department) in more {
        let scope = ScopeArgs {
            partner: Some(partner.into()),
            department: department.map(Into::into),
            ..Default::default()
        };
        users::grant(&app.db, email, Role::Operator, &scope, app.now())
            .await
            .expect("grant");
    }
    let annexed = partnership_fixture(&app).await;

    let policy = Policy::load().expect("policy");
    let engine = crate::data_filter::engine();
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
        .chain(more.iter().map(|(e, ..)| *e))
        .collect();
    let mut sizes = std::collections::BTreeMap::new();
    for email in actors {
        let user = users::find_by_email(&app.db, email)
            .await
            .expect("db")
            .expect("user");
        let actor = users::load_actor(&app.db, users::bearer_of(&user))
            .await
            .expect("actor");
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
        // The scope derived from the policy by Oso's data filtering (the spike of
        // tests/api/data_filter.rs) selects the same rows.
        let mut derived = entity::structure::Entity::find();
        if let Some(condition) = crate::data_filter::derived_condition(&engine, &actor) {
            derived = derived.filter(condition);
        }
        let derived: BTreeSet<String> = derived
            .all(&app.db)
            .await
            .expect("derived")
            .into_iter()
            .map(|row| row.matricule)
            .collect();
        assert_eq!(
            derived, allowed,
            "{email}: the derived scope and the policy disagree"
        );
        assert_eq!(total, allowed.len() as u64, "{email}: totalCount");
        sizes.insert(email, allowed.len());
        if email == "caf2a@t.fr" {
            assert_eq!(
                allowed,
                BTreeSet::from([annexed.clone()]),
                "the annexed structure"
            );
        }
        // The field-level views (internal data, funding) agree with the policy too, on the
        // departments the fixture touches.
        let internal = StructureView::internal(&actor);
        let funding = StructureView::steered(&actor);
        for (row, view) in rows.iter().zip(&views).filter(|(r, _)| {
            ["59", "23", "2A", "2B", "01"].contains(&r.department_code.as_str())
                || r.matricule == "99"
                || r.matricule == "1820"
        }) {
            let allowed = |action: &str| {
                policy
                    .is_allowed(&actor, action, view.clone())
                    .expect("policy")
            };
            assert_eq!(
                internal.contains(row),
                allowed("read_internal"),
                "{email} {}",
                row.matricule
            );
            assert_eq!(
                funding.contains(row),
                allowed("read_funding"),
                "{email} {}",
                row.matricule
            );
        }
        // Labelling audits: the SQL-scoped list equals the policy's reads.
        let audits = entity::label_audit::Entity::find()
            .all(&app.db)
            .await
            .expect("audits");
        let mut readable = BTreeSet::new();
        for audit in &audits {
            if labelling::readable_audit(Caller::new(&app.db, &policy, &actor), audit.id)
                .await
                .is_ok()
            {
                readable.insert(audit.id);
            }
        }
        let (page, _) =
            labelling::audits_page(Caller::new(&app.db, &policy, &actor), false, None, 100)
                .await
                .expect("audits page");
        let listed: BTreeSet<i64> = page.iter().map(|a| a.id).collect();
        assert_eq!(listed, readable, "{email}: label audits");
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
    // Operators: where their partner is effective, in their departments.
    assert_eq!(
        sizes["caf@t.fr"],
        in_department(&["59"]) + 1,
        "59 signed + one 2A annex"
    );
    assert_eq!(sizes["dgfip59@t.fr"], in_department(&["59"]));
    assert_eq!(sizes["caf2a@t.fr"], 1);
    assert_eq!(sizes["caf2b@t.fr"], 0);
    assert_eq!(sizes["dgfip23@t.fr"], 0, "23's convention is only a draft");
    assert_eq!(sizes["anah@t.fr"], 0, "listed by amendment, not signed yet");
    assert_eq!(sizes["msa@t.fr"], in_department(&["59"]));
    // Auditors: the structures of their assigned audits.
    assert_eq!(sizes["auditeur@t.fr"], 1);
}

/// Conventions and an audit through GraphQL: 59 signed by the nine core partners (ANAH
/// added by an amendment, not signed); 23 a draft signed by DGFIP only; 2A a draft with one
/// annex naming CAF; one 2A structure withdrawn, re-proposed and its audit assigned to
/// `auditeur@t.fr`. Returns the annexed structure.
async fn partnership_fixture(app: &TestApp) -> String {
    const PREFECT_59: &str = "prefet59@t.fr";
    let ok = |response: serde_json::Value| {
        data(&response);
    };
    let draft =
        "mutation($d: String!) { draftConvention(department: $d, title: \"Cadre\") { status } }";
    let sign = "mutation($d: String!, $p: String!) { signConvention(department: $d, partner: $p) { status } }";
    ok(app.query_as(PREFECT_59, draft, json!({ "d": "59" })).await);
    for partner in crate::workflow::CORE {
        ok(app
            .query_as(PREFECT_59, sign, json!({ "d": "59", "p": partner }))
            .await);
    }
    let conclude = "mutation { concludeConvention(department: \"59\") { status } }";
    ok(app.query_as(PREFECT_59, conclude, json!({})).await);
    let add = "mutation { addConventionPartner(department: \"59\", partner: \"ANAH\") { status } }";
    ok(app.query_as(PREFECT_59, add, json!({})).await);
    ok(app
        .query_as("mixte@t.fr", draft, json!({ "d": "23" }))
        .await);
    ok(app
        .query_as("mixte@t.fr", sign, json!({ "d": "23", "p": "DGFIP" }))
        .await);
    ok(app
        .query_as("prefet.corse@t.fr", draft, json!({ "d": "2A" }))
        .await);
    let sites = read_rows(&shared_data_dir().join("france-services-2024-08-01.csv"));
    let corse: Vec<&str> = sites
        .iter()
        .filter(|s| s["insee_dep"] == "2A")
        .map(|s| s["id_fs"].as_str())
        .take(2)
        .collect();
    let annex = "mutation($m: String!) { addAnnex(input: { structure: $m, functioning: \"\", partners: [\"CAF\"] }) { status } }";
    ok(app
        .query_as("prefet.corse@t.fr", annex, json!({ "m": corse[0] }))
        .await);
    let withdraw = "mutation($m: String!) { withdrawLabel(structure: $m, expectedVersion: 0, reason: \"test\") { labelVersion } }";
    ok(app
        .query_as("anct@t.fr", withdraw, json!({ "m": corse[1] }))
        .await);
    let propose = json!({ "m": corse[1], "v": 1, "sa": crate::workflow::self_assessment(&[]) });
    ok(app
        .query_as("prefet.corse@t.fr", crate::workflow::PROPOSE, propose)
        .await);
    let schedule = json!({ "m": corse[1], "v": 2, "a": "auditeur@t.fr", "on": app.day(2) });
    ok(app
        .query_as("anct@t.fr", crate::workflow::SCHEDULE, schedule)
        .await);
    corse[0].to_owned()
}
