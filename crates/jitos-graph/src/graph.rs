//! [`Graph`]: the persistent node and edge sets of one view, with both digests.
//!
//! A `Graph` is a value. Cloning it is O(1) and gives a snapshot: the mutating methods take
//! `&mut self`, copy the few tree paths they change (O(log n) nodes) and leave every clone as
//! it was. So a view derived from a large graph costs memory in proportion to what it changed,
//! not to the graph: the node and edge maps are the crit-bit maps of [`crate::critmap`] (binary,
//! so a copied path is small: see its doc) and the two Merkle trees are the crit-bit trees of
//! [`crate::smt`], all with `Arc`-shared nodes. A graph may drop its trees
//! ([`Graph::without_trees`]): what a view's history keeps of versions it only reads.
//!
//! Per op the digest costs about log2(n) `smt_inner` calls plus three or four hashes for the id,
//! the tree key and the leaf; the commit digest is computed on first request for a version and
//! cached in an `Arc<OnceLock>` that every clone of that version shares and every change
//! replaces.
//!
//! [`Graph::diff`] reads the two trees of two graphs together and skips every pair of subtrees
//! with the same hash (`Smt::diff`), so its cost follows the number of differences; the ids it
//! finds come from the trees' leaves, in key order, and are sorted into id order. Without trees
//! on either side it walks the two maps the same way, skipping the subtrees they share.
//!
//! # Invariants
//! - `nodes`, `edges`, `incident` and the two trees (when the graph has them) describe the same
//!   sets: every node (edge) is in its tree under `node_key(id)` (`edge_key(id)`) with its leaf
//!   hash and its id, and every edge appears in `incident` under both of its ends.
//! - `diff` reads nothing but the trees (the maps when a side has no trees), and each list it
//!   returns is ascending by id.
//! - Every edge's `from` and `to` are nodes of the graph.
//! - With trees, `digest == graph_root(node_tree root, edge_tree root) == digest_full()`; in
//!   debug builds every change asserts the second equality while the graph has at most
//!   [`DEBUG_DIGEST_CHECK_ENTRIES_MAX`] nodes plus edges. Without trees, `digest` is the one the
//!   graph had when it dropped them, or the one [`Graph::assume_digest`] set after changes
//!   (checked against `digest_full()` the same way in debug builds).
//! - An operation that returns an error has changed nothing.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::{Arc, OnceLock};

use jitos_core::limits::{KIND_LEN_MAX, PAYLOAD_BYTES_MAX};
use jitos_core::{Hash, node_ids_each};

use crate::critmap::{CritMap, DiffSide};
use crate::diff::{DiffStats, GraphDiff};
use crate::digest::{
    self, EDGE_KEY_DOMAIN, ENTRIES_BATCH_MAX, NODE_KEY_DOMAIN, edge_entry, edge_key, entries_each,
    graph_root, node_entry, node_key, put_edge_leaf, put_node_leaf,
};
use crate::error::{AddEdgeError, AddNodeError, BuildError, RemoveEdgeError, RemoveNodeError};
use crate::model::{Edge, EdgeId, Node, NodeId};
use crate::parallel;
use crate::smt::{Change, LeafEntry, Smt, root_hash_of_sorted};

/// Largest number of nodes plus edges at which debug builds recompute the digest from scratch
/// after every change and assert it equals the incremental one.
///
/// The check is O(n), so applying it at every size would make a run of n changes O(n²); with
/// this bound tests at scale stay linear while every small graph (all property tests) is
/// checked after every single op. Release builds never run it.
pub const DEBUG_DIGEST_CHECK_ENTRIES_MAX: usize = 1024;

/// [`Graph::with_trees_from`] updates the base's trees when the differences are at most one
/// in this many entries, and builds them from scratch otherwise: an update costs about
/// log2(n) hashes per difference, a build about three hashes per entry plus a sort.
pub const TREES_FROM_BASE_SHARE_MAX: usize = 8;

/// What an `add_node` or `add_edge` that succeeded did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum AddOutcome {
    /// The node or edge was new and is now in the graph; the digest changed.
    Added {
        /// Its id.
        id: Hash,
    },
    /// The graph already held it (content-addressed: the same content has the same id);
    /// nothing changed, the digest included.
    AlreadyPresent {
        /// Its id.
        id: Hash,
    },
}

impl AddOutcome {
    /// The id of the node or edge.
    #[must_use]
    pub fn id(&self) -> Hash {
        match self {
            AddOutcome::Added { id } | AddOutcome::AlreadyPresent { id } => *id,
        }
    }
}

/// How much of a graph's Merkle trees another graph shares (see [`Graph::tree_stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeStats {
    /// Tree nodes (leaves and branches) of both trees of this graph.
    pub n_tree_nodes: usize,
    /// Those among them that the base graph does not share.
    pub n_tree_nodes_not_in_base: usize,
}

/// The node and edge sets of a view, with `digest` (GraphRootV1) and `commit_digest`
/// (GraphCommitDigestV0). Clone is O(1) and makes an independent snapshot.
#[derive(Clone)]
pub struct Graph {
    nodes: CritMap<NodeId, Node>,
    edges: CritMap<EdgeId, Edge>,
    /// `(node, edge)` for each end of each edge; a self-loop has one entry.
    incident: CritMap<(NodeId, EdgeId), ()>,
    /// The two Merkle trees; `None` for a graph that dropped them ([`Graph::without_trees`]).
    trees: Option<Trees>,
    node_root: Hash,
    edge_root: Hash,
    digest: Hash,
    /// Shared by the clones of one version; replaced by every change.
    commit_digest: Arc<OnceLock<Hash>>,
}

/// The node tree and the edge tree.
#[derive(Clone, Default)]
struct Trees {
    node: Smt,
    edge: Smt,
}

// Snapshots are handed to reader threads.
const _: fn() = || {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Graph>();
};

impl Default for Graph {
    fn default() -> Graph {
        Graph::new()
    }
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Graph")
            .field("n_nodes", &self.n_nodes())
            .field("n_edges", &self.n_edges())
            .field("digest", &self.digest)
            .finish_non_exhaustive()
    }
}

/// The byte length of `kind` if it is not 1 to `KIND_LEN_MAX` bytes.
fn bad_kind_len(kind: &str) -> Option<usize> {
    (kind.is_empty() || kind.len() > KIND_LEN_MAX).then_some(kind.len())
}

/// The byte length of `payload` if it exceeds `PAYLOAD_BYTES_MAX`.
fn bad_payload_len(payload: &[u8]) -> Option<usize> {
    (payload.len() > PAYLOAD_BYTES_MAX).then_some(payload.len())
}

fn check_node(node: &Node) -> Result<(), AddNodeError> {
    if let Some(len) = bad_kind_len(node.kind()) {
        return Err(AddNodeError::KindLength { len });
    }
    if let Some(len) = bad_payload_len(node.payload()) {
        return Err(AddNodeError::PayloadTooLarge { len });
    }
    Ok(())
}

fn check_edge_fields(edge: &Edge) -> Result<(), AddEdgeError> {
    if let Some(len) = bad_kind_len(edge.kind()) {
        return Err(AddEdgeError::KindLength { len });
    }
    if let Some(len) = edge.payload().and_then(bad_payload_len) {
        return Err(AddEdgeError::PayloadTooLarge { len });
    }
    Ok(())
}

impl Graph {
    /// The empty graph: `digest = graph_root(0^32, 0^32)`, commit digest `1af810ab…427a`.
    #[must_use]
    pub fn new() -> Graph {
        Graph::from_parts(
            CritMap::new(),
            CritMap::new(),
            CritMap::new(),
            Smt::default(),
            Smt::default(),
        )
    }

    fn from_parts(
        nodes: CritMap<NodeId, Node>,
        edges: CritMap<EdgeId, Edge>,
        incident: CritMap<(NodeId, EdgeId), ()>,
        node_tree: Smt,
        edge_tree: Smt,
    ) -> Graph {
        let node_root = node_tree.root_hash();
        let edge_root = edge_tree.root_hash();
        Graph {
            nodes,
            edges,
            incident,
            trees: Some(Trees {
                node: node_tree,
                edge: edge_tree,
            }),
            node_root,
            edge_root,
            digest: graph_root(&node_root, &edge_root),
            commit_digest: Arc::new(OnceLock::new()),
        }
    }

    /// Builds a graph from scratch in one pass: the bulk path for large graphs and replay.
    ///
    /// Costs about n hashes for the trees (plus the ids, keys and leaves) and an
    /// O(n log n) sort, instead of log2(n) hashes per element. Input order does not matter and
    /// repeated nodes or edges count once. The result equals adding the nodes, then the edges,
    /// one by one.
    ///
    /// # Errors
    /// The first node (in input order) that `add_node` would refuse, else the first edge that
    /// `add_edge` would refuse given all the nodes.
    pub fn build(
        nodes: impl IntoIterator<Item = Node>,
        edges: impl IntoIterator<Item = Edge>,
    ) -> Result<Graph, BuildError> {
        // Ids, keys and leaf hashes are computed in input order, while each item is fresh in
        // the cache, rather than later in id or key order (a random walk through memory).
        // Large inputs hash on every core (`parallel::map_batches_in_order`), each slice in input
        // order, eight items at a time (`jitos_blake3_many`).
        let nodes: Vec<Node> = nodes.into_iter().collect();
        for (index, node) in nodes.iter().enumerate() {
            check_node(node).map_err(|source| BuildError::Node { index, source })?;
        }
        let (node_list, node_entries) =
            ids_and_entries(nodes, node_ids_into, NODE_KEY_DOMAIN, put_node_leaf);
        let nodes = sorted_map(node_list);
        let edges: Vec<Edge> = edges.into_iter().collect();
        for (index, edge) in edges.iter().enumerate() {
            let check = check_edge_fields(edge).and_then(|()| check_ends(&nodes, edge));
            check.map_err(|source| BuildError::Edge { index, source })?;
        }
        let (edge_list, edge_entries) =
            ids_and_entries(edges, edge_ids_into, EDGE_KEY_DOMAIN, put_edge_leaf);
        let mut incident_list: Vec<((NodeId, EdgeId), ())> =
            Vec::with_capacity(2 * edge_list.len());
        for (id, edge) in &edge_list {
            incident_list.push(((*edge.from(), *id), ()));
            incident_list.push(((*edge.to(), *id), ()));
        }
        let mut incident_list =
            parallel::sort_unstable_by(incident_list, &|item| &item.0, &|a, b| a.0.cmp(&b.0));
        // A self-loop has one entry.
        incident_list.dedup_by_key(|(pair, ())| *pair);
        let incident = CritMap::from_sorted(&incident_list);
        let edges = sorted_map(edge_list);
        let node_tree = tree_of(node_entries);
        let edge_tree = tree_of(edge_entries);
        let graph = Graph::from_parts(nodes, edges, incident, node_tree, edge_tree);
        graph.debug_check_digest();
        Ok(graph)
    }

    /// The node with this id.
    #[must_use]
    pub fn node(&self, id: &NodeId) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// The edge with this id.
    #[must_use]
    pub fn edge(&self, id: &EdgeId) -> Option<&Edge> {
        self.edges.get(id)
    }

    /// Whether the graph holds node `id`.
    #[must_use]
    pub fn contains_node(&self, id: &NodeId) -> bool {
        self.nodes.contains_key(id)
    }

    /// Whether the graph holds edge `id`.
    #[must_use]
    pub fn contains_edge(&self, id: &EdgeId) -> bool {
        self.edges.contains_key(id)
    }

    /// Number of nodes.
    #[must_use]
    pub fn n_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Number of edges.
    #[must_use]
    pub fn n_edges(&self) -> usize {
        self.edges.len()
    }

    /// The nodes with an id strictly greater than `after` (all of them for `None`), in
    /// ascending id order: a page starts after the cursor it was given (contract §6).
    pub fn nodes_after(
        &self,
        after: Option<&NodeId>,
    ) -> impl Iterator<Item = (&NodeId, &Node)> + '_ {
        self.nodes.range_from(lower_bound(after))
    }

    /// The edges with an id strictly greater than `after` (all of them for `None`), in
    /// ascending id order.
    pub fn edges_after(
        &self,
        after: Option<&EdgeId>,
    ) -> impl Iterator<Item = (&EdgeId, &Edge)> + '_ {
        self.edges.range_from(lower_bound(after))
    }

    /// The ids of the edges that start or end at `node`, ascending; a self-loop once.
    /// O(log n) to the first, O(1) amortised for each next.
    pub fn edges_touching(&self, node: &NodeId) -> impl Iterator<Item = &EdgeId> + '_ {
        let node = *node;
        self.incident
            .range_from(Bound::Included(&(node, Hash::ZERO)))
            .map_while(move |((end, edge), ())| (*end == node).then_some(edge))
    }

    /// GraphRootV1 (contract §2), maintained incrementally: O(1) to read.
    #[must_use]
    pub fn digest(&self) -> Hash {
        self.digest
    }

    /// The root of the node tree (the hash of all node leaves at depth 0).
    #[must_use]
    pub fn node_root(&self) -> Hash {
        self.node_root
    }

    /// The root of the edge tree.
    #[must_use]
    pub fn edge_root(&self) -> Hash {
        self.edge_root
    }

    /// GraphCommitDigestV0 (contract §2, SPEC-WARP-0001). O(n) on the first call for this
    /// version, then cached for it and every clone of it.
    #[must_use]
    pub fn commit_digest(&self) -> Hash {
        *self.commit_digest.get_or_init(|| self.commit_digest_full())
    }

    /// GraphCommitDigestV0 computed now, without reading or filling the cache: the encoding is
    /// streamed into BLAKE3 through a 16 KiB buffer, whatever the graph size.
    #[must_use]
    pub fn commit_digest_full(&self) -> Hash {
        digest::commit_digest(
            self.n_nodes(),
            self.nodes.iter(),
            self.n_edges(),
            self.edges.iter(),
        )
    }

    /// GraphRootV1 recomputed from scratch in O(n log n): ids, keys and leaves rehashed from the
    /// node and edge contents, the roots computed by recursion over the sorted keys without the
    /// incremental trees. [`Graph::digest`] must always equal it.
    #[must_use]
    pub fn digest_full(&self) -> Hash {
        let mut node_entries: Vec<(Hash, Hash)> = self
            .nodes
            .values()
            .map(|node| node_entry(&node.id(), node))
            .collect();
        let mut edge_entries: Vec<(Hash, Hash)> = self
            .edges
            .values()
            .map(|edge| edge_entry(&edge.id(), edge))
            .collect();
        node_entries.sort_unstable_by(|a, b| hash_order(&a.0, &b.0));
        edge_entries.sort_unstable_by(|a, b| hash_order(&a.0, &b.0));
        graph_root(
            &root_hash_of_sorted(&node_entries),
            &root_hash_of_sorted(&edge_entries),
        )
    }

    /// How many Merkle tree nodes this graph has, and how many of them `base` does not share.
    ///
    /// A diagnostic of structural sharing, O(size of both trees): after `k` changes to a clone
    /// of `base`, the second number is O(k log n).
    #[must_use]
    pub fn tree_stats(&self, base: &Graph) -> TreeStats {
        let mut shared = BTreeSet::new();
        let (trees, base_trees) = (self.trees_or_empty(), base.trees_or_empty());
        base_trees.node.collect_addresses(&mut shared);
        base_trees.edge.collect_addresses(&mut shared);
        TreeStats {
            n_tree_nodes: trees.node.n_tree_nodes() + trees.edge.n_tree_nodes(),
            n_tree_nodes_not_in_base: trees.node.n_tree_nodes_not_in(&shared)
                + trees.edge.n_tree_nodes_not_in(&shared),
        }
    }

    fn trees_or_empty(&self) -> Trees {
        self.trees.clone().unwrap_or_default()
    }

    /// This graph without its Merkle trees: the same nodes, edges and digest, at the memory
    /// cost of the id-ordered maps alone. O(1).
    ///
    /// A view's history keeps old versions this way: their trees would keep alive every tree
    /// path changed since, about half of what a version costs, and a version long past is read
    /// (pages, nodes, edges, digests, diffs) but never changed again. Such a graph can still be
    /// changed, to rebuild a later version from it: the maps change, the digest does not, and
    /// the caller, who knows the version's digest, sets it with [`Graph::assume_digest`].
    /// [`Graph::diff`] with a graph without trees walks the maps instead (see there).
    #[must_use]
    pub fn without_trees(&self) -> Graph {
        Graph {
            trees: None,
            ..self.clone()
        }
    }

    /// This graph with its Merkle trees: a clone (O(1)) if it has them, else built from its
    /// maps (about three hashes per node and edge and an O(n log n) sort; the maps are shared,
    /// not rebuilt). The digest is computed, not assumed: the caller can compare it with the
    /// one the graph carried.
    #[must_use]
    pub fn with_trees(&self) -> Graph {
        if self.has_trees() {
            return self.clone();
        }
        let node_entries = self
            .nodes
            .map_batches_in_order(ENTRIES_BATCH_MAX, &|items, out| {
                tree_entries_into(items, NODE_KEY_DOMAIN, put_node_leaf, out);
            });
        let edge_entries = self
            .edges
            .map_batches_in_order(ENTRIES_BATCH_MAX, &|items, out| {
                tree_entries_into(items, EDGE_KEY_DOMAIN, put_edge_leaf, out);
            });
        self.with_these_trees(Trees {
            node: tree_of(node_entries),
            edge: tree_of(edge_entries),
        })
    }

    /// This graph with its Merkle trees, made from `base`'s by the differences between the
    /// two graphs' maps: O(d log n) for `d` differences when this graph is `base` without its
    /// trees, changed since (the maps' shared subtrees are skipped), instead of the whole build
    /// of [`Graph::with_trees`], which it falls back to when `base` has no trees or `d` is
    /// more than a [`TREES_FROM_BASE_SHARE_MAX`] share of the entries. The digest is computed,
    /// not assumed.
    #[must_use]
    pub fn with_trees_from(&self, base: &Graph) -> Graph {
        if self.has_trees() {
            return self.clone();
        }
        let Some(base_trees) = &base.trees else {
            return self.with_trees();
        };
        // The differences are at least the change in size: when that alone is too many, skip
        // the diff (a replay's run that grew the graph from little).
        let n_entries = self.n_nodes() + self.n_edges();
        let size_change = n_entries.abs_diff(base.n_nodes() + base.n_edges());
        if size_change.saturating_mul(TREES_FROM_BASE_SHARE_MAX) > n_entries {
            return self.with_trees();
        }
        let (nodes_removed, nodes_added, _) = map_diff(&base.nodes, &self.nodes);
        let (edges_removed, edges_added, _) = map_diff(&base.edges, &self.edges);
        let n_differences =
            nodes_removed.len() + nodes_added.len() + edges_removed.len() + edges_added.len();
        if n_differences.saturating_mul(TREES_FROM_BASE_SHARE_MAX) > n_entries {
            return self.with_trees();
        }
        let mut trees = base_trees.clone();
        update_tree(
            &mut trees.node,
            &self.nodes,
            &nodes_removed,
            &nodes_added,
            node_key,
            node_entry,
        );
        update_tree(
            &mut trees.edge,
            &self.edges,
            &edges_removed,
            &edges_added,
            edge_key,
            edge_entry,
        );
        self.with_these_trees(trees)
    }

    /// This graph's maps with `trees`, which hold exactly its nodes and edges; the roots and
    /// the digest are computed from them.
    fn with_these_trees(&self, trees: Trees) -> Graph {
        let mut graph = Graph {
            trees: Some(trees),
            ..self.clone()
        };
        graph.changed();
        graph
    }

    /// Whether the graph has its Merkle trees (see [`Graph::without_trees`]).
    #[must_use]
    pub fn has_trees(&self) -> bool {
        self.trees.is_some()
    }

    /// Sets the digest of a graph without trees, changed since it dropped them, to `digest`,
    /// which the caller knows is GraphRootV1 of its nodes and edges (a version's recorded
    /// digest). Debug builds check it from scratch while the graph is small; a graph with trees
    /// keeps its own digest.
    pub fn assume_digest(&mut self, digest: Hash) {
        if self.trees.is_some() {
            debug_assert_eq!(self.digest, digest, "a graph with trees keeps its digest");
            return;
        }
        self.digest = digest;
        if cfg!(debug_assertions)
            && self.n_nodes() + self.n_edges() <= DEBUG_DIGEST_CHECK_ENTRIES_MAX
        {
            debug_assert_eq!(self.digest_full(), digest, "assumed digest is wrong");
        }
    }

    /// The nodes and edges that `self` has and `other` lacks (removed) and that `other` has and
    /// `self` lacks (added), each list in ascending id order: what a change from `self` to
    /// `other` removes and adds.
    ///
    /// There is no "changed" list: ids are content-addressed, so an id present in both graphs
    /// has the same content in both, and a different content is a different id (one removal and
    /// one addition).
    ///
    /// Cost: both Merkle trees of the two graphs are walked together, skipping every pair of
    /// subtrees that holds the same set (the same `Arc`, or the same critical bit and stored
    /// hash; see `docs/spec/graph.md` §4, "Diff"). For `d` differences that is O(d log n) tree
    /// node reads plus an O(d log d) sort into id order, whether the graphs share structure (one
    /// derived from the other) or were built separately; two equal graphs cost four reads.
    /// When either graph has no trees ([`Graph::without_trees`]) the id-ordered maps are walked
    /// the same way instead, skipping only shared subtrees: O(d log n) for graphs derived from
    /// a common one (the versions of a history), O(n) for graphs built apart.
    #[must_use]
    pub fn diff(&self, other: &Graph) -> GraphDiff {
        self.diff_with_stats(other).0
    }

    /// [`Graph::diff`], with how many Merkle tree nodes the walk read.
    #[must_use]
    pub fn diff_with_stats(&self, other: &Graph) -> (GraphDiff, DiffStats) {
        let (
            (nodes_removed, nodes_added, n_node_visits),
            (edges_removed, edges_added, n_edge_visits),
        ) = match (&self.trees, &other.trees) {
            (Some(trees), Some(other_trees)) => (
                tree_diff(&trees.node, &other_trees.node),
                tree_diff(&trees.edge, &other_trees.edge),
            ),
            _ => (
                map_diff(&self.nodes, &other.nodes),
                map_diff(&self.edges, &other.edges),
            ),
        };
        let diff = GraphDiff {
            nodes_removed,
            nodes_added,
            edges_removed,
            edges_added,
        };
        debug_assert_eq!(
            self.n_nodes() + diff.nodes_added.len(),
            other.n_nodes() + diff.nodes_removed.len(),
            "node counts agree with the diff"
        );
        debug_assert_eq!(
            self.n_edges() + diff.edges_added.len(),
            other.n_edges() + diff.edges_removed.len(),
            "edge counts agree with the diff"
        );
        let stats = DiffStats {
            n_tree_nodes_visited: n_node_visits + n_edge_visits,
        };
        (diff, stats)
    }

    /// Adds `node`; adding a node the graph already holds succeeds and changes nothing.
    ///
    /// # Errors
    /// [`AddNodeError::KindLength`] for a kind outside 1..=`KIND_LEN_MAX` bytes,
    /// [`AddNodeError::PayloadTooLarge`] beyond `PAYLOAD_BYTES_MAX` bytes.
    pub fn add_node(&mut self, node: Node) -> Result<AddOutcome, AddNodeError> {
        check_node(&node)?;
        let id = node.id();
        // Hashed before the node moves into the map, and only for a graph with trees.
        let entry = self
            .trees
            .is_some()
            .then(|| tree_entry(id, node_entry(&id, &node)));
        if !self.nodes.insert_absent(id, node) {
            return Ok(AddOutcome::AlreadyPresent { id });
        }
        if let (Some(trees), Some(entry)) = (&mut self.trees, entry) {
            trees.node.insert_in_place(entry);
        }
        self.changed();
        Ok(AddOutcome::Added { id })
    }

    /// Whether [`Graph::add_node`] takes `node`: its kind and payload within the limits.
    ///
    /// # Errors
    /// As [`Graph::add_node`].
    pub fn check_node(node: &Node) -> Result<(), AddNodeError> {
        check_node(node)
    }

    /// Adds `nodes` as [`Graph::add_node`] would one by one (a node the graph holds, or given
    /// twice, counts once). To a graph without trees, a batch of more than a
    /// [`TREES_FROM_BASE_SHARE_MAX`] share of its nodes is merged in one pass instead: ids
    /// hashed on every core, sorted, and the node map built again from the merged order,
    /// O(n + k) without a walk from the root per node (a replay's runs of `AddNode`s).
    ///
    /// # Errors
    /// The first node `add_node` refuses; the graph is then unchanged.
    pub fn add_nodes(&mut self, nodes: Vec<Node>) -> Result<(), AddNodeError> {
        for node in &nodes {
            check_node(node)?;
        }
        let small = nodes.len().saturating_mul(TREES_FROM_BASE_SHARE_MAX) <= self.n_nodes();
        if self.trees.is_some() || small {
            for node in nodes {
                let _outcome = self.add_node(node)?;
            }
            return Ok(());
        }
        // Each node with its id, made on every core (a clone copies an inline node, or counts
        // one more reference to a shared one, which `nodes` then drops).
        let added = parallel::map_batches_in_order(&nodes, ENTRIES_BATCH_MAX, |batch, out| {
            let mut ids = Vec::with_capacity(batch.len());
            node_ids_into(batch, &mut ids);
            out.extend(ids.into_iter().zip(batch.iter().cloned()));
        });
        drop(nodes);
        let mut added =
            parallel::sort_unstable_by(added, &|item| &item.0, &|a, b| hash_order(&a.0, &b.0));
        added.dedup_by_key(|(id, _)| *id);
        if self.nodes.is_empty() {
            self.nodes = CritMap::from_sorted(&added);
            self.changed();
            return Ok(());
        }
        let mut merged = Vec::with_capacity(self.n_nodes() + added.len());
        let mut held = self.nodes.iter().peekable();
        for (id, node) in added {
            while let Some((held_id, held_node)) = held.next_if(|(held_id, _)| **held_id < id) {
                merged.push((*held_id, held_node.clone()));
            }
            if held.peek().is_none_or(|(held_id, _)| **held_id != id) {
                merged.push((id, node));
            }
        }
        merged.extend(held.map(|(id, node)| (*id, node.clone())));
        self.nodes = CritMap::from_sorted(&merged);
        self.changed();
        Ok(())
    }

    /// Removes node `id` and returns it.
    ///
    /// # Errors
    /// [`RemoveNodeError::NotFound`] when absent; [`RemoveNodeError::StillTouched`] when an
    /// edge starts or ends at it (found in O(log n + degree)).
    pub fn remove_node(&mut self, id: &NodeId) -> Result<Node, RemoveNodeError> {
        if !self.nodes.contains_key(id) {
            return Err(RemoveNodeError::NotFound { id: *id });
        }
        if let Some(edge) = self.edges_touching(id).next() {
            return Err(RemoveNodeError::StillTouched {
                id: *id,
                edge: *edge,
                n_edges: self.edges_touching(id).count(),
            });
        }
        if let Some(trees) = &mut self.trees {
            let removed = trees.node.remove_in_place(&node_key(id));
            debug_assert!(removed, "the node tree holds every node");
        }
        let node = self.nodes.remove(id).expect("presence checked above");
        self.changed();
        Ok(node)
    }

    /// Adds `edge`; adding an edge the graph already holds succeeds and changes nothing.
    ///
    /// # Errors
    /// [`AddEdgeError::KindLength`] and [`AddEdgeError::PayloadTooLarge`] as for nodes, then
    /// [`AddEdgeError::MissingFrom`] or [`AddEdgeError::MissingTo`] when an end is not a node.
    pub fn add_edge(&mut self, edge: Edge) -> Result<AddOutcome, AddEdgeError> {
        check_edge_fields(&edge)?;
        let id = edge.id();
        if self.edges.contains_key(&id) {
            return Ok(AddOutcome::AlreadyPresent { id });
        }
        check_ends(&self.nodes, &edge)?;
        if let Some(trees) = &mut self.trees {
            trees
                .edge
                .insert_in_place(tree_entry(id, edge_entry(&id, &edge)));
        }
        self.incident.insert((*edge.from(), id), ());
        self.incident.insert((*edge.to(), id), ());
        self.edges.insert(id, edge);
        self.changed();
        Ok(AddOutcome::Added { id })
    }

    /// Removes edge `id` and returns it.
    ///
    /// # Errors
    /// [`RemoveEdgeError::NotFound`] when absent.
    pub fn remove_edge(&mut self, id: &EdgeId) -> Result<Edge, RemoveEdgeError> {
        let Some(edge) = self.edges.remove(id) else {
            return Err(RemoveEdgeError::NotFound { id: *id });
        };
        if let Some(trees) = &mut self.trees {
            let removed = trees.edge.remove_in_place(&edge_key(id));
            debug_assert!(removed, "the edge tree holds every edge");
        }
        self.incident.remove(&(*edge.from(), *id));
        self.incident.remove(&(*edge.to(), *id));
        self.changed();
        Ok(edge)
    }

    /// Refreshes the roots and the digest after a change and drops the cached commit digest.
    fn changed(&mut self) {
        self.commit_digest = Arc::new(OnceLock::new());
        // Without trees the digest waits for `assume_digest`.
        let Some(trees) = &self.trees else {
            return;
        };
        self.node_root = trees.node.root_hash();
        self.edge_root = trees.edge.root_hash();
        self.digest = graph_root(&self.node_root, &self.edge_root);
        self.debug_check_digest();
    }

    /// Rule: in debug builds, while the graph has at most `DEBUG_DIGEST_CHECK_ENTRIES_MAX`
    /// nodes plus edges, recompute the digest from scratch and assert it is the incremental
    /// one. Larger graphs and release builds skip the O(n) check.
    fn debug_check_digest(&self) {
        if cfg!(debug_assertions)
            && self.n_nodes() + self.n_edges() <= DEBUG_DIGEST_CHECK_ENTRIES_MAX
        {
            debug_assert_eq!(
                self.digest,
                self.digest_full(),
                "incremental digest drifted"
            );
            debug_assert_eq!(self.incident.len(), self.incident_len_full());
        }
    }

    /// The number of `incident` entries the edges imply.
    fn incident_len_full(&self) -> usize {
        self.edges
            .values()
            .map(|edge| if edge.from() == edge.to() { 1 } else { 2 })
            .sum()
    }
}

/// `Excluded(after)`, or `Unbounded` for the first page.
fn lower_bound(after: Option<&Hash>) -> Bound<&Hash> {
    after.map_or(Bound::Unbounded, Bound::Excluded)
}

/// Both ends of `edge` are in `nodes`; the source is checked first.
fn check_ends(nodes: &CritMap<NodeId, Node>, edge: &Edge) -> Result<(), AddEdgeError> {
    if !nodes.contains_key(edge.from()) {
        return Err(AddEdgeError::MissingFrom { from: *edge.from() });
    }
    if !nodes.contains_key(edge.to()) {
        return Err(AddEdgeError::MissingTo { to: *edge.to() });
    }
    Ok(())
}

/// The order of `Hash` (its bytes), deciding on the first 8 bytes inline when they differ,
/// as they almost always do for hashes: sorting a million entries takes about 30% less time
/// than with a `memcmp` per comparison.
fn hash_order(a: &Hash, b: &Hash) -> Ordering {
    let prefix = |hash: &Hash| {
        let bytes = hash.as_bytes();
        u64::from_be_bytes([
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
        ])
    };
    prefix(a).cmp(&prefix(b)).then_with(|| a.cmp(b))
}

/// The map of `items`, keeping one of each id (equal ids mean equal content).
fn sorted_map<T: Clone + Send + Sync>(items: Vec<(Hash, T)>) -> CritMap<Hash, T> {
    let mut items =
        parallel::sort_unstable_by(items, &|item| &item.0, &|a, b| hash_order(&a.0, &b.0));
    items.dedup_by_key(|(id, _)| *id);
    CritMap::from_sorted(&items)
}

/// As [`tree_diff`], from the id-ordered maps: already in id order.
fn map_diff<V>(map: &CritMap<Hash, V>, other: &CritMap<Hash, V>) -> (Vec<Hash>, Vec<Hash>, usize) {
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    let n_visited = map.diff_keys(other, &mut |side, id| match side {
        DiffSide::Removed => removed.push(*id),
        DiffSide::Added => added.push(*id),
    });
    (removed, added, n_visited)
}

/// The tree leaf of `id`, given its `(key, leaf hash)` from `node_entry` or `edge_entry`.
fn tree_entry(id: Hash, (key, hash): (Hash, Hash)) -> LeafEntry {
    LeafEntry { key, hash, id }
}

/// The tree entries of `items` (`digest::entries_each`), appended to `out` in order.
fn tree_entries_into<T>(
    items: &[(&Hash, &T)],
    key_domain: &[u8],
    put_leaf: fn(&mut Vec<u8>, &Hash, &T),
    out: &mut Vec<LeafEntry>,
) {
    let mut ids = items.iter().map(|(id, _)| **id);
    entries_each(items, key_domain, put_leaf, |key, hash| {
        let id = ids.next().expect("one entry per item");
        out.push(LeafEntry { key, hash, id });
    });
}

/// Changes `tree`, a base's tree, into the tree of `map`, which lacks the base's `removed` ids
/// and has the `added` ones (`key` and `entry` give an id's tree key and an item's entry).
fn update_tree<T>(
    tree: &mut Smt,
    map: &CritMap<Hash, T>,
    removed: &[Hash],
    added: &[Hash],
    key: fn(&Hash) -> Hash,
    entry: fn(&Hash, &T) -> (Hash, Hash),
) {
    for id in removed {
        let was_there = tree.remove_in_place(&key(id));
        debug_assert!(was_there, "the base's tree holds the base's items");
    }
    for (id, item) in added
        .iter()
        .filter_map(|id| map.get(id).map(|item| (id, item)))
    {
        tree.insert_in_place(tree_entry(*id, entry(id, item)));
    }
}

/// Each item with its id, and its tree entry, in input order: `ids_into` gives the ids,
/// `key_domain` and `put_leaf` the entries (as `node_entry` or `edge_entry`), batch by batch.
fn ids_and_entries<T: Sync + Send>(
    items: Vec<T>,
    ids_into: fn(&[T], &mut Vec<Hash>),
    key_domain: &[u8],
    put_leaf: fn(&mut Vec<u8>, &Hash, &T),
) -> (Vec<(Hash, T)>, Vec<LeafEntry>) {
    let hashed = parallel::map_batches_in_order(&items, ENTRIES_BATCH_MAX, |batch, out| {
        let mut ids = Vec::with_capacity(batch.len());
        ids_into(batch, &mut ids);
        let with_ids: Vec<(&Hash, &T)> = ids.iter().zip(batch).collect();
        let mut entries = Vec::with_capacity(batch.len());
        tree_entries_into(&with_ids, key_domain, put_leaf, &mut entries);
        out.extend(ids.iter().copied().zip(entries));
    });
    let (ids, entries): (Vec<Hash>, Vec<LeafEntry>) = hashed.into_iter().unzip();
    (ids.into_iter().zip(items).collect(), entries)
}

/// The ids of `nodes`, appended to `out` in order, hashed many at a time.
fn node_ids_into(nodes: &[Node], out: &mut Vec<NodeId>) {
    node_ids_each(
        nodes.iter().map(|node| (node.kind(), node.payload())),
        |id| out.push(id),
    );
}

/// The ids of `edges`, appended to `out` in order.
fn edge_ids_into(edges: &[Edge], out: &mut Vec<EdgeId>) {
    out.extend(edges.iter().map(Edge::id));
}

/// The tree of leaf entries in any order, keeping one of each key.
fn tree_of(entries: Vec<LeafEntry>) -> Smt {
    let mut entries = parallel::sort_unstable_by(entries, &|entry| &entry.key, &|a, b| {
        hash_order(&a.key, &b.key)
    });
    entries.dedup_by_key(|entry| entry.key);
    Smt::from_sorted(&entries)
}

/// The ids of the leaves `tree` has and `other` lacks, and those `other` has and `tree` lacks,
/// each in ascending id order, and the number of tree nodes the walk read.
fn tree_diff(tree: &Smt, other: &Smt) -> (Vec<Hash>, Vec<Hash>, usize) {
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    let n_visited = tree.diff(other, &mut |change, leaf| match change {
        Change::Removed => removed.push(leaf.id),
        Change::Added => added.push(leaf.id),
    });
    // The walk reports in key order; keys are hashes of the ids, so this is a real sort.
    removed.sort_unstable_by(hash_order);
    added.sort_unstable_by(hash_order);
    (removed, added, n_visited)
}

#[cfg(test)]
mod tests;
