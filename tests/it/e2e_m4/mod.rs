//! Milestone M4 over the real daemon: a durable `jitosd` keeps its history across restarts,
//! crashes (SIGKILL), torn and corrupted logs, a failing fsync and a full disk. One file per
//! area; what they share lives here: the script of M1–M3 requests they write, the byte layout
//! of the WAL (`docs/spec/wal.md`) to find record boundaries, data-directory copies, the digests
//! of every view, and a seeded random generator.
//!
//! # Invariants
//! - Every daemon here persists to its own temporary directory, removed after the test.
//! - Expectations come from what the daemon answered before the restart, crash or damage (its
//!   receipts, its events, its `asOf` reads), or from the WAL's documented byte layout, never
//!   from constants copied out of a run.
//! - Random choices come from fixed seeds ([`SplitMix64`]); only the timing of a kill varies
//!   with the machine.

mod corrupt;
mod disk_full;
mod eio;
mod kill9;
mod restart;
mod truncate;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

use serde_json::{Value, json};

use crate::daemon::Daemon;
use crate::e2e_kernel::data;
pub(crate) use crate::e2e_m2::SplitMix64;
use crate::e2e_m2::{
    Receipt, add_edge, add_node, apply_body, call, edge_id, list, node_id, remove_edge,
    remove_node, text, u64_of,
};
use crate::e2e_m3::{COLLAPSE, DISCARD, EVENT_FIELDS, REBASE, add_demo};

/// The one segment the short logs here fill: the first record has idx 0.
const SEGMENT_0: &str = "00000000000000000000.wal";
/// Bytes of a segment's file header (magic, version, reserved).
const SEGMENT_HEADER_BYTES: u64 = 16;
/// Bytes of a record before its body.
const RECORD_HEADER_BYTES: u64 = 128;
/// Bytes of a record after its body (the record hash).
const RECORD_HASH_BYTES: u64 = 32;

/// Longest wait for one answer of a daemon that may be going away.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for a daemon whose log failed to exit.
const EXIT_TIMEOUT: Duration = Duration::from_secs(15);
/// Interval between two writes to a daemon whose log failed.
const EXIT_POLL: Duration = Duration::from_millis(50);

/// `createSws`, every field of its payload.
const CREATE: &str = "mutation Create($input: CreateSwsInput) {
    createSws(input: $input) { sws { id parentSnapshotId createdAt state meta } } }";

/// `graph(view)` with every field, every node and every edge of a small view.
const GRAPH: &str = "query Graph($view: ViewRefInput!) { graph(view: $view,
    nodesPage: {first: 1000}, edgesPage: {first: 1000}) {
        view { kind swsId snapshotId } digest commitDigest snapshotId
        nodes { nodes { id kind data payloadB64 createdAt } pageInfo { endCursor hasNextPage } }
        edges { edges { id kind from to data createdAt } pageInfo { endCursor hasNextPage } } } }";

/// `graph(view) { digest commitDigest }`.
const DIGESTS: &str =
    "query Digests($view: ViewRefInput!) { graph(view: $view) { digest commitDigest } }";

/// The id of node `demo(i)`.
fn demo(i: u8) -> jitos_core::Hash {
    node_id("demo", &[i])
}

/// The id of edge `demo(from) -> demo(to)` of kind `link`.
fn link(from: u8, to: u8) -> jitos_core::Hash {
    edge_id(&demo(from), &demo(to), "link", None)
}

/// The op that adds edge `link(from, to)`.
fn add_link(from: u8, to: u8) -> Value {
    add_edge(&demo(from), &demo(to), "link", None)
}

/// A `createSws` request with `input` (null for none).
fn create_body(input: &Value) -> Value {
    json!({ "query": CREATE, "variables": { "input": input } })
}

/// A `collapseSws` request of SWS `sws`.
fn collapse_body(sws: u64) -> Value {
    json!({ "query": COLLAPSE, "variables": { "input": { "swsId": sws.to_string() } } })
}

/// A `rebaseSws` request with `input`.
fn rebase_body(input: &Value) -> Value {
    json!({ "query": REBASE, "variables": { "input": input } })
}

/// A `discardSws` request of SWS `sws` with `reason`.
fn discard_body(sws: u64, reason: &str) -> Value {
    let input = json!({ "swsId": sws.to_string(), "reason": reason });
    json!({ "query": DISCARD, "variables": { "input": input } })
}

/// The JSON `ViewRefInput` of System.
fn system_view() -> Value {
    json!({ "kind": "SYSTEM" })
}

/// The JSON `ViewRefInput` of SWS `sws`.
fn sws_view(sws: u64) -> Value {
    json!({ "kind": "SWS", "swsId": sws.to_string() })
}

/// The M1–M3 script every durability test writes: creates (with meta and an idempotency key),
/// rewrites with all four op kinds, a committed, an aborted and another committed collapse, a
/// refused and a committed (keyed) rebase, discards with reasons, and one refused write (no
/// event). 18 events; SWS ids 0 to 4. Each request has a label for failure messages.
fn script() -> Vec<(&'static str, Value)> {
    vec![
        (
            "create 0",
            create_body(&json!({ "meta": { "owner": "m4", "n": 1.5 } })),
        ),
        (
            "write 0",
            apply_body(0, &[add_demo(0), add_demo(1), add_link(0, 1)]),
        ),
        ("collapse 0", collapse_body(0)),
        ("create 1", create_body(&Value::Null)),
        ("create 2", create_body(&Value::Null)),
        ("write 1", apply_body(1, &[add_demo(2), add_link(0, 2)])),
        (
            "write 2",
            apply_body(2, &[remove_edge(&link(0, 1)), remove_node(&demo(0))]),
        ),
        ("collapse 2", collapse_body(2)),
        ("collapse 1 (aborts)", collapse_body(1)),
        ("rebase 1 (refused)", rebase_body(&json!({ "swsId": "1" }))),
        ("write to SWS 9 (refused)", apply_body(9, &[add_demo(9)])),
        ("resolve 1", apply_body(1, &[remove_edge(&link(0, 2))])),
        ("rebase 1", keyed_rebase()),
        ("create 3", create_body(&Value::Null)),
        ("write 3", apply_body(3, &[add_demo(3)])),
        ("discard 3", discard_body(3, "superseded by sws:1")),
        ("collapse 1", collapse_body(1)),
        ("create 4", keyed_create()),
        ("discard 4", discard_body(4, "abandoned before any write")),
    ]
}

/// The rebase of SWS 1 that [`script`] commits, under an idempotency key.
fn keyed_rebase() -> Value {
    rebase_body(&json!({ "swsId": "1", "idempotencyKey": "rebase-1", "meta": { "try": 2 } }))
}

/// The creation of SWS 4 that [`script`] makes, under an idempotency key.
fn keyed_create() -> Value {
    create_body(&json!({ "idempotencyKey": "create-4", "meta": [1, 2] }))
}

/// Events [`script`] appends.
const SCRIPT_EVENTS: u64 = 18;

/// Sends every request of `steps`; every response body, as raw text, with its label.
async fn run(daemon: &Daemon, steps: &[(&'static str, Value)]) -> Vec<(&'static str, String)> {
    let mut responses = Vec::new();
    for (label, body) in steps {
        responses.push((*label, crate::e2e_m2::post_raw(daemon, body).await));
    }
    responses
}

/// Checks that two runs of labelled responses agree byte for byte, naming the first that
/// differs.
fn assert_same_answers(expected: &[(impl AsRef<str>, String)], got: &[(impl AsRef<str>, String)]) {
    assert_eq!(expected.len(), got.len(), "not the same number of answers");
    for ((label, one), (other_label, other)) in expected.iter().zip(got) {
        assert_eq!(label.as_ref(), other_label.as_ref());
        assert_eq!(one, other, "{} differs", label.as_ref());
    }
}

/// `graph(view)`'s `{ digest commitDigest }`, or `None` when the view does not exist (the
/// daemon answers `NOT_FOUND`, at whatever field).
async fn digests_of(daemon: &Daemon, view: &Value) -> Option<Value> {
    let response = call(daemon, DIGESTS, &json!({ "view": view })).await;
    match response.get("errors") {
        None => Some(response["data"]["graph"].clone()),
        Some(errors) => {
            assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND", "{response}");
            None
        }
    }
}

/// The digests of System and of SWS `0..n_sws` (null for one that does not exist), as the
/// live state has them, or as of event `as_of` when given.
async fn view_digests(daemon: &Daemon, n_sws: u64, as_of: Option<u64>) -> Value {
    let pin = |mut view: Value| {
        if let Some(idx) = as_of {
            view["asOf"] = json!(idx.to_string());
        }
        view
    };
    let mut digests = vec![json!(digests_of(daemon, &pin(system_view())).await)];
    for sws in 0..n_sws {
        digests.push(json!(digests_of(daemon, &pin(sws_view(sws))).await));
    }
    Value::Array(digests)
}

/// `kernelInfo { eventCount storage { ... } }`, every field of `storage`.
async fn storage(daemon: &Daemon) -> Value {
    let query = "{ kernelInfo { eventCount storage { mode fsync bootEventCount
        bootReplayedCount bootCheckpointIdx checkpointIdx
        bootCut { segment offset droppedBytes removedSegments wasCorrupt } } } }";
    data(daemon, query).await["kernelInfo"].clone()
}

/// The byte span of every record of a segment file, from the record headers' length fields
/// (`docs/spec/wal.md`); checks the file and record magics, that idx values run 0, 1, 2, ...
/// and that the records fill the file exactly, up to the zero padding the writer extends the
/// active segment with ("Preallocation" in `docs/spec/wal.md`).
fn record_spans(segment: &[u8]) -> Vec<Range<u64>> {
    assert!(segment.starts_with(b"JITOSWAL"), "no segment magic");
    let len = segment.len() as u64;
    let mut spans = Vec::new();
    let mut start = SEGMENT_HEADER_BYTES;
    while start < len {
        let rest = &segment[usize::try_from(start).expect("a small file")..];
        if rest.iter().all(|&byte| byte == 0) {
            break;
        }
        let at = usize::try_from(start).expect("a small file");
        let header = &segment[at..at + usize::try_from(RECORD_HEADER_BYTES).expect("128")];
        assert_eq!(&header[0..4], b"JWAL", "no record magic at byte {start}");
        let body_len = u32::from_le_bytes(header[8..12].try_into().expect("4 bytes"));
        let idx = u64::from_le_bytes(header[12..20].try_into().expect("8 bytes"));
        assert_eq!(idx, spans.len() as u64, "record at byte {start}");
        let end = start + RECORD_HEADER_BYTES + u64::from(body_len) + RECORD_HASH_BYTES;
        assert!(end <= len, "record {idx} runs past the end of the file");
        spans.push(start..end);
        start = end;
    }
    spans
}

/// The path of segment 0 of `data_dir`, checking that it is the log's only segment.
fn only_segment(data_dir: &Path) -> PathBuf {
    let wal_dir = data_dir.join("wal");
    let segments: Vec<String> = std::fs::read_dir(&wal_dir)
        .expect("reading the WAL directory")
        .map(|entry| entry.expect("a directory entry").file_name())
        .filter_map(|name| name.into_string().ok())
        .filter(|name| name.ends_with(".wal"))
        .collect();
    assert_eq!(segments, [SEGMENT_0], "one segment");
    wal_dir.join(SEGMENT_0)
}

/// Copies the data directory `from` into `to` (created), every file but the lock, as a backup
/// tool would copy a stopped daemon's directory.
fn copy_data_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creating the copy");
    for entry in std::fs::read_dir(from).expect("reading the data directory") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_data_dir(&entry.path(), &target);
        } else if entry.file_name() != "LOCK" {
            std::fs::copy(entry.path(), &target).expect("copying a file");
        }
    }
}

/// What a script run left: its data directory and, for each prefix of its log, the digests
/// the daemon answered for it.
struct Recorded {
    /// The stopped daemon's data directory.
    dir: tempfile::TempDir,
    /// `prefixes[k]`: [`view_digests`] of SWS `0..n_sws` right after the first `k` events
    /// (`k = 0..=n_events`): for `k = 0` read before the first write, else `asOf k - 1`.
    prefixes: Vec<Value>,
    /// SWSs the script created.
    n_sws: u64,
    /// The byte span of every record of segment 0.
    spans: Vec<Range<u64>>,
}

/// Runs [`script`] on a fresh durable daemon started with `args`, records the digests of
/// every prefix, stops it.
async fn record_script(args: &[&str]) -> Recorded {
    let dir = tempfile::tempdir().expect("a temp dir");
    let daemon = Daemon::start_durable(dir.path(), args);
    let n_sws = 5;
    let mut prefixes = vec![view_digests(&daemon, n_sws, None).await];
    run(&daemon, &script()).await;
    let n_events = crate::e2e_m2::event_count(&daemon).await;
    assert_eq!(n_events, SCRIPT_EVENTS);
    let listed = data(&daemon, "{ listSws { id } }").await;
    assert_eq!(list(&listed["listSws"]).len() as u64, n_sws, "{listed}");
    for idx in 0..n_events {
        prefixes.push(view_digests(&daemon, n_sws, Some(idx)).await);
    }
    assert_eq!(
        prefixes[prefixes.len() - 1],
        view_digests(&daemon, n_sws, None).await
    );
    daemon.stop();
    let segment = std::fs::read(only_segment(dir.path())).expect("reading segment 0");
    let spans = record_spans(&segment);
    assert_eq!(spans.len() as u64, n_events);
    Recorded {
        dir,
        prefixes,
        n_sws,
        spans,
    }
}

/// What one write got.
#[derive(Debug)]
enum Written {
    /// An accepted `applyRewrite`'s receipt.
    Acked(Receipt),
    /// The answer's first error.
    Refused(Value),
    /// No answer: no connection, or one cut off.
    Gone,
}

/// Sends the `applyRewrite` request `body` to a daemon that may be going away.
async fn try_write(daemon: &Daemon, body: &Value) -> Written {
    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("an HTTP client");
    let Ok(response) = http.post(daemon.url("/graphql")).json(body).send().await else {
        return Written::Gone;
    };
    let Ok(answer) = response.json::<Value>().await else {
        return Written::Gone;
    };
    if let Some(errors) = answer.get("errors") {
        return Written::Refused(errors[0].clone());
    }
    let receipt = &answer["data"]["applyRewrite"]["receipt"];
    Written::Acked(Receipt {
        idx: u64_of(&receipt["rewriteIdx"]),
        digest: owned_text(&receipt["viewDigest"]),
    })
}

/// Checks that a daemon whose log failed acknowledges no more writes to SWS `sws` (each try
/// gets `INTERNAL` or no answer) and exits on its own within [`EXIT_TIMEOUT`]; its status.
/// Sends `write(n)` for n = 0, 1, 2, ... until one is refused, at most `writes_max` of them;
/// returns the receipts of those acknowledged and the refusal. A write without an answer fails
/// the test: the daemon must refuse before it goes away; so do `writes_max` acknowledged
/// writes (`unrefused` says why that is wrong).
async fn write_until_refused(
    daemon: &Daemon,
    writes_max: u64,
    unrefused: &str,
    write: impl Fn(u64) -> Value,
) -> (Vec<Receipt>, Value) {
    let mut acked = Vec::new();
    loop {
        let n = acked.len() as u64;
        assert!(n < writes_max, "{n} writes acknowledged: {unrefused}");
        match try_write(daemon, &write(n)).await {
            Written::Acked(receipt) => acked.push(receipt),
            Written::Refused(error) => return (acked, error),
            Written::Gone => panic!(
                "write {n} got no answer: the daemon went away without refusing it ({n} acknowledged)"
            ),
        }
    }
}

/// Checks that the daemon's stderr, in `path`, holds every one of `needles`.
fn expect_stderr_names(path: &Path, needles: &[&str]) {
    let stderr = std::fs::read_to_string(path).expect("the daemon's stderr");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "no {needle:?} in the daemon's stderr:\n{stderr}"
        );
    }
}

async fn expect_no_more_acknowledgements(daemon: &mut Daemon, sws: u64) -> ExitStatus {
    let n_tries = EXIT_TIMEOUT.as_millis() / EXIT_POLL.as_millis();
    for attempt in 0..n_tries {
        let payload = format!("after the failure {attempt}");
        match try_write(
            daemon,
            &apply_body(sws, &[add_node("doc", payload.as_bytes())]),
        )
        .await
        {
            Written::Acked(receipt) => panic!("a write after the failure: {receipt:?}"),
            Written::Refused(error) => {
                assert_eq!(error["extensions"]["code"], "INTERNAL", "{error}")
            }
            Written::Gone => {}
        }
        if let Some(status) = daemon.wait_exit(EXIT_POLL) {
            return status;
        }
    }
    panic!("the daemon still runs {EXIT_TIMEOUT:?} after its log failed");
}

/// Checks that a plain start on `data_dir` holds SWS `sws`'s creation and every `acked`
/// write at its idx with its digest, then stops it.
async fn expect_start_holds(data_dir: &Path, sws: u64, acked: &[Receipt]) {
    let daemon = Daemon::start_durable(data_dir, &[]);
    let query = "{ events(page: {first: 1000}) { idx kind view { swsId } viewDigest } }";
    let events = list(&data(&daemon, query).await["events"]).clone();
    assert!(
        events.len() > acked.len(),
        "{} events for {} writes",
        events.len(),
        acked.len()
    );
    assert_eq!(
        crate::e2e_m2::event_count(&daemon).await,
        events.len() as u64
    );
    let sws_id = Value::String(sws.to_string());
    let created = events
        .iter()
        .any(|event| event["kind"] == "SWS_CREATE" && event["view"]["swsId"] == sws_id);
    assert!(created, "the creation of SWS {sws} is lost");
    for receipt in acked {
        let event = &events[usize::try_from(receipt.idx).expect("a small idx")];
        assert_eq!(event["kind"], "REWRITE_APPLIED", "{receipt:?}: {event}");
        assert_eq!(
            event["view"]["swsId"],
            sws.to_string(),
            "{receipt:?}: {event}"
        );
        assert_eq!(
            event["viewDigest"],
            receipt.digest.as_str(),
            "{receipt:?}: {event}"
        );
    }
    daemon.stop();
}

/// The `text` of a JSON string, owned.
fn owned_text(value: &Value) -> String {
    text(value).to_owned()
}
