//! The byte-level definitions behind both digests of contract §2, one function each.
//!
//! ```text
//! node_key(id)          = blake3("JITOS:SMT:node:v0" || id)                   NodeKeyV0
//! edge_key(id)          = blake3("JITOS:SMT:edge:v0" || id)                   EdgeKeyV0
//! node_leaf_value(id,n) = blake3(enc({"version": "node-leaf-v0", "node_id", "kind",
//!                                     "payload_bytes", "attachment": null}))   NodeLeafHashV0
//! edge_leaf_value(id,e) = blake3(enc({"version": "edge-leaf-v0", "edge_id", "from", "to",
//!                                     "kind", "payload_bytes", "attachment": null}))
//! smt_leaf(key, value)  = blake3("jitos:smt:leaf:v1" || key || value)
//! smt_inner(l, r)       = blake3("jitos:smt:inner:v1" || l || r)
//! graph_root(n, e)      = blake3("jitos:graph-root:v1" || n || e)           GraphRootV1
//! ```
//!
//! `||` is raw byte concatenation of fixed-width parts. The canonical CBOR (contract §1) of the
//! leaf values and of GraphCommitV0 is streamed straight into BLAKE3 through a bounded stack
//! buffer: no `Value` tree and no buffer proportional to the graph. The exact bytes are listed
//! in `docs/spec/graph.md`.
//!
//! # Invariants
//! - Map keys are written in canonical order (sorted by encoded bytes: shorter text first),
//!   fixed here by hand and checked against `jitos_core::cbor::encode` in the unit tests.
//! - Every head is the shortest form for its argument (`put_head` is the only head writer).
//! - Ids and hashes are 32-byte byte strings (`58 20` + 32 bytes), never integer arrays.

use jitos_core::Hash;

use crate::model::{Edge, EdgeId, Node, NodeId};

/// Domain prefix of [`node_key`].
pub const NODE_KEY_DOMAIN: &[u8] = b"JITOS:SMT:node:v0";
/// Domain prefix of [`edge_key`].
pub const EDGE_KEY_DOMAIN: &[u8] = b"JITOS:SMT:edge:v0";
/// Domain prefix of [`smt_leaf`].
pub const SMT_LEAF_DOMAIN: &[u8] = b"jitos:smt:leaf:v1";
/// Domain prefix of [`smt_inner`].
pub const SMT_INNER_DOMAIN: &[u8] = b"jitos:smt:inner:v1";
/// Domain prefix of [`graph_root`].
pub const GRAPH_ROOT_DOMAIN: &[u8] = b"jitos:graph-root:v1";
/// `version` field of a node leaf value.
pub const NODE_LEAF_VERSION: &str = "node-leaf-v0";
/// `version` field of an edge leaf value.
pub const EDGE_LEAF_VERSION: &str = "edge-leaf-v0";
/// `version` field of GraphCommitV0.
pub const GRAPH_COMMIT_VERSION: &str = "graph-commit-v0";

/// Bytes of a BLAKE3 output.
const HASH_BYTES: usize = 32;
/// Longest fixed preimage below: a domain of at most 19 bytes and two hashes.
const PREIMAGE_BYTES_MAX: usize = 19 + 2 * HASH_BYTES;
/// Stack buffer for one leaf value: holds every leaf whose kind and payload are short.
const LEAF_BUFFER_BYTES: usize = 256;
/// Stack buffer for the commit stream: 16 KiB lets BLAKE3 hash 16 chunks at once (SIMD).
const COMMIT_BUFFER_BYTES: usize = 16 * 1024;

const _: () = assert!(NODE_KEY_DOMAIN.len() + HASH_BYTES <= PREIMAGE_BYTES_MAX);
const _: () = assert!(EDGE_KEY_DOMAIN.len() + HASH_BYTES <= PREIMAGE_BYTES_MAX);
const _: () = assert!(SMT_LEAF_DOMAIN.len() + 2 * HASH_BYTES <= PREIMAGE_BYTES_MAX);
const _: () = assert!(SMT_INNER_DOMAIN.len() + 2 * HASH_BYTES <= PREIMAGE_BYTES_MAX);
const _: () = assert!(GRAPH_ROOT_DOMAIN.len() + 2 * HASH_BYTES <= PREIMAGE_BYTES_MAX);
// The three version texts are 12 or 15 bytes: one-byte text heads (`6c`, `6f`).
const _: () = assert!(NODE_LEAF_VERSION.len() < 24 && EDGE_LEAF_VERSION.len() < 24);
const _: () = assert!(GRAPH_COMMIT_VERSION.len() < 24);

/// BLAKE3 of `domain || parts...`, all on the stack.
fn hash_parts(domain: &[u8], parts: &[&[u8; HASH_BYTES]]) -> Hash {
    let mut preimage = [0u8; PREIMAGE_BYTES_MAX];
    preimage[..domain.len()].copy_from_slice(domain);
    let mut len = domain.len();
    for part in parts {
        preimage[len..len + HASH_BYTES].copy_from_slice(&part[..]);
        len += HASH_BYTES;
    }
    Hash::from(blake3::hash(&preimage[..len]))
}

/// NodeKeyV0: the position of node `id` in the node tree.
#[must_use]
pub fn node_key(id: &NodeId) -> Hash {
    hash_parts(NODE_KEY_DOMAIN, &[id.as_bytes()])
}

/// EdgeKeyV0: the position of edge `id` in the edge tree.
#[must_use]
pub fn edge_key(id: &EdgeId) -> Hash {
    hash_parts(EDGE_KEY_DOMAIN, &[id.as_bytes()])
}

/// The hash of a tree leaf: `blake3("jitos:smt:leaf:v1" || key || value)`.
#[must_use]
pub fn smt_leaf(key: &Hash, value: &Hash) -> Hash {
    hash_parts(SMT_LEAF_DOMAIN, &[key.as_bytes(), value.as_bytes()])
}

/// The hash of a subtree with two non-empty-or-zero halves: `blake3("jitos:smt:inner:v1" ||
/// left || right)`.
#[must_use]
pub fn smt_inner(left: &Hash, right: &Hash) -> Hash {
    hash_parts(SMT_INNER_DOMAIN, &[left.as_bytes(), right.as_bytes()])
}

/// GraphRootV1: `blake3("jitos:graph-root:v1" || node_root || edge_root)`.
#[must_use]
pub fn graph_root(node_root: &Hash, edge_root: &Hash) -> Hash {
    hash_parts(
        GRAPH_ROOT_DOMAIN,
        &[node_root.as_bytes(), edge_root.as_bytes()],
    )
}

/// NodeLeafHashV0 of node `id` (the caller guarantees `id == node.id()`).
#[must_use]
pub fn node_leaf_value(id: &NodeId, node: &Node) -> Hash {
    let mut hasher = BufferedHasher::<LEAF_BUFFER_BYTES>::new();
    put_node_leaf(&mut hasher, id, node);
    hasher.finish()
}

/// EdgeLeafHashV0 of edge `id` (the caller guarantees `id == edge.id()`).
#[must_use]
pub fn edge_leaf_value(id: &EdgeId, edge: &Edge) -> Hash {
    let mut hasher = BufferedHasher::<LEAF_BUFFER_BYTES>::new();
    put_edge_leaf(&mut hasher, id, edge);
    hasher.finish()
}

/// The tree key and the tree leaf hash of node `id`: `(node_key, smt_leaf(key, value))`.
#[must_use]
pub(crate) fn node_entry(id: &NodeId, node: &Node) -> (Hash, Hash) {
    let key = node_key(id);
    (key, smt_leaf(&key, &node_leaf_value(id, node)))
}

/// The tree key and the tree leaf hash of edge `id`: `(edge_key, smt_leaf(key, value))`.
#[must_use]
pub(crate) fn edge_entry(id: &EdgeId, edge: &Edge) -> (Hash, Hash) {
    let key = edge_key(id);
    (key, smt_leaf(&key, &edge_leaf_value(id, edge)))
}

/// Items whose tree entries [`entries_each`] hashes together: enough to fill the SIMD lanes
/// many times, few enough that their preimages stay in cache.
pub(crate) const ENTRIES_BATCH_MAX: usize = 64;

/// `(key, smt_leaf(key, value))` of every item, in order, as [`node_entry`] or [`edge_entry`]
/// gives it (`key_domain` and `put_leaf` say which), each of the three hashes computed for
/// all items at once, many at a time (`jitos_blake3_many`).
pub(crate) fn entries_each<T>(
    items: &[(&Hash, &T)],
    key_domain: &[u8],
    put_leaf: fn(&mut Vec<u8>, &Hash, &T),
    mut each: impl FnMut(Hash, Hash),
) {
    let mut preimages = Preimages::with_capacity(items.len());
    for (id, _) in items {
        preimages.push(&[key_domain, id.as_bytes()]);
    }
    let keys = preimages.hashes();
    for (id, item) in items {
        put_leaf(&mut preimages.bytes, id, item);
        preimages.ends.push(preimages.bytes.len());
    }
    let values = preimages.hashes();
    for (key, value) in keys.iter().zip(&values) {
        preimages.push(&[SMT_LEAF_DOMAIN, key.as_bytes(), value.as_bytes()]);
    }
    let leaves = preimages.hashes();
    for (key, leaf) in keys.into_iter().zip(leaves) {
        each(key, leaf);
    }
}

/// Preimages laid end to end, to be hashed together (`jitos_blake3_many`).
pub(crate) struct Preimages {
    bytes: Vec<u8>,
    /// Where each preimage ends in `bytes`.
    ends: Vec<usize>,
}

impl Preimages {
    pub(crate) fn with_capacity(n_preimages: usize) -> Preimages {
        Preimages {
            bytes: Vec::with_capacity(n_preimages * 2 * PREIMAGE_BYTES_MAX),
            ends: Vec::with_capacity(n_preimages),
        }
    }

    /// Adds the preimage made of `parts`.
    pub(crate) fn push(&mut self, parts: &[&[u8]]) {
        parts
            .iter()
            .for_each(|part| self.bytes.extend_from_slice(part));
        self.ends.push(self.bytes.len());
    }

    /// The hash of every preimage, in order; empties the list.
    pub(crate) fn hashes(&mut self) -> Vec<Hash> {
        let mut hashes = Vec::with_capacity(self.ends.len());
        jitos_blake3_many::hash_each_end_to_end(&self.bytes, &self.ends, |hash| {
            hashes.push(Hash::from_bytes(hash));
        });
        self.bytes.clear();
        self.ends.clear();
        hashes
    }
}

/// GraphCommitDigestV0 of the node and edge sequences, each in ascending id order.
pub(crate) fn commit_digest<'a>(
    n_nodes: usize,
    nodes: impl Iterator<Item = (&'a NodeId, &'a Node)>,
    n_edges: usize,
    edges: impl Iterator<Item = (&'a EdgeId, &'a Edge)>,
) -> Hash {
    let mut hasher = BufferedHasher::<COMMIT_BUFFER_BYTES>::new();
    put_commit(&mut hasher, n_nodes, nodes, n_edges, edges);
    hasher.finish()
}

/// Where canonical CBOR bytes go: a hasher, or a `Vec` in tests.
pub(crate) trait Sink {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Major type 2: byte string.
const MAJOR_BYTES: u8 = 2;
/// Major type 3: text string.
const MAJOR_TEXT: u8 = 3;
/// Major type 4: array.
const MAJOR_ARRAY: u8 = 4;
/// Major type 5: map.
const MAJOR_MAP: u8 = 5;
/// The encoded `null`.
const NULL: u8 = 0xf6;

/// The shortest head for `major` and `argument` (RFC 8949 §4.2.1, contract §1).
#[inline]
pub(crate) fn put_head(sink: &mut impl Sink, major: u8, argument: u64) {
    debug_assert!(major <= 7, "major type {major} does not fit three bits");
    let initial = major << 5;
    let be = argument.to_be_bytes();
    if argument < 24 {
        sink.put(&[initial | be[7]]);
    } else if argument <= 0xff {
        sink.put(&[initial | 24, be[7]]);
    } else if argument <= 0xffff {
        sink.put(&[initial | 25, be[6], be[7]]);
    } else if argument <= 0xffff_ffff {
        sink.put(&[initial | 26, be[4], be[5], be[6], be[7]]);
    } else {
        sink.put(&[initial | 27]);
        sink.put(&be);
    }
}

/// A length as a CBOR argument (`usize` is at most 64 bits on every supported target).
fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

#[inline]
fn put_text(sink: &mut impl Sink, text: &str) {
    put_head(sink, MAJOR_TEXT, len_u64(text.len()));
    sink.put(text.as_bytes());
}

#[inline]
fn put_bytes(sink: &mut impl Sink, bytes: &[u8]) {
    put_head(sink, MAJOR_BYTES, len_u64(bytes.len()));
    sink.put(bytes);
}

#[inline]
fn put_hash(sink: &mut impl Sink, hash: &Hash) {
    sink.put(&[0x58, 0x20]);
    sink.put(hash.as_bytes());
}

#[inline]
fn put_optional_bytes(sink: &mut impl Sink, bytes: Option<&[u8]>) {
    match bytes {
        Some(bytes) => put_bytes(sink, bytes),
        None => sink.put(&[NULL]),
    }
}

/// `{"kind", "node_id", "version", "attachment": null, "payload_bytes"}`, in canonical order.
pub(crate) fn put_node_leaf(sink: &mut impl Sink, id: &NodeId, node: &Node) {
    put_head(sink, MAJOR_MAP, 5);
    put_text(sink, "kind");
    put_text(sink, node.kind());
    put_text(sink, "node_id");
    put_hash(sink, id);
    put_text(sink, "version");
    put_text(sink, NODE_LEAF_VERSION);
    put_text(sink, "attachment");
    sink.put(&[NULL]);
    put_text(sink, "payload_bytes");
    put_bytes(sink, node.payload());
}

/// `{"to", "from", "kind", "edge_id", "version", "attachment": null, "payload_bytes"}`, in
/// canonical order; `payload_bytes` is `null` for an edge without payload.
pub(crate) fn put_edge_leaf(sink: &mut impl Sink, id: &EdgeId, edge: &Edge) {
    put_head(sink, MAJOR_MAP, 7);
    put_text(sink, "to");
    put_hash(sink, edge.to());
    put_text(sink, "from");
    put_hash(sink, edge.from());
    put_text(sink, "kind");
    put_text(sink, edge.kind());
    put_text(sink, "edge_id");
    put_hash(sink, id);
    put_text(sink, "version");
    put_text(sink, EDGE_LEAF_VERSION);
    put_text(sink, "attachment");
    sink.put(&[NULL]);
    put_text(sink, "payload_bytes");
    put_optional_bytes(sink, edge.payload());
}

/// NodeCommitV0: `{"kind", "node_id", "attachment": null, "payload_bytes"}`.
fn put_node_commit(sink: &mut impl Sink, id: &NodeId, node: &Node) {
    put_head(sink, MAJOR_MAP, 4);
    put_text(sink, "kind");
    put_text(sink, node.kind());
    put_text(sink, "node_id");
    put_hash(sink, id);
    put_text(sink, "attachment");
    sink.put(&[NULL]);
    put_text(sink, "payload_bytes");
    put_bytes(sink, node.payload());
}

/// EdgeCommitV0: `{"to", "from", "kind", "edge_id", "attachment": null, "payload_bytes"}`.
fn put_edge_commit(sink: &mut impl Sink, id: &EdgeId, edge: &Edge) {
    put_head(sink, MAJOR_MAP, 6);
    put_text(sink, "to");
    put_hash(sink, edge.to());
    put_text(sink, "from");
    put_hash(sink, edge.from());
    put_text(sink, "kind");
    put_text(sink, edge.kind());
    put_text(sink, "edge_id");
    put_hash(sink, id);
    put_text(sink, "attachment");
    sink.put(&[NULL]);
    put_text(sink, "payload_bytes");
    put_optional_bytes(sink, edge.payload());
}

/// GraphCommitV0: `{"edges": [...], "nodes": [...], "version": "graph-commit-v0"}`.
///
/// The counts are written before the items, so each iterator must yield exactly that many.
pub(crate) fn put_commit<'a>(
    sink: &mut impl Sink,
    n_nodes: usize,
    nodes: impl Iterator<Item = (&'a NodeId, &'a Node)>,
    n_edges: usize,
    edges: impl Iterator<Item = (&'a EdgeId, &'a Edge)>,
) {
    put_head(sink, MAJOR_MAP, 3);
    put_text(sink, "edges");
    put_head(sink, MAJOR_ARRAY, len_u64(n_edges));
    let mut n_edges_written = 0usize;
    for (id, edge) in edges {
        put_edge_commit(sink, id, edge);
        n_edges_written += 1;
    }
    assert_eq!(
        n_edges_written, n_edges,
        "edge count written before the edges"
    );
    put_text(sink, "nodes");
    put_head(sink, MAJOR_ARRAY, len_u64(n_nodes));
    let mut n_nodes_written = 0usize;
    for (id, node) in nodes {
        put_node_commit(sink, id, node);
        n_nodes_written += 1;
    }
    assert_eq!(
        n_nodes_written, n_nodes,
        "node count written before the nodes"
    );
    put_text(sink, "version");
    put_text(sink, GRAPH_COMMIT_VERSION);
}

/// Collects small writes in a stack buffer of `N` bytes and feeds BLAKE3 in large slices.
///
/// When everything fits the buffer, the hash is one `blake3::hash` call; otherwise full buffers
/// go to an incremental hasher, which can then hash several chunks at once.
pub(crate) struct BufferedHasher<const N: usize> {
    buffer: [u8; N],
    buffer_len: usize,
    /// Present once the input outgrew the buffer; it holds every byte before `buffer`.
    hasher: Option<blake3::Hasher>,
}

impl<const N: usize> BufferedHasher<N> {
    pub(crate) fn new() -> BufferedHasher<N> {
        BufferedHasher {
            buffer: [0; N],
            buffer_len: 0,
            hasher: None,
        }
    }

    pub(crate) fn finish(&mut self) -> Hash {
        let tail = &self.buffer[..self.buffer_len];
        match &mut self.hasher {
            None => Hash::from(blake3::hash(tail)),
            Some(hasher) => Hash::from(hasher.update(tail).finalize()),
        }
    }
}

impl<const N: usize> BufferedHasher<N> {
    /// Hashes the buffer and then `bytes`, leaving a short `bytes` in the buffer instead.
    #[cold]
    fn flush_and_put(&mut self, bytes: &[u8]) {
        let hasher = self.hasher.get_or_insert_with(blake3::Hasher::new);
        hasher.update(&self.buffer[..self.buffer_len]);
        self.buffer_len = 0;
        if bytes.len() <= N {
            self.buffer[..bytes.len()].copy_from_slice(bytes);
            self.buffer_len = bytes.len();
        } else {
            hasher.update(bytes);
        }
    }
}

impl<const N: usize> Sink for BufferedHasher<N> {
    /// Inlined, so that the many short writes of constant length (keys, heads) compile to
    /// plain moves instead of `memcpy` calls.
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        let end = self.buffer_len + bytes.len();
        if end <= N {
            self.buffer[self.buffer_len..end].copy_from_slice(bytes);
            self.buffer_len = end;
        } else {
            self.flush_and_put(bytes);
        }
    }
}

#[cfg(test)]
mod tests;
