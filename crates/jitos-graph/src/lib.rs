//! jitos-graph: the WARP graph of a view, as a persistent value with both digests of contract §2.
//!
//! - [`Graph`]: nodes and edges ordered by id, cheap to clone (O(1)), changed by
//!   [`Graph::add_node`], [`Graph::remove_node`], [`Graph::add_edge`] and
//!   [`Graph::remove_edge`]. A clone is a snapshot: later changes to one handle never show in
//!   another, and the two share every part of the structure the change did not touch.
//! - [`Graph::digest`] is GraphRootV1, a compact sparse Merkle root kept up to date in
//!   O(log n) hashes per op; [`Graph::commit_digest`] is GraphCommitDigestV0, computed on
//!   demand by streaming the canonical encoding into BLAKE3, and cached per version.
//! - [`Graph::diff`]: the nodes and edges one graph has and another lacks, as a [`GraphDiff`] of
//!   id-ordered lists, found by walking both Merkle trees together and skipping every pair of
//!   subtrees with the same hash, so its cost follows the size of the difference (O(d log n)),
//!   not of the graphs.
//! - [`digest`]: the byte-level definitions (tree keys, leaf hashes, `leaf`/`inner`, the root)
//!   as free functions, so other crates and tests can name every intermediate value.
//!
//! ```
//! use jitos_graph::{AddOutcome, Edge, Graph, Node, RemoveNodeError};
//!
//! let mut graph = Graph::new();
//! let a = graph.add_node(Node::new("demo", b"a"))?.id();
//! let b = graph.add_node(Node::new("demo", b"b"))?.id();
//! let snapshot = graph.clone(); // O(1); later changes do not show in it
//! let link = graph.add_edge(Edge::new(a, b, "link", None))?.id();
//! let again = graph.add_node(Node::new("demo", b"a"))?;
//! assert!(matches!(again, AddOutcome::AlreadyPresent { .. }));
//! let refused = graph.remove_node(&a);
//! assert!(matches!(refused, Err(RemoveNodeError::StillTouched { edge, .. }) if edge == link));
//! assert_eq!((snapshot.n_edges(), graph.n_edges()), (0, 1));
//! assert_ne!(snapshot.digest(), graph.digest());
//! graph.remove_edge(&link)?;
//! assert_eq!(graph.digest(), snapshot.digest()); // a pure function of the sets
//! assert_eq!(graph.commit_digest(), snapshot.commit_digest());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The choices the contract leaves open (leaf field sets, the tree representation, the debug
//! cross-check rule, what a snapshot costs) are written down in `docs/spec/graph.md` and pinned
//! by `tests/vectors/digests.json`.
//!
//! # Invariants
//! - No I/O, no async, no clock, no randomness: both digests are pure functions of the node
//!   and edge sets, independent of insertion order and of history.
//! - Every edge's two ends are nodes of the same graph; a node with edges cannot be removed.
//! - `digest()` always equals `digest_full()`, the O(n) recomputation from the node and edge
//!   sets; debug builds assert it after every change while the graph is small. A graph without
//!   its trees ([`Graph::without_trees`]) keeps this only through its caller: after changes it
//!   takes the digest [`Graph::assume_digest`] gives it.

pub mod critmap;
mod diff;
pub mod digest;
mod error;
mod graph;
mod model;
mod parallel;
mod smt;

pub use critmap::{CritKey, CritMap};
pub use diff::{DiffStats, GraphDiff};
pub use error::{AddEdgeError, AddNodeError, BuildError, RemoveEdgeError, RemoveNodeError};
pub use graph::{
    AddOutcome, DEBUG_DIGEST_CHECK_ENTRIES_MAX, Graph, TREES_FROM_BASE_SHARE_MAX, TreeStats,
};
pub use model::{Edge, EdgeId, NODE_INLINE_BYTES_MAX, Node, NodeId};
