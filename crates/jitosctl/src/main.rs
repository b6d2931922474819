//! `jitosctl`: the command-line client of `jitosd`.
//!
//! It speaks GraphQL over HTTP through typed operations (see `operations.rs`), prints tables for
//! people and JSON with `--json`, and exits with a status that names the server's error code.
//!
//! # Invariants
//! - jitosctl never links the kernel: everything it knows comes through the API.
//! - Exit status 0 means the server accepted the request; see `EXIT_CODES` for the rest.

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use base64::Engine as _;
use clap::{Parser, Subcommand};

mod client;
mod operations;
mod print;

use client::{Client, Failure};
use operations as ops;

/// Exit status per server error code; 1 is a failure that never reached a GraphQL answer.
const EXIT_CODES: &[(&str, u8)] = &[
    ("INVALID_INPUT", 2),
    ("NOT_FOUND", 3),
    ("NOT_IMPLEMENTED", 4),
    ("CONFLICT", 5),
    ("LIMIT_EXCEEDED", 6),
    ("FORBIDDEN", 7),
    ("INTERNAL", 8),
];

#[derive(Parser)]
#[command(
    name = "jitosctl",
    version,
    about = "Talk to a running jitosd: read views and the event log, manage SWS overlays, apply rewrites.",
    after_help = "Views: `system`, or `sws:N` for shadow working set N.\n\
                  Exit status: 0 ok, 1 no answer (daemon down, bad URL), 2 INVALID_INPUT, 3 NOT_FOUND,\n\
                  4 NOT_IMPLEMENTED, 5 CONFLICT, 6 LIMIT_EXCEEDED, 7 FORBIDDEN, 8 INTERNAL.\n\n\
                  Example:\n  jitosctl sws create\n  jitosctl apply --view sws:0 --add-node demo --payload hello\n  jitosctl graph --view sws:0 --digest"
)]
struct Cli {
    /// The daemon's GraphQL endpoint.
    #[arg(
        long,
        global = true,
        default_value = "http://127.0.0.1:8080/graphql",
        env = "JITOS_URL"
    )]
    url: String,
    /// Print the response data as JSON, for scripts.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show a view: its digest, or its nodes and edges.
    Graph {
        /// `system` or `sws:N`.
        #[arg(long, default_value = "system")]
        view: View,
        /// Print only the digest.
        #[arg(long)]
        digest: bool,
        /// How many nodes and edges to list.
        #[arg(long, default_value_t = 200)]
        first: i64,
    },
    /// List the events that target a view, by ascending idx.
    Rewrites {
        /// `system` or `sws:N`.
        #[arg(long)]
        view: View,
        /// How many events to list.
        #[arg(long, default_value_t = 200)]
        first: i64,
    },
    /// Manage shadow working sets.
    #[command(subcommand)]
    Sws(SwsCommand),
    /// Apply a rewrite to an SWS.
    Apply {
        /// `sws:N` (System is written only by collapsing an SWS).
        #[arg(long)]
        view: View,
        /// Add a node of this kind.
        #[arg(long = "add-node", value_name = "KIND")]
        add_node: String,
        /// Read the node's payload from this file.
        #[arg(long, value_name = "FILE", conflicts_with = "payload")]
        payload_file: Option<std::path::PathBuf>,
        /// Use this text (as UTF-8 bytes) as the node's payload.
        #[arg(long, value_name = "TEXT")]
        payload: Option<String>,
    },
}

#[derive(Subcommand)]
enum SwsCommand {
    /// Create an SWS over the current System.
    Create {
        /// Metadata to record with the event, as JSON.
        #[arg(long)]
        meta: Option<String>,
    },
    /// List every SWS.
    List {
        /// How many to list.
        #[arg(long, default_value_t = 200)]
        first: i64,
    },
    /// Discard an SWS.
    Discard {
        /// The SWS id.
        id: String,
        /// Why, recorded with the event.
        #[arg(long)]
        reason: Option<String>,
    },
}

/// A view named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum View {
    System,
    Sws(String),
}

impl std::str::FromStr for View {
    type Err = String;

    fn from_str(text: &str) -> Result<View, String> {
        match text.split_once(':') {
            None if text.eq_ignore_ascii_case("system") => Ok(View::System),
            Some((kind, id)) if kind.eq_ignore_ascii_case("sws") && !id.is_empty() => {
                Ok(View::Sws(id.to_owned()))
            }
            _ => Err(format!("`{text}` is not a view: use `system` or `sws:N`")),
        }
    }
}

/// Builds the `ViewRefInput` of one operation module (each has its own generated type).
macro_rules! view_input {
    ($module:ident, $view:expr) => {
        match $view {
            View::System => ops::$module::ViewRefInput {
                kind: ops::$module::ViewKind::SYSTEM,
                sws_id: None,
                snapshot_id: None,
            },
            View::Sws(id) => ops::$module::ViewRefInput {
                kind: ops::$module::ViewKind::SWS,
                sws_id: Some(id.clone()),
                snapshot_id: None,
            },
        }
    };
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            let code = error
                .downcast_ref::<Failure>()
                .map_or(1, |failure| match failure {
                    Failure::Server { code, .. } => EXIT_CODES
                        .iter()
                        .find(|(name, _)| name == code)
                        .map_or(8, |(_, status)| *status),
                    Failure::Transport(_) => 1,
                });
            ExitCode::from(code)
        }
    }
}

fn run(cli: &Cli) -> Result<()> {
    let client = Client::new(&cli.url);
    let json = cli.json;
    match &cli.command {
        Command::Graph {
            view, digest: true, ..
        } => {
            let data = client.run::<ops::GraphDigest>(ops::graph_digest::Variables {
                view: view_input!(graph_digest, view),
            })?;
            print::digest(json, &data)
        }
        Command::Graph {
            view,
            digest: false,
            first,
        } => {
            let variables = ops::graph_nodes::Variables {
                view: view_input!(graph_nodes, view),
                first: Some(*first),
            };
            print::graph(json, &client.run::<ops::GraphNodes>(variables)?)
        }
        Command::Rewrites { view, first } => {
            let variables = ops::rewrites::Variables {
                view: view_input!(rewrites, view),
                first: Some(*first),
            };
            print::rewrites(json, &client.run::<ops::Rewrites>(variables)?)
        }
        Command::Sws(command) => sws(&client, json, command),
        Command::Apply {
            view,
            add_node,
            payload_file,
            payload,
        } => {
            let bytes = match (payload_file, payload) {
                (Some(path), _) => {
                    std::fs::read(path).with_context(|| format!("reading {}", path.display()))?
                }
                (None, Some(text)) => text.as_bytes().to_vec(),
                (None, None) => Vec::new(),
            };
            let payload_b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
            let op = serde_json::json!({ "op": "AddNode", "data": { "kind": add_node, "payload_b64": payload_b64 } });
            let variables = ops::apply_rewrite::Variables {
                view: view_input!(apply_rewrite, view),
                ops: vec![op],
            };
            print::applied(json, &client.run::<ops::ApplyRewrite>(variables)?)
        }
    }
}

fn sws(client: &Client, json: bool, command: &SwsCommand) -> Result<()> {
    match command {
        SwsCommand::Create { meta } => {
            let meta = meta
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .context("--meta is not JSON")?;
            print::created(
                json,
                &client.run::<ops::CreateSws>(ops::create_sws::Variables { meta })?,
            )
        }
        SwsCommand::List { first } => print::sws_list(
            json,
            &client.run::<ops::ListSws>(ops::list_sws::Variables {
                first: Some(*first),
            })?,
        ),
        SwsCommand::Discard { id, reason } => {
            let variables = ops::discard_sws::Variables {
                sws_id: id.clone(),
                reason: reason.clone(),
            };
            print::discarded(json, &client.run::<ops::DiscardSws>(variables)?)
        }
    }
}

impl std::error::Error for Failure {}
