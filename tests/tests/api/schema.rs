//! The schema contract: `schema.graphql` at the repository root is what the server serves.

#[test]
fn schema_graphql_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let current = api::graphql::sdl();
    if std::env::var("UPC_UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(path, &current).unwrap();
        return;
    }
    assert!(
        committed == current,
        "schema.graphql is stale: run `UPC_UPDATE_SCHEMA=1 cargo test -p tests --test api schema` and commit it"
    );
}
