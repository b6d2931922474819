//! A committed collapse over HTTP (its payload, System afterwards, the pinned snapshot it names,
//! the SWS's end), idempotent retries of a collapse, and the input errors of `collapseSws` and
//! `rebaseSws`, none of which leaves a trace.
//!
//! # Invariants
//! - System's expected content comes from ids computed here, never from the daemon.

use serde_json::{Value, json};

use super::{
    add_demo, add_link, collapse, collapse_body, commit_status, create_sws, demo, expect_recorded,
    link, post_data, rebase_body, refused, sws_digest, sws_record, system,
};
use crate::daemon::Daemon;
use crate::e2e_kernel::data;
use crate::e2e_m2::{APPLY, apply, call, event_count, graph_ids, post_raw, sorted_hex, text};

/// System's nodes, edges and digest as read at snapshot `snapshot_id`.
async fn pinned_system(daemon: &Daemon, snapshot_id: &str) -> Value {
    let view = format!(r#"{{kind: SYSTEM, snapshotId: "{snapshot_id}"}}"#);
    let (nodes, edges) = graph_ids(daemon, &view).await;
    let query = format!("{{ graph(view: {view}) {{ digest snapshotId }} }}");
    let graph = data(daemon, &query).await["graph"].clone();
    json!({ "nodes": nodes, "edges": edges, "graph": graph })
}

#[tokio::test]
async fn a_committed_collapse_moves_system_to_the_digest_and_snapshot_it_returns() {
    let daemon = Daemon::start();
    let empty = system(&daemon).await;
    let sws = create_sws(&daemon).await;
    apply(&daemon, sws, &[add_demo(0), add_demo(1)]).await;
    apply(&daemon, sws, &[add_link(0, 1)]).await;
    let idx = event_count(&daemon).await;
    let payload = collapse(&daemon, sws).await;
    let receipt = &payload["collapseReceipt"];
    assert_eq!(payload["committed"], true, "{payload}");
    assert_eq!(receipt["committed"], true, "{payload}");
    assert_eq!(receipt["conflicts"], json!([]), "{payload}");
    let counts = ["nodesAdded", "nodesRemoved", "edgesAdded", "edgesRemoved"];
    let counts: Vec<&Value> = counts.iter().map(|count| &receipt[count]).collect();
    assert_eq!(json!(counts), json!([2, 0, 1, 0]), "{payload}");
    assert_eq!(receipt["baseSnapshotId"], empty["snapshotId"], "{payload}");
    assert_eq!(super::u64_of(&receipt["eventIdx"]), idx);
    let events = &payload["receipt"]["events"];
    assert_eq!(events[0]["id"], receipt["eventId"], "{payload}");
    assert_eq!(events[0]["kind"], "COLLAPSE", "{payload}");

    // System is now what the SWS held, at the digest and snapshot the payload named.
    let now = system(&daemon).await;
    assert_eq!(payload["systemDigest"], now["digest"]);
    assert_eq!(payload["systemSnapshotId"], now["snapshotId"]);
    assert_eq!(receipt["systemSnapshotId"], now["snapshotId"]);
    assert_ne!(now["digest"], empty["digest"]);
    assert_eq!(sws_digest(&daemon, sws).await, text(&now["digest"]));
    assert_eq!(receipt["viewDigest"], now["digest"]);
    let (nodes, edges) = graph_ids(&daemon, "{kind: SYSTEM}").await;
    assert_eq!(nodes, sorted_hex(&[demo(0), demo(1)]));
    assert_eq!(edges, sorted_hex(&[link(0, 1)]));
    let pinned = pinned_system(&daemon, text(&payload["systemSnapshotId"])).await;
    assert_eq!(pinned["nodes"], json!(nodes));
    assert_eq!(pinned["edges"], json!(edges));
    assert_eq!(pinned["graph"]["digest"], now["digest"]);
    assert_eq!(pinned["graph"]["snapshotId"], now["snapshotId"]);
    // The snapshot before the collapse still reads empty.
    let before = pinned_system(&daemon, text(&empty["snapshotId"])).await;
    assert_eq!(before["nodes"], json!([]));

    assert_eq!(sws_record(&daemon, sws).await["state"], "COLLAPSED");
    assert_eq!(commit_status(&daemon).await, "COMMITTED");
    expect_recorded(&daemon, sws, receipt).await;
    let collapse_ops = super::event_at(&super::events(&daemon).await, idx)["ops"].clone();
    assert_eq!(
        collapse_ops.as_array().map(Vec::len),
        Some(3),
        "{collapse_ops}"
    );
    after_the_collapse(&daemon, sws).await;
    daemon.stop();
}

/// A collapsed SWS takes no second collapse, no rebase and no write; System takes no write.
async fn after_the_collapse(daemon: &Daemon, sws: u64) {
    let input = json!({ "swsId": sws.to_string() });
    refused(daemon, &collapse_body(&input), "CONFLICT", "input.swsId").await;
    refused(daemon, &rebase_body(&input), "CONFLICT", "input.swsId").await;
    let rewrite = json!({ "ops": [add_demo(7)] });
    let write = |view: Value| {
        let variables = json!({ "view": view, "rewrite": rewrite });
        json!({ "query": APPLY, "variables": variables })
    };
    let system_view = json!({ "kind": "SYSTEM" });
    refused(daemon, &write(system_view), "INVALID_INPUT", "view.kind").await;
    let sws_view = json!({ "kind": "SWS", "swsId": sws.to_string() });
    let response = call(daemon, APPLY, &write(sws_view)["variables"]).await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "CONFLICT",
        "{response}"
    );
}

#[tokio::test]
async fn a_retried_collapse_returns_the_first_payload_and_appends_nothing() {
    let daemon = Daemon::start();
    let (first, other) = (create_sws(&daemon).await, create_sws(&daemon).await);
    apply(&daemon, first, &[add_demo(0)]).await;
    apply(&daemon, other, &[add_demo(1)]).await;
    let input = json!({ "swsId": first.to_string(), "idempotencyKey": "collapse-first" });
    let body = collapse_body(&input);
    let original = post_raw(&daemon, &body).await;
    let n_events = event_count(&daemon).await;
    assert_eq!(post_raw(&daemon, &body).await, original);
    assert_eq!(event_count(&daemon).await, n_events, "a retry appended");
    // Still the first payload once System moved on (and the SWS is COLLAPSED).
    assert_eq!(collapse(&daemon, other).await["committed"], true);
    let n_events = event_count(&daemon).await;
    assert_eq!(post_raw(&daemon, &body).await, original);
    assert_eq!(event_count(&daemon).await, n_events, "a retry appended");
    let payload: Value = serde_json::from_str(&original).expect("JSON");
    assert_eq!(
        payload["data"]["collapseSws"]["committed"], true,
        "{payload}"
    );
    // The same key with another request is CONFLICT at the key.
    let other_input = json!({ "swsId": first.to_string(), "idempotencyKey": "collapse-first",
        "meta": { "retry": 2 } });
    refused(
        &daemon,
        &collapse_body(&other_input),
        "CONFLICT",
        "input.idempotencyKey",
    )
    .await;
    daemon.stop();
}

#[tokio::test]
async fn a_retried_aborted_collapse_is_one_abort() {
    let daemon = Daemon::start();
    let (sws, _) = super::edge_end_removed(&daemon).await;
    let input = json!({ "swsId": sws.to_string(), "idempotencyKey": "abort", "policyId": 0 });
    let body = collapse_body(&input);
    let original = post_raw(&daemon, &body).await;
    let n_events = event_count(&daemon).await;
    assert_eq!(post_raw(&daemon, &body).await, original);
    assert_eq!(event_count(&daemon).await, n_events, "a retry appended");
    let payload: Value = serde_json::from_str(&original).expect("JSON");
    let receipt = &payload["data"]["collapseSws"]["collapseReceipt"];
    assert_eq!(receipt["committed"], false, "{payload}");
    assert_eq!(receipt["policyId"], 0, "{payload}");
    daemon.stop();
}

#[tokio::test]
async fn bad_collapse_and_rebase_requests_are_refused_at_their_field_without_a_trace() {
    let daemon = Daemon::start();
    let sws = create_sws(&daemon).await;
    apply(&daemon, sws, &[add_demo(0)]).await;
    let id = sws.to_string();
    let cases = [
        (
            json!({ "swsId": id, "policyId": 7 }),
            "INVALID_INPUT",
            "input.policyId",
        ),
        (json!({ "swsId": "9" }), "NOT_FOUND", "input.swsId"),
        (json!({ "swsId": "01" }), "INVALID_INPUT", "input.swsId"),
    ];
    for (input, code, field) in &cases {
        refused(&daemon, &collapse_body(input), code, field).await;
    }
    refused(
        &daemon,
        &rebase_body(&json!({ "swsId": "9" })),
        "NOT_FOUND",
        "input.swsId",
    )
    .await;
    // A discarded SWS can be neither collapsed nor rebased.
    let discarded = create_sws(&daemon).await;
    post_data(&daemon, &super::discard_body(discarded, "gone")).await;
    let input = json!({ "swsId": discarded.to_string() });
    refused(&daemon, &collapse_body(&input), "CONFLICT", "input.swsId").await;
    refused(&daemon, &rebase_body(&input), "CONFLICT", "input.swsId").await;
    // The SWS refused above still collapses.
    let payload = collapse(&daemon, sws).await;
    assert_eq!(payload["committed"], true, "{payload}");
    daemon.stop();
}
