//! Golden vectors for events (`tests/vectors/events.json`): a fixed script's events, their
//! canonical bytes and ids, the digests in their receipts, the request digests idempotency
//! compares, the collapse and rebase receipts (bytes and digest) and the rule pack id. The
//! encodings are specified in `docs/spec/events.md` and `docs/spec/collapse.md`; one event is
//! cross-checked against bytes assembled by hand.
//!
//! `UPDATE_EXPECT=1 cargo test -p jitos-kernel vectors` rewrites the file; nothing else does.

use jitos_graph::{Edge, Node};
use jitos_kernel::{Command, Receipt, State, ViewKey, rule_pack_id};
use jitos_schema::ops::{AddEdge, AddNode, Op, RemoveEdge, RemoveNode};
use serde_json::{Value, json};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/events.json");

fn script() -> Vec<Command> {
    let add = |kind: &str, payload: &[u8]| {
        Op::AddNode(AddNode {
            kind: kind.to_owned(),
            payload: payload.to_vec(),
        })
    };
    vec![
        Command::CreateSws {
            meta: None,
            idempotency_key: None,
        },
        Command::ApplyRewrite {
            view: ViewKey::Sws(0),
            ops: vec![add("demo", b"hello")],
            meta: None,
            idempotency_key: None,
        },
        Command::CreateSws {
            meta: Some(
                json!({ "owner": "test", "n": -3, "ratio": 0.5, "whole": 2.0, "tags": ["a", "b"] }),
            ),
            idempotency_key: None,
        },
        Command::ApplyRewrite {
            view: ViewKey::Sws(1),
            ops: vec![add("demo", b"hello")],
            meta: Some(json!({})),
            idempotency_key: None,
        },
        Command::ApplyRewrite {
            view: ViewKey::Sws(0),
            ops: vec![add("demo", b"hello")],
            meta: None,
            idempotency_key: None,
        },
        Command::ApplyRewrite {
            view: ViewKey::Sws(0),
            ops: vec![add("task.v0", b"")],
            meta: None,
            idempotency_key: None,
        },
        Command::DiscardSws {
            id: 1,
            reason: Some("superseded".to_owned()),
            meta: None,
            idempotency_key: None,
        },
    ]
    .into_iter()
    .chain(m2_script())
    .chain(m3_script())
    .collect()
}

/// M3: committed and aborted collapses (one per conflict kind), a refused and a committed
/// rebase. Starts with SWS 0 ACTIVE (holding `demo:hello` and `task.v0:`), SWS 1 discarded and
/// System empty.
#[expect(clippy::too_many_lines, reason = "one script, read top to bottom")]
fn m3_script() -> Vec<Command> {
    let add = |payload: &[u8]| {
        Op::AddNode(AddNode {
            kind: "demo".to_owned(),
            payload: payload.to_vec(),
        })
    };
    let remove_node = |payload: &[u8]| {
        Op::RemoveNode(RemoveNode {
            id: *demo(payload).as_bytes(),
        })
    };
    let remove_edge = |from: &[u8], to: &[u8]| {
        Op::RemoveEdge(RemoveEdge {
            id: *Edge::new(demo(from), demo(to), "link", None)
                .id()
                .as_bytes(),
        })
    };
    let create = || Command::CreateSws {
        meta: None,
        idempotency_key: None,
    };
    let write = |sws: u64, ops: Vec<Op>| Command::ApplyRewrite {
        view: ViewKey::Sws(sws),
        ops,
        meta: None,
        idempotency_key: None,
    };
    let collapse = |id: u64| Command::CollapseSws {
        id,
        meta: None,
        idempotency_key: None,
    };
    let rebase = |id: u64| Command::RebaseSws {
        id,
        meta: Some(json!({ "why": "retry" })),
        idempotency_key: None,
    };
    vec![
        // SWS 2 over the empty System: a, b and a→b.
        create(),
        write(
            2,
            vec![add(b"a"), add(b"b"), add_edge(b"a", b"b", "link", None)],
        ),
        collapse(0),
        collapse(2),
        // SWS 3 and 4 over {hello, task, a, b, a→b}.
        create(),
        create(),
        write(3, vec![remove_edge(b"a", b"b"), remove_node(b"b")]),
        collapse(3),
        // SWS 4 adds b→c and removes a→b, which SWS 3 already removed with b.
        write(
            4,
            vec![
                add(b"c"),
                add_edge(b"b", b"c", "link", None),
                remove_edge(b"a", b"b"),
            ],
        ),
        collapse(4),
        rebase(4),
        // SWS 5 adds d; SWS 6 adds e and lands first; SWS 5 rebases, then lands.
        create(),
        create(),
        write(5, vec![add(b"d")]),
        write(6, vec![add(b"e")]),
        collapse(6),
        rebase(5),
        collapse(5),
        // SWS 7 removes a; SWS 8 adds a→hello and lands first.
        create(),
        create(),
        write(7, vec![remove_node(b"a")]),
        write(8, vec![add_edge(b"a", b"hello", "link", None)]),
        collapse(8),
        collapse(7),
    ]
}

/// M2: every op kind, several ops per rewrite, and an idempotency key.
fn m2_script() -> Vec<Command> {
    let add = |kind: &str, payload: &[u8]| {
        Op::AddNode(AddNode {
            kind: kind.to_owned(),
            payload: payload.to_vec(),
        })
    };
    vec![
        Command::ApplyRewrite {
            view: ViewKey::Sws(0),
            ops: vec![
                add_edge(b"hello", b"world", "link", Some(b"w")),
                add_edge(b"hello", b"world", "plain", None),
                add("demo", b"world"),
            ],
            meta: None,
            idempotency_key: Some("vectors-1".to_owned()),
        },
        Command::ApplyRewrite {
            view: ViewKey::Sws(0),
            ops: vec![
                Op::RemoveNode(RemoveNode {
                    id: *demo(b"world").as_bytes(),
                }),
                Op::RemoveEdge(RemoveEdge {
                    id: *Edge::new(demo(b"hello"), demo(b"world"), "link", Some(b"w"))
                        .id()
                        .as_bytes(),
                }),
                Op::RemoveEdge(RemoveEdge {
                    id: *Edge::new(demo(b"hello"), demo(b"world"), "plain", None)
                        .id()
                        .as_bytes(),
                }),
            ],
            meta: None,
            idempotency_key: None,
        },
    ]
}

/// The id of the `demo` node with this payload.
fn demo(payload: &[u8]) -> jitos_core::Hash {
    Node::new("demo", payload).id()
}

fn add_edge(from: &[u8], to: &[u8], kind: &str, payload: Option<&[u8]>) -> Op {
    Op::AddEdge(AddEdge {
        from: *demo(from).as_bytes(),
        to: *demo(to).as_bytes(),
        kind: kind.to_owned(),
        payload: payload.map(<[u8]>::to_vec),
    })
}

fn actual() -> Value {
    let mut state = State::new();
    let events: Vec<Value> = script()
        .into_iter()
        .map(|command| {
            let event = state.apply(command).expect("the script is valid");
            let bytes = event.encode().expect("events encode");
            let request = event.request().digest().expect("requests encode");
            let mut vector = json!({
                "idx": event.idx,
                "kind": event.kind.as_str(),
                "cbor": hex(&bytes),
                "id": event.id.to_string(),
                "view_digest": event.view_digest.to_string(),
                "request_digest": request.to_string(),
            });
            if let Some(receipt) = Receipt::of(&event) {
                let outcome = receipt.outcome;
                let cbor = jitos_core::cbor::encode(&receipt.to_cbor()).expect("receipts encode");
                vector["committed"] = json!(outcome.committed);
                vector["conflicts"] = json!(
                    outcome
                        .conflicts
                        .iter()
                        .map(|c| format!("{} {} {}", c.kind.as_str(), c.id, c.system_id))
                        .collect::<Vec<_>>()
                );
                vector["system_digest"] = json!(outcome.system_digest.to_string());
                vector["receipt_cbor"] = json!(hex(&cbor));
                vector["receipt_digest"] = json!(receipt.digest().to_string());
            }
            vector
        })
        .collect();
    json!({ "rule_pack_id": rule_pack_id().to_string(), "events": events })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn event_vectors_hold() {
    let actual = actual();
    if std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1") {
        let mut text = serde_json::to_string_pretty(&actual).expect("serialise");
        text.push('\n');
        std::fs::write(VECTORS, text).expect("write vectors");
    }
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(VECTORS).expect("vectors exist"))
            .expect("JSON");
    assert_eq!(actual, expected);
}

/// The first event, assembled by hand from docs/spec/events.md: a map of ten entries with keys
/// in encoded-byte order (shorter first, then bytewise): v, idx, ops, kind, meta, view, reason,
/// outcome, view_digest, idempotency_key.
#[test]
fn first_event_matches_hand_assembled_bytes() {
    let mut state = State::new();
    let event = state
        .apply(Command::CreateSws {
            meta: None,
            idempotency_key: None,
        })
        .expect("create");
    let empty_root = {
        let mut preimage = b"jitos:graph-root:v1".to_vec();
        preimage.extend([0u8; 64]);
        blake3::hash(&preimage)
    };
    let mut expected = vec![0xaa];
    expected.extend([0x61, b'v', 0x00]);
    expected.extend([0x63, b'i', b'd', b'x', 0x00]);
    expected.extend([0x63, b'o', b'p', b's', 0x80]);
    expected.extend([0x64, b'k', b'i', b'n', b'd', 0x6a]);
    expected.extend(b"SWS_CREATE");
    expected.extend([0x64, b'm', b'e', b't', b'a', 0xf6]);
    expected.extend([
        0x64, b'v', b'i', b'e', b'w', 0xa2, 0x64, b'k', b'i', b'n', b'd', 0x63, b'S', b'W', b'S',
        0x66,
    ]);
    expected.extend(b"sws_id");
    expected.push(0x00);
    expected.extend([0x66]);
    expected.extend(b"reason");
    expected.push(0xf6);
    expected.push(0x67);
    expected.extend(b"outcome");
    expected.push(0xf6);
    expected.push(0x6b);
    expected.extend(b"view_digest");
    expected.extend([0x58, 0x20]);
    expected.extend(empty_root.as_bytes());
    expected.push(0x6f);
    expected.extend(b"idempotency_key");
    expected.push(0xf6);
    assert_eq!(hex(&event.encode().expect("encode")), hex(&expected));
    assert_eq!(
        event.id.to_string(),
        blake3::hash(&expected).to_hex().to_string()
    );
}
