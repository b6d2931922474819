//! Replay refuses every log the kernel could not have written, at the first bad event.

use std::sync::Arc;

use jitos_schema::enums::EventKind;
use jitos_schema::ops::{AddEdge, AddNode, Op, RemoveNode};

use super::ReplayError;
use crate::event::Event;
use crate::state::{Command, State};
use crate::test_support::{log, run};
use crate::view::ViewKey;

/// A small log: create, two writes, a committed collapse, a discard.
fn script_log() -> Vec<Event> {
    let add = |payload: &[u8]| Command::ApplyRewrite {
        view: ViewKey::Sws(0),
        ops: vec![Op::AddNode(AddNode {
            kind: "r".to_owned(),
            payload: payload.to_vec(),
        })],
        meta: Some(serde_json::json!({ "n": 1 })),
        idempotency_key: Some(format!("key-{}", payload.len())),
    };
    let commands = [
        Command::CreateSws {
            meta: None,
            idempotency_key: None,
        },
        add(b"a"),
        add(b"bb"),
        Command::CollapseSws {
            id: 0,
            meta: None,
            idempotency_key: None,
        },
        Command::CreateSws {
            meta: None,
            idempotency_key: None,
        },
        Command::DiscardSws {
            id: 1,
            reason: Some("done".to_owned()),
            meta: None,
            idempotency_key: None,
        },
    ];
    log(&run(commands))
}

#[test]
fn a_log_replays_to_the_same_events_and_digests() {
    let events = script_log();
    let replayed = State::replay(arcs(&events)).expect("replays");
    assert_eq!(log(&replayed), events);
    assert_eq!(
        replayed.system().digest(),
        events[3].outcome.as_ref().expect("collapse").system_digest
    );
}

#[test]
fn a_changed_event_diverges_at_its_idx() {
    let mut events = script_log();
    events[2].view_digest = events[1].view_digest;
    let error = State::replay(arcs(&events)).expect_err("diverges");
    assert!(
        matches!(error, ReplayError::Diverged { idx: 2, .. }),
        "{error}"
    );
    let mut events = script_log();
    events[5].reason = Some("other".into());
    let error = State::replay(arcs(&events)).expect_err("diverges");
    assert!(
        matches!(error, ReplayError::Diverged { idx: 5, .. }),
        "{error}"
    );
}

#[test]
fn gaps_unknown_kinds_and_refusals_are_named() {
    let events = script_log();
    let skipped: Vec<Event> = events
        .iter()
        .filter(|event| event.idx != 1)
        .cloned()
        .collect();
    let error = State::replay(arcs(&skipped)).expect_err("a gap");
    assert_eq!(
        error,
        ReplayError::OutOfOrder {
            position: 1,
            idx: 2
        }
    );
    let mut tick = events.clone();
    tick[1].kind = EventKind::Tick;
    let error = State::replay(arcs(&tick)).expect_err("unknown kind");
    assert!(
        matches!(error, ReplayError::UnknownKind { idx: 1, .. }),
        "{error}"
    );
    let mut refused = events;
    refused[1].view = ViewKey::Sws(7);
    let error = State::replay(arcs(&refused)).expect_err("no SWS 7");
    assert!(
        matches!(error, ReplayError::Refused { idx: 1, .. }),
        "{error}"
    );
}

/// A log of runs of rewrites without idempotency keys (bare runs): 150 single-node rewrites
/// into SWS 0, two into SWS 1, an edge and a removal into SWS 0, more than `CHECKPOINT_OPS`
/// in a row.
fn runs_log() -> Vec<Event> {
    let create = || Command::CreateSws {
        meta: None,
        idempotency_key: None,
    };
    let write = |sws: u64, ops: Vec<Op>| Command::ApplyRewrite {
        view: ViewKey::Sws(sws),
        ops,
        meta: Some(serde_json::json!({ "sws": sws })),
        idempotency_key: None,
    };
    let node = |n: u64| {
        Op::AddNode(AddNode {
            kind: "r".to_owned(),
            payload: n.to_be_bytes().to_vec(),
        })
    };
    let id = |n: u64| *jitos_graph::Node::new("r", n.to_be_bytes()).id().as_bytes();
    let mut commands = vec![create(), create()];
    commands.extend((0..150).map(|n| write(0, vec![node(n)])));
    commands.extend((0..2).map(|n| write(1, vec![node(n)])));
    commands.push(write(
        0,
        vec![Op::AddEdge(AddEdge {
            from: id(0),
            to: id(1),
            kind: "e".to_owned(),
            payload: None,
        })],
    ));
    commands.push(write(0, vec![Op::RemoveNode(RemoveNode { id: id(7) })]));
    commands.extend((150..160).map(|n| write(0, vec![node(n), node(n + 1000)])));
    log(&run(commands))
}

#[test]
fn runs_of_rewrites_replay_to_the_same_versions_and_checkpoints() {
    let events = runs_log();
    let first = run_log(&events);
    let replayed = State::replay(arcs(&events)).expect("replays");
    assert_eq!(log(&replayed), events);
    assert_eq!(
        replayed.checkpoint_bytes(jitos_core::Hash::ZERO).ok(),
        first.checkpoint_bytes(jitos_core::Hash::ZERO).ok()
    );
    for view in [ViewKey::Sws(0), ViewKey::Sws(1)] {
        let (history, again) = (first.history(view), replayed.history(view));
        let (history, again) = (history.expect("a view"), again.expect("a view"));
        assert_eq!(again.versions(), history.versions());
        assert_eq!(again.ops_since_checkpoint(), history.ops_since_checkpoint());
        assert!(again.live().has_trees(), "a run ends with the trees back");
        assert_eq!(again.live().digest(), again.live().digest_full());
        for version in 0..history.n_versions() {
            let graph = again.graph(version, replayed.events()).expect("a version");
            assert_eq!(
                Some(graph.digest_full()),
                history.version(version).map(|v| v.digest)
            );
        }
    }
}

#[test]
fn a_runs_checkpoints_are_made_when_first_needed_once_for_every_clone() {
    let events = runs_log();
    let first = run_log(&events);
    let replayed = State::replay(arcs(&events)).expect("replays");
    let snapshot = replayed.clone();
    // SWS 0's first run, 150 one-op rewrites after its creation: due at versions 64 and 128.
    assert_eq!(replayed.n_deferred_checkpoints(), 2);
    let (history, kept) = (
        replayed.history(ViewKey::Sws(0)).expect("a view"),
        first.history(ViewKey::Sws(0)).expect("a view"),
    );
    for version in [100, 64, 130] {
        let graph = history
            .graph(version, replayed.events())
            .expect("a version");
        let expected = kept.graph(version, first.events()).expect("a version");
        assert_eq!(
            graph.digest_full(),
            expected.digest_full(),
            "version {version}"
        );
        assert_eq!(graph.n_nodes(), expected.n_nodes(), "version {version}");
    }
    assert_eq!(
        snapshot.n_deferred_checkpoints(),
        0,
        "made once, for the clone too"
    );

    let warmed = State::replay(arcs(&events)).expect("replays");
    warmed.make_deferred_checkpoints().expect("made");
    assert_eq!(warmed.n_deferred_checkpoints(), 0);
    let history = warmed.history(ViewKey::Sws(0)).expect("a view");
    for version in 0..history.n_versions() {
        let graph = history.graph(version, warmed.events()).expect("a version");
        assert_eq!(
            Some(graph.digest_full()),
            kept.version(version).map(|v| v.digest)
        );
    }
}

#[test]
fn a_run_whose_digest_differs_diverges_at_the_first_event_that_differs() {
    let events = runs_log();
    // The last rewrite of SWS 0's first run and of its last run: a run's last digest is
    // checked against the trees. (One inside a run is served as recorded; `verify` checks it.)
    for tampered in [151, 165] {
        let mut changed = events.clone();
        changed[tampered].view_digest = events[2].view_digest;
        let error = State::replay(arcs(&changed)).expect_err("diverges");
        assert!(
            matches!(error, ReplayError::Diverged { idx, .. } if idx == tampered as u64),
            "{tampered}: {error}"
        );
    }
    // Other ops inside a run: every digest from there on differs, and the first is named.
    let mut changed = events.clone();
    changed[100].ops = vec![Op::AddNode(AddNode {
        kind: "other".to_owned(),
        payload: Vec::new(),
    })];
    let error = State::replay(arcs(&changed)).expect_err("diverges");
    assert!(
        matches!(error, ReplayError::Diverged { idx: 100, .. }),
        "{error}"
    );
    // A refused op in a run is named at its event.
    let mut refused = events.clone();
    refused[100].ops = vec![Op::RemoveNode(RemoveNode { id: [7; 32] })];
    let error = State::replay(arcs(&refused)).expect_err("refused");
    assert!(
        matches!(error, ReplayError::Refused { idx: 100, .. }),
        "{error}"
    );
}

/// The state that applying the commands behind `events` makes, one by one.
fn run_log(events: &[Event]) -> State {
    run(events
        .iter()
        .map(|event| Command::from_event(event).expect("a command")))
}

/// The events of a log as the state holds them.
fn arcs(events: &[Event]) -> Vec<Arc<Event>> {
    events.iter().cloned().map(Arc::new).collect()
}
