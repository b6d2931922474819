//! The generality corpus: each `tests/corpus/*.graphql` becomes a standalone crate, and all of
//! them must build together, offline, in one cargo workspace.
//!
//! The workspace lives in `target/corpus/workspace` and builds into `target/corpus/target`, both
//! under the repository root and kept between runs: files are rewritten only when their text
//! changed, so a second run rebuilds nothing and takes seconds.
//!
//! # Invariants
//! - The workspace uses a copy of the repository's `Cargo.lock`, so dependency versions are the
//!   ones the repository pins and `--offline` works wherever the repository builds.
//! - Every corpus schema generates; only `unknown_directive.graphql` may warn.
//! - Generated code builds without a single compiler warning.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use jitos_codegen::{Inputs, Options, Output, Source};

use crate::{crate_dir, read_dir_sorted, workspace_root};

/// `text` without whitespace and without the trailing commas prettyplease adds when it wraps a
/// list, so that assertions do not depend on line breaks.
fn flat(text: &str) -> String {
    text.split_whitespace()
        .collect::<String>()
        .replace(",>", ">")
        .replace(",)", ")")
}

/// Asserts that `haystack` contains `needle`, ignoring layout.
#[track_caller]
fn assert_has(haystack: &str, needle: &str) {
    assert!(
        flat(haystack).contains(&flat(needle)),
        "`{needle}` not found in:\n{haystack}"
    );
}

/// One generated corpus crate.
struct CorpusCrate {
    /// The schema file's stem, which is also the member directory.
    stem: String,
    /// What the generator produced.
    output: Output,
}

impl CorpusCrate {
    fn file(&self, path: &str) -> &str {
        self.output
            .files
            .get(path)
            .unwrap_or_else(|| panic!("{}: no {path}", self.stem))
    }
}

fn find<'a>(files: &'a [(String, String)], suffix: &str) -> Option<Source<'a>> {
    files
        .iter()
        .find(|(name, _)| name.ends_with(suffix))
        .map(|(name, text)| Source { name, text })
}

fn generate_corpus() -> Vec<CorpusCrate> {
    let schemas = read_dir_sorted("tests/corpus", &[".graphql"]);
    assert!(schemas.len() >= 5, "the corpus needs at least five schemas");
    let scalars = read_dir_sorted("tests/corpus", &["scalars.toml"]);
    let ops = read_dir_sorted("tests/corpus/ops", &[".json"]);
    let kinds = read_dir_sorted("tests/corpus/kinds", &[".toml"]);
    schemas
        .iter()
        .map(|(name, text)| {
            let stem = name
                .trim_start_matches("tests/corpus/")
                .trim_end_matches(".graphql")
                .to_owned();
            // One schema also carries ops and kind registries, so those emitters are built too.
            let extras = stem == "all_roots";
            let inputs = Inputs {
                sdl: Some(Source { name, text }),
                scalars: find(&scalars, "scalars.toml"),
                node_kinds: if extras {
                    find(&kinds, "node_kinds.toml")
                } else {
                    None
                },
                edge_kinds: if extras {
                    find(&kinds, "edge_kinds.toml")
                } else {
                    None
                },
                kinds_lock: None,
                ops: if extras {
                    ops.iter()
                        .map(|(name, text)| Source { name, text })
                        .collect()
                } else {
                    Vec::new()
                },
            };
            let options = Options::standalone(&format!("corpus-{}", stem.replace('_', "-")));
            let output = jitos_codegen::generate(&inputs, &options)
                .unwrap_or_else(|diags| panic!("{name} must generate:\n{diags}"));
            CorpusCrate { stem, output }
        })
        .collect()
}

/// Writes `text` to `path` unless it already holds exactly that, so cargo sees no change;
/// returns whether it wrote.
fn write_if_changed(path: &Path, text: &str) -> bool {
    if std::fs::read_to_string(path).is_ok_and(|current| current == text) {
        return false;
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    true
}

/// Lays out the workspace in `dir`.
fn write_workspace(crates: &[CorpusCrate], dir: &Path) {
    let members: Vec<String> = crates.iter().map(|c| format!("\"{}\"", c.stem)).collect();
    let manifest = format!(
        "# Written by codegen's corpus test.\n[workspace]\nresolver = \"3\"\nmembers = [{}]\n",
        members.join(", ")
    );
    write_if_changed(&dir.join("Cargo.toml"), &manifest);
    // Cargo trims the copy to what the corpus uses, so compare with the last copied original.
    let lock = std::fs::read_to_string(workspace_root().join("Cargo.lock")).unwrap();
    let lock_changed = write_if_changed(&dir.join("repository.Cargo.lock"), &lock);
    if lock_changed || !dir.join("Cargo.lock").exists() {
        std::fs::write(dir.join("Cargo.lock"), &lock).unwrap();
    }
    let mut stale_members: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir() && !crates.iter().any(|c| path.ends_with(&c.stem)))
        .collect();
    stale_members.sort();
    for path in stale_members {
        std::fs::remove_dir_all(path).unwrap();
    }
    for corpus_crate in crates {
        let member = dir.join(&corpus_crate.stem);
        let mut expected: Vec<PathBuf> = Vec::new();
        for (path, text) in &corpus_crate.output.files {
            let text = if path == "Cargo.toml" {
                assert!(
                    text.contains("\n[workspace]\n"),
                    "a standalone manifest is its own workspace"
                );
                text.replace("\n[workspace]\n", "\n")
            } else {
                text.clone()
            };
            write_if_changed(&member.join(path), &text);
            expected.push(member.join(path));
        }
        remove_other_sources(&member.join("src"), &expected);
    }
}

/// Removes files under `dir` that the generator no longer produces.
fn remove_other_sources(dir: &Path, expected: &[PathBuf]) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() && !expected.contains(&path) {
            std::fs::remove_file(path).unwrap();
        }
    }
}

/// Runs `cargo check` on the workspace in `dir`, returning (success, compiler output).
fn cargo_check(dir: &Path, target_dir: &Path) -> (bool, String) {
    let output = Command::new(env!("CARGO"))
        .args([
            "check",
            "--offline",
            "--workspace",
            "--message-format",
            "short",
            "--target-dir",
        ])
        .arg(target_dir)
        .current_dir(dir)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// `cargo check` of the corpus workspace, run once for all the tests that read its output.
fn corpus_check() -> &'static (bool, String) {
    static CHECK: OnceLock<(bool, String)> = OnceLock::new();
    CHECK.get_or_init(|| {
        let crates = generate_corpus();
        let corpus_dir = workspace_root().join("target/corpus");
        let dir = corpus_dir.join("workspace");
        write_workspace(&crates, &dir);
        cargo_check(&dir, &corpus_dir.join("target"))
    })
}

#[test]
fn corpus_crates_build_together() {
    let (success, text) = corpus_check();
    assert!(success, "the corpus crates do not build:\n{text}");
}

#[test]
fn corpus_crates_build_without_warnings() {
    let (_, text) = corpus_check();
    let warnings: Vec<&str> = text
        .lines()
        .filter(|line| line.contains(": warning: "))
        .collect();
    assert!(
        warnings.is_empty(),
        "generated code must build without warnings:\n{}",
        warnings.join("\n")
    );
}

#[test]
fn only_unknown_directives_warn() {
    let crates = generate_corpus();
    let warnings: BTreeMap<&str, Vec<String>> = crates
        .iter()
        .map(|c| {
            (
                c.stem.as_str(),
                c.output.warnings.iter().map(ToString::to_string).collect(),
            )
        })
        .filter(|(_, warnings): &(&str, Vec<String>)| !warnings.is_empty())
        .collect();
    let file = "tests/corpus/unknown_directive.graphql";
    let expected = vec![
        format!(
            "{file}:4:1: warning: directive @cacheControl is defined but the generator does not act on it"
        ),
        format!("{file}:10:15: warning: unknown directive @cacheControl is ignored"),
        format!("{file}:12:17: warning: unknown directive @cacheControl is ignored"),
        format!("{file}:12:42: warning: unknown directive @uppercase is ignored"),
        format!("{file}:18:29: warning: unknown directive @trim is ignored"),
    ];
    assert_eq!(warnings, BTreeMap::from([("unknown_directive", expected)]));
}

#[test]
fn keyword_names_become_raw_or_suffixed_identifiers() {
    let crates = generate_corpus();
    let query_only = crates.iter().find(|c| c.stem == "query_only").unwrap();
    let outputs = query_only.file("src/outputs.rs");
    assert_has(outputs, "pub r#type: crate::enums::Kind,");
    assert_has(
        outputs,
        "pub r#match: ::std::option::Option<::std::string::String>,",
    );
    assert_has(
        outputs,
        "pub self_: ::std::option::Option<::std::boxed::Box<crate::outputs::Item>>,",
    );
    let enums = query_only.file("src/enums.rs");
    assert_has(enums, "Match,");
    assert_has(enums, "Self_,");
    assert_has(enums, "Kind::Match => \"match\",");
    assert_has(enums, "Kind::Self_ => \"self\",");
    let inputs = query_only.file("src/inputs.rs");
    assert_has(inputs, "pub struct QueryItemsArgs {");
    // A defaulted enum argument is not an Option.
    assert_has(inputs, "pub r#type: crate::enums::Kind,");
    let resolvers = query_only.file("src/resolvers.rs");
    assert!(
        !resolvers.contains("trait Mutation") && !resolvers.contains("trait Subscription"),
        "{resolvers}"
    );
    let all_roots = crates.iter().find(|c| c.stem == "all_roots").unwrap();
    let kinds = all_roots.file("src/kinds.rs");
    assert_has(kinds, "Self_ = 2u16,");
    assert_has(kinds, "FarAway = 300u16,");
}

#[test]
fn recursive_fields_are_boxed_and_lists_are_not() {
    let crates = generate_corpus();
    let recursive = crates.iter().find(|c| c.stem == "recursive").unwrap();
    let outputs = recursive.file("src/outputs.rs");
    assert_has(
        outputs,
        "pub parent: ::std::option::Option<::std::boxed::Box<crate::outputs::TreeNode>>,",
    );
    assert_has(
        outputs,
        "pub children: ::std::vec::Vec<crate::outputs::TreeNode>,",
    );
    let inputs = recursive.file("src/inputs.rs");
    assert_has(
        inputs,
        "pub not: ::std::option::Option<::std::boxed::Box<crate::inputs::Filter>>,",
    );
    assert_has(
        inputs,
        "pub and: ::std::option::Option<::std::vec::Vec<crate::inputs::Filter>>,",
    );
    // The extension's field is merged.
    assert_has(inputs, "pub min_depth: ::std::option::Option<i32>,");
    let enums = recursive.file("src/enums.rs");
    assert_has(
        enums,
        "pub const ALL: [Order; 2usize] = [Order::Asc, Order::Desc];",
    );
}

#[test]
fn interfaces_and_unions_become_enums_over_their_objects() {
    let crates = generate_corpus();
    let interfaces = crates.iter().find(|c| c.stem == "interfaces").unwrap();
    let outputs = interfaces.file("src/outputs.rs");
    let variants = |name: &str| -> Vec<String> {
        let start = outputs
            .find(&format!("pub enum {name} {{"))
            .unwrap_or_else(|| panic!("no enum {name}:\n{outputs}"));
        let body = &outputs[start..start + outputs[start..].find("\n}").unwrap()];
        body.lines()
            .map(str::trim)
            .filter(|line| line.ends_with("),"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        variants("Node"),
        ["Folder(Folder),", "Image(Image),", "Video(Video),"]
    );
    assert_eq!(variants("Resource"), ["Image(Image),", "Video(Video),"]);
    assert_eq!(variants("Sized"), ["Image(Image),"]);
    assert_eq!(
        variants("Media"),
        ["Folder(Folder),", "Image(Image),", "Video(Video),"]
    );
    assert_eq!(variants("Hit"), ["Folder(Folder),", "Image(Image),"]);
    // A field with arguments on an object is a Resolver.
    assert_has(
        outputs,
        "pub alt: crate::runtime::Resolver<crate::inputs::ImageAltArgs, ::std::string::String>,",
    );
    let glue = interfaces.file("src/graphql.rs");
    assert_has(glue, "gql::Interface::new(\"Resource\")");
    assert_has(glue, ".implement(\"Node\")");
}

#[test]
fn every_root_layout_gets_its_traits() {
    let crates = generate_corpus();
    let all_roots = crates.iter().find(|c| c.stem == "all_roots").unwrap();
    let resolvers = all_roots.file("src/resolvers.rs");
    for root in ["RootQuery", "RootMutation", "RootSubscription"] {
        assert_has(resolvers, &format!("pub trait {root}: "));
        assert_has(resolvers, &format!("impl {root} for Unimplemented"));
    }
    assert_has(
        resolvers,
        "crate::runtime::EventStream<crate::outputs::TaskEvent>",
    );
    let glue = all_roots.file("src/graphql.rs");
    assert_has(
        glue,
        "gql::Schema::build(\"RootQuery\", ::std::option::Option::Some(\"RootMutation\"), ::std::option::Option::Some(\"RootSubscription\"))",
    );
    let manifest = all_roots.file("Cargo.toml");
    assert_has(manifest, "name = \"corpus-all-roots\"");
    assert!(
        all_roots.output.files.contains_key("src/ops.rs")
            && all_roots.output.files.contains_key("src/kinds.rs")
    );
    assert!(
        !all_roots
            .output
            .files
            .keys()
            .any(|path| path.contains("kinds.lock")),
        "standalone crates get no lock"
    );
    assert!(crate_dir().join("tests/corpus/ops/Tag.v0.json").exists());
}
