//! Compile-time guarantees of the generated crate and of the client: trybuild compiles each
//! `fail/*.rs` and requires the error recorded in its `.stderr` file. Refresh those with `TRYBUILD=overwrite`
//! after a deliberate change of rustc or of the generated code, and read the diff.
//!
//! This is a package of its own because trybuild type-checks every dev-dependency of the package
//! that runs it: here that is jitos-schema and graphql_client, not the daemon and its HTTP stack.
//!
//! graphql_client's derive reads its schema and query files relative to the crate being
//! compiled, which for a trybuild case is the project trybuild writes under
//! `<target dir>/tests/trybuild/jitos-ui-tests/`. So the test first copies
//! `schema/jitos.graphql` and every `fail/*.graphql` into that project's `graphql/` folder; the
//! copy of the schema is taken on every run, so the case always checks the current schema.
//!
//! # Invariants
//! - A resolver that misses a method, a `Valid<T>` built without its validator, a
//!   non-exhaustive `match` on `NodeKind` and an outside `impl Parse` are compile errors.
//! - A client operation (graphql_client derive, as jitos-client uses it) that selects a field
//!   the schema lacks is a compile error that names the field.

use std::path::{Path, PathBuf};

#[test]
fn compile_fail_cases() {
    stage_graphql_files(&trybuild_project_dir().join("graphql"));
    trybuild::TestCases::new().compile_fail("fail/*.rs");
}

/// The folder of the project trybuild builds the cases in: `tests/trybuild/<package>` of the
/// workspace's target directory, as `cargo metadata` reports it (the way trybuild finds it).
fn trybuild_project_dir() -> PathBuf {
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let target_dir = metadata["target_directory"]
        .as_str()
        .expect("cargo metadata names the target directory");
    Path::new(target_dir)
        .join("tests")
        .join("trybuild")
        .join(env!("CARGO_PKG_NAME"))
}

/// Copies the schema and the cases' operation files into `dir`.
fn stage_graphql_files(dir: &Path) {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(dir).expect("creating the staging folder");
    let schema = manifest_dir.join("../../schema/jitos.graphql");
    std::fs::copy(&schema, dir.join("jitos.graphql")).expect("copying schema/jitos.graphql");
    let cases = std::fs::read_dir(manifest_dir.join("fail")).expect("reading fail/");
    for entry in cases {
        let path = entry.expect("a fail/ entry").path();
        if path
            .extension()
            .is_some_and(|extension| extension == "graphql")
        {
            let name = path.file_name().expect("a file name");
            std::fs::copy(&path, dir.join(name)).expect("copying an operation file");
        }
    }
}
