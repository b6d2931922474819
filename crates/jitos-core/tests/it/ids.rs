//! Golden vectors of node and edge ids: `tests/vectors/ids.json`.
//!
//! Each id is checked three ways: against the file, against the `Value`-based encoding through
//! `hash_canonical`, and against a preimage assembled byte by byte in this file, which shares
//! no code with the crate's encoder.
//!
//! # Invariants
//! - A `null` payload and an empty payload give different edge ids, pinned by vectors.
//! - Under `UPDATE_EXPECT=1` only `id` is rewritten.

use jitos_core::cbor::{Value, hash_canonical};
use jitos_core::{Hash, edge_id, node_id};
use serde::{Deserialize, Serialize};

use crate::support::{from_hex, load, save, update_expect};

const FILE_NAME: &str = "ids.json";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IdCase {
    name: String,
    function: IdFunction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    kind: String,
    /// Hex of the payload; `null` for an edge without one.
    payload: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum IdFunction {
    NodeId,
    EdgeId,
}

/// The shortest CBOR head for `major` and `len`, written out by hand.
fn head_by_hand(major: u8, len: usize) -> Vec<u8> {
    let initial = major << 5;
    let len32 = u32::try_from(len).expect("test lengths fit u32");
    match len {
        0..=23 => vec![initial | u8::try_from(len).expect("small")],
        24..=0xff => vec![initial | 24, u8::try_from(len).expect("one byte")],
        0x100..=0xffff => {
            let be = len32.to_be_bytes();
            vec![initial | 25, be[2], be[3]]
        }
        _ => [&[initial | 26][..], &len32.to_be_bytes()].concat(),
    }
}

fn node_preimage_by_hand(kind: &str, payload: &[u8]) -> Vec<u8> {
    let mut preimage = vec![0x83, 0x6c];
    preimage.extend_from_slice(b"warp-node-v0");
    preimage.extend(head_by_hand(3, kind.len()));
    preimage.extend_from_slice(kind.as_bytes());
    preimage.extend(head_by_hand(2, payload.len()));
    preimage.extend_from_slice(payload);
    preimage
}

fn edge_preimage_by_hand(from: &Hash, to: &Hash, kind: &str, payload: Option<&[u8]>) -> Vec<u8> {
    let mut preimage = vec![0x85, 0x6c];
    preimage.extend_from_slice(b"warp-edge-v0");
    for end in [from, to] {
        preimage.extend_from_slice(&[0x58, 0x20]);
        preimage.extend_from_slice(end.as_bytes());
    }
    preimage.extend(head_by_hand(3, kind.len()));
    preimage.extend_from_slice(kind.as_bytes());
    match payload {
        Some(payload) => {
            preimage.extend(head_by_hand(2, payload.len()));
            preimage.extend_from_slice(payload);
        }
        None => preimage.push(0xf6),
    }
    preimage
}

fn hash_of(hex: Option<&String>, field: &str) -> Hash {
    Hash::from_hex(hex.unwrap_or_else(|| panic!("missing {field}"))).expect("valid hash hex")
}

/// Computes the id of `case` three ways and returns it once all three agree.
fn compute(case: &IdCase) -> Hash {
    let payload = case.payload.as_deref().map(from_hex);
    let (fast, by_hand, via_value) = match case.function {
        IdFunction::NodeId => {
            let payload = payload.expect("a node always has a payload");
            let value = Value::array([
                Value::text("warp-node-v0"),
                Value::text(case.kind.clone()),
                Value::bytes(payload.clone()),
            ]);
            (
                node_id(&case.kind, &payload),
                blake3::hash(&node_preimage_by_hand(&case.kind, &payload)),
                hash_canonical(&value).expect("shallow value"),
            )
        }
        IdFunction::EdgeId => {
            let from = hash_of(case.from.as_ref(), "from");
            let to = hash_of(case.to.as_ref(), "to");
            let value = Value::array([
                Value::text("warp-edge-v0"),
                Value::from(from),
                Value::from(to),
                Value::text(case.kind.clone()),
                payload.clone().map_or(Value::Null, Value::Bytes),
            ]);
            (
                edge_id(&from, &to, &case.kind, payload.as_deref()),
                blake3::hash(&edge_preimage_by_hand(
                    &from,
                    &to,
                    &case.kind,
                    payload.as_deref(),
                )),
                hash_canonical(&value).expect("shallow value"),
            )
        }
    };
    assert_eq!(
        fast.as_bytes(),
        by_hand.as_bytes(),
        "{}: fast path vs hand-made preimage",
        case.name
    );
    assert_eq!(
        fast, via_value,
        "{}: fast path vs Value encoding",
        case.name
    );
    fast
}

#[test]
fn id_vectors() {
    let mut cases: Vec<IdCase> = load(FILE_NAME);
    let mut failures = Vec::new();
    for case in &mut cases {
        let id = compute(case).to_string();
        if update_expect() {
            case.id = Some(id);
        } else if case.id.as_deref() != Some(id.as_str()) {
            failures.push(format!("{}: expected {:?}, got {id}", case.name, case.id));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing id vectors:\n{}",
        failures.len(),
        failures.join("\n")
    );
    if update_expect() {
        save(FILE_NAME, &cases);
    }
}

#[test]
fn id_vectors_pin_null_versus_empty_payload() {
    let cases: Vec<IdCase> = load(FILE_NAME);
    let edge_with = |payload: Option<&str>| {
        cases
            .iter()
            .find(|case| case.function == IdFunction::EdgeId && case.payload.as_deref() == payload)
    };
    let without = edge_with(None).expect("an edge vector without payload");
    let empty = edge_with(Some("")).expect("an edge vector with an empty payload");
    assert_eq!(
        (&without.from, &without.to, &without.kind),
        (&empty.from, &empty.to, &empty.kind)
    );
    assert_ne!(without.id, empty.id);
    let n_nodes = cases
        .iter()
        .filter(|case| case.function == IdFunction::NodeId)
        .count();
    assert!(n_nodes >= 4 && cases.len() - n_nodes >= 4);
}

/// The worked example of `docs/spec/encoding.md`: the preimage bytes of `node_id("demo",
/// "hello")` and the id.
#[test]
fn worked_example_of_the_spec() {
    let preimage = node_preimage_by_hand("demo", b"hello");
    assert_eq!(
        crate::support::to_hex(&preimage),
        "836c776172702d6e6f64652d76306464656d6f4568656c6c6f"
    );
    assert_eq!(node_id("demo", b"hello").to_string(), WORKED_EXAMPLE_ID);
}

const WORKED_EXAMPLE_ID: &str = "5a6ecfefbdae53229e20a815144f5c8e2261581904d5683a7f64c9b4822e8d22";
