//! The content of a graph: [`Node`] and [`Edge`], and their content-addressed ids.
//!
//! A node is `(kind, payload)` and its id is `jitos_core::node_id(kind, payload)`; an edge is
//! `(from, to, kind, payload?)` and its id is `jitos_core::edge_id(from, to, kind, payload)`
//! (contract §2). A node or an edge is one reference-counted handle, so cloning it (and so
//! copying a path of the persistent maps that hold them) never copies its bytes.
//!
//! # Invariants
//! - A value's id depends only on its fields: equal nodes (or edges) have equal ids in every
//!   graph and every view.
//! - An edge without a payload (`None`) and one with an empty payload are different edges with
//!   different ids.

use std::sync::Arc;

use jitos_core::{Hash, edge_id, node_id};

/// The id of a node: `blake3(enc(["warp-node-v0", kind, payload]))`.
pub type NodeId = Hash;

/// The id of an edge: `blake3(enc(["warp-edge-v0", from, to, kind, payload]))`.
pub type EdgeId = Hash;

/// A node: a kind and opaque payload bytes.
///
/// One allocation holds the kind's bytes followed by the payload, behind one `Arc`: cloning a
/// node (as the persistent maps do when they copy a path) is one reference-count increment, and
/// reading it (as the commit digest does for every node) touches one allocation.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Node {
    /// `kind` then `payload`.
    bytes: Arc<[u8]>,
    kind_len: usize,
}

impl Node {
    /// The node `(kind, payload)`. Limits are checked when it is added to a graph.
    pub fn new(kind: impl AsRef<str>, payload: impl AsRef<[u8]>) -> Node {
        let (kind, payload) = (kind.as_ref(), payload.as_ref());
        let mut bytes = Vec::with_capacity(kind.len() + payload.len());
        bytes.extend_from_slice(kind.as_bytes());
        bytes.extend_from_slice(payload);
        Node {
            bytes: Arc::from(bytes),
            kind_len: kind.len(),
        }
    }

    /// The node kind.
    #[must_use]
    pub fn kind(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.kind_len])
            .expect("the first kind_len bytes were copied from a str")
    }

    /// The payload bytes.
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        &self.bytes[self.kind_len..]
    }

    /// The content-addressed id (one BLAKE3 call; a graph computes it once per add).
    #[must_use]
    pub fn id(&self) -> NodeId {
        node_id(self.kind(), self.payload())
    }
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("kind", &self.kind())
            .field("payload_len", &self.payload().len())
            .finish()
    }
}

/// A directed edge between two nodes, with a kind and an optional payload.
///
/// One `Arc` handle, like [`Node`]: the ends inline, the kind and payload bytes in one more
/// allocation.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge(Arc<EdgeData>);

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct EdgeData {
    from: NodeId,
    to: NodeId,
    /// `kind` then the payload, if any.
    bytes: Box<[u8]>,
    kind_len: usize,
    has_payload: bool,
}

impl Edge {
    /// The edge `from -> to` of `kind`, with `payload` or without one (`None`).
    pub fn new(from: NodeId, to: NodeId, kind: impl AsRef<str>, payload: Option<&[u8]>) -> Edge {
        let kind = kind.as_ref();
        let payload_len = payload.map_or(0, <[u8]>::len);
        let mut bytes = Vec::with_capacity(kind.len() + payload_len);
        bytes.extend_from_slice(kind.as_bytes());
        bytes.extend_from_slice(payload.unwrap_or_default());
        Edge(Arc::new(EdgeData {
            from,
            to,
            bytes: bytes.into_boxed_slice(),
            kind_len: kind.len(),
            has_payload: payload.is_some(),
        }))
    }

    /// The source node.
    #[must_use]
    pub fn from(&self) -> &NodeId {
        &self.0.from
    }

    /// The target node.
    #[must_use]
    pub fn to(&self) -> &NodeId {
        &self.0.to
    }

    /// The edge kind.
    #[must_use]
    pub fn kind(&self) -> &str {
        std::str::from_utf8(&self.0.bytes[..self.0.kind_len])
            .expect("the first kind_len bytes were copied from a str")
    }

    /// The payload bytes, `None` when the edge has none (not the same as empty).
    #[must_use]
    pub fn payload(&self) -> Option<&[u8]> {
        self.0.has_payload.then(|| &self.0.bytes[self.0.kind_len..])
    }

    /// The content-addressed id (one BLAKE3 call; a graph computes it once per add).
    #[must_use]
    pub fn id(&self) -> EdgeId {
        edge_id(self.from(), self.to(), self.kind(), self.payload())
    }
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge")
            .field("from", self.from())
            .field("to", self.to())
            .field("kind", &self.kind())
            .field("payload_len", &self.payload().map(<[u8]>::len))
            .finish()
    }
}
