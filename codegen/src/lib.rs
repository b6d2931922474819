//! jitos-codegen: the schema compiler. GraphQL SDL, NodeKind/EdgeKind registries and rewrite-op
//! JSON Schemas in; formatted Rust source text out.
//!
//! The pipeline is parse → check → IR (ordered maps) → `quote!` → `syn` → `prettyplease`. The
//! crate is pure: callers pass file names and contents and receive file names and contents, so
//! `cargo xtask codegen`, its `--check` mode and the tests all run the very same function.
//!
//! # Invariants
//! - No file system, clock, environment or randomness: `generate` is a pure function.
//! - Output never depends on the order of items in the inputs, only on their content (and on
//!   where they stand, which the `Source:` doc lines name).
//! - An input with any error produces no output, only diagnostics.

use std::collections::BTreeMap;

mod cbor;
pub mod diag;
mod emit;
pub mod ir;
pub mod kinds;
pub mod naming;
pub mod ops;
pub mod sdl;

pub use diag::{Diagnostic, Diagnostics, Loc, Severity};
pub use emit::Layout;

/// One input file: its name as diagnostics show it, and its text.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// Name relative to the repository (or as the user gave it).
    pub name: &'a str,
    /// Contents.
    pub text: &'a str,
}

/// Everything the generator reads.
#[derive(Debug, Clone, Default)]
pub struct Inputs<'a> {
    /// The GraphQL SDL.
    pub sdl: Option<Source<'a>>,
    /// `scalars.toml`: the Rust representation of each custom scalar.
    pub scalars: Option<Source<'a>>,
    /// The NodeKind registry.
    pub node_kinds: Option<Source<'a>>,
    /// The EdgeKind registry.
    pub edge_kinds: Option<Source<'a>>,
    /// The previous `kinds.lock`, if one exists.
    pub kinds_lock: Option<Source<'a>>,
    /// Rewrite-op JSON Schemas, in any order.
    pub ops: Vec<Source<'a>>,
}

/// How to generate.
#[derive(Debug, Clone)]
pub struct Options {
    /// Workspace crates or one standalone crate.
    pub layout: Layout,
    /// How a missing description is reported.
    pub missing_description: Severity,
    /// Package name of a standalone crate.
    pub crate_name: String,
}

impl Options {
    /// The options `cargo xtask codegen` uses for this repository.
    pub fn workspace() -> Options {
        Options {
            layout: Layout::Workspace,
            missing_description: Severity::Error,
            crate_name: "jitos-schema".to_owned(),
        }
    }

    /// The options for a standalone crate named `crate_name`.
    pub fn standalone(crate_name: &str) -> Options {
        Options {
            layout: Layout::Standalone,
            missing_description: Severity::Error,
            crate_name: crate_name.to_owned(),
        }
    }
}

/// What the generator produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// File path (relative to the repository root, or to the output directory of a standalone
    /// crate) to contents.
    pub files: BTreeMap<String, String>,
    /// Warnings, e.g. unknown directives.
    pub warnings: Vec<Diagnostic>,
}

/// Where generated files go in the workspace layout.
pub const WORKSPACE_SCHEMA_CRATE: &str = "generated/jitos-schema";
/// Where the glue goes in the workspace layout.
pub const WORKSPACE_GLUE_CRATE: &str = "generated/jitos-schema-graphql";
/// Where the lock of kind ids lives.
pub const KINDS_LOCK: &str = "schema/kinds/kinds.lock";

/// Runs the whole pipeline.
pub fn generate(inputs: &Inputs<'_>, options: &Options) -> Result<Output, Diagnostics> {
    let mut diags = Diagnostics::default();
    let Some(sdl) = inputs.sdl else {
        diags.error(&Loc::new("<inputs>", 1, 1), "no SDL file given");
        return Err(diags);
    };
    let scalars = inputs
        .scalars
        .map(|source| parse_scalars(source, &mut diags))
        .unwrap_or_default();
    let sdl_options = sdl::SdlOptions {
        scalars,
        missing_description: options.missing_description,
    };
    let schema = sdl::lower(sdl.name, sdl.text, &sdl_options, &mut diags);
    let registries = parse_registries(inputs, &mut diags);
    let mut ops: Vec<ops::Op> = inputs
        .ops
        .iter()
        .filter_map(|source| ops::parse(source.name, source.text, &mut diags))
        .collect();
    ops.sort_by(|a, b| a.name.cmp(&b.name));
    for pair in ops.windows(2) {
        if pair[0].name == pair[1].name {
            diags.error(
                &Loc::new(&pair[1].file, 1, 1),
                format!(
                    "op `{}` is defined twice; also in {}",
                    pair[1].name, pair[0].file
                ),
            );
        }
    }
    let Some(schema) = schema else {
        return Err(diags);
    };
    if diags.has_errors() {
        return Err(diags);
    }
    let files = emit_all(&schema, registries.as_ref(), &ops, options);
    let mut files = files;
    if let Some((nodes, edges)) = &registries
        && options.layout == Layout::Workspace
    {
        files.insert(KINDS_LOCK.to_owned(), kinds::lock_text(&[nodes, edges]));
    }
    Ok(Output {
        files,
        warnings: diags.sorted(),
    })
}

fn parse_scalars(source: Source<'_>, diags: &mut Diagnostics) -> BTreeMap<String, ir::ScalarRepr> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct ScalarEntry {
        repr: String,
    }
    let parsed: BTreeMap<String, toml::Spanned<ScalarEntry>> = match toml::from_str(source.text) {
        Ok(parsed) => parsed,
        Err(error) => {
            let loc = kinds::loc_at(
                source.name,
                source.text,
                error.span().map_or(0, |span| span.start),
            );
            diags.error(&loc, error.message().to_owned());
            return BTreeMap::new();
        }
    };
    let mut scalars = BTreeMap::new();
    for (name, entry) in parsed {
        let loc = kinds::loc_at(source.name, source.text, entry.span().start);
        match ir::ScalarRepr::from_config(&entry.get_ref().repr) {
            Some(repr) => {
                scalars.insert(name, repr);
            }
            None => diags.error(
                &loc,
                format!(
                    "scalar `{name}`: unknown repr `{}` (string, json, hex32, u64, u32)",
                    entry.get_ref().repr
                ),
            ),
        }
    }
    scalars
}

fn parse_registries(
    inputs: &Inputs<'_>,
    diags: &mut Diagnostics,
) -> Option<(kinds::Registry, kinds::Registry)> {
    let (node_source, edge_source) = match (inputs.node_kinds, inputs.edge_kinds) {
        (None, None) => return None,
        (Some(nodes), Some(edges)) => (nodes, edges),
        (Some(only), None) | (None, Some(only)) => {
            diags.error(
                &Loc::new(only.name, 1, 1),
                "node and edge kind registries come together",
            );
            return None;
        }
    };
    let nodes = kinds::parse(
        kinds::Family::Node,
        node_source.name,
        node_source.text,
        diags,
    );
    let edges = kinds::parse(
        kinds::Family::Edge,
        edge_source.name,
        edge_source.text,
        diags,
    );
    let (nodes, edges) = (nodes?, edges?);
    kinds::check_endpoints(&nodes, &edges, diags);
    if let Some(lock) = inputs.kinds_lock {
        kinds::check_lock(lock.name, lock.text, &[&nodes, &edges], diags);
    }
    Some((nodes, edges))
}

#[allow(
    clippy::too_many_lines,
    reason = "one arm per kind of input; splitting it would scatter one mapping"
)]
fn emit_all(
    schema: &ir::Schema,
    registries: Option<&(kinds::Registry, kinds::Registry)>,
    ops: &[ops::Op],
    options: &Options,
) -> BTreeMap<String, String> {
    let (schema_crate, implement_note) = match options.layout {
        Layout::Workspace => (
            quote::quote!(::jitos_schema),
            "implement the resolvers in jitos-kernel".to_owned(),
        ),
        Layout::Standalone => (
            quote::quote!(crate),
            "implement every method of the resolver traits".to_owned(),
        ),
    };
    let ctx = emit::Ctx {
        schema,
        schema_crate,
        implement_note,
    };
    let mut modules: Vec<(&str, String)> = vec![
        ("runtime", emit::RUNTIME.to_owned()),
        ("enums", emit::enums::emit(&ctx)),
        ("inputs", emit::types::emit_inputs(&ctx)),
        ("outputs", emit::types::emit_outputs(&ctx)),
        ("validate", emit::validate::emit(&ctx)),
        ("resolvers", emit::resolvers::emit(&ctx)),
    ];
    if let Some((nodes, edges)) = registries {
        let source = format!(
            "{} and {}",
            nodes
                .kinds
                .values()
                .next()
                .map_or("", |k| k.loc.file.as_str()),
            edges
                .kinds
                .values()
                .next()
                .map_or("", |k| k.loc.file.as_str())
        );
        modules.push(("kinds", emit::kinds::emit(nodes, edges, &source)));
    }
    if !ops.is_empty() {
        modules.push(("ops", emit::ops::emit(ops)));
    }
    let glue = emit::glue::emit(&ctx);
    let mut files = BTreeMap::new();
    match options.layout {
        Layout::Workspace => {
            let names: Vec<&str> = modules.iter().map(|(name, _)| *name).collect();
            files.insert(
                format!("{WORKSPACE_SCHEMA_CRATE}/src/lib.rs"),
                emit::crates::schema_lib(&schema.file, &names),
            );
            for (name, text) in modules {
                files.insert(format!("{WORKSPACE_SCHEMA_CRATE}/src/{name}.rs"), text);
            }
            files.insert(
                format!("{WORKSPACE_GLUE_CRATE}/src/lib.rs"),
                emit::crates::glue_lib(&schema.file),
            );
            files.insert(format!("{WORKSPACE_GLUE_CRATE}/src/schema.rs"), glue);
        }
        Layout::Standalone => {
            let mut names: Vec<&str> = modules.iter().map(|(name, _)| *name).collect();
            names.push("graphql");
            files.insert(
                "src/lib.rs".to_owned(),
                emit::crates::schema_lib(&schema.file, &names),
            );
            for (name, text) in modules {
                files.insert(format!("src/{name}.rs"), text);
            }
            files.insert("src/graphql.rs".to_owned(), glue);
            files.insert(
                "Cargo.toml".to_owned(),
                emit::crates::standalone_manifest(&options.crate_name),
            );
        }
    }
    files
}
