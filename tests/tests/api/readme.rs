//! The README stays true: every setting is documented, and CI runs the README's test command.

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{path}")).unwrap()
}

#[test]
fn readme_documents_every_setting() {
    let readme = read("README.md");
    for s in api::config::SETTINGS {
        let row = readme
            .lines()
            .find(|l| l.contains(&format!("`{}`", s.env)))
            .unwrap_or_else(|| panic!("README has no row for {}", s.env));
        assert!(
            row.contains(&format!("`{}`", s.key)),
            "README row for {} must name its file key {}",
            s.env,
            s.key
        );
    }
}

#[test]
fn ci_runs_the_readme_test_command_with_postgres_required() {
    let readme = read("README.md");
    let ci = read(".ci/run");
    let command = "cargo test --workspace";
    assert!(readme.contains(command), "README's test command changed");
    assert!(
        ci.lines().any(|l| l.trim() == command),
        ".ci/run must call the README's test command"
    );
    assert!(ci.contains("UPC_REQUIRE_POSTGRES=1"));
    assert!(ci.contains("cargo fmt --all --check"));
    assert!(ci.contains("cargo clippy --workspace --all-targets -- -D warnings"));
}

#[test]
fn readme_run_command_names_a_real_binary() {
    let readme = read("README.md");
    assert!(readme.contains("```sh\ncargo run --bin upc\n```"));
    assert!(
        std::path::Path::new(&format!("{ROOT}/worker/src/bin/upc.rs")).exists(),
        "the quick start's binary `upc` is in the worker package"
    );
}
