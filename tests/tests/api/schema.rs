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

/// Every type, field, argument and input field the front end sees is described in the schema,
/// so `schema.graphql` is documentation a front-end developer can work from.
#[tokio::test]
async fn every_operation_type_and_field_is_described() {
    let app = tests::TestApp::spawn(tests::Backend::Sqlite).await.unwrap();
    let body = app
        .graphql(
            "{ __schema { types { name kind description \
               fields { name description args { name description } } \
               inputFields { name description } } } }",
            serde_json::json!({}),
        )
        .await;
    let described = |v: &serde_json::Value| v.as_str().is_some_and(|d| !d.trim().is_empty());
    let mut missing = Vec::new();
    for ty in body["data"]["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        // Introspection and built-in scalars describe themselves (or are the spec's).
        if name.starts_with("__") || ty["kind"] == "SCALAR" {
            continue;
        }
        // Relay connection plumbing is generated and described by the Relay spec.
        let generated =
            name.ends_with("Connection") || name.ends_with("Edge") || name == "PageInfo";
        if !generated && !matches!(name, "Query" | "Mutation") && !described(&ty["description"]) {
            missing.push(name.to_string());
        }
        for f in ty["fields"].as_array().into_iter().flatten() {
            let field = format!("{name}.{}", f["name"].as_str().unwrap());
            if !generated && !described(&f["description"]) {
                missing.push(field.clone());
            }
            for a in f["args"].as_array().into_iter().flatten() {
                let arg = a["name"].as_str().unwrap();
                // Arguments named after their input type (`input`) or standard paging ones are
                // described by their type.
                if !matches!(arg, "input" | "first" | "after" | "id" | "idempotencyKey")
                    && !described(&a["description"])
                {
                    missing.push(format!("{field}({arg})"));
                }
            }
        }
        for f in ty["inputFields"].as_array().into_iter().flatten() {
            if !described(&f["description"]) {
                missing.push(format!("{name}.{}", f["name"].as_str().unwrap()));
            }
        }
    }
    assert!(missing.is_empty(), "undescribed in the schema: {missing:?}");
}
