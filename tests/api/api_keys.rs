//! API keys for integration scripts, through the command line and `/graphql`: created,
//! used, listed, revoked, expired; an actor like a user with the key's assignment.
use std::process::Command;

use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::helpers::*;

fn maillage(app: &TestApp, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_maillage"))
        .args(args)
        .env("MAILLAGE_DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run maillage")
}

fn succeeded(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("utf8")
}

fn failed(output: &std::process::Output) -> String {
    assert!(!output.status.success());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const SLICE: &str = "{ me { email } structures { totalCount edges { node { matricule } } } }";

#[tokio::test]
async fn a_key_acts_with_its_assignment_until_it_is_revoked_or_expires() {
    let app = spawn_app().await;
    let created = succeeded(&maillage(
        &app,
        &[
            "apikey",
            "create",
            "caf-export",
            "--role",
            "OPERATOR",
            "--partner",
            "CAF",
            "--expires",
            "30d",
        ],
    ));
    let key = created.lines().next().expect("the key").to_owned();
    assert!(key.starts_with("mk_") && key.len() == 67, "{created}");
    // Only a hash is stored.
    let stored = entity::api_key::Entity::find()
        .all(&app.db)
        .await
        .expect("keys");
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].key_hash, key);
    assert!(!stored[0].key_hash.contains(&key[3..]));

    // It reads exactly what CAF's operator reads.
    let by_key = app.post(Some(&key), SLICE, json!({})).await;
    let by_person = app
        .query_as("operateur.caf@demo.maillage.fr", SLICE, json!({}))
        .await;
    assert_eq!(data(&by_key)["structures"], data(&by_person)["structures"]);
    assert_eq!(data(&by_key)["me"]["email"], "caf-export@api-key.invalid");
    // … and may do no more: a prefect's mutation is refused.
    let vars = json!({ "m": "DEMO-59-04", "v": 0, "sa": crate::workflow::self_assessment(&[]) });
    let refused = app.post(Some(&key), crate::workflow::PROPOSE, vars).await;
    assert_eq!(error_codes(&refused), ["FORBIDDEN"]);

    let listed = succeeded(&maillage(&app, &["apikey", "list"]));
    let row = listed
        .lines()
        .find(|l| l.starts_with("caf-export\t"))
        .expect("listed");
    assert!(row.contains("OPERATOR partner=CAF"), "{row}");
    assert!(!row.contains(&key), "the list never shows a key");
    assert!(!row.ends_with("\t-\t-"), "last use recorded: {row}");

    // A wrong key, then the revoked one.
    // (its last digit changed: to 1 if it is 0, else to 0)
    let last = if key.ends_with('0') { '1' } else { '0' };
    let wrong = app
        .post(Some(&format!("{}{last}", &key[..66])), SLICE, json!({}))
        .await;
    assert_eq!(error_codes(&wrong), ["UNAUTHENTICATED"]);
    succeeded(&maillage(&app, &["apikey", "revoke", "caf-export"]));
    let revoked = app.post(Some(&key), SLICE, json!({})).await;
    assert_eq!(error_codes(&revoked), ["UNAUTHENTICATED"]);
    assert_eq!(revoked["data"], Value::Null);

    // Creation, use of the revoked key and revocation are in the audit log, for ANCT.
    let log = app
        .query_as(
            ANCT,
            "{ auditLog(filter: { targetType: \"ApiKey\" }) { nodes { action actorEmail targetKey } } }",
            json!({}),
        )
        .await;
    let mut actions: Vec<String> = data(&log)["auditLog"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["action"].as_str().expect("action").to_owned())
        .collect();
    actions.sort();
    assert_eq!(
        actions,
        ["apiKey.create", "apiKey.revoke", "apiKey.useRevoked"]
    );

    // An expired key.
    let created = succeeded(&maillage(
        &app,
        &[
            "apikey",
            "create",
            "nord",
            "--role",
            "PREFECT",
            "--department",
            "59",
            "--expires",
            "1d",
        ],
    ));
    let key = created.lines().next().expect("the key").to_owned();
    let prefect = app.post(Some(&key), SLICE, json!({})).await;
    let by_person = app.query_as(PREFECT_59, SLICE, json!({})).await;
    assert_eq!(data(&prefect)["structures"], data(&by_person)["structures"]);
    app.time.advance(TimeDelta::days(1) + TimeDelta::minutes(1));
    let expired = app.post(Some(&key), SLICE, json!({})).await;
    assert_eq!(error_codes(&expired), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn a_key_is_refused_a_bad_name_scope_or_lifetime_and_cannot_sign_in_as_a_person() {
    let app = spawn_app().await;
    for (args, says) in [
        (vec!["Bad Name", "--role", "ANCT"], "not a key name"),
        (vec!["op", "--role", "OPERATOR"], "--partner"),
        (
            vec!["pr", "--role", "PREFECT", "--department", "999"],
            "999",
        ),
        (
            vec!["long", "--role", "ANCT", "--expires", "400d"],
            "366 days",
        ),
    ] {
        let mut all = vec!["apikey", "create"];
        all.extend(args);
        let stderr = failed(&maillage(&app, &all));
        assert!(stderr.contains(says), "{says:?} not in {stderr}");
    }
    succeeded(&maillage(
        &app,
        &["apikey", "create", "twice", "--role", "ANCT"],
    ));
    let stderr = failed(&maillage(
        &app,
        &["apikey", "create", "twice", "--role", "ANCT"],
    ));
    assert!(stderr.contains("exists already"), "{stderr}");
    assert_eq!(
        entity::api_key::Entity::find()
            .all(&app.db)
            .await
            .expect("keys")
            .len(),
        1,
        "nothing left behind by the refused ones"
    );
    // A key's user is no person: no provider can vouch for `…@api-key.invalid`.
    let clock = app.clock();
    let admitted = maillage::service::sessions::admit(
        &app.db,
        "any",
        "sub",
        Some("twice@api-key.invalid"),
        Some(true),
        &clock,
    )
    .await
    .expect("admit");
    assert!(admitted.is_err());
}

#[tokio::test]
async fn anct_manages_keys_through_graphql_and_nobody_else_sees_them() {
    let app = spawn_app().await;
    let create = "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key apiKey { name prefix role department partner revokedAt } } }";
    let input = json!({ "i": { "name": "dgfip-59", "role": "PREFECT", "department": "59", "expiresInDays": 90 } });
    // Out of scope: a prefect, an operator; and an anonymous caller.
    for who in [PREFECT_59, "operateur.caf@demo.maillage.fr"] {
        let refused = app.query_as(who, create, input.clone()).await;
        assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{who}");
        let listed = app.query_as(who, "{ apiKeys { name } }", json!({})).await;
        assert_eq!(error_codes(&listed), ["FORBIDDEN"], "{who}");
        assert_eq!(listed["data"]["apiKeys"], Value::Null);
    }
    let anonymous = app.post(None, create, input.clone()).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    assert!(
        entity::api_key::Entity::find()
            .all(&app.db)
            .await
            .expect("keys")
            .is_empty()
    );

    let created = app.query_as(ANCT, create, input.clone()).await;
    let created = &data(&created)["createApiKey"];
    let key = created["key"].as_str().expect("key").to_owned();
    assert_eq!(
        created["apiKey"],
        json!({ "name": "dgfip-59", "prefix": &key[..9], "role": "PREFECT", "department": "59", "partner": null, "revokedAt": null })
    );
    let by_key = app.post(Some(&key), SLICE, json!({})).await;
    let by_prefect = app.query_as(PREFECT_59, SLICE, json!({})).await;
    assert_eq!(data(&by_key)["structures"], data(&by_prefect)["structures"]);
    // The same name twice, a bad scope, a bad lifetime: clear refusals.
    for (i, code, says) in [
        (input["i"].clone(), "CONFLICT", "exists already"),
        (
            json!({ "name": "x", "role": "AGENT", "expiresInDays": 9 }),
            "BAD_USER_INPUT",
            "--structure",
        ),
        (
            json!({ "name": "y", "role": "ANCT", "expiresInDays": 0 }),
            "BAD_USER_INPUT",
            "1 to 366 days",
        ),
    ] {
        let refused = app.query_as(ANCT, create, json!({ "i": i })).await;
        assert_eq!(error_codes(&refused), [code]);
        assert!(
            refused["errors"][0]["message"]
                .as_str()
                .expect("message")
                .contains(says),
            "{refused}"
        );
    }
    let listed = app
        .query_as(ANCT, "{ apiKeys { name lastUsedAt revokedAt } }", json!({}))
        .await;
    let keys = data(&listed)["apiKeys"].as_array().expect("keys").clone();
    assert_eq!(keys.len(), 1);
    assert!(keys[0]["lastUsedAt"].is_string());
    let revoked = app
        .query_as(
            ANCT,
            "mutation { revokeApiKey(name: \"dgfip-59\") { revokedAt } }",
            json!({}),
        )
        .await;
    assert!(data(&revoked)["revokeApiKey"]["revokedAt"].is_string());
    assert_eq!(
        error_codes(&app.post(Some(&key), SLICE, json!({})).await),
        ["UNAUTHENTICATED"]
    );
    let unknown = app
        .query_as(
            ANCT,
            "mutation { revokeApiKey(name: \"nope\") { revokedAt } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&unknown), ["NOT_FOUND"]);
}

use sea_orm::EntityTrait;
