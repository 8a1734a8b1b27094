//! A structure's life through the API (issue 15): candidates created by the prefecture,
//! facts changed with `expectedVersion`, closure and reopening, stops of mobile services;
//! each checked for an actor in scope, one out of scope and an anonymous caller, with its
//! audit-log entry.
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::*;

const FACTS: &str = "matricule name labelStatus factsVersion format siteType
    commune { code name } department { code } address postalCode email phone
    location { latitude longitude } carrier appointmentBooking hoursComment
    openingHours { day ranges { opens closes } } daysOpenPerWeek hoursPerWeek
    premises { receptionDesk confidentialSpace pmrAccess }
    equipment { freeAccessWorkstation webcamComputer printer }
    principal { matricule } closedOn closureReason
    stops { commune { code name } day opens closes }";

fn create_doc() -> String {
    format!(
        "mutation($d: String!, $input: StructureFactsInput!) {{
            createStructure(department: $d, input: $input) {{ {FACTS} }} }}"
    )
}

fn update_doc() -> String {
    format!(
        "mutation($s: String!, $v: Int!, $input: StructureFactsInput!) {{
            updateStructure(structure: $s, expectedVersion: $v, input: $input) {{ {FACTS} }} }}"
    )
}

const CLOSE: &str = "mutation($s: String!, $v: Int!, $on: Date!, $reason: String!) {
    closeStructure(structure: $s, expectedVersion: $v, on: $on, reason: $reason) {
        factsVersion closedOn closureReason } }";
const REOPEN: &str = "mutation($s: String!, $v: Int!) {
    reopenStructure(structure: $s, expectedVersion: $v) { factsVersion closedOn closureReason } }";
const STOPS: &str = "mutation($s: String!, $v: Int!, $stops: [StopInput!]!) {
    setStructureStops(structure: $s, expectedVersion: $v, stops: $stops) {
        factsVersion stops { commune { code name } day opens closes } } }";

fn candidate() -> Value {
    json!({
        "name": "  France services de Roubaix  ",
        "commune": "59350",
        "format": "FIXED",
        "address": "1 place de la Liberté",
        "postalCode": "59100",
        "email": "roubaix@france-services.example",
        "location": { "latitude": 50.69, "longitude": 3.18 },
        "carrier": "COMMUNE",
        "appointmentBooking": true,
        "openingHours": [
            { "day": "MONDAY", "opens": "13:30", "closes": "17:00" },
            { "day": "MONDAY", "opens": "09:00", "closes": "12:00" },
            { "day": "TUESDAY", "opens": "09:00", "closes": "17:00" },
            { "day": "WEDNESDAY", "opens": "09:00", "closes": "17:00" },
            { "day": "THURSDAY", "opens": "09:00", "closes": "17:00" },
            { "day": "FRIDAY", "opens": "09:00", "closes": "12:00" }
        ],
        "receptionDesk": true,
        "pmrAccess": false
    })
}

async fn structure_rows(app: &TestApp) -> u64 {
    entity::structure::Entity::find()
        .count(&app.db)
        .await
        .expect("count")
}

async fn audit_actions(app: &TestApp, matricule: &str) -> Vec<String> {
    let response = app
        .query_as(
            ANCT,
            "query($k: String) { auditLog(first: 50, filter: { targetType: \"Structure\", targetKey: $k }) {
                edges { node { action actorEmail department { code } } } } }",
            json!({ "k": matricule }),
        )
        .await;
    let mut actions: Vec<String> = data(&response)["auditLog"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["action"].as_str().expect("action").to_owned())
        .collect();
    actions.reverse();
    actions
}

#[tokio::test]
async fn the_prefecture_creates_a_candidate_that_every_path_then_shows() {
    let app = spawn_app().await;
    let response = app
        .query_as(
            PREFECT_59,
            &create_doc(),
            json!({ "d": "59", "input": candidate() }),
        )
        .await;
    let created = data(&response)["createStructure"].clone();
    let matricule = created["matricule"].as_str().expect("matricule").to_owned();
    assert!(matricule.starts_with("FS-59-"), "{matricule}");
    assert_eq!(created["name"], "France services de Roubaix");
    assert_eq!(created["labelStatus"], "CANDIDATE");
    assert_eq!(created["factsVersion"], 1);
    assert_eq!(created["siteType"], "PRINCIPAL");
    assert_eq!(
        created["commune"],
        json!({ "code": "59350", "name": "Lille" })
    );
    assert_eq!(created["department"]["code"], "59");
    assert_eq!(
        created["location"],
        json!({ "latitude": 50.69, "longitude": 3.18 })
    );
    assert_eq!(created["carrier"], "COMMUNE");
    // Monday 3h + 3h30, 8h from Tuesday to Thursday, Friday 3h: 33h30 over five days
    // Monday's ranges in order.
    assert_eq!(created["daysOpenPerWeek"], 5);
    assert_eq!(created["hoursPerWeek"], 33.5);
    assert_eq!(
        created["openingHours"][0]["ranges"],
        json!([{ "opens": "09:00", "closes": "12:00" }, { "opens": "13:30", "closes": "17:00" }])
    );
    assert_eq!(
        created["premises"],
        json!({ "receptionDesk": true, "confidentialSpace": null, "pmrAccess": false })
    );
    assert_eq!(created["stops"], json!([]));

    // It is in the lists and the search of those who see department 59, not of others.
    let list = "query($q: String) { structures(filter: { search: $q }) { totalCount edges { node { matricule } } } }";
    let found = app
        .query_as(PREFECT_59, list, json!({ "q": "roubaix" }))
        .await;
    assert_eq!(
        data(&found)["structures"]["edges"][0]["node"]["matricule"],
        matricule
    );
    let elsewhere = app
        .query_as(PREFECT_23, list, json!({ "q": "roubaix" }))
        .await;
    assert_eq!(data(&elsewhere)["structures"]["totalCount"], 0);
    let by_name = app
        .query_as(
            ANCT,
            "{ structures(first: 3, orderBy: { field: NAME }) { edges { node { matricule } } } }",
            Value::Null,
        )
        .await;
    // "bus …", "france services ajaccio", then "france services de roubaix".
    assert_eq!(
        data(&by_name)["structures"]["edges"][2]["node"]["matricule"],
        matricule
    );
    assert_eq!(audit_actions(&app, &matricule).await, ["structure.create"]);

    // ANCT creates anywhere.
    let anct = app
        .query_as(
            ANCT,
            &create_doc(),
            json!({ "d": "23", "input": { "name": "France services d'Aubusson", "commune": "23079", "format": "MULTI_SITE" } }),
        )
        .await;
    assert_eq!(data(&anct)["createStructure"]["labelStatus"], "CANDIDATE");
}

#[tokio::test]
async fn only_the_departments_prefecture_and_anct_create_and_bad_facts_create_nothing() {
    let app = spawn_app().await;
    let before = structure_rows(&app).await;
    for email in [PREFECT_23, AGENT_LILLE, OPERATOR_CAF, AUDITOR] {
        let response = app
            .query_as(
                email,
                &create_doc(),
                json!({ "d": "59", "input": candidate() }),
            )
            .await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{email}");
        assert_eq!(response["data"], Value::Null);
    }
    let anonymous = app
        .post(
            None,
            &create_doc(),
            json!({ "d": "59", "input": candidate() }),
        )
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);

    let with = |field: &str, value: Value| {
        let mut input = candidate();
        input[field] = value;
        input
    };
    let without = |field: &str| {
        let mut input = candidate();
        input.as_object_mut().expect("object").remove(field);
        input
    };
    let cases = [
        (without("name"), "input.name"),
        (without("commune"), "input.commune"),
        (without("format"), "input.format"),
        (with("name", json!("  ")), "input.name"),
        (with("name", json!("x".repeat(151))), "input.name"),
        (with("commune", json!("23096")), "input.commune"),
        (with("commune", json!("99999")), "input.commune"),
        (with("postalCode", json!("59 100")), "input.postalCode"),
        (with("email", json!("roubaix@")), "input.email"),
        (with("phone", json!("03 20 call me")), "input.phone"),
        (
            with("location", json!({ "latitude": 95.0, "longitude": 3.0 })),
            "input.location",
        ),
        (with("principal", json!("DEMO-23-01")), "input.principal"),
        (with("principal", json!("DEMO-59-03")), "input.principal"),
        (
            with(
                "openingHours",
                json!([{ "day": "MONDAY", "opens": "09:00", "closes": "12:00" },
                       { "day": "MONDAY", "opens": "11:30", "closes": "14:00" }]),
            ),
            "input.openingHours",
        ),
        (
            with(
                "openingHours",
                json!([{ "day": "MONDAY", "opens": "14:00", "closes": "09:00" }]),
            ),
            "input.openingHours",
        ),
        (
            with(
                "openingHours",
                json!([{ "day": "MONDAY", "opens": "9h", "closes": "12:00" }]),
            ),
            "input.openingHours",
        ),
    ];
    for (input, field) in cases {
        let response = app
            .query_as(
                PREFECT_59,
                &create_doc(),
                json!({ "d": "59", "input": input }),
            )
            .await;
        assert_eq!(
            error_codes(&response),
            ["BAD_USER_INPUT"],
            "{field}: {response}"
        );
        assert_eq!(
            response["errors"][0]["extensions"]["field"], field,
            "{response}"
        );
    }
    assert_eq!(structure_rows(&app).await, before);
}

#[tokio::test]
async fn facts_change_with_the_version_seen_and_null_clears() {
    let app = spawn_app().await;
    let change = json!({
        "receptionDesk": true, "confidentialSpace": true, "pmrAccess": true,
        "freeAccessWorkstation": true, "webcamComputer": false, "printer": null,
        "email": null, "hoursComment": "Sur rendez-vous le vendredi",
        "principal": null
    });
    // Out of scope: another department's prefect does not find it; the structure's own
    // agent and an operator may not change it; anonymous callers are not signed in.
    let other = app
        .query_as(
            PREFECT_23,
            &update_doc(),
            json!({ "s": "DEMO-59-02", "v": 0, "input": change }),
        )
        .await;
    assert_eq!(error_codes(&other), ["NOT_FOUND"]);
    for email in [AGENT_LILLE, OPERATOR_CAF] {
        let response = app
            .query_as(
                email,
                &update_doc(),
                json!({ "s": "DEMO-59-01", "v": 0, "input": change }),
            )
            .await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{email}");
    }
    let anonymous = app
        .post(
            None,
            &update_doc(),
            json!({ "s": "DEMO-59-01", "v": 0, "input": change }),
        )
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);

    let response = app
        .query_as(
            PREFECT_59,
            &update_doc(),
            json!({ "s": "DEMO-59-02", "v": 0, "input": change }),
        )
        .await;
    let updated = data(&response)["updateStructure"].clone();
    assert_eq!(updated["factsVersion"], 1);
    assert_eq!(
        updated["premises"],
        json!({ "receptionDesk": true, "confidentialSpace": true, "pmrAccess": true })
    );
    assert_eq!(
        updated["equipment"],
        json!({ "freeAccessWorkstation": true, "webcamComputer": false, "printer": null })
    );
    assert_eq!(updated["email"], Value::Null);
    assert_eq!(updated["hoursComment"], "Sur rendez-vous le vendredi");
    // Absent facts stay.
    assert_eq!(updated["name"], "France services du Hainaut");
    assert_eq!(updated["commune"]["code"], "59606");
    assert_eq!(updated["principal"], Value::Null);

    // The version seen is now stale: nothing changes.
    let stale = app
        .query_as(
            PREFECT_59,
            &update_doc(),
            json!({ "s": "DEMO-59-02", "v": 0, "input": { "name": "Autre nom" } }),
        )
        .await;
    assert_eq!(error_codes(&stale), ["CONFLICT"]);
    // A principal with antennas cannot become an antenna.
    let antenna = app
        .query_as(
            PREFECT_59,
            &update_doc(),
            json!({ "s": "DEMO-59-02", "v": 1, "input": { "principal": "DEMO-59-01" } }),
        )
        .await;
    assert_eq!(error_codes(&antenna), ["BAD_USER_INPUT"]);
    // The antenna of Maubeuge becomes principal; the name change renames its sort key too.
    let renamed = app
        .query_as(
            ANCT,
            &update_doc(),
            json!({ "s": "DEMO-59-03", "v": 0, "input": { "principal": null, "name": "Agence Écluse" } }),
        )
        .await;
    let renamed = data(&renamed)["updateStructure"].clone();
    assert_eq!(renamed["siteType"], "PRINCIPAL");
    assert_eq!(renamed["principal"], Value::Null);
    let first = app
        .query_as(
            ANCT,
            "{ structures(first: 1, orderBy: { field: NAME }) { edges { node { matricule } } } }",
            Value::Null,
        )
        .await;
    // "agence ecluse" sorts first, its accent folded.
    assert_eq!(
        data(&first)["structures"]["edges"][0]["node"]["matricule"],
        "DEMO-59-03"
    );
    assert_eq!(
        audit_actions(&app, "DEMO-59-02").await,
        ["structure.update"]
    );
}

#[tokio::test]
async fn a_structure_closes_and_reopens_once_each() {
    let app = spawn_app().await;
    let on = app.day(30);
    let vars =
        |v: i32| json!({ "s": "DEMO-23-02", "v": v, "on": on, "reason": "Fusion avec Aubusson" });
    for email in [PREFECT_59, AGENT_LILLE] {
        let response = app.query_as(email, CLOSE, vars(0)).await;
        assert!(
            matches!(error_codes(&response).as_slice(), [c] if c == "NOT_FOUND" || c == "FORBIDDEN"),
            "{email}: {response}"
        );
    }
    assert_eq!(
        error_codes(&app.post(None, CLOSE, vars(0)).await),
        ["UNAUTHENTICATED"]
    );
    let too_late = app
        .query_as(
            PREFECT_23,
            CLOSE,
            json!({ "s": "DEMO-23-02", "v": 0, "on": app.day(400), "reason": "Fusion" }),
        )
        .await;
    assert_eq!(error_codes(&too_late), ["BAD_USER_INPUT"]);
    let no_reason = app
        .query_as(
            PREFECT_23,
            CLOSE,
            json!({ "s": "DEMO-23-02", "v": 0, "on": on, "reason": " " }),
        )
        .await;
    assert_eq!(error_codes(&no_reason), ["BAD_USER_INPUT"]);

    let closed = app.query_as(PREFECT_23, CLOSE, vars(0)).await;
    assert_eq!(
        data(&closed)["closeStructure"],
        json!({ "factsVersion": 1, "closedOn": on, "closureReason": "Fusion avec Aubusson" })
    );
    let again = app.query_as(PREFECT_23, CLOSE, vars(1)).await;
    assert_eq!(error_codes(&again), ["CONFLICT"]);
    let reopened = app
        .query_as(ANCT, REOPEN, json!({ "s": "DEMO-23-02", "v": 1 }))
        .await;
    assert_eq!(
        data(&reopened)["reopenStructure"],
        json!({ "factsVersion": 2, "closedOn": null, "closureReason": null })
    );
    let twice = app
        .query_as(ANCT, REOPEN, json!({ "s": "DEMO-23-02", "v": 2 }))
        .await;
    assert_eq!(error_codes(&twice), ["CONFLICT"]);
    assert_eq!(
        audit_actions(&app, "DEMO-23-02").await,
        ["structure.close", "structure.reopen"]
    );
}

#[tokio::test]
async fn a_bus_lists_its_stops_and_only_a_mobile_service_has_any() {
    let app = spawn_app().await;
    let stops = json!([
        { "commune": "59392", "day": "TUESDAY", "opens": "09:00", "closes": "12:00" },
        { "commune": "59606", "day": "MONDAY", "opens": "14:00", "closes": "17:00" },
        { "commune": "59350", "day": "TUESDAY", "opens": "13:30", "closes": "16:30" }
    ]);
    let vars = |s: &str, v: i32, stops: &Value| json!({ "s": s, "v": v, "stops": stops });
    assert_eq!(
        error_codes(
            &app.query_as(PREFECT_23, STOPS, vars("DEMO-59-04", 0, &stops))
                .await
        ),
        ["NOT_FOUND"]
    );
    assert_eq!(
        error_codes(
            &app.query_as(OPERATOR_CAF, STOPS, vars("DEMO-59-04", 0, &stops))
                .await
        ),
        ["FORBIDDEN"]
    );
    assert_eq!(
        error_codes(&app.post(None, STOPS, vars("DEMO-59-04", 0, &stops)).await),
        ["UNAUTHENTICATED"]
    );
    let fixed = app
        .query_as(PREFECT_59, STOPS, vars("DEMO-59-01", 0, &stops))
        .await;
    assert_eq!(error_codes(&fixed), ["BAD_USER_INPUT"]);
    for bad in [
        json!([{ "commune": "23096", "day": "MONDAY", "opens": "09:00", "closes": "12:00" }]),
        json!([{ "commune": "59392", "day": "MONDAY", "opens": "12:00", "closes": "09:00" }]),
        json!([{ "commune": "59392", "day": "MONDAY", "opens": "09:00", "closes": "12:00" },
               { "commune": "59606", "day": "MONDAY", "opens": "11:00", "closes": "13:00" }]),
    ] {
        let response = app
            .query_as(PREFECT_59, STOPS, vars("DEMO-59-04", 0, &bad))
            .await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{bad}");
    }
    let set = app
        .query_as(PREFECT_59, STOPS, vars("DEMO-59-04", 0, &stops))
        .await;
    let set = data(&set)["setStructureStops"].clone();
    assert_eq!(set["factsVersion"], 1);
    assert_eq!(
        set["stops"],
        json!([
            { "commune": { "code": "59606", "name": "Valenciennes" }, "day": "MONDAY", "opens": "14:00", "closes": "17:00" },
            { "commune": { "code": "59392", "name": "Maubeuge" }, "day": "TUESDAY", "opens": "09:00", "closes": "12:00" },
            { "commune": { "code": "59350", "name": "Lille" }, "day": "TUESDAY", "opens": "13:30", "closes": "16:30" }
        ])
    );
    // The operator who reads the bus (CAF in Nord) sees its stops, as public facts.
    let read = app
        .query_as(
            OPERATOR_CAF,
            "{ structure(matricule: \"DEMO-59-04\") { stops { day } } }",
            Value::Null,
        )
        .await;
    assert_eq!(
        data(&read)["structure"]["stops"].as_array().map(Vec::len),
        Some(3)
    );
    let cleared = app
        .query_as(PREFECT_59, STOPS, vars("DEMO-59-04", 1, &json!([])))
        .await;
    assert_eq!(data(&cleared)["setStructureStops"]["stops"], json!([]));
    assert_eq!(
        audit_actions(&app, "DEMO-59-04").await,
        ["structure.set_stops", "structure.set_stops"]
    );
}

#[tokio::test]
async fn a_retried_creation_with_its_idempotency_key_creates_one_structure() {
    let app = spawn_app().await;
    let document = "mutation($input: StructureFactsInput!, $key: String) {
        createStructure(department: \"59\", input: $input, idempotencyKey: $key) { matricule } }";
    let variables = json!({ "input": candidate(), "key": "7d1c9a52-5b0e-4c1f-9a53-000000000015" });
    let before = structure_rows(&app).await;
    let first = app.query_as(PREFECT_59, document, variables.clone()).await;
    let again = app.query_as(PREFECT_59, document, variables).await;
    assert_eq!(data(&first), data(&again));
    assert_eq!(structure_rows(&app).await, before + 1);
}

#[tokio::test]
async fn anct_sets_a_departments_target_shown_beside_its_coverage_and_pipeline() {
    let app = spawn_app().await;
    let set = "mutation($d: String!, $t: Int!) { setDeploymentTarget(department: $d, target: $t) { code } }";
    let read =
        "{ department(code: \"59\") { coverage { deploymentTarget pipeline { status count } } } }";
    let before = app.query_as(PREFECT_59, read, Value::Null).await;
    assert_eq!(
        data(&before)["department"]["coverage"],
        json!({ "deploymentTarget": null,
            "pipeline": [{ "status": "CANDIDATE", "count": 1 }, { "status": "LABELLED", "count": 3 }] })
    );
    for email in [PREFECT_59, OPERATOR_CAF, AGENT_LILLE] {
        let response = app
            .query_as(email, set, json!({ "d": "59", "t": 12 }))
            .await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{email}");
    }
    let anonymous = app.post(None, set, json!({ "d": "59", "t": 12 })).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    let bad = app.query_as(ANCT, set, json!({ "d": "59", "t": -1 })).await;
    assert_eq!(error_codes(&bad), ["BAD_USER_INPUT"]);
    let unknown = app.query_as(ANCT, set, json!({ "d": "99", "t": 3 })).await;
    assert_eq!(error_codes(&unknown), ["NOT_FOUND"]);

    data(&app.query_as(ANCT, set, json!({ "d": "59", "t": 12 })).await);
    data(
        &app.query_as(
            PREFECT_59,
            &create_doc(),
            json!({ "d": "59", "input": candidate() }),
        )
        .await,
    );
    let after = app.query_as(PREFECT_59, read, Value::Null).await;
    assert_eq!(
        data(&after)["department"]["coverage"],
        json!({ "deploymentTarget": 12,
            "pipeline": [{ "status": "CANDIDATE", "count": 2 }, { "status": "LABELLED", "count": 3 }] })
    );
    // Another department's prefect does not read the coverage of 59.
    let other = app.query_as(PREFECT_23, read, Value::Null).await;
    assert_eq!(other["data"]["department"]["coverage"], Value::Null);
    assert_eq!(error_codes(&other), ["FORBIDDEN"]);
    let log = app
        .query_as(
            ANCT,
            "{ auditLog(filter: { targetType: \"Department\", targetKey: \"59\" }) {
                edges { node { action after } } } }",
            Value::Null,
        )
        .await;
    assert_eq!(
        data(&log)["auditLog"]["edges"],
        json!([{ "node": { "action": "department.set_target", "after": { "target": 12 } } }])
    );
}
