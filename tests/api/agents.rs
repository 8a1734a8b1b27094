//! Agents (R-12) and their training (R-14): registration by the prefecture or with the
//! onboarding code, personal data, sessions, capacity, attendance, qualification, and the
//! structure's compliance that follows.
use serde_json::{Value, json};

use crate::helpers::*;
use crate::workflow::{by_code, refused, self_assessment};

const REGISTER: &str = "mutation($s: String!, $input: AgentInput!) {
    registerAgent(structure: $s, input: $input) { id name email phone structures { matricule } }
}";
const AGENTS: &str =
    "query($m: String!) { structure(matricule: $m) { agents { id name email phone } } }";

pub fn person(name: &str, email: &str) -> Value {
    json!({ "name": name, "email": email, "phone": "06 00 00 00 00" })
}

async fn register(app: &TestApp, structure: &str, name: &str, email: &str) -> Value {
    let response = app
        .query_as(
            PREFECT_59,
            REGISTER,
            json!({ "s": structure, "input": person(name, email) }),
        )
        .await;
    data(&response)["registerAgent"].clone()
}

#[tokio::test]
async fn the_prefecture_registers_agents_whose_contact_details_stay_among_colleagues() {
    let app = spawn_app().await;
    let alice = json!({ "s": "DEMO-59-01", "input": person("Alice Durand", " Alice@Mairie.fr ") });
    refused(
        &app.query_as(PREFECT_23, REGISTER, alice.clone()).await,
        "NOT_FOUND",
    );
    refused(
        &app.query_as(ANCT, REGISTER, alice.clone()).await,
        "FORBIDDEN",
    );
    refused(
        &app.query_as(OPERATOR_CAF, REGISTER, alice.clone()).await,
        "FORBIDDEN",
    );
    refused(
        &app.query_as(AGENT_LILLE, REGISTER, alice.clone()).await,
        "FORBIDDEN",
    );
    refused(
        &app.post(None, REGISTER, alice.clone()).await,
        "UNAUTHENTICATED",
    );
    let bad = json!({ "s": "DEMO-59-01", "input": person("Alice", "alice-at-mairie") });
    let response = app.query_as(PREFECT_59, REGISTER, bad).await;
    refused(&response, "BAD_USER_INPUT");
    assert_eq!(response["errors"][0]["extensions"]["field"], "input.email");
    let created = app.query_as(PREFECT_59, REGISTER, alice.clone()).await;
    let created = &data(&created)["registerAgent"];
    assert_eq!(created["email"], "alice@mairie.fr");
    refused(&app.query_as(PREFECT_59, REGISTER, alice).await, "CONFLICT");
    let bob = register(&app, "DEMO-59-02", "Bob Leroy", "bob@mairie.fr").await;

    // The new agent signs in with their e-mail and sees their structure and colleagues.
    let colleagues = app
        .query_as("alice@mairie.fr", AGENTS, json!({ "m": "DEMO-59-01" }))
        .await;
    let names: Vec<&str> = data(&colleagues)["structure"]["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .map(|a| a["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Alice Durand", "Léa Martin"]);
    for email in [ANCT, PREFECT_59, AGENT_LILLE] {
        let seen = app
            .query_as(email, AGENTS, json!({ "m": "DEMO-59-01" }))
            .await;
        assert_eq!(
            data(&seen)["structure"]["agents"][0]["email"],
            "alice@mairie.fr",
            "{email}"
        );
    }
    // The CAF operator sees the structure (public facts), not its agents.
    let hidden = app
        .query_as(OPERATOR_CAF, AGENTS, json!({ "m": "DEMO-59-01" }))
        .await;
    assert!(hidden["data"]["structure"]["agents"].is_null());
    assert_eq!(error_codes(&hidden), ["FORBIDDEN"]);
    // An agent of another structure does not find Alice; once Alice also serves there,
    // they do.
    let node = "query($id: ID!) { node(id: $id) { ... on Agent { name email } } }";
    let alice_id = created["id"].clone();
    refused(
        &app.query_as("bob@mairie.fr", node, json!({ "id": alice_id }))
            .await,
        "NOT_FOUND",
    );
    let again = register(&app, "DEMO-59-02", "Alice Durand", "alice@mairie.fr").await;
    assert_eq!(again["id"], alice_id, "the same person, one more structure");
    assert_eq!(again["structures"].as_array().expect("structures").len(), 2);
    let found = app
        .query_as("bob@mairie.fr", node, json!({ "id": alice_id }))
        .await;
    assert_eq!(
        data(&found)["node"],
        json!({ "name": "Alice Durand", "email": "alice@mairie.fr" })
    );
    refused(
        &app.query_as(PREFECT_23, node, json!({ "id": bob["id"] }))
            .await,
        "NOT_FOUND",
    );
    let log = app
        .query_as(
            ANCT,
            "{ auditLog(filter: { targetKey: \"DEMO-59-02\" }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&log)["auditLog"]["totalCount"], 2);
}

#[tokio::test]
async fn a_labelled_structure_registers_its_agents_once_with_its_onboarding_code() {
    let app = spawn_app().await;
    let code = label_demo_bus(&app).await;
    let onboard = "mutation($c: String!, $a: [AgentInput!]!) {
        onboardStructure(code: $c, agents: $a) { matricule registered } }";
    let agents = json!([
        person("Chloé Petit", "chloe@bus.fr"),
        person("David Roux", "david@bus.fr")
    ]);
    let wrong = app
        .post(
            None,
            onboard,
            json!({ "c": "AAAA-BBBB-CCCC-DDDD-EEEE", "a": agents }),
        )
        .await;
    refused(&wrong, "BAD_USER_INPUT");
    let empty = app.post(None, onboard, json!({ "c": code, "a": [] })).await;
    refused(&empty, "BAD_USER_INPUT");
    // Two attempts at once: the code works exactly once.
    let vars = json!({ "c": code.to_lowercase(), "a": agents });
    let (first, second) = tokio::join!(
        app.post(None, onboard, vars.clone()),
        app.post(None, onboard, vars.clone())
    );
    let mut outcomes = [error_codes(&first), error_codes(&second)];
    outcomes.sort();
    assert_eq!(outcomes, [vec![], vec!["BAD_USER_INPUT".to_owned()]]);
    let done = if error_codes(&first).is_empty() {
        &first
    } else {
        &second
    };
    assert_eq!(
        data(done)["onboardStructure"],
        json!({ "matricule": "DEMO-59-04", "registered": 2 })
    );
    let seen = app
        .query_as("chloe@bus.fr", AGENTS, json!({ "m": "DEMO-59-04" }))
        .await;
    assert_eq!(
        data(&seen)["structure"]["agents"]
            .as_array()
            .expect("agents")
            .len(),
        2
    );
    let log = app
        .query_as(ANCT, "{ auditLog(filter: { targetKey: \"DEMO-59-04\" }) { edges { node { action actorEmail } } } }", json!({}))
        .await;
    let edges = data(&log)["auditLog"]["edges"]
        .as_array()
        .expect("edges")
        .clone();
    let registrations: Vec<&Value> = edges
        .iter()
        .filter(|e| e["node"]["action"] == "agent.register")
        .collect();
    assert_eq!(registrations.len(), 2);
    assert!(
        registrations
            .iter()
            .all(|e| e["node"]["actorEmail"] == "onboarding code")
    );
}

/// Walks the demo bus DEMO-59-04 to the label; returns its onboarding code.
pub async fn label_demo_bus(app: &TestApp) -> String {
    use crate::workflow::{APPROVE, LABEL, PROPOSE, RECORD, SCHEDULE, SUBMIT};
    let m = "DEMO-59-04";
    let ok = |r: Value| r["data"].clone();
    ok(app
        .query_as(
            PREFECT_59,
            PROPOSE,
            json!({ "m": m, "v": 0, "sa": self_assessment(&[]) }),
        )
        .await);
    let scheduled = app
        .query_as(
            ANCT,
            SCHEDULE,
            json!({ "m": m, "v": 1, "a": AUDITOR, "on": app.day(2) }),
        )
        .await;
    let audit =
        data(&scheduled)["scheduleLabelAudit"]["labelApplications"][0]["audit"]["id"].clone();
    for i in 1..=30 {
        let vars = json!({ "a": audit, "c": format!("C{i:02}"), "met": true, "r": null });
        data(&app.query_as(AUDITOR, RECORD, vars).await);
    }
    data(&app.query_as(AUDITOR, SUBMIT, json!({ "a": audit })).await);
    data(&app.query_as(ANCT, APPROVE, json!({ "m": m, "v": 3 })).await);
    let labelled = app
        .query_as(
            PREFECT_59,
            LABEL,
            json!({ "m": m, "v": 4, "d": app.day(0) }),
        )
        .await;
    data(&labelled)["labelStructure"]["invitationCode"]
        .as_str()
        .expect("code")
        .to_owned()
}

const ORGANISE: &str = "mutation($input: TrainingSessionInput!) {
    organiseTrainingSession(input: $input) { id module seatsLeft trainerPartner { code } }
}";
const ENROL: &str =
    "mutation($s: ID!, $a: ID!) { enrolInTrainingSession(session: $s, agent: $a) { seatsLeft } }";
const ATTEND: &str = "mutation($s: ID!, $a: ID!) {
    recordTrainingAttendance(session: $s, agent: $a, attended: true) {
        training { daysCompleted commonCore partnerTraining mandatoryWebinars qualified } }
}";

fn session(
    app: &TestApp,
    module: &str,
    department: Option<&str>,
    half_days: i32,
    partner: Option<&str>,
    capacity: i32,
) -> Value {
    // As many days as the half-days need (two a day), from a week ahead.
    let days = i64::from((half_days + 1) / 2).max(1);
    json!({ "input": { "module": module, "department": department, "place": "Lille",
        "startsOn": app.day(8), "endsOn": app.day(7 + days), "halfDays": half_days,
        "trainerPartner": partner, "capacity": capacity } })
}

async fn organise(app: &TestApp, email: &str, vars: Value) -> String {
    let response = app.query_as(email, ORGANISE, vars).await;
    data(&response)["organiseTrainingSession"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

#[tokio::test]
async fn training_attendance_qualifies_agents_and_moves_the_structures_compliance() {
    let app = spawn_app().await;
    let alice = register(&app, "DEMO-59-01", "Alice Durand", "alice@mairie.fr").await["id"].clone();
    let lea = app
        .query_as(AGENT_LILLE, AGENTS, json!({ "m": "DEMO-59-01" }))
        .await["data"]["structure"]["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .find(|a| a["name"] == "Léa Martin")
        .expect("Léa")["id"]
        .clone();
    // The modules are listed to every signed-in user.
    let modules = app
        .query_as(
            OPERATOR_CAF,
            "{ trainingModules { code halfDays } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&modules)["trainingModules"]
            .as_array()
            .expect("modules")
            .len(),
        4
    );
    // Who organises what.
    let common = session(&app, "COMMON_CORE", Some("59"), 5, None, 2);
    refused(
        &app.query_as(PREFECT_23, ORGANISE, common.clone()).await,
        "FORBIDDEN",
    );
    refused(
        &app.query_as(AGENT_LILLE, ORGANISE, common.clone()).await,
        "FORBIDDEN",
    );
    refused(
        &app.post(None, ORGANISE, common.clone()).await,
        "UNAUTHENTICATED",
    );
    let too_long = session(&app, "COMMON_CORE", Some("59"), 7, None, 2);
    refused(
        &app.query_as(PREFECT_59, ORGANISE, too_long).await,
        "BAD_USER_INPUT",
    );
    let core = organise(&app, PREFECT_59, common).await;
    let dgfip = session(&app, "PARTNER_TRAINING", Some("59"), 6, Some("DGFIP"), 10);
    refused(
        &app.query_as(OPERATOR_CAF, ORGANISE, dgfip).await,
        "FORBIDDEN",
    );
    // A session's length must fit its dates: 5 half-days in one day cannot be.
    let mut crammed = session(&app, "COMMON_CORE", Some("59"), 5, None, 2);
    crammed["input"]["endsOn"] = crammed["input"]["startsOn"].clone();
    let crammed = app.query_as(PREFECT_59, ORGANISE, crammed).await;
    refused(&crammed, "BAD_USER_INPUT");
    assert_eq!(crammed["errors"][0]["extensions"]["field"], "input.endsOn");
    // Partner training: a day from each of three partners (CAF by its operator, DGFIP and
    // MSA by the prefecture).
    let partner = organise(
        &app,
        OPERATOR_CAF,
        session(&app, "PARTNER_TRAINING", Some("59"), 2, Some("CAF"), 1),
    )
    .await;
    let by_dgfip = organise(
        &app,
        PREFECT_59,
        session(&app, "PARTNER_TRAINING", Some("59"), 2, Some("DGFIP"), 5),
    )
    .await;
    let by_msa = organise(
        &app,
        PREFECT_59,
        session(&app, "PARTNER_TRAINING", Some("59"), 2, Some("MSA"), 5),
    )
    .await;
    let webinar = organise(
        &app,
        ANCT,
        session(&app, "MANDATORY_WEBINARS", None, 0, None, 500),
    )
    .await;

    // Enrolment: the agents' structure or prefecture; a full session refuses.
    let enrol = |s: &str, a: &Value| json!({ "s": s, "a": a });
    // The CAF operator does not read the agents of the structures it serves at all.
    refused(
        &app.query_as(OPERATOR_CAF, ENROL, enrol(&core, &alice))
            .await,
        "NOT_FOUND",
    );
    refused(
        &app.query_as(PREFECT_23, ENROL, enrol(&core, &alice)).await,
        "NOT_FOUND",
    );
    let seats = app.query_as(AGENT_LILLE, ENROL, enrol(&core, &alice)).await;
    assert_eq!(data(&seats)["enrolInTrainingSession"]["seatsLeft"], 1);
    refused(
        &app.query_as(AGENT_LILLE, ENROL, enrol(&core, &alice)).await,
        "CONFLICT",
    );
    data(&app.query_as(PREFECT_59, ENROL, enrol(&core, &lea)).await);
    data(
        &app.query_as(PREFECT_59, ENROL, enrol(&partner, &alice))
            .await,
    );
    let full = app.query_as(PREFECT_59, ENROL, enrol(&partner, &lea)).await;
    refused(&full, "CONFLICT");
    assert!(
        full["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("full")
    );

    // Before attendance: C04 met (two agents), C06 not.
    let compliance = "query { structure(matricule: \"DEMO-59-01\") {
        compliance { criterion { code } computed evidence } } }";
    let before = app.query_as(PREFECT_59, compliance, json!({})).await;
    let before = by_code(&data(&before)["structure"]["compliance"]);
    assert_eq!(before["C04"]["computed"], "MET");
    assert_eq!(before["C06"]["computed"], "NOT_MET");
    assert_eq!(
        before["C06"]["evidence"],
        "0 of 2 agents completed the common core"
    );

    for other in [&by_dgfip, &by_msa] {
        data(&app.query_as(PREFECT_59, ENROL, enrol(other, &alice)).await);
    }

    // Attendance is recorded once the session has taken place.
    refused(
        &app.query_as(PREFECT_59, ATTEND, enrol(&core, &alice)).await,
        "CONFLICT",
    );
    app.time.advance(chrono::TimeDelta::days(11));
    // Attendance: the session's organisers only.
    refused(
        &app.query_as(OPERATOR_CAF, ATTEND, enrol(&core, &alice))
            .await,
        "FORBIDDEN",
    );
    refused(
        &app.query_as(AGENT_LILLE, ATTEND, enrol(&core, &alice))
            .await,
        "FORBIDDEN",
    );
    data(&app.query_as(PREFECT_59, ATTEND, enrol(&core, &alice)).await);
    let after_partner = app
        .query_as(OPERATOR_CAF, ATTEND, enrol(&partner, &alice))
        .await;
    // One partner's day: partner training is not complete.
    assert_eq!(
        data(&after_partner)["recordTrainingAttendance"]["training"],
        json!({ "daysCompleted": 3.5, "commonCore": true, "partnerTraining": false,
                "mandatoryWebinars": false, "qualified": false })
    );
    data(
        &app.query_as(PREFECT_59, ATTEND, enrol(&by_dgfip, &alice))
            .await,
    );
    let three_partners = app
        .query_as(PREFECT_59, ATTEND, enrol(&by_msa, &alice))
        .await;
    assert_eq!(
        data(&three_partners)["recordTrainingAttendance"]["training"],
        json!({ "daysCompleted": 5.5, "commonCore": true, "partnerTraining": true,
                "mandatoryWebinars": false, "qualified": false })
    );
    data(
        &app.query_as("alice@mairie.fr", ENROL, enrol(&webinar, &alice))
            .await,
    );
    let qualified = app.query_as(ANCT, ATTEND, enrol(&webinar, &alice)).await;
    assert_eq!(
        data(&qualified)["recordTrainingAttendance"]["training"]["qualified"],
        true
    );
    data(&app.query_as(PREFECT_59, ATTEND, enrol(&core, &lea)).await);
    let after = app.query_as(PREFECT_59, compliance, json!({})).await;
    let after = by_code(&data(&after)["structure"]["compliance"]);
    assert_eq!(after["C06"]["computed"], "MET");
    assert_eq!(
        after["C07"]["computed"], "NOT_MET",
        "Léa has no partner training"
    );

    // Rosters are for organisers; sessions are listed to everyone working in 59.
    let roster = "query { trainingSessions(department: \"59\") { module enrolments { agent { name } attended } } }";
    // The prefect organises the sessions of 59, not ANCT's online webinar.
    let organiser = app.query_as(PREFECT_59, roster, json!({})).await;
    let sessions = organiser["data"]["trainingSessions"]
        .as_array()
        .expect("sessions");
    let core_roster = sessions
        .iter()
        .find(|s| s["module"] == "COMMON_CORE")
        .expect("common core");
    assert_eq!(
        core_roster["enrolments"].as_array().expect("roster").len(),
        2
    );
    let webinar_roster = sessions
        .iter()
        .find(|s| s["module"] == "MANDATORY_WEBINARS")
        .expect("webinar");
    assert!(webinar_roster["enrolments"].is_null());
    assert_eq!(error_codes(&organiser), ["FORBIDDEN"]);
    let agent = app.query_as(AGENT_LILLE, roster, json!({})).await;
    assert_eq!(
        agent["data"]["trainingSessions"]
            .as_array()
            .expect("sessions")
            .len(),
        5
    );
    assert!(error_codes(&agent).iter().all(|c| c == "FORBIDDEN"));
    refused(
        &app.query_as(PREFECT_23, roster, json!({})).await,
        "NOT_FOUND",
    );
}
