//! Structures: every read path scoped by role (list, totalCount, by key, node, relations),
//! pagination and filters.
use maillage::domain::enums::Role;
use maillage::service::users::{self, ScopeArgs};
use serde_json::{Value, json};

use crate::helpers::*;

const LIST: &str = "query($filter: StructureFilterInput) {
    structures(first: 100, filter: $filter) { totalCount edges { node { matricule } } }
}";

async fn visible(app: &TestApp, email: &str, filter: Value) -> (Vec<String>, u64) {
    let response = app.query_as(email, LIST, json!({ "filter": filter })).await;
    let connection = &data(&response)["structures"];
    let matricules = connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| {
            edge["node"]["matricule"]
                .as_str()
                .expect("matricule")
                .to_owned()
        })
        .collect();
    (
        matricules,
        connection["totalCount"].as_u64().expect("totalCount"),
    )
}

async fn by_matricule(app: &TestApp, email: &str, matricule: &str) -> Value {
    app.query_as(
        email,
        "query($m: String!) { structure(matricule: $m) { matricule name } }",
        json!({ "m": matricule }),
    )
    .await
}

async fn by_node(app: &TestApp, email: &str, matricule: &str) -> Value {
    let id = maillage::domain::ids::encode(maillage::domain::ids::NodeType::Structure, matricule);
    app.query_as(
        email,
        "query($id: ID!) { node(id: $id) { id ... on Structure { matricule } } }",
        json!({ "id": id }),
    )
    .await
}

#[tokio::test]
async fn anct_sees_every_structure_on_every_path() {
    let app = spawn_app().await;
    let (list, total) = visible(&app, ANCT, Value::Null).await;
    assert_eq!(
        list,
        [
            "DEMO-59-01",
            "DEMO-59-02",
            "DEMO-59-03",
            "DEMO-59-04",
            "DEMO-23-01",
            "DEMO-23-02",
            "DEMO-2A-01"
        ]
    );
    assert_eq!(total, 7);
    let one = by_matricule(&app, ANCT, "DEMO-2A-01").await;
    assert_eq!(data(&one)["structure"]["name"], "France services Ajaccio");
    let node = by_node(&app, ANCT, "DEMO-23-02").await;
    assert_eq!(data(&node)["node"]["matricule"], "DEMO-23-02");
}

#[tokio::test]
async fn prefect_sees_their_department_and_nothing_of_another() {
    let app = spawn_app().await;
    let (list, total) = visible(&app, PREFECT_23, Value::Null).await;
    assert_eq!(list, ["DEMO-23-01", "DEMO-23-02"]);
    assert_eq!(total, 2);
    // In scope, by key and by node.
    assert_eq!(
        data(&by_matricule(&app, PREFECT_23, "DEMO-23-01").await)["structure"]["matricule"],
        "DEMO-23-01"
    );
    assert_eq!(
        data(&by_node(&app, PREFECT_23, "DEMO-23-02").await)["node"]["matricule"],
        "DEMO-23-02"
    );
    // Another department: not listed, not counted, NOT_FOUND by key and by node.
    let (other, other_total) = visible(&app, PREFECT_23, json!({ "department": "59" })).await;
    assert!(other.is_empty());
    assert_eq!(other_total, 0);
    let by_key = by_matricule(&app, PREFECT_23, "DEMO-59-01").await;
    assert_eq!(error_codes(&by_key), ["NOT_FOUND"]);
    assert!(by_key["data"]["structure"].is_null());
    let node = by_node(&app, PREFECT_23, "DEMO-59-01").await;
    assert_eq!(error_codes(&node), ["NOT_FOUND"]);
}

#[tokio::test]
async fn out_of_scope_and_missing_structures_are_indistinguishable() {
    let app = spawn_app().await;
    let hidden = by_matricule(&app, PREFECT_23, "DEMO-59-01").await;
    let missing = by_matricule(&app, PREFECT_23, "NO-SUCH-SITE").await;
    assert_eq!(error_codes(&hidden), error_codes(&missing));
    let shape = |r: &Value| {
        r["errors"][0]["message"]
            .as_str()
            .expect("message")
            .replace("DEMO-59-01", "X")
            .replace("NO-SUCH-SITE", "X")
    };
    assert_eq!(shape(&hidden), shape(&missing));
}

#[tokio::test]
async fn a_prefect_of_two_departments_sees_both() {
    let app = spawn_app().await;
    let scope = ScopeArgs {
        department: Some("2A".into()),
        ..Default::default()
    };
    users::grant(&app.db, PREFECT_23, Role::Prefect, &scope, app.now())
        .await
        .expect("grant");
    let (list, total) = visible(&app, PREFECT_23, Value::Null).await;
    assert_eq!(list, ["DEMO-23-01", "DEMO-23-02", "DEMO-2A-01"]);
    assert_eq!(total, 3);
}

#[tokio::test]
async fn agent_sees_only_their_own_structure() {
    let app = spawn_app().await;
    let (list, total) = visible(&app, AGENT_LILLE, Value::Null).await;
    assert_eq!(list, ["DEMO-59-01"]);
    assert_eq!(total, 1);
    assert_eq!(
        data(&by_matricule(&app, AGENT_LILLE, "DEMO-59-01").await)["structure"]["matricule"],
        "DEMO-59-01"
    );
    assert_eq!(
        data(&by_node(&app, AGENT_LILLE, "DEMO-59-01").await)["node"]["matricule"],
        "DEMO-59-01"
    );
    // Another structure of the same department is out of scope.
    assert_eq!(
        error_codes(&by_matricule(&app, AGENT_LILLE, "DEMO-59-02").await),
        ["NOT_FOUND"]
    );
    assert_eq!(
        error_codes(&by_node(&app, AGENT_LILLE, "DEMO-59-02").await),
        ["NOT_FOUND"]
    );
}

#[tokio::test]
async fn agent_of_an_antenna_does_not_see_its_principal_through_the_relation() {
    let app = spawn_app().await;
    let scope = ScopeArgs {
        structure: Some("DEMO-59-03".into()),
        ..Default::default()
    };
    users::grant(
        &app.db,
        "agent.maubeuge@demo.maillage.fr",
        Role::Agent,
        &scope,
        app.now(),
    )
    .await
    .expect("grant");
    let query = "{ structure(matricule: \"DEMO-59-03\") { siteType principal { matricule } } }";
    let agent = app
        .query_as("agent.maubeuge@demo.maillage.fr", query, Value::Null)
        .await;
    assert_eq!(
        data(&agent)["structure"],
        json!({ "siteType": "ANTENNA", "principal": null })
    );
    let prefect = app.query_as(PREFECT_59, query, Value::Null).await;
    assert_eq!(
        data(&prefect)["structure"]["principal"]["matricule"],
        "DEMO-59-02"
    );
    // And the principal lists the antenna only to those who may see it.
    let antennas = "{ structure(matricule: \"DEMO-59-02\") { antennas { matricule } } }";
    let listed = app.query_as(PREFECT_59, antennas, Value::Null).await;
    assert_eq!(
        data(&listed)["structure"]["antennas"],
        json!([{ "matricule": "DEMO-59-03" }])
    );
}

#[tokio::test]
async fn in_the_demo_the_caf_operator_sees_nord_and_the_auditor_nothing_until_assigned() {
    let app = spawn_app().await;
    // Nord's demo convention is signed by the core partners; Creuse's is a draft.
    let (list, total) = visible(&app, OPERATOR_CAF, Value::Null).await;
    assert_eq!(
        list,
        ["DEMO-59-01", "DEMO-59-02", "DEMO-59-03", "DEMO-59-04"]
    );
    assert_eq!(total, 4);
    let (list, total) = visible(&app, AUDITOR, Value::Null).await;
    assert!(list.is_empty(), "the auditor sees {list:?}");
    assert_eq!(total, 0);
    for (email, matricule) in [(AUDITOR, "DEMO-59-01"), (OPERATOR_CAF, "DEMO-23-01")] {
        assert_eq!(
            error_codes(&by_matricule(&app, email, matricule).await),
            ["NOT_FOUND"]
        );
        assert_eq!(
            error_codes(&by_node(&app, email, matricule).await),
            ["NOT_FOUND"]
        );
    }
}

#[tokio::test]
async fn pages_follow_cursors_to_the_end() {
    let app = spawn_app().await;
    let query = "query($after: String) {
        structures(first: 3, after: $after) {
            totalCount
            pageInfo { hasNextPage hasPreviousPage endCursor }
            edges { cursor node { matricule } }
        }
    }";
    let mut after = Value::Null;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let response = app.query_as(ANCT, query, json!({ "after": after })).await;
        let connection = data(&response)["structures"].clone();
        assert_eq!(connection["totalCount"], 7);
        assert_eq!(connection["pageInfo"]["hasPreviousPage"], pages > 0);
        for edge in connection["edges"].as_array().expect("edges") {
            seen.push(edge["node"]["matricule"].as_str().expect("m").to_owned());
        }
        pages += 1;
        if connection["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 7);
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique, seen);
}

#[tokio::test]
async fn page_size_and_cursor_are_validated() {
    let app = spawn_app().await;
    for (args, field) in [
        ("first: 101", "first"),
        ("first: -1", "first"),
        ("after: \"not-a-cursor\"", "after"),
    ] {
        let response = app
            .query_as(
                ANCT,
                &format!("{{ structures({args}) {{ totalCount }} }}"),
                Value::Null,
            )
            .await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{args}");
        assert_eq!(response["errors"][0]["extensions"]["field"], field);
    }
    let hundred = app
        .query_as(
            ANCT,
            "{ structures(first: 100) { totalCount } }",
            Value::Null,
        )
        .await;
    assert_eq!(data(&hundred)["structures"]["totalCount"], 7);
}

#[tokio::test]
async fn filters_combine_and_stay_within_scope() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({ "department": "23" }),
            vec!["DEMO-23-01", "DEMO-23-02"],
        ),
        (
            json!({ "departments": ["23", "2A"] }),
            vec!["DEMO-23-01", "DEMO-23-02", "DEMO-2A-01"],
        ),
        (json!({ "format": "BUS" }), vec!["DEMO-59-04"]),
        (json!({ "labelStatus": "CANDIDATE" }), vec!["DEMO-59-04"]),
        (json!({ "canton": "5930" }), vec!["DEMO-59-03"]),
        (json!({ "search": "GUERET" }), vec!["DEMO-23-01"]),
        (
            json!({ "search": "hainaut", "format": "ANTENNA" }),
            vec!["DEMO-59-02", "DEMO-59-03"],
        ),
        (
            json!({ "search": "lille" }),
            vec!["DEMO-59-01", "DEMO-59-04"],
        ),
        (json!({ "search": "100%" }), vec![]),
    ];
    for (filter, expected) in cases {
        let (list, total) = visible(&app, ANCT, filter.clone()).await;
        assert_eq!(list, expected, "{filter}");
        assert_eq!(total, expected.len() as u64, "{filter}");
    }
    // A prefect filtering on another department gets nothing, not an error.
    let (list, _) = visible(&app, PREFECT_59, json!({ "search": "gueret" })).await;
    assert!(list.is_empty());
    let both = app
        .query_as(
            ANCT,
            LIST,
            json!({ "filter": { "department": "23", "departments": ["59"] } }),
        )
        .await;
    assert_eq!(error_codes(&both), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn a_structure_exposes_its_facts_and_relations() {
    let app = spawn_app().await;
    let response = app
        .query_as(
            PREFECT_23,
            "{ structure(matricule: \"DEMO-23-02\") {
                id name format siteType carrier labelStatus labelDate appointmentBooking
                daysOpenPerWeek hoursPerWeek
                openingHours { day ranges { opens closes } }
                department { code name region { code name } }
                commune { code name kind population department { code } canton { code } }
                canton { code name kind department { code } }
                premises { receptionDesk confidentialSpace pmrAccess }
                equipment { freeAccessWorkstation webcamComputer printer }
                principal { matricule } antennas { matricule }
            } }",
            Value::Null,
        )
        .await;
    let s = &data(&response)["structure"];
    assert_eq!(s["format"], "MULTI_SITE");
    assert_eq!(s["siteType"], "PRINCIPAL");
    assert_eq!(s["carrier"], "COMMUNE");
    assert_eq!(s["labelStatus"], "LABELLED");
    assert_eq!(s["labelDate"], "2022-09-01");
    // Mon 3h, Tue 6h30, Thu 6h30, Fri 3h: 4 days, 19 hours (R-11 not met).
    assert_eq!(s["daysOpenPerWeek"], 4);
    assert_eq!(s["hoursPerWeek"], 19.0);
    assert_eq!(
        s["openingHours"][1],
        json!({ "day": "TUESDAY", "ranges": [
            { "opens": "09:00", "closes": "12:00" }, { "opens": "13:30", "closes": "17:00" }
        ]})
    );
    assert_eq!(s["openingHours"][2]["ranges"], json!([]));
    assert_eq!(
        s["department"],
        json!({ "code": "23", "name": "Creuse", "region": { "code": "75", "name": "Nouvelle-Aquitaine" } })
    );
    assert_eq!(s["commune"]["name"], "Felletin");
    assert_eq!(s["commune"]["kind"], "COMMUNE");
    assert_eq!(
        s["canton"],
        json!({ "code": "2309", "name": "Felletin", "kind": "CANTON", "department": { "code": "23" } })
    );
    assert_eq!(s["premises"]["receptionDesk"], true);
    assert!(s["principal"].is_null());
    let node = app
        .query_as(
            PREFECT_23,
            "query($id: ID!) { node(id: $id) { ... on Structure { name } } }",
            json!({ "id": s["id"] }),
        )
        .await;
    assert_eq!(data(&node)["node"]["name"], "France services Felletin");
}

/// Matricules of the whole list in `order_by` for `email`, `first` at a time, following the
/// cursors; checks `totalCount` on every page.
async fn ordered(app: &TestApp, email: &str, order_by: Value, first: i32) -> Vec<String> {
    let query = "query($first: Int, $after: String, $order: StructureOrder) {
        structures(first: $first, after: $after, orderBy: $order) {
            totalCount
            pageInfo { hasNextPage endCursor }
            edges { node { matricule } }
        }
    }";
    let mut after = Value::Null;
    let mut seen = Vec::new();
    loop {
        let variables = json!({ "first": first, "after": after, "order": order_by });
        let response = app.query_as(email, query, variables).await;
        let connection = data(&response)["structures"].clone();
        for edge in connection["edges"].as_array().expect("edges") {
            seen.push(edge["node"]["matricule"].as_str().expect("m").to_owned());
        }
        let total = connection["totalCount"].as_u64().expect("totalCount");
        if connection["pageInfo"]["hasNextPage"] == false {
            assert_eq!(seen.len() as u64, total, "{order_by}");
            return seen;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn structures_sort_by_name_commune_department_and_label_date_in_both_directions() {
    let app = spawn_app().await;
    let cases = [
        (
            json!(null),
            vec![
                "59-01", "59-02", "59-03", "59-04", "23-01", "23-02", "2A-01",
            ],
        ),
        (
            json!({ "field": "CREATED", "direction": "DESC" }),
            vec![
                "2A-01", "23-02", "23-01", "59-04", "59-03", "59-02", "59-01",
            ],
        ),
        (
            // Bus …, … Ajaccio, … du Hainaut, … du Hainaut - antenne …, Felletin, Guéret, Lille.
            json!({ "field": "NAME" }),
            vec![
                "59-04", "2A-01", "59-02", "59-03", "23-02", "23-01", "59-01",
            ],
        ),
        (
            json!({ "field": "NAME", "direction": "DESC" }),
            vec![
                "59-01", "23-01", "23-02", "59-03", "59-02", "2A-01", "59-04",
            ],
        ),
        (
            // Ajaccio, Felletin, Guéret, Lille (two: by name), Maubeuge, Valenciennes.
            json!({ "field": "COMMUNE" }),
            vec![
                "2A-01", "23-02", "23-01", "59-04", "59-01", "59-03", "59-02",
            ],
        ),
        (
            json!({ "field": "COMMUNE", "direction": "DESC" }),
            vec![
                "59-02", "59-03", "59-04", "59-01", "23-01", "23-02", "2A-01",
            ],
        ),
        (
            // 23 < 2A < 59 in code order; by name within a department.
            json!({ "field": "DEPARTMENT" }),
            vec![
                "23-02", "23-01", "2A-01", "59-04", "59-02", "59-03", "59-01",
            ],
        ),
        (
            json!({ "field": "DEPARTMENT", "direction": "DESC" }),
            vec![
                "59-04", "59-02", "59-03", "59-01", "2A-01", "23-02", "23-01",
            ],
        ),
        (
            // 2020-01-01 (three, by name), 2020-06-15, 2021-03-01, 2022-09-01; the
            // candidate without a label date last.
            json!({ "field": "LABEL_DATE" }),
            vec![
                "2A-01", "23-01", "59-01", "59-02", "59-03", "23-02", "59-04",
            ],
        ),
        (
            json!({ "field": "LABEL_DATE", "direction": "DESC" }),
            vec![
                "23-02", "59-03", "59-02", "2A-01", "23-01", "59-01", "59-04",
            ],
        ),
    ];
    for (order_by, expected) in cases {
        let expected: Vec<String> = expected.iter().map(|m| format!("DEMO-{m}")).collect();
        // One page, then pages of one and of two rows (cursors inside ties and across the
        // null label date) give the same order.
        for first in [100, 1, 2] {
            assert_eq!(
                ordered(&app, ANCT, order_by.clone(), first).await,
                expected,
                "{order_by} by {first}"
            );
        }
    }
    // The order stays inside the caller's slice.
    assert_eq!(
        ordered(&app, PREFECT_59, json!({ "field": "NAME" }), 2).await,
        ["DEMO-59-04", "DEMO-59-02", "DEMO-59-03", "DEMO-59-01"]
    );
}

#[tokio::test]
async fn a_cursor_is_refused_with_another_order_and_an_anonymous_caller_gets_no_list() {
    let app = spawn_app().await;
    let query = "query($after: String, $order: StructureOrder) {
        structures(first: 2, after: $after, orderBy: $order) {
            pageInfo { endCursor } edges { node { matricule } }
        }
    }";
    let by_name = json!({ "field": "NAME" });
    let first = app.query_as(ANCT, query, json!({ "order": by_name })).await;
    let cursor = data(&first)["structures"]["pageInfo"]["endCursor"].clone();
    for other in [
        json!(null),
        json!({ "field": "NAME", "direction": "DESC" }),
        json!({ "field": "COMMUNE" }),
    ] {
        let response = app
            .query_as(ANCT, query, json!({ "after": cursor, "order": other }))
            .await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{other}");
        assert_eq!(response["errors"][0]["extensions"]["field"], "after");
    }
    // A cursor of the creation order (the only one before `orderBy`) still works without it.
    let created = app.query_as(ANCT, query, json!({})).await;
    let cursor = data(&created)["structures"]["pageInfo"]["endCursor"].clone();
    let next = app.query_as(ANCT, query, json!({ "after": cursor })).await;
    assert_eq!(
        data(&next)["structures"]["edges"][0]["node"]["matricule"],
        "DEMO-59-03"
    );
    let anonymous = app.post(None, query, json!({ "order": by_name })).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn the_sort_key_migration_fills_the_keys_of_existing_structures() {
    use maillage::domain::text::sort_key;
    use migration::{Migrator, MigratorTrait};
    use sea_orm::EntityTrait;

    let app = spawn_app().await;
    // Undo the sort-key migration (the 23rd) and every later one, and apply them again over
    // the demo's structures, as an upgrade of an existing database does.
    let since_sort_keys = u32::try_from(Migrator::migrations().len() - 22).expect("a count");
    Migrator::down(&app.db, Some(since_sort_keys))
        .await
        .expect("down");
    Migrator::up(&app.db, None).await.expect("up");
    let rows = entity::structure::Entity::find()
        .all(&app.db)
        .await
        .expect("structures");
    assert_eq!(rows.len(), 7);
    let gueret = rows
        .iter()
        .find(|r| r.matricule == "DEMO-23-01")
        .expect("23-01");
    assert_eq!(gueret.name_key, "france services gueret");
    assert_eq!(gueret.commune_key, "gueret");
    for row in &rows {
        assert_eq!(row.name_key, sort_key(&row.name), "{}", row.matricule);
    }
    assert_eq!(
        ordered(&app, ANCT, json!({ "field": "COMMUNE" }), 3).await,
        [
            "DEMO-2A-01",
            "DEMO-23-02",
            "DEMO-23-01",
            "DEMO-59-04",
            "DEMO-59-01",
            "DEMO-59-03",
            "DEMO-59-02"
        ]
    );
}
