//! Conversions from kernel values to the generated output types of the API.
//!
//! # Invariants
//! - Ids and digests leave as 64 lowercase hex characters; payloads as padded standard base64.
//! - Pages list items in ascending id (or idx) order and say whether more follow.

use jitos_core::Hash;
use jitos_graph::{Edge, EdgeId, Graph, Node, NodeId};
use jitos_schema::enums::CommitStatus;
use jitos_schema::outputs::{
    GraphEdge, GraphEdgeConnection, GraphNode, GraphNodeConnection, KernelInfo, PageInfo,
    RewriteEvent, Sws,
};
use jitos_schema::runtime::Lazy;
use serde_json::json;

use crate::event::{Event, base64};
use crate::state::SwsRecord;

/// The kernel version `kernelInfo` reports.
pub const KERNEL_VERSION: &str = concat!("jitos-kernel ", env!("CARGO_PKG_VERSION"), " (M1)");

/// The policy in force: v0 fail-fast.
pub const POLICY_ID: u32 = 0;

/// The rule pack in force: blake3 of the canonical encoding of
/// `["jitos-rule-pack-v0", [op name, ...]]`, the op names sorted (see `docs/spec/events.md`).
pub fn rule_pack_id() -> Hash {
    use jitos_core::cbor::Value;
    let names = Value::array(
        jitos_schema::ops::Op::NAMES
            .iter()
            .map(|name| Value::text(*name)),
    );
    let value = Value::array([Value::text("jitos-rule-pack-v0"), names]);
    jitos_core::hash_canonical(&value).unwrap_or(Hash::ZERO)
}

/// `kernelInfo`.
pub(crate) fn kernel_info() -> KernelInfo {
    KernelInfo {
        version: KERNEL_VERSION.to_owned(),
        rule_pack_id: Some(*rule_pack_id().as_bytes()),
        policy_id: Some(POLICY_ID),
        commit_status: CommitStatus::Committed,
    }
}

/// A node as the API shows it.
pub(crate) fn node(id: &NodeId, node: &Node) -> GraphNode {
    let payload_b64 = base64(node.payload());
    GraphNode {
        id: id.to_string(),
        kind: node.kind().to_owned(),
        data: json!({ "payload_b64": payload_b64 }),
        payload_b64,
        created_at: None,
    }
}

/// An edge as the API shows it.
pub(crate) fn edge(id: &EdgeId, edge: &Edge) -> GraphEdge {
    GraphEdge {
        id: id.to_string(),
        kind: edge.kind().to_owned(),
        from: edge.from().to_string(),
        to: edge.to().to_string(),
        data: edge
            .payload()
            .map(|payload| json!({ "payload_b64": base64(payload) })),
        created_at: None,
    }
}

/// The first `first` nodes of `graph`.
pub(crate) fn node_page(graph: &Graph, first: usize) -> GraphNodeConnection {
    let mut iter = graph.nodes_after(None);
    let nodes: Vec<GraphNode> = iter
        .by_ref()
        .take(first)
        .map(|(id, n)| node(id, n))
        .collect();
    let page_info = PageInfo {
        end_cursor: nodes.last().map(|n| n.id.clone()),
        has_next_page: iter.next().is_some(),
    };
    GraphNodeConnection { nodes, page_info }
}

/// The first `first` edges of `graph`.
pub(crate) fn edge_page(graph: &Graph, first: usize) -> GraphEdgeConnection {
    let mut iter = graph.edges_after(None);
    let edges: Vec<GraphEdge> = iter
        .by_ref()
        .take(first)
        .map(|(id, e)| edge(id, e))
        .collect();
    let page_info = PageInfo {
        end_cursor: edges.last().map(|e| e.id.clone()),
        has_next_page: iter.next().is_some(),
    };
    GraphEdgeConnection { edges, page_info }
}

/// The commit digest of `graph`, computed only if a query selects it.
pub(crate) fn lazy_commit_digest(graph: &Graph) -> Lazy<[u8; 32]> {
    let graph = graph.clone();
    Lazy::deferred(move || Ok(*graph.commit_digest().as_bytes()))
}

/// An SWS as the API shows it.
pub(crate) fn sws(record: &SwsRecord) -> Sws {
    Sws {
        id: record.id.to_string(),
        parent_snapshot_id: Some(record.base_digest.to_string()),
        created_at: None,
        state: record.state.as_str().to_owned(),
        meta: record.meta.clone(),
    }
}

/// An event as the API shows it.
pub(crate) fn event(event: &Event) -> RewriteEvent {
    RewriteEvent {
        id: event.id.to_string(),
        idx: event.idx,
        kind: event.kind,
        view: event.view.to_output(),
        at: None,
        ops: event
            .ops
            .iter()
            .map(jitos_schema::ops::Op::to_json)
            .collect(),
        meta: event.meta.clone(),
    }
}
