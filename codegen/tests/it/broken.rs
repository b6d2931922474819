//! Broken inputs and their exact diagnostics. Each case in `tests/broken/` is one input that
//! must fail; `NAME.stderr` holds what `Diagnostics` prints for it, errors and warnings alike.
//!
//! - `*.graphql`: an SDL file, generated as a standalone crate with no scalars file.
//! - `*.toml`: a node kind registry (an edge registry when the name starts with `edge_`, whose
//!   node registry is then the corpus one), with `NAME.lock` as its lock when that exists.
//! - `*.json`: an op schema, next to a minimal valid SDL.
//!
//! Run with `UPDATE_EXPECT=1` to rewrite the `.stderr` files after a deliberate change.
//!
//! # Invariants
//! - Every case fails: an input that generates is itself a test failure.
//! - Every `.stderr` file belongs to a case, and every case has one.

use jitos_codegen::{Inputs, Options, Source};

use crate::{crate_dir, read_dir_sorted, update_expect};

const MINIMAL_SDL: &str = "\"The root.\"\ntype Query {\n  \"A field.\"\n  a: Int\n}\n";

const EMPTY_EDGES: &str = "# No edge kinds.\n";

/// The diagnostics of one case, as `Diagnostics` prints them; panics if the case generates.
fn diagnostics(name: &str, text: &str) -> String {
    let corpus_nodes =
        std::fs::read_to_string(crate_dir().join("tests/corpus/kinds/node_kinds.toml")).unwrap();
    let lock_name = name.replace(".toml", ".lock");
    let lock_text = std::fs::read_to_string(crate_dir().join(&lock_name)).ok();
    let mut inputs = Inputs {
        sdl: Some(Source {
            name: "tests/broken/minimal.graphql",
            text: MINIMAL_SDL,
        }),
        ..Inputs::default()
    };
    let options = Options::standalone("broken");
    if name.ends_with(".graphql") {
        inputs.sdl = Some(Source { name, text });
    } else if name.ends_with(".json") {
        inputs.ops = vec![Source { name, text }];
    } else if name.starts_with("tests/broken/edge_") {
        inputs.node_kinds = Some(Source {
            name: "tests/corpus/kinds/node_kinds.toml",
            text: &corpus_nodes,
        });
        inputs.edge_kinds = Some(Source { name, text });
    } else {
        inputs.node_kinds = Some(Source { name, text });
        inputs.edge_kinds = Some(Source {
            name: "tests/broken/empty_edges.toml",
            text: EMPTY_EDGES,
        });
        inputs.kinds_lock = lock_text.as_deref().map(|text| Source {
            name: &lock_name,
            text,
        });
    }
    match jitos_codegen::generate(&inputs, &options) {
        Ok(output) => panic!(
            "{name} generated without errors (warnings: {:?})",
            output.warnings
        ),
        Err(diags) => diags.to_string(),
    }
}

fn golden_name(case: &str) -> String {
    let stem = case.rsplit_once('.').map_or(case, |(stem, _)| stem);
    format!("{stem}.stderr")
}

#[test]
fn broken_inputs_fail_with_the_golden_diagnostics() {
    let cases = read_dir_sorted("tests/broken", &[".graphql", ".toml", ".json"]);
    assert!(
        cases.len() >= 18,
        "expected the whole broken suite, found {} cases",
        cases.len()
    );
    let mut mismatches = Vec::new();
    for (name, text) in &cases {
        let actual = diagnostics(name, text);
        assert!(
            actual.contains(": error: "),
            "{name} must report an error:\n{actual}"
        );
        let golden = crate_dir().join(golden_name(name));
        if update_expect() {
            std::fs::write(&golden, &actual).unwrap();
        }
        let expected = std::fs::read_to_string(&golden)
            .unwrap_or_default()
            .replace("\r\n", "\n");
        if expected != actual {
            mismatches.push(format!(
                "{name}:\n--- expected ({})\n{expected}--- actual\n{actual}",
                golden_name(name)
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "diagnostics differ from the golden files (rerun with UPDATE_EXPECT=1 if the change is deliberate):\n\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn every_golden_file_has_a_case() {
    let cases: Vec<String> = read_dir_sorted("tests/broken", &[".graphql", ".toml", ".json"])
        .into_iter()
        .map(|(name, _)| golden_name(&name))
        .collect();
    for (golden, _) in read_dir_sorted("tests/broken", &[".stderr"]) {
        assert!(cases.contains(&golden), "{golden} has no input; delete it");
    }
    for (lock, _) in read_dir_sorted("tests/broken", &[".lock"]) {
        let registry = lock.replace(".lock", ".toml");
        assert!(
            crate_dir().join(&registry).exists(),
            "{lock} belongs to no registry case"
        );
    }
}
