//! Applying a rewrite: a list of ops, all or none, with the graph invariants checked once the
//! whole rewrite has applied (contract §7).
//!
//! The ops run in order as operations on the node and edge *sets*; only the end state must be a
//! graph. So a rewrite may add an edge before the nodes it joins, or remove a node together
//! with the edges that touch it, in any order. The rules (`docs/spec/rewrites.md`):
//! - `RemoveNode` / `RemoveEdge` of an id that is not in the view at that point of the rewrite
//!   is `NOT_FOUND` at `rewrite.ops[i].data.id`; the first such op decides.
//! - Otherwise the end state is checked. An added edge with an end that is not a node is
//!   `NOT_FOUND` at `rewrite.ops[i].data.from` (or `.to`), `i` the op that last added it; a
//!   removed node that an edge still touches is `CONFLICT` at `rewrite.ops[i].data.id`, `i` the
//!   op that last removed it. Of several violations the lowest `i` decides.
//!
//! # Invariants
//! - `check` returns the ops' net set change or the fault; `apply` returns a graph equal to
//!   applying that change, or an error and no graph: its input graph is never modified.
//!   `NetChange::apply_to` changes a graph in place (copying only shared tree paths): the
//!   kernel's write path, which rebuilds the graph from history if it ever fails.
//! - The result depends only on the graph and the ops, never on map iteration order: the
//!   pending sets are `BTreeMap`s.

use std::collections::BTreeMap;

use jitos_graph::{Edge, EdgeId, Graph, Node, NodeId};
use jitos_schema::ErrorCode;
use jitos_schema::ops::Op;

use crate::error::KernelError;

/// Where a refused rewrite went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RewriteFault {
    /// The op's index in the rewrite.
    pub op_idx: usize,
    /// The field of the op's `data` at fault (`id`, `from`, `to`, `kind`, ...).
    pub field: &'static str,
    /// The contract code.
    pub code: ErrorCode,
    /// What went wrong.
    pub message: String,
}

impl RewriteFault {
    /// The API error, at `rewrite.ops[i].data.FIELD`.
    pub(crate) fn into_error(self) -> KernelError {
        let path = format!("rewrite.ops[{}].data.{}", self.op_idx, self.field);
        KernelError::new(self.code, path, self.message)
    }
}

/// The state of one node or edge the rewrite touched.
#[derive(Debug)]
struct Pending<T> {
    /// Whether it is present at this point of the rewrite.
    present: bool,
    /// Its content when an add made it present; `None` after a remove.
    value: Option<T>,
    /// The op that last made it present (adds) or absent (removes).
    last_op: usize,
}

impl<T> Pending<T> {
    fn added(value: T, op_idx: usize) -> Pending<T> {
        Pending {
            present: true,
            value: Some(value),
            last_op: op_idx,
        }
    }

    fn removed(op_idx: usize) -> Pending<T> {
        Pending {
            present: false,
            value: None,
            last_op: op_idx,
        }
    }
}

/// The rewrite's view of the graph: the graph plus the ops applied so far.
struct Overlay<'g> {
    graph: &'g Graph,
    nodes: BTreeMap<NodeId, Pending<Node>>,
    edges: BTreeMap<EdgeId, Pending<Edge>>,
}

impl Overlay<'_> {
    fn has_node(&self, id: &NodeId) -> bool {
        self.nodes
            .get(id)
            .map_or_else(|| self.graph.contains_node(id), |pending| pending.present)
    }

    fn has_edge(&self, id: &EdgeId) -> bool {
        self.edges
            .get(id)
            .map_or_else(|| self.graph.contains_edge(id), |pending| pending.present)
    }

    fn step(&mut self, op_idx: usize, op: &Op) -> Result<(), RewriteFault> {
        match op {
            Op::AddNode(add) => {
                let node = Node::new(add.kind.as_str(), add.payload.as_slice());
                self.nodes.insert(node.id(), Pending::added(node, op_idx));
            }
            Op::AddEdge(add) => {
                let (from, to) = (NodeId::from_bytes(add.from), NodeId::from_bytes(add.to));
                let edge = Edge::new(from, to, add.kind.as_str(), add.payload.as_deref());
                self.edges.insert(edge.id(), Pending::added(edge, op_idx));
            }
            Op::RemoveNode(remove) => {
                let id = NodeId::from_bytes(remove.id);
                if !self.has_node(&id) {
                    return Err(not_found(op_idx, "id", format!("no node {id} in the view")));
                }
                self.nodes.insert(id, Pending::removed(op_idx));
            }
            Op::RemoveEdge(remove) => {
                let id = EdgeId::from_bytes(remove.id);
                if !self.has_edge(&id) {
                    return Err(not_found(op_idx, "id", format!("no edge {id} in the view")));
                }
                self.edges.insert(id, Pending::removed(op_idx));
            }
        }
        Ok(())
    }

    /// The first violation of the end-state invariants, by op index.
    fn end_state_fault(&self) -> Option<RewriteFault> {
        // Every edge an `AddEdge` made present, even one the view already held: that op named
        // the edge's ends, so it answers for them.
        let added_edges = self
            .edges
            .iter()
            .filter(|(_, pending)| pending.present && pending.value.is_some());
        let dangling = added_edges.filter_map(|(_, pending)| {
            let edge = pending.value.as_ref()?;
            let (field, end) = if self.has_node(edge.from()) {
                ("to", edge.to())
            } else {
                ("from", edge.from())
            };
            (!self.has_node(end)).then(|| {
                let message = format!("node {end} is not in the view after the rewrite");
                not_found(pending.last_op, field, message)
            })
        });
        let removed_nodes = self
            .nodes
            .iter()
            .filter(|(id, pending)| !pending.present && self.graph.contains_node(id));
        // An added edge that touches a removed node is already a dangling edge above.
        let touched = removed_nodes.filter_map(|(id, pending)| {
            let edge = self
                .graph
                .edges_touching(id)
                .find(|edge| self.has_edge(edge))?;
            Some(RewriteFault {
                op_idx: pending.last_op,
                field: "id",
                code: ErrorCode::Conflict,
                message: format!(
                    "node {id} is still touched by edge {edge}; remove the edge in the same rewrite"
                ),
            })
        });
        dangling.chain(touched).min_by_key(|fault| fault.op_idx)
    }

    /// The net set change, owned, so it can be applied to the graph it was checked against.
    fn into_change(self) -> NetChange {
        let graph = self.graph;
        let mut change = NetChange::default();
        for (id, pending) in self.edges {
            match pending.value {
                Some(edge) if pending.present => change.edges_in.push(edge),
                _ if !pending.present && graph.contains_edge(&id) => change.edges_out.push(id),
                _ => {}
            }
        }
        for (id, pending) in self.nodes {
            match pending.value {
                Some(node) if pending.present => change.nodes_in.push(node),
                _ if !pending.present && graph.contains_node(&id) => change.nodes_out.push(id),
                _ => {}
            }
        }
        change
    }
}

/// A checked rewrite's net effect on the graph it was checked against.
#[derive(Debug, Default)]
pub(crate) struct NetChange {
    edges_out: Vec<EdgeId>,
    nodes_in: Vec<Node>,
    nodes_out: Vec<NodeId>,
    edges_in: Vec<Edge>,
}

impl NetChange {
    /// Applies the change to `graph`, the graph it was checked against: edges out, nodes in,
    /// nodes out, edges in, so every intermediate graph satisfies the invariants the end state
    /// satisfies. Mutating in place copies only the tree paths `graph` shares with other
    /// versions.
    ///
    /// # Errors
    /// `INTERNAL` if a step fails, which the checks rule out; `graph` may then be partly
    /// changed, and the caller must discard it.
    pub(crate) fn apply_to(self, graph: &mut Graph) -> Result<(), KernelError> {
        let broken = |error: &dyn std::fmt::Display| unapplied(error);
        for id in &self.edges_out {
            graph.remove_edge(id).map_err(|e| broken(&e))?;
        }
        for node in self.nodes_in {
            // Already present is fine: the rewrite may re-add what the view holds.
            let _outcome = graph.add_node(node).map_err(|e| broken(&e))?;
        }
        for id in &self.nodes_out {
            graph.remove_node(id).map_err(|e| broken(&e))?;
        }
        for edge in self.edges_in {
            let _outcome = graph.add_edge(edge).map_err(|e| broken(&e))?;
        }
        Ok(())
    }
}

impl NetChange {
    /// The number of nodes and edges the change adds or removes.
    fn len(&self) -> usize {
        self.edges_out.len() + self.nodes_in.len() + self.nodes_out.len() + self.edges_in.len()
    }

    /// `graph` with the change, built from scratch (`Graph::build`: about one hash per item
    /// instead of log n per changed item). Shares no tree with `graph`.
    fn build_from(self, graph: &Graph) -> Result<Graph, KernelError> {
        // From a BTreeMap: sorted, so membership is a binary search.
        debug_assert!(self.nodes_out.is_sorted() && self.edges_out.is_sorted());
        let nodes = graph
            .nodes_after(None)
            .filter(|(id, _)| self.nodes_out.binary_search(id).is_err())
            .map(|(_, node)| node.clone())
            .chain(self.nodes_in);
        let edges = graph
            .edges_after(None)
            .filter(|(id, _)| self.edges_out.binary_search(id).is_err())
            .map(|(_, edge)| edge.clone())
            .chain(self.edges_in);
        Graph::build(nodes, edges).map_err(|error| unbuilt(&error))
    }
}

/// `INTERNAL` for a checked rewrite the graph refused anyway (a node beyond the limits, which
/// only a log the kernel did not write can hold).
pub(crate) fn unapplied(error: &dyn std::fmt::Display) -> KernelError {
    KernelError::internal(format!("a checked rewrite failed to apply: {error}"))
}

/// `INTERNAL` for a checked rewrite whose graph could not be built (as [`unapplied`]).
fn unbuilt(error: &dyn std::fmt::Display) -> KernelError {
    KernelError::internal(format!("a checked rewrite failed to build: {error}"))
}

/// The nodes `ops` add when they are all `AddNode`s: a rewrite that cannot be refused, since
/// adding a node the view holds changes nothing and no end-state rule concerns a node added.
pub(crate) fn added_nodes(ops: &[Op]) -> Option<Vec<Node>> {
    only_adds_nodes(ops).then(|| nodes_added(ops).collect())
}

/// Whether `ops` are all `AddNode`s (see [`added_nodes`]).
pub(crate) fn only_adds_nodes(ops: &[Op]) -> bool {
    ops.iter().all(|op| matches!(op, Op::AddNode(_)))
}

/// The nodes the `AddNode`s among `ops` add, in order.
pub(crate) fn nodes_added(ops: &[Op]) -> impl Iterator<Item = Node> + '_ {
    ops.iter().filter_map(|op| match op {
        Op::AddNode(add) => Some(Node::new(add.kind.as_str(), add.payload.as_slice())),
        _ => None,
    })
}

fn not_found(op_idx: usize, field: &'static str, message: String) -> RewriteFault {
    RewriteFault {
        op_idx,
        field,
        code: ErrorCode::NotFound,
        message,
    }
}

/// Checks `ops` against `graph`: their net change, or the fault that refuses the whole rewrite.
///
/// # Errors
/// The rewrite's fault (see the module doc).
pub(crate) fn check(graph: &Graph, ops: &[Op]) -> Result<NetChange, KernelError> {
    let mut overlay = Overlay {
        graph,
        nodes: BTreeMap::new(),
        edges: BTreeMap::new(),
    };
    for (op_idx, op) in ops.iter().enumerate() {
        overlay.step(op_idx, op).map_err(RewriteFault::into_error)?;
    }
    if let Some(fault) = overlay.end_state_fault() {
        return Err(fault.into_error());
    }
    Ok(overlay.into_change())
}

/// `graph` after `ops` as a new graph (`graph` is left as it was), or the fault that refuses
/// the whole rewrite.
///
/// # Errors
/// The rewrite's fault (see the module doc), or `INTERNAL` if a checked rewrite fails to apply.
pub(crate) fn apply(graph: &Graph, ops: &[Op]) -> Result<Graph, KernelError> {
    let change = check(graph, ops)?;
    let mut next = graph.clone();
    change.apply_to(&mut next)?;
    Ok(next)
}

/// As [`apply`], for a change that may be large (a checkpoint's overlay): when it touches more
/// items than `graph` holds, the result is built from scratch, which is cheaper than changing
/// the trees item by item and costs at most twice the change's memory.
///
/// # Errors
/// As [`apply`].
pub(crate) fn apply_bulk(graph: &Graph, ops: &[Op]) -> Result<Graph, KernelError> {
    if let Some(added) = added_nodes(ops)
        && added.len() > graph.n_nodes() + graph.n_edges()
    {
        // Nothing to check (see `added_nodes`), and `build` keeps one of each node.
        let nodes = graph.nodes_after(None).map(|(_, node)| node.clone());
        let edges = graph.edges_after(None).map(|(_, edge)| edge.clone());
        return Graph::build(nodes.chain(added), edges).map_err(|error| unbuilt(&error));
    }
    let change = check(graph, ops)?;
    if change.len() > graph.n_nodes() + graph.n_edges() {
        return change.build_from(graph);
    }
    let mut next = graph.clone();
    change.apply_to(&mut next)?;
    Ok(next)
}

#[cfg(test)]
mod tests;
