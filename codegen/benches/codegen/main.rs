//! Benchmarks of `jitos_codegen::generate`: on the repository's own inputs (SDL, scalars, kind
//! registries, lock, ops, as `cargo xtask codegen` reads them) and on a synthetic schema of
//! 2,404 types.
//!
//! Run: `cargo bench -p jitos-codegen --bench codegen`. The synthetic schema is read from
//! `target/synthetic.graphql` when it exists (write it with
//! `python3 scripts/gen_synthetic_schema.py target/synthetic.graphql`), and otherwise built in
//! memory by `synthetic.rs`, which writes the same text. Results: docs/PERFORMANCE.md.
//!
//! # Invariants
//! - Inputs are read once, outside the measured closures; only `generate` is timed.
//! - Each measured run must succeed: a bench of a failing generation would time the error path.

mod synthetic;

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_main};
use jitos_codegen::{Inputs, Options, Source};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("codegen lives in the workspace")
        .to_owned()
}

/// The repository's inputs as (name, text), in the order `cargo xtask codegen` passes them.
fn repository_files() -> Vec<(String, String)> {
    let root = workspace_root();
    let mut names: Vec<String> = [
        "schema/jitos.graphql",
        "schema/scalars.toml",
        "schema/kinds/node_kinds.toml",
        "schema/kinds/edge_kinds.toml",
        "schema/kinds/kinds.lock",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut ops: Vec<String> = std::fs::read_dir(root.join("schema/ops"))
        .expect("schema/ops exists")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".json"))
        .map(|name| format!("schema/ops/{name}"))
        .collect();
    ops.sort();
    names.extend(ops);
    names
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(root.join(&name))
                .unwrap_or_else(|error| panic!("reading {name}: {error}"));
            (name, text)
        })
        .collect()
}

fn repository_inputs(files: &[(String, String)]) -> Inputs<'_> {
    let source = |name: &str| {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(name, text)| Source { name, text })
    };
    Inputs {
        sdl: source("schema/jitos.graphql"),
        scalars: source("schema/scalars.toml"),
        node_kinds: source("schema/kinds/node_kinds.toml"),
        edge_kinds: source("schema/kinds/edge_kinds.toml"),
        kinds_lock: source("schema/kinds/kinds.lock"),
        ops: files
            .iter()
            .filter(|(name, _)| name.starts_with("schema/ops/"))
            .map(|(name, text)| Source { name, text })
            .collect(),
    }
}

/// The synthetic schema: `target/synthetic.graphql` if present, else built in memory.
fn synthetic_text() -> String {
    let path = workspace_root().join("target/synthetic.graphql");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            eprintln!("synthetic schema: {}", path.display());
            text
        }
        Err(_) => {
            eprintln!(
                "synthetic schema: built in memory ({} groups)",
                synthetic::DEFAULT_GROUPS
            );
            synthetic::synthetic_schema(synthetic::DEFAULT_GROUPS)
        }
    }
}

fn bench_repository(c: &mut Criterion) {
    let files = repository_files();
    let inputs = repository_inputs(&files);
    let options = Options::workspace();
    let output =
        jitos_codegen::generate(&inputs, &options).unwrap_or_else(|diags| panic!("{diags}"));
    let bytes_out: usize = output.files.values().map(String::len).sum();
    eprintln!(
        "repository: {} input bytes, {} files, {bytes_out} output bytes",
        files.iter().map(|(_, t)| t.len()).sum::<usize>(),
        output.files.len()
    );
    let mut group = c.benchmark_group("generate");
    group.throughput(Throughput::Bytes(
        u64::try_from(bytes_out).unwrap_or(u64::MAX),
    ));
    group.bench_function("repository", |b| {
        b.iter(|| jitos_codegen::generate(black_box(&inputs), &options).expect("generates"))
    });
    group.finish();
}

fn bench_synthetic(c: &mut Criterion) {
    let text = synthetic_text();
    let inputs = Inputs {
        sdl: Some(Source {
            name: "target/synthetic.graphql",
            text: &text,
        }),
        ..Inputs::default()
    };
    let options = Options::standalone("synthetic");
    let output =
        jitos_codegen::generate(&inputs, &options).unwrap_or_else(|diags| panic!("{diags}"));
    let bytes_out: usize = output.files.values().map(String::len).sum();
    eprintln!(
        "synthetic: {} input bytes, {bytes_out} output bytes",
        text.len()
    );
    let mut group = c.benchmark_group("generate");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(
        u64::try_from(bytes_out).unwrap_or(u64::MAX),
    ));
    group.bench_function("synthetic_2404_types", |b| {
        b.iter(|| jitos_codegen::generate(black_box(&inputs), &options).expect("generates"))
    });
    group.finish();
}

/// Private, so the undocumented `pub fn` that `criterion_group!` generates is not exported.
mod group {
    use super::{bench_repository, bench_synthetic};

    criterion::criterion_group!(benches, bench_repository, bench_synthetic);
}

criterion_main!(group::benches);
