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
