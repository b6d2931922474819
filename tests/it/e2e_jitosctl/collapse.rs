//! `collapse`, `rebase` and `discard --reason` (and their `sws ...` forms) against the real
//! daemon: a committed collapse exits 0; an aborted collapse or a refused rebase exits 9 and
//! prints its receipt with one `!` line per conflict; the listings show each merge's outcome
//! and each discard's reason.
//!
//! # Invariants
//! - Every expected id is computed here from the content, never read back from the daemon.

use std::process::Output;

use serde_json::Value;

use super::{Daemon, edge_id, jitosctl, json, node_id, stderr, stdout};

/// The stdout of a run that must exit 9 (answered, not committed).
fn not_committed(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(9), "{output:?}");
    assert!(stderr(output).contains("not committed"), "{output:?}");
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

/// Runs each whitespace-separated command line of `lines`, each of which must succeed.
fn run_all(daemon: &Daemon, lines: &[&str]) {
    for line in lines {
        stdout(&jitosctl(
            daemon,
            &line.split_whitespace().collect::<Vec<_>>(),
        ));
    }
}

/// System holds node `(a, "1")`; sws:1 adds `(b, "2")` and `a -> b`, while sws:2 removed the
/// `a` node and was collapsed. Returns the ids of `a` and of the edge.
fn edge_end_removed(daemon: &Daemon) -> (String, String) {
    let a = node_id("a", b"1");
    let b = node_id("b", b"2");
    let ab = edge_id(("a", b"1"), ("b", b"2"), "link");
    run_all(
        daemon,
        &["sws create", "apply --view sws:0 --add-node a --payload 1"],
    );
    let committed = stdout(&jitosctl(daemon, &["collapse", "0"]));
    let first = committed.lines().next().unwrap_or_default();
    assert_eq!(first, "collapse of sws:0 committed", "{committed}");
    assert!(
        committed.contains("  nodes     1 added, 0 removed"),
        "{committed}"
    );
    assert!(!committed.contains('!'), "{committed}");
    let add = format!("apply --view sws:1 --add-node b --payload 2 --add-edge {a} {b} link");
    let remove = format!("apply --view sws:2 --remove-node {a}");
    run_all(daemon, &["sws create", "sws create", &add, &remove]);
    stdout(&jitosctl(daemon, &["collapse", "sws:2"]));
    (a, ab)
}

#[test]
fn an_aborted_collapse_and_a_refused_rebase_exit_9_listing_their_conflicts() {
    let daemon = Daemon::start();
    let (a, ab) = edge_end_removed(&daemon);
    let bang = format!("! EDGE_END_REMOVED edge {ab} (overlay ADDED) vs node {a} (system REMOVED)");

    let aborted = not_committed(&jitosctl(&daemon, &["collapse", "1"]));
    let lines: Vec<&str> = aborted.lines().collect();
    assert_eq!(
        lines[0], "collapse of sws:1 aborted: 1 conflict",
        "{aborted}"
    );
    assert_eq!(lines.last(), Some(&bang.as_str()), "{aborted}");
    assert!(aborted.contains("  event     8\n"), "{aborted}");
    let info = json(&daemon, &["info"]);
    assert_eq!(info["kernelInfo"]["commitStatus"], "ABORTED", "{info}");

    // --json prints the whole payload, and the status still tells.
    let output = jitosctl(&daemon, &["--json", "sws", "collapse", "1"]);
    let text = not_committed(&output);
    assert_eq!(text.lines().count(), 1, "{text}");
    let payload: Value = serde_json::from_str(&text).expect("JSON");
    let payload = &payload["collapseSws"];
    assert_eq!(payload["committed"], false, "{payload}");
    let conflict = &payload["collapseReceipt"]["conflicts"][0];
    assert_eq!(conflict["id"], ab.as_str(), "{payload}");
    assert_eq!(conflict["systemId"], a.as_str(), "{payload}");
    assert_eq!(conflict["kind"], "EDGE_END_REMOVED", "{payload}");

    let refused = not_committed(&jitosctl(&daemon, &["rebase", "1"]));
    let lines: Vec<&str> = refused.lines().collect();
    assert_eq!(lines[0], "rebase of sws:1 refused: 1 conflict", "{refused}");
    assert_eq!(lines.last(), Some(&bang.as_str()), "{refused}");
    assert!(
        !refused.contains("  system "),
        "a rebase leaves System out: {refused}"
    );

    resolve_rebase_and_collapse(&daemon, &ab);
    daemon.stop();
}

/// Removes edge `ab` from sws:1, then rebases and collapses it: all commit, exit 0; the
/// listing of System shows every merge's outcome.
fn resolve_rebase_and_collapse(daemon: &Daemon, ab: &str) {
    stdout(&jitosctl(
        daemon,
        &["apply", "--view", "sws:1", "--remove-edge", ab],
    ));
    let rebased = stdout(&jitosctl(daemon, &["sws", "rebase", "1"]));
    assert!(
        rebased.starts_with("rebase of sws:1 committed\n"),
        "{rebased}"
    );
    let collapsed = stdout(&jitosctl(
        daemon,
        &["collapse", "1", "--idempotency-key", "k"],
    ));
    assert!(
        collapsed.starts_with("collapse of sws:1 committed\n"),
        "{collapsed}"
    );
    let system = stdout(&jitosctl(
        daemon,
        &["graph", "--view", "system", "--digest"],
    ));
    assert!(
        collapsed.contains(&format!("  system    {}", system.trim())),
        "{collapsed} vs {system}"
    );
    assert_eq!(
        stdout(&jitosctl(
            daemon,
            &["collapse", "1", "--idempotency-key", "k"]
        )),
        collapsed,
        "a retry prints the same receipt"
    );

    let listing = stdout(&jitosctl(daemon, &["rewrites", "--view", "system"]));
    let merges: Vec<&str> = listing
        .lines()
        .filter(|line| line.contains("COLLAPSE") || line.contains("REBASE"))
        .collect();
    assert_eq!(merges.len(), 7, "{listing}");
    for (line, outcome) in merges.iter().zip([
        "committed",
        "committed",
        "aborted: 1 conflict",
        "aborted: 1 conflict",
        "refused: 1 conflict",
        "committed",
        "committed",
    ]) {
        assert!(line.contains(outcome), "{line} lacks {outcome}\n{listing}");
    }
}

#[test]
fn discard_records_its_reason_and_the_listings_show_it() {
    let daemon = Daemon::start();
    run_all(&daemon, &["sws create", "sws create"]);
    let discarded = stdout(&jitosctl(
        &daemon,
        &["discard", "sws:1", "--reason", "superseded by sws:0"],
    ));
    assert_eq!(discarded.trim(), "discarded: true");
    stdout(&jitosctl(&daemon, &["sws", "discard", "0"]));
    let listing = stdout(&jitosctl(&daemon, &["rewrites", "--view", "sws:1"]));
    let discard = listing
        .lines()
        .find(|line| line.contains("DISCARD"))
        .unwrap_or_else(|| panic!("no DISCARD in {listing}"));
    assert!(discard.contains("reason: superseded by sws:0"), "{listing}");
    let events = json(&daemon, &["events"])["events"].clone();
    let reasons: Vec<Value> = events
        .as_array()
        .expect("a list of events")
        .iter()
        .filter(|event| event["kind"] == "DISCARD")
        .map(|event| event["reason"].clone())
        .collect();
    assert_eq!(reasons, [Value::from("superseded by sws:0"), Value::Null]);
    // Neither a discarded SWS's collapse nor its rebase is an answer: CONFLICT, exit 5.
    for command in ["collapse", "rebase"] {
        let output = jitosctl(&daemon, &[command, "1"]);
        super::assert_fails(&output, 5, "CONFLICT");
    }
    daemon.stop();
}
