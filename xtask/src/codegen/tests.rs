//! Drift and determinism tests of `cargo xtask codegen`: the committed `generated/` is what the
//! schema gives today, two runs agree byte for byte, and the order of definitions in the inputs
//! never reaches the output.
//!
//! # Invariants
//! - These tests only read the repository; scratch files go to a fresh directory under the
//!   system temp dir and are removed afterwards.
//! - The shuffle uses a fixed seed, so a failure reproduces exactly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jitos_codegen::{Inputs, Options, Output, Source};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Every difference between `output` and the files under `root`: stale or missing files, and
/// orphaned `@generated` files the output no longer contains. CRLF counts as LF.
fn drift(root: &Path, output: &Output) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, text) in &output.files {
        match std::fs::read_to_string(root.join(path)) {
            Ok(committed) if committed.replace("\r\n", "\n") == *text => {}
            Ok(_) => problems.push(format!("stale: {path}")),
            Err(_) => problems.push(format!("missing: {path}")),
        }
    }
    let mut generated = Vec::new();
    for dir in super::OWNED_DIRS {
        super::collect_generated(root, &root.join(dir), &mut generated).unwrap();
    }
    generated.sort();
    for path in generated {
        if !output.files.contains_key(&path) {
            problems.push(format!("orphaned: {path}"));
        }
    }
    problems
}

fn workspace_output() -> Output {
    super::workspace_output(&root()).unwrap_or_else(|error| panic!("codegen failed: {error:#}"))
}

#[test]
fn generated_is_fresh() {
    let problems = drift(&root(), &workspace_output());
    assert!(
        problems.is_empty(),
        "generated files are out of date:\n  {}\nrun `cargo xtask codegen` and commit",
        problems.join("\n  ")
    );
}

#[test]
fn codegen_is_deterministic() {
    let first = workspace_output();
    let second = workspace_output();
    assert!(
        first.files.len() >= 10,
        "expected the whole workspace output, got {:?}",
        first.files.keys()
    );
    for (path, text) in &first.files {
        assert_eq!(
            second.files.get(path),
            Some(text),
            "{path} differs between two runs"
        );
    }
    assert_eq!(first, second);
}

/// The repository's inputs, by path.
struct RepoInputs {
    files: BTreeMap<String, String>,
    ops: Vec<String>,
}

const SDL: &str = "schema/jitos.graphql";
const SCALARS: &str = "schema/scalars.toml";
const NODE_KINDS: &str = "schema/kinds/node_kinds.toml";
const EDGE_KINDS: &str = "schema/kinds/edge_kinds.toml";

impl RepoInputs {
    fn read() -> RepoInputs {
        let root = root();
        let mut files = BTreeMap::new();
        for path in [
            SDL,
            SCALARS,
            NODE_KINDS,
            EDGE_KINDS,
            jitos_codegen::KINDS_LOCK,
        ] {
            files.insert(
                path.to_owned(),
                std::fs::read_to_string(root.join(path)).unwrap(),
            );
        }
        let mut ops = Vec::new();
        for entry in std::fs::read_dir(root.join("schema/ops")).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".json") {
                let path = format!("schema/ops/{name}");
                files.insert(
                    path.clone(),
                    std::fs::read_to_string(root.join(&path)).unwrap(),
                );
                ops.push(path);
            }
        }
        ops.sort();
        assert!(!ops.is_empty(), "schema/ops has no op");
        RepoInputs { files, ops }
    }

    fn generate(&self) -> Output {
        let source = |name: &str| {
            self.files
                .get_key_value(name)
                .map(|(name, text)| Source { name, text })
        };
        let inputs = Inputs {
            sdl: source(SDL),
            scalars: source(SCALARS),
            node_kinds: source(NODE_KINDS),
            edge_kinds: source(EDGE_KINDS),
            kinds_lock: source(jitos_codegen::KINDS_LOCK),
            ops: self.ops.iter().filter_map(|name| source(name)).collect(),
        };
        jitos_codegen::generate(&inputs, &Options::workspace())
            .unwrap_or_else(|diags| panic!("codegen failed:\n{diags}"))
    }

    /// Adds a copy of every op under a new name, so that the order of op files can matter.
    fn with_renamed_op_copies(mut self, new_name: &str) -> RepoInputs {
        for path in self.ops.clone() {
            let old_name = path
                .trim_start_matches("schema/ops/")
                .split('.')
                .next()
                .unwrap()
                .to_owned();
            let text = self.files[&path].replace(&old_name, &format!("{new_name}{old_name}"));
            let new_path = path.replace(&old_name, &format!("{new_name}{old_name}"));
            self.files.insert(new_path.clone(), text);
            self.ops.push(new_path);
        }
        self
    }
}

#[test]
fn editing_the_sdl_is_detected_as_drift() {
    let mut inputs = RepoInputs::read();
    let sdl = inputs.files.get_mut(SDL).unwrap();
    sdl.push_str(
        "\n\"A type added by a test.\"\ntype DriftProbe {\n  \"A field.\"\n  probe: Int\n}\n",
    );
    let problems = drift(&root(), &inputs.generate());
    assert!(
        problems.contains(&"stale: generated/jitos-schema/src/outputs.rs".to_owned()),
        "{problems:?}"
    );
    assert!(
        problems.contains(&"stale: generated/jitos-schema-graphql/src/schema.rs".to_owned()),
        "{problems:?}"
    );
}

/// A scratch directory under the system temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("xtask-codegen-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn drift_names_stale_missing_and_orphaned_files_and_ignores_crlf() {
    let scratch = Scratch::new("drift");
    let marker = format!("//! {} from x; do not edit.\n", super::MARKER);
    scratch.write("generated/a/src/lib.rs", &format!("{marker}pub mod b;\r\n"));
    scratch.write(
        "generated/a/src/old.rs",
        &format!("{marker}// no longer produced\n"),
    );
    scratch.write(
        "generated/a/src/stale.rs",
        &format!("{marker}// old text\n"),
    );
    scratch.write("generated/a/src/handwritten.rs", "//! Not generated.\n");
    let mut output = Output::default();
    output.files.insert(
        "generated/a/src/lib.rs".to_owned(),
        format!("{marker}pub mod b;\n"),
    );
    output.files.insert(
        "generated/a/src/stale.rs".to_owned(),
        format!("{marker}// new text\n"),
    );
    output.files.insert(
        "generated/a/src/new.rs".to_owned(),
        format!("{marker}// new file\n"),
    );
    assert_eq!(
        drift(&scratch.0, &output),
        [
            "missing: generated/a/src/new.rs",
            "stale: generated/a/src/stale.rs",
            "orphaned: generated/a/src/old.rs"
        ]
    );
}

/// A SplitMix64 generator: a fixed seed gives a fixed permutation on every platform.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Fisher-Yates; asserts the result is not the identity, so the test shuffles for real.
    fn shuffle<T: Clone + PartialEq>(&mut self, items: &mut [T]) {
        let original = items.to_vec();
        for idx in (1..items.len()).rev() {
            let bound = u64::try_from(idx + 1).unwrap();
            let pick = usize::try_from(self.next() % bound).unwrap();
            items.swap(idx, pick);
        }
        if items.len() > 1 && items == original.as_slice() {
            items.reverse();
        }
        assert!(items.len() < 2 || items != original.as_slice());
    }
}

/// Tracks, line by line, whether the SDL is inside a block string or a `{`/`(`/`[` group.
#[derive(Default)]
struct SdlScanner {
    depth: usize,
    in_block_string: bool,
}

impl SdlScanner {
    fn scan(&mut self, line: &str) {
        let bytes = line.as_bytes();
        let mut idx = 0;
        let mut in_string = false;
        while idx < bytes.len() {
            let rest = &bytes[idx..];
            if self.in_block_string {
                if rest.starts_with(b"\"\"\"") {
                    self.in_block_string = false;
                    idx += 3;
                } else {
                    idx += 1;
                }
                continue;
            }
            if in_string {
                match bytes[idx] {
                    b'\\' => idx += 2,
                    b'"' => {
                        in_string = false;
                        idx += 1;
                    }
                    _ => idx += 1,
                }
                continue;
            }
            match bytes[idx] {
                b'#' => break,
                b'"' if rest.starts_with(b"\"\"\"") => {
                    self.in_block_string = true;
                    idx += 3;
                    continue;
                }
                b'"' => in_string = true,
                b'{' | b'(' | b'[' => self.depth += 1,
                b'}' | b')' | b']' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
            idx += 1;
        }
    }
}

/// Splits SDL into its top-level definitions, each with the descriptions and comments that
/// lead it. Concatenating the pieces gives the text back.
fn split_definitions(sdl: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut has_definition = false;
    let mut scanner = SdlScanner::default();
    for line in sdl.split_inclusive('\n') {
        let top_level = scanner.depth == 0 && !scanner.in_block_string;
        let starts_definition = top_level && line.starts_with(|c: char| c.is_ascii_alphabetic());
        let starts_lead = top_level && line.starts_with(['"', '#']);
        if (starts_definition || starts_lead) && has_definition {
            pieces.push(std::mem::take(&mut current));
            has_definition = false;
        }
        has_definition |= starts_definition;
        current.push_str(line);
        scanner.scan(line);
    }
    pieces.push(current);
    pieces
}

/// Splits a registry into its header (comments before the first table) and its `[[...]]` tables.
fn split_tables(toml: &str) -> (String, Vec<String>) {
    let mut header = String::new();
    let mut tables: Vec<String> = Vec::new();
    for line in toml.split_inclusive('\n') {
        if line.starts_with("[[") {
            tables.push(String::new());
        }
        match tables.last_mut() {
            Some(table) => table.push_str(line),
            None => header.push_str(line),
        }
    }
    (header, tables)
}

fn with_newline(mut text: String) -> String {
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Replaces the position in every ``Source: `file:line:column` `` doc line with `L:C`.
fn mask_source_positions(text: &str) -> String {
    const OPEN: &str = "Source: `";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        let (before, after) = rest.split_at(start + OPEN.len());
        out.push_str(before);
        let end = after.find('`').unwrap_or(after.len());
        let place = &after[..end];
        let mut parts = place.rsplitn(3, ':');
        let (column, line, file) = (parts.next(), parts.next(), parts.next());
        match (file, line, column) {
            (Some(file), Some(line), Some(column))
                if line.parse::<usize>().is_ok() && column.parse::<usize>().is_ok() =>
            {
                out.push_str(file);
                out.push_str(":L:C");
            }
            _ => out.push_str(place),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn sdl_split_round_trips_and_finds_every_definition() {
    let inputs = RepoInputs::read();
    let sdl = &inputs.files[SDL];
    let pieces = split_definitions(sdl);
    assert_eq!(pieces.concat(), *sdl);
    let keywords = [
        "schema",
        "directive",
        "scalar",
        "type",
        "interface",
        "union",
        "enum",
        "input",
        "extend",
    ];
    let n_definitions = sdl
        .lines()
        .filter(|line| keywords.iter().any(|k| line.starts_with(&format!("{k} "))))
        .count();
    assert_eq!(pieces.len(), n_definitions);
    let input_piece = pieces
        .iter()
        .find(|piece| piece.contains("directive @constraint("))
        .unwrap();
    assert!(
        input_piece.starts_with("\"\"\"\nInput constraint"),
        "{input_piece}"
    );
    assert_eq!(
        mask_source_positions("/// Source: `a/b.graphql:12:3`.\nSource: `x`"),
        "/// Source: `a/b.graphql:L:C`.\nSource: `x`"
    );
}

#[test]
fn shuffled_inputs_give_identical_output() {
    let canonical = RepoInputs::read().with_renamed_op_copies("Zz");
    let mut shuffled = RepoInputs::read().with_renamed_op_copies("Zz");
    let mut rng = SplitMix(0x6a69_746f_735f_7364);

    let mut definitions = split_definitions(&shuffled.files[SDL])
        .into_iter()
        .map(with_newline)
        .collect::<Vec<_>>();
    rng.shuffle(&mut definitions);
    shuffled.files.insert(SDL.to_owned(), definitions.concat());
    for registry in [NODE_KINDS, EDGE_KINDS] {
        let (header, tables) = split_tables(&shuffled.files[registry]);
        assert!(tables.len() > 5, "{registry} has too few tables to shuffle");
        let mut tables: Vec<String> = tables.into_iter().map(with_newline).collect();
        rng.shuffle(&mut tables);
        shuffled
            .files
            .insert(registry.to_owned(), format!("{header}{}", tables.concat()));
    }
    rng.shuffle(&mut shuffled.ops);
    assert_ne!(shuffled.files[SDL], canonical.files[SDL]);

    let expected = canonical.generate();
    let actual = shuffled.generate();
    assert!(expected.files.keys().any(|path| path.ends_with("/ops.rs")));
    assert_eq!(
        expected.files.keys().collect::<Vec<_>>(),
        actual.files.keys().collect::<Vec<_>>()
    );
    let mut n_moved = 0;
    for (path, text) in &expected.files {
        let other = &actual.files[path];
        n_moved += usize::from(text != other);
        assert_eq!(
            mask_source_positions(text),
            mask_source_positions(other),
            "{path} depends on the order of the inputs"
        );
    }
    assert!(
        n_moved > 0,
        "the shuffle moved no definition, so it proved nothing"
    );
}
