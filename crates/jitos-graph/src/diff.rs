//! [`GraphDiff`]: what [`Graph::diff`](crate::Graph::diff) returns, the nodes and edges one
//! graph has and another lacks, and [`DiffStats`], how much of the trees it read.
//!
//! The lists are plain sorted `Vec`s: the kernel pages them by id with an `after` cursor and a
//! `first` count ([`GraphDiff::ids_after`] finds where a page starts in O(log n)), and the
//! collapse of an SWS reads them whole.
//!
//! # Invariants
//! - Each list is strictly ascending by id (bytes), with no repeats.
//! - A node (edge) id is in at most one of `nodes_removed` and `nodes_added` (`edges_removed`,
//!   `edges_added`): "removed" means in the first graph and not in the second, "added" the
//!   reverse. There is no "changed": ids are content-addressed, so the same id has the same
//!   content in every graph.

use jitos_core::Hash;

use crate::model::{EdgeId, NodeId};

/// The difference from one graph to another (see [`Graph::diff`](crate::Graph::diff)): ids in
/// ascending order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GraphDiff {
    /// Nodes of the first graph that the second lacks.
    pub nodes_removed: Vec<NodeId>,
    /// Nodes of the second graph that the first lacks.
    pub nodes_added: Vec<NodeId>,
    /// Edges of the first graph that the second lacks.
    pub edges_removed: Vec<EdgeId>,
    /// Edges of the second graph that the first lacks.
    pub edges_added: Vec<EdgeId>,
}

impl GraphDiff {
    /// Whether the two graphs hold the same nodes and edges.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of ids in all four lists.
    #[must_use]
    pub fn len(&self) -> usize {
        self.nodes_removed.len()
            + self.nodes_added.len()
            + self.edges_removed.len()
            + self.edges_added.len()
    }

    /// The ids of `ids` (one of the lists, ascending) strictly greater than `after`, all of
    /// them for `None`, as `Graph::nodes_after` pages (contract §6): the cursor need not be in
    /// the list. A page of `first` is the first `first` of them, and there is a next page when
    /// more remain. O(log n).
    #[must_use]
    pub fn ids_after<'a>(ids: &'a [Hash], after: Option<&Hash>) -> &'a [Hash] {
        debug_assert!(
            ids.windows(2).all(|pair| pair[0] < pair[1]),
            "a diff list is strictly ascending"
        );
        let start = after.map_or(0, |after| ids.partition_point(|id| id <= after));
        &ids[start..]
    }
}

/// How much of the two graphs' Merkle trees a [`Graph::diff`](crate::Graph::diff) read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiffStats {
    /// Tree nodes read, counting a node each time the walk looks at it: 4 for two equal graphs
    /// (the roots of both trees), O(d log n) for `d` differences, and every node of both trees
    /// at worst (graphs with nothing in common).
    pub n_tree_nodes_visited: usize,
}
