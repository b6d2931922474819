//! A from-scratch reference of contract §2, written for the tests and sharing no code with the
//! crate: ids, keys, leaf values and the commit are assembled byte by byte, and the tree hash is
//! the contract's recursive rule taken literally over a plain `Vec` of leaves.
//!
//! [`RefGraph`] is also the model of the graph operations (content-addressed adds, removal
//! refused while an edge touches the node, edges need both ends) that the property tests
//! compare the crate against after every op.
//!
//! # Invariants
//! - Nothing here calls jitos-graph, or jitos-core's id or CBOR functions: only `blake3`.
//! - The tree hash splits one level at a time (bit 0 = most significant bit of byte 0, 0 goes
//!   left) and stops only at 0 leaves (32 zero bytes) or 1 leaf (its leaf hash).

use std::collections::BTreeMap;

/// 32 raw bytes: an id, a key or a hash.
pub(crate) type Bytes32 = [u8; 32];

const ZERO: Bytes32 = [0; 32];

fn blake3_of(parts: &[&[u8]]) -> Bytes32 {
    let mut hasher = blake3::Hasher::new();
    for part in parts {
        hasher.update(part);
    }
    *hasher.finalize().as_bytes()
}

/// The shortest CBOR head, written out by hand.
fn head(major: u8, len: usize) -> Vec<u8> {
    let initial = major << 5;
    let be = (len as u64).to_be_bytes();
    match len {
        0..=23 => vec![initial | be[7]],
        24..=0xff => vec![initial | 24, be[7]],
        0x100..=0xffff => vec![initial | 25, be[6], be[7]],
        0x1_0000..=0xffff_ffff => [&[initial | 26][..], &be[4..]].concat(),
        _ => [&[initial | 27][..], &be[..]].concat(),
    }
}

fn text(out: &mut Vec<u8>, text: &str) {
    out.extend(head(3, text.len()));
    out.extend_from_slice(text.as_bytes());
}

fn bstr(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend(head(2, bytes.len()));
    out.extend_from_slice(bytes);
}

fn bstr_or_null(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        Some(bytes) => bstr(out, bytes),
        None => out.push(0xf6),
    }
}

/// A node as the reference sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefNode {
    pub(crate) kind: String,
    pub(crate) payload: Vec<u8>,
}

/// An edge as the reference sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefEdge {
    pub(crate) from: Bytes32,
    pub(crate) to: Bytes32,
    pub(crate) kind: String,
    pub(crate) payload: Option<Vec<u8>>,
}

impl RefNode {
    /// `blake3(83 6c "warp-node-v0" text(kind) bytes(payload))`.
    pub(crate) fn id(&self) -> Bytes32 {
        let mut preimage = vec![0x83];
        text(&mut preimage, "warp-node-v0");
        text(&mut preimage, &self.kind);
        bstr(&mut preimage, &self.payload);
        blake3_of(&[&preimage])
    }

    /// `{"kind", "node_id", "version", "attachment", "payload_bytes"}` in encoded-key order.
    pub(crate) fn leaf_cbor(&self) -> Vec<u8> {
        let mut out = vec![0xa5];
        text(&mut out, "kind");
        text(&mut out, &self.kind);
        text(&mut out, "node_id");
        bstr(&mut out, &self.id());
        text(&mut out, "version");
        text(&mut out, "node-leaf-v0");
        text(&mut out, "attachment");
        out.push(0xf6);
        text(&mut out, "payload_bytes");
        bstr(&mut out, &self.payload);
        out
    }

    fn commit_cbor(&self, out: &mut Vec<u8>) {
        out.push(0xa4);
        text(out, "kind");
        text(out, &self.kind);
        text(out, "node_id");
        bstr(out, &self.id());
        text(out, "attachment");
        out.push(0xf6);
        text(out, "payload_bytes");
        bstr(out, &self.payload);
    }
}

impl RefEdge {
    /// `blake3(85 6c "warp-edge-v0" bytes(from) bytes(to) text(kind) bytes(payload)|null)`.
    pub(crate) fn id(&self) -> Bytes32 {
        let mut preimage = vec![0x85];
        text(&mut preimage, "warp-edge-v0");
        bstr(&mut preimage, &self.from);
        bstr(&mut preimage, &self.to);
        text(&mut preimage, &self.kind);
        bstr_or_null(&mut preimage, self.payload.as_deref());
        blake3_of(&[&preimage])
    }

    /// `{"to", "from", "kind", "edge_id", "version", "attachment", "payload_bytes"}`.
    pub(crate) fn leaf_cbor(&self) -> Vec<u8> {
        let mut out = vec![0xa7];
        text(&mut out, "to");
        bstr(&mut out, &self.to);
        text(&mut out, "from");
        bstr(&mut out, &self.from);
        text(&mut out, "kind");
        text(&mut out, &self.kind);
        text(&mut out, "edge_id");
        bstr(&mut out, &self.id());
        text(&mut out, "version");
        text(&mut out, "edge-leaf-v0");
        text(&mut out, "attachment");
        out.push(0xf6);
        text(&mut out, "payload_bytes");
        bstr_or_null(&mut out, self.payload.as_deref());
        out
    }

    fn commit_cbor(&self, out: &mut Vec<u8>) {
        out.push(0xa6);
        text(out, "to");
        bstr(out, &self.to);
        text(out, "from");
        bstr(out, &self.from);
        text(out, "kind");
        text(out, &self.kind);
        text(out, "edge_id");
        bstr(out, &self.id());
        text(out, "attachment");
        out.push(0xf6);
        text(out, "payload_bytes");
        bstr_or_null(out, self.payload.as_deref());
    }
}

/// `blake3("JITOS:SMT:node:v0" || id)`.
pub(crate) fn node_key(id: &Bytes32) -> Bytes32 {
    blake3_of(&[b"JITOS:SMT:node:v0", id])
}

/// `blake3("JITOS:SMT:edge:v0" || id)`.
pub(crate) fn edge_key(id: &Bytes32) -> Bytes32 {
    blake3_of(&[b"JITOS:SMT:edge:v0", id])
}

/// `blake3("jitos:smt:leaf:v1" || key || value)`.
pub(crate) fn leaf(key: &Bytes32, value: &Bytes32) -> Bytes32 {
    blake3_of(&[b"jitos:smt:leaf:v1", key, value])
}

fn inner(left: &Bytes32, right: &Bytes32) -> Bytes32 {
    blake3_of(&[b"jitos:smt:inner:v1", left, right])
}

/// Bit `depth` of `key`: bit 0 is the most significant bit of byte 0.
fn bit(key: &Bytes32, depth: usize) -> bool {
    key[depth / 8] & (0x80 >> (depth % 8)) != 0
}

/// The hash of the subtree at `depth` holding `leaves` (key, value): the contract's words.
fn subtree(leaves: &[(Bytes32, Bytes32)], depth: usize) -> Bytes32 {
    match leaves {
        [] => ZERO,
        [(key, value)] => leaf(key, value),
        _ => {
            assert!(depth < 256, "two leaves with the same key");
            let left: Vec<_> = leaves
                .iter()
                .filter(|(k, _)| !bit(k, depth))
                .copied()
                .collect();
            let right: Vec<_> = leaves
                .iter()
                .filter(|(k, _)| bit(k, depth))
                .copied()
                .collect();
            inner(&subtree(&left, depth + 1), &subtree(&right, depth + 1))
        }
    }
}

/// The root of a tree of `(key, value)` leaves, in any order.
pub(crate) fn tree_root(leaves: &[(Bytes32, Bytes32)]) -> Bytes32 {
    subtree(leaves, 0)
}

/// `blake3("jitos:graph-root:v1" || node_root || edge_root)`.
pub(crate) fn graph_root(node_root: &Bytes32, edge_root: &Bytes32) -> Bytes32 {
    blake3_of(&[b"jitos:graph-root:v1", node_root, edge_root])
}

/// Why the model refuses an op (the crate's errors, by name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RefError {
    NodeNotFound,
    StillTouched { edge: Bytes32, n_edges: usize },
    MissingFrom,
    MissingTo,
    EdgeNotFound,
}

/// What the model says an op does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RefOutcome {
    Added,
    AlreadyPresent,
    Removed,
}

/// The node and edge sets, as plain ordered maps.
#[derive(Debug, Clone, Default)]
pub(crate) struct RefGraph {
    pub(crate) nodes: BTreeMap<Bytes32, RefNode>,
    pub(crate) edges: BTreeMap<Bytes32, RefEdge>,
}

impl RefGraph {
    pub(crate) fn add_node(&mut self, node: RefNode) -> Result<RefOutcome, RefError> {
        let id = node.id();
        if self.nodes.contains_key(&id) {
            return Ok(RefOutcome::AlreadyPresent);
        }
        self.nodes.insert(id, node);
        Ok(RefOutcome::Added)
    }

    pub(crate) fn remove_node(&mut self, id: &Bytes32) -> Result<RefOutcome, RefError> {
        if !self.nodes.contains_key(id) {
            return Err(RefError::NodeNotFound);
        }
        let touching: Vec<Bytes32> = self
            .edges
            .iter()
            .filter(|(_, edge)| edge.from == *id || edge.to == *id)
            .map(|(edge_id, _)| *edge_id)
            .collect();
        if let Some(first) = touching.first() {
            return Err(RefError::StillTouched {
                edge: *first,
                n_edges: touching.len(),
            });
        }
        self.nodes.remove(id);
        Ok(RefOutcome::Removed)
    }

    pub(crate) fn add_edge(&mut self, edge: RefEdge) -> Result<RefOutcome, RefError> {
        let id = edge.id();
        if self.edges.contains_key(&id) {
            return Ok(RefOutcome::AlreadyPresent);
        }
        if !self.nodes.contains_key(&edge.from) {
            return Err(RefError::MissingFrom);
        }
        if !self.nodes.contains_key(&edge.to) {
            return Err(RefError::MissingTo);
        }
        self.edges.insert(id, edge);
        Ok(RefOutcome::Added)
    }

    pub(crate) fn remove_edge(&mut self, id: &Bytes32) -> Result<RefOutcome, RefError> {
        match self.edges.remove(id) {
            Some(_) => Ok(RefOutcome::Removed),
            None => Err(RefError::EdgeNotFound),
        }
    }

    pub(crate) fn node_root(&self) -> Bytes32 {
        let leaves: Vec<_> = self
            .nodes
            .iter()
            .map(|(id, node)| (node_key(id), blake3_of(&[&node.leaf_cbor()])))
            .collect();
        tree_root(&leaves)
    }

    pub(crate) fn edge_root(&self) -> Bytes32 {
        let leaves: Vec<_> = self
            .edges
            .iter()
            .map(|(id, edge)| (edge_key(id), blake3_of(&[&edge.leaf_cbor()])))
            .collect();
        tree_root(&leaves)
    }

    pub(crate) fn digest(&self) -> Bytes32 {
        graph_root(&self.node_root(), &self.edge_root())
    }

    /// GraphCommitV0: `{"edges": [...], "nodes": [...], "version": "graph-commit-v0"}`.
    pub(crate) fn commit_cbor(&self) -> Vec<u8> {
        let mut out = vec![0xa3];
        text(&mut out, "edges");
        out.extend(head(4, self.edges.len()));
        for edge in self.edges.values() {
            edge.commit_cbor(&mut out);
        }
        text(&mut out, "nodes");
        out.extend(head(4, self.nodes.len()));
        for node in self.nodes.values() {
            node.commit_cbor(&mut out);
        }
        text(&mut out, "version");
        text(&mut out, "graph-commit-v0");
        out
    }

    pub(crate) fn commit_digest(&self) -> Bytes32 {
        blake3_of(&[&self.commit_cbor()])
    }
}

/// BLAKE3 of `bytes`, for callers that hash reference encodings.
pub(crate) fn hash(bytes: &[u8]) -> Bytes32 {
    blake3_of(&[bytes])
}
