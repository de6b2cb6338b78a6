//! The documents are true. The GraphQL documents in `docs/lifecycle.md` are valid against the
//! schema: each is sent to a running server with its variables, and every error must be one of
//! the API's own coded errors (a refusal, a missing record, an illegal step), never a parse or
//! validation failure. `docs/architecture.md` names every file of the policy, and its layers
//! hold.

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

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path, text));
        }
    }
    out
}

/// The layers of `docs/architecture.md` hold: the policy (`api/src/domain/`) imports no GraphQL,
/// HTTP or database library, and the GraphQL adapter writes nothing to the database itself (every
/// write goes through the store, one transaction per command with its audit event).
#[test]
fn architecture_rules_hold() {
    let domain = sources(std::path::Path::new(&format!("{ROOT}/api/src/domain")));
    assert!(
        domain.len() >= 20,
        "found only {} domain files",
        domain.len()
    );
    for (path, text) in &domain {
        for library in ["async_graphql", "axum", "sea_orm"] {
            assert!(
                !text.contains(library),
                "{} uses {library}: the policy is plain Rust",
                path.display()
            );
        }
    }
    let graphql = sources(std::path::Path::new(&format!("{ROOT}/api/src/graphql")));
    for (path, text) in &graphql {
        for write in [
            "ActiveModel",
            "TransactionTrait",
            ".begin()",
            "update_many",
            "delete_many",
            "audit::record",
        ] {
            assert!(
                !text.contains(write),
                "{} writes to the database ({write}): go through the store",
                path.display()
            );
        }
    }
}

/// `docs/architecture.md` names every file of the policy, and every file it names exists, so a
/// council's next supplier finds any rule in one jump.
#[test]
fn the_architecture_map_names_every_file_of_the_policy() {
    let text = std::fs::read_to_string(format!("{ROOT}/docs/architecture.md")).unwrap();
    for (path, _) in sources(std::path::Path::new(&format!("{ROOT}/api/src/domain"))) {
        let relative = path
            .strip_prefix(format!("{ROOT}/"))
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if relative.contains("/tests/") || relative.ends_with("/mod.rs") {
            continue;
        }
        assert!(
            text.contains(&format!("`{relative}`")),
            "docs/architecture.md does not name {relative}"
        );
    }
    for named in text
        .split('`')
        .filter(|s| s.starts_with("api/src/") || s.starts_with("worker/src/"))
    {
        assert!(
            std::path::Path::new(&format!("{ROOT}/{named}")).exists(),
            "docs/architecture.md names {named}, which does not exist"
        );
    }
}
