//! Idempotency keys: a retry of `createSws`, `applyRewrite` or `discardSws` with the same key and
//! the same input returns the original payload byte for byte and appends nothing; the same key
//! with a different input is `CONFLICT` at `input.idempotencyKey` / `rewrite.idempotencyKey`.
//!
//! # Invariants
//! - Each test starts its own daemon and stops it with SIGTERM.
//! - Payloads are compared as raw response bodies, not as parsed JSON.
//! - After the retries, each keyed mutation has left exactly one event ([`super::log`]).

use serde_json::{Value, json};

use super::{
    APPLY, add_node, apply, create_sws, expect_refused, log, post_raw, sws_variable, trace,
};
use crate::daemon::Daemon;
use crate::e2e_kernel::{data, error};

/// The `createSws` mutation with `input` (a GraphQL literal), selecting the whole payload.
fn create(input: &str) -> String {
    format!(
        "mutation {{ createSws(input: {input}) {{
            sws {{ id parentSnapshotId createdAt state meta }} }} }}"
    )
}

/// The `discardSws` mutation with `input` (a GraphQL literal).
fn discard(input: &str) -> String {
    format!("mutation {{ discardSws(input: {input}) {{ discarded }} }}")
}

/// The body of `applyRewrite` to SWS `sws` with `rewrite` (JSON), selecting the whole payload.
fn rewrite(sws: u64, rewrite: &Value) -> Value {
    json!({ "query": APPLY, "variables": { "view": sws_variable(sws), "rewrite": rewrite } })
}

/// POSTs `query` and returns the raw response body.
async fn raw(daemon: &Daemon, query: &str) -> String {
    post_raw(daemon, &json!({ "query": query })).await
}

/// How many events of `kind` the log holds.
async fn n_events_of(daemon: &Daemon, kind: &str) -> usize {
    log(daemon)
        .await
        .iter()
        .filter(|event| event["kind"] == kind)
        .count()
}

#[tokio::test]
async fn a_retried_create_sws_returns_the_original_payload_and_appends_nothing() {
    let daemon = Daemon::start();
    let keyed = create(r#"{meta: {who: "a", n: 1}, idempotencyKey: "create-1"}"#);
    let first = raw(&daemon, &keyed).await;
    let payload: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(payload["data"]["createSws"]["sws"]["id"], "0", "{first}");
    let before = trace(&daemon).await;
    assert_eq!(raw(&daemon, &keyed).await, first);
    assert_eq!(trace(&daemon).await, before);
    // Other events in between, even the SWS's discard: the retry answers what the first did.
    assert_eq!(create_sws(&daemon).await, 1);
    apply(&daemon, 0, &[add_node("doc", b"a")]).await;
    data(&daemon, &discard(r#"{swsId: "0"}"#)).await;
    assert_eq!(raw(&daemon, &keyed).await, first);
    // The same key with another input.
    let before = trace(&daemon).await;
    for other in [
        r#"{meta: {who: "b", n: 1}, idempotencyKey: "create-1"}"#,
        r#"{idempotencyKey: "create-1"}"#,
    ] {
        error(&daemon, &create(other), "CONFLICT", "input.idempotencyKey").await;
    }
    assert_eq!(trace(&daemon).await, before);
    // The same input under another key is another SWS.
    let other_key = create(r#"{meta: {who: "a", n: 1}, idempotencyKey: "create-2"}"#);
    let other: Value = serde_json::from_str(&raw(&daemon, &other_key).await).unwrap();
    assert_eq!(other["data"]["createSws"]["sws"]["id"], "2", "{other}");
    assert_eq!(n_events_of(&daemon, "SWS_CREATE").await, 3);
    daemon.stop();
}

#[tokio::test]
async fn a_retried_apply_rewrite_returns_the_original_payload_and_appends_nothing() {
    let daemon = Daemon::start();
    let (zero, one) = (create_sws(&daemon).await, create_sws(&daemon).await);
    let ops = json!([add_node("doc", b"a")]);
    let keyed = rewrite(
        zero,
        &json!({ "ops": ops, "meta": {"m": 1}, "idempotencyKey": "rw-1" }),
    );
    let first = post_raw(&daemon, &keyed).await;
    let payload: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(
        payload["data"]["applyRewrite"]["receipt"]["rewriteIdx"], "2",
        "{first}"
    );
    let before = trace(&daemon).await;
    assert_eq!(post_raw(&daemon, &keyed).await, first);
    assert_eq!(trace(&daemon).await, before);
    // After more writes to the same view, the retry answers the original idx and digest.
    apply(&daemon, zero, &[add_node("doc", b"b")]).await;
    assert_eq!(post_raw(&daemon, &keyed).await, first);
    let before = trace(&daemon).await;
    let other_ops = json!([add_node("doc", b"z")]);
    let conflicts = [
        rewrite(
            zero,
            &json!({ "ops": other_ops, "meta": {"m": 1}, "idempotencyKey": "rw-1" }),
        ),
        rewrite(
            zero,
            &json!({ "ops": ops, "meta": {"m": 2}, "idempotencyKey": "rw-1" }),
        ),
        rewrite(zero, &json!({ "ops": ops, "idempotencyKey": "rw-1" })),
        rewrite(
            one,
            &json!({ "ops": ops, "meta": {"m": 1}, "idempotencyKey": "rw-1" }),
        ),
    ];
    for body in &conflicts {
        let response: Value = serde_json::from_str(&post_raw(&daemon, body).await).unwrap();
        expect_refused(&response, "CONFLICT", "rewrite.idempotencyKey");
    }
    assert_eq!(trace(&daemon).await, before);
    // Two identical keyed requests at once: two identical answers, one event.
    let twice = rewrite(
        one,
        &json!({ "ops": [add_node("doc", b"c")], "idempotencyKey": "rw-2" }),
    );
    let (left, right) = tokio::join!(post_raw(&daemon, &twice), post_raw(&daemon, &twice));
    assert_eq!(left, right);
    // A retry is still answered once the SWS no longer takes writes.
    data(&daemon, &discard(r#"{swsId: "0"}"#)).await;
    assert_eq!(post_raw(&daemon, &keyed).await, first);
    assert_eq!(n_events_of(&daemon, "REWRITE_APPLIED").await, 3);
    daemon.stop();
}

#[tokio::test]
async fn a_retried_discard_sws_returns_the_original_payload_and_appends_nothing() {
    let daemon = Daemon::start();
    assert_eq!(create_sws(&daemon).await, 0);
    create_sws(&daemon).await;
    let keyed = discard(r#"{swsId: "0", reason: "done", meta: {by: "t"}, idempotencyKey: "d-1"}"#);
    let first = raw(&daemon, &keyed).await;
    assert_eq!(first, r#"{"data":{"discardSws":{"discarded":true}}}"#);
    let before = trace(&daemon).await;
    assert_eq!(raw(&daemon, &keyed).await, first);
    assert_eq!(trace(&daemon).await, before);
    // Without the key, discarding again is a write to an SWS that is no longer ACTIVE.
    error(
        &daemon,
        &discard(r#"{swsId: "0", reason: "done", meta: {by: "t"}}"#),
        "CONFLICT",
        "input.swsId",
    )
    .await;
    for other in [
        r#"{swsId: "0", reason: "other", meta: {by: "t"}, idempotencyKey: "d-1"}"#,
        r#"{swsId: "1", reason: "done", meta: {by: "t"}, idempotencyKey: "d-1"}"#,
        r#"{swsId: "0", idempotencyKey: "d-1"}"#,
    ] {
        error(&daemon, &discard(other), "CONFLICT", "input.idempotencyKey").await;
    }
    assert_eq!(trace(&daemon).await, before);
    let state = data(&daemon, r#"{ sws(id: "0") { state } }"#).await;
    assert_eq!(state["sws"]["state"], "DISCARDED");
    assert_eq!(n_events_of(&daemon, "DISCARD").await, 1);
    daemon.stop();
}

#[tokio::test]
async fn a_key_is_one_request_across_mutations_and_is_checked() {
    let daemon = Daemon::start();
    data(&daemon, &create(r#"{idempotencyKey: "shared"}"#)).await;
    let before = trace(&daemon).await;
    let body = rewrite(
        0,
        &json!({ "ops": [add_node("doc", b"a")], "idempotencyKey": "shared" }),
    );
    let response: Value = serde_json::from_str(&post_raw(&daemon, &body).await).unwrap();
    expect_refused(&response, "CONFLICT", "rewrite.idempotencyKey");
    let reused = discard(r#"{swsId: "0", idempotencyKey: "shared"}"#);
    error(&daemon, &reused, "CONFLICT", "input.idempotencyKey").await;
    let empty = rewrite(
        0,
        &json!({ "ops": [add_node("doc", b"a")], "idempotencyKey": "" }),
    );
    let response: Value = serde_json::from_str(&post_raw(&daemon, &empty).await).unwrap();
    expect_refused(&response, "INVALID_INPUT", "rewrite.idempotencyKey");
    let long = rewrite(
        0,
        &json!({ "ops": [add_node("doc", b"a")], "idempotencyKey": "k".repeat(129) }),
    );
    let response: Value = serde_json::from_str(&post_raw(&daemon, &long).await).unwrap();
    expect_refused(&response, "LIMIT_EXCEEDED", "rewrite.idempotencyKey");
    let long = create(&format!(r#"{{idempotencyKey: "{}"}}"#, "k".repeat(129)));
    error(&daemon, &long, "LIMIT_EXCEEDED", "input.idempotencyKey").await;
    assert_eq!(trace(&daemon).await, before);
    daemon.stop();
}
