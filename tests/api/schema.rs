/// `schema.graphql` is generated (`omnisync export-schema > schema.graphql`); a stale copy fails here.
#[test]
fn committed_schema_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = omnisync::graphql::sdl();
    assert!(
        committed == generated,
        "schema.graphql is stale: run `cargo run -- export-schema > schema.graphql` and commit it"
    );
}
