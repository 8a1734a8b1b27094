//! Several servers on one database (issue 17): what one replica changes, the others apply
//! on their next request. Rate limits, sessions, API keys and roles live in the database;
//! the reference snapshot each replica keeps in memory is dropped through PostgreSQL
//! `LISTEN`/`NOTIFY` when the reference data changes.
use std::time::{Duration, Instant};

use maillage::domain::enums::Role;
use maillage::service::{reference_cache, sessions, users};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::helpers::*;

const ME: &str = "{ me { email roles { role } } }";

/// The replica answers `query` with the bearer `token`.
async fn at(app: &TestApp, address: &str, token: &str, query: &str) -> Value {
    app.post_to(address, Some(token), query, Value::Null).await
}

#[tokio::test]
async fn a_revocation_through_one_replica_applies_on_the_next_request_to_another() {
    let app = spawn_app().await;
    let replica = app.replica().await;

    // An API key created through the first replica works on the second, and stops working
    // there as soon as the first revokes it.
    let created = app
        .query_as(
            ANCT,
            "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key } }",
            json!({ "i": { "name": "replicas", "role": "PREFECT", "department": "59", "expiresInDays": 30 } }),
        )
        .await;
    let key = data(&created)["createApiKey"]["key"]
        .as_str()
        .expect("key")
        .to_owned();
    let slice = "{ structures(first: 1) { totalCount } }";
    assert_eq!(
        data(&at(&app, &replica, &key, slice).await)["structures"]["totalCount"],
        4
    );
    let revoked = app
        .query_as(
            ANCT,
            "mutation { revokeApiKey(name: \"replicas\") { revokedAt } }",
            Value::Null,
        )
        .await;
    assert!(data(&revoked)["revokeApiKey"]["revokedAt"].is_string());
    assert_eq!(
        error_codes(&at(&app, &replica, &key, slice).await),
        ["UNAUTHENTICATED"]
    );

    // A role revoked (by `maillage user revoke`, another process) is gone from both at once.
    let token = app.token(PREFECT_59).await;
    for address in [&app.address, &replica] {
        let me = at(&app, address, &token, ME).await;
        assert_eq!(data(&me)["me"]["roles"], json!([{ "role": "PREFECT" }]));
    }
    users::revoke(
        &app.db,
        PREFECT_59,
        Role::Prefect,
        &users::ScopeArgs {
            department: Some("59".into()),
            ..Default::default()
        },
    )
    .await
    .expect("revoke");
    for address in [&app.address, &replica] {
        let me = at(&app, address, &token, ME).await;
        assert_eq!(data(&me)["me"]["roles"], json!([]), "{address}");
        let page = at(&app, address, &token, slice).await;
        assert_eq!(data(&page)["structures"]["totalCount"], 0, "{address}");
    }

    // Out of scope and anonymous callers are refused the same way by both.
    for address in [&app.address, &replica] {
        let anonymous = app.post_to(address, None, ME, Value::Null).await;
        assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
        let other = app.query_at(address, PREFECT_23, slice, Value::Null).await;
        assert_eq!(data(&other)["structures"]["totalCount"], 2);
    }
}

#[tokio::test]
async fn a_session_closed_through_one_replica_is_closed_on_every_other() {
    let app = spawn_app().await;
    let replica = app.replica().await;
    let value = app.session(AGENT_LILLE).await;
    let cookie = format!("{}={value}", sessions::COOKIE);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let me = async |address: &str| post_with_session(address, &cookie, ME).await;
    for address in [&app.address, &replica] {
        assert_eq!(data(&me(address).await)["me"]["email"], AGENT_LILLE);
    }
    let out = client
        .post(format!("{}/auth/logout", app.address))
        .header("Cookie", &cookie)
        .header("Origin", &app.address)
        .send()
        .await
        .expect("sign out");
    assert_eq!(out.status(), reqwest::StatusCode::SEE_OTHER);
    for address in [&app.address, &replica] {
        assert_eq!(
            error_codes(&me(address).await),
            ["UNAUTHENTICATED"],
            "{address}"
        );
    }
}

#[tokio::test]
async fn wrong_codes_are_counted_across_replicas() {
    let app = spawn_app().await;
    let replica = app.replica().await;
    let wrong = "mutation { answerSurvey(code: \"NOPE0-NOPE0\", satisfaction: 3) }";
    // Anonymous guesses from one address, spread over both replicas.
    for n in 0..maillage::service::guesses::MAX_FAILED {
        let address = if n % 2 == 0 { &app.address } else { &replica };
        let refused = app.post_to(address, None, wrong, Value::Null).await;
        assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"], "guess {n}");
    }
    for address in [&app.address, &replica] {
        let limited = app.post_to(address, None, wrong, Value::Null).await;
        assert_eq!(error_codes(&limited), ["RATE_LIMITED"], "{address}");
    }
    // The window ends for both.
    app.time.advance(chrono::TimeDelta::minutes(16));
    let again = app.post_to(&replica, None, wrong, Value::Null).await;
    assert_eq!(error_codes(&again), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn on_postgresql_a_reference_change_reaches_every_replica_s_snapshot() {
    let app = spawn_app().await;
    if app.db.get_database_backend() != DbBackend::Postgres {
        return; // one server per SQLite file: no replicas
    }
    let replica = app.replica().await;
    let token = app.token(PREFECT_59).await;
    let name = "{ structure(matricule: \"DEMO-59-01\") { department { name } } }";
    // Both replicas hold the snapshot.
    for address in [&app.address, &replica] {
        let read = at(&app, address, &token, name).await;
        assert_eq!(data(&read)["structure"]["department"]["name"], "Nord");
    }
    // `maillage import reference` (another process) renames the department.
    app.db
        .execute_raw(Statement::from_string(
            DbBackend::Postgres,
            "UPDATE department SET name = 'Nord (renamed)' WHERE code = '59'",
        ))
        .await
        .expect("rename");
    reference_cache::announce_change(&app.db)
        .await
        .expect("announce");
    // Each replica drops its snapshot as the notification arrives: within milliseconds, far
    // before the 5-minute refresh.
    for address in [&app.address, &replica] {
        let started = Instant::now();
        loop {
            let read = at(&app, address, &token, name).await;
            if data(&read)["structure"]["department"]["name"] == "Nord (renamed)" {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{address} still serves the old snapshot"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[tokio::test]
async fn a_local_partner_created_through_one_replica_takes_entries_at_once_on_another() {
    let app = spawn_app().await;
    let replica = app.replica().await;
    let agent = app.token(AGENT_LILLE).await;
    let record = |partner: &str| {
        format!(
            "mutation {{ recordReportEntry(input: {{ structure: \"DEMO-59-01\", occurredOn: \
             \"{}\", partner: \"{partner}\", theme: FAMILY, helpKind: INFORMATION, \
             resolvedOnSite: true, durationMinutes: 10 }}) {{ partner {{ code }} }} }}",
            app.today()
        )
    };
    // The second replica holds its reference snapshot, from before the partner exists.
    let warm = at(&app, &replica, &agent, &record("CAF")).await;
    assert_eq!(data(&warm)["recordReportEntry"]["partner"]["code"], "CAF");
    let created = app
        .query_as(
            PREFECT_59,
            "mutation { createLocalPartner(input: { code: \"CD59\", name: \"Département du Nord\", department: \"59\" }) { code } }",
            Value::Null,
        )
        .await;
    assert_eq!(data(&created)["createLocalPartner"]["code"], "CD59");
    // At once, whatever the notification's delay: a partner missing from the snapshot is
    // read from the database.
    let recorded = at(&app, &replica, &agent, &record("cd59")).await;
    assert_eq!(
        data(&recorded)["recordReportEntry"]["partner"]["code"],
        "CD59"
    );
    // A partner that exists nowhere is refused as before.
    let refused = at(&app, &replica, &agent, &record("NOPE")).await;
    assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"], "{refused}");
}

/// The names on a page, by matricule.
fn names(page: &Value) -> Vec<(String, String)> {
    page["data"]["structures"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("a page: {page}"))
        .iter()
        .map(|e| {
            let node = &e["node"];
            (
                node["matricule"].as_str().expect("matricule").to_owned(),
                node["name"].as_str().expect("name").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_structure_changed_through_either_replica_or_by_hand_shows_at_once_on_every_page() {
    // Pages keep the rows they read under the rows' revisions (`service::structure_rows`):
    // every change must show on the next page of every replica, whoever made it.
    let app = spawn_app().await;
    let replica = app.replica().await;
    let token = app.token(PREFECT_59).await;
    let page = "{ structures(first: 10, filter: { department: \"59\" }) { edges { node { matricule name } } } }";
    let name_on = |page: &Value, matricule: &str| {
        names(page)
            .into_iter()
            .find(|(m, _)| m == matricule)
            .map(|(_, name)| name)
            .unwrap_or_else(|| panic!("{matricule} on {page}"))
    };
    // Both replicas read the page twice: the second time from the rows they keep.
    for address in [&app.address, &replica] {
        let first = at(&app, address, &token, page).await;
        assert_eq!(at(&app, address, &token, page).await, first);
    }

    // Through the API of the first replica.
    let renamed = app
        .query_as(
            PREFECT_59,
            "mutation { updateStructure(structure: \"DEMO-59-01\", expectedVersion: 0, \
             input: { name: \"France services du Quesnoy\" }) { factsVersion } }",
            Value::Null,
        )
        .await;
    assert_eq!(data(&renamed)["updateStructure"]["factsVersion"], 1);
    for address in [&app.address, &replica] {
        let read = at(&app, address, &token, page).await;
        assert_eq!(
            name_on(&read, "DEMO-59-01"),
            "France services du Quesnoy",
            "{address}"
        );
    }

    // By hand in SQL, with no server involved.
    app.db
        .execute_unprepared(
            "UPDATE structure SET name = 'Renommée à la main' WHERE matricule = 'DEMO-59-02'",
        )
        .await
        .expect("update by hand");
    for address in [&app.address, &replica] {
        let read = at(&app, address, &token, page).await;
        assert_eq!(
            name_on(&read, "DEMO-59-02"),
            "Renommée à la main",
            "{address}"
        );
        assert_eq!(name_on(&read, "DEMO-59-01"), "France services du Quesnoy");
    }

    // Moved out of the caller's department by hand: gone from their pages at once.
    app.db
        .execute_unprepared(
            "UPDATE structure SET department_code = '23' WHERE matricule = 'DEMO-59-02'",
        )
        .await
        .expect("move by hand");
    for address in [&app.address, &replica] {
        let read = at(&app, address, &token, page).await;
        assert!(
            names(&read).iter().all(|(m, _)| m != "DEMO-59-02"),
            "{address}: {read}"
        );
    }
}

/// The effective partners' codes of `matricule` on a page.
fn partners_on(page: &Value, matricule: &str) -> Vec<String> {
    let edges = page["data"]["structures"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("a page: {page}"));
    let node = &edges
        .iter()
        .find(|e| e["node"]["matricule"] == matricule)
        .unwrap_or_else(|| panic!("{matricule} on {page}"))["node"];
    node["effectivePartners"]
        .as_array()
        .expect("partners")
        .iter()
        .map(|p| p["code"].as_str().expect("code").to_owned())
        .collect()
}

#[tokio::test]
async fn a_page_s_effective_partners_follow_every_change_on_every_replica() {
    // Pages keep their structures' effective partners under the data's version
    // (`service::structure_rows`): a change to an annex or a signature must show on the next
    // page of every replica, whoever made it.
    let app = spawn_app().await;
    let replica = app.replica().await;
    let token = app.token(PREFECT_59).await;
    let page = |department: &str| {
        format!(
            "{{ structures(first: 10, filter: {{ department: \"{department}\" }}) {{ edges {{ \
             node {{ matricule effectivePartners {{ code }} }} }} }} }}"
        )
    };
    let nord = page("59");
    // Both replicas read the page twice: the second time from what they keep.
    for address in [&app.address, &replica] {
        let first = at(&app, address, &token, &nord).await;
        assert_eq!(at(&app, address, &token, &nord).await, first);
        assert_eq!(partners_on(&first, "DEMO-59-02").len(), 9, "{first}");
    }

    // Through the API of the first replica: a local partner named in DEMO-59-02's annex.
    annex_local_partner(&app, "DEMO-59-02").await;
    for address in [&app.address, &replica] {
        let read = at(&app, address, &token, &nord).await;
        assert!(
            partners_on(&read, "DEMO-59-02").contains(&"CD59".to_owned()),
            "{address}: {read}"
        );
        assert!(!partners_on(&read, "DEMO-59-03").contains(&"CD59".to_owned()));
    }

    // By hand in SQL, with no server involved: MSA's signature withdrawn.
    app.db
        .execute_unprepared(
            "UPDATE convention_signatory SET signed_at = NULL \
             WHERE partner_id = (SELECT id FROM partner WHERE code = 'MSA')",
        )
        .await
        .expect("update by hand");
    for address in [&app.address, &replica] {
        let read = at(&app, address, &token, &nord).await;
        for matricule in ["DEMO-59-01", "DEMO-59-02", "DEMO-59-03"] {
            let partners = partners_on(&read, matricule);
            assert!(!partners.contains(&"MSA".to_owned()), "{address}: {read}");
            assert!(partners.contains(&"CAF".to_owned()), "{address}: {read}");
        }
        assert_eq!(partners_on(&read, "DEMO-59-02").len(), 9, "{read}");
    }

    // Out of scope: the prefect of Creuse, on a replica that keeps Nord's partners, sees
    // Creuse's structures only, whose convention is a draft: no effective partner.
    let creuse = app.token(PREFECT_23).await;
    for address in [&app.address, &replica] {
        let read = at(&app, address, &creuse, &nord).await;
        assert_eq!(read["data"]["structures"]["edges"], json!([]), "{read}");
        let own = at(&app, address, &creuse, &page("23")).await;
        let edges = own["data"]["structures"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("a page: {own}"));
        assert!(!edges.is_empty(), "{own}");
        assert!(
            edges
                .iter()
                .all(|e| e["node"]["effectivePartners"] == json!([])),
            "{own}"
        );
    }
    // An anonymous caller is refused.
    let anonymous = app.post_to(&replica, None, &nord, Value::Null).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"], "{anonymous}");
}
