//! Tidy: repository-wide rules that are cheap to check and easy to forget, run as `#[test]`s.
//!
//! - Every Rust file opens with a `//!` doc; every library source file's doc has an
//!   `# Invariants` section.
//! - No ignored or should-panic tests, no debug macros, no fix-me markers, no trailing whitespace.
//! - Crates depend only on the crates to their right in the layer table (`LAYERS`), and only the
//!   edge crates use axum, async-graphql or anyhow.
//!
//! # Invariants
//! - Tidy reads files and `cargo metadata`; it never writes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Folders whose Rust files tidy reads.
const ROOTS: &[&str] = &["codegen", "crates", "generated", "tests", "xtask"];

/// Paths (relative, `/`-separated prefixes) tidy skips: inputs that are deliberately odd.
const SKIP: &[&str] = &[
    "tests/ui/",
    "codegen/tests/corpus/",
    "codegen/tests/broken/",
];

/// Internal crates each crate may depend on (see ARCHITECTURE.md, "Dependency direction").
const LAYERS: &[(&str, &[&str])] = &[
    ("jitos-schema", &[]),
    ("jitos-schema-graphql", &["jitos-schema"]),
    ("jitos-codegen", &[]),
    ("xtask", &["jitos-codegen"]),
    ("jitos-blake3-many", &[]),
    ("jitos-core", &["jitos-schema", "jitos-blake3-many"]),
    (
        "jitos-graph",
        &["jitos-core", "jitos-schema", "jitos-blake3-many"],
    ),
    ("jitos-wal", &["jitos-core", "jitos-blake3-many"]),
    (
        "jitos-kernel",
        &[
            "jitos-graph",
            "jitos-wal",
            "jitos-core",
            "jitos-schema",
            "jitos-blake3-many",
        ],
    ),
    (
        "jitos-net",
        &[
            "jitos-kernel",
            "jitos-core",
            "jitos-schema",
            "jitos-schema-graphql",
        ],
    ),
    (
        "jitosd",
        &[
            "jitos-net",
            "jitos-kernel",
            "jitos-wal",
            "jitos-core",
            "jitos-schema",
            "jitos-schema-graphql",
        ],
    ),
    ("jitos-client", &["jitos-schema"]),
    // Online through the client; offline (`verify`, `log` of a data directory) through the
    // kernel and the WAL.
    (
        "jitosctl",
        &[
            "jitos-client",
            "jitos-kernel",
            "jitos-wal",
            "jitos-core",
            "jitos-schema",
        ],
    ),
    ("jitos-load", &[]),
    (
        "jitos-durability-bench",
        &[
            "jitos-kernel",
            "jitos-wal",
            "jitos-core",
            "jitos-schema",
            "jitos-graph",
        ],
    ),
    ("jitos-tests", &["*"]),
    ("jitos-ui-tests", &[]),
];

/// External crates only some crates may use, and which.
const EDGE_ONLY: &[(&str, &[&str])] = &[
    ("axum", &["jitos-net", "jitosd", "jitos-tests"]),
    (
        "async-graphql",
        &["jitos-schema-graphql", "jitos-net", "jitosd", "jitos-tests"],
    ),
    ("async-graphql-axum", &["jitos-net"]),
    (
        "anyhow",
        &["jitosd", "jitosctl", "jitos-load", "xtask", "jitos-tests"],
    ),
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}

fn rust_files(root: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let relative = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if relative.contains("/target")
            || relative.contains("/fuzz/corpus")
            || SKIP.iter().any(|skip| relative.starts_with(skip))
        {
            continue;
        }
        if path.is_dir() {
            rust_files(root, &path, files);
        } else if relative.ends_with(".rs") {
            files.push((relative, std::fs::read_to_string(&path).unwrap_or_default()));
        }
    }
}

fn all_rust_files() -> Vec<(String, String)> {
    let root = workspace_root();
    let mut files = Vec::new();
    for dir in ROOTS {
        rust_files(&root, &root.join(dir), &mut files);
    }
    assert!(
        files.len() > 20,
        "tidy found only {} files; is the root right?",
        files.len()
    );
    files
}

/// Whether `path` is library source (not a test, bench, example, fuzz target or binary root).
fn is_library_source(path: &str) -> bool {
    let in_src = path.contains("/src/");
    let test_like = path.ends_with("/tests.rs")
        || path.contains("/tests/")
        || path.contains("/benches/")
        || path.contains("/fuzz/");
    in_src && !test_like
}

#[test]
fn every_file_has_a_module_doc_with_invariants() {
    let mut problems = Vec::new();
    for (path, text) in all_rust_files() {
        if !text.trim_start().starts_with("//!") {
            problems.push(format!("{path}: does not open with a `//!` doc"));
        } else if is_library_source(&path) && !text.contains("# Invariants") {
            problems.push(format!(
                "{path}: its `//!` doc has no `# Invariants` section"
            ));
        }
    }
    assert!(problems.is_empty(), "tidy:\n{}", problems.join("\n"));
}

#[test]
fn no_banned_markers() {
    // Spelled in pieces so this file does not trip its own check.
    let banned = [
        ["#[", "ignore]"].concat(),
        ["#[", "should_panic"].concat(),
        ["dbg", "!("].concat(),
        ["FIX", "ME"].concat(),
    ];
    let mut problems = Vec::new();
    for (path, text) in all_rust_files() {
        for (line_idx, line) in text.lines().enumerate() {
            if let Some(marker) = banned.iter().find(|marker| line.contains(marker.as_str())) {
                problems.push(format!("{path}:{}: `{marker}`", line_idx + 1));
            }
            if line.ends_with(' ') || line.ends_with('\t') {
                problems.push(format!("{path}:{}: trailing whitespace", line_idx + 1));
            }
        }
    }
    assert!(problems.is_empty(), "tidy:\n{}", problems.join("\n"));
}

/// The one package whose code may hold `unsafe` (its SIMD kernels' dispatch, justified in its
/// `//!` doc and at each block); every other package inherits `unsafe_code = "forbid"`.
const UNSAFE_PACKAGE_DIR: &str = "crates/jitos-blake3-many/";

#[test]
fn unsafe_code_stays_in_one_package() {
    // Spelled in pieces so this file does not trip its own check.
    let markers = [
        ["unsafe", " {"].concat(),
        ["unsafe", " fn"].concat(),
        ["unsafe", " impl"].concat(),
    ];
    let mut problems = Vec::new();
    for (path, text) in all_rust_files() {
        let writes_unsafe = text.lines().any(|line| {
            let code = line.split("//").next().unwrap_or("");
            markers.iter().any(|marker| code.contains(marker.as_str()))
        });
        if writes_unsafe && !path.starts_with(UNSAFE_PACKAGE_DIR) {
            problems.push(format!("{path}: `unsafe` outside {UNSAFE_PACKAGE_DIR}"));
        }
    }
    let root = workspace_root();
    for manifest in ["crates", "generated"].iter().flat_map(|dir| {
        std::fs::read_dir(root.join(dir))
            .expect("lists")
            .map(|entry| entry.expect("reads").path().join("Cargo.toml"))
    }) {
        let relative = manifest
            .strip_prefix(&root)
            .expect("under the root")
            .display()
            .to_string();
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let inherits = text.contains("[lints]\nworkspace = true");
        if !inherits && !relative.starts_with(UNSAFE_PACKAGE_DIR) {
            problems.push(format!("{relative}: does not inherit [workspace.lints]"));
        }
    }
    assert!(problems.is_empty(), "tidy:\n{}", problems.join("\n"));
}

/// `cargo metadata`: package name to its (internal, external) normal dependencies.
fn dependencies() -> BTreeMap<String, Vec<String>> {
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let mut dependencies = BTreeMap::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let name = package["name"].as_str().unwrap_or_default().to_owned();
        let deps = package["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|dep| dep["kind"].is_null())
            .filter_map(|dep| dep["name"].as_str().map(str::to_owned))
            .collect();
        dependencies.insert(name, deps);
    }
    dependencies
}

#[test]
fn crates_respect_the_layers() {
    let dependencies = dependencies();
    let internal: Vec<&str> = LAYERS.iter().map(|(name, _)| *name).collect();
    let mut problems = Vec::new();
    for (package, deps) in &dependencies {
        let Some((_, allowed)) = LAYERS.iter().find(|(name, _)| name == package) else {
            if !package.ends_with("-fuzz") {
                problems.push(format!(
                    "{package} is not in tidy's LAYERS table; add it (see ARCHITECTURE.md)"
                ));
            }
            continue;
        };
        for dep in deps {
            if internal.contains(&dep.as_str())
                && !allowed.contains(&"*")
                && !allowed.contains(&dep.as_str())
            {
                problems.push(format!(
                    "{package} must not depend on {dep}; see ARCHITECTURE.md"
                ));
            }
            if let Some((_, users)) = EDGE_ONLY.iter().find(|(name, _)| name == dep)
                && !users.contains(&package.as_str())
            {
                problems.push(format!(
                    "{package} must not use {dep}: only {} may",
                    users.join(", ")
                ));
            }
        }
    }
    assert!(problems.is_empty(), "tidy:\n{}", problems.join("\n"));
}
