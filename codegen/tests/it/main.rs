//! Integration tests of jitos-codegen, one binary (`cargo test -p jitos-codegen --test it`).
//!
//! - `corpus`: every schema in `tests/corpus/` generates a standalone crate, and all of them
//!   build together in one cargo workspace under `target/corpus/`.
//! - `broken`: every input in `tests/broken/` fails with exactly the diagnostics of its golden
//!   `.stderr` file (rewritten with `UPDATE_EXPECT=1`).
//! - `synthetic`: the benchmark's synthetic schema generates, and matches
//!   `scripts/gen_synthetic_schema.py`.
//!
//! # Invariants
//! - Inputs are named relative to the codegen crate (`tests/broken/x.graphql`), the directory
//!   cargo runs integration tests in, so golden files hold no machine paths.
//! - Nothing here writes outside `target/` except golden files under `UPDATE_EXPECT=1`.

#![allow(
    clippy::unwrap_used,
    reason = "a test binary: a failed unwrap is a failed test"
)]

mod broken;
mod corpus;
mod synthetic;
#[path = "../../benches/codegen/synthetic.rs"]
mod synthetic_schema;

use std::path::{Path, PathBuf};

/// The codegen crate's directory.
fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace root.
fn workspace_root() -> PathBuf {
    crate_dir().parent().unwrap().to_owned()
}

/// Whether golden files are to be rewritten rather than compared.
fn update_expect() -> bool {
    std::env::var_os("UPDATE_EXPECT").is_some_and(|value| value == "1")
}

/// The files of `dir` (relative to the crate) whose names end with one of `suffixes`, sorted,
/// as (name relative to the crate, text).
fn read_dir_sorted(dir: &str, suffixes: &[&str]) -> Vec<(String, String)> {
    let mut names: Vec<String> = std::fs::read_dir(crate_dir().join(dir))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| suffixes.iter().any(|suffix| name.ends_with(suffix)))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let relative = format!("{dir}/{name}");
            let text = std::fs::read_to_string(crate_dir().join(&relative)).unwrap();
            (relative, text)
        })
        .collect()
}
