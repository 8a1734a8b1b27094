//! Surveys and mystery visits (R-18).
use chrono::{Datelike, Days};
use maillage::domain::enums::Role;
use maillage::service::users::{self, ScopeArgs};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::workflow::refused;

const CREATE_SURVEY: &str = "mutation($input: SurveyCampaignInput!) {
    createSurveyCampaign(input: $input) { id year audience } }";
const ISSUE: &str = "mutation($c: ID!, $s: String!, $n: Int!) {
    issueSurveyCodes(campaign: $c, structure: $s, count: $n) }";
const ANSWER: &str = "mutation($code: String!, $s: Int!, $r: Boolean, $c: String) {
    answerSurvey(code: $code, satisfaction: $s, recommend: $r, comment: $c) }";
const RESULTS: &str = "query($m: String!) { structure(matricule: $m) {
    surveyResults { campaign { year } answers meanSatisfaction recommendShare comments } } }";

fn campaign(app: &TestApp, year: i32, audience: &str, closes_in_days: i64) -> Value {
    let today = app.today();
    let year = today.year() + year;
    let opens = today.checked_sub_days(Days::new(30)).expect("date");
    let closes = if closes_in_days >= 0 {
        today.checked_add_days(Days::new(closes_in_days as u64))
    } else {
        today.checked_sub_days(Days::new(closes_in_days.unsigned_abs()))
    }
    .expect("date");
    json!({ "input": { "year": year, "audience": audience, "title": format!("Enquête {year}"),
        "opensOn": opens.to_string(), "closesOn": closes.to_string() } })
}

async fn create(app: &TestApp, vars: Value) -> Value {
    let response = app.query_as(ANCT, CREATE_SURVEY, vars).await;
    data(&response)["createSurveyCampaign"]["id"].clone()
}

#[tokio::test]
async fn users_answer_anonymously_with_their_structures_code_and_agents_see_aggregates() {
    let app = spawn_app().await;
    let vars = campaign(&app, 0, "USERS", 30);
    refused(
        &app.query_as(PREFECT_59, CREATE_SURVEY, vars.clone()).await,
        "FORBIDDEN",
    );
    refused(
        &app.post(None, CREATE_SURVEY, vars.clone()).await,
        "UNAUTHENTICATED",
    );
    let users_survey = create(&app, vars.clone()).await;
    refused(&app.query_as(ANCT, CREATE_SURVEY, vars).await, "CONFLICT");

    // Single-use codes in batches, for the structure, its prefecture and ANCT.
    let issue = json!({ "c": users_survey, "s": "DEMO-59-01", "n": 3 });
    let codes = codes_of(&app.query_as(AGENT_LILLE, ISSUE, issue.clone()).await);
    assert_eq!(codes.len(), 3);
    let more = codes_of(&app.query_as(PREFECT_59, ISSUE, issue.clone()).await);
    assert!(more.iter().all(|c| !codes.contains(c)), "fresh codes");
    let single = "mutation($c: ID!, $s: String!) { issueSurveyCode(campaign: $c, structure: $s) }";
    let one: String = serde_json::from_value(
        data(&app.query_as(ANCT, single, issue.clone()).await)["issueSurveyCode"].clone(),
    )
    .expect("code");
    assert!(!codes.contains(&one) && !more.contains(&one));
    refused(
        &app.query_as(OPERATOR_CAF, ISSUE, issue.clone()).await,
        "FORBIDDEN",
    );
    refused(
        &app.query_as(PREFECT_23, ISSUE, issue.clone()).await,
        "NOT_FOUND",
    );
    refused(
        &app.post(None, ISSUE, issue.clone()).await,
        "UNAUTHENTICATED",
    );
    for n in [0, 501] {
        let mut batch = issue.clone();
        batch["n"] = json!(n);
        refused(
            &app.query_as(AGENT_LILLE, ISSUE, batch).await,
            "BAD_USER_INPUT",
        );
    }

    // Users answer without an account.
    for (code, (s, r, c)) in codes.iter().zip([
        (5, true, "Accueil chaleureux"),
        (3, false, "Attente longue"),
        (4, true, ""),
    ]) {
        let answered = app
            .post(
                None,
                ANSWER,
                json!({ "code": code, "s": s, "r": r, "c": c }),
            )
            .await;
        assert_eq!(data(&answered)["answerSurvey"], true);
        // A code answers once.
        let again = app
            .post(None, ANSWER, json!({ "code": code, "s": 1 }))
            .await;
        refused(&again, "BAD_USER_INPUT");
    }
    refused(
        &app.post(None, ANSWER, json!({ "code": more[0], "s": 6 }))
            .await,
        "BAD_USER_INPUT",
    );
    refused(
        &app.post(None, ANSWER, json!({ "code": "NOPE0-NOPE0", "s": 4 }))
            .await,
        "BAD_USER_INPUT",
    );

    // Results: in full for the prefecture and ANCT; aggregates for the structure's agents.
    for email in [PREFECT_59, ANCT] {
        let full = app
            .query_as(email, RESULTS, json!({ "m": "DEMO-59-01" }))
            .await;
        let results = &data(&full)["structure"]["surveyResults"][0];
        assert_eq!(results["answers"], 3, "{email}");
        assert_eq!(results["meanSatisfaction"], 4.0);
        let share = results["recommendShare"].as_f64().expect("share");
        assert!((share - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(
            results["comments"],
            json!(["Attente longue", "Accueil chaleureux"])
        );
    }
    let agent = app
        .query_as(AGENT_LILLE, RESULTS, json!({ "m": "DEMO-59-01" }))
        .await;
    assert_eq!(agent["data"]["structure"]["surveyResults"][0]["answers"], 3);
    assert!(agent["data"]["structure"]["surveyResults"][0]["comments"].is_null());
    assert_eq!(error_codes(&agent), ["FORBIDDEN"]);
    let operator = app
        .query_as(OPERATOR_CAF, RESULTS, json!({ "m": "DEMO-59-01" }))
        .await;
    assert!(operator["data"]["structure"]["surveyResults"].is_null());
    assert_eq!(error_codes(&operator), ["FORBIDDEN"]);

    // A closed campaign takes no answer, and issues no code.
    app.time.advance(chrono::TimeDelta::days(31));
    refused(
        &app.post(None, ANSWER, json!({ "code": more[1], "s": 4 }))
            .await,
        "CONFLICT",
    );
    refused(&app.query_as(AGENT_LILLE, ISSUE, issue).await, "CONFLICT");
}

fn codes_of(response: &Value) -> Vec<String> {
    serde_json::from_value(data(response)["issueSurveyCodes"].clone()).expect("codes")
}

#[tokio::test]
async fn a_code_answers_once_even_sent_many_times_at_once() {
    let app = spawn_app().await;
    let survey = create(&app, campaign(&app, 0, "USERS", 30)).await;
    let issue = json!({ "c": survey, "s": "DEMO-59-02", "n": 2 });
    let codes = codes_of(&app.query_as(PREFECT_59, ISSUE, issue).await);
    // (The losers count as wrong codes of this caller: 2 × 4 stay under the limit.)
    for code in &codes {
        let burst = futures::future::join_all(
            (0..5).map(|_| app.post(None, ANSWER, json!({ "code": code, "s": 4 }))),
        )
        .await;
        let accepted = burst.iter().filter(|r| error_codes(r).is_empty()).count();
        assert_eq!(accepted, 1, "{burst:?}");
    }
    let results = app
        .query_as(PREFECT_59, RESULTS, json!({ "m": "DEMO-59-02" }))
        .await;
    assert_eq!(
        data(&results)["structure"]["surveyResults"][0]["answers"],
        2
    );
}

#[tokio::test]
async fn wrong_codes_are_limited_per_caller_survey_and_onboarding_alike() {
    let app = spawn_app().await;
    let survey = create(&app, campaign(&app, 0, "USERS", 30)).await;
    let issue = json!({ "c": survey, "s": "DEMO-59-02", "n": 2 });
    let codes = codes_of(&app.query_as(PREFECT_59, ISSUE, issue).await);
    let onboard = "mutation($k: String!) { onboardStructure(code: $k,
        agents: [{ name: \"A B\", email: \"a.b@t.fr\" }]) { registered } }";
    // Ten wrong codes in a quarter of an hour, of either kind...
    for i in 0..10 {
        let response = if i % 2 == 0 {
            app.post(
                None,
                ANSWER,
                json!({ "code": format!("WRONG-{i:05}"), "s": 4 }),
            )
            .await
        } else {
            app.post(None, onboard, json!({ "k": format!("wrong-{i}") }))
                .await
        };
        refused(&response, "BAD_USER_INPUT");
    }
    // ... and even a right one is refused to this caller for the rest of it.
    let limited = app
        .post(None, ANSWER, json!({ "code": codes[0], "s": 4 }))
        .await;
    refused(&limited, "RATE_LIMITED");
    refused(
        &app.post(None, onboard, json!({ "k": "wrong" })).await,
        "RATE_LIMITED",
    );
    // Another caller is not held back.
    let token = app.token(AGENT_LILLE).await;
    let other = app
        .post(Some(&token), ANSWER, json!({ "code": codes[1], "s": 4 }))
        .await;
    assert_eq!(data(&other)["answerSurvey"], true);
    // After the window, the caller tries again.
    app.time.advance(chrono::TimeDelta::minutes(16));
    let later = app
        .post(None, ANSWER, json!({ "code": codes[0], "s": 4 }))
        .await;
    assert_eq!(data(&later)["answerSurvey"], true);
}

#[tokio::test]
async fn agents_answer_the_agents_survey_once() {
    let app = spawn_app().await;
    let survey = create(&app, campaign(&app, 0, "AGENTS", 30)).await;
    let answer = "mutation($c: ID!, $s: String!) { answerAgentSurvey(campaign: $c, structure: $s, satisfaction: 4, comment: \"Bonne équipe\") }";
    let vars = json!({ "c": survey, "s": "DEMO-59-01" });
    refused(
        &app.query_as(PREFECT_59, answer, vars.clone()).await,
        "FORBIDDEN",
    );
    let other = ScopeArgs {
        structure: Some("DEMO-59-02".into()),
        ..Default::default()
    };
    users::grant(&app.db, "agent.autre@t.fr", Role::Agent, &other, app.now())
        .await
        .expect("grant");
    refused(
        &app.query_as("agent.autre@t.fr", answer, vars.clone()).await,
        "NOT_FOUND",
    );
    // Every signed-in user sees the campaigns.
    for email in [AGENT_LILLE, OPERATOR_CAF, AUDITOR] {
        let listed = app
            .query_as(
                email,
                "{ surveyCampaigns { audience } mysteryCampaigns { year } }",
                json!({}),
            )
            .await;
        assert_eq!(
            data(&listed)["surveyCampaigns"],
            json!([{ "audience": "AGENTS" }]),
            "{email}"
        );
    }
    refused(
        &app.post(None, answer, vars.clone()).await,
        "UNAUTHENTICATED",
    );
    assert_eq!(
        data(&app.query_as(AGENT_LILLE, answer, vars.clone()).await)["answerAgentSurvey"],
        true
    );
    refused(&app.query_as(AGENT_LILLE, answer, vars).await, "CONFLICT");
    let results = app
        .query_as(PREFECT_59, RESULTS, json!({ "m": "DEMO-59-01" }))
        .await;
    assert_eq!(
        data(&results)["structure"]["surveyResults"][0]["answers"],
        1
    );
}

const CREATE_MYSTERY: &str = "mutation($input: MysteryCampaignInput!) {
    createMysteryCampaign(input: $input) { id visits { id structure { matricule } department { code } } } }";
const VISITS: &str = "query($id: ID!) { node(id: $id) { ... on MysteryCampaign {
    published visits { id structure { matricule } scores { item score } meanScore comment } } } }";

fn mystery(seed: i64) -> Value {
    json!({ "input": { "year": 2026, "label": "Baromètre 2026", "perDepartment": 1, "seed": seed } })
}

async fn visits(app: &TestApp, email: &str, campaign: &Value) -> Vec<Value> {
    let response = app.query_as(email, VISITS, json!({ "id": campaign })).await;
    data(&response)["node"]["visits"]
        .as_array()
        .expect("visits")
        .clone()
}

#[tokio::test]
async fn mystery_visits_are_drawn_reproducibly_scored_by_their_visitor_and_published() {
    let app = spawn_app().await;
    refused(
        &app.query_as(PREFECT_59, CREATE_MYSTERY, mystery(7)).await,
        "FORBIDDEN",
    );
    refused(
        &app.post(None, CREATE_MYSTERY, mystery(7)).await,
        "UNAUTHENTICATED",
    );
    let first = app.query_as(ANCT, CREATE_MYSTERY, mystery(7)).await;
    let first = data(&first)["createMysteryCampaign"].clone();
    let again = app.query_as(ANCT, CREATE_MYSTERY, mystery(7)).await;
    let again = data(&again)["createMysteryCampaign"].clone();
    let drawn = |c: &Value| -> Vec<(Value, Value)> {
        c["visits"]
            .as_array()
            .expect("visits")
            .iter()
            .map(|v| {
                (
                    v["department"]["code"].clone(),
                    v["structure"]["matricule"].clone(),
                )
            })
            .collect()
    };
    // One labelled structure per department (59, 23, 2A in the demo), the same for a seed.
    assert_eq!(drawn(&first).len(), 3);
    assert_eq!(drawn(&first), drawn(&again));
    let campaign = first["id"].clone();
    let in_59 = first["visits"]
        .as_array()
        .expect("visits")
        .iter()
        .find(|v| v["department"]["code"] == "59")
        .expect("a visit in 59")
        .clone();
    let visit = in_59["id"].clone();
    let matricule = in_59["structure"]["matricule"]
        .as_str()
        .expect("m")
        .to_owned();
    let agent_scope = ScopeArgs {
        structure: Some(matricule.clone()),
        ..Default::default()
    };
    users::grant(
        &app.db,
        "agent.visite@t.fr",
        Role::Agent,
        &agent_scope,
        app.now(),
    )
    .await
    .expect("grant");
    users::grant(
        &app.db,
        "autre.auditeur@t.fr",
        Role::Auditor,
        &ScopeArgs::default(),
        app.now(),
    )
    .await
    .expect("grant");

    // Scopes before anything is recorded.
    assert_eq!(visits(&app, PREFECT_59, &campaign).await.len(), 1);
    assert_eq!(visits(&app, PREFECT_23, &campaign).await.len(), 1);
    assert_eq!(visits(&app, AUDITOR, &campaign).await.len(), 0);
    assert_eq!(
        visits(&app, "agent.visite@t.fr", &campaign).await.len(),
        0,
        "not published"
    );
    assert_eq!(visits(&app, OPERATOR_CAF, &campaign).await.len(), 0);

    let assign = "mutation($v: ID!, $e: String!) { assignMysteryVisitor(visit: $v, visitor: $e) { assigned } }";
    refused(
        &app.query_as(PREFECT_59, assign, json!({ "v": visit, "e": AUDITOR }))
            .await,
        "FORBIDDEN",
    );
    refused(
        &app.query_as(ANCT, assign, json!({ "v": visit, "e": PREFECT_59 }))
            .await,
        "BAD_USER_INPUT",
    );
    assert_eq!(
        data(
            &app.query_as(ANCT, assign, json!({ "v": visit, "e": AUDITOR }))
                .await
        )["assignMysteryVisitor"]["assigned"],
        true
    );
    let assigned = visits(&app, AUDITOR, &campaign).await;
    assert_eq!(assigned.len(), 1);
    // The visitor must find the structure to go there: its public facts are theirs.
    assert!(
        assigned[0]["structure"]["matricule"].is_string(),
        "{assigned:?}"
    );

    let record = "mutation($v: ID!, $on: Date!, $s: [MysteryScoreInput!]!) {
        recordMysteryVisit(visit: $v, visitedOn: $on, scores: $s, comment: \"Accueil souriant\") { meanScore } }";
    let items = [
        "WELCOME",
        "WAITING_TIME",
        "LISTENING",
        "ANSWER_QUALITY",
        "FOLLOW_UP",
        "PREMISES",
    ];
    let scores: Vec<Value> = items
        .iter()
        .zip([8, 6, 9, 7, 5, 7])
        .map(|(i, s)| json!({ "item": i, "score": s }))
        .collect();
    let partial = json!({ "v": visit, "on": app.day(-9), "s": &scores[..5] });
    refused(
        &app.query_as(AUDITOR, record, partial).await,
        "BAD_USER_INPUT",
    );
    let tomorrow = json!({ "v": visit, "on": app.day(1), "s": scores });
    refused(
        &app.query_as(AUDITOR, record, tomorrow).await,
        "BAD_USER_INPUT",
    );
    let mut too_high = scores.clone();
    too_high[0]["score"] = json!(11);
    refused(
        &app.query_as(
            AUDITOR,
            record,
            json!({ "v": visit, "on": app.day(-9), "s": too_high }),
        )
        .await,
        "BAD_USER_INPUT",
    );
    refused(
        &app.query_as(
            "autre.auditeur@t.fr",
            record,
            json!({ "v": visit, "on": app.day(-9), "s": scores }),
        )
        .await,
        "NOT_FOUND",
    );
    refused(
        &app.query_as(
            PREFECT_59,
            record,
            json!({ "v": visit, "on": app.day(-9), "s": scores }),
        )
        .await,
        "FORBIDDEN",
    );
    let recorded = app
        .query_as(
            AUDITOR,
            record,
            json!({ "v": visit, "on": app.day(-9), "s": scores }),
        )
        .await;
    assert_eq!(data(&recorded)["recordMysteryVisit"]["meanScore"], 7.0);
    refused(
        &app.query_as(
            AUDITOR,
            record,
            json!({ "v": visit, "on": app.day(-9), "s": scores }),
        )
        .await,
        "CONFLICT",
    );

    // Published: the visited structure's agents see their result; still not other agents.
    let publish = "mutation($c: ID!) { publishMysteryCampaign(campaign: $c) { published } }";
    refused(
        &app.query_as(PREFECT_59, publish, json!({ "c": campaign }))
            .await,
        "FORBIDDEN",
    );
    data(&app.query_as(ANCT, publish, json!({ "c": campaign })).await);
    let seen = visits(&app, "agent.visite@t.fr", &campaign).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["comment"], "Accueil souriant");
    assert_eq!(
        seen[0]["scores"][0],
        json!({ "item": "WELCOME", "score": 8 })
    );
    let others = if matricule == "DEMO-59-01" { 1 } else { 0 };
    assert_eq!(visits(&app, AGENT_LILLE, &campaign).await.len(), others);
    refused(
        &app.post(None, VISITS, json!({ "id": campaign })).await,
        "UNAUTHENTICATED",
    );
}
