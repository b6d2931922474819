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

use crate::input::{EdgeFilter, NodeFilter, Page};
use crate::operations as ops;
use crate::types::{
    AppliedRewrite, ChangeKind, CommitStatus, Edge, EdgeChange, EdgeChangePage, EdgePage,
    EventKind, GraphDiff, GraphDigest, GraphSnapshot, KernelInfo, Node, NodeChange, NodeChangePage,
    NodePage, PageInfo, Receipt, RewriteEvent, Sws, ViewKind, ViewRefOut,
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
event_kind!(rewrites, events, watch_rewrites, watch_events);

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
