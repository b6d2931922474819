//! Time travel: `view.asOf: idx` reads the view as it stood right after event `idx`, pinned
//! reads list only the events up to their moment, and writes take live views only.
//!
//! # Invariants
//! - Each test starts its own daemon and stops it with SIGTERM.
//! - Every refusal leaves no trace ([`super::trace`]).

use serde_json::{Value, json};

use super::{
    APPLY, add_node, apply, call, create_sws, expect_refused, list, log, node_id, remove_node,
    sws_literal, sws_variable, trace,
};
use crate::daemon::Daemon;
use crate::e2e_kernel::{data, error};

/// The view literal of SWS `id` as of event `idx`.
fn as_of(id: u64, idx: u64) -> String {
    format!(r#"{{kind: SWS, swsId: "{id}", asOf: "{idx}"}}"#)
}

/// `graph(view)`'s echoed view, digest and node ids.
async fn read(daemon: &Daemon, view: &str) -> Value {
    let query = format!(
        "{{ graph(view: {view}) {{
            view {{ kind swsId snapshotId }} digest nodes {{ nodes {{ id }} }} }} }}"
    );
    data(daemon, &query).await["graph"].clone()
}

/// The idx values `rewrites(view)` lists for `view` (a GraphQL literal).
async fn rewrite_idxs(daemon: &Daemon, view: &str) -> Vec<u64> {
    let query = format!("{{ rewrites(view: {view}, page: {{first: 1000}}) {{ idx }} }}");
    list(&data(daemon, &query).await["rewrites"])
        .iter()
        .map(|event| super::u64_of(&event["idx"]))
        .collect()
}

fn ids(nodes: &[&[u8]]) -> Value {
    let mut hex: Vec<String> = nodes
        .iter()
        .map(|payload| node_id("doc", payload).to_string())
        .collect();
    hex.sort();
    Value::Array(hex.into_iter().map(|id| json!({ "id": id })).collect())
}

#[tokio::test]
async fn as_of_reads_the_view_right_after_an_event() {
    let daemon = Daemon::start();
    let empty =
        data(&daemon, "{ graph(view: {kind: SYSTEM}) { digest } }").await["graph"]["digest"]
            .clone();
    let zero = create_sws(&daemon).await; // idx 0
    let one = create_sws(&daemon).await; // idx 1
    let after_a = apply(&daemon, zero, &[add_node("doc", b"a")]).await; // idx 2
    let after_b = apply(&daemon, zero, &[add_node("doc", b"b")]).await; // idx 3
    apply(&daemon, one, &[add_node("doc", b"c")]).await; // idx 4
    let after_remove = apply(&daemon, zero, &[remove_node(&node_id("doc", b"a"))]).await; // idx 5
    assert_eq!((after_a.idx, after_b.idx, after_remove.idx), (2, 3, 5));

    let at_creation = read(&daemon, &as_of(zero, 0)).await;
    assert_eq!(at_creation["digest"], empty);
    assert_eq!(
        at_creation["view"],
        json!({"kind": "SWS", "swsId": "0", "snapshotId": empty})
    );
    assert_eq!(at_creation["nodes"]["nodes"], json!([]));
    assert_eq!(read(&daemon, &as_of(zero, 1)).await, at_creation);
    assert_eq!(
        read(&daemon, &as_of(zero, 2)).await["nodes"]["nodes"],
        ids(&[b"a"])
    );
    let at_b = read(&daemon, &as_of(zero, 3)).await;
    assert_eq!(at_b["digest"], json!(after_b.digest));
    assert_eq!(at_b["view"]["snapshotId"], json!(after_b.digest));
    assert_eq!(at_b["nodes"]["nodes"], ids(&[b"a", b"b"]));
    // Event 4 targets SWS 1: SWS 0 as of 4 is SWS 0 as of 3.
    assert_eq!(read(&daemon, &as_of(zero, 4)).await, at_b);
    let at_remove = read(&daemon, &as_of(zero, 5)).await;
    assert_eq!(at_remove["digest"], json!(after_remove.digest));
    assert_eq!(at_remove["nodes"]["nodes"], ids(&[b"b"]));
    // asOf is a U64: a JSON integer works as well as the decimal string.
    let integer = read(&daemon, r#"{kind: SWS, swsId: "0", asOf: 3}"#).await;
    assert_eq!(integer, at_b);
    // System as of any event: the empty graph, which it still is before M3.
    let system = read(&daemon, r#"{kind: SYSTEM, asOf: "4"}"#).await;
    assert_eq!(system["digest"], empty);
    // SWS 1 exists from its creation, event 1.
    assert_eq!(read(&daemon, &as_of(one, 1)).await["digest"], empty);
    assert_eq!(
        read(&daemon, &as_of(one, 4)).await["nodes"]["nodes"],
        ids(&[b"c"])
    );
    log(&daemon).await;
    daemon.stop();
}

#[tokio::test]
async fn pinned_rewrites_list_only_the_events_up_to_their_moment() {
    let daemon = Daemon::start();
    let zero = create_sws(&daemon).await; // idx 0
    let one = create_sws(&daemon).await; // idx 1
    let after_a = apply(&daemon, zero, &[add_node("doc", b"a")]).await; // idx 2
    apply(&daemon, one, &[add_node("doc", b"c")]).await; // idx 3
    apply(&daemon, zero, &[add_node("doc", b"b")]).await; // idx 4
    data(
        &daemon,
        r#"mutation { discardSws(input: {swsId: "0"}) { discarded } }"#,
    )
    .await; // idx 5
    assert_eq!(
        rewrite_idxs(&daemon, &sws_literal(zero)).await,
        [0, 2, 4, 5]
    );
    assert_eq!(rewrite_idxs(&daemon, &as_of(zero, 0)).await, [0]);
    assert_eq!(rewrite_idxs(&daemon, &as_of(zero, 2)).await, [0, 2]);
    assert_eq!(rewrite_idxs(&daemon, &as_of(zero, 3)).await, [0, 2]);
    assert_eq!(rewrite_idxs(&daemon, &as_of(zero, 4)).await, [0, 2, 4]);
    assert_eq!(rewrite_idxs(&daemon, &as_of(zero, 5)).await, [0, 2, 4, 5]);
    assert_eq!(rewrite_idxs(&daemon, &as_of(one, 2)).await, [1]);
    assert_eq!(rewrite_idxs(&daemon, &as_of(one, 5)).await, [1, 3]);
    let snapshot = format!(
        r#"{{kind: SWS, swsId: "0", snapshotId: "{}"}}"#,
        after_a.digest
    );
    assert_eq!(rewrite_idxs(&daemon, &snapshot).await, [0, 2]);
    // A discard is a commit boundary, so System's history lists it too (docs/spec/collapse.md).
    assert_eq!(
        rewrite_idxs(&daemon, r#"{kind: SYSTEM, asOf: "4"}"#).await,
        Vec::<u64>::new()
    );
    assert_eq!(
        rewrite_idxs(&daemon, r#"{kind: SYSTEM, asOf: "5"}"#).await,
        [5]
    );
    // Paging a pinned view stops at its moment too.
    let paged = format!(
        r#"{{ rewrites(view: {}, page: {{first: 1, after: "0"}}) {{ idx }} }}"#,
        as_of(zero, 3)
    );
    assert_eq!(
        data(&daemon, &paged).await["rewrites"],
        json!([{ "idx": "2" }])
    );
    let past_the_moment = format!(
        r#"{{ rewrites(view: {}, page: {{after: "2"}}) {{ idx }} }}"#,
        as_of(zero, 3)
    );
    assert_eq!(data(&daemon, &past_the_moment).await["rewrites"], json!([]));
    daemon.stop();
}

#[tokio::test]
async fn as_of_outside_the_log_or_before_the_view_is_refused() {
    let daemon = Daemon::start();
    let zero = create_sws(&daemon).await; // idx 0
    apply(&daemon, zero, &[add_node("doc", b"a")]).await; // idx 1
    let one = create_sws(&daemon).await; // idx 2
    let before = trace(&daemon).await;
    let graph = |view: String| format!("{{ graph(view: {view}) {{ digest }} }}");
    let field = "view.asOf";
    // eventCount is 3: there is no event 3 yet, nor any later one.
    error(&daemon, &graph(as_of(zero, 3)), "NOT_FOUND", field).await;
    error(&daemon, &graph(as_of(zero, u64::MAX)), "NOT_FOUND", field).await;
    error(
        &daemon,
        &graph(r#"{kind: SYSTEM, asOf: "3"}"#.to_owned()),
        "NOT_FOUND",
        field,
    )
    .await;
    // SWS 1 was created by event 2: it did not exist right after events 0 and 1.
    error(&daemon, &graph(as_of(one, 0)), "NOT_FOUND", field).await;
    error(&daemon, &graph(as_of(one, 1)), "NOT_FOUND", field).await;
    let rewrites = format!("{{ rewrites(view: {}) {{ idx }} }}", as_of(one, 1));
    error(&daemon, &rewrites, "NOT_FOUND", field).await;
    // Both ways of pinning at once.
    let digest = data(&daemon, &graph(sws_literal(zero))).await["graph"]["digest"].clone();
    let both = format!(r#"{{kind: SWS, swsId: "0", snapshotId: {digest}, asOf: "1"}}"#);
    error(&daemon, &graph(both), "INVALID_INPUT", field).await;
    assert_eq!(trace(&daemon).await, before);
    daemon.stop();
}

#[tokio::test]
async fn writes_to_a_pinned_view_are_invalid_input_at_the_pinning_field() {
    let daemon = Daemon::start();
    let sws = create_sws(&daemon).await;
    let digest = apply(&daemon, sws, &[add_node("doc", b"a")]).await.digest;
    let before = trace(&daemon).await;
    let rewrite = json!({ "ops": [add_node("doc", b"b")] });
    let mut at_snapshot = sws_variable(sws);
    at_snapshot["snapshotId"] = json!(digest);
    let mut at_event = sws_variable(sws);
    at_event["asOf"] = json!("1");
    let mut at_both = at_snapshot.clone();
    at_both["asOf"] = json!(1);
    let mut system_at_event = json!({ "kind": "SYSTEM" });
    system_at_event["asOf"] = json!("0");
    for (view, field) in [
        (at_snapshot, "view.snapshotId"),
        (at_event, "view.asOf"),
        (at_both, "view.asOf"),
        (system_at_event, "view.asOf"),
    ] {
        let response = call(&daemon, APPLY, &json!({ "view": view, "rewrite": rewrite })).await;
        expect_refused(&response, "INVALID_INPUT", field);
    }
    assert_eq!(trace(&daemon).await, before);
    daemon.stop();
}
