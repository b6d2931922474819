//! The content of a graph: [`Node`] and [`Edge`], and their content-addressed ids.
//!
//! A node is `(kind, payload)` and its id is `jitos_core::node_id(kind, payload)`; an edge is
//! `(from, to, kind, payload?)` and its id is `jitos_core::edge_id(from, to, kind, payload)`
//! (contract §2). An edge is one reference-counted handle, and so is a node too large to be
//! held inline, so cloning either (and so copying a path of the persistent maps that hold
//! them) copies at most 32 bytes.
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

/// Bytes of kind plus payload a [`Node`] holds inside itself, without an allocation.
pub const NODE_INLINE_BYTES_MAX: usize = 29;

/// A node: a kind and opaque payload bytes.
///
/// The kind's bytes followed by the payload, held inline when they are at most
/// [`NODE_INLINE_BYTES_MAX`] bytes (most nodes: a short kind and a small payload), else in one
/// allocation behind one `Arc`. Either way cloning a node (as the persistent maps do when they
/// copy a path) copies 32 bytes at most, and reading it touches at most one allocation; an
/// inline node is read where its map leaf is, so a walk through a map in key order never
/// jumps to memory laid out in the order the nodes were made.
#[derive(Clone)]
pub struct Node(NodeBytes);

#[derive(Clone)]
enum NodeBytes {
    /// `kind` then `payload` in `bytes[..len]`.
    Inline {
        kind_len: u8,
        len: u8,
        bytes: [u8; NODE_INLINE_BYTES_MAX],
    },
    /// `kind` then `payload`.
    Shared { kind_len: usize, bytes: Arc<[u8]> },
}

const _: () = assert!(std::mem::size_of::<Node>() == 32);
const _: () = assert!(NODE_INLINE_BYTES_MAX <= u8::MAX as usize);

impl Node {
    /// The node `(kind, payload)`. Limits are checked when it is added to a graph.
    pub fn new(kind: impl AsRef<str>, payload: impl AsRef<[u8]>) -> Node {
        let (kind, payload) = (kind.as_ref().as_bytes(), payload.as_ref());
        let len = kind.len() + payload.len();
        Node(match (u8::try_from(kind.len()), u8::try_from(len)) {
            (Ok(kind_len), Ok(len_u8)) if len <= NODE_INLINE_BYTES_MAX => {
                let mut bytes = [0; NODE_INLINE_BYTES_MAX];
                bytes[..kind.len()].copy_from_slice(kind);
                bytes[kind.len()..len].copy_from_slice(payload);
                NodeBytes::Inline {
                    kind_len,
                    len: len_u8,
                    bytes,
                }
            }
            // One allocation of exactly `len` bytes: the chained iterator has a trusted length.
            _ => NodeBytes::Shared {
                kind_len: kind.len(),
                bytes: kind.iter().chain(payload).copied().collect(),
            },
        })
    }

    /// The kind's bytes followed by the payload, and the kind's length.
    fn bytes(&self) -> (&[u8], usize) {
        match &self.0 {
            NodeBytes::Inline {
                kind_len,
                len,
                bytes,
            } => (&bytes[..usize::from(*len)], usize::from(*kind_len)),
            NodeBytes::Shared { kind_len, bytes } => (bytes, *kind_len),
        }
    }

    /// The node kind.
    #[must_use]
    pub fn kind(&self) -> &str {
        let (bytes, kind_len) = self.bytes();
        std::str::from_utf8(&bytes[..kind_len]).expect("the first kind_len bytes were a str")
    }

    /// The payload bytes.
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        let (bytes, kind_len) = self.bytes();
        &bytes[kind_len..]
    }

    /// The content-addressed id (one BLAKE3 call; a graph computes it once per add).
    #[must_use]
    pub fn id(&self) -> NodeId {
        node_id(self.kind(), self.payload())
    }
}

/// Nodes are equal, and ordered, by kind, then payload.
impl PartialEq for Node {
    fn eq(&self, other: &Node) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for Node {}

impl PartialOrd for Node {
    fn partial_cmp(&self, other: &Node) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Node {
    fn cmp(&self, other: &Node) -> std::cmp::Ordering {
        (self.kind(), self.payload()).cmp(&(other.kind(), other.payload()))
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Kinds and payloads around the inline limit, both sides of it.
    fn node_parts() -> impl Strategy<Value = (String, Vec<u8>)> {
        (
            "[a-z]{1,40}",
            proptest::collection::vec(any::<u8>(), 0..=2 * NODE_INLINE_BYTES_MAX),
        )
    }

    #[test]
    fn a_node_gives_back_its_parts_inline_or_not() {
        for len in 0..=2 * NODE_INLINE_BYTES_MAX {
            let payload: Vec<u8> = (0..len).map(|i| u8::try_from(i).unwrap_or(0)).collect();
            let node = Node::new("kind", &payload);
            assert_eq!(node.kind(), "kind");
            assert_eq!(node.payload(), payload.as_slice());
            assert_eq!(node.id(), node_id("kind", &payload));
            let inline = matches!(node.0, NodeBytes::Inline { .. });
            assert_eq!(
                inline,
                "kind".len() + len <= NODE_INLINE_BYTES_MAX,
                "len {len}"
            );
        }
    }

    proptest! {
        #[test]
        fn nodes_compare_by_kind_then_payload(a in node_parts(), b in node_parts()) {
            let (node_a, node_b) = (Node::new(&a.0, &a.1), Node::new(&b.0, &b.1));
            prop_assert_eq!(node_a == node_b, a == b);
            prop_assert_eq!(node_a.cmp(&node_b), a.cmp(&b));
            prop_assert_eq!(node_a.clone(), node_a);
        }
    }
}
