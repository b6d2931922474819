//! Conversions from kernel values to the generated output types of the API.
//!
//! # Invariants
//! - Ids and digests leave as 64 lowercase hex characters; payloads as padded standard base64.
//! - Pages list items in ascending id (or idx) order and say whether more follow.

use jitos_core::Hash;
use jitos_graph::{Edge, EdgeId, Graph, Node, NodeId};
use jitos_schema::enums::CommitStatus;
use jitos_schema::outputs::{
    ApplyRewritePayload, GraphEdge, GraphNode, KernelInfo, ReceiptV0, RewriteEvent, Sws, ViewRef,
};
use jitos_schema::runtime::Lazy;
use serde_json::json;

use crate::event::{Event, base64};
use crate::state::{ResolvedView, SwsRecord};
use crate::view::ViewKey;

/// The one key of a node's `data` in v0.
pub(crate) const NODE_DATA_PAYLOAD_KEY: &str = "payload_b64";

/// The kernel version `kernelInfo` reports.
pub const KERNEL_VERSION: &str = concat!("jitos-kernel ", env!("CARGO_PKG_VERSION"), " (M2)");

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

/// `kernelInfo`, for a log of `event_count` events.
pub(crate) fn kernel_info(event_count: u64) -> KernelInfo {
    KernelInfo {
        version: KERNEL_VERSION.to_owned(),
        rule_pack_id: Some(*rule_pack_id().as_bytes()),
        policy_id: Some(POLICY_ID),
        commit_status: CommitStatus::Committed,
        event_count,
    }
}

/// A resolved view as the API echoes it: the snapshot id only when the request pinned one.
pub(crate) fn view_ref(view: &ResolvedView) -> ViewRef {
    let mut output = view.key.to_output();
    if view.pinned {
        output.snapshot_id = Some(view.digest.to_string());
    }
    output
}

/// A node as the API shows it.
pub(crate) fn node(id: &NodeId, node: &Node) -> GraphNode {
    let payload_b64 = base64(node.payload());
    GraphNode {
        id: id.to_string(),
        kind: node.kind().to_owned(),
        data: json!({ NODE_DATA_PAYLOAD_KEY: payload_b64 }),
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

/// The commit digest of `graph`, computed only if a query selects it.
pub(crate) fn lazy_commit_digest(graph: &Graph) -> Lazy<[u8; 32]> {
    let graph = graph.clone();
    Lazy::deferred(move || Ok(*graph.commit_digest().as_bytes()))
}

/// An SWS as its SWS_CREATE event made it: the payload of `createSws`, also for a retry.
pub(crate) fn created_sws(event: &Event) -> Sws {
    let id = match event.view {
        ViewKey::Sws(id) => id.to_string(),
        ViewKey::System => String::new(),
    };
    Sws {
        id,
        parent_snapshot_id: Some(event.view_digest.to_string()),
        created_at: None,
        state: crate::state::SwsState::Active.as_str().to_owned(),
        meta: event.meta.clone(),
    }
}

/// The payload of `applyRewrite` for its event, also for a retry.
pub(crate) fn rewrite_payload(event: &Event) -> ApplyRewritePayload {
    ApplyRewritePayload {
        accepted: true,
        receipt: ReceiptV0 {
            rewrite_idx: event.idx,
            view: event.view.to_output(),
            view_digest: *event.view_digest.as_bytes(),
        },
        tick_receipt: None,
    }
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
