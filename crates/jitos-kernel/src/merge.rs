//! The three-way merge behind collapse and rebase (`docs/spec/collapse.md`): the overlay's
//! changes since its base, checked against System's changes since the same base.
//!
//! # Invariants
//! - `merge` is a pure function of the three graphs: the same graphs give the same ops and the
//!   same conflicts, in the same order.
//! - Its cost follows the two differences (`Graph::diff` skips equal subtrees), not the graphs.
//! - Either the conflict list is empty and the ops apply to System under the rewrite rules, or
//!   it is not and the ops are empty.

use std::collections::BTreeSet;

use jitos_core::Hash;
use jitos_graph::{Graph, GraphDiff};
pub use jitos_schema::enums::{ConflictKind, ItemKind};
use jitos_schema::ops::{AddEdge, AddNode, Op, RemoveEdge, RemoveNode};

/// One conflict: what the overlay did to `id`, and the System change (`system_id`) in its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Conflict {
    /// What kind of conflict.
    pub kind: ConflictKind,
    /// The overlay's item.
    pub id: Hash,
    /// The item System's change concerns.
    pub system_id: Hash,
    /// Whether `id` names a node or an edge.
    pub subject: ItemKind,
}

impl Conflict {
    /// What the overlay did to `id`: a conflict is always about an overlay addition of an edge
    /// (EDGE_END_REMOVED) or an overlay removal.
    pub fn overlay_added(&self) -> bool {
        self.kind == ConflictKind::EdgeEndRemoved
    }

    /// What System did to `system_id`: only NODE_REMOVAL_UNDER_NEW_EDGE is about a System
    /// addition (of an edge).
    pub fn system_added(&self) -> bool {
        self.kind == ConflictKind::NodeRemovalUnderNewEdge
    }

    /// Whether `system_id` names a node or an edge.
    pub fn system_subject(&self) -> ItemKind {
        match self.kind {
            ConflictKind::EdgeEndRemoved => ItemKind::Node,
            ConflictKind::NodeRemovalUnderNewEdge => ItemKind::Edge,
            ConflictKind::AlreadyRemoved => self.subject,
        }
    }
}

/// The outcome of a merge: the ops to apply to System, or the conflicts that forbid it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Merge {
    /// The overlay's changes as ops: edges out, nodes out, nodes in, edges in, each in id order.
    pub ops: Vec<Op>,
    /// Every conflict, sorted by (kind, id, system id).
    pub conflicts: Vec<Conflict>,
}

/// Merges `overlay` (which started from `base`) into `system` (which also started from `base`).
pub fn merge(base: &Graph, overlay: &Graph, system: &Graph) -> Merge {
    let ours = base.diff(overlay);
    let theirs = base.diff(system);
    let conflicts = conflicts(&ours, &theirs, overlay, system);
    if !conflicts.is_empty() {
        return Merge {
            ops: Vec::new(),
            conflicts,
        };
    }
    Merge {
        ops: ops(&ours, overlay),
        conflicts,
    }
}

fn conflicts(
    ours: &GraphDiff,
    theirs: &GraphDiff,
    overlay: &Graph,
    system: &Graph,
) -> Vec<Conflict> {
    let system_removed: BTreeSet<&Hash> = theirs.nodes_removed.iter().collect();
    let system_added_edges: BTreeSet<&Hash> = theirs.edges_added.iter().collect();
    let mut found = Vec::new();
    for edge_id in &ours.edges_added {
        let Some(edge) = overlay.edge(edge_id) else {
            continue;
        };
        for end in [edge.from(), edge.to()] {
            if system_removed.contains(end) {
                found.push(Conflict {
                    kind: ConflictKind::EdgeEndRemoved,
                    id: *edge_id,
                    system_id: *end,
                    subject: ItemKind::Edge,
                });
            }
        }
    }
    for node_id in &ours.nodes_removed {
        for edge_id in system.edges_touching(node_id) {
            if system_added_edges.contains(edge_id) {
                found.push(Conflict {
                    kind: ConflictKind::NodeRemovalUnderNewEdge,
                    id: *node_id,
                    system_id: *edge_id,
                    subject: ItemKind::Node,
                });
            }
        }
    }
    let both = |ours: &[Hash], theirs: &[Hash], subject| {
        let theirs: BTreeSet<&Hash> = theirs.iter().collect();
        ours.iter()
            .filter(|id| theirs.contains(id))
            .map(|id| Conflict {
                kind: ConflictKind::AlreadyRemoved,
                id: *id,
                system_id: *id,
                subject,
            })
            .collect::<Vec<_>>()
    };
    found.extend(both(
        &ours.nodes_removed,
        &theirs.nodes_removed,
        ItemKind::Node,
    ));
    found.extend(both(
        &ours.edges_removed,
        &theirs.edges_removed,
        ItemKind::Edge,
    ));
    found.sort_unstable();
    found.dedup();
    found
}

/// The overlay's changes as ops, in the order that keeps every step a graph.
pub(crate) fn ops(ours: &GraphDiff, overlay: &Graph) -> Vec<Op> {
    let edges_out = ours
        .edges_removed
        .iter()
        .map(|id| Op::RemoveEdge(RemoveEdge { id: *id.as_bytes() }));
    let nodes_out = ours
        .nodes_removed
        .iter()
        .map(|id| Op::RemoveNode(RemoveNode { id: *id.as_bytes() }));
    let nodes_in = ours.nodes_added.iter().filter_map(|id| {
        let node = overlay.node(id)?;
        Some(Op::AddNode(AddNode {
            kind: node.kind().to_owned(),
            payload: node.payload().to_vec(),
        }))
    });
    let edges_in = ours.edges_added.iter().filter_map(|id| {
        let edge = overlay.edge(id)?;
        Some(Op::AddEdge(AddEdge {
            from: *edge.from().as_bytes(),
            to: *edge.to().as_bytes(),
            kind: edge.kind().to_owned(),
            payload: edge.payload().map(<[u8]>::to_vec),
        }))
    });
    edges_out
        .chain(nodes_out)
        .chain(nodes_in)
        .chain(edges_in)
        .collect()
}

#[cfg(test)]
mod tests;
