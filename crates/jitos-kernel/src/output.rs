//! Conversions from kernel values to the generated output types of the API.
//!
//! # Invariants
//! - Ids and digests leave as 64 lowercase hex characters; payloads as padded standard base64.
//! - Pages list items in ascending id (or idx) order and say whether more follow.

use jitos_core::Hash;
use jitos_graph::{Edge, EdgeId, Graph, Node, NodeId};
use jitos_schema::enums::{ChangeKind, CommitStatus};
use jitos_schema::outputs::{
    ApplyRewritePayload, CollapseSwsPayload, Conflict, EventRef, GraphEdge, GraphNode, KernelInfo,
    MergeReceipt, RebaseSwsPayload, ReceiptV0, RewriteEvent, StorageInfo, Sws, TickReceipt,
    ViewRef,
};
use jitos_schema::runtime::Lazy;
use serde_json::json;

use crate::error::KernelError;
use crate::event::{Event, base64};
use crate::merge;
use crate::receipt::Receipt;
use crate::state::{ResolvedView, SwsRecord, SwsState};
use crate::view::ViewKey;

/// The one key of a node's `data` in v0.
pub(crate) const NODE_DATA_PAYLOAD_KEY: &str = "payload_b64";

/// The kernel version `kernelInfo` reports.
pub const KERNEL_VERSION: &str = concat!("jitos-kernel ", env!("CARGO_PKG_VERSION"), " (M4)");

/// The policy in force: v0 fail-fast.
pub const POLICY_ID: u32 = 0;

/// The rule pack in force: blake3 of the canonical encoding of
/// `["jitos-rule-pack-v0", [op name, ...]]`, the op names sorted (see `docs/spec/events.md`).
pub fn rule_pack_id() -> Hash {
    // Checked against every record at start and written into every receipt: hash it once.
    static RULE_PACK_ID: std::sync::LazyLock<Hash> = std::sync::LazyLock::new(|| {
        use jitos_core::cbor::Value;
        let names = Value::array(
            jitos_schema::ops::Op::NAMES
                .iter()
                .map(|name| Value::text(*name)),
        );
        let value = Value::array([Value::text("jitos-rule-pack-v0"), names]);
        jitos_core::hash_canonical(&value).unwrap_or(Hash::ZERO)
    });
    *RULE_PACK_ID
}

/// `kernelInfo`, for a log of `event_count` events whose last collapse committed or not
/// (`None` before the first collapse, reported as COMMITTED: nothing was ever refused).
pub(crate) fn kernel_info(
    event_count: u64,
    last_collapse_committed: Option<bool>,
    storage: StorageInfo,
) -> KernelInfo {
    let commit_status = match last_collapse_committed {
        Some(false) => CommitStatus::Aborted,
        Some(true) | None => CommitStatus::Committed,
    };
    KernelInfo {
        version: KERNEL_VERSION.to_owned(),
        rule_pack_id: Some(*rule_pack_id().as_bytes()),
        policy_id: Some(POLICY_ID),
        commit_status,
        event_count,
        storage,
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
        meta: event.meta.as_deref().cloned(),
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
        meta: event.meta.as_deref().cloned(),
        reason: event.reason.as_deref().map(str::to_owned),
        view_digest: *event.view_digest.as_bytes(),
        receipt: Receipt::of(event).map(|receipt| merge_receipt(&receipt)),
    }
}

/// A COLLAPSE or REBASE receipt as the API shows it.
pub(crate) fn merge_receipt(receipt: &Receipt<'_>) -> MergeReceipt {
    let Receipt { event, outcome } = *receipt;
    let counts = receipt.counts();
    let count = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
    MergeReceipt {
        kind: event.kind,
        event_idx: event.idx,
        event_id: event.id.to_string(),
        sws_id: receipt.sws_id().to_string(),
        committed: outcome.committed,
        base_snapshot_id: outcome.base_digest.to_string(),
        system_snapshot_id: outcome.system_digest.to_string(),
        view_digest: *event.view_digest.as_bytes(),
        rule_pack_id: *rule_pack_id().as_bytes(),
        policy_id: POLICY_ID,
        conflicts: outcome.conflicts.iter().map(conflict).collect(),
        nodes_added: count(counts.nodes_added),
        nodes_removed: count(counts.nodes_removed),
        edges_added: count(counts.edges_added),
        edges_removed: count(counts.edges_removed),
        digest: *receipt.digest().as_bytes(),
    }
}

fn conflict(conflict: &merge::Conflict) -> Conflict {
    let change = |added| {
        if added {
            ChangeKind::Added
        } else {
            ChangeKind::Removed
        }
    };
    Conflict {
        kind: conflict.kind,
        id: conflict.id.to_string(),
        subject: conflict.subject,
        overlay_change: change(conflict.overlay_added()),
        system_id: conflict.system_id.to_string(),
        system_subject: conflict.system_subject(),
        system_change: change(conflict.system_added()),
    }
}

/// The receipt of a COLLAPSE or REBASE event the kernel just made.
fn receipt_of(event: &Event) -> Result<Receipt<'_>, KernelError> {
    Receipt::of(event)
        .ok_or_else(|| KernelError::internal(format!("event {} has no merge outcome", event.idx)))
}

/// The payload of `collapseSws` for its event, also for a retry.
pub(crate) fn collapse_payload(event: &Event) -> Result<CollapseSwsPayload, KernelError> {
    let receipt = receipt_of(event)?;
    let outcome = receipt.outcome;
    Ok(CollapseSwsPayload {
        committed: outcome.committed,
        system_snapshot_id: Some(outcome.system_digest.to_string()),
        system_digest: *outcome.system_digest.as_bytes(),
        receipt: Some(TickReceipt {
            tick_id: None,
            rule_pack_id: Some(*rule_pack_id().as_bytes()),
            policy_id: Some(POLICY_ID),
            events: vec![EventRef {
                id: event.id.to_string(),
                kind: event.kind,
                at: None,
                meta: event.meta.as_deref().cloned(),
            }],
        }),
        collapse_receipt: merge_receipt(&receipt),
    })
}

/// The payload of `rebaseSws` for its event, also for a retry; `meta` is the SWS's creation
/// meta.
pub(crate) fn rebase_payload(
    event: &Event,
    meta: Option<&serde_json::Value>,
) -> Result<RebaseSwsPayload, KernelError> {
    let receipt = receipt_of(event)?;
    let outcome = receipt.outcome;
    let base = if outcome.committed {
        outcome.system_digest
    } else {
        outcome.base_digest
    };
    Ok(RebaseSwsPayload {
        rebased: outcome.committed,
        sws: Sws {
            id: receipt.sws_id().to_string(),
            parent_snapshot_id: Some(base.to_string()),
            created_at: None,
            state: SwsState::Active.as_str().to_owned(),
            meta: meta.cloned(),
        },
        digest: *event.view_digest.as_bytes(),
        receipt: merge_receipt(&receipt),
    })
}
