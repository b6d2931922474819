//! The M2 ops over HTTP: `AddEdge`, `RemoveNode`, `RemoveEdge` and multi-op rewrites, with the
//! rules of contract §7: ops apply in order as set operations and only the end state must be a
//! graph; a remove of an id absent at that point is `NOT_FOUND` at its `data.id` (the first such
//! op); otherwise a dangling added edge is `NOT_FOUND` at its `data.from` / `data.to` and a
//! removed node still touched by an edge is `CONFLICT` at its `data.id`, the lowest op index
//! deciding. A rewrite is atomic, up to 1024 ops.
//!
//! # Invariants
//! - Each test starts its own daemon and stops it with SIGTERM.
//! - Every refusal is checked for its code and field path and for leaving no trace.

use serde_json::{Value, json};

use super::paging::{nodes_query, pages};
use super::{
    add_edge, add_node, apply, apply_body, apply_refused, create_sws, edge_id, graph_ids, list,
    log, node_id, remove_edge, remove_node, sws_literal, trace,
};
use crate::daemon::Daemon;
use crate::e2e_kernel::data;
use crate::e2e_serving::post_graphql;

/// SWS 0 holding nodes `a`, `b`, `c` and edges `a -> b` (`link`, no payload) and `b -> c`
/// (`link`, payload `w`).
async fn abc(daemon: &Daemon) {
    assert_eq!(create_sws(daemon).await, 0);
    let (a, b, c) = ids();
    let ops = [
        add_node("doc", b"a"),
        add_node("doc", b"b"),
        add_node("doc", b"c"),
        add_edge(&a, &b, "link", None),
        add_edge(&b, &c, "link", Some(b"w")),
    ];
    apply(daemon, 0, &ops).await;
}

/// The ids of the nodes `a`, `b`, `c` of [`abc`].
fn ids() -> (jitos_core::Hash, jitos_core::Hash, jitos_core::Hash) {
    (
        node_id("doc", b"a"),
        node_id("doc", b"b"),
        node_id("doc", b"c"),
    )
}

#[tokio::test]
async fn removes_of_absent_ids_are_not_found_at_the_first_such_op() {
    let daemon = Daemon::start();
    abc(&daemon).await;
    let (a, b, c) = ids();
    let ghost = node_id("doc", b"ghost");
    let ab = edge_id(&a, &b, "link", None);
    // The same edge without a payload is another edge: absent.
    let bc_bare = edge_id(&b, &c, "link", None);
    let rows: Vec<(Vec<Value>, &str)> = vec![
        (vec![remove_node(&ghost)], "rewrite.ops[0].data.id"),
        (vec![remove_edge(&bc_bare)], "rewrite.ops[0].data.id"),
        // An edge id is not a node id, nor the reverse.
        (vec![remove_node(&ab)], "rewrite.ops[0].data.id"),
        (vec![remove_edge(&a)], "rewrite.ops[0].data.id"),
        (
            vec![add_node("doc", b"x"), remove_node(&ghost)],
            "rewrite.ops[1].data.id",
        ),
        (
            vec![remove_edge(&bc_bare), remove_node(&ghost)],
            "rewrite.ops[0].data.id",
        ),
        // Present at the start, gone at that point of the rewrite.
        (
            vec![remove_edge(&ab), remove_edge(&ab)],
            "rewrite.ops[1].data.id",
        ),
        (
            vec![
                remove_edge(&ab),
                remove_node(&a),
                add_node("doc", b"y"),
                remove_node(&a),
            ],
            "rewrite.ops[3].data.id",
        ),
        // A remove of an absent id wins over an end-state fault at a lower index.
        (
            vec![add_edge(&a, &ghost, "link", None), remove_node(&ghost)],
            "rewrite.ops[1].data.id",
        ),
        (
            vec![remove_node(&b), remove_edge(&bc_bare)],
            "rewrite.ops[1].data.id",
        ),
    ];
    for (ops, field) in rows {
        apply_refused(&daemon, 0, &ops, "NOT_FOUND", field).await;
    }
    daemon.stop();
}

#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "a table of rows, one line or so each"
)]
async fn end_state_faults_name_the_lowest_op_at_fault() {
    let daemon = Daemon::start();
    abc(&daemon).await;
    let (a, b, c) = ids();
    let ghost = node_id("doc", b"ghost");
    let x = node_id("doc", b"x");
    let (ab, bc) = (
        edge_id(&a, &b, "link", None),
        edge_id(&b, &c, "link", Some(b"w")),
    );
    let rows: Vec<(Vec<Value>, &str, &str)> = vec![
        (
            vec![add_edge(&a, &ghost, "link", None)],
            "NOT_FOUND",
            "rewrite.ops[0].data.to",
        ),
        (
            vec![add_edge(&ghost, &a, "link", None)],
            "NOT_FOUND",
            "rewrite.ops[0].data.from",
        ),
        (
            vec![add_edge(&ghost, &x, "link", None)],
            "NOT_FOUND",
            "rewrite.ops[0].data.from",
        ),
        (
            vec![add_edge(&ghost, &ghost, "loop", None)],
            "NOT_FOUND",
            "rewrite.ops[0].data.from",
        ),
        // The end is added, then removed again by the same rewrite.
        (
            vec![
                add_node("doc", b"x"),
                add_edge(&a, &x, "link", None),
                remove_node(&x),
            ],
            "NOT_FOUND",
            "rewrite.ops[1].data.to",
        ),
        // An end present at the start and removed by the rewrite.
        (
            vec![
                add_edge(&c, &a, "back", None),
                remove_edge(&ab),
                remove_node(&a),
            ],
            "NOT_FOUND",
            "rewrite.ops[0].data.to",
        ),
        (vec![remove_node(&b)], "CONFLICT", "rewrite.ops[0].data.id"),
        (
            vec![remove_edge(&ab), remove_node(&b)],
            "CONFLICT",
            "rewrite.ops[1].data.id",
        ),
        // A node removed, re-added, removed again: the last remove is the op at fault.
        (
            vec![remove_node(&c), add_node("doc", b"c"), remove_node(&c)],
            "CONFLICT",
            "rewrite.ops[2].data.id",
        ),
        // Several faults: the lowest op index decides, whatever the kinds.
        (
            vec![remove_node(&b), add_edge(&a, &ghost, "link", None)],
            "CONFLICT",
            "rewrite.ops[0].data.id",
        ),
        (
            vec![add_edge(&a, &ghost, "link", None), remove_node(&b)],
            "NOT_FOUND",
            "rewrite.ops[0].data.to",
        ),
        (
            vec![
                remove_edge(&bc),
                add_edge(&ghost, &c, "z", None),
                remove_node(&a),
            ],
            "NOT_FOUND",
            "rewrite.ops[1].data.from",
        ),
    ];
    for (ops, code, field) in rows {
        apply_refused(&daemon, 0, &ops, code, field).await;
    }
    daemon.stop();
}

#[tokio::test]
async fn an_edge_re_added_while_its_end_is_removed_is_a_dangling_added_edge() {
    let daemon = Daemon::start();
    abc(&daemon).await;
    let (a, b, c) = ids();
    let bc = edge_id(&b, &c, "link", Some(b"w"));
    // Op 0 adds `a -> b` (which the view already holds), op 2 removes `b`: at the end the added
    // edge's `to` is not a node (op 0) and `b` is still touched (op 2). The lowest index, 0,
    // decides: NOT_FOUND at its `to`.
    let ops = [
        add_edge(&a, &b, "link", None),
        remove_edge(&bc),
        remove_node(&b),
    ];
    apply_refused(&daemon, 0, &ops, "NOT_FOUND", "rewrite.ops[0].data.to").await;
    daemon.stop();
}

#[tokio::test]
async fn only_the_end_state_must_be_a_graph() {
    let daemon = Daemon::start();
    abc(&daemon).await;
    let (a, b, c) = ids();
    let x = node_id("doc", b"x");
    let (ab, bc) = (
        edge_id(&a, &b, "link", None),
        edge_id(&b, &c, "link", Some(b"w")),
    );
    // An edge before the node it enters; a node removed before the edges that touch it.
    apply(
        &daemon,
        0,
        &[add_edge(&a, &x, "link", Some(b"")), add_node("doc", b"x")],
    )
    .await;
    apply(
        &daemon,
        0,
        &[remove_node(&b), remove_edge(&bc), remove_edge(&ab)],
    )
    .await;
    // A node added and removed in one rewrite leaves nothing but the event.
    let before = graph_ids(&daemon, &sws_literal(0)).await;
    apply(
        &daemon,
        0,
        &[
            add_node("doc", b"tmp"),
            remove_node(&node_id("doc", b"tmp")),
        ],
    )
    .await;
    assert_eq!(graph_ids(&daemon, &sws_literal(0)).await, before);
    let (nodes, edges) = graph_ids(&daemon, &sws_literal(0)).await;
    assert_eq!(nodes, super::sorted_hex(&[a, c, x]));
    let ax_empty = edge_id(&a, &x, "link", Some(b""));
    assert_eq!(edges, [ax_empty.to_string()]);
    // An edge with an empty payload is not an edge without one; data says which.
    let query = format!(
        r#"{{ graph(view: {}) {{ edges {{ edges {{ id kind from to data }} }} }} }}"#,
        sws_literal(0)
    );
    let listed = data(&daemon, &query).await["graph"]["edges"]["edges"].clone();
    let expected = json!([{ "id": ax_empty.to_string(), "kind": "link", "from": a.to_string(),
        "to": x.to_string(), "data": { "payload_b64": "" } }]);
    assert_eq!(listed, expected);
    apply(&daemon, 0, &[add_edge(&a, &x, "link", None)]).await;
    let listed = data(&daemon, &query).await["graph"]["edges"]["edges"].clone();
    let bare = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|edge| edge["data"].is_null());
    assert_eq!(
        bare.unwrap()["id"],
        json!(edge_id(&a, &x, "link", None).to_string())
    );
    log(&daemon).await;
    daemon.stop();
}

#[tokio::test]
async fn the_digest_depends_on_the_end_state_only() {
    let daemon = Daemon::start();
    let (a, b, c) = ids();
    let all = [
        add_node("doc", b"a"),
        add_node("doc", b"b"),
        add_node("doc", b"c"),
        add_edge(&a, &b, "link", None),
        add_edge(&b, &c, "link", Some(b"w")),
        add_edge(&c, &c, "self", None),
    ];
    let one_go = create_sws(&daemon).await;
    let digest_one_go = apply(&daemon, one_go, &all).await.digest;
    let reversed = create_sws(&daemon).await;
    let mut backwards = all.to_vec();
    backwards.reverse();
    assert_eq!(
        apply(&daemon, reversed, &backwards).await.digest,
        digest_one_go
    );
    let detour = create_sws(&daemon).await;
    apply(&daemon, detour, &all[..3]).await;
    apply(
        &daemon,
        detour,
        &[add_node("doc", b"z"), add_edge(&a, &c, "tmp", None)],
    )
    .await;
    apply(&daemon, detour, &all[3..]).await;
    let z = node_id("doc", b"z");
    let cleanup = [remove_edge(&edge_id(&a, &c, "tmp", None)), remove_node(&z)];
    let receipt = apply(&daemon, detour, &cleanup).await;
    assert_eq!(receipt.digest, digest_one_go);
    // Adding what the view holds is accepted and recorded, and changes no digest.
    let again = apply(&daemon, detour, &all).await;
    assert_eq!(
        (again.idx, again.digest),
        (receipt.idx + 1, digest_one_go.clone())
    );
    let commit = |id: u64| format!("{{ graph(view: {}) {{ commitDigest }} }}", sws_literal(id));
    let commit_one_go = data(&daemon, &commit(one_go)).await;
    assert_eq!(data(&daemon, &commit(detour)).await, commit_one_go);
    daemon.stop();
}

/// `n` `AddNode` ops of kind `bulk`, all different.
fn bulk(n: usize) -> Vec<Value> {
    (0..n)
        .map(|n| add_node("bulk", n.to_string().as_bytes()))
        .collect()
}

/// Only the `bulk` nodes.
const BULK: &str = r#", nodeFilter: {kinds: ["bulk"]}"#;

#[tokio::test]
async fn a_refused_rewrite_of_1024_ops_leaves_no_trace_and_1025_ops_exceed_the_limit() {
    let daemon = Daemon::start();
    abc(&daemon).await;
    let (a, _, _) = ids();
    let ghost = node_id("doc", b"ghost");
    let mut last_absent = bulk(1023);
    last_absent.push(remove_node(&ghost));
    let field = "rewrite.ops[1023].data.id";
    apply_refused(&daemon, 0, &last_absent, "NOT_FOUND", field).await;
    let mut last_dangling = bulk(1023);
    last_dangling.push(add_edge(&a, &ghost, "link", None));
    let field = "rewrite.ops[1023].data.to";
    apply_refused(&daemon, 0, &last_dangling, "NOT_FOUND", field).await;
    let mut first_conflict = bulk(1024);
    first_conflict[0] = remove_node(&a);
    let field = "rewrite.ops[0].data.id";
    apply_refused(&daemon, 0, &first_conflict, "CONFLICT", field).await;
    apply_refused(&daemon, 0, &bulk(1025), "LIMIT_EXCEEDED", "rewrite.ops").await;
    let query = nodes_query(&sws_literal(0), "{first: 1000}", BULK);
    let page = data(&daemon, &query).await;
    assert_eq!(page["graph"]["nodes"]["nodes"], json!([]), "{page}");
    daemon.stop();
}

#[tokio::test]
async fn a_rewrite_of_1024_ops_is_one_event() {
    let daemon = Daemon::start();
    abc(&daemon).await;
    let n_events = log(&daemon).await.len();
    let receipt = apply(&daemon, 0, &bulk(1024)).await;
    assert_eq!(receipt.idx, n_events as u64);
    assert_eq!(log(&daemon).await.len(), n_events + 1);
    let query =
        |after: &str| nodes_query(&sws_literal(0), &format!("{{first: 1000{after}}}"), BULK);
    let pages = pages(&daemon, query, "nodes").await;
    let pages: Vec<Vec<String>> = pages.into_iter().map(|(ids, _)| ids).collect();
    let expected = (0..1024).map(|n| node_id("bulk", n.to_string().as_bytes()));
    assert_eq!(
        pages.concat(),
        super::sorted_hex(&expected.collect::<Vec<_>>())
    );
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [1000, 24]);
    // The event records all 1024 ops.
    let after = n_events - 1;
    let events = format!(r#"{{ events(page: {{first: 1, after: "{after}"}}) {{ ops }} }}"#);
    let ops = data(&daemon, &events).await["events"][0]["ops"].clone();
    assert_eq!(list(&ops).len(), 1024);
    daemon.stop();
}

#[tokio::test]
async fn malformed_op_fields_are_invalid_input_at_their_path() {
    let daemon = Daemon::start();
    abc(&daemon).await;
    let (a, _, _) = ids();
    let before = trace(&daemon).await;
    let a_hex = a.to_string();
    let rows = [
        (
            json!({"op": "AddEdge", "data": {"from": "x", "to": a_hex, "kind": "k"}}),
            "rewrite.ops[1].data.from",
        ),
        (
            json!({"op": "AddEdge",
                "data": {"from": a_hex, "to": a_hex.to_uppercase(), "kind": "k"}}),
            "rewrite.ops[1].data.to",
        ),
        (
            json!({"op": "AddEdge", "data": {"from": a_hex, "to": a_hex, "kind": "k k"}}),
            "rewrite.ops[1].data.kind",
        ),
        (
            json!({"op": "AddEdge",
                "data": {"from": a_hex, "to": a_hex, "kind": "k", "payload_b64": "a"}}),
            "rewrite.ops[1].data.payload_b64",
        ),
        (
            json!({"op": "RemoveNode", "data": {"id": a_hex, "extra": 1}}),
            "rewrite.ops[1].data.extra",
        ),
        (
            json!({"op": "RemoveEdge", "data": {"id": "0"}}),
            "rewrite.ops[1].data.id",
        ),
    ];
    for (op, field) in rows {
        let (_, response) =
            post_graphql(&daemon, &apply_body(0, &[add_node("doc", b"ok"), op])).await;
        // The bad op follows a good one: the path names its index, 1.
        super::expect_refused(&response, "INVALID_INPUT", field);
    }
    assert_eq!(trace(&daemon).await, before);
    daemon.stop();
}
