//! `graph` (pages, `--all`, `--snapshot`, `--as-of`, filters, `--digest`), `node` and `edge`.

use base64::Engine as _;
use serde_json::{Value, json};

use super::{Daemon, TempDir, assert_fails, edge_id, jitosctl, json, node_id, stdout};

/// The `id`s of a JSON list.
fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// Applies `n_nodes` nodes of kind `k` (payloads `n0`, `n1`, ...) in one rewrite through an
/// ops file, then a chain of `n_nodes - 1` edges `n0 -> n1 -> ...` of kind `e` through flags.
fn seed(daemon: &Daemon, n_nodes: usize) -> (Vec<String>, Vec<String>) {
    let dir = TempDir::new("graph-seed");
    let ops: Vec<Value> = (0..n_nodes)
        .map(|i| {
            let payload = base64::engine::general_purpose::STANDARD.encode(format!("n{i}"));
            json!({"op": "AddNode", "data": {"kind": "k", "payload_b64": payload}})
        })
        .collect();
    let ops_file = dir.file("ops.json", json!(ops).to_string().as_bytes());
    stdout(&jitosctl(
        daemon,
        &["apply", "--view", "sws:0", "--ops-file", &ops_file],
    ));
    let payloads: Vec<String> = (0..n_nodes).map(|i| format!("n{i}")).collect();
    let mut nodes: Vec<String> = payloads
        .iter()
        .map(|p| node_id("k", p.as_bytes()))
        .collect();
    let mut args: Vec<String> = vec!["apply".into(), "--view".into(), "sws:0".into()];
    let mut edges = Vec::new();
    for pair in payloads.windows(2) {
        let from = node_id("k", pair[0].as_bytes());
        let to = node_id("k", pair[1].as_bytes());
        args.extend(["--add-edge".into(), from, to, "e".into()]);
        edges.push(edge_id(
            ("k", pair[0].as_bytes()),
            ("k", pair[1].as_bytes()),
            "e",
        ));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    stdout(&jitosctl(daemon, &args));
    nodes.sort();
    edges.sort();
    (nodes, edges)
}

#[test]
fn graph_all_reads_every_page_of_one_pinned_snapshot_while_writes_go_on() {
    let daemon = Daemon::start();
    stdout(&jitosctl(&daemon, &["sws", "create"]));
    let (nodes, edges) = seed(&daemon, 7);

    let first = json(&daemon, &["graph", "--view", "sws:0", "--first", "3"])["graph"].clone();
    assert_eq!(ids(&first["nodes"]["nodes"]), nodes[..3], "{first}");
    assert_eq!(first["nodes"]["pageInfo"]["hasNextPage"], true, "{first}");
    let snapshot = first["snapshotId"]
        .as_str()
        .expect("a snapshotId")
        .to_owned();

    // A write lands between the pages; the pinned listing does not see it.
    stdout(&jitosctl(
        &daemon,
        &[
            "apply",
            "--view",
            "sws:0",
            "--add-node",
            "late",
            "--payload",
            "x",
        ],
    ));
    let pinned = [
        "graph",
        "--view",
        "sws:0",
        "--snapshot",
        &snapshot,
        "--first",
        "3",
    ];
    let mut all_args = pinned.to_vec();
    all_args.push("--all");
    let all = json(&daemon, &all_args)["graph"].clone();
    assert_eq!(ids(&all["nodes"]["nodes"]), nodes, "{all}");
    assert_eq!(ids(&all["edges"]["edges"]), edges, "{all}");
    assert_eq!(all["digest"], first["digest"], "{all}");
    assert_eq!(all["nodes"]["pageInfo"]["hasNextPage"], false, "{all}");

    // Paging by hand with the printed cursor gives the same second page.
    let cursor = first["nodes"]["pageInfo"]["endCursor"]
        .as_str()
        .expect("a cursor");
    let mut next_args = pinned.to_vec();
    next_args.extend(["--after", cursor]);
    let next = json(&daemon, &next_args)["graph"].clone();
    assert_eq!(ids(&next["nodes"]["nodes"]), nodes[3..6], "{next}");

    // The live view has the late node; a table of one page says how to go on.
    let live = json(
        &daemon,
        &["graph", "--view", "sws:0", "--first", "2", "--all"],
    );
    let live_nodes = ids(&live["graph"]["nodes"]["nodes"]);
    assert_eq!(live_nodes.len(), 8, "{live}");
    let table = stdout(&jitosctl(
        &daemon,
        &["graph", "--view", "sws:0", "--first", "2"],
    ));
    assert!(
        table.contains(&format!("... more nodes: --after {}", live_nodes[1])),
        "{table}"
    );
    assert!(table.contains("... more edges: --edges-after"), "{table}");
    daemon.stop();
}

#[test]
fn as_of_and_digest_read_the_past() {
    let daemon = Daemon::start();
    let h0 = stdout(&jitosctl(&daemon, &["graph", "--digest"]));
    stdout(&jitosctl(&daemon, &["sws", "create"]));
    let applied = json(
        &daemon,
        &[
            "apply",
            "--view",
            "sws:0",
            "--add-node",
            "a",
            "--payload",
            "1",
        ],
    );
    let receipt = &applied["applyRewrite"]["receipt"];
    assert_eq!(receipt["rewriteIdx"], "1", "{applied}");
    stdout(&jitosctl(
        &daemon,
        &[
            "apply",
            "--view",
            "sws:0",
            "--add-node",
            "b",
            "--payload",
            "2",
        ],
    ));
    let as_of = |idx: &str| {
        stdout(&jitosctl(
            &daemon,
            &["graph", "--view", "sws:0", "--as-of", idx, "--digest"],
        ))
    };
    assert_eq!(as_of("0"), h0, "an SWS starts as System stood");
    assert_eq!(as_of("1").trim(), receipt["viewDigest"], "{applied}");
    let past = json(&daemon, &["graph", "--view", "sws:0", "--as-of", "1"]);
    assert_eq!(ids(&past["graph"]["nodes"]["nodes"]), [node_id("a", b"1")]);
    let rewrites = json(&daemon, &["rewrites", "--view", "sws:0", "--as-of", "1"]);
    assert_eq!(super::idxs(&rewrites["rewrites"]), ["0", "1"], "{rewrites}");
    daemon.stop();
}

/// Nodes `a`, `b`, `c` (payloads `1`, `2`, `3`) and edges `a -x-> b`, `b -y-> c` in sws:0.
struct Abc {
    a: String,
    b: String,
    c: String,
    ab: String,
    bc: String,
}

fn seed_abc(daemon: &Daemon) -> Abc {
    stdout(&jitosctl(daemon, &["sws", "create"]));
    let abc = Abc {
        a: node_id("a", b"1"),
        b: node_id("b", b"2"),
        c: node_id("c", b"3"),
        ab: edge_id(("a", b"1"), ("b", b"2"), "x"),
        bc: edge_id(("b", b"2"), ("c", b"3"), "y"),
    };
    let Abc { a, b, c, .. } = &abc;
    let args = format!(
        "apply --view sws:0 --add-node a --payload 1 --add-node b --payload 2 \
         --add-node c --payload 3 --add-edge {a} {b} x --add-edge {b} {c} y"
    );
    let args: Vec<&str> = args.split_whitespace().collect();
    stdout(&jitosctl(daemon, &args));
    abc
}

#[test]
fn graph_filters_restrict_nodes_and_edges() {
    let daemon = Daemon::start();
    let Abc { a, b, c, ab, bc } = seed_abc(&daemon);
    let graph = |args: &[&str]| {
        let mut all = vec!["graph", "--view", "sws:0"];
        all.extend_from_slice(args);
        json(&daemon, &all)["graph"].clone()
    };
    let nodes = |args: &[&str]| ids(&graph(args)["nodes"]["nodes"]);
    let edges = |args: &[&str]| ids(&graph(args)["edges"]["edges"]);
    assert_eq!(nodes(&["--kind", "a"]), [a.as_str()]);
    let mut a_and_c = vec![a.clone(), c.clone()];
    a_and_c.sort();
    assert_eq!(nodes(&["--kind", "a", "--kind", "c"]), a_and_c);
    assert_eq!(edges(&["--edge-kind", "x"]), [ab.as_str()]);
    assert_eq!(edges(&["--from", &b]), [bc.as_str()]);
    assert_eq!(edges(&["--to", &b]), [ab.as_str()]);
    assert_eq!(edges(&["--from", &a, "--edge-kind", "y"]).len(), 0);
    daemon.stop();
}

#[test]
fn node_and_edge_show_one_item_or_exit_3() {
    let daemon = Daemon::start();
    let Abc { a, b, ab, .. } = seed_abc(&daemon);
    let node = json(&daemon, &["node", "--view", "sws:0", &a]);
    assert_eq!(node["node"]["kind"], "a", "{node}");
    assert_eq!(node["node"]["payloadB64"], "MQ==", "{node}");
    let table = stdout(&jitosctl(&daemon, &["node", "--view", "sws:0", &a]));
    assert!(table.contains("payloadB64  MQ=="), "{table}");
    let edge = json(&daemon, &["edge", "--view", "sws:0", &ab]);
    assert_eq!(edge["edge"]["from"], a.as_str(), "{edge}");
    assert_eq!(edge["edge"]["to"], b.as_str(), "{edge}");
    assert_eq!(edge["edge"]["data"], Value::Null, "{edge}");

    assert_fails(
        &jitosctl(&daemon, &["node", "--view", "system", &a]),
        3,
        "NOT_FOUND",
    );
    let absent = jitosctl(&daemon, &["--json", "edge", "--view", "sws:0", &a]);
    assert_fails(&absent, 3, "NOT_FOUND");
    assert_eq!(
        String::from_utf8_lossy(&absent.stdout).trim(),
        r#"{"edge":null}"#
    );
    let bad = jitosctl(&daemon, &["node", "--view", "sws:0", "ABC"]);
    assert_fails(&bad, 2, "INVALID_INPUT");
    assert!(super::stderr(&bad).contains("(field: id)"), "{bad:?}");
    daemon.stop();
}
