//! The benchmark's synthetic schema: it is large enough, it generates, and the Rust builder the
//! benchmark falls back on writes exactly what `scripts/gen_synthetic_schema.py` writes.
//!
//! # Invariants
//! - The comparison with the script runs whenever `python3` can be started; without it, only
//!   the Rust side is checked (the script is a developer tool, not a build dependency).

use std::collections::BTreeMap;
use std::process::Command;

use jitos_codegen::sdl::SdlOptions;
use jitos_codegen::{Diagnostics, Inputs, Options, Severity, Source};

use crate::synthetic_schema::{DEFAULT_GROUPS, synthetic_schema};
use crate::workspace_root;

#[test]
fn synthetic_schema_is_large_and_checks_clean() {
    // The full schema only goes through the checks here: emitting 25 MB of Rust in a debug
    // build takes long, and the emitters are exercised on a small instance below.
    let text = synthetic_schema(DEFAULT_GROUPS);
    let options = SdlOptions {
        scalars: BTreeMap::new(),
        missing_description: Severity::Error,
    };
    let mut diags = Diagnostics::default();
    let schema = jitos_codegen::sdl::lower("target/synthetic.graphql", &text, &options, &mut diags);
    assert_eq!(diags.sorted(), Vec::new(), "{diags}");
    let n_types = schema.unwrap().types.len();
    assert!(n_types >= 2_000, "only {n_types} types");
    assert_eq!(n_types, DEFAULT_GROUPS * 6 + 4);
}

#[test]
fn a_small_synthetic_schema_generates() {
    let text = synthetic_schema(3);
    let inputs = Inputs {
        sdl: Some(Source {
            name: "target/synthetic.graphql",
            text: &text,
        }),
        ..Inputs::default()
    };
    let output = jitos_codegen::generate(&inputs, &Options::standalone("synthetic"))
        .unwrap_or_else(|diags| panic!("{diags}"));
    assert_eq!(output.warnings, Vec::new());
    let outputs = &output.files["src/outputs.rs"];
    let boxed = "pub next: ::std::option::Option<::std::boxed::Box<crate::outputs::Record0>>,";
    assert!(outputs.contains(boxed), "{outputs}");
    let lazy = "pub summary: crate::runtime::Lazy<::std::option::Option<::std::string::String>>,";
    assert!(outputs.contains(lazy), "{outputs}");
}

#[test]
fn the_script_writes_the_same_schema() {
    let out = std::env::temp_dir().join(format!("jitos-synthetic-{}.graphql", std::process::id()));
    let script = workspace_root().join("scripts/gen_synthetic_schema.py");
    let status = Command::new("python3")
        .arg(&script)
        .arg(&out)
        .args(["--groups", "7"])
        .status();
    let Ok(status) = status else {
        eprintln!(
            "python3 is not available; skipping the comparison with {}",
            script.display()
        );
        return;
    };
    assert!(status.success(), "{} failed", script.display());
    let written = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_file(&out).unwrap();
    let built = synthetic_schema(7);
    if written != built {
        let line_idx = written
            .lines()
            .zip(built.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "script and Rust builder differ at line {}:\n  script: {:?}\n  rust:   {:?}",
            line_idx + 1,
            written.lines().nth(line_idx),
            built.lines().nth(line_idx)
        );
    }
}
