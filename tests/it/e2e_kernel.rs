//! The M1 kernel end to end: the roadmap's smoke sequence over HTTP with exact expectations,
//! byte-identical responses from two fresh daemons running the same script, the M1 error rows
//! with their codes and fields (and no trace left behind), and a WebSocket subscriber that sees
//! every event of its view exactly once, in idx order.
//!
//! # Invariants
//! - Each test starts its own daemon on an ephemeral loopback port and stops it with SIGTERM.

use std::time::Duration;

use futures_util::StreamExt as _;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::daemon::Daemon;
use crate::e2e_serving::{WsStream, post_graphql, ws_connect, ws_recv, ws_send};

/// The next text message within `wait`, if one arrives.
pub(crate) async fn try_recv(ws: &mut WsStream, wait: Duration) -> Option<Value> {
    loop {
        match tokio::time::timeout(wait, ws.next()).await {
            Err(_) => return None,
            Ok(Some(Ok(Message::Text(text)))) => return serde_json::from_str(text.as_str()).ok(),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            Ok(other) => panic!("unexpected WebSocket event {other:?}"),
        }
    }
}

/// The data of a request that must succeed.
pub(crate) async fn data(daemon: &Daemon, query: &str) -> Value {
    let (status, response) = post_graphql(daemon, &json!({ "query": query })).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{response}");
    assert!(response.get("errors").is_none(), "{query}\n{response}");
    response["data"].clone()
}

/// The one error of a request that must fail with `code` at `field`.
pub(crate) async fn error(daemon: &Daemon, query: &str, code: &str, field: &str) {
    let (_, response) = post_graphql(daemon, &json!({ "query": query })).await;
    let error = &response["errors"][0];
    assert_eq!(error["extensions"]["code"], code, "{query}\n{response}");
    assert_eq!(error["extensions"]["field"], field, "{query}\n{response}");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains(field),
        "{response}"
    );
    assert!(response["data"].is_null(), "{response}");
}

fn add_node(sws: &str, kind: &str, payload_b64: &str) -> String {
    format!(
        r#"mutation {{ applyRewrite(view: {{kind: SWS, swsId: "{sws}"}},
            rewrite: {{ops: [{{op: "AddNode", data: {{kind: "{kind}", payload_b64: "{payload_b64}"}}}}]}})
            {{ accepted tickReceipt {{ tickId }} receipt {{ rewriteIdx viewDigest view {{ kind swsId }} }} }} }}"#
    )
}

const SYSTEM_DIGEST: &str = "{ graph(view: {kind: SYSTEM}) { digest } }";
const SWS0_DIGEST: &str = r#"{ graph(view: {kind: SWS, swsId: "0"}) { digest } }"#;

#[tokio::test]
async fn smoke_sequence_of_the_roadmap() {
    let daemon = Daemon::start();
    let h0 = data(&daemon, SYSTEM_DIGEST).await["graph"]["digest"].clone();
    let created = data(&daemon, "mutation { createSws { sws { id } } }").await;
    assert_eq!(created["createSws"]["sws"]["id"], "0");
    let applied = data(&daemon, &add_node("0", "demo", "aGVsbG8=")).await["applyRewrite"].clone();
    assert_eq!(applied["accepted"], true);
    assert!(applied["tickReceipt"].is_null());
    assert_eq!(applied["receipt"]["rewriteIdx"], "1");
    let sws_digest = data(&daemon, SWS0_DIGEST).await["graph"]["digest"].clone();
    assert_ne!(sws_digest, h0);
    assert_eq!(sws_digest, applied["receipt"]["viewDigest"]);
    assert_eq!(data(&daemon, SYSTEM_DIGEST).await["graph"]["digest"], h0);
    let rewrites = r#"{ rewrites(view: {kind: SWS, swsId: "0"}, page: {first: 100}) { idx } }"#;
    let first = data(&daemon, rewrites).await;
    data(&daemon, &add_node("0", "demo", "d29ybGQ=")).await;
    let second = data(&daemon, rewrites).await;
    assert_eq!(first["rewrites"], json!([{ "idx": "0" }, { "idx": "1" }]));
    assert_eq!(
        second["rewrites"],
        json!([{ "idx": "0" }, { "idx": "1" }, { "idx": "2" }])
    );
    daemon.stop();
}

/// A script of accepted and refused requests; every response, as raw text.
async fn run_script(daemon: &Daemon) -> Vec<String> {
    let steps = [
        "mutation { createSws(input: {meta: {owner: \"script\", n: 1.5}}) { sws { id state parentSnapshotId meta } } }".to_owned(),
        "mutation { createSws { sws { id } } }".to_owned(),
        add_node("0", "demo", "aGVsbG8="),
        add_node("1", "demo", "aGVsbG8="),
        add_node("0", "task", ""),
        add_node("0", "demo", "aGVsbG8="),
        add_node("7", "demo", "aGVsbG8="),
        add_node("0", "bad kind", "aGVsbG8="),
        r#"mutation { discardSws(input: {swsId: "1", reason: "done"}) { discarded } }"#.to_owned(),
        r#"{ graph(view: {kind: SWS, swsId: "0"}) { digest commitDigest snapshotId nodes { nodes { id kind data payloadB64 } pageInfo { endCursor hasNextPage } } } }"#.to_owned(),
        "{ events(page: {first: 50}) { id idx kind view { kind swsId } ops meta } }".to_owned(),
        "{ listSws { id state parentSnapshotId } }".to_owned(),
        "{ kernelInfo { version rulePackId policyId commitStatus } }".to_owned(),
    ];
    let mut responses = Vec::new();
    for step in steps {
        let response = reqwest::Client::new()
            .post(daemon.url("/graphql"))
            .json(&json!({ "query": step }))
            .send()
            .await
            .expect("POST");
        responses.push(response.text().await.expect("a body"));
    }
    responses
}

#[tokio::test]
async fn two_fresh_daemons_answer_a_script_byte_for_byte_alike() {
    let first = Daemon::start();
    let second = Daemon::start();
    let responses_first = run_script(&first).await;
    let responses_second = run_script(&second).await;
    assert_eq!(responses_first, responses_second);
    let events: Value = serde_json::from_str(&responses_first[10]).expect("JSON");
    assert_eq!(
        events["data"]["events"].as_array().map(Vec::len),
        Some(7),
        "{events}"
    );
    first.stop();
    second.stop();
}

#[tokio::test]
#[allow(
    clippy::too_many_lines,
    reason = "a table of error rows, one call each"
)]
async fn m1_error_rows_carry_code_and_field_and_leave_no_trace() {
    let daemon = Daemon::start();
    data(&daemon, "mutation { createSws { sws { id } } }").await;
    data(&daemon, "mutation { createSws { sws { id } } }").await;
    data(
        &daemon,
        r#"mutation { discardSws(input: {swsId: "1"}) { discarded } }"#,
    )
    .await;
    let log = "{ events { id } }";
    let before = (
        data(&daemon, log).await,
        data(&daemon, SWS0_DIGEST).await,
        data(&daemon, SYSTEM_DIGEST).await,
    );
    let apply = |view: &str, op: &str| {
        format!(
            "mutation {{ applyRewrite(view: {view}, rewrite: {{ops: [{op}]}}) {{ accepted }} }}"
        )
    };
    let ok_op = r#"{op: "AddNode", data: {kind: "k", payload_b64: ""}}"#;
    let sws0 = r#"{kind: SWS, swsId: "0"}"#;
    error(
        &daemon,
        &apply("{kind: SYSTEM}", ok_op),
        "INVALID_INPUT",
        "view.kind",
    )
    .await;
    error(
        &daemon,
        &apply(r#"{kind: SYSTEM, swsId: "0"}"#, ok_op),
        "INVALID_INPUT",
        "view.swsId",
    )
    .await;
    error(
        &daemon,
        &apply("{kind: SWS}", ok_op),
        "INVALID_INPUT",
        "view.swsId",
    )
    .await;
    error(
        &daemon,
        &apply(r#"{kind: SWS, swsId: "9"}"#, ok_op),
        "NOT_FOUND",
        "view.swsId",
    )
    .await;
    error(
        &daemon,
        &apply(r#"{kind: SWS, swsId: "1"}"#, ok_op),
        "CONFLICT",
        "view.swsId",
    )
    .await;
    error(
        &daemon,
        &apply(sws0, r#"{op: "Frobnicate", data: {}}"#),
        "NOT_IMPLEMENTED",
        "rewrite.ops[0].op",
    )
    .await;
    error(
        &daemon,
        &apply(
            sws0,
            r#"{op: "AddNode", data: {kind: "k", payload_b64: "", extra: 1}}"#,
        ),
        "INVALID_INPUT",
        "rewrite.ops[0].data.extra",
    )
    .await;
    error(
        &daemon,
        &apply(
            sws0,
            r#"{op: "AddNode", data: {kind: "k k", payload_b64: ""}}"#,
        ),
        "INVALID_INPUT",
        "rewrite.ops[0].data.kind",
    )
    .await;
    error(
        &daemon,
        &apply(
            sws0,
            r#"{op: "AddNode", data: {kind: "k", payload_b64: "a"}}"#,
        ),
        "INVALID_INPUT",
        "rewrite.ops[0].data.payload_b64",
    )
    .await;
    error(
        &daemon,
        &apply(sws0, r#"{op: "AddNode"}"#),
        "INVALID_INPUT",
        "rewrite.ops[0].data",
    )
    .await;
    page_and_precedence_rows(&daemon).await;
    let after = (
        data(&daemon, log).await,
        data(&daemon, SWS0_DIGEST).await,
        data(&daemon, SYSTEM_DIGEST).await,
    );
    assert_eq!(before, after);
    daemon.stop();
}

/// Empty ops, pages, pinned views, and contract §5's precedence of the view over later faults.
async fn page_and_precedence_rows(daemon: &Daemon) {
    let sws0 = r#"{kind: SWS, swsId: "0"}"#;
    let empty =
        format!("mutation {{ applyRewrite(view: {sws0}, rewrite: {{ops: []}}) {{ accepted }} }}");
    error(daemon, &empty, "INVALID_INPUT", "rewrite.ops").await;
    let unknown_and_empty = r#"mutation { applyRewrite(view: {kind: SWS, swsId: "9"}, rewrite: {ops: []}) { accepted } }"#;
    error(daemon, unknown_and_empty, "NOT_FOUND", "view.swsId").await;
    error(
        daemon,
        r#"{ rewrites(view: {kind: SWS, swsId: "0"}, page: {first: 0}) { idx } }"#,
        "INVALID_INPUT",
        "page.first",
    )
    .await;
    error(
        daemon,
        r#"{ rewrites(view: {kind: SWS, swsId: "0"}, page: {first: 1001}) { idx } }"#,
        "LIMIT_EXCEEDED",
        "page.first",
    )
    .await;
    error(
        daemon,
        r#"{ rewrites(view: {kind: SWS, swsId: "0"}, page: {first: 5, after: "-1"}) { idx } }"#,
        "INVALID_INPUT",
        "page.after",
    )
    .await;
    error(
        daemon,
        r#"{ graph(view: {kind: SWS, swsId: "0", snapshotId: "x"}) { digest } }"#,
        "INVALID_INPUT",
        "view.snapshotId",
    )
    .await;
}

#[tokio::test]
async fn a_subscriber_sees_every_event_of_its_view_once_in_order() {
    let daemon = Daemon::start();
    data(&daemon, "mutation { createSws { sws { id } } }").await;
    data(&daemon, "mutation { createSws { sws { id } } }").await;
    let mut ws = ws_connect(&daemon).await;
    let query = r#"subscription { rewrites(view: {kind: SWS, swsId: "0"}) { idx kind } }"#;
    ws_send(
        &mut ws,
        &json!({ "id": "s", "type": "subscribe", "payload": { "query": query } }),
    )
    .await;
    // The subscription is live once it sees an event; write until the first one arrives, so
    // the test does not depend on how fast the server registers it. Events are delivered in
    // order, so once one warm-up event arrives no earlier one can follow it.
    let mut first = None;
    for attempt in 0..50 {
        data(&daemon, &add_node("0", &format!("warmup{attempt}"), "")).await;
        first = try_recv(&mut ws, Duration::from_millis(200)).await;
        if first.is_some() {
            break;
        }
    }
    let first = first.expect("the subscription delivers within 50 attempts");
    assert_eq!(first["type"], "next", "{first}");
    let mut expected = Vec::new();
    for round in 0..20 {
        let payload = format!("r{round}");
        let idx = data(&daemon, &add_node("0", &payload, "")).await["applyRewrite"]["receipt"]["rewriteIdx"].clone();
        expected.push(idx);
        data(&daemon, &add_node("1", &payload, "")).await;
    }
    let mut seen = Vec::new();
    while seen.len() < expected.len() {
        let message = ws_recv(&mut ws).await;
        assert_eq!(message["type"], "next", "{message}");
        assert_eq!(
            message["payload"]["data"]["rewrites"]["kind"], "REWRITE_APPLIED",
            "{message}"
        );
        seen.push(message["payload"]["data"]["rewrites"]["idx"].clone());
    }
    assert_eq!(seen, expected);
    // Nothing else for this view arrives: a write to SWS 1 and then one to SWS 0.
    data(&daemon, &add_node("1", "late", "")).await;
    let last =
        data(&daemon, &add_node("0", "last", "")).await["applyRewrite"]["receipt"]["rewriteIdx"]
            .clone();
    let message = ws_recv(&mut ws).await;
    assert_eq!(
        message["payload"]["data"]["rewrites"]["idx"], last,
        "{message}"
    );
    daemon.stop();
}
