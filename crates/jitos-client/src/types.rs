//! What the client returns: plain Rust types for the schema's output types, one type per schema
//! type whichever operation selected it.
//!
//! Each serializes to the field names and value forms of the API (camelCase, enum values as in
//! the schema, `U64` as a decimal string), so printing one as JSON gives what the server sent.
//!
//! # Invariants
//! - Every type here mirrors a type of `schema/jitos.graphql`; `convert.rs` fills them from the
//!   operations' generated types, so a field the schema drops is a compile error there.

use serde::Serialize;

use crate::view::U64;

/// `ViewKind`: which kind of view.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ViewKind {
    /// `SYSTEM`.
    System,
    /// `SWS`.
    Sws,
    /// A value this client does not know, from a newer server.
    Other(String),
}

/// `CommitStatus`: the outcome of a commit attempt.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum CommitStatus {
    /// `COMMITTED`.
    Committed,
    /// `ABORTED`.
    Aborted,
    /// A value this client does not know, from a newer server.
    Other(String),
}

/// `StorageMode`: where the kernel keeps its history.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum StorageMode {
    /// `IN_MEMORY`.
    InMemory,
    /// `DURABLE`.
    Durable,
    /// A value this client does not know, from a newer server.
    Other(String),
}

/// `FsyncPolicy`: when a write is acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FsyncPolicy {
    /// `ALWAYS`.
    Always,
    /// `BATCH`.
    Batch,
    /// A value this client does not know, from a newer server.
    Other(String),
}

/// `EventKind`: the kind of an event of the global log.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// `SWS_CREATE`.
    SwsCreate,
    /// `REWRITE_APPLIED`.
    RewriteApplied,
    /// `TICK`.
    Tick,
    /// `TASK_STATE`.
    TaskState,
    /// `WORKER_INVOCATION`.
    WorkerInvocation,
    /// `WORKER_RESULT`.
    WorkerResult,
    /// `COLLAPSE`.
    Collapse,
    /// `DISCARD`.
    Discard,
    /// `REBASE`.
    Rebase,
    /// A value this client does not know, from a newer server.
    Other(String),
}

/// `ChangeKind`: whether a diff found an item only in its `to` view or only in its `from` view.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ChangeKind {
    /// `ADDED`: in `to`, not in `from`.
    Added,
    /// `REMOVED`: in `from`, not in `to`.
    Removed,
    /// A value this client does not know, from a newer server.
    Other(String),
}

/// `ItemKind`: whether an item is a node or an edge.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ItemKind {
    /// `NODE`.
    Node,
    /// `EDGE`.
    Edge,
    /// A value this client does not know, from a newer server.
    Other(String),
}

/// `ConflictKind`: why an overlay change cannot be merged into System
/// (`docs/spec/collapse.md`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ConflictKind {
    /// `EDGE_END_REMOVED`: the overlay adds an edge to a node System removed since the base.
    EdgeEndRemoved,
    /// `NODE_REMOVAL_UNDER_NEW_EDGE`: the overlay removes a node that an edge System added
    /// since the base touches.
    NodeRemovalUnderNewEdge,
    /// `ALREADY_REMOVED`: the overlay removes a node or an edge System already removed.
    AlreadyRemoved,
    /// A value this client does not know, from a newer server.
    Other(String),
}

/// Implements `as_str`, `Display` and `Serialize` from one table of wire names (an `Other`
/// value is written as it came).
macro_rules! wire_enum {
    ($name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        impl $name {
            /// The value as the schema spells it.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Other(text) => text,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

wire_enum!(ViewKind { System => "SYSTEM", Sws => "SWS" });
wire_enum!(CommitStatus { Committed => "COMMITTED", Aborted => "ABORTED" });
wire_enum!(StorageMode { InMemory => "IN_MEMORY", Durable => "DURABLE" });
wire_enum!(FsyncPolicy { Always => "ALWAYS", Batch => "BATCH" });
wire_enum!(ChangeKind { Added => "ADDED", Removed => "REMOVED" });
wire_enum!(ItemKind { Node => "NODE", Edge => "EDGE" });
wire_enum!(ConflictKind {
    EdgeEndRemoved => "EDGE_END_REMOVED",
    NodeRemovalUnderNewEdge => "NODE_REMOVAL_UNDER_NEW_EDGE",
    AlreadyRemoved => "ALREADY_REMOVED",
});
wire_enum!(EventKind {
    SwsCreate => "SWS_CREATE",
    RewriteApplied => "REWRITE_APPLIED",
    Tick => "TICK",
    TaskState => "TASK_STATE",
    WorkerInvocation => "WORKER_INVOCATION",
    WorkerResult => "WORKER_RESULT",
    Collapse => "COLLAPSE",
    Discard => "DISCARD",
    Rebase => "REBASE",
});

/// `KernelInfo`: facts about the running kernel.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KernelInfo {
    /// Kernel version.
    pub version: String,
    /// Identity of the rule pack in force.
    pub rule_pack_id: Option<String>,
    /// Identity of the policy in force.
    pub policy_id: Option<u32>,
    /// Status of the last commit attempt.
    pub commit_status: CommitStatus,
    /// Number of events in the log; the next event gets this idx.
    pub event_count: U64,
    /// Where the history is kept and what the last start found there.
    pub storage: StorageInfo,
}

/// `StorageInfo`: where the kernel keeps its history and what the last start found there.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageInfo {
    /// IN_MEMORY or DURABLE.
    pub mode: StorageMode,
    /// When commands are acknowledged; `None` in memory.
    pub fsync: Option<FsyncPolicy>,
    /// Events restored at start.
    pub boot_event_count: U64,
    /// Of those, events replayed one by one.
    pub boot_replayed_count: U64,
    /// Last event idx of the checkpoint the start loaded.
    pub boot_checkpoint_idx: Option<U64>,
    /// Last event idx of the newest checkpoint on disk.
    pub checkpoint_idx: Option<U64>,
    /// What the start cut off the end of the log.
    pub boot_cut: Option<LogCut>,
}

/// `LogCut`: bytes cut off the end of the log at start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogCut {
    /// The segment file cut.
    pub segment: String,
    /// Byte offset of the cut in that file.
    pub offset: U64,
    /// Bytes dropped from that file.
    pub dropped_bytes: U64,
    /// Later segment files deleted.
    pub removed_segments: Vec<String>,
    /// Whether the damage was corruption (kept only under `--recover truncate`).
    pub was_corrupt: bool,
}

/// `ViewRef`: a view as echoed in results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewRefOut {
    /// SYSTEM or SWS.
    pub kind: ViewKind,
    /// The SWS id when `kind` is SWS.
    pub sws_id: Option<String>,
    /// The snapshot read, when the request pinned one.
    pub snapshot_id: Option<String>,
}

impl std::fmt::Display for ViewRefOut {
    /// `system` or `sws:N`, as the command line spells views.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.kind, &self.sws_id) {
            (ViewKind::Sws, Some(id)) => write!(f, "sws:{id}"),
            (ViewKind::Sws, None) => f.write_str("sws:?"),
            (ViewKind::System, _) => f.write_str("system"),
            (ViewKind::Other(kind), _) => write!(f, "{kind}"),
        }
    }
}

/// `GraphNode`: a node of the graph.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    /// NodeId, as 64 lowercase hex characters.
    pub id: String,
    /// The node kind.
    pub kind: String,
    /// `{"payload_b64": "<base64>"}`.
    pub data: serde_json::Value,
    /// The payload bytes as standard base64 with padding.
    pub payload_b64: String,
}

/// `GraphEdge`: an edge of the graph.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Edge {
    /// EdgeId, as 64 lowercase hex characters.
    pub id: String,
    /// The edge kind.
    pub kind: String,
    /// Id of the node the edge leaves.
    pub from: String,
    /// Id of the node the edge enters.
    pub to: String,
    /// `{"payload_b64": "<base64>"}`, or null when the edge has no payload.
    pub data: Option<serde_json::Value>,
}

/// `PageInfo`: where a page ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    /// Cursor of the last item returned, to pass as `after`.
    pub end_cursor: Option<String>,
    /// Whether more items follow.
    pub has_next_page: bool,
}

/// `GraphNodeConnection`: a page of nodes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePage {
    /// The nodes, in ascending id order.
    pub nodes: Vec<Node>,
    /// Where this page ends.
    pub page_info: PageInfo,
}

/// `GraphEdgeConnection`: a page of edges.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgePage {
    /// The edges, in ascending id order.
    pub edges: Vec<Edge>,
    /// Where this page ends.
    pub page_info: PageInfo,
}

/// `GraphSnapshot`: a view of the graph as of one moment, with a page of its nodes and edges.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphSnapshot {
    /// The view that was read.
    pub view: ViewRefOut,
    /// GraphRootV1 of the view.
    pub digest: String,
    /// GraphCommitDigestV0 of the view.
    pub commit_digest: String,
    /// Names this exact node and edge set; pin later reads to it with `Pin::Snapshot`.
    pub snapshot_id: Option<String>,
    /// A page of the view's nodes.
    pub nodes: NodePage,
    /// A page of the view's edges.
    pub edges: EdgePage,
}

/// `NodeChange`: a node that differs between two views.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeChange {
    /// ADDED or REMOVED.
    pub change: ChangeKind,
    /// The node, as the view that holds it has it (`to` if added, `from` if removed).
    pub node: Node,
}

/// `EdgeChange`: an edge that differs between two views.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeChange {
    /// ADDED or REMOVED.
    pub change: ChangeKind,
    /// The edge, as the view that holds it has it (`to` if added, `from` if removed).
    pub edge: Edge,
}

/// `NodeChangeConnection`: a page of node changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeChangePage {
    /// The changes, in ascending node id order.
    pub changes: Vec<NodeChange>,
    /// Where this page ends (the cursor is the last node id).
    pub page_info: PageInfo,
}

/// `EdgeChangeConnection`: a page of edge changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeChangePage {
    /// The changes, in ascending edge id order.
    pub changes: Vec<EdgeChange>,
    /// Where this page ends (the cursor is the last edge id).
    pub page_info: PageInfo,
}

/// `GraphDiff`: what differs between two views, with a page of node changes and one of edge
/// changes. Ids are content-addressed, so an item is either added or removed, never changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphDiff {
    /// The view compared from.
    pub from: ViewRefOut,
    /// The view compared to.
    pub to: ViewRefOut,
    /// The `from` view's snapshot (its digest); pin `from` to it with `Pin::Snapshot`.
    pub from_snapshot_id: String,
    /// The `to` view's snapshot (its digest); pin `to` to it with `Pin::Snapshot`.
    pub to_snapshot_id: String,
    /// A page of the nodes that differ.
    pub nodes: NodeChangePage,
    /// A page of the edges that differ.
    pub edges: EdgeChangePage,
}

/// The digest of a view, without its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphDigest {
    /// The view that was read.
    pub view: ViewRefOut,
    /// GraphRootV1 of the view.
    pub digest: String,
    /// Names this exact node and edge set.
    pub snapshot_id: Option<String>,
}

/// `RewriteEvent`: an event of the global log.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RewriteEvent {
    /// Event id.
    pub id: String,
    /// Position in the global log, from 0.
    pub idx: U64,
    /// What kind of event this is.
    pub kind: EventKind,
    /// The view the event targets.
    pub view: ViewRefOut,
    /// The validated ops, in canonical form; for COLLAPSE and REBASE, the merged ops (none when
    /// aborted).
    pub ops: Vec<serde_json::Value>,
    /// Event metadata.
    pub meta: Option<serde_json::Value>,
    /// Why the SWS was discarded (DISCARD events), as the caller gave it.
    pub reason: Option<String>,
    /// The digest of `view` right after the event.
    pub view_digest: String,
    /// The outcome of a COLLAPSE or REBASE event; `None` for other kinds.
    pub receipt: Option<MergeReceipt>,
}

/// `Sws`: a shadow working set.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sws {
    /// Decimal id.
    pub id: String,
    /// Snapshot of System the SWS is based on: when it was created, or when it was last rebased.
    pub parent_snapshot_id: Option<String>,
    /// ACTIVE, COLLAPSED or DISCARDED.
    pub state: String,
    /// Caller metadata given at creation.
    pub meta: Option<serde_json::Value>,
}

/// `ReceiptV0`: the receipt of an applied rewrite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// Index of the event in the global log.
    pub rewrite_idx: U64,
    /// The view's digest right after the rewrite.
    pub view_digest: String,
    /// The view written.
    pub view: ViewRefOut,
}

/// `ApplyRewritePayload`: the result of `applyRewrite`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedRewrite {
    /// Whether the rewrite was applied.
    pub accepted: bool,
    /// Its receipt.
    pub receipt: Receipt,
}

/// `Conflict`: one overlay change that cannot be merged, and the System change in its way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conflict {
    /// Why the change cannot be merged.
    pub kind: ConflictKind,
    /// The overlay's item, as hex.
    pub id: String,
    /// Whether `id` is a node or an edge.
    pub subject: ItemKind,
    /// What the overlay did to `id` since the base.
    pub overlay_change: ChangeKind,
    /// The item System's change concerns, as hex.
    pub system_id: String,
    /// Whether `system_id` is a node or an edge.
    pub system_subject: ItemKind,
    /// What System did to `system_id` since the base.
    pub system_change: ChangeKind,
}

/// `MergeReceipt`: what a collapse or a rebase did, or why it did not; the same for a retry or
/// a replay of its event, down to `digest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MergeReceipt {
    /// COLLAPSE or REBASE.
    pub kind: EventKind,
    /// Index of the event in the global log.
    pub event_idx: U64,
    /// Id of the event.
    pub event_id: String,
    /// The SWS merged.
    pub sws_id: String,
    /// Whether the merge happened (no conflict).
    pub committed: bool,
    /// System's snapshot the SWS was based on when the merge started.
    pub base_snapshot_id: String,
    /// System's snapshot right after the event.
    pub system_snapshot_id: String,
    /// The SWS's digest right after the event.
    pub view_digest: String,
    /// Rule pack in force.
    pub rule_pack_id: String,
    /// Policy in force.
    pub policy_id: u32,
    /// Every conflict, sorted by (kind, id, systemId); empty when committed.
    pub conflicts: Vec<Conflict>,
    /// `AddNode` ops among the merged ops.
    pub nodes_added: i64,
    /// `RemoveNode` ops among the merged ops.
    pub nodes_removed: i64,
    /// `AddEdge` ops among the merged ops.
    pub edges_added: i64,
    /// `RemoveEdge` ops among the merged ops.
    pub edges_removed: i64,
    /// blake3 of the receipt's canonical encoding.
    pub digest: String,
}

/// `EventRef`: a reference to an event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRef {
    /// Event id.
    pub id: String,
    /// Event kind.
    pub kind: EventKind,
    /// Always `None` in v0.
    pub at: Option<String>,
    /// Event metadata.
    pub meta: Option<serde_json::Value>,
}

/// `TickReceipt`: the policy pins and the events of a commit, in the v0 shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TickReceipt {
    /// The tick.
    pub tick_id: Option<String>,
    /// Rule pack in force.
    pub rule_pack_id: Option<String>,
    /// Policy in force.
    pub policy_id: Option<u32>,
    /// Events the commit produced.
    pub events: Vec<EventRef>,
}

/// `CollapseSwsPayload`: the result of `collapseSws`. An aborted collapse is an answer, not an
/// error: `committed` is false and the receipt lists every conflict.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Collapsed {
    /// Whether the overlay became part of System.
    pub committed: bool,
    /// System's snapshot after the collapse (unchanged when aborted).
    pub system_snapshot_id: Option<String>,
    /// System's digest after the collapse (unchanged when aborted).
    pub system_digest: String,
    /// The policy pins and the COLLAPSE event, in the v0 shape.
    pub receipt: Option<TickReceipt>,
    /// Everything the collapse did, or every conflict that stopped it.
    pub collapse_receipt: MergeReceipt,
}

/// `RebaseSwsPayload`: the result of `rebaseSws`. A refused rebase is an answer, not an error:
/// `rebased` is false, nothing changed, and the receipt lists every conflict.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rebased {
    /// Whether the SWS now sits on current System.
    pub rebased: bool,
    /// The SWS after the rebase.
    pub sws: Sws,
    /// The SWS's digest after the rebase (unchanged when refused).
    pub digest: String,
    /// Everything the rebase did, or every conflict that stopped it.
    pub receipt: MergeReceipt,
}
