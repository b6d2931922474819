//! Determinism of M3: one script of creates, writes, a committed and an aborted collapse, a
//! refused and a committed rebase and a discard with a reason, run against two fresh daemon
//! processes, gives byte-identical responses, receipts and digests included, and byte-identical
//! `events` and `rewrites(SYSTEM)` pages with every field selected.
//!
//! # Invariants
//! - The script is checked to do what it says (which merge commits, which does not), so the
//!   comparison cannot pass on two identical failures.

use serde_json::{Value, json};

use super::{
    EVENT_FIELDS, PAGE_MAX, add_demo, add_link, collapse_body, demo, discard_body, events_body,
    link, rebase_body,
};
use crate::daemon::Daemon;
use crate::e2e_m2::{apply_body, post_raw, remove_edge, remove_node};

/// The requests of the script, each with a label for failure messages. SWS ids are allocated
/// 0, 1, 2, ... in command order, so a fresh daemon gives them the ids written here.
fn script() -> Vec<(&'static str, Value)> {
    let create =
        json!({ "query": "mutation { createSws { sws { id parentSnapshotId state meta } } }" });
    let sws = |id: u64| json!({ "swsId": id.to_string() });
    let keyed = json!({ "swsId": "1", "idempotencyKey": "rebase-1", "meta": { "try": 2 } });
    let system_rewrites = format!(
        "{{ rewrites(view: {{kind: SYSTEM}}, page: {{first: {PAGE_MAX}}}) {{ {EVENT_FIELDS} }} }}"
    );
    vec![
        ("create 0", create.clone()),
        ("write 0", apply_body(0, &[add_demo(0)])),
        ("collapse 0", collapse_body(&sws(0))),
        ("create 1", create.clone()),
        ("create 2", create.clone()),
        ("write 1", apply_body(1, &[add_demo(1), add_link(0, 1)])),
        ("write 2", apply_body(2, &[remove_node(&demo(0))])),
        ("collapse 2", collapse_body(&sws(2))),
        ("collapse 1 (aborts)", collapse_body(&sws(1))),
        ("rebase 1 (refused)", rebase_body(&sws(1))),
        ("resolve 1", apply_body(1, &[remove_edge(&link(0, 1))])),
        ("rebase 1", rebase_body(&keyed)),
        ("create 3", create),
        ("discard 3", discard_body(3, "superseded by sws:1")),
        ("events", events_body()),
        ("rewrites of SYSTEM", json!({ "query": system_rewrites })),
    ]
}

/// Runs the script on a fresh daemon; every response body, as raw text.
async fn run_script() -> Vec<(&'static str, String)> {
    let daemon = Daemon::start();
    let mut responses = Vec::new();
    for (label, body) in script() {
        responses.push((label, post_raw(&daemon, &body).await));
    }
    daemon.stop();
    responses
}

/// The parsed response labelled `label`.
fn response(responses: &[(&str, String)], label: &str) -> Value {
    let (_, text) = responses
        .iter()
        .find(|(l, _)| *l == label)
        .unwrap_or_else(|| panic!("no response {label}"));
    let value: Value = serde_json::from_str(text).expect("JSON");
    assert!(value.get("errors").is_none(), "{label}: {value}");
    value["data"].clone()
}

#[tokio::test]
async fn two_fresh_daemons_answer_the_m3_script_byte_for_byte_alike() {
    let first = run_script().await;
    let second = run_script().await;
    assert_eq!(first.len(), second.len());
    for ((label, one), (_, other)) in first.iter().zip(&second) {
        assert_eq!(one, other, "{label} differs between two daemons");
    }
    // The script did what it says.
    let committed = |label: &str| {
        let data = response(&first, label);
        let payload = data.get("collapseSws").or_else(|| data.get("rebaseSws"));
        let payload = payload.unwrap_or_else(|| panic!("{label}: {data}"));
        let receipt = payload
            .get("collapseReceipt")
            .unwrap_or(&payload["receipt"]);
        receipt["committed"].clone()
    };
    let outcomes: Vec<Value> = [
        "collapse 0",
        "collapse 2",
        "collapse 1 (aborts)",
        "rebase 1 (refused)",
        "rebase 1",
    ]
    .into_iter()
    .map(committed)
    .collect();
    assert_eq!(json!(outcomes), json!([true, true, false, false, true]));
    let events = response(&first, "events")["events"].clone();
    let kinds: Vec<&str> = events
        .as_array()
        .expect("a list")
        .iter()
        .map(|event| event["kind"].as_str().expect("a kind"))
        .collect();
    assert_eq!(kinds.iter().filter(|kind| **kind == "COLLAPSE").count(), 3);
    assert_eq!(kinds.iter().filter(|kind| **kind == "REBASE").count(), 2);
    let discard = events
        .as_array()
        .and_then(|events| events.iter().find(|event| event["kind"] == "DISCARD"))
        .expect("a DISCARD event");
    assert_eq!(discard["reason"], "superseded by sws:1", "{discard}");
    assert_eq!(discard["receipt"], Value::Null, "{discard}");
    let system = response(&first, "rewrites of SYSTEM")["rewrites"].clone();
    let system_kinds: Vec<&str> = system
        .as_array()
        .expect("a list")
        .iter()
        .map(|event| event["kind"].as_str().expect("a kind"))
        .collect();
    assert_eq!(
        system_kinds,
        [
            "COLLAPSE", "COLLAPSE", "COLLAPSE", "REBASE", "REBASE", "DISCARD"
        ],
        "{system}"
    );
}
