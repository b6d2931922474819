//! `jitosctl` against the real daemon: tables for people, `--json` for scripts, and an exit
//! status that names the server's error code.
//!
//! # Invariants
//! - Each test starts its own daemon and stops it with SIGTERM.

use std::process::{Command, Output};

use serde_json::Value;

use crate::daemon::{Daemon, jitosctl_path};

fn jitosctl(daemon: &Daemon, args: &[&str]) -> Output {
    Command::new(jitosctl_path())
        .arg("--url")
        .arg(daemon.url("/graphql"))
        .args(args)
        .output()
        .expect("running jitosctl")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

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
    let payload = std::env::temp_dir().join(format!("jitosctl-payload-{}", std::process::id()));
    std::fs::write(&payload, b"hello").expect("a temp file");
    let path = payload.to_string_lossy().into_owned();
    let applied = stdout(&jitosctl(
        &daemon,
        &[
            "apply",
            "--view",
            "sws:0",
            "--add-node",
            "demo",
            "--payload-file",
            &path,
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
    assert!(
        table.contains(&jitos_core::node_id("demo", b"hello").to_string()),
        "{table}"
    );
    let rewrites: Value = serde_json::from_str(&stdout(&jitosctl(
        &daemon,
        &["--json", "rewrites", "--view", "sws:0"],
    )))
    .expect("JSON");
    let idxs: Vec<&str> = rewrites["rewrites"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|e| e["idx"].as_str())
        .collect();
    assert_eq!(idxs, ["0", "1"]);
    assert!(stdout(&jitosctl(&daemon, &["sws", "list"])).contains("ACTIVE"));
    assert!(
        stdout(&jitosctl(
            &daemon,
            &["sws", "discard", "0", "--reason", "done"]
        ))
        .contains("true")
    );
    error_statuses(&daemon);
    let _ = std::fs::remove_file(&payload);
    daemon.stop();
}

/// The exit status names the server's error code (SWS 0 is discarded by now).
fn error_statuses(daemon: &Daemon) {
    let conflict = jitosctl(daemon, &["apply", "--view", "sws:0", "--add-node", "demo"]);
    assert_eq!(conflict.status.code(), Some(5), "{conflict:?}");
    assert!(
        String::from_utf8_lossy(&conflict.stderr).contains("CONFLICT"),
        "{conflict:?}"
    );
    let missing = jitosctl(daemon, &["graph", "--view", "sws:9", "--digest"]);
    assert_eq!(missing.status.code(), Some(3), "{missing:?}");
    let system = jitosctl(daemon, &["apply", "--view", "system", "--add-node", "demo"]);
    assert_eq!(system.status.code(), Some(2), "{system:?}");
}

#[test]
fn an_unreachable_daemon_is_exit_status_1() {
    let output = Command::new(jitosctl_path())
        .args(["--url", "http://127.0.0.1:9/graphql", "sws", "list"])
        .output()
        .expect("running jitosctl");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
}
