//! Checkpoint round trips: a state restored from its checkpoint and its events answers every
//! read of every version like the original, encodes to the same bytes, and makes the same
//! events from then on; damaged files are refused with the reason.

use imbl::Vector;
use jitos_core::Hash;
use jitos_graph::{Edge, Node};
use jitos_schema::Json;
use jitos_schema::ops::{AddEdge, AddNode, Op, RemoveEdge, RemoveNode};

use super::{CheckpointError, decode_checkpoint};
use crate::state::{Command, ResolvedView, State};
use crate::test_support::log;
use crate::view::ViewKey;

fn node(i: u64) -> Node {
    Node::new("n", i.to_be_bytes())
}

fn add_node(i: u64) -> Op {
    Op::AddNode(AddNode {
        kind: "n".to_owned(),
        payload: i.to_be_bytes().to_vec(),
    })
}

fn edge(a: u64, b: u64) -> Edge {
    Edge::new(node(a).id(), node(b).id(), "e", Some(b"w"))
}

fn add_edge(a: u64, b: u64) -> Op {
    Op::AddEdge(AddEdge {
        from: *node(a).id().as_bytes(),
        to: *node(b).id().as_bytes(),
        kind: "e".to_owned(),
        payload: Some(b"w".to_vec()),
    })
}

fn write(sws: u64, ops: Vec<Op>, key: Option<&str>) -> Command {
    Command::ApplyRewrite {
        view: ViewKey::Sws(sws),
        ops,
        meta: Some(Json::from(serde_json::json!({"sws": sws}))),
        idempotency_key: key.map(str::to_owned),
    }
}

fn create() -> Command {
    Command::CreateSws {
        meta: Some(Json::from(serde_json::json!({"who": "test", "n": 2}))),
        idempotency_key: None,
    }
}

fn collapse(id: u64) -> Command {
    Command::CollapseSws {
        id,
        meta: None,
        idempotency_key: Some(format!("collapse-{id}")),
    }
}

fn rebase(id: u64) -> Command {
    Command::RebaseSws {
        id,
        meta: None,
        idempotency_key: None,
    }
}

fn discard(id: u64) -> Command {
    Command::DiscardSws {
        id,
        reason: Some("superseded".to_owned()),
        meta: None,
        idempotency_key: None,
    }
}

/// SWSs over several System versions: committed and aborted collapses, a refused and a
/// committed rebase, a discard, removals, edges, idempotency keys. Some commands are refused
/// (that is part of the script); the rest append events.
fn script() -> Vec<Command> {
    vec![
        create(), // sws 0
        write(
            0,
            vec![add_node(1), add_node(2), add_edge(1, 2)],
            Some("w1"),
        ),
        create(), // sws 1, base: empty
        write(1, vec![add_node(3)], None),
        collapse(0), // System: 1, 2, 1->2
        create(),    // sws 2, base: v1
        write(
            2,
            vec![Op::RemoveEdge(RemoveEdge {
                id: *edge(1, 2).id().as_bytes(),
            })],
            None,
        ),
        write(
            2,
            vec![Op::RemoveNode(RemoveNode {
                id: *node(2).id().as_bytes(),
            })],
            None,
        ),
        create(), // sws 3, base: v1
        write(3, vec![add_node(4), add_edge(2, 4)], None),
        collapse(2), // System: 1
        collapse(3), // aborted: edge end removed
        rebase(3),   // refused: same conflict
        write(
            3,
            vec![Op::RemoveEdge(RemoveEdge {
                id: *edge(2, 4).id().as_bytes(),
            })],
            None,
        ),
        rebase(3), // committed
        write(3, vec![add_node(5)], Some("w5")),
        write(1, vec![add_node(6)], None),
        discard(1),
        create(),                                         // sws 4, base: v2
        write(4, (10..80).map(add_node).collect(), None), // past a history checkpoint
        write(4, vec![add_node(99)], None),
    ]
}

fn run_script() -> State {
    let mut state = State::new();
    for command in script() {
        let _refused_or_applied = state.apply(command);
    }
    state
}

/// One version of one view: (view, version, digest, node ids, edge ids).
type VersionRead = (ViewKey, usize, Hash, Vec<Hash>, Vec<Hash>);

/// Every version of every view.
fn every_version(state: &State) -> Vec<VersionRead> {
    let mut all = Vec::new();
    for (key, history) in &state.views {
        for version in 0..history.n_versions() {
            let view = ResolvedView {
                key: *key,
                version,
                digest: history.version(version).expect("exists").digest,
                pinned: true,
                events_before: None,
            };
            let graph = state.graph_of(&view).expect("every version rebuilds");
            let nodes = graph.nodes_after(None).map(|(id, _)| *id).collect();
            let edges = graph.edges_after(None).map(|(id, _)| *id).collect();
            all.push((*key, version, graph.digest(), nodes, edges));
        }
    }
    all
}

fn restore(state: &State, last_hash: Hash) -> State {
    let bytes = state.checkpoint_bytes(last_hash).expect("encodes");
    let checkpoint = decode_checkpoint(&bytes).expect("decodes");
    assert_eq!(checkpoint.event_count, state.events().len() as u64);
    assert_eq!(checkpoint.last_record_hash, last_hash);
    checkpoint
        .into_state(state.events().clone())
        .expect("matches its events")
}

#[test]
fn a_restored_state_reads_every_version_like_the_original() {
    let original = run_script();
    let outcomes: Vec<_> = original
        .events()
        .iter()
        .filter_map(|e| e.outcome.as_deref().cloned())
        .collect();
    assert!(outcomes.iter().any(|o| !o.committed) && outcomes.iter().any(|o| o.committed));
    let restored = restore(&original, Hash::from_bytes([7; 32]));
    assert_eq!(every_version(&restored), every_version(&original));
    assert_eq!(log(&restored), log(&original));
    for (id, record) in &original.sws {
        let back = restored.sws(*id).expect("every SWS is restored");
        assert_eq!(format!("{back:?}"), format!("{record:?}"));
    }
    assert_eq!(restored.idempotency, original.idempotency);
    assert_eq!(
        restored.last_collapse_committed,
        original.last_collapse_committed
    );
}

#[test]
fn a_checkpoint_is_a_function_of_the_state() {
    let original = run_script();
    let hash = Hash::from_bytes([1; 32]);
    let bytes = original.checkpoint_bytes(hash).expect("encodes");
    assert_eq!(original.checkpoint_bytes(hash).expect("encodes"), bytes);
    let restored = restore(&original, hash);
    assert_eq!(restored.checkpoint_bytes(hash).expect("encodes"), bytes);
}

#[test]
fn a_restored_state_makes_the_same_events_from_then_on() {
    let mut original = run_script();
    let mut restored = restore(&original, Hash::ZERO);
    let more = [
        write(4, vec![add_node(200)], Some("w1")), // a reused key: CONFLICT in both
        write(3, vec![add_node(5)], Some("w5")),   // a retry: the earlier event in both
        collapse(4),
        collapse(3),
        rebase(3),
        create(),
        write(5, vec![add_node(300)], None),
        collapse(5),
    ];
    for command in more {
        let expected = original.apply(command.clone());
        let found = restored.apply(command);
        assert_eq!(format!("{found:?}"), format!("{expected:?}"));
    }
    assert_eq!(log(&restored), log(&original));
    assert_eq!(every_version(&restored), every_version(&original));
}

#[test]
fn damaged_files_are_refused_with_the_reason() {
    let state = run_script();
    let bytes = state.checkpoint_bytes(Hash::ZERO).expect("encodes");
    let refuse = |bytes: &[u8]| decode_checkpoint(bytes).expect_err("refused");
    assert!(matches!(refuse(&bytes[..10]), CheckpointError::Magic));
    assert!(matches!(refuse(b"JWAL0000"), CheckpointError::Magic));
    let mut version = bytes.clone();
    version[4] = 9;
    assert!(matches!(refuse(&version), CheckpointError::Version(9)));
    for at in [40, bytes.len() / 2, bytes.len() - 1] {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x10;
        assert!(
            matches!(refuse(&flipped), CheckpointError::Checksum),
            "at {at}"
        );
    }
    assert!(matches!(
        refuse(&bytes[..bytes.len() - 1]),
        CheckpointError::Checksum
    ));
}

#[test]
fn a_checkpoint_refuses_events_that_are_not_its_own() {
    let state = run_script();
    let bytes = state.checkpoint_bytes(Hash::ZERO).expect("encodes");
    let fewer = state.events().clone().slice(..state.events().len() - 1);
    let checkpoint = decode_checkpoint(&bytes).expect("decodes");
    assert!(checkpoint.into_state(fewer).is_err());
    // The same number of events, from another history: versions do not match.
    let other = {
        let mut other = State::new();
        for command in script().into_iter().rev() {
            let _ = other.apply(command);
        }
        while other.events().len() < state.events().len() {
            other.apply(create()).expect("accepted");
        }
        other
    };
    let events: Vector<_> = other.events().clone().slice(..state.events().len());
    let checkpoint = decode_checkpoint(&bytes).expect("decodes");
    assert!(matches!(
        checkpoint.into_state(events),
        Err(CheckpointError::Inconsistent(_))
    ));
}

/// The golden checkpoint of [`script`]'s state (`docs/spec/checkpoints.md`).
const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/vectors/checkpoint-v1.ckpt"
);

#[test]
fn the_golden_checkpoint_reads_back_and_todays_bytes_match_it() {
    let state = run_script();
    let last_hash = Hash::from_bytes([0xab; 32]);
    let bytes = state.checkpoint_bytes(last_hash).expect("encodes");
    if std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1") {
        std::fs::write(GOLDEN, &bytes).expect("writes the golden file");
    }
    let golden = std::fs::read(GOLDEN).expect("the golden file exists (UPDATE_EXPECT=1 writes it)");
    let restored = decode_checkpoint(&golden)
        .expect("the golden file decodes")
        .into_state(state.events().clone())
        .expect("and matches the script's events");
    assert_eq!(every_version(&restored), every_version(&state));
    assert!(
        bytes == golden,
        "checkpoint bytes drifted from {GOLDEN}: a format change needs a new \
         CHECKPOINT_FORMAT_VERSION (older files are then skipped at start, costing a replay)"
    );
}
