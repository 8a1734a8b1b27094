//! Authentication: anonymous callers, bad tokens, disabled users, revoked roles,
//! introspection.
use std::time::Duration;

use maillage::auth::TokenKeys;
use maillage::domain::enums::Role;
use maillage::service::users::{self, ScopeArgs};
use serde_json::{Value, json};

use crate::helpers::*;

const DATA_QUERIES: [&str; 26] = [
    "{ me { email } }",
    "{ citizenRequests(name: \"Jeanne Dupont\") { id } }",
    "{ contentReads { totalCount } }",
    "{ departments { code } }",
    "{ department(code: \"59\") { name } }",
    "{ structures { totalCount } }",
    "{ structure(matricule: \"DEMO-59-01\") { name } }",
    "{ node(id: \"U3RydWN0dXJlOkRFTU8tNTktMDE\") { id } }",
    "{ partners { code } }",
    "{ partner(code: \"CAF\") { name } }",
    "{ criteriaFrameworks { version } }",
    "{ criteriaFramework { version } }",
    "{ auditLog { totalCount } }",
    "{ department(code: \"23\") { referents { name } missingReferents { code } } }",
    "{ convention(department: \"59\") { status } }",
    "{ labelAudits { edges { node { id } } } }",
    "{ fundingEnvelopes { code } }",
    "{ trainingModules { code } }",
    "{ trainingSessions(department: \"59\") { place } }",
    "{ supportRequests { totalCount } }",
    "{ reportEntries { totalCount } }",
    "{ reportingSuggestions(structure: \"DEMO-59-01\") { themes } }",
    "{ surveyCampaigns { year } }",
    "{ mysteryCampaigns { year } }",
    "{ dashboard { departments } }",
    "{ apiKeys { name } }",
];

#[tokio::test]
async fn anonymous_caller_gets_unauthenticated_for_every_data_query() {
    let app = spawn_app().await;
    for query in DATA_QUERIES {
        let response = app.post(None, query, Value::Null).await;
        assert_eq!(
            error_codes(&response),
            ["UNAUTHENTICATED"],
            "{query}: {response}"
        );
        // `data` is null (a non-null root field) or holds the root field as null.
        let leaked = response["data"]
            .as_object()
            .is_some_and(|fields| fields.values().any(|v| !v.is_null()));
        assert!(!leaked, "{query} leaked data: {response}");
    }
}

const MUTATIONS: [&str; 46] = [
    "mutation { eraseCitizenRequests(requests: [\"U3VwcG9ydFJlcXVlc3Q6MQ\"], reason: \"Demande\") }",
    "mutation { setDeploymentTarget(department: \"59\", target: 40) { code } }",
    "mutation { createStructure(department: \"59\", input: { name: \"France services X\", commune: \"59350\", format: FIXED }) { matricule } }",
    "mutation { updateStructure(structure: \"DEMO-59-01\", expectedVersion: 0, input: { pmrAccess: true }) { matricule } }",
    "mutation { closeStructure(structure: \"DEMO-59-01\", expectedVersion: 0, on: \"2026-01-01\", reason: \"Fusion\") { matricule } }",
    "mutation { reopenStructure(structure: \"DEMO-59-01\", expectedVersion: 0) { matricule } }",
    "mutation { setStructureStops(structure: \"DEMO-59-04\", expectedVersion: 0, stops: []) { matricule } }",
    "mutation { createLocalPartner(input: { code: \"CD23\", name: \"CD\", department: \"23\" }) { code } }",
    "mutation { loadCriteriaFramework(input: { version: \"2025\", label: \"R\", effectiveFrom: \"2025-06-16\", criteria: [] }) { version } }",
    "mutation { createReferent(input: { partner: \"CAF\", department: \"23\", kind: BACK_OFFICE, name: \"N\", email: \"n@caf.fr\" }) { id } }",
    "mutation { updateReferent(id: \"UmVmZXJlbnQ6MQ\", input: { partner: \"CAF\", department: \"23\", kind: BACK_OFFICE, name: \"N\", email: \"n@caf.fr\" }) { id } }",
    "mutation { deleteReferent(id: \"UmVmZXJlbnQ6MQ\") }",
    "mutation { draftConvention(department: \"59\", title: \"T\") { status } }",
    "mutation { signConvention(department: \"59\", partner: \"CAF\") { status } }",
    "mutation { concludeConvention(department: \"59\") { status } }",
    "mutation { addConventionPartner(department: \"59\", partner: \"ANAH\") { status } }",
    "mutation { addAnnex(input: { structure: \"DEMO-59-02\", functioning: \"F\" }) { status } }",
    "mutation { extendLegacyMsapConvention(structure: \"DEMO-59-02\", endDate: \"2021-12-31\") { status } }",
    "mutation { proposeLabel(structure: \"DEMO-59-04\", expectedVersion: 0, selfAssessment: []) { labelStatus } }",
    "mutation { scheduleLabelAudit(structure: \"DEMO-59-04\", expectedVersion: 0, auditor: \"auditeur@demo.maillage.fr\", scheduledOn: \"2026-12-01\") { labelStatus } }",
    "mutation { recordAuditResult(audit: \"TGFiZWxBdWRpdDox\", criterion: \"C01\", met: true) { id } }",
    "mutation { submitAudit(audit: \"TGFiZWxBdWRpdDox\") { id } }",
    "mutation { approveLabel(structure: \"DEMO-59-04\", expectedVersion: 0) { labelStatus } }",
    "mutation { labelStructure(structure: \"DEMO-59-04\", expectedVersion: 0, labelDate: \"2026-11-27\") { invitationCode } }",
    "mutation { withdrawLabel(structure: \"DEMO-59-01\", expectedVersion: 0, reason: \"R\") { labelStatus } }",
    "mutation { grantFunding(input: { structure: \"DEMO-59-01\", kind: OPERATING, year: 2026 }) { year } }",
    "mutation { registerAgent(structure: \"DEMO-59-01\", input: { name: \"N\", email: \"n@m.fr\" }) { id } }",
    "mutation { organiseTrainingSession(input: { module: \"COMMON_CORE\", department: \"59\", place: \"P\", startsOn: \"2026-12-01\", endsOn: \"2026-12-02\", halfDays: 5, capacity: 3 }) { id } }",
    "mutation { enrolInTrainingSession(session: \"VHJhaW5pbmdTZXNzaW9uOjE\", agent: \"QWdlbnQ6MQ\") { id } }",
    "mutation { recordTrainingAttendance(session: \"VHJhaW5pbmdTZXNzaW9uOjE\", agent: \"QWdlbnQ6MQ\", attended: true) { id } }",
    "mutation { sendSupportRequest(input: { structure: \"DEMO-59-01\", partner: \"CAF\", subject: \"S\", description: \"D\", citizenName: \"C\" }) { id } }",
    "mutation { writeSupportMessage(request: \"U3VwcG9ydFJlcXVlc3Q6MQ\", body: \"B\") { id } }",
    "mutation { closeSupportRequest(request: \"U3VwcG9ydFJlcXVlc3Q6MQ\") { id } }",
    "mutation { reopenSupportRequest(request: \"U3VwcG9ydFJlcXVlc3Q6MQ\") { id } }",
    "mutation { recordReportEntry(input: { structure: \"DEMO-59-01\", occurredOn: \"2026-11-20\", partner: \"CAF\", theme: FAMILY, helpKind: INFORMATION, resolvedOnSite: true, durationMinutes: 10 }) { id } }",
    "mutation { correctReportEntry(entry: \"UmVwb3J0RW50cnk6MQ\", input: { structure: \"DEMO-59-01\", occurredOn: \"2026-11-20\", partner: \"CAF\", theme: FAMILY, helpKind: INFORMATION, resolvedOnSite: true, durationMinutes: 10 }, reason: \"R\") { id } }",
    "mutation { createSurveyCampaign(input: { year: 2026, audience: USERS, title: \"T\", opensOn: \"2026-01-01\", closesOn: \"2026-12-31\" }) { id } }",
    "mutation { issueSurveyCode(campaign: \"U3VydmV5Q2FtcGFpZ246MQ\", structure: \"DEMO-59-01\") }",
    "mutation { issueSurveyCodes(campaign: \"U3VydmV5Q2FtcGFpZ246MQ\", structure: \"DEMO-59-01\", count: 1) }",
    "mutation { answerAgentSurvey(campaign: \"U3VydmV5Q2FtcGFpZ246MQ\", structure: \"DEMO-59-01\", satisfaction: 3) }",
    "mutation { createMysteryCampaign(input: { year: 2026, label: \"L\", perDepartment: 1, seed: 1 }) { id } }",
    "mutation { assignMysteryVisitor(visit: \"TXlzdGVyeVZpc2l0OjE\", visitor: \"auditeur@demo.maillage.fr\") { id } }",
    "mutation { recordMysteryVisit(visit: \"TXlzdGVyeVZpc2l0OjE\", visitedOn: \"2026-11-20\", scores: []) { id } }",
    "mutation { publishMysteryCampaign(campaign: \"TXlzdGVyeUNhbXBhaWduOjE\") { id } }",
    "mutation { createApiKey(input: { name: \"k\", role: ANCT, expiresInDays: 1 }) { key } }",
    "mutation { revokeApiKey(name: \"k\") { name } }",
];

/// Operations open to callers without an account, each with what a wrong credential gets.
const PUBLIC_MUTATIONS: [(&str, &str); 2] = [
    (
        "mutation { answerSurvey(code: \"NOPE0-NOPE0\", satisfaction: 3) }",
        "BAD_USER_INPUT",
    ),
    (
        "mutation { onboardStructure(code: \"NOPE-NOPE-NOPE-NOPE-NOPE\", agents: [{ name: \"N\", email: \"n@m.fr\" }]) { registered } }",
        "BAD_USER_INPUT",
    ),
];

#[tokio::test]
async fn public_mutations_need_their_own_credential_and_change_nothing_without_it() {
    let app = spawn_app().await;
    for (mutation, code) in PUBLIC_MUTATIONS {
        let response = app.post(None, mutation, Value::Null).await;
        assert_eq!(error_codes(&response), [code], "{mutation}: {response}");
    }
    let log = app
        .query_as(ANCT, "{ auditLog { totalCount } }", Value::Null)
        .await;
    assert_eq!(data(&log)["auditLog"]["totalCount"], 0);
}

/// The root fields of `type_name` in the committed schema.
fn root_fields(type_name: &str) -> Vec<String> {
    let sdl = include_str!("../../schema.graphql");
    let start = sdl
        .find(&format!("type {type_name} {{"))
        .unwrap_or_else(|| panic!("no {type_name} in schema.graphql"));
    let body = &sdl[start..];
    let body = &body[..body.find("\n}").expect("end of type")];
    let mut in_description = false;
    // Arguments may span lines (those with descriptions): only depth 0 starts a field.
    let mut depth = 0_i32;
    let mut fields = Vec::new();
    for line in body.lines().skip(1).map(str::trim) {
        if line == "\"\"\"" {
            in_description = !in_description;
        } else if !in_description && !line.is_empty() && !line.starts_with('"') {
            if depth == 0 {
                let name = line.split(['(', ':']).next().unwrap_or_default();
                fields.push(name.to_owned());
            }
            depth += line.matches('(').count() as i32 - line.matches(')').count() as i32;
        }
    }
    assert!(fields.len() > 5, "{type_name}: {fields:?}");
    fields
}

#[test]
fn every_root_field_is_in_the_anonymous_lists() {
    let public = PUBLIC_MUTATIONS.iter().map(|(m, _)| *m);
    let mutations: Vec<&str> = MUTATIONS.iter().copied().chain(public).collect();
    for (type_name, list) in [("Query", &DATA_QUERIES[..]), ("Mutation", &mutations[..])] {
        for field in root_fields(type_name) {
            let covered = list.iter().any(|op| {
                op.contains(&format!("{{ {field}(")) || op.contains(&format!("{{ {field} "))
            });
            assert!(
                covered,
                "{type_name}.{field} is missing from the anonymous checks"
            );
        }
    }
}

#[tokio::test]
async fn anonymous_caller_gets_unauthenticated_for_every_mutation_and_nothing_changes() {
    let app = spawn_app().await;
    for mutation in MUTATIONS {
        let response = app.post(None, mutation, Value::Null).await;
        assert_eq!(
            error_codes(&response),
            ["UNAUTHENTICATED"],
            "{mutation}: {response}"
        );
    }
    let log = app
        .query_as(ANCT, "{ auditLog { totalCount } }", Value::Null)
        .await;
    assert_eq!(data(&log)["auditLog"]["totalCount"], 0);
}

#[tokio::test]
async fn anonymous_introspection_is_refused_outside_demo_mode_and_open_to_users() {
    let app = spawn_app().await;
    let query = "{ __schema { queryType { name } } }";
    // Refused with a clear error, through fragments too; `__typename` is no introspection.
    for refused in [
        query,
        "{ __type(name: \"Structure\") { name } }",
        "query { ...F } fragment F on Query { ... on Query { __schema { types { name } } } }",
    ] {
        let anonymous = app.post(None, refused, Value::Null).await;
        assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"], "{anonymous}");
        assert!(anonymous["data"].is_null(), "{anonymous}");
    }
    let typename = app.post(None, "{ __typename }", Value::Null).await;
    assert_eq!(data(&typename)["__typename"], "Query");
    let signed_in = app.query_as(AGENT_LILLE, query, Value::Null).await;
    assert_eq!(data(&signed_in)["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn anonymous_introspection_is_open_in_demo_mode_but_data_is_not() {
    let app = spawn_demo_mode_app().await;
    let schema = app
        .post(None, "{ __schema { queryType { name } } }", Value::Null)
        .await;
    assert_eq!(data(&schema)["__schema"]["queryType"]["name"], "Query");
    let structures = app
        .post(None, "{ structures { totalCount } }", Value::Null)
        .await;
    assert_eq!(error_codes(&structures), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn malformed_foreign_and_expired_tokens_are_unauthenticated() {
    let app = spawn_app().await;
    let user = users::find_by_email(&app.db, ANCT)
        .await
        .expect("db")
        .expect("user");
    let foreign = TokenKeys::from_secret(b"another-secret-another-secret-another")
        .issue(users::bearer_of(&user), Duration::from_secs(600), app.now())
        .expect("token");
    let expired = app
        .keys
        .issue(users::bearer_of(&user), Duration::from_secs(60), app.now())
        .expect("token");
    app.time.advance(chrono::TimeDelta::seconds(60));
    for token in ["garbage", foreign.as_str(), expired.as_str()] {
        let response = app.post(Some(token), "{ me { email } }", Value::Null).await;
        assert_eq!(error_codes(&response), ["UNAUTHENTICATED"], "{response}");
        assert!(response["data"].is_null());
    }
    let message = app
        .post(Some(&expired), "{ me { email } }", Value::Null)
        .await["errors"][0]["message"]
        .clone();
    assert_eq!(message, "the token has expired");
    let refused = app
        .post(Some("garbage"), "{ me { email } }", Value::Null)
        .await;
    assert!(refused["errors"][0].get("locations").is_none(), "{refused}");
}

#[tokio::test]
async fn a_non_bearer_authorization_header_is_unauthenticated() {
    let app = spawn_app().await;
    let response = reqwest::Client::new()
        .post(format!("{}/graphql", app.address))
        .header("Authorization", "Basic YWxhZGRpbjpvcGVuc2VzYW1l")
        .json(&json!({ "query": "{ me { email } }" }))
        .send()
        .await
        .expect("request")
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(error_codes(&response), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn disabling_a_user_stops_their_token_at_once() {
    let app = spawn_app().await;
    let token = app.token(PREFECT_59).await;
    let before = app
        .post(Some(&token), "{ me { email } }", Value::Null)
        .await;
    assert_eq!(data(&before)["me"]["email"], PREFECT_59);
    users::set_disabled(&app.db, PREFECT_59, true)
        .await
        .expect("disable");
    let after = app
        .post(Some(&token), "{ me { email } }", Value::Null)
        .await;
    assert_eq!(error_codes(&after), ["UNAUTHENTICATED"]);
    assert_eq!(after["errors"][0]["message"], "this account is disabled");
    // Enabled again: the tokens of before stay dead; a new one works.
    users::set_disabled(&app.db, PREFECT_59, false)
        .await
        .expect("enable");
    let old = app
        .post(Some(&token), "{ me { email } }", Value::Null)
        .await;
    assert_eq!(error_codes(&old), ["UNAUTHENTICATED"]);
    let new = app
        .query_as(PREFECT_59, "{ me { email } }", Value::Null)
        .await;
    assert_eq!(data(&new)["me"]["email"], PREFECT_59);
}

#[tokio::test]
async fn revoking_a_role_takes_effect_on_the_next_request() {
    let app = spawn_app().await;
    let token = app.token(PREFECT_59).await;
    let query = "{ structures { totalCount } }";
    let before = app.post(Some(&token), query, Value::Null).await;
    assert_eq!(data(&before)["structures"]["totalCount"], 4);
    let scope = ScopeArgs {
        department: Some("59".into()),
        ..Default::default()
    };
    users::revoke(&app.db, PREFECT_59, Role::Prefect, &scope)
        .await
        .expect("revoke");
    let after = app.post(Some(&token), query, Value::Null).await;
    assert_eq!(data(&after)["structures"]["totalCount"], 0);
    let by_key = app
        .post(
            Some(&token),
            "{ structure(matricule: \"DEMO-59-01\") { name } }",
            Value::Null,
        )
        .await;
    assert_eq!(error_codes(&by_key), ["NOT_FOUND"]);
}

#[tokio::test]
async fn me_shows_the_role_assignments_held_in_the_database() {
    let app = spawn_app().await;
    let scope = ScopeArgs {
        department: Some("2A".into()),
        ..Default::default()
    };
    users::grant(&app.db, PREFECT_59, Role::Prefect, &scope, app.now())
        .await
        .expect("grant");
    let response = app
        .query_as(
            PREFECT_59,
            "{ me { email roles { role department { code } partner { code } structure { matricule } } } }",
            Value::Null,
        )
        .await;
    let roles = data(&response)["me"]["roles"].clone();
    assert_eq!(
        roles,
        json!([
            { "role": "PREFECT", "department": { "code": "59" }, "partner": null, "structure": null },
            { "role": "PREFECT", "department": { "code": "2A" }, "partner": null, "structure": null },
        ])
    );
    let operator = app
        .query_as(
            OPERATOR_CAF,
            "{ me { roles { role department { code } partner { code } } } }",
            Value::Null,
        )
        .await;
    assert_eq!(
        data(&operator)["me"]["roles"],
        json!([{ "role": "OPERATOR", "department": null, "partner": { "code": "CAF" } }])
    );
    let agent = app
        .query_as(
            AGENT_LILLE,
            "{ me { roles { role structure { matricule } } } }",
            Value::Null,
        )
        .await;
    assert_eq!(
        data(&agent)["me"]["roles"],
        json!([{ "role": "AGENT", "structure": { "matricule": "DEMO-59-01" } }])
    );
}
