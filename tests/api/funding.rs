//! State funding (R-40..R-42): operating lump sums and investment grants, the capped
//! mobile-bus envelope under concurrent requests, and who sees the amounts.
use maillage::domain::enums::Role;
use maillage::service::users::ScopeArgs;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::import::read_rows;
use crate::workflow::*;

const GRANT: &str = "mutation($input: GrantFundingInput!) {
    grantFunding(input: $input) { kind year amountEuros purpose }
}";
const ENVELOPES: &str = "{ fundingEnvelopes { code totalEuros committedEuros remainingEuros } }";

fn grant_input(
    m: &str,
    kind: &str,
    year: i32,
    amount: Option<i64>,
    purpose: Option<&str>,
) -> Value {
    json!({ "input": { "structure": m, "kind": kind, "year": year,
                       "amountEuros": amount, "purpose": purpose } })
}

#[tokio::test]
async fn the_mobile_bus_envelope_is_never_overdrawn_under_concurrent_grants() {
    let app = app_with_candidates(&[]).await;
    let buses: Vec<String> = read_rows(&shared_data_dir().join("france-services-2024-08-01.csv"))
        .into_iter()
        .filter(|r| r["format_fs"] == "Bus_équivalent" && r["insee_dep"] != "978")
        .map(|r| r["id_fs"].clone())
        .collect();
    assert!(
        buses.len() > 100,
        "more buses ({}) than the envelope covers",
        buses.len()
    );
    // A prefect may not draw on the national envelope.
    let first = grant_input(&buses[0], "MOBILE_BUS", 2026, None, None);
    let prefect = read_rows(&shared_data_dir().join("france-services-2024-08-01.csv"))
        .into_iter()
        .find(|r| r["id_fs"] == buses[0])
        .map(|r| r["insee_dep"].clone())
        .expect("bus row");
    grant(
        &app,
        "prefet.bus@t.fr",
        Role::Prefect,
        ScopeArgs {
            department: Some(prefect),
            ..Default::default()
        },
    )
    .await;
    refused(
        &app.query_as("prefet.bus@t.fr", GRANT, first).await,
        "FORBIDDEN",
    );
    let token = app.token(ANCT_T).await;
    let requests = buses.iter().map(|m| {
        let variables = grant_input(m, "MOBILE_BUS", 2026, None, None);
        let token = token.clone();
        let app = &app;
        async move { app.post(Some(&token), GRANT, variables).await }
    });
    // All at once: the database serialises the commitments.
    let responses = futures::future::join_all(requests).await;
    let granted = responses
        .iter()
        .filter(|r| error_codes(r).is_empty())
        .count();
    let refused_count = responses
        .iter()
        .filter(|r| error_codes(r) == ["CONFLICT"])
        .count();
    assert_eq!(granted, 100, "3 M€ / 30,000 € = 100 buses");
    assert_eq!(refused_count, buses.len() - 100);
    let envelopes = app.query_as(ANCT_T, ENVELOPES, json!({})).await;
    assert_eq!(
        data(&envelopes)["fundingEnvelopes"],
        json!([{ "code": "MOBILE_BUS", "totalEuros": 3_000_000, "committedEuros": 3_000_000,
                 "remainingEuros": 0 }])
    );
    let grants = entity::funding_grant::Entity::find()
        .all(&app.db)
        .await
        .expect("present");
    assert_eq!(grants.len(), 100);
    assert_eq!(
        grants.iter().map(|g| g.amount_euros).sum::<i64>(),
        3_000_000
    );
    // Refusals say what is left.
    let message = responses
        .iter()
        .find_map(|r| r["errors"][0]["message"].as_str())
        .expect("a refusal");
    assert!(message.contains("0 € left"), "{message}");
}

#[tokio::test]
async fn operating_and_investment_grants_follow_r40_and_only_anct_and_the_prefect_see_them() {
    let sites: Vec<String> = read_rows(&shared_data_dir().join("france-services-2024-08-01.csv"))
        .into_iter()
        .filter(|r| r["insee_dep"] == "59" && r["format_fs"] == "Fixe")
        .take(2)
        .map(|r| r["id_fs"].clone())
        .collect();
    let (labelled, candidate) = (&sites[0], &sites[1]);
    let app = app_with_candidates(&[candidate]).await;
    let operating = grant_input(labelled, "OPERATING", 2026, None, None);
    refused(
        &app.query_as(PREFECT_23_T, GRANT, operating.clone()).await,
        "NOT_FOUND",
    );
    refused(
        &app.query_as(OPERATOR_CAF_T, GRANT, operating.clone()).await,
        "NOT_FOUND",
    );
    refused(
        &app.post(None, GRANT, operating.clone()).await,
        "UNAUTHENTICATED",
    );
    let wrong_amount = grant_input(labelled, "OPERATING", 2026, Some(25_000), None);
    refused(
        &app.query_as(PREFECT_59_T, GRANT, wrong_amount).await,
        "BAD_USER_INPUT",
    );
    let wrong_year = grant_input(labelled, "OPERATING", 1999, None, None);
    refused(
        &app.query_as(PREFECT_59_T, GRANT, wrong_year).await,
        "BAD_USER_INPUT",
    );
    let unlabelled = grant_input(candidate, "OPERATING", 2026, None, None);
    refused(
        &app.query_as(PREFECT_59_T, GRANT, unlabelled).await,
        "BAD_USER_INPUT",
    );
    let granted = app.query_as(PREFECT_59_T, GRANT, operating.clone()).await;
    assert_eq!(
        data(&granted)["grantFunding"],
        json!({ "kind": "OPERATING", "year": 2026, "amountEuros": 30_000, "purpose": null })
    );
    refused(&app.query_as(ANCT_T, GRANT, operating).await, "CONFLICT");
    let no_purpose = grant_input(labelled, "INVESTMENT", 2026, Some(12_000), None);
    refused(
        &app.query_as(ANCT_T, GRANT, no_purpose).await,
        "BAD_USER_INPUT",
    );
    let investment = grant_input(
        labelled,
        "INVESTMENT",
        2026,
        Some(12_000),
        Some("Visio kiosk"),
    );
    data(&app.query_as(ANCT_T, GRANT, investment).await);
    // A fixed site gets no bus grant.
    let fixed_bus = grant_input(labelled, "MOBILE_BUS", 2026, None, None);
    refused(
        &app.query_as(ANCT_T, GRANT, fixed_bus).await,
        "BAD_USER_INPUT",
    );

    // Amounts: ANCT and the prefect of 59; not the operator, the agent or another prefect.
    signed_convention_59(&app).await;
    let agent = ScopeArgs {
        structure: Some(labelled.clone()),
        ..Default::default()
    };
    grant(&app, "agent59@t.fr", Role::Agent, agent).await;
    let query =
        "query($m: String!) { structure(matricule: $m) { name funding { kind amountEuros } } }";
    for email in [ANCT_T, PREFECT_59_T] {
        let seen = app.query_as(email, query, json!({ "m": labelled })).await;
        assert_eq!(
            data(&seen)["structure"]["funding"],
            json!([{ "kind": "OPERATING", "amountEuros": 30_000 },
                   { "kind": "INVESTMENT", "amountEuros": 12_000 }]),
            "{email}"
        );
    }
    for email in [OPERATOR_CAF_T, "agent59@t.fr"] {
        let hidden = app.query_as(email, query, json!({ "m": labelled })).await;
        assert!(hidden["data"]["structure"]["name"].is_string(), "{email}");
        assert!(hidden["data"]["structure"]["funding"].is_null(), "{email}");
        assert_eq!(error_codes(&hidden), ["FORBIDDEN"], "{email}");
    }
    refused(
        &app.query_as(PREFECT_23_T, query, json!({ "m": labelled }))
            .await,
        "NOT_FOUND",
    );
    // Envelopes: ANCT and prefects; not operators.
    data(&app.query_as(PREFECT_23_T, ENVELOPES, json!({})).await);
    refused(
        &app.query_as(OPERATOR_CAF_T, ENVELOPES, json!({})).await,
        "FORBIDDEN",
    );
    refused(
        &app.post(None, ENVELOPES, json!({})).await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn a_bus_gets_its_first_year_grant_once() {
    let app = app_with_candidates(&[]).await;
    let bus = read_rows(&shared_data_dir().join("france-services-2024-08-01.csv"))
        .into_iter()
        .find(|r| r["format_fs"] == "Bus_équivalent")
        .map(|r| r["id_fs"].clone())
        .expect("a bus");
    let vars = grant_input(&bus, "MOBILE_BUS", 2025, None, None);
    data(&app.query_as(ANCT_T, GRANT, vars).await);
    let again = grant_input(&bus, "MOBILE_BUS", 2026, None, None);
    let response = app.query_as(ANCT_T, GRANT, again).await;
    refused(&response, "CONFLICT");
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .expect("present")
            .contains("first-year grant")
    );
    // The refused grant did not keep its commitment.
    let envelopes = app.query_as(ANCT_T, ENVELOPES, json!({})).await;
    assert_eq!(
        data(&envelopes)["fundingEnvelopes"][0]["committedEuros"],
        30_000
    );
}
