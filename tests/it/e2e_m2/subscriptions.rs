//! Subscriptions that resume, over WebSocket (graphql-transport-ws): `rewrites(view, afterIdx,
//! fromStart)` and `events(afterIdx, fromStart)` replay the history asked for, then go live, with
//! no gap and no duplicate, while another client keeps writing; and their argument errors.
//!
//! # Invariants
//! - Each test starts its own daemon and stops it with SIGTERM.
//! - The expected idx lists come from the log read after the writes, never from the stream.
//! - Every wait for a message is bounded (`ws_recv`'s timeout, a bounded message count).

use std::cell::Cell;
use std::time::Duration;

use serde_json::{Value, json};

use super::{
    APPLY, add_node, apply, call, create_sws, expect_data, log, sws_variable, text, u64_of,
};
use crate::daemon::Daemon;
use crate::e2e_kernel::try_recv;
use crate::e2e_serving::{WsStream, ws_connect, ws_first_errors, ws_recv, ws_send};

/// How long a test waits to be sure no further message comes.
const QUIET: Duration = Duration::from_millis(300);

/// Subscribes with `query` under `id`.
pub(crate) async fn subscribe(ws: &mut WsStream, id: &str, query: &str) {
    let message = json!({ "id": id, "type": "subscribe", "payload": { "query": query } });
    ws_send(ws, &message).await;
}

/// The next `next` message: its subscription id and its event.
pub(crate) async fn next_event(ws: &mut WsStream) -> (String, Value) {
    let message = ws_recv(ws).await;
    assert_eq!(message["type"], "next", "{message}");
    let id = message["id"]
        .as_str()
        .expect("a subscription id")
        .to_owned();
    let data = &message["payload"]["data"];
    assert!(message["payload"].get("errors").is_none(), "{message}");
    let event = data["events"].clone();
    let event = if event.is_null() {
        data["rewrites"].clone()
    } else {
        event
    };
    assert!(event.is_object(), "{message}");
    (id, event)
}

/// Writes one node to SWS `sws`, with `meta` recorded on the event; returns its idx.
async fn write(daemon: &Daemon, sws: u64, name: &str, meta: &Value) -> u64 {
    let rewrite = json!({ "ops": [add_node("w", name.as_bytes())], "meta": meta });
    let response = call(
        daemon,
        APPLY,
        &json!({ "view": sws_variable(sws), "rewrite": rewrite }),
    )
    .await;
    u64_of(&expect_data(&response)["applyRewrite"]["receipt"]["rewriteIdx"])
}

/// The next `n` events of any subscription of `ws`, as sorted (subscription id, idx) pairs.
async fn next_events(ws: &mut WsStream, n: usize) -> Vec<(String, u64)> {
    let mut got = Vec::new();
    for _ in 0..n {
        let (id, event) = next_event(ws).await;
        got.push((id, u64_of(&event["idx"])));
    }
    got.sort();
    got
}

/// Once `writes` reaches 5, subscribes to `events` (id `e`) and to SWS `sws`'s `rewrites` (id
/// `r`), both after event `after`, and reads until both delivered the event whose meta says
/// `last`; returns the connection and what each subscription delivered.
async fn read_until_last(
    daemon: &Daemon,
    writes: &Cell<usize>,
    after: u64,
    sws: u64,
) -> (WsStream, Vec<Value>, Vec<Value>) {
    while writes.get() < 5 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut ws = ws_connect(daemon).await;
    let fields = "{ idx kind view { swsId } meta }";
    let events = format!(r#"subscription {{ events(afterIdx: "{after}") {fields} }}"#);
    subscribe(&mut ws, "e", &events).await;
    // afterIdx as a JSON integer this time.
    let view = format!(r#"{{kind: SWS, swsId: "{sws}"}}"#);
    let rewrites = format!("subscription {{ rewrites(view: {view}, afterIdx: {after}) {fields} }}");
    subscribe(&mut ws, "r", &rewrites).await;
    let (mut events, mut rewrites) = (Vec::new(), Vec::new());
    let (mut events_done, mut rewrites_done) = (false, false);
    for _ in 0..500 {
        let (id, event) = next_event(&mut ws).await;
        let last = event["meta"]["last"] == true;
        if id == "e" {
            events.push(event);
            events_done |= last;
        } else {
            rewrites.push(event);
            rewrites_done |= last;
        }
        if events_done && rewrites_done {
            return (ws, events, rewrites);
        }
    }
    panic!("no last event after 500 messages");
}

/// The idx of each event.
fn idxs(events: &[Value]) -> Vec<u64> {
    events.iter().map(|event| u64_of(&event["idx"])).collect()
}

#[tokio::test]
async fn resumed_subscriptions_get_exactly_the_events_after_their_start_while_writes_go_on() {
    let daemon = Daemon::start();
    let (zero, one) = (create_sws(&daemon).await, create_sws(&daemon).await);
    for n in 0..10_u8 {
        apply(&daemon, u64::from(n % 2), &[add_node("pre", &[n])]).await;
    }
    // Resume after event 6 of 12, while 40 more events are written to both SWSs.
    let after = 6_u64;
    let writes = Cell::new(0_usize);
    let writer = async {
        for n in 0..40 {
            let target = if n % 3 == 0 { one } else { zero };
            write(&daemon, target, &format!("live {n}"), &json!(null)).await;
            writes.set(writes.get() + 1);
            tokio::task::yield_now().await;
        }
        write(&daemon, zero, "last", &json!({ "last": true })).await
    };
    let reader = read_until_last(&daemon, &writes, after, zero);
    let (last, (mut ws, events, rewrites)) = tokio::join!(writer, reader);
    let log = log(&daemon).await;
    assert_eq!(log.len() as u64, last + 1);
    assert_eq!(idxs(&events), (after + 1..=last).collect::<Vec<_>>());
    let zero_id = json!(zero.to_string());
    let of_zero: Vec<Value> = log
        .iter()
        .filter(|event| event["view"]["swsId"] == zero_id && u64_of(&event["idx"]) > after)
        .cloned()
        .collect();
    assert_eq!(idxs(&rewrites), idxs(&of_zero));
    assert!(
        rewrites
            .iter()
            .all(|event| event["view"]["swsId"] == zero_id)
    );
    // Nothing more, and both stay live: SWS 1's next event reaches `events` only.
    assert_eq!(try_recv(&mut ws, QUIET).await, None);
    let to_one = write(&daemon, one, "after", &json!(null)).await;
    let to_zero = write(&daemon, zero, "after", &json!(null)).await;
    let expected = [("e", to_one), ("e", to_zero), ("r", to_zero)];
    assert_eq!(
        next_events(&mut ws, 3).await,
        expected.map(|(id, idx)| (id.to_owned(), idx))
    );
    assert_eq!(try_recv(&mut ws, QUIET).await, None);
    daemon.stop();
}

#[tokio::test]
async fn from_start_replays_everything_then_goes_live() {
    let daemon = Daemon::start();
    let (zero, one) = (create_sws(&daemon).await, create_sws(&daemon).await); // idx 0, 1
    for n in 0..8_u8 {
        apply(&daemon, u64::from(n % 2), &[add_node("pre", &[n])]).await; // idx 2..=9
    }
    let n_events = log(&daemon).await.len() as u64;
    assert_eq!(n_events, 10);
    let mut ws = ws_connect(&daemon).await;
    let all = "subscription { events(fromStart: true) { idx kind } }";
    subscribe(&mut ws, "all", all).await;
    let replayed = next_events(&mut ws, 10).await;
    assert_eq!(
        replayed,
        (0..10)
            .map(|idx| ("all".to_owned(), idx))
            .collect::<Vec<_>>()
    );
    assert_eq!(try_recv(&mut ws, QUIET).await, None);
    let one_view = format!(r#"{{kind: SWS, swsId: "{one}"}}"#);
    let query =
        format!("subscription {{ rewrites(view: {one_view}, fromStart: true) {{ idx kind }} }}");
    subscribe(&mut ws, "one", &query).await;
    let (id, created) = next_event(&mut ws).await;
    assert_eq!(
        (id.as_str(), created),
        ("one", json!({"idx": "1", "kind": "SWS_CREATE"}))
    );
    let replayed = next_events(&mut ws, 4).await;
    assert_eq!(replayed, [3, 5, 7, 9].map(|idx| ("one".to_owned(), idx)));
    // afterIdx between two of the view's events, and at the last event: replay from the next.
    let mid = format!(r#"subscription {{ rewrites(view: {one_view}, afterIdx: "4") {{ idx }} }}"#);
    subscribe(&mut ws, "mid", &mid).await;
    assert_eq!(
        next_events(&mut ws, 3).await,
        [5, 7, 9].map(|idx| ("mid".to_owned(), idx))
    );
    let tail = format!(
        r#"subscription {{ events(afterIdx: "{}") {{ idx }} }}"#,
        n_events - 1
    );
    subscribe(&mut ws, "tail", &tail).await;
    assert_eq!(try_recv(&mut ws, QUIET).await, None);
    // Live: an event for SWS 1 reaches every subscription; one for SWS 0 all but two.
    let live = write(&daemon, one, "live", &json!(null)).await;
    assert_eq!(live, n_events);
    let expected = ["all", "mid", "one", "tail"].map(|id| (id.to_owned(), live));
    assert_eq!(next_events(&mut ws, 4).await, expected);
    let to_zero = write(&daemon, zero, "live", &json!(null)).await;
    let expected = ["all", "tail"].map(|id| (id.to_owned(), to_zero));
    assert_eq!(next_events(&mut ws, 2).await, expected);
    assert_eq!(try_recv(&mut ws, QUIET).await, None);
    daemon.stop();
}

/// The one error of subscribing with `query` on a fresh connection.
async fn subscription_error(daemon: &Daemon, query: &str) -> Value {
    let mut ws = ws_connect(daemon).await;
    let errors = ws_first_errors(&mut ws, "x", query).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors[0].clone()
}

async fn check_error(daemon: &Daemon, query: &str, code: &str, field: &str) {
    let error = subscription_error(daemon, query).await;
    assert_eq!(error["extensions"]["code"], code, "{query}: {error}");
    assert_eq!(error["extensions"]["field"], field, "{query}: {error}");
    assert!(text(&error["message"]).contains(field), "{error}");
}

#[tokio::test]
async fn resume_arguments_are_checked() {
    let daemon = Daemon::start();
    // An empty log has no event 0 to resume after.
    check_error(
        &daemon,
        r#"subscription { events(afterIdx: "0") { idx } }"#,
        "NOT_FOUND",
        "afterIdx",
    )
    .await;
    create_sws(&daemon).await;
    apply(&daemon, 0, &[add_node("doc", b"a")]).await;
    assert_eq!(log(&daemon).await.len(), 2);
    let sws0 = r#"{kind: SWS, swsId: "0"}"#;
    let rows = [
        (
            r#"subscription { events(afterIdx: "2") { idx } }"#.to_owned(),
            "NOT_FOUND",
            "afterIdx",
        ),
        (
            format!(
                r#"subscription {{ events(afterIdx: "{}") {{ idx }} }}"#,
                u64::MAX
            ),
            "NOT_FOUND",
            "afterIdx",
        ),
        (
            format!(r#"subscription {{ rewrites(view: {sws0}, afterIdx: "2") {{ idx }} }}"#),
            "NOT_FOUND",
            "afterIdx",
        ),
        (
            r#"subscription { events(afterIdx: "0", fromStart: true) { idx } }"#.to_owned(),
            "INVALID_INPUT",
            "fromStart",
        ),
        (
            format!(
                r#"subscription {{
                    rewrites(view: {sws0}, afterIdx: "0", fromStart: true) {{ idx }} }}"#
            ),
            "INVALID_INPUT",
            "fromStart",
        ),
        (
            r#"subscription { rewrites(view: {kind: SWS, swsId: "9"}) { idx } }"#.to_owned(),
            "NOT_FOUND",
            "view.swsId",
        ),
        (
            r#"subscription { rewrites(view: {kind: SWS, swsId: "0", asOf: "1"}) { idx } }"#
                .to_owned(),
            "INVALID_INPUT",
            "view.asOf",
        ),
    ];
    for (query, code, field) in rows {
        check_error(&daemon, &query, code, field).await;
    }
    let live = data_digest(&daemon).await;
    let pinned = format!(
        r#"subscription {{
            rewrites(view: {{kind: SWS, swsId: "0", snapshotId: "{live}"}}) {{ idx }} }}"#
    );
    check_error(&daemon, &pinned, "INVALID_INPUT", "view.snapshotId").await;
    // Refused subscriptions append nothing.
    assert_eq!(log(&daemon).await.len(), 2);
    daemon.stop();
}

/// SWS 0's live digest.
async fn data_digest(daemon: &Daemon) -> String {
    let query = r#"{ graph(view: {kind: SWS, swsId: "0"}) { digest } }"#;
    let graph = crate::e2e_kernel::data(daemon, query).await;
    text(&graph["graph"]["digest"]).to_owned()
}
