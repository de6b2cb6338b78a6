//! The GraphQL documents in `docs/lifecycle.md` are valid against the schema: each is sent to a
//! running server with its variables, and every error must be one of the API's own coded
//! errors (a refusal, a missing record, an illegal step), never a parse or validation failure.

use api::auth::Role;
use serde_json::Value;
use tests::{Backend, TestApp};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The (document, variables) pairs of a Markdown file: each ```graphql block with the ```json
/// block that follows it.
fn documents(markdown: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut blocks = markdown.split("```").skip(1).step_by(2).peekable();
    while let Some(block) = blocks.next() {
        if let Some(doc) = block.strip_prefix("graphql\n") {
            let vars = match blocks.peek().and_then(|b| b.strip_prefix("json\n")) {
                Some(json) => {
                    let v = serde_json::from_str(json)
                        .unwrap_or_else(|e| panic!("bad JSON after {doc}: {e}"));
                    blocks.next();
                    v
                }
                None => Value::Object(Default::default()),
            };
            out.push((doc.to_string(), vars));
        }
    }
    out
}

#[tokio::test]
async fn lifecycle_walkthrough_documents_match_the_schema() {
    let text = std::fs::read_to_string(format!("{ROOT}/docs/lifecycle.md")).unwrap();
    let docs = documents(&text);
    assert!(docs.len() >= 12, "found only {} documents", docs.len());
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let everyone = app.token_for("docs-reader", &Role::ALL, &["HOU"]);
    let known = [
        "FORBIDDEN",
        "BAD_USER_INPUT",
        "NOT_FOUND",
        "CONFLICT",
        "INVALID_TRANSITION",
        "APPEAL_OUT_OF_TIME",
    ];
    for (doc, vars) in docs {
        let body = app.graphql_as(&everyone, &doc, vars).await;
        for err in body["errors"].as_array().into_iter().flatten() {
            let code = err["extensions"]["code"].as_str().unwrap_or_default();
            assert!(known.contains(&code), "{doc}\n{err}");
        }
    }
}
