//! One error enum per graph operation.
//!
//! Every error leaves the graph exactly as it was: operations check everything before they
//! change anything.
//!
//! # Invariants
//! - Messages are lowercase, name the offending id or length, and have no trailing dot.
//! - Each enum is `#[non_exhaustive]`: a later milestone may add a reason without breaking
//!   callers that match.

use jitos_core::limits::{KIND_LEN_MAX, PAYLOAD_BYTES_MAX};

use crate::model::{EdgeId, NodeId};

/// Why [`Graph::add_node`](crate::Graph::add_node) refused a node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddNodeError {
    /// The kind is empty or longer than `KIND_LEN_MAX` bytes.
    #[error("node kind must be 1 to {KIND_LEN_MAX} bytes, got {len}")]
    KindLength {
        /// Length of the kind in bytes.
        len: usize,
    },
    /// The payload is longer than `PAYLOAD_BYTES_MAX` bytes.
    #[error("node payload must be at most {PAYLOAD_BYTES_MAX} bytes, got {len}")]
    PayloadTooLarge {
        /// Length of the payload in bytes.
        len: usize,
    },
}

/// Why [`Graph::remove_node`](crate::Graph::remove_node) refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RemoveNodeError {
    /// No node has this id.
    #[error("node {id} not found")]
    NotFound {
        /// The id asked for.
        id: NodeId,
    },
    /// Edges still start or end at the node; remove them first.
    #[error("node {id} is still touched by {n_edges} edge(s), the first is {edge}")]
    StillTouched {
        /// The node that was to be removed.
        id: NodeId,
        /// The touching edge with the smallest id.
        edge: EdgeId,
        /// How many edges touch the node.
        n_edges: usize,
    },
}

/// Why [`Graph::add_edge`](crate::Graph::add_edge) refused an edge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddEdgeError {
    /// The kind is empty or longer than `KIND_LEN_MAX` bytes.
    #[error("edge kind must be 1 to {KIND_LEN_MAX} bytes, got {len}")]
    KindLength {
        /// Length of the kind in bytes.
        len: usize,
    },
    /// The payload is longer than `PAYLOAD_BYTES_MAX` bytes.
    #[error("edge payload must be at most {PAYLOAD_BYTES_MAX} bytes, got {len}")]
    PayloadTooLarge {
        /// Length of the payload in bytes.
        len: usize,
    },
    /// The source node is not in the graph (checked before the target).
    #[error("edge source node {from} not found")]
    MissingFrom {
        /// The missing source id.
        from: NodeId,
    },
    /// The target node is not in the graph.
    #[error("edge target node {to} not found")]
    MissingTo {
        /// The missing target id.
        to: NodeId,
    },
}

/// Why [`Graph::remove_edge`](crate::Graph::remove_edge) refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RemoveEdgeError {
    /// No edge has this id.
    #[error("edge {id} not found")]
    NotFound {
        /// The id asked for.
        id: EdgeId,
    },
}

/// Why [`Graph::build`](crate::Graph::build) refused its input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The node at `index` (in input order) would be refused by `add_node`.
    #[error("node {index}: {source}")]
    Node {
        /// Position of the node in the input.
        index: usize,
        /// The reason.
        source: AddNodeError,
    },
    /// The edge at `index` (in input order) would be refused by `add_edge` on the built nodes.
    #[error("edge {index}: {source}")]
    Edge {
        /// Position of the edge in the input.
        index: usize,
        /// The reason.
        source: AddEdgeError,
    },
}
