//! Between the public types (`view.rs`, `input.rs`, `types.rs`) and the types graphql_client
//! generated for each operation (`operations.rs`), which are distinct per operation even where
//! the schema type is the same.
//!
//! The macros take a module name and read fields by name, so each conversion is written once for
//! every operation that shares a shape.
//!
//! # Invariants
//! - Enum conversions match every value of the generated enum, so an enum value added to the
//!   schema fails this crate's build until it is mapped here.
//! - Nothing here drops a field the operation selected.

use crate::input::{EdgeFilter, NodeFilter, Page, WriteOptions};
use crate::operations as ops;
use crate::types::{
    AppliedRewrite, ChangeKind, Collapsed, CommitStatus, Conflict, ConflictKind, Edge, EdgeChange,
    EdgeChangePage, EdgePage, EventKind, EventRef, FsyncPolicy, GraphDiff, GraphDigest,
    GraphSnapshot, ItemKind, KernelInfo, LogCut, MergeReceipt, Node, NodeChange, NodeChangePage,
    NodePage, PageInfo, Rebased, Receipt, RewriteEvent, StorageInfo, StorageMode, Sws, TickReceipt,
    ViewKind, ViewRefOut,
};
use crate::view::{View, ViewRef};

/// `From<ops::$module::ViewKind> for ViewKind`, and the `ViewRefInput` of that module.
macro_rules! view_kind {
    ($($module:ident),+) => {$(
        impl From<ops::$module::ViewKind> for ViewKind {
            fn from(kind: ops::$module::ViewKind) -> ViewKind {
                match kind {
                    ops::$module::ViewKind::SYSTEM => ViewKind::System,
                    ops::$module::ViewKind::SWS => ViewKind::Sws,
                    ops::$module::ViewKind::Other(text) => ViewKind::Other(text),
                }
            }
        }
    )+};
}

/// `From<ops::$module::EventKind> for EventKind`.
macro_rules! event_kind {
    ($($module:ident),+) => {$(
        impl From<ops::$module::EventKind> for EventKind {
            fn from(kind: ops::$module::EventKind) -> EventKind {
                use ops::$module::EventKind as Wire;
                match kind {
                    Wire::SWS_CREATE => EventKind::SwsCreate,
                    Wire::REWRITE_APPLIED => EventKind::RewriteApplied,
                    Wire::TICK => EventKind::Tick,
                    Wire::TASK_STATE => EventKind::TaskState,
                    Wire::WORKER_INVOCATION => EventKind::WorkerInvocation,
                    Wire::WORKER_RESULT => EventKind::WorkerResult,
                    Wire::COLLAPSE => EventKind::Collapse,
                    Wire::DISCARD => EventKind::Discard,
                    Wire::REBASE => EventKind::Rebase,
                    Wire::Other(text) => EventKind::Other(text),
                }
            }
        }
    )+};
}

/// `From` the `ChangeKind`, `ItemKind` and `ConflictKind` of `ops::$module` (the enums of a
/// selected `MergeReceipt`).
macro_rules! merge_enums {
    ($($module:ident),+) => {$(
        impl From<ops::$module::ChangeKind> for ChangeKind {
            fn from(kind: ops::$module::ChangeKind) -> ChangeKind {
                match kind {
                    ops::$module::ChangeKind::ADDED => ChangeKind::Added,
                    ops::$module::ChangeKind::REMOVED => ChangeKind::Removed,
                    ops::$module::ChangeKind::Other(text) => ChangeKind::Other(text),
                }
            }
        }

        impl From<ops::$module::ItemKind> for ItemKind {
            fn from(kind: ops::$module::ItemKind) -> ItemKind {
                match kind {
                    ops::$module::ItemKind::NODE => ItemKind::Node,
                    ops::$module::ItemKind::EDGE => ItemKind::Edge,
                    ops::$module::ItemKind::Other(text) => ItemKind::Other(text),
                }
            }
        }

        impl From<ops::$module::ConflictKind> for ConflictKind {
            fn from(kind: ops::$module::ConflictKind) -> ConflictKind {
                use ops::$module::ConflictKind as Wire;
                match kind {
                    Wire::EDGE_END_REMOVED => ConflictKind::EdgeEndRemoved,
                    Wire::NODE_REMOVAL_UNDER_NEW_EDGE => ConflictKind::NodeRemovalUnderNewEdge,
                    Wire::ALREADY_REMOVED => ConflictKind::AlreadyRemoved,
                    Wire::Other(text) => ConflictKind::Other(text),
                }
            }
        }
    )+};
}

/// `ops::$module::ViewRefInput` for a [`ViewRef`].
macro_rules! view_input {
    ($module:ident, $view:expr) => {{
        let view: &ViewRef = $view;
        let (sws_id, snapshot_id, as_of) = view.wire_parts();
        ops::$module::ViewRefInput {
            kind: match view.view {
                View::System => ops::$module::ViewKind::SYSTEM,
                View::Sws(_) => ops::$module::ViewKind::SWS,
            },
            sws_id,
            snapshot_id,
            as_of,
        }
    }};
}

/// `ops::$module::PageInput` for a [`Page`].
macro_rules! page_input {
    ($module:ident, $page:expr) => {{
        let page: &Page = $page;
        ops::$module::PageInput {
            first: page.first,
            after: page.after.clone(),
        }
    }};
}

/// A [`ViewRefOut`] from a selected `view { kind swsId snapshotId }`.
macro_rules! view_out {
    ($view:expr) => {{
        let view = $view;
        ViewRefOut {
            kind: view.kind.into(),
            sws_id: view.sws_id,
            snapshot_id: view.snapshot_id,
        }
    }};
}

/// A [`MergeReceipt`] from a selected `MergeReceipt { ...MergeReceiptFields }` (graphql_client
/// types a selection that is one fragment spread as the fragment's struct).
macro_rules! merge_receipt {
    ($receipt:expr) => {{
        let receipt = $receipt;
        let conflicts = receipt.conflicts.into_iter().map(|conflict| Conflict {
            kind: conflict.kind.into(),
            id: conflict.id,
            subject: conflict.subject.into(),
            overlay_change: conflict.overlay_change.into(),
            system_id: conflict.system_id,
            system_subject: conflict.system_subject.into(),
            system_change: conflict.system_change.into(),
        });
        MergeReceipt {
            kind: receipt.kind.into(),
            event_idx: receipt.event_idx,
            event_id: receipt.event_id,
            sws_id: receipt.sws_id,
            committed: receipt.committed,
            base_snapshot_id: receipt.base_snapshot_id,
            system_snapshot_id: receipt.system_snapshot_id,
            view_digest: receipt.view_digest,
            rule_pack_id: receipt.rule_pack_id,
            policy_id: receipt.policy_id,
            conflicts: conflicts.collect(),
            nodes_added: receipt.nodes_added,
            nodes_removed: receipt.nodes_removed,
            edges_added: receipt.edges_added,
            edges_removed: receipt.edges_removed,
            digest: receipt.digest,
        }
    }};
}

/// A [`RewriteEvent`] from a selected `RewriteEvent`.
macro_rules! event {
    ($event:expr) => {{
        let event = $event;
        RewriteEvent {
            id: event.id,
            idx: event.idx,
            kind: event.kind.into(),
            view: view_out!(event.view),
            ops: event.ops,
            meta: event.meta,
            reason: event.reason,
            view_digest: event.view_digest,
            receipt: event.receipt.map(|receipt| merge_receipt!(receipt)),
        }
    }};
}

/// An [`Sws`] from a selected `Sws`.
macro_rules! sws {
    ($sws:expr) => {{
        let sws = $sws;
        Sws {
            id: sws.id,
            parent_snapshot_id: sws.parent_snapshot_id,
            state: sws.state,
            meta: sws.meta,
        }
    }};
}

/// A [`Node`] from a selected `GraphNode`.
macro_rules! node {
    ($node:expr) => {{
        let node = $node;
        Node {
            id: node.id,
            kind: node.kind,
            data: node.data,
            payload_b64: node.payload_b64,
        }
    }};
}

/// An [`Edge`] from a selected `GraphEdge`.
macro_rules! edge {
    ($edge:expr) => {{
        let edge = $edge;
        Edge {
            id: edge.id,
            kind: edge.kind,
            from: edge.from,
            to: edge.to,
            data: edge.data,
        }
    }};
}

/// A [`PageInfo`] from a selected `PageInfo`.
macro_rules! page_info {
    ($info:expr) => {{
        let info = $info;
        PageInfo {
            end_cursor: info.end_cursor,
            has_next_page: info.has_next_page,
        }
    }};
}

view_kind!(
    graph_digest,
    graph,
    node,
    edge,
    rewrites,
    diff,
    events,
    apply_rewrite,
    watch_rewrites,
    watch_events
);
event_kind!(
    rewrites,
    events,
    watch_rewrites,
    watch_events,
    collapse_sws,
    rebase_sws
);
merge_enums!(
    rewrites,
    events,
    watch_rewrites,
    watch_events,
    collapse_sws,
    rebase_sws
);

impl From<ops::diff::ChangeKind> for ChangeKind {
    fn from(kind: ops::diff::ChangeKind) -> ChangeKind {
        match kind {
            ops::diff::ChangeKind::ADDED => ChangeKind::Added,
            ops::diff::ChangeKind::REMOVED => ChangeKind::Removed,
            ops::diff::ChangeKind::Other(text) => ChangeKind::Other(text),
        }
    }
}

impl From<ops::kernel_info::CommitStatus> for CommitStatus {
    fn from(status: ops::kernel_info::CommitStatus) -> CommitStatus {
        match status {
            ops::kernel_info::CommitStatus::COMMITTED => CommitStatus::Committed,
            ops::kernel_info::CommitStatus::ABORTED => CommitStatus::Aborted,
            ops::kernel_info::CommitStatus::Other(text) => CommitStatus::Other(text),
        }
    }
}

pub(crate) fn kernel_info(data: ops::kernel_info::ResponseData) -> KernelInfo {
    let info = data.kernel_info;
    KernelInfo {
        version: info.version,
        rule_pack_id: info.rule_pack_id,
        policy_id: info.policy_id,
        commit_status: info.commit_status.into(),
        event_count: info.event_count,
        storage: storage_info(info.storage),
    }
}

fn storage_info(storage: ops::kernel_info::KernelInfoKernelInfoStorage) -> StorageInfo {
    use ops::kernel_info::{FsyncPolicy as WireFsync, StorageMode as WireMode};
    StorageInfo {
        mode: match storage.mode {
            WireMode::IN_MEMORY => StorageMode::InMemory,
            WireMode::DURABLE => StorageMode::Durable,
            WireMode::Other(text) => StorageMode::Other(text),
        },
        fsync: storage.fsync.map(|fsync| match fsync {
            WireFsync::ALWAYS => FsyncPolicy::Always,
            WireFsync::BATCH => FsyncPolicy::Batch,
            WireFsync::Other(text) => FsyncPolicy::Other(text),
        }),
        boot_event_count: storage.boot_event_count,
        boot_replayed_count: storage.boot_replayed_count,
        boot_checkpoint_idx: storage.boot_checkpoint_idx,
        checkpoint_idx: storage.checkpoint_idx,
        boot_cut: storage.boot_cut.map(|cut| LogCut {
            segment: cut.segment,
            offset: cut.offset,
            dropped_bytes: cut.dropped_bytes,
            removed_segments: cut.removed_segments,
            was_corrupt: cut.was_corrupt,
        }),
    }
}

pub(crate) fn graph_digest_variables(view: &ViewRef) -> ops::graph_digest::Variables {
    ops::graph_digest::Variables {
        view: view_input!(graph_digest, view),
    }
}

pub(crate) fn graph_digest(data: ops::graph_digest::ResponseData) -> GraphDigest {
    let graph = data.graph;
    GraphDigest {
        view: view_out!(graph.view),
        digest: graph.digest,
        snapshot_id: graph.snapshot_id,
    }
}

pub(crate) fn graph_variables(
    view: &ViewRef,
    nodes_page: &Page,
    edges_page: &Page,
    node_filter: Option<&NodeFilter>,
    edge_filter: Option<&EdgeFilter>,
) -> ops::graph::Variables {
    ops::graph::Variables {
        view: view_input!(graph, view),
        nodes_page: Some(page_input!(graph, nodes_page)),
        edges_page: Some(page_input!(graph, edges_page)),
        node_filter: node_filter.map(|filter| ops::graph::NodeFilterInput {
            kinds: filter.kinds.clone(),
            has_keys: filter.has_keys.clone(),
        }),
        edge_filter: edge_filter.map(|filter| ops::graph::EdgeFilterInput {
            kinds: filter.kinds.clone(),
            from: filter.from.clone(),
            to: filter.to.clone(),
        }),
    }
}

pub(crate) fn graph(data: ops::graph::ResponseData) -> GraphSnapshot {
    let graph = data.graph;
    GraphSnapshot {
        view: view_out!(graph.view),
        digest: graph.digest,
        commit_digest: graph.commit_digest,
        snapshot_id: graph.snapshot_id,
        nodes: NodePage {
            nodes: graph.nodes.nodes.into_iter().map(|n| node!(n)).collect(),
            page_info: page_info!(graph.nodes.page_info),
        },
        edges: EdgePage {
            edges: graph.edges.edges.into_iter().map(|e| edge!(e)).collect(),
            page_info: page_info!(graph.edges.page_info),
        },
    }
}

pub(crate) fn node_variables(view: &ViewRef, id: &str) -> ops::node::Variables {
    ops::node::Variables {
        view: view_input!(node, view),
        id: id.to_owned(),
    }
}

pub(crate) fn node(data: ops::node::ResponseData) -> Option<Node> {
    data.node.map(|n| node!(n))
}

pub(crate) fn edge_variables(view: &ViewRef, id: &str) -> ops::edge::Variables {
    ops::edge::Variables {
        view: view_input!(edge, view),
        id: id.to_owned(),
    }
}

pub(crate) fn edge(data: ops::edge::ResponseData) -> Option<Edge> {
    data.edge.map(|e| edge!(e))
}

pub(crate) fn rewrites_variables(view: &ViewRef, page: &Page) -> ops::rewrites::Variables {
    ops::rewrites::Variables {
        view: view_input!(rewrites, view),
        page: Some(page_input!(rewrites, page)),
    }
}

pub(crate) fn rewrites(data: ops::rewrites::ResponseData) -> Vec<RewriteEvent> {
    data.rewrites.into_iter().map(|e| event!(e)).collect()
}

pub(crate) fn diff_variables(
    from: &ViewRef,
    to: &ViewRef,
    nodes_page: &Page,
    edges_page: &Page,
) -> ops::diff::Variables {
    ops::diff::Variables {
        from: view_input!(diff, from),
        to: view_input!(diff, to),
        nodes_page: Some(page_input!(diff, nodes_page)),
        edges_page: Some(page_input!(diff, edges_page)),
    }
}

pub(crate) fn diff(data: ops::diff::ResponseData) -> GraphDiff {
    let diff = data.diff;
    let nodes = diff.nodes.changes.into_iter().map(|change| NodeChange {
        change: change.change.into(),
        node: node!(change.node),
    });
    let edges = diff.edges.changes.into_iter().map(|change| EdgeChange {
        change: change.change.into(),
        edge: edge!(change.edge),
    });
    GraphDiff {
        from: view_out!(diff.from),
        to: view_out!(diff.to),
        from_snapshot_id: diff.from_snapshot_id,
        to_snapshot_id: diff.to_snapshot_id,
        nodes: NodeChangePage {
            changes: nodes.collect(),
            page_info: page_info!(diff.nodes.page_info),
        },
        edges: EdgeChangePage {
            changes: edges.collect(),
            page_info: page_info!(diff.edges.page_info),
        },
    }
}

pub(crate) fn events_variables(page: &Page) -> ops::events::Variables {
    ops::events::Variables {
        page: Some(page_input!(events, page)),
    }
}

pub(crate) fn events(data: ops::events::ResponseData) -> Vec<RewriteEvent> {
    data.events.into_iter().map(|e| event!(e)).collect()
}

pub(crate) fn list_sws_variables(page: &Page) -> ops::list_sws::Variables {
    ops::list_sws::Variables {
        page: Some(page_input!(list_sws, page)),
    }
}

pub(crate) fn list_sws(data: ops::list_sws::ResponseData) -> Vec<Sws> {
    data.list_sws.into_iter().map(|s| sws!(s)).collect()
}

pub(crate) fn sws(data: ops::sws::ResponseData) -> Option<Sws> {
    data.sws.map(|s| sws!(s))
}

pub(crate) fn created_sws(data: ops::create_sws::ResponseData) -> Sws {
    sws!(data.create_sws.sws)
}

pub(crate) fn discard_variables(
    id: u64,
    reason: Option<&str>,
    options: &WriteOptions,
) -> ops::discard_sws::Variables {
    let input = ops::discard_sws::DiscardSwsInput {
        sws_id: id.to_string(),
        reason: reason.map(str::to_owned),
        meta: options.meta.clone(),
        idempotency_key: options.idempotency_key.clone(),
    };
    ops::discard_sws::Variables { input }
}

pub(crate) fn collapse_variables(
    id: u64,
    policy_id: Option<u32>,
    options: &WriteOptions,
) -> ops::collapse_sws::Variables {
    let input = ops::collapse_sws::CollapseSwsInput {
        sws_id: id.to_string(),
        policy_id,
        meta: options.meta.clone(),
        idempotency_key: options.idempotency_key.clone(),
    };
    ops::collapse_sws::Variables { input }
}

pub(crate) fn rebase_variables(id: u64, options: &WriteOptions) -> ops::rebase_sws::Variables {
    let input = ops::rebase_sws::RebaseSwsInput {
        sws_id: id.to_string(),
        meta: options.meta.clone(),
        idempotency_key: options.idempotency_key.clone(),
    };
    ops::rebase_sws::Variables { input }
}

pub(crate) fn collapsed(data: ops::collapse_sws::ResponseData) -> Collapsed {
    let payload = data.collapse_sws;
    let receipt = payload.receipt.map(|receipt| TickReceipt {
        tick_id: receipt.tick_id,
        rule_pack_id: receipt.rule_pack_id,
        policy_id: receipt.policy_id,
        events: receipt
            .events
            .into_iter()
            .map(|event| EventRef {
                id: event.id,
                kind: event.kind.into(),
                at: event.at,
                meta: event.meta,
            })
            .collect(),
    });
    Collapsed {
        committed: payload.committed,
        system_snapshot_id: payload.system_snapshot_id,
        system_digest: payload.system_digest,
        receipt,
        collapse_receipt: merge_receipt!(payload.collapse_receipt),
    }
}

pub(crate) fn rebased(data: ops::rebase_sws::ResponseData) -> Rebased {
    let payload = data.rebase_sws;
    Rebased {
        rebased: payload.rebased,
        sws: sws!(payload.sws),
        digest: payload.digest,
        receipt: merge_receipt!(payload.receipt),
    }
}

pub(crate) fn apply_rewrite_variables(
    view: View,
    rewrite: ops::apply_rewrite::RewriteInput,
) -> ops::apply_rewrite::Variables {
    ops::apply_rewrite::Variables {
        view: view_input!(apply_rewrite, &ViewRef::live(view)),
        rewrite,
    }
}

pub(crate) fn applied_rewrite(data: ops::apply_rewrite::ResponseData) -> AppliedRewrite {
    let payload = data.apply_rewrite;
    AppliedRewrite {
        accepted: payload.accepted,
        receipt: Receipt {
            rewrite_idx: payload.receipt.rewrite_idx,
            view_digest: payload.receipt.view_digest,
            view: view_out!(payload.receipt.view),
        },
    }
}

pub(crate) fn watch_rewrites_variables(
    view: View,
    start: crate::StreamStart,
) -> ops::watch_rewrites::Variables {
    let (after_idx, from_start) = start.wire_parts();
    ops::watch_rewrites::Variables {
        view: view_input!(watch_rewrites, &ViewRef::live(view)),
        after_idx,
        from_start,
    }
}

pub(crate) fn watched_rewrite(data: ops::watch_rewrites::ResponseData) -> RewriteEvent {
    event!(data.rewrites)
}

pub(crate) fn watch_events_variables(start: crate::StreamStart) -> ops::watch_events::Variables {
    let (after_idx, from_start) = start.wire_parts();
    ops::watch_events::Variables {
        after_idx,
        from_start,
    }
}

pub(crate) fn watched_event(data: ops::watch_events::ResponseData) -> RewriteEvent {
    event!(data.events)
}
