//! Snapshots (contract §6): `graph(view)` names what it read with `snapshotId`, the view's
//! digest in hex; reading with that id returns the same content, digest and pages whatever
//! happened since, and echoes it in `view.snapshotId`. An SWS's `parentSnapshotId` is a
//! snapshot of System.
//!
//! # Invariants
//! - Each test starts its own daemon and stops it with SIGTERM.
//! - A snapshot read is compared with the whole live read taken when the snapshot was named:
//!   digest, commit digest, nodes with their data, edges with their data, page info.

use serde_json::{Value, json};

use super::{
    add_edge, add_node, apply, create_sws, edge_id, list, log, node_id, remove_edge, remove_node,
    sws_literal, text, trace,
};
use crate::daemon::Daemon;
use crate::e2e_kernel::{data, error};

/// Everything `graph` says about `view` (a GraphQL literal), nodes and edges in one page each.
fn full_graph(view: &str) -> String {
    format!(
        "{{ graph(view: {view}, nodesPage: {{first: 1000}}, edgesPage: {{first: 1000}}) {{
            view {{ kind swsId snapshotId }} snapshotId digest commitDigest
            nodes {{ nodes {{ id kind data payloadB64 createdAt }}
                pageInfo {{ endCursor hasNextPage }} }}
            edges {{ edges {{ id kind from to data createdAt }}
                pageInfo {{ endCursor hasNextPage }} }}
        }} }}"
    )
}

/// The view literal of SWS `id` pinned to `snapshot`.
fn pinned(id: u64, snapshot: &str) -> String {
    format!(r#"{{kind: SWS, swsId: "{id}", snapshotId: "{snapshot}"}}"#)
}

/// `live` as a pinned read must echo it: the same, with `view.snapshotId` set.
fn as_pinned(live: &Value) -> Value {
    let mut expected = live.clone();
    expected["graph"]["view"]["snapshotId"] = live["graph"]["snapshotId"].clone();
    expected
}

#[tokio::test]
async fn a_snapshot_id_reads_the_same_content_whatever_happened_since() {
    let daemon = Daemon::start();
    let sws = create_sws(&daemon).await;
    let (a, b, c) = (
        node_id("doc", b"a"),
        node_id("doc", b"b"),
        node_id("doc", b"c"),
    );
    let (link_ab, link_bc) = (
        edge_id(&a, &b, "link", None),
        edge_id(&b, &c, "link", Some(b"w")),
    );
    let built = apply(
        &daemon,
        sws,
        &[
            add_node("doc", b"a"),
            add_node("doc", b"b"),
            add_node("doc", b"c"),
            add_edge(&a, &b, "link", None),
            add_edge(&b, &c, "link", Some(b"w")),
        ],
    )
    .await;
    let live = data(&daemon, &full_graph(&sws_literal(sws))).await;
    let snapshot = text(&live["graph"]["snapshotId"]).to_owned();
    assert_eq!(snapshot, built.digest);
    assert_eq!(live["graph"]["digest"], json!(snapshot));
    assert_eq!(
        live["graph"]["view"],
        json!({"kind": "SWS", "swsId": "0", "snapshotId": null})
    );
    assert_eq!(list(&live["graph"]["nodes"]["nodes"]).len(), 3);
    // Repeated reads without a mutation: the same snapshot, byte for byte.
    assert_eq!(data(&daemon, &full_graph(&sws_literal(sws))).await, live);
    assert_eq!(
        data(&daemon, &full_graph(&pinned(sws, &snapshot))).await,
        as_pinned(&live)
    );

    // Change everything, in several rewrites, then read the snapshot again.
    apply(
        &daemon,
        sws,
        &[remove_edge(&link_ab), remove_edge(&link_bc)],
    )
    .await;
    apply(&daemon, sws, &[remove_node(&b), add_node("doc", b"d")]).await;
    apply(&daemon, sws, &[add_edge(&a, &c, "other", Some(b""))]).await;
    let changed = data(&daemon, &full_graph(&sws_literal(sws))).await;
    assert_ne!(changed["graph"]["digest"], live["graph"]["digest"]);
    assert_eq!(
        data(&daemon, &full_graph(&pinned(sws, &snapshot))).await,
        as_pinned(&live)
    );

    check_pinned_reads(&daemon, sws, &live, &b.to_string(), &link_bc.to_string()).await;
    log(&daemon).await;
    daemon.stop();
}

/// `node` and `edge` read the snapshot of `live` too (`node` and `edge` are gone from the live
/// view, not from the snapshot), and the snapshot pages like the live view it was.
async fn check_pinned_reads(daemon: &Daemon, sws: u64, live: &Value, node: &str, edge: &str) {
    let one = |kind: &str, id: &str, view: &str| {
        format!(r#"{{ {kind}(view: {view}, id: "{id}") {{ id }} }}"#)
    };
    let pinned_view = pinned(sws, text(&live["graph"]["snapshotId"]));
    let live_view = sws_literal(sws);
    for (kind, id) in [("node", node), ("edge", edge)] {
        let read = data(daemon, &one(kind, id, &pinned_view)).await;
        assert_eq!(read[kind]["id"], json!(id));
        assert!(data(daemon, &one(kind, id, &live_view)).await[kind].is_null());
    }
    let query = format!(
        "{{ graph(view: {pinned_view}, nodesPage: {{first: 2}}) {{
            nodes {{ nodes {{ id }} pageInfo {{ endCursor hasNextPage }} }} }} }}"
    );
    let page = data(daemon, &query).await;
    let expected: Vec<Value> = list(&live["graph"]["nodes"]["nodes"])[..2]
        .iter()
        .map(|node| json!({ "id": node["id"] }))
        .collect();
    assert_eq!(page["graph"]["nodes"]["nodes"], json!(expected));
    let info = &page["graph"]["nodes"]["pageInfo"];
    assert_eq!(
        *info,
        json!({ "endCursor": expected[1]["id"], "hasNextPage": true })
    );
}

#[tokio::test]
async fn every_version_of_a_view_stays_readable_by_its_snapshot_id() {
    let daemon = Daemon::start();
    let sws = create_sws(&daemon).await;
    let mut versions = vec![data(&daemon, &full_graph(&sws_literal(sws))).await];
    for round in 0..12_u8 {
        let mut ops = vec![add_node("n", &[round])];
        if round % 3 == 2 {
            ops.push(remove_node(&node_id("n", &[round - 1])));
        }
        apply(&daemon, sws, &ops).await;
        versions.push(data(&daemon, &full_graph(&sws_literal(sws))).await);
    }
    // Newest first, so a reader of old versions does not depend on a warm cache.
    for version in versions.iter().rev() {
        let snapshot = version["graph"]["snapshotId"].as_str().unwrap();
        let read = data(&daemon, &full_graph(&pinned(sws, snapshot))).await;
        assert_eq!(read, as_pinned(version));
    }
    // The SWS's first version is System as it stood at creation: the empty graph.
    let empty = data(&daemon, "{ graph(view: {kind: SYSTEM}) { digest } }").await;
    assert_eq!(versions[0]["graph"]["digest"], empty["graph"]["digest"]);
    daemon.stop();
}

#[tokio::test]
async fn parent_snapshot_id_is_a_readable_system_snapshot() {
    let daemon = Daemon::start();
    let sws = create_sws(&daemon).await;
    apply(&daemon, sws, &[add_node("doc", b"x")]).await;
    let record = data(&daemon, r#"{ sws(id: "0") { parentSnapshotId } }"#).await;
    let parent = record["sws"]["parentSnapshotId"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = data(&daemon, "{ listSws { parentSnapshotId } }").await;
    assert_eq!(listed["listSws"][0]["parentSnapshotId"], json!(parent));
    let system = data(&daemon, &full_graph("{kind: SYSTEM}")).await;
    let view = format!(r#"{{kind: SYSTEM, snapshotId: "{parent}"}}"#);
    let read = data(&daemon, &full_graph(&view)).await;
    assert_eq!(
        read["graph"]["view"],
        json!({"kind": "SYSTEM", "swsId": null, "snapshotId": parent})
    );
    assert_eq!(read["graph"]["digest"], json!(parent));
    // System is not written before M3: its live read is that same snapshot.
    assert_eq!(read, as_pinned(&system));
    daemon.stop();
}

#[tokio::test]
async fn an_unknown_or_malformed_snapshot_id_is_refused_at_view_snapshot_id() {
    let daemon = Daemon::start();
    let first = create_sws(&daemon).await;
    let second = create_sws(&daemon).await;
    let first_digest = apply(&daemon, first, &[add_node("doc", b"only in 0")])
        .await
        .digest;
    apply(&daemon, second, &[add_node("doc", b"only in 1")]).await;
    let before = trace(&daemon).await;
    let read = |view: String| format!("{{ graph(view: {view}) {{ digest }} }}");
    // A digest SWS 0 had, asked of SWS 1 and of System, which never had it.
    let field = "view.snapshotId";
    error(
        &daemon,
        &read(pinned(second, &first_digest)),
        "NOT_FOUND",
        field,
    )
    .await;
    let system = format!(r#"{{kind: SYSTEM, snapshotId: "{first_digest}"}}"#);
    error(&daemon, &read(system), "NOT_FOUND", field).await;
    error(
        &daemon,
        &read(pinned(first, &"0".repeat(64))),
        "NOT_FOUND",
        field,
    )
    .await;
    // Malformed: not hex, uppercase hex, too short, a prefix.
    for malformed in [
        "x".to_owned(),
        first_digest.to_uppercase(),
        first_digest[..63].to_owned(),
        format!("0x{}", &first_digest[..62]),
    ] {
        error(
            &daemon,
            &read(pinned(first, &malformed)),
            "INVALID_INPUT",
            field,
        )
        .await;
    }
    // Longer than the schema's maxLength (64): LIMIT_EXCEEDED, as @constraint documents.
    let long = format!("{first_digest}0");
    error(
        &daemon,
        &read(pinned(first, &long)),
        "LIMIT_EXCEEDED",
        field,
    )
    .await;
    assert_eq!(trace(&daemon).await, before);
    daemon.stop();
}
