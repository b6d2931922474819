//! `diff`: two moments of one SWS built with `apply`, compared live, as of an event and pinned
//! to a snapshot; the `+`/`-` lines for people, the whole diff as JSON, and exit status 3 for a
//! view that does not exist.
//!
//! # Invariants
//! - Every expectation is derived from content-addressed ids computed here, never read back
//!   from the daemon under test.

use serde_json::Value;

use super::{Daemon, assert_fails, edge_id, jitosctl, json, node_id, stdout};

/// `(change, id)` of every item of a JSON list of changes, `item` naming the item's key.
fn changes(list: &Value, item: &str) -> Vec<(String, String)> {
    list.as_array()
        .expect("a list of changes")
        .iter()
        .map(|change| {
            let kind = change["change"].as_str().expect("a change kind");
            let id = change[item]["id"].as_str().expect("an id");
            (kind.to_owned(), id.to_owned())
        })
        .collect()
}

/// `(change, id)` pairs sorted by id, as the server lists them.
fn by_id(mut pairs: Vec<(&str, &str)>) -> Vec<(String, String)> {
    pairs.sort_by_key(|pair| pair.1);
    let owned = pairs.into_iter();
    owned.map(|(c, id)| (c.to_owned(), id.to_owned())).collect()
}

/// Nodes `a`, `b`, `c` (payloads `1`, `2`, `3`) and edge `b -y-> c`, as hex ids.
struct Abc {
    a: String,
    b: String,
    c: String,
    bc: String,
}

/// sws:0 where event 1 adds a and b, and event 2 removes a and adds c and b -> c.
fn seed(daemon: &Daemon) -> Abc {
    stdout(&jitosctl(daemon, &["sws", "create"]));
    let abc = Abc {
        a: node_id("a", b"1"),
        b: node_id("b", b"2"),
        c: node_id("c", b"3"),
        bc: edge_id(("b", b"2"), ("c", b"3"), "y"),
    };
    let Abc { a, b, c, .. } = &abc;
    let first = "apply --view sws:0 --add-node a --payload 1 --add-node b --payload 2";
    let second = format!(
        "apply --view sws:0 --remove-node {a} --add-node c --payload 3 --add-edge {b} {c} y"
    );
    for args in [first, &second] {
        stdout(&jitosctl(
            daemon,
            &args.split_whitespace().collect::<Vec<_>>(),
        ));
    }
    abc
}

/// `diff` from sws:0 as of event 1 to the live sws:0.
const AFTER_ONE: [&str; 7] = [
    "diff",
    "--from",
    "sws:0",
    "--from-as-of",
    "1",
    "--to",
    "sws:0",
];

#[test]
fn diff_lists_what_changed_between_two_moments() {
    let daemon = Daemon::start();
    let abc = seed(&daemon);
    let Abc { a, b, c, bc } = &abc;

    let text = stdout(&jitosctl(&daemon, &AFTER_ONE));
    let mut expected: Vec<String> = by_id(vec![("-", a), ("+", c)])
        .into_iter()
        .map(|(sign, id)| {
            let kind = if id == *a { "a" } else { "c" };
            format!("{sign} node {id} {kind}")
        })
        .collect();
    expected.push(format!("+ edge {bc} {b} -> {c} y"));
    expected.push("nodes: 1 added, 1 removed; edges: 1 added, 0 removed".to_owned());
    assert_eq!(text.lines().collect::<Vec<_>>(), expected, "{text}");

    check_json_and_pins(&daemon, &abc);
    check_against_system(&daemon, &abc);
    daemon.stop();
}

/// The JSON of [`AFTER_ONE`]: every change with its item, both snapshot ids; and the same
/// changes with `from` pinned to its snapshot id.
fn check_json_and_pins(daemon: &Daemon, Abc { a, c, bc, .. }: &Abc) {
    let diff = json(daemon, &AFTER_ONE)["diff"].clone();
    assert_eq!(
        changes(&diff["nodes"]["changes"], "node"),
        by_id(vec![("REMOVED", a), ("ADDED", c)]),
        "{diff}"
    );
    assert_eq!(
        changes(&diff["edges"]["changes"], "edge"),
        by_id(vec![("ADDED", bc)]),
        "{diff}"
    );
    let removed = diff["nodes"]["changes"]
        .as_array()
        .and_then(|list| list.iter().find(|change| change["change"] == "REMOVED"))
        .expect("a removed node");
    assert_eq!(removed["node"]["payloadB64"], "MQ==", "as `from` has it");
    assert_eq!(diff["from"]["swsId"], "0", "{diff}");
    assert_eq!(diff["nodes"]["pageInfo"]["hasNextPage"], false, "{diff}");
    let digest = |args: &[&str]| stdout(&jitosctl(daemon, args)).trim().to_owned();
    let from_digest = digest(&["graph", "--view", "sws:0", "--as-of", "1", "--digest"]);
    assert_eq!(diff["fromSnapshotId"], from_digest.as_str(), "{diff}");
    let to_digest = digest(&["graph", "--view", "sws:0", "--digest"]);
    assert_eq!(diff["toSnapshotId"], to_digest.as_str(), "{diff}");

    let pinned = [
        "diff",
        "--from",
        "sws:0",
        "--from-snapshot",
        &from_digest,
        "--to",
        "sws:0",
    ];
    let pinned = json(daemon, &pinned)["diff"].clone();
    assert_eq!(pinned["nodes"], diff["nodes"]);
    assert_eq!(pinned["edges"], diff["edges"]);
}

/// System is empty: from it sws:0 only adds, the other way round it only removes, and a view
/// against itself has no change.
fn check_against_system(daemon: &Daemon, Abc { b, c, bc, .. }: &Abc) {
    let added = json(daemon, &["diff", "--from", "system", "--to", "sws:0"])["diff"].clone();
    assert_eq!(
        changes(&added["nodes"]["changes"], "node"),
        by_id(vec![("ADDED", b), ("ADDED", c)])
    );
    let back = stdout(&jitosctl(
        daemon,
        &["diff", "--from", "sws:0", "--to", "system"],
    ));
    assert!(
        back.contains(&format!("- edge {bc} {b} -> {c} y")),
        "{back}"
    );
    assert!(
        back.ends_with("nodes: 0 added, 2 removed; edges: 0 added, 1 removed\n"),
        "{back}"
    );
    let same = stdout(&jitosctl(
        daemon,
        &["diff", "--from", "sws:0", "--to", "sws:0"],
    ));
    assert_eq!(
        same,
        "nodes: 0 added, 0 removed; edges: 0 added, 0 removed\n"
    );
}

#[test]
fn diff_of_an_unknown_view_exits_3_naming_the_argument() {
    let daemon = Daemon::start();
    stdout(&jitosctl(&daemon, &["sws", "create"]));
    let unknown = jitosctl(&daemon, &["diff", "--from", "sws:0", "--to", "sws:9"]);
    assert_fails(&unknown, 3, "NOT_FOUND");
    assert!(super::stderr(&unknown).contains("to.swsId"), "{unknown:?}");
    assert!(unknown.stdout.is_empty(), "{unknown:?}");
    let future = jitosctl(
        &daemon,
        &[
            "diff",
            "--from",
            "system",
            "--from-as-of",
            "99",
            "--to",
            "sws:0",
        ],
    );
    assert_fails(&future, 3, "from.asOf");
    let usage = jitosctl(&daemon, &["diff", "--from", "system"]);
    assert_eq!(usage.status.code(), Some(2), "{usage:?}");
    daemon.stop();
}
