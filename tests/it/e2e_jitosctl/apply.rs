//! `apply`: ops files holding several ops, op flags in command-line order, stdin, atomicity,
//! and idempotency keys.

use serde_json::{Value, json};

use super::{
    Daemon, TempDir, assert_fails, edge_id, jitosctl, jitosctl_with_stdin, json, node_id, stdout,
};

/// The ops of the event at `idx` of the global log.
fn ops_of_event(daemon: &Daemon, idx: usize) -> Vec<Value> {
    let events = json(daemon, &["events"]);
    events["events"][idx]["ops"]
        .as_array()
        .unwrap_or_else(|| panic!("no event {idx}: {events}"))
        .clone()
}

#[test]
fn an_ops_file_applies_several_ops_as_one_event_in_file_order() {
    let daemon = Daemon::start();
    stdout(&jitosctl(&daemon, &["sws", "create"]));
    let (a, b) = (node_id("a", b"hello"), node_id("b", b""));
    let ops = json!([
        {"op": "AddNode", "data": {"kind": "a", "payload_b64": "aGVsbG8="}},
        {"op": "AddNode", "data": {"kind": "b", "payload_b64": ""}},
        {"op": "AddEdge", "data": {"from": a, "to": b, "kind": "link"}},
    ]);
    let dir = TempDir::new("apply-file");
    let ops_file = dir.file("ops.json", ops.to_string().as_bytes());
    let applied = json(
        &daemon,
        &["apply", "--view", "sws:0", "--ops-file", &ops_file],
    );
    assert_eq!(applied["applyRewrite"]["accepted"], true, "{applied}");
    assert_eq!(
        applied["applyRewrite"]["receipt"]["rewriteIdx"], "1",
        "{applied}"
    );
    assert_eq!(Value::Array(ops_of_event(&daemon, 1)), ops);
    let graph = json(&daemon, &["graph", "--view", "sws:0"]);
    assert_eq!(
        graph["graph"]["nodes"]["nodes"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        graph["graph"]["edges"]["edges"][0]["id"],
        edge_id(("a", b"hello"), ("b", b""), "link").as_str()
    );

    // All or nothing: a rewrite whose last op fails leaves no event and the digest unchanged.
    let digest = stdout(&jitosctl(
        &daemon,
        &["graph", "--view", "sws:0", "--digest"],
    ));
    let failing = json!([
        {"op": "AddNode", "data": {"kind": "c", "payload_b64": ""}},
        {"op": "RemoveNode", "data": {"id": "0".repeat(64)}},
    ]);
    let failing_file = dir.file("failing.json", failing.to_string().as_bytes());
    let refused = jitosctl(
        &daemon,
        &["apply", "--view", "sws:0", "--ops-file", &failing_file],
    );
    assert!(matches!(refused.status.code(), Some(2..=5)), "{refused:?}");
    assert_eq!(
        stdout(&jitosctl(
            &daemon,
            &["graph", "--view", "sws:0", "--digest"]
        )),
        digest
    );
    assert_eq!(json(&daemon, &["info"])["kernelInfo"]["eventCount"], "2");

    // An unknown op name is the server's to refuse; a file that is not an array is ours.
    let unknown = dir.file("unknown.json", br#"[{"op": "Frobnicate", "data": {}}]"#);
    let unknown = jitosctl(
        &daemon,
        &["apply", "--view", "sws:0", "--ops-file", &unknown],
    );
    assert_fails(&unknown, 4, "NOT_IMPLEMENTED");
    let object = dir.file("object.json", br#"{"op": "AddNode"}"#);
    let object = jitosctl(
        &daemon,
        &["apply", "--view", "sws:0", "--ops-file", &object],
    );
    assert_fails(&object, 1, "JSON array");
    daemon.stop();
}

/// The op names of the event at `idx` of the global log.
fn op_names(daemon: &Daemon, idx: usize) -> Vec<String> {
    ops_of_event(daemon, idx)
        .iter()
        .map(|op| op["op"].as_str().expect("an op name").to_owned())
        .collect()
}

#[test]
fn op_flags_apply_in_command_line_order_and_stdin_works() {
    let daemon = Daemon::start();
    stdout(&jitosctl(&daemon, &["sws", "create"]));
    let (a, b) = (node_id("a", b"x"), node_id("b", b"y"));
    let dir = TempDir::new("apply-flags");
    let edge_payload = dir.file("edge-payload", b"w");
    // The edge comes before its target node: ends must exist once the whole rewrite applied.
    let args = format!(
        "apply --view sws:0 --add-node a --payload x --add-edge {a} {b} k \
         --edge-payload-file {edge_payload} --add-node b --payload y"
    );
    stdout(&jitosctl(
        &daemon,
        &args.split_whitespace().collect::<Vec<_>>(),
    ));
    assert_eq!(op_names(&daemon, 1), ["AddNode", "AddEdge", "AddNode"]);
    assert_eq!(ops_of_event(&daemon, 1)[1]["data"]["payload_b64"], "dw==");

    let graph = json(&daemon, &["graph", "--view", "sws:0"]);
    let edge = graph["graph"]["edges"]["edges"][0]["id"].clone();
    let removals = json!([{"op": "RemoveEdge", "data": {"id": edge}}]);
    let args = [
        "apply",
        "--view",
        "sws:0",
        "--ops-file",
        "-",
        "--remove-node",
        &a,
    ];
    stdout(&jitosctl_with_stdin(
        &daemon,
        &args,
        removals.to_string().as_bytes(),
    ));
    assert_eq!(op_names(&daemon, 2), ["RemoveEdge", "RemoveNode"]);
    let nodes = json(&daemon, &["graph", "--view", "sws:0"])["graph"]["nodes"]["nodes"].clone();
    assert_eq!(nodes.as_array().map(Vec::len), Some(1), "{nodes}");

    let misplaced = [
        "apply",
        "--view",
        "sws:0",
        "--payload",
        "x",
        "--add-node",
        "a",
    ];
    let misplaced = jitosctl(&daemon, &misplaced);
    assert_eq!(misplaced.status.code(), Some(2), "{misplaced:?}");
    assert!(
        super::stderr(&misplaced).contains("must follow"),
        "{misplaced:?}"
    );
    daemon.stop();
}

#[test]
fn an_idempotency_key_makes_a_retry_safe() {
    let daemon = Daemon::start();
    stdout(&jitosctl(&daemon, &["sws", "create"]));
    let write = [
        "apply",
        "--view",
        "sws:0",
        "--add-node",
        "a",
        "--idempotency-key",
        "w1",
    ];
    let first = json(&daemon, &write);
    let retry = json(&daemon, &write);
    assert_eq!(first, retry, "a retry returns the original receipt");
    assert_eq!(json(&daemon, &["info"])["kernelInfo"]["eventCount"], "2");
    let other = jitosctl(
        &daemon,
        &[
            "apply",
            "--view",
            "sws:0",
            "--add-node",
            "b",
            "--idempotency-key",
            "w1",
        ],
    );
    assert_fails(&other, 5, "CONFLICT");
    let meta = json(
        &daemon,
        &[
            "apply",
            "--view",
            "sws:0",
            "--add-node",
            "c",
            "--meta",
            r#"{"why":"test"}"#,
        ],
    );
    assert_eq!(meta["applyRewrite"]["receipt"]["rewriteIdx"], "2", "{meta}");
    let events = json(&daemon, &["events", "--after", "1"]);
    assert_eq!(
        events["events"][0]["meta"],
        json!({"why": "test"}),
        "{events}"
    );
    daemon.stop();
}
