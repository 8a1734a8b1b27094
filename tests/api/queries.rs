//! Relations load in batches: a page costs the same few queries whatever its size (no N+1).
use maillage::domain::enums::Role;
use maillage::service::users;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::import::app_with_real_sites;

const PAGE: &str = "query($first: Int!) { structures(first: $first) {
    totalCount
    edges { node {
        matricule department { name region { name } }
        commune { name city { name } canton { name } }
        canton { name }
        principal { matricule } antennas { matricule }
    } }
} }";

#[tokio::test]
async fn a_page_with_every_relation_costs_a_few_queries_whatever_its_size() {
    let (app, _) = app_with_real_sites().await;
    users::grant(
        &app.db,
        "anct@q.fr",
        Role::Anct,
        &Default::default(),
        app.now(),
    )
    .await
    .expect("grant");
    let token = app.token("anct@q.fr").await;
    // The first request also loads the reference snapshot: leave it out of the count.
    data(
        &app.post(
            Some(&token),
            "{ departments { region { name } } }",
            Value::Null,
        )
        .await,
    );

    let mut costs = Vec::new();
    for first in [10, 100] {
        let before = app.statements();
        let response = app
            .post(Some(&token), PAGE, json!({ "first": first }))
            .await;
        let edges = data(&response)["structures"]["edges"]
            .as_array()
            .expect("edges")
            .len();
        assert_eq!(edges, first);
        costs.push(app.statements() - before);
    }
    // actor, page, count, principals, antennas: 5. A DataLoader collects keys for 1 ms, so
    // on a busy machine a batch may be split in two: allow that, but a query per row (100+)
    // must never pass.
    assert!(
        costs.iter().all(|cost| *cost <= 10),
        "statements per page: {costs:?}"
    );
}

/// The structures page of a department's dashboard, with and without effective partners.
const DEPARTMENT_PAGE: &str = "query($first: Int!, $after: String, $partners: Boolean!) {
    structures(first: $first, after: $after, filter: { department: \"59\" }) {
        totalCount
        pageInfo { endCursor hasNextPage }
        edges { node {
            matricule name format department { name } commune { name }
            effectivePartners @include(if: $partners) { code }
        } }
    }
}";

#[tokio::test]
async fn a_department_page_reads_its_count_and_effective_partners_with_the_page() {
    let app = spawn_app().await;
    let token = app.token(PREFECT_59).await;
    let ask = |first: i32, after: Value, partners: bool| {
        let token = token.clone();
        let app = &app;
        async move {
            let before = app.statements();
            let response = app
                .post(
                    Some(&token),
                    DEPARTMENT_PAGE,
                    json!({ "first": first, "after": after, "partners": partners }),
                )
                .await;
            (
                data(&response)["structures"].clone(),
                app.statements() - before,
            )
        }
    };
    // Warm the reference snapshot.
    ask(1, Value::Null, false).await;

    // The first page: the caller, then the page's identifiers and revisions with its count
    // (PostgreSQL; SQLite counts apart), then (when asked) the effective partners of the page
    // in one statement, unless they are kept from a page read at the same data version. Rows
    // read for the first time are read whole by one more statement, then kept under their
    // revision.
    let count = usize::from(app.db.get_database_backend() != sea_orm::DbBackend::Postgres);
    let (cold, cost) = ask(100, Value::Null, false).await;
    assert!(cost <= 3 + count, "statements for rows read first: {cost}");
    let (page, cost) = ask(100, Value::Null, false).await;
    assert_eq!(page, cold, "kept rows answer the same page");
    let total = page["totalCount"].as_u64().expect("count");
    assert_eq!(total, 4, "{page}");
    assert_eq!(page["edges"].as_array().expect("edges").len(), 4);
    assert!(cost <= 2 + count, "statements for the first page: {cost}");
    let (with_partners, cost) = ask(100, Value::Null, true).await;
    assert!(
        cost <= 3 + count,
        "statements with effective partners: {cost}"
    );
    // Then kept under the data's version: no statement more than the page alone.
    let (again, cost) = ask(100, Value::Null, true).await;
    assert_eq!(again, with_partners, "kept partners answer the same page");
    assert!(
        cost <= 2 + count,
        "statements with kept effective partners: {cost}"
    );
    let codes: Vec<Vec<Value>> = with_partners["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            let partners = e["node"]["effectivePartners"].as_array().expect("partners");
            partners.iter().map(|p| p["code"].clone()).collect()
        })
        .collect();
    // The same partners as each structure read alone (through the loader).
    for (edge, primed) in with_partners["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .zip(&codes)
    {
        let alone = app
            .post(
                Some(&token),
                "query($m: String!) { structure(matricule: $m) { effectivePartners { code } } }",
                json!({ "m": edge["node"]["matricule"] }),
            )
            .await;
        let alone: Vec<Value> = data(&alone)["structure"]["effectivePartners"]
            .as_array()
            .expect("partners")
            .iter()
            .map(|p| p["code"].clone())
            .collect();
        assert_eq!(&alone, primed, "{}", edge["node"]["matricule"]);
    }
    assert!(
        codes.iter().any(|c| !c.is_empty()),
        "the demo has effective partners in 59: {codes:?}"
    );

    // A later page counts apart (its condition leaves out the earlier rows), and the count
    // is still the whole list's.
    let (first, _) = ask(1, Value::Null, false).await;
    let (second, cost) = ask(1, first["pageInfo"]["endCursor"].clone(), false).await;
    assert_eq!(second["totalCount"].as_u64(), Some(total));
    assert_ne!(second["edges"][0], first["edges"][0]);
    assert!(cost <= 3, "statements for a later page: {cost}");

    // Out of the caller's departments: an empty page and a zero count.
    let other = app
        .post(
            Some(&token),
            "{ structures(filter: { department: \"23\" }) { totalCount edges { node { matricule } } } }",
            Value::Null,
        )
        .await;
    assert_eq!(data(&other)["structures"]["totalCount"], 0);
    assert_eq!(data(&other)["structures"]["edges"], json!([]));
}
