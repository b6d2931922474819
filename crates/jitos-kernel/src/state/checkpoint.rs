//! Checkpoint files: the derived state after the first `event_count` events, so a start
//! replays only the events after it (`docs/spec/checkpoints.md`).
//!
//! A file is `JCKP`, the format version (u32 little-endian), the BLAKE3 hash of the body, and
//! the body: one canonical CBOR map holding System's graph in full, the graphs of System at the
//! versions SWSs are based on (each as the ops that turn the next newer one into it), every SWS
//! as its record and the ops that turn its base into its graph, every view's version list, the
//! idempotency keys, and the hash of the WAL record of the last event covered, which ties the
//! file to one log. Events are not in it: the WAL has them.
//!
//! # Invariants
//! - A checkpoint is derived data: it is checked on load (hash of the body, every graph's digest
//!   recomputed and compared with the version it claims to be) and a file that fails any check
//!   is refused, never half used. The log stays the authority.
//! - Size follows content, not history: System once, each SWS by its difference from its base.
//! - The same state gives the same bytes.

use std::fmt::Display;
use std::sync::Arc;

use imbl::{OrdMap, Vector};
use jitos_core::cbor::{self, DecodeError, EncodeError};
use jitos_core::{Hash, Value, hash_bytes};
use jitos_graph::{Edge, Graph, Node};
use jitos_schema::enums::EventKind;
use jitos_schema::ops::Op;

use super::{State, SwsRecord, SwsState};
use crate::decode::{Dotted, Indexed, optional, shape, unsigned};
use crate::decode::{EventDecodeError, bytes, cbor_to_json, decode_op, entry, hash, map_at, text};
use crate::error::KernelError;
use crate::event::{Event, json_to_cbor, op_to_cbor};
use crate::history::{Version, ViewHistory};
use crate::merge;
use crate::rewrite;
use crate::view::ViewKey;

/// The format version this kernel writes and reads.
pub const CHECKPOINT_FORMAT_VERSION: u32 = 1;

const MAGIC: [u8; 4] = *b"JCKP";

/// Magic, format version, body hash.
const HEADER_LEN: usize = 4 + 4 + 32;

/// Why a checkpoint could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The file does not start like a checkpoint.
    #[error("checkpoint: not a checkpoint file (no JCKP header)")]
    Magic,
    /// A format this kernel does not read.
    #[error("checkpoint: format version {0} (this kernel reads {CHECKPOINT_FORMAT_VERSION})")]
    Version(u32),
    /// The body is not what the header's hash says (torn or damaged).
    #[error("checkpoint: the body does not match its hash (torn or damaged)")]
    Checksum,
    /// The body is not canonical CBOR.
    #[error("checkpoint: {0}")]
    Cbor(#[from] DecodeError),
    /// The body is CBOR, but a field is missing or malformed.
    #[error("checkpoint: {0}")]
    Shape(#[from] EventDecodeError),
    /// The content does not add up: a graph's digest is not its version's, or ops do not apply.
    #[error("checkpoint: {0}")]
    Inconsistent(#[from] KernelError),
    /// The state could not be encoded (a meta nests too deep).
    #[error("checkpoint: {0}")]
    Encode(#[from] EncodeError),
}

/// A checkpoint read back and checked.
#[derive(Debug)]
pub struct Checkpoint {
    /// Events covered: the state is the one after events `0..event_count`.
    pub event_count: u64,
    /// Hash of the WAL record of event `event_count - 1` (`Hash::ZERO` when none).
    pub last_record_hash: Hash,
    /// The state, without its events (the log has them).
    pub(crate) state: State,
}

impl State {
    /// This state as a checkpoint file tied to the WAL record whose hash is
    /// `last_record_hash` (the record of the last event).
    ///
    /// # Errors
    /// A graph this state needs cannot be rebuilt (a broken invariant), or a meta cannot be
    /// encoded.
    pub fn checkpoint_bytes(&self, last_record_hash: Hash) -> Result<Vec<u8>, CheckpointError> {
        let t = Value::text;
        let body = Value::map([
            (t("format"), Value::from(CHECKPOINT_FORMAT_VERSION)),
            (t("event_count"), Value::from(self.events.len() as u64)),
            (t("last_record_hash"), Value::from(last_record_hash)),
            (t("system"), self.system_to_cbor()?),
            (t("sws"), self.sws_to_cbor()?),
            (t("idempotency"), self.idempotency_to_cbor()),
            (
                t("last_collapse_committed"),
                self.last_collapse_committed
                    .map_or(Value::Null, Value::from),
            ),
        ])?;
        let body = cbor::encode(&body)?;
        let mut file = Vec::with_capacity(HEADER_LEN + body.len());
        file.extend_from_slice(&MAGIC);
        file.extend_from_slice(&CHECKPOINT_FORMAT_VERSION.to_le_bytes());
        file.extend_from_slice(hash_bytes(&body).as_bytes());
        file.extend_from_slice(&body);
        Ok(file)
    }

    fn system_to_cbor(&self) -> Result<Value, CheckpointError> {
        let t = Value::text;
        let history = self.system_history();
        let live = history.live();
        // The versions SWSs are based on, newest first, each as the ops from the one before.
        let mut bases = Vec::new();
        let mut newer = live.clone();
        for version in self.base_versions().into_iter().rev() {
            let graph = history.graph(version, &self.events)?;
            let ops = merge::ops(&newer.diff(&graph), &graph);
            bases.push(Value::map([
                (t("version"), Value::from(version as u64)),
                (t("ops"), Value::array(ops.iter().map(op_to_cbor))),
            ])?);
            newer = graph;
        }
        Ok(Value::map([
            (t("history"), history_to_cbor(history)?),
            (t("nodes"), nodes_to_cbor(live)),
            (t("edges"), edges_to_cbor(live)),
            (t("bases"), Value::array(bases)),
        ])?)
    }

    /// System's versions SWSs are based on, other than the live one, ascending.
    fn base_versions(&self) -> Vec<usize> {
        let live = self.system_history().n_versions() - 1;
        let mut versions: Vec<usize> = self
            .sws
            .values()
            .map(|record| record.base_version)
            .filter(|version| *version != live)
            .collect();
        versions.sort_unstable();
        versions.dedup();
        versions
    }

    fn sws_to_cbor(&self) -> Result<Value, CheckpointError> {
        let t = Value::text;
        let system = self.system_history();
        let mut items = Vec::with_capacity(self.sws.len());
        for (id, record) in &self.sws {
            let history = self.history_at(ViewKey::Sws(*id), "view")?;
            let base = system.graph(record.base_version, &self.events)?;
            let ops = merge::ops(&base.diff(history.live()), history.live());
            let meta = match &record.meta {
                Some(meta) => json_to_cbor(meta)?,
                None => Value::Null,
            };
            items.push(Value::map([
                (t("id"), Value::from(*id)),
                (t("base_digest"), Value::from(record.base_digest)),
                (t("base_version"), Value::from(record.base_version as u64)),
                (t("created_by"), Value::from(record.created_by)),
                (t("state"), t(record.state.as_str())),
                (t("meta"), meta),
                (t("history"), history_to_cbor(history)?),
                (t("ops"), Value::array(ops.iter().map(op_to_cbor))),
            ])?);
        }
        Ok(Value::array(items))
    }

    fn idempotency_to_cbor(&self) -> Value {
        Value::array(self.idempotency.iter().map(|(key, (request, idx))| {
            Value::array([
                Value::text(key.as_str()),
                Value::from(*request),
                Value::from(*idx),
            ])
        }))
    }

    fn system_history(&self) -> &ViewHistory {
        self.views
            .get(&ViewKey::System)
            .expect("System's history exists from the start")
    }
}

fn history_to_cbor(history: &ViewHistory) -> Result<Value, EncodeError> {
    let t = Value::text;
    let versions = history.versions().iter().map(|version| {
        Value::array([
            version.made_by.map_or(Value::Null, Value::from),
            Value::from(version.digest),
        ])
    });
    Value::map([
        (
            t("event_idxs"),
            Value::array(history.event_idxs().iter().map(|idx| Value::from(*idx))),
        ),
        (t("versions"), Value::array(versions)),
        (
            t("ops_since_checkpoint"),
            Value::from(history.ops_since_checkpoint() as u64),
        ),
    ])
}

fn nodes_to_cbor(graph: &Graph) -> Value {
    Value::array(
        graph
            .nodes_after(None)
            .map(|(_, node)| Value::array([Value::text(node.kind()), Value::from(node.payload())])),
    )
}

fn edges_to_cbor(graph: &Graph) -> Value {
    Value::array(graph.edges_after(None).map(|(_, edge)| {
        Value::array([
            Value::from(*edge.from()),
            Value::from(*edge.to()),
            Value::text(edge.kind()),
            edge.payload().map_or(Value::Null, Value::from),
        ])
    }))
}

impl Checkpoint {
    /// The state after the log's first `event_count` events, given those events (decoded and
    /// checked against their records). Every version the checkpoint lists must have been made
    /// by an event of the view that recorded the version's digest.
    ///
    /// # Errors
    /// `Inconsistent` when the events are not the checkpoint's.
    pub fn into_state(self, events: Vector<Arc<Event>>) -> Result<State, CheckpointError> {
        if events.len() as u64 != self.event_count {
            return Err(KernelError::internal("the checkpoint covers other events").into());
        }
        let mut state = self.state;
        for (view, history) in &state.views {
            for (version, v) in history.versions().iter().enumerate() {
                let Some(idx) = v.made_by else { continue };
                let event = usize::try_from(idx).ok().and_then(|idx| events.get(idx));
                let recorded = event.and_then(|event| recorded_digest(event, *view));
                if recorded != Some(v.digest) {
                    return Err(KernelError::internal(format!(
                        "version {version} of {view} does not match event {idx}"
                    ))
                    .into());
                }
            }
        }
        state.events = events;
        Ok(state)
    }
}

/// The digest `event` recorded for `view` after it, if it made a version of `view`.
fn recorded_digest(event: &Event, view: ViewKey) -> Option<Hash> {
    match (view, event.kind, &event.outcome) {
        (ViewKey::System, EventKind::Collapse, Some(outcome)) => Some(outcome.system_digest),
        (ViewKey::System, _, _) => None,
        (ViewKey::Sws(_), _, _) => (event.view == view).then_some(event.view_digest),
    }
}

/// Reads and checks a checkpoint file.
///
/// # Errors
/// See [`CheckpointError`]: the first check that fails.
pub fn decode_checkpoint(file: &[u8]) -> Result<Checkpoint, CheckpointError> {
    if file.len() < HEADER_LEN || file[..4] != MAGIC {
        return Err(CheckpointError::Magic);
    }
    let version = u32::from_le_bytes(file[4..8].try_into().expect("4 bytes"));
    if version != CHECKPOINT_FORMAT_VERSION {
        return Err(CheckpointError::Version(version));
    }
    let body = &file[HEADER_LEN..];
    if hash_bytes(body).as_bytes()[..] != file[8..HEADER_LEN] {
        return Err(CheckpointError::Checksum);
    }
    let body = cbor::decode(body)?;
    let top = map_at(&body, "checkpoint")?;
    let at = |key: &str| entry(top, key, "checkpoint");
    let format = unsigned(at("format")?, "format")?;
    if format != u64::from(CHECKPOINT_FORMAT_VERSION) {
        return Err(shape("format", "not the header's format version").into());
    }
    let event_count = unsigned(at("event_count")?, "event_count")?;
    let last_record_hash = hash(at("last_record_hash")?, "last_record_hash")?;
    let (system, system_graphs) = decode_system(at("system")?)?;
    let mut views = OrdMap::unit(ViewKey::System, system);
    let mut sws = OrdMap::new();
    for (i, item) in list(at("sws")?, "sws")?.iter().enumerate() {
        let (record, history) = decode_sws(item, &format!("sws[{i}]"), &views, &system_graphs)?;
        views.insert(ViewKey::Sws(record.id), history);
        sws.insert(record.id, Arc::new(record));
    }
    let idempotency = decode_idempotency(at("idempotency")?)?;
    let last_collapse_committed = optional(at("last_collapse_committed")?, |value| {
        value
            .as_bool()
            .ok_or_else(|| shape("last_collapse_committed", "not a bool"))
    })?;
    let state = State {
        views,
        sws,
        events: Vector::new(),
        idempotency,
        last_collapse_committed,
    };
    Ok(Checkpoint {
        event_count,
        last_record_hash,
        state,
    })
}

fn list(value: &Value, field: impl Display) -> Result<&[Value], EventDecodeError> {
    value.as_array().ok_or_else(|| shape(field, "not an array"))
}

/// System's history, and its graphs by version (live and bases) for the SWSs to start from.
fn decode_system(value: &Value) -> Result<(ViewHistory, OrdMap<usize, Graph>), CheckpointError> {
    let map = map_at(value, "system")?;
    let at = |key: &str| entry(map, key, "system");
    let (event_idxs, versions, ops_since_checkpoint) =
        decode_history(at("history")?, "system.history")?;
    let live = decode_graph(at("nodes")?, at("edges")?)?;
    let last = versions.len().saturating_sub(1);
    let mut graphs = OrdMap::unit(last, live.clone());
    let mut newer = live;
    for (i, base) in list(at("bases")?, "system.bases")?.iter().enumerate() {
        let field = format!("system.bases[{i}]");
        let base = map_at(base, &field)?;
        let version = index(entry(base, "version", &field)?, format!("{field}.version"))?;
        let ops = decode_ops(entry(base, "ops", &field)?, &format!("{field}.ops"))?;
        let graph = rewrite::apply_bulk(&newer, &ops)?;
        graphs.insert(version, graph.clone());
        newer = graph;
    }
    // Version 0 is the empty graph of System's genesis.
    graphs.entry(0).or_insert_with(Graph::new);
    let restored = graphs.iter().map(|(v, g)| (*v, g.clone())).collect();
    let history = ViewHistory::restore(event_idxs, versions, ops_since_checkpoint, restored)?;
    Ok((history, graphs))
}

fn decode_sws(
    value: &Value,
    field: &str,
    views: &OrdMap<ViewKey, ViewHistory>,
    system_graphs: &OrdMap<usize, Graph>,
) -> Result<(SwsRecord, ViewHistory), CheckpointError> {
    let map = map_at(value, field)?;
    let at = |key: &str| entry(map, key, field);
    let sub = |key: &str| format!("{field}.{key}");
    let record = SwsRecord {
        id: unsigned(at("id")?, sub("id"))?,
        base_digest: hash(at("base_digest")?, sub("base_digest"))?,
        base_version: index(at("base_version")?, sub("base_version"))?,
        created_by: unsigned(at("created_by")?, sub("created_by"))?,
        state: match text(at("state")?, sub("state"))?.as_str() {
            "ACTIVE" => SwsState::Active,
            "COLLAPSED" => SwsState::Collapsed,
            "DISCARDED" => SwsState::Discarded,
            _ => return Err(shape(sub("state"), "not an SWS state").into()),
        },
        meta: optional(at("meta")?, |meta| cbor_to_json(meta, &sub("meta")))?,
    };
    let (event_idxs, versions, ops_since_checkpoint) =
        decode_history(at("history")?, &sub("history"))?;
    let base = system_graphs.get(&record.base_version).ok_or_else(|| {
        KernelError::internal(format!("{field}: no graph of System's base version"))
    })?;
    if base.digest() != record.base_digest {
        return Err(KernelError::internal(format!("{field}: base digest differs")).into());
    }
    let live = rewrite::apply_bulk(base, &decode_ops(at("ops")?, &sub("ops"))?)?;
    let mut graphs = vec![(versions.len().saturating_sub(1), live)];
    // Never rebased: its first version is its base, O(1) to read back.
    let system = views
        .get(&ViewKey::System)
        .ok_or_else(|| KernelError::internal("no System history"))?;
    let first_is_base = versions.front().map(|v| v.digest) == Some(record.base_digest)
        && system.version_at(record.created_by) == Some(record.base_version);
    if first_is_base && versions.len() > 1 {
        graphs.push((0, base.clone()));
    }
    let history = ViewHistory::restore(event_idxs, versions, ops_since_checkpoint, graphs)?;
    Ok((record, history))
}

type HistoryParts = (Vector<u64>, Vector<Version>, usize);

fn decode_history(value: &Value, field: &str) -> Result<HistoryParts, EventDecodeError> {
    let map = map_at(value, field)?;
    let at = |key: &str| entry(map, key, field);
    // Formatted only when an error names it: the lists hold an entry per event.
    let sub = |key| Dotted(field, key);
    let event_idxs = list(at("event_idxs")?, sub("event_idxs"))?
        .iter()
        .map(|idx| unsigned(idx, sub("event_idxs")))
        .collect::<Result<Vector<u64>, _>>()?;
    let versions = list(at("versions")?, sub("versions"))?
        .iter()
        .map(|version| {
            let pair = list(version, sub("versions"))?;
            let [made_by, digest] = pair else {
                return Err(shape(sub("versions"), "not a [made_by, digest] pair"));
            };
            Ok(Version {
                made_by: optional(made_by, |idx| unsigned(idx, sub("versions")))?,
                digest: hash(digest, sub("versions"))?,
            })
        })
        .collect::<Result<Vector<Version>, _>>()?;
    let ops_since_checkpoint = index(at("ops_since_checkpoint")?, sub("ops_since_checkpoint"))?;
    Ok((event_idxs, versions, ops_since_checkpoint))
}

fn decode_graph(nodes: &Value, edges: &Value) -> Result<Graph, CheckpointError> {
    let nodes = list(nodes, "system.nodes")?
        .iter()
        .map(|node| match list(node, "system.nodes")? {
            [kind, payload] => Ok(Node::new(
                text(kind, "system.nodes")?,
                bytes(payload, "system.nodes")?,
            )),
            _ => Err(shape("system.nodes", "not a [kind, payload] pair")),
        })
        .collect::<Result<Vec<Node>, _>>()?;
    let edges = list(edges, "system.edges")?
        .iter()
        .map(|edge| match list(edge, "system.edges")? {
            [from, to, kind, payload] => Ok(Edge::new(
                hash(from, "system.edges")?,
                hash(to, "system.edges")?,
                text(kind, "system.edges")?,
                optional(payload, |p| bytes(p, "system.edges"))?.as_deref(),
            )),
            _ => Err(shape(
                "system.edges",
                "not a [from, to, kind, payload] list",
            )),
        })
        .collect::<Result<Vec<Edge>, _>>()?;
    Graph::build(nodes, edges)
        .map_err(|error| KernelError::internal(format!("system graph: {error}")).into())
}

fn decode_ops(value: &Value, field: &str) -> Result<Vec<Op>, EventDecodeError> {
    list(value, field)?
        .iter()
        .enumerate()
        .map(|(i, op)| decode_op(op, Indexed(field, i)))
        .collect()
}

fn decode_idempotency(value: &Value) -> Result<OrdMap<String, (Hash, u64)>, EventDecodeError> {
    list(value, "idempotency")?
        .iter()
        .map(|item| match list(item, "idempotency")? {
            [key, request, idx] => Ok((
                text(key, "idempotency")?,
                (hash(request, "idempotency")?, unsigned(idx, "idempotency")?),
            )),
            _ => Err(shape("idempotency", "not a [key, request, idx] triple")),
        })
        .collect()
}

fn index(value: &Value, field: impl Display) -> Result<usize, EventDecodeError> {
    usize::try_from(unsigned(value, &field)?).map_err(|_| shape(field, "too large"))
}

#[cfg(test)]
mod tests;
