//! The committed SDL must match the code.

#[test]
fn committed_schema_graphql_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql is committed at the repository root");
    let current = maillage::graphql::sdl();
    assert!(
        committed == current,
        "schema.graphql is stale: regenerate it with `cargo run -- schema > schema.graphql`"
    );
}
