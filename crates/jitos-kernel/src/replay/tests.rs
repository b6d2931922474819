//! Replay refuses every log the kernel could not have written, at the first bad event.

use std::sync::Arc;

use jitos_schema::enums::EventKind;
use jitos_schema::ops::{AddNode, Op};

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
    let replayed = State::replay(&events).expect("replays");
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
    let error = State::replay(&events).expect_err("diverges");
    assert!(
        matches!(error, ReplayError::Diverged { idx: 2, .. }),
        "{error}"
    );
    let mut events = script_log();
    events[5].reason = Some("other".to_owned());
    let error = State::replay(&events).expect_err("diverges");
    assert!(
        matches!(error, ReplayError::Diverged { idx: 5, .. }),
        "{error}"
    );
}

#[test]
fn gaps_unknown_kinds_and_refusals_are_named() {
    let events = script_log();
    let skipped: Vec<&Event> = events.iter().filter(|event| event.idx != 1).collect();
    let error = State::replay(skipped).expect_err("a gap");
    assert_eq!(
        error,
        ReplayError::OutOfOrder {
            position: 1,
            idx: 2
        }
    );
    let mut tick = events.clone();
    tick[1].kind = EventKind::Tick;
    let error = State::replay(&tick).expect_err("unknown kind");
    assert!(
        matches!(error, ReplayError::UnknownKind { idx: 1, .. }),
        "{error}"
    );
    let mut refused = events;
    refused[1].view = ViewKey::Sws(7);
    let error = State::replay(&refused).expect_err("no SWS 7");
    assert!(
        matches!(error, ReplayError::Refused { idx: 1, .. }),
        "{error}"
    );
}

#[test]
fn an_event_can_be_replayed_from_an_arc_log() {
    let events: Vec<Arc<Event>> = script_log().into_iter().map(Arc::new).collect();
    let replayed = State::replay(events.iter().map(|event| &**event)).expect("replays");
    assert_eq!(replayed.events().len(), events.len());
}
