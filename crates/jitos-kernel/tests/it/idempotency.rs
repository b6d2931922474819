//! Safe retries: a command with an idempotency key seen before returns the first event and
//! appends nothing when the request is the same, and is CONFLICT when it is not.

use jitos_kernel::{Command, State, ViewKey};
use jitos_schema::ErrorCode;
use jitos_schema::ops::{AddNode, Op};
use serde_json::json;

fn create(key: &str) -> Command {
    Command::CreateSws {
        meta: Some(json!({ "who": "test" })),
        idempotency_key: Some(key.to_owned()),
    }
}

fn add(payload: &[u8], key: Option<&str>) -> Command {
    Command::ApplyRewrite {
        view: ViewKey::Sws(0),
        ops: vec![Op::AddNode(AddNode {
            kind: "k".to_owned(),
            payload: payload.to_vec(),
        })],
        meta: None,
        idempotency_key: key.map(str::to_owned),
    }
}

fn discard(key: &str, reason: &str) -> Command {
    Command::DiscardSws {
        id: 0,
        reason: Some(reason.to_owned()),
        meta: None,
        idempotency_key: Some(key.to_owned()),
    }
}

#[test]
fn each_retried_command_leaves_exactly_one_event() {
    let mut state = State::new();
    let first = state.apply(create("c")).expect("create");
    assert_eq!(state.apply(create("c")).expect("retry"), first);
    let rewrite = state.apply(add(b"x", Some("r"))).expect("rewrite");
    assert_eq!(state.apply(add(b"x", Some("r"))).expect("retry"), rewrite);
    let discarded = state.apply(discard("d", "done")).expect("discard");
    // The SWS is no longer ACTIVE, yet each retry still returns its original event.
    assert_eq!(state.apply(discard("d", "done")).expect("retry"), discarded);
    assert_eq!(state.apply(add(b"x", Some("r"))).expect("retry"), rewrite);
    assert_eq!(state.events().len(), 3);
    assert_eq!(state.sws_after(None).count(), 1);
}

#[test]
fn a_key_reused_for_another_request_is_a_conflict_and_changes_nothing() {
    let mut state = State::new();
    state.apply(create("c")).expect("create");
    state.apply(add(b"x", Some("k"))).expect("rewrite");
    let digest = state
        .graph(ViewKey::Sws(0), "view")
        .expect("graph")
        .digest();
    let cases = [
        (add(b"y", Some("k")), "rewrite.idempotencyKey"),
        (create("k"), "input.idempotencyKey"),
        (discard("k", "other"), "input.idempotencyKey"),
        (
            Command::CreateSws {
                meta: None,
                idempotency_key: Some("c".to_owned()),
            },
            "input.idempotencyKey",
        ),
    ];
    for (command, field) in cases {
        let error = state.apply(command).expect_err("a different request");
        assert_eq!(error.code, ErrorCode::Conflict);
        assert_eq!(error.field.as_deref(), Some(field));
        assert!(error.message.contains(field), "{}", error.message);
    }
    assert_eq!(state.events().len(), 2);
    let after = state
        .graph(ViewKey::Sws(0), "view")
        .expect("graph")
        .digest();
    assert_eq!(after, digest);
}

#[test]
fn keys_are_part_of_history_and_a_refused_command_records_none() {
    let mut state = State::new();
    state.apply(create("c")).expect("create");
    // Refused: SWS 5 does not exist. The key stays free.
    let refused = Command::DiscardSws {
        id: 5,
        reason: None,
        meta: None,
        idempotency_key: Some("free".to_owned()),
    };
    assert_eq!(
        state.apply(refused).expect_err("unknown").code,
        ErrorCode::NotFound
    );
    let event = state
        .apply(add(b"x", Some("free")))
        .expect("the key is still free");
    assert_eq!(event.idempotency_key.as_deref(), Some("free"));
    let bytes = event.encode().expect("encode");
    let needle = b"free";
    assert!(
        bytes.windows(needle.len()).any(|w| w == needle),
        "the key is in the event bytes"
    );
}
