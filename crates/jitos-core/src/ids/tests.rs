//! Unit tests for the id fast path.
//!
//! # Invariants
//! - The streamed preimage equals the `Value` encoding on both sides of the stack buffer
//!   boundary, where the hasher switches from one-shot to incremental, byte by byte.

use super::{BUFFER_BYTES, EDGE_ID_DOMAIN, NODE_ID_DOMAIN, edge_id, node_id, node_ids_each};
use crate::cbor::{Value, hash_canonical};
use crate::hash::{Hash, hash_bytes};

fn node_id_slow(kind: &str, payload: &[u8]) -> Hash {
    let preimage = Value::array([
        Value::text(NODE_ID_DOMAIN),
        Value::text(kind),
        payload.into(),
    ]);
    hash_canonical(&preimage).unwrap()
}

fn edge_id_slow(from: &Hash, to: &Hash, kind: &str, payload: Option<&[u8]>) -> Hash {
    let preimage = Value::array([
        Value::text(EDGE_ID_DOMAIN),
        Value::from(*from),
        Value::from(*to),
        Value::text(kind),
        payload.map_or(Value::Null, Value::from),
    ]);
    hash_canonical(&preimage).unwrap()
}

#[test]
fn node_ids_each_gives_every_node_id_in_order() {
    // Payload lengths across head sizes and past one BLAKE3 chunk, kinds of several lengths,
    // in one batch of a count that leaves a partial group of eight.
    let lengths = [0, 1, 23, 24, 255, 256, 900, 1000, 1024, 1025, 5000];
    let kinds = ["", "a", "demo.kind", &*"k".repeat(BUFFER_BYTES + 3)];
    let nodes: Vec<(String, Vec<u8>)> = lengths
        .iter()
        .enumerate()
        .flat_map(|(at, len)| {
            kinds.iter().map(move |kind| {
                let payload = (0..*len).map(|idx| u8::try_from((idx + at) % 251).unwrap());
                ((*kind).to_owned(), payload.collect())
            })
        })
        .collect();
    let mut ids = Vec::new();
    node_ids_each(
        nodes
            .iter()
            .map(|(kind, payload)| (kind.as_str(), payload.as_slice())),
        |id| ids.push(id),
    );
    let expected: Vec<Hash> = nodes
        .iter()
        .map(|(kind, payload)| node_id_slow(kind, payload))
        .collect();
    assert_eq!(ids, expected);
}

#[test]
fn node_id_matches_value_encoding_across_buffer_sizes() {
    let kind = "demo.kind";
    for len in [
        0, 1, 23, 24, 255, 256, 900, 1000, 1001, 1010, 1024, 1025, 2048, 5000, 70_000,
    ] {
        let payload: Vec<u8> = (0..len)
            .map(|idx| u8::try_from(idx % 251).unwrap())
            .collect();
        assert_eq!(
            node_id(kind, &payload),
            node_id_slow(kind, &payload),
            "payload length {len}"
        );
    }
    let long_kind = "k".repeat(BUFFER_BYTES + 3);
    assert_eq!(node_id(&long_kind, b"x"), node_id_slow(&long_kind, b"x"));
}

#[test]
fn edge_id_matches_value_encoding_across_buffer_sizes() {
    let from = hash_bytes(b"from");
    let to = hash_bytes(b"to");
    let lengths = [0, 1, 24, 256, 1024, 1025, 4096].into_iter();
    for len in lengths.chain(BUFFER_BYTES - 100..BUFFER_BYTES - 60) {
        let payload = vec![0x5a; len];
        assert_eq!(
            edge_id(&from, &to, "e", Some(&payload)),
            edge_id_slow(&from, &to, "e", Some(&payload)),
            "payload length {len}"
        );
    }
    assert_eq!(
        edge_id(&from, &to, "e", None),
        edge_id_slow(&from, &to, "e", None)
    );
}

#[test]
fn empty_payload_and_no_payload_differ() {
    let from = hash_bytes(b"a");
    let to = hash_bytes(b"b");
    assert_ne!(
        edge_id(&from, &to, "e", None),
        edge_id(&from, &to, "e", Some(&[]))
    );
    assert_ne!(
        edge_id(&from, &to, "e", None),
        edge_id(&to, &from, "e", None)
    );
}

#[test]
fn node_and_edge_domains_differ() {
    assert_ne!(node_id("k", b""), node_id("k", b"\x00"));
    assert_ne!(node_id("k", b""), node_id("K", b""));
}
