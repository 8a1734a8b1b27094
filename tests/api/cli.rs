//! The command line against a test database: grant, token, disable, schema.
use std::process::Command;

use serde_json::Value;

use crate::helpers::*;

pub fn maillage(app: &TestApp, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_maillage"))
        .args(args)
        .env("MAILLAGE_DATABASE_URL", &app.database_url)
        .env(
            "MAILLAGE_JWT_SECRET",
            std::str::from_utf8(SECRET).expect("utf8"),
        )
        .env("MAILLAGE_DATA_KEY", DATA_KEY)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run maillage")
}

pub fn stdout(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("utf8")
}

#[tokio::test]
async fn a_token_from_the_cli_is_accepted_by_the_server_for_the_granted_role() {
    let app = spawn_app().await;
    let granted = maillage(
        &app,
        &[
            "user",
            "grant",
            "Prefete@Creuse.gouv.fr",
            "prefect",
            "--department",
            "23",
        ],
    );
    assert_eq!(stdout(&granted).trim(), "granted");
    let again = maillage(
        &app,
        &[
            "user",
            "grant",
            "prefete@creuse.gouv.fr",
            "PREFECT",
            "--department",
            "23",
        ],
    );
    assert_eq!(stdout(&again).trim(), "already held: nothing changed");
    let token = stdout(&maillage(
        &app,
        &["token", "prefete@creuse.gouv.fr", "--ttl", "5m"],
    ));
    let response = app
        .post(
            Some(token.trim()),
            "{ me { email } structures { totalCount } }",
            Value::Null,
        )
        .await;
    assert_eq!(data(&response)["me"]["email"], "prefete@creuse.gouv.fr");
    assert_eq!(data(&response)["structures"]["totalCount"], 2);

    let listing = stdout(&maillage(&app, &["user", "list"]));
    for expected in [
        "operateur.caf@demo.maillage.fr\n  OPERATOR --partner CAF\n",
        "prefete@creuse.gouv.fr\n  PREFECT --department 23\n",
        "agent.lille@demo.maillage.fr\n  AGENT --structure DEMO-59-01\n",
        "anct@demo.maillage.fr\n  ANCT\n",
    ] {
        assert!(
            listing.contains(expected),
            "{expected:?} not in:\n{listing}"
        );
    }

    assert_eq!(
        stdout(&maillage(
            &app,
            &["user", "disable", "prefete@creuse.gouv.fr"]
        ))
        .trim(),
        "disabled"
    );
    let listing = stdout(&maillage(&app, &["user", "list"]));
    assert!(
        listing.contains("prefete@creuse.gouv.fr (disabled)\n"),
        "{listing}"
    );
    let refused = app
        .post(Some(token.trim()), "{ me { email } }", Value::Null)
        .await;
    assert_eq!(error_codes(&refused), ["UNAUTHENTICATED"]);
    let no_token = maillage(&app, &["token", "prefete@creuse.gouv.fr"]);
    assert!(!no_token.status.success());
}

#[tokio::test]
async fn the_cli_prints_no_token_the_server_would_refuse() {
    let app = spawn_app().await;
    let too_long = maillage(&app, &["token", PREFECT_59, "--ttl", "100000d"]);
    assert!(!too_long.status.success());
    assert!(String::from_utf8_lossy(&too_long.stderr).contains("at most"));
    let month = maillage(&app, &["token", PREFECT_59, "--ttl", "30d"]);
    assert!(month.status.success());
    // No secret configured and no server ever started in demo mode on this database.
    let Some(file) = maillage::auth::token::demo_secret_file(&app.database_url) else {
        return; // PostgreSQL needs MAILLAGE_JWT_SECRET anyway (tested in `auth`).
    };
    let unsigned = Command::new(env!("CARGO_BIN_EXE_maillage"))
        .args(["token", PREFECT_59])
        .env("MAILLAGE_DATABASE_URL", &app.database_url)
        .env_remove("MAILLAGE_JWT_SECRET")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run maillage");
    assert!(!unsigned.status.success());
    assert!(String::from_utf8_lossy(&unsigned.stderr).contains("MAILLAGE_JWT_SECRET"));
    assert!(!file.exists(), "no secret file was written");
}

#[tokio::test]
async fn the_cli_refuses_assignments_without_the_scope_their_role_needs() {
    let app = spawn_app().await;
    for (args, message) in [
        (
            vec!["user", "grant", "x@y.fr", "PREFECT"],
            "PREFECT needs --department",
        ),
        (
            vec!["user", "grant", "x@y.fr", "AGENT", "--department", "59"],
            "AGENT takes no --department",
        ),
        (
            vec!["user", "grant", "x@y.fr", "OPERATOR"],
            "OPERATOR needs --partner",
        ),
        (
            vec!["user", "grant", "x@y.fr", "OPERATOR", "--partner", "NOPE"],
            "unknown partner 'NOPE'",
        ),
        (
            vec!["user", "grant", "x@y.fr", "PREFECT", "--department", "978"],
            "unknown department '978'",
        ),
        (
            vec!["user", "grant", "x@y.fr", "AGENT", "--structure", "NOPE"],
            "unknown structure 'NOPE'",
        ),
        (
            vec!["user", "grant", "x@y.fr", "MAYOR"],
            "'MAYOR' is not a role",
        ),
        (
            vec!["user", "revoke", "anct@demo.maillage.fr", "AUDITOR"],
            "does not hold this assignment",
        ),
    ] {
        let output = maillage(&app, &args);
        assert!(!output.status.success(), "{args:?} succeeded");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    let user = maillage::service::users::find_by_email(&app.db, "x@y.fr")
        .await
        .expect("db");
    assert!(user.is_none(), "a refused grant created the user");
}

#[tokio::test]
async fn the_cli_prints_the_committed_schema() {
    let app = spawn_app().await;
    let printed = stdout(&maillage(&app, &["schema"]));
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("read");
    assert_eq!(printed, committed);
}

#[tokio::test]
async fn a_session_from_the_cli_signs_a_browser_in_until_the_user_is_disabled() {
    let app = spawn_app().await;
    let value = stdout(&maillage(&app, &["session", PREFECT_59]));
    let cookie = format!("{}={}", maillage::service::sessions::COOKIE, value.trim());
    let me = async || post_with_session(&app.address, &cookie, "{ me { email } }").await;
    assert_eq!(data(&me().await)["me"]["email"], PREFECT_59);
    stdout(&maillage(&app, &["user", "disable", PREFECT_59]));
    assert_eq!(error_codes(&me().await), ["UNAUTHENTICATED"]);
    let refused = maillage(&app, &["session", PREFECT_59]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("is disabled"),
        "{refused:?}"
    );
    let unknown = maillage(&app, &["session", "nobody@nowhere.fr"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no user 'nobody@nowhere.fr'"));
}
