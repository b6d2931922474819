//! Content-addressed node and edge ids (contract §2).
//!
//! ```text
//! node_id = blake3(enc(["warp-node-v0", kind, payload]))             text, text, bytes
//! edge_id = blake3(enc(["warp-edge-v0", from, to, kind, payload]))   text, bytes(32) x2, text,
//!                                                                     bytes or null
//! ```
//!
//! [`node_ids_each`] gives the ids of many nodes at once, hashing their preimages side by side.
//!
//! The canonical CBOR preimage is streamed straight into BLAKE3 without allocating: it is
//! assembled in a 256-byte stack buffer and hashed with one `blake3::hash` call when it fits
//! (every preimage of a typical node or edge), else streamed through a `blake3::Hasher`. `tests/it/ids.rs` pins the result against the `Value`-based encoding and against
//! bytes assembled by hand; `tests/vectors/ids.json` pins the ids themselves.
//!
//! # Invariants
//! - `node_id(k, p) == hash_canonical(&["warp-node-v0", k, bytes(p)])` and likewise for edges,
//!   for every input; no `Value` tree is built.
//! - An edge with no payload (`null`) and an edge with an empty payload (`40`) have different
//!   ids.
//! - The ids depend on nothing but their arguments: no clock, counter or allocation address.

use crate::cbor::{MAJOR_BYTES, MAJOR_TEXT, NULL, head, len_u64};
use crate::hash::Hash;

/// Domain text, first item of every node id preimage.
pub const NODE_ID_DOMAIN: &str = "warp-node-v0";
/// Domain text, first item of every edge id preimage.
pub const EDGE_ID_DOMAIN: &str = "warp-edge-v0";

/// Head of a 3-item array followed by the head and bytes of the text `"warp-node-v0"`.
const NODE_PREFIX: &[u8] = b"\x83\x6cwarp-node-v0";
/// Head of a 5-item array followed by the head and bytes of the text `"warp-edge-v0"`.
const EDGE_PREFIX: &[u8] = b"\x85\x6cwarp-edge-v0";
/// Head of a 32-byte byte string.
const HASH_HEAD: &[u8] = &[0x58, 0x20];

/// Stack buffer size. Holds every preimage up to its payload at `KIND_LEN_MAX`, so typical
/// ids take one `blake3::hash` call; larger preimages stream through a `blake3::Hasher`.
const BUFFER_BYTES: usize = 256;

const _: () = assert!(NODE_PREFIX.len() == 2 + NODE_ID_DOMAIN.len() && NODE_ID_DOMAIN.len() < 24);
const _: () = assert!(EDGE_PREFIX.len() == 2 + EDGE_ID_DOMAIN.len() && EDGE_ID_DOMAIN.len() < 24);

/// The id of the node `(kind, payload)`.
#[must_use]
pub fn node_id(kind: &str, payload: &[u8]) -> Hash {
    let mut hasher = PreimageHasher::new();
    hasher.write(NODE_PREFIX);
    hasher.write_head(MAJOR_TEXT, kind.len());
    hasher.write(kind.as_bytes());
    hasher.write_head(MAJOR_BYTES, payload.len());
    hasher.write(payload);
    hasher.finish()
}

/// [`node_id`] of every `(kind, payload)`, handed to `each` in order: the preimages are laid
/// end to end and hashed many at a time (`jitos_blake3_many`), several times faster per id
/// than one call each when there are many.
pub fn node_ids_each<'a>(
    nodes: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    mut each: impl FnMut(Hash),
) {
    let mut preimages = Vec::new();
    let mut ends = Vec::new();
    for (kind, payload) in nodes {
        preimages.extend_from_slice(NODE_PREFIX);
        let (kind_head, kind_head_len) = head(MAJOR_TEXT, len_u64(kind.len()));
        preimages.extend_from_slice(&kind_head[..kind_head_len]);
        preimages.extend_from_slice(kind.as_bytes());
        let (payload_head, payload_head_len) = head(MAJOR_BYTES, len_u64(payload.len()));
        preimages.extend_from_slice(&payload_head[..payload_head_len]);
        preimages.extend_from_slice(payload);
        ends.push(preimages.len());
    }
    jitos_blake3_many::hash_each_end_to_end(&preimages, &ends, |hash| {
        each(Hash::from_bytes(hash));
    });
}

/// The id of the edge `from -> to` of kind `kind`, with `payload` or without one (`None`).
#[must_use]
pub fn edge_id(from: &Hash, to: &Hash, kind: &str, payload: Option<&[u8]>) -> Hash {
    let mut hasher = PreimageHasher::new();
    hasher.write(EDGE_PREFIX);
    hasher.write(HASH_HEAD);
    hasher.write(from.as_bytes());
    hasher.write(HASH_HEAD);
    hasher.write(to.as_bytes());
    hasher.write_head(MAJOR_TEXT, kind.len());
    hasher.write(kind.as_bytes());
    match payload {
        Some(payload) => {
            hasher.write_head(MAJOR_BYTES, payload.len());
            hasher.write(payload);
        }
        None => hasher.write(&[NULL]),
    }
    hasher.finish()
}

/// Buffers small writes on the stack; falls back to an incremental hasher past one chunk.
struct PreimageHasher {
    buffer: [u8; BUFFER_BYTES],
    buffer_len: usize,
    /// Present once the preimage outgrew the buffer; everything before `buffer` is in it.
    hasher: Option<blake3::Hasher>,
}

impl PreimageHasher {
    fn new() -> PreimageHasher {
        PreimageHasher {
            buffer: [0; BUFFER_BYTES],
            buffer_len: 0,
            hasher: None,
        }
    }

    fn write_head(&mut self, major: u8, len: usize) {
        let (bytes, head_len) = head(major, len_u64(len));
        self.write(&bytes[..head_len]);
    }

    fn write(&mut self, bytes: &[u8]) {
        if self.buffer_len + bytes.len() <= BUFFER_BYTES {
            self.buffer[self.buffer_len..self.buffer_len + bytes.len()].copy_from_slice(bytes);
            self.buffer_len += bytes.len();
            return;
        }
        let hasher = self.hasher.get_or_insert_with(blake3::Hasher::new);
        hasher.update(&self.buffer[..self.buffer_len]);
        self.buffer_len = 0;
        if bytes.len() <= BUFFER_BYTES {
            self.buffer[..bytes.len()].copy_from_slice(bytes);
            self.buffer_len = bytes.len();
        } else {
            hasher.update(bytes);
        }
    }

    fn finish(&mut self) -> Hash {
        let tail = &self.buffer[..self.buffer_len];
        match &mut self.hasher {
            None => Hash::from(blake3::hash(tail)),
            Some(hasher) => Hash::from(hasher.update(tail).finalize()),
        }
    }
}

#[cfg(test)]
mod tests;
