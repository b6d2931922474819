//! The ops of `apply`, in command-line order: op flags and `--ops-file` contents are read from
//! clap's matches with their positions, sorted, and each payload flag joined to the op flag just
//! before it.
//!
//! # Invariants
//! - Ops are sent in the order their flags appear on the command line; an `--ops-file`
//!   contributes its ops, in file order, at its position.
//! - A payload flag belongs to the op flag immediately before it; a payload flag with no such
//!   op, or a second payload for one op, is a usage error, never silently dropped.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use clap::ArgMatches;
use jitos_client::Op;

/// One op-related flag as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Flag {
    OpsFile(PathBuf),
    AddNode(String),
    PayloadFile(PathBuf),
    Payload(String),
    AddEdge(String, String, String),
    EdgePayloadFile(PathBuf),
    RemoveNode(String),
    RemoveEdge(String),
}

/// Where a payload comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Payload {
    File(PathBuf),
    Text(String),
}

/// An op, or a file of ops, with its payload joined, not yet read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Planned {
    OpsFile(PathBuf),
    AddNode {
        kind: String,
        payload: Option<Payload>,
    },
    AddEdge {
        from: String,
        to: String,
        kind: String,
        payload: Option<PathBuf>,
    },
    RemoveNode(String),
    RemoveEdge(String),
}

/// The op flags of `apply`'s matches, each with its position on the command line.
pub(crate) fn flags(matches: &ArgMatches) -> Vec<(usize, Flag)> {
    fn each<T: Clone + Send + Sync + 'static>(
        matches: &ArgMatches,
        id: &str,
        flag: impl Fn(T) -> Flag,
        flags: &mut Vec<(usize, Flag)>,
    ) {
        if let (Some(values), Some(indices)) = (matches.get_many::<T>(id), matches.indices_of(id)) {
            flags.extend(indices.zip(values.cloned().map(flag)));
        }
    }
    let mut flags = Vec::new();
    each(matches, "ops_file", Flag::OpsFile, &mut flags);
    each(matches, "add_node", Flag::AddNode, &mut flags);
    each(matches, "payload_file", Flag::PayloadFile, &mut flags);
    each(matches, "payload", Flag::Payload, &mut flags);
    each(
        matches,
        "edge_payload_file",
        Flag::EdgePayloadFile,
        &mut flags,
    );
    each(matches, "remove_node", Flag::RemoveNode, &mut flags);
    each(matches, "remove_edge", Flag::RemoveEdge, &mut flags);
    if let (Some(values), Some(indices)) = (
        matches.get_many::<String>("add_edge"),
        matches.indices_of("add_edge"),
    ) {
        let values: Vec<&String> = values.collect();
        let indices: Vec<usize> = indices.collect();
        for (chunk, index) in values.chunks(3).zip(indices.chunks(3)) {
            if let ([from, to, kind], [first, ..]) = (chunk, index) {
                let flag = Flag::AddEdge((*from).clone(), (*to).clone(), (*kind).clone());
                flags.push((*first, flag));
            }
        }
    }
    flags
}

/// Sorts `flags` by position and joins each payload to its op.
///
/// # Errors
/// A usage message when a payload flag does not follow an op it can belong to.
pub(crate) fn plan(mut flags: Vec<(usize, Flag)>) -> Result<Vec<Planned>, String> {
    flags.sort_by_key(|(index, _)| *index);
    let mut planned: Vec<Planned> = Vec::new();
    for (_, flag) in flags {
        match flag {
            Flag::PayloadFile(path) => attach_node(&mut planned, Payload::File(path))?,
            Flag::Payload(text) => attach_node(&mut planned, Payload::Text(text))?,
            Flag::EdgePayloadFile(path) => attach_edge(&mut planned, path)?,
            Flag::OpsFile(path) => planned.push(Planned::OpsFile(path)),
            Flag::AddNode(kind) => planned.push(Planned::AddNode {
                kind,
                payload: None,
            }),
            Flag::AddEdge(from, to, kind) => planned.push(Planned::AddEdge {
                from,
                to,
                kind,
                payload: None,
            }),
            Flag::RemoveNode(id) => planned.push(Planned::RemoveNode(id)),
            Flag::RemoveEdge(id) => planned.push(Planned::RemoveEdge(id)),
        }
    }
    Ok(planned)
}

fn attach_node(planned: &mut [Planned], given: Payload) -> Result<(), String> {
    match planned.last_mut() {
        Some(Planned::AddNode {
            payload: slot @ None,
            ..
        }) => {
            *slot = Some(given);
            Ok(())
        }
        Some(Planned::AddNode { kind, .. }) => Err(format!(
            "--add-node {kind} has two payloads; give one --payload-file or --payload"
        )),
        _ => Err("--payload-file and --payload must follow the --add-node they belong to".into()),
    }
}

fn attach_edge(planned: &mut [Planned], path: PathBuf) -> Result<(), String> {
    match planned.last_mut() {
        Some(Planned::AddEdge {
            payload: slot @ None,
            ..
        }) => {
            *slot = Some(path);
            Ok(())
        }
        Some(Planned::AddEdge { kind, .. }) => Err(format!(
            "--add-edge .. {kind} has two payloads; give one --edge-payload-file"
        )),
        _ => Err("--edge-payload-file must follow the --add-edge it belongs to".into()),
    }
}

/// Reads the files `planned` names and returns the ops as the API takes them.
pub(crate) fn load(planned: Vec<Planned>) -> Result<Vec<serde_json::Value>> {
    let mut ops = Vec::new();
    for item in planned {
        match item {
            Planned::OpsFile(path) => ops.extend(read_ops_file(&path)?),
            Planned::AddNode { kind, payload } => {
                let bytes = match payload {
                    None => Vec::new(),
                    Some(Payload::Text(text)) => text.into_bytes(),
                    Some(Payload::File(path)) => read(&path)?,
                };
                ops.push(Op::add_node(kind, &bytes).to_json());
            }
            Planned::AddEdge {
                from,
                to,
                kind,
                payload,
            } => {
                let bytes = payload.as_deref().map(read).transpose()?;
                ops.push(Op::add_edge(from, to, kind, bytes.as_deref()).to_json());
            }
            Planned::RemoveNode(id) => ops.push(Op::remove_node(id).to_json()),
            Planned::RemoveEdge(id) => ops.push(Op::remove_edge(id).to_json()),
        }
    }
    Ok(ops)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("reading stdin")?;
        return Ok(bytes);
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// The ops of an ops file: a JSON array of objects. Their fields are the server's to check.
fn read_ops_file(path: &Path) -> Result<Vec<serde_json::Value>> {
    let bytes = read(path)?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not JSON", path.display()))?;
    let serde_json::Value::Array(ops) = value else {
        bail!(
            "{} must hold a JSON array of ops such as [{{\"op\": \"AddNode\", \"data\": {{..}}}}]",
            path.display()
        );
    };
    if let Some(position) = ops.iter().position(|op| !op.is_object()) {
        bail!("{}: op {position} is not a JSON object", path.display());
    }
    Ok(ops)
}
