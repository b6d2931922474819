//! The M1 walkthrough, `info`, the `sws` commands with idempotency keys, help and completions,
//! and the exit status of each error code the server can be made to answer.

use super::{Daemon, TempDir, assert_fails, idxs, jitosctl, json, node_id, stdout};
use crate::daemon::jitosctl_path;

#[test]
fn the_m1_commands_work_and_errors_set_the_exit_status() {
    let daemon = Daemon::start();
    let h0 = stdout(&jitosctl(
        &daemon,
        &["graph", "--view", "system", "--digest"],
    ));
    assert_eq!(h0.trim().len(), 64, "{h0}");
    assert_eq!(
        stdout(&jitosctl(&daemon, &["sws", "create"])).trim(),
        "created sws:0 (ACTIVE)"
    );
    let dir = TempDir::new("m1");
    let payload = dir.file("payload", b"hello");
    let applied = stdout(&jitosctl(
        &daemon,
        &[
            "apply",
            "--view",
            "sws:0",
            "--add-node",
            "demo",
            "--payload-file",
            &payload,
        ],
    ));
    assert!(applied.contains("rewriteIdx: 1"), "{applied}");
    let sws_digest = stdout(&jitosctl(
        &daemon,
        &["graph", "--view", "sws:0", "--digest"],
    ));
    assert!(
        applied.contains(sws_digest.trim()),
        "{applied} vs {sws_digest}"
    );
    assert_ne!(sws_digest, h0);
    let table = stdout(&jitosctl(&daemon, &["graph", "--view", "sws:0"]));
    assert!(table.contains(&node_id("demo", b"hello")), "{table}");
    let rewrites = json(&daemon, &["rewrites", "--view", "sws:0"]);
    assert_eq!(idxs(&rewrites["rewrites"]), ["0", "1"]);
    assert!(stdout(&jitosctl(&daemon, &["sws", "list"])).contains("ACTIVE"));
    assert!(
        stdout(&jitosctl(
            &daemon,
            &["sws", "discard", "0", "--reason", "done"]
        ))
        .contains("true")
    );
    error_statuses(&daemon);
    daemon.stop();
}

/// The exit status names the server's error code (SWS 0 is discarded by now), and stderr
/// carries the server's message and field.
fn error_statuses(daemon: &Daemon) {
    let conflict = jitosctl(daemon, &["apply", "--view", "sws:0", "--add-node", "demo"]);
    assert_fails(&conflict, 5, "CONFLICT");
    let missing = jitosctl(daemon, &["graph", "--view", "sws:9", "--digest"]);
    assert_fails(&missing, 3, "NOT_FOUND");
    let system = jitosctl(daemon, &["apply", "--view", "system", "--add-node", "demo"]);
    assert_fails(&system, 2, "INVALID_INPUT");
    assert!(
        super::stderr(&system).contains("(field: view"),
        "{system:?}"
    );
    let too_many = jitosctl(daemon, &["events", "--first", "1001"]);
    assert_fails(&too_many, 6, "LIMIT_EXCEEDED");
    let zero = jitosctl(daemon, &["events", "--first", "0"]);
    assert_fails(&zero, 2, "INVALID_INPUT");
    let collapse = jitosctl(daemon, &["sws", "collapse", "0"]);
    assert_fails(&collapse, 5, "CONFLICT");
    assert!(
        super::stderr(&collapse).contains("input.swsId"),
        "sws:0 is discarded: {collapse:?}"
    );
}

#[test]
fn an_unreachable_daemon_is_exit_status_1() {
    let output = std::process::Command::new(jitosctl_path())
        .args(["--url", "http://127.0.0.1:9/graphql", "sws", "list"])
        .output()
        .expect("running jitosctl");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("transport"),
        "{output:?}"
    );
}

#[test]
fn info_and_the_sws_commands_with_idempotency_keys() {
    let daemon = Daemon::start();
    let info = json(&daemon, &["info"]);
    assert_eq!(info["kernelInfo"]["eventCount"], "0", "{info}");
    assert_eq!(info["kernelInfo"]["commitStatus"], "COMMITTED", "{info}");
    let storage = &info["kernelInfo"]["storage"];
    assert_eq!(storage["mode"], "IN_MEMORY", "{info}");
    assert_eq!(storage["fsync"], serde_json::Value::Null, "{info}");
    let table = jitosctl(&daemon, &["info"]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("storage") && table.contains("IN_MEMORY"),
        "{table}"
    );

    let create = [
        "sws",
        "create",
        "--meta",
        r#"{"who":"e2e"}"#,
        "--idempotency-key",
        "k1",
    ];
    let first = json(&daemon, &create);
    let again = json(&daemon, &create);
    assert_eq!(first, again, "a retry returns the original payload");
    assert_eq!(first["createSws"]["sws"]["id"], "0", "{first}");
    let info = json(&daemon, &["info"]);
    assert_eq!(
        info["kernelInfo"]["eventCount"], "1",
        "the retry appended nothing"
    );
    let other = jitosctl(&daemon, &["sws", "create", "--idempotency-key", "k1"]);
    assert_fails(&other, 5, "CONFLICT");

    let got = json(&daemon, &["sws", "get", "0"]);
    assert_eq!(got["sws"]["state"], "ACTIVE", "{got}");
    assert_eq!(
        got["sws"]["meta"],
        serde_json::json!({"who": "e2e"}),
        "{got}"
    );
    let table = stdout(&jitosctl(&daemon, &["sws", "get", "0"]));
    assert!(table.contains("ACTIVE"), "{table}");
    assert_fails(&jitosctl(&daemon, &["sws", "get", "7"]), 3, "NOT_FOUND");
    assert_eq!(
        super::stderr(&jitosctl(&daemon, &["sws", "get", "7"])).trim(),
        "error: NOT_FOUND: no sws:7"
    );

    let discard = ["sws", "discard", "0", "--idempotency-key", "d1"];
    assert_eq!(json(&daemon, &discard)["discardSws"]["discarded"], true);
    assert_eq!(json(&daemon, &discard)["discardSws"]["discarded"], true);
    let list = json(&daemon, &["sws", "list"]);
    assert_eq!(list["listSws"][0]["state"], "DISCARDED", "{list}");
    assert_eq!(json(&daemon, &["info"])["kernelInfo"]["eventCount"], "2");
    daemon.stop();
}

#[test]
fn help_and_completions_serve_a_newcomer() {
    let run = |args: &[&str]| {
        let output = std::process::Command::new(jitosctl_path())
            .args(args)
            .output()
            .expect("running jitosctl");
        stdout(&output)
    };
    let help = run(&["--help"]);
    for needle in [
        "Examples",
        "jitosctl sws create",
        "watch",
        "Exit status",
        "JITOS_URL",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}: {help}");
    }
    let apply_help = run(&["apply", "--help"]);
    assert!(
        apply_help.contains("--add-edge <FROM> <TO> <KIND>"),
        "{apply_help}"
    );
    assert!(apply_help.contains("--idempotency-key"), "{apply_help}");
    let bash = run(&["completions", "bash"]);
    assert!(
        bash.contains("_jitosctl") && bash.contains("--ops-file"),
        "{bash}"
    );
    let zsh = run(&["completions", "zsh"]);
    assert!(zsh.contains("#compdef jitosctl"), "{zsh}");
    let fish = run(&["completions", "fish"]);
    assert!(fish.contains("complete -c jitosctl"), "{fish}");
}
