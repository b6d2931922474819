//! `cargo xtask`: project automation.
//!
//! - `cargo xtask codegen` regenerates `generated/` (and `schema/kinds/kinds.lock`) from `schema/`.
//! - `cargo xtask codegen --check` regenerates in memory and fails, naming each stale or orphaned
//!   file, when the committed files differ.
//! - `cargo xtask codegen --schema FILE.graphql --out DIR [--scalars FILE.toml] [--ops DIR]
//!   [--crate-name NAME]` writes a standalone crate for any SDL file.
//!
//! # Invariants
//! - All generation goes through `jitos_codegen::generate`; this binary only reads and writes files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};

mod codegen;
#[cfg(test)]
mod tidy;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode> {
    match args.first().map(String::as_str) {
        Some("codegen") => codegen::run(&workspace_root()?, &args[1..]),
        Some(other) => bail!("unknown task `{other}`; tasks: codegen"),
        None => bail!("usage: cargo xtask codegen [--check] | codegen --schema FILE --out DIR"),
    }
}

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> Result<PathBuf> {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .context("xtask has no parent directory")
}
