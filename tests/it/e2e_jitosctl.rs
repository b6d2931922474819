//! `jitosctl` against the real daemon: every command, tables for people, `--json` for scripts,
//! `watch` following a subscription, and an exit status that names the server's error code (or,
//! 9, a collapse or rebase answered but not committed).
//!
//! The helpers live here; the tests are split by area into `e2e_jitosctl/*.rs`.
//!
//! # Invariants
//! - Each test starts its own daemon and stops it with SIGTERM.
//! - Every wait for a `watch` line is bounded by [`LINE_TIMEOUT`].
//! - Temporary files live in a directory of the test's own, removed when the test ends.

mod apply;
mod basics;
mod collapse;
mod diff;
mod graph;
mod watch;

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, sync_channel};
use std::time::Duration;

use serde_json::Value;

use crate::daemon::{Daemon, jitosctl_path};

/// Longest wait for one line of a running `jitosctl watch`.
const LINE_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `jitosctl --url <daemon> ARGS`.
fn jitosctl(daemon: &Daemon, args: &[&str]) -> Output {
    Command::new(jitosctl_path())
        .arg("--url")
        .arg(daemon.url("/graphql"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running jitosctl")
}

/// Runs `jitosctl` with `stdin` as its standard input.
fn jitosctl_with_stdin(daemon: &Daemon, args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(jitosctl_path())
        .arg("--url")
        .arg(daemon.url("/graphql"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning jitosctl");
    let mut input = child.stdin.take().expect("a piped stdin");
    input.write_all(stdin).expect("writing jitosctl's stdin");
    drop(input);
    child.wait_with_output().expect("waiting for jitosctl")
}

/// The stdout of a successful run.
fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

/// The stderr of a run, lossily.
fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `jitosctl --json ARGS`, which must succeed, and parses its one line.
fn json(daemon: &Daemon, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let text = stdout(&jitosctl(daemon, &all));
    assert_eq!(text.lines().count(), 1, "--json prints one line: {text}");
    serde_json::from_str(&text).expect("JSON")
}

/// Asserts that `output` failed with exit `status` and that stderr names `code`.
fn assert_fails(output: &Output, status: i32, code: &str) {
    assert_eq!(output.status.code(), Some(status), "{output:?}");
    assert!(stderr(output).contains(code), "{output:?}");
}

/// The id of node `(kind, payload)`, as hex.
fn node_id(kind: &str, payload: &[u8]) -> String {
    jitos_core::node_id(kind, payload).to_string()
}

/// The id of edge `from -> to` of `kind` without payload, as hex.
fn edge_id(from: (&str, &[u8]), to: (&str, &[u8]), kind: &str) -> String {
    let from = jitos_core::node_id(from.0, from.1);
    let to = jitos_core::node_id(to.0, to.1);
    jitos_core::edge_id(&from, &to, kind, None).to_string()
}

/// The `idx` strings of a JSON list of events.
fn idxs(events: &Value) -> Vec<String> {
    events
        .as_array()
        .expect("a list of events")
        .iter()
        .map(|event| event["idx"].as_str().expect("an idx").to_owned())
        .collect()
}

/// A directory of one test's files, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("jitosctl-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        TempDir(dir)
    }

    /// Writes `bytes` to `name` in the directory and returns its path as a string.
    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("a temp file");
        path.to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `jitosctl watch ...` whose stdout lines arrive on a channel; killed on drop.
struct Watch {
    child: Child,
    lines: Receiver<String>,
}

impl Watch {
    fn start(daemon: &Daemon, args: &[&str]) -> Watch {
        let mut child = Command::new(jitosctl_path())
            .arg("--url")
            .arg(daemon.url("/graphql"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning jitosctl watch");
        let stdout = child.stdout.take().expect("a piped stdout");
        let (line_tx, lines) = sync_channel(1024);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line_tx.send(line).is_err() {
                    return;
                }
            }
        });
        Watch { child, lines }
    }

    /// The next line, waiting at most [`LINE_TIMEOUT`].
    fn line(&self) -> String {
        self.lines
            .recv_timeout(LINE_TIMEOUT)
            .unwrap_or_else(|error| panic!("no watch line within {LINE_TIMEOUT:?}: {error}"))
    }

    /// The next line, as JSON.
    fn json_line(&self) -> Value {
        serde_json::from_str(&self.line()).expect("a JSON line")
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
