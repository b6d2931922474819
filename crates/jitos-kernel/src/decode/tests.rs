//! Every event the kernel makes decodes back to itself; anything else is refused with where.

use jitos_core::cbor::{self, Value};
use jitos_graph::{Edge, Node};
use jitos_schema::ops::{AddEdge, AddNode, Op, RemoveEdge, RemoveNode};
use proptest::prelude::*;
use serde_json::json;

use super::{EventDecodeError, decode_event, decode_event_strictly, read_event};
use crate::event::Event;
use crate::state::Command;
use crate::test_support::{log, run};
use crate::view::ViewKey;

fn add(payload: &[u8]) -> Op {
    Op::AddNode(AddNode {
        kind: "d".to_owned(),
        payload: payload.to_vec(),
    })
}

fn write(id: u64, ops: Vec<Op>) -> Command {
    Command::ApplyRewrite {
        view: ViewKey::Sws(id),
        ops,
        meta: Some(
            json!({ "whole": 2.0, "half": 0.5, "neg": -3, "big": 1e19, "list": [null, true] }),
        ),
        idempotency_key: Some(format!("k{id}")),
    }
}

fn create(meta: Option<serde_json::Value>) -> Command {
    Command::CreateSws {
        meta,
        idempotency_key: None,
    }
}

fn collapse(id: u64, meta: Option<serde_json::Value>, key: Option<&str>) -> Command {
    Command::CollapseSws {
        id,
        meta,
        idempotency_key: key.map(str::to_owned),
    }
}

fn remove_edge(edge: &Edge) -> Op {
    Op::RemoveEdge(RemoveEdge {
        id: *edge.id().as_bytes(),
    })
}

/// Events of every kind and shape: creates with meta, every op, a committed collapse, an
/// aborted one with conflicts, a refused rebase, a discard with a reason.
fn events() -> Vec<Event> {
    let node = |payload: &[u8]| Node::new("d", payload).id();
    let edge = Edge::new(node(b"a"), node(b"b"), "e", Some(b"p"));
    let add_edge = Op::AddEdge(AddEdge {
        from: *node(b"a").as_bytes(),
        to: *node(b"b").as_bytes(),
        kind: "e".to_owned(),
        payload: Some(b"p".to_vec()),
    });
    let remove_a = Op::RemoveNode(RemoveNode {
        id: *node(b"a").as_bytes(),
    });
    let plain = |id: u64, ops: Vec<Op>| Command::ApplyRewrite {
        view: ViewKey::Sws(id),
        ops,
        meta: None,
        idempotency_key: None,
    };
    let commands = vec![
        create(Some(json!({ "owner": "t" }))),
        write(0, vec![add(b"a"), add(b"b"), add_edge]),
        collapse(0, None, None),
        create(None),
        create(None),
        plain(1, vec![remove_edge(&edge), remove_a]),
        plain(2, vec![remove_edge(&edge)]),
        collapse(1, None, None),
        collapse(2, Some(json!(["retry", 1])), Some("c2")),
        Command::RebaseSws {
            id: 2,
            meta: None,
            idempotency_key: None,
        },
        Command::DiscardSws {
            id: 2,
            reason: Some("superseded".to_owned()),
            meta: None,
            idempotency_key: None,
        },
    ];
    log(&run(commands))
}

#[test]
fn every_event_decodes_to_itself() {
    let events = events();
    let aborted = events
        .iter()
        .filter_map(|e| e.outcome.as_ref())
        .filter(|o| !o.committed);
    assert_eq!(
        aborted.count(),
        2,
        "the script has an aborted collapse and a refused rebase"
    );
    for event in &events {
        let bytes = event.encode().expect("encodes");
        assert_eq!(
            decode_event(&bytes).as_ref(),
            Ok(event),
            "event {}",
            event.idx
        );
    }
}

#[test]
fn reading_in_place_agrees_with_the_strict_decoder() {
    // Every event of the script, and each again without meta and outcome: the shape whose
    // bytes are not encoded again (every op kind and view kind occurs in it).
    let mut samples = Vec::new();
    for event in events() {
        let mut bare = event.clone();
        (bare.meta, bare.outcome) = (None, None);
        let bare_bytes = bare.encode().expect("encodes");
        samples.push(decode_event_strictly(&bare_bytes).expect("decodes"));
        samples.push(event);
    }
    for event in &samples {
        let bytes = event.encode().expect("encodes");
        // Every event the kernel writes takes the fast path, its id hashed there or given.
        assert_eq!(
            read_event(&bytes, None).as_ref(),
            Some(event),
            "event {}",
            event.idx
        );
        let given = Some(jitos_core::hash_bytes(&bytes));
        assert_eq!(read_event(&bytes, given).as_ref(), Some(event));
        // Every byte of it set to each of a few values, and every prefix: what reads in place
        // decodes strictly to the same event (the other way round holds by the fallback).
        let mut damaged = Vec::new();
        for at in 0..bytes.len() {
            for to in [
                0x00,
                0x01,
                0x17,
                0x18,
                0x40,
                0x60,
                0xa0,
                0xf6,
                0xff,
                bytes[at] ^ 1,
            ] {
                let mut changed = bytes.clone();
                changed[at] = to;
                damaged.push(changed);
            }
            damaged.push(bytes[..at].to_vec());
        }
        for changed in &damaged {
            if let Some(read) = read_event(changed, Some(jitos_core::hash_bytes(changed))) {
                assert_eq!(
                    decode_event_strictly(changed),
                    Ok(read),
                    "event {}",
                    event.idx
                );
            }
        }
    }
}

#[test]
fn meta_is_kept_in_canonical_form() {
    let event = &events()[1];
    let meta = event.meta.as_deref().expect("meta");
    assert_eq!(meta["whole"], json!(2), "2.0 reads back as the integer 2");
    assert_eq!(meta["half"], json!(0.5));
    assert_eq!(meta["big"], json!(10_000_000_000_000_000_000u64));
}

/// The event map of `event` with `change` applied to it, encoded.
fn altered(event: &Event, change: impl FnOnce(&mut Vec<(Value, Value)>)) -> Vec<u8> {
    let value = cbor::decode(&event.encode().expect("encodes")).expect("decodes");
    let mut entries = value.as_map().expect("a map").entries().to_vec();
    change(&mut entries);
    cbor::encode(&Value::map(entries).expect("distinct keys")).expect("encodes")
}

fn set(entries: &mut [(Value, Value)], key: &str, value: Value) {
    let slot = entries.iter_mut().find(|(k, _)| k.as_text() == Some(key));
    slot.expect("the key exists").1 = value;
}

#[test]
fn malformed_events_are_refused_naming_the_field() {
    let event = &events()[1];
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            altered(event, |e| set(e, "v", Value::from(1u64))),
            "format version 1",
        ),
        (
            altered(event, |e| set(e, "kind", Value::text("NOPE"))),
            "kind",
        ),
        (
            altered(event, |e| set(e, "view_digest", Value::bytes(vec![0; 31]))),
            "view_digest",
        ),
        (
            altered(event, |e| set(e, "meta", Value::bytes(vec![1]))),
            "meta",
        ),
        (
            altered(event, |e| set(e, "ops", Value::array([Value::from(3u64)]))),
            "ops[0]",
        ),
        (
            altered(event, |e| e.push((Value::text("extra"), Value::Null))),
            "not exactly the keys",
        ),
        (
            altered(event, |e| set(e, "view", Value::text("SYSTEM"))),
            "view",
        ),
    ];
    for (bytes, needle) in cases {
        let error = decode_event(&bytes).expect_err("refused").to_string();
        assert!(error.contains(needle), "{error} should mention {needle}");
    }
    assert!(matches!(
        decode_event(&[0xa0]),
        Err(EventDecodeError::Shape { .. })
    ));
    assert!(matches!(
        decode_event(&[0xff]),
        Err(EventDecodeError::Cbor(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Flipping any byte of an encoded event never panics; whatever still decodes encodes back
    /// to exactly the flipped bytes.
    #[test]
    fn damaged_events_never_panic(pick in 0usize..11, at in any::<prop::sample::Index>(), to in any::<u8>()) {
        let event = &events()[pick];
        let mut bytes = event.encode().expect("encodes");
        let at = at.index(bytes.len());
        bytes[at] = to;
        if let Ok(decoded) = decode_event(&bytes) {
            prop_assert_eq!(decoded.encode().expect("encodes"), bytes);
        }
    }

    /// Arbitrary bytes never panic the decoder.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _answer = decode_event(&bytes);
    }
}
