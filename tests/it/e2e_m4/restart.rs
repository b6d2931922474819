//! A stopped daemon's successor on the same data directory answers as it did: the same event
//! log (every page, every field), the same digests, nodes and edges of every view, the same
//! `rewrites` of every view, and the same graph for every earlier snapshot (each event's
//! `viewDigest` pinned as a `snapshotId`, and every view `asOf` every event idx); it then writes
//! on as if it had never stopped (idx, SWS ids, event ids and idempotency keys continue), and a
//! second restart keeps that too. `kernelInfo.storage` says what each start restored.
//!
//! The reference for "as if it had never stopped" is an in-memory daemon that runs the same
//! requests without a restart: every answer must match it byte for byte. The same holds under
//! `--fsync batch`, and for a daemon killed (SIGKILL) after a background checkpoint: its
//! successor loads the checkpoint, replays only the events after it, and answers alike.
//!
//! # Invariants
//! - Expectations come from the first daemon's answers (or the reference's), never from
//!   constants; the script is checked to do what it says, so the comparison cannot pass on two
//!   identical failures.

use serde_json::{Value, json};

use super::{
    EVENT_FIELDS, GRAPH, SCRIPT_EVENTS, add_link, apply_body, assert_same_answers, collapse_body,
    create_body, demo, discard_body, keyed_create, keyed_rebase, run, script, storage, sws_view,
    system_view,
};
use crate::daemon::Daemon;
use crate::e2e_kernel::data;
use crate::e2e_m2::{apply, post_raw, remove_node, u64_of};
use crate::e2e_m3::add_demo;

const STATE: &str = "{ kernelInfo { eventCount } \
    graph(view: {kind: SWS, swsId: \"0\"}) { digest commitDigest } \
    events(page: {first: 100}) { idx id kind viewDigest } }";

/// Page size of the `events` reads: small, so the short log spans several pages.
const EVENTS_PAGE: usize = 4;

/// Requests sent after the first restart: retries of requests keyed before it (they must
/// return the original payloads and append nothing), then new SWSs, writes, a collapse and a
/// discard. 7 events; SWS ids 5 and 6.
fn continuation() -> Vec<(&'static str, Value)> {
    vec![
        ("retry create 4", keyed_create()),
        ("create 5", create_body(&Value::Null)),
        ("write 5", apply_body(5, &[add_demo(5), add_link(1, 5)])),
        ("retry rebase 1", keyed_rebase()),
        ("collapse 5", collapse_body(5)),
        (
            "create 6",
            create_body(&json!({ "meta": { "after": "restart" } })),
        ),
        ("write 6", apply_body(6, &[remove_node(&demo(2))])),
        (
            "write 6 again",
            apply_body(6, &[add_demo(6), add_link(1, 6)]),
        ),
        ("discard 6", discard_body(6, "kept out of System")),
    ]
}

/// Events [`continuation`] appends.
const CONTINUATION_EVENTS: u64 = 7;

/// How much [`read_all`] reads `asOf`.
#[derive(Debug, Clone, Copy)]
enum AsOf {
    /// Every view as of every event.
    EveryView,
    /// System as of every event.
    SystemOnly,
}

/// Every answer a restart must keep, as raw text with a label: `kernelInfo` (but `storage`),
/// every page of `events`, `listSws`, the whole graph and `rewrites` of System and of every
/// SWS, each event's view pinned at its `viewDigest` (and System at a merge receipt's base and
/// result snapshots), and the graph `asOf` every event.
async fn read_all(daemon: &Daemon, as_of: AsOf) -> Vec<(String, String)> {
    let mut answers = Vec::new();
    let info = "{ kernelInfo { version rulePackId policyId commitStatus eventCount } }";
    answers.push((
        "kernelInfo".to_owned(),
        post_raw(daemon, &json!({ "query": info })).await,
    ));
    let events = read_events(daemon, &mut answers).await;
    let listed = "{ listSws(page: {first: 1000}) { id parentSnapshotId createdAt state meta } }";
    answers.push((
        "listSws".to_owned(),
        post_raw(daemon, &json!({ "query": listed })).await,
    ));
    let n_sws = data(daemon, listed).await["listSws"]
        .as_array()
        .map_or(0, Vec::len) as u64;
    let views: Vec<Value> = std::iter::once(system_view())
        .chain((0..n_sws).map(sws_view))
        .collect();
    let rewrites = format!(
        "query Rewrites($view: ViewRefInput!) {{
            rewrites(view: $view, page: {{first: 1000}}) {{ {EVENT_FIELDS} }} }}"
    );
    for view in &views {
        answers.push((
            format!("graph {view}"),
            read_graph(daemon, view, true).await,
        ));
        let body = json!({ "query": rewrites, "variables": { "view": view } });
        answers.push((format!("rewrites {view}"), post_raw(daemon, &body).await));
    }
    for event in &events {
        let mut pinned = json!({ "kind": event["view"]["kind"], "swsId": event["view"]["swsId"] });
        pinned["snapshotId"] = event["viewDigest"].clone();
        let label = format!("event {} pinned {pinned}", event["idx"]);
        answers.push((label, read_graph(daemon, &pinned, true).await));
        for field in ["baseSnapshotId", "systemSnapshotId"] {
            if let Some(snapshot) = event["receipt"].get(field) {
                let pinned = json!({ "kind": "SYSTEM", "snapshotId": snapshot });
                let label = format!("event {} {field} {pinned}", event["idx"]);
                answers.push((label, read_graph(daemon, &pinned, true).await));
            }
        }
    }
    let as_of_views = match as_of {
        AsOf::EveryView => &views[..],
        AsOf::SystemOnly => &views[..1],
    };
    for idx in 0..events.len() {
        for view in as_of_views {
            let mut pinned = view.clone();
            pinned["asOf"] = json!(idx.to_string());
            let must_exist = view["kind"] == "SYSTEM";
            let label = format!("asOf {pinned}");
            answers.push((label, read_graph(daemon, &pinned, must_exist).await));
        }
    }
    answers
}

/// The raw answer of [`GRAPH`] on `view`; checks it succeeded when `must_exist`.
async fn read_graph(daemon: &Daemon, view: &Value, must_exist: bool) -> String {
    let answer = post_raw(
        daemon,
        &json!({ "query": GRAPH, "variables": { "view": view } }),
    )
    .await;
    if must_exist {
        assert!(!answer.contains("\"errors\""), "{view}: {answer}");
    }
    answer
}

/// Reads `events` page by page ([`EVENTS_PAGE`] a page), pushing each raw page to `answers`;
/// the whole log, checked gap-free.
async fn read_events(daemon: &Daemon, answers: &mut Vec<(String, String)>) -> Vec<Value> {
    let query = format!(
        "query Events($after: String) {{
            events(page: {{first: {EVENTS_PAGE}, after: $after}}) {{ {EVENT_FIELDS} }} }}"
    );
    let mut events: Vec<Value> = Vec::new();
    loop {
        let after = events.last().map(|event| event["idx"].clone());
        let body = json!({ "query": query, "variables": { "after": after } });
        let page = post_raw(daemon, &body).await;
        let parsed: Value = serde_json::from_str(&page).expect("a JSON answer");
        let items = parsed["data"]["events"]
            .as_array()
            .expect("a page of events")
            .clone();
        answers.push((format!("events after {after:?}"), page));
        let full = items.len() == EVENTS_PAGE;
        events.extend(items);
        if !full {
            break;
        }
    }
    for (position, event) in events.iter().enumerate() {
        assert_eq!(u64_of(&event["idx"]), position as u64, "{event}");
    }
    events
}

/// Checks what a start on a directory holding `n_events` events (cleanly stopped) reports.
async fn expect_restored(daemon: &Daemon, fsync: &str, n_events: u64) {
    let info = storage(daemon).await;
    let storage = &info["storage"];
    assert_eq!(storage["mode"], "DURABLE", "{info}");
    assert_eq!(storage["fsync"], fsync.to_uppercase(), "{info}");
    assert_eq!(u64_of(&info["eventCount"]), n_events, "{info}");
    assert_eq!(u64_of(&storage["bootEventCount"]), n_events, "{info}");
    assert!(u64_of(&storage["bootReplayedCount"]) <= n_events, "{info}");
    assert_eq!(storage["bootCut"], Value::Null, "{info}");
}

/// The data of the answer labelled `label`.
fn answer(answers: &[(&str, String)], label: &str) -> Value {
    let (_, text) = answers
        .iter()
        .find(|(l, _)| *l == label)
        .unwrap_or_else(|| panic!("no answer {label}"));
    serde_json::from_str(text).expect("a JSON answer")
}

/// Checks that the script and the continuation did what they say, on the reference's answers.
fn expect_outcomes(script: &[(&str, String)], continuation: &[(&str, String)]) {
    let committed = |label: &str| {
        let answer = answer(script, label);
        let data = &answer["data"];
        let payload = data.get("collapseSws").or_else(|| data.get("rebaseSws"));
        let payload = payload.unwrap_or_else(|| panic!("{label}: {answer}"));
        payload
            .get("collapseReceipt")
            .unwrap_or(&payload["receipt"])["committed"]
            .clone()
    };
    let labels = [
        "collapse 0",
        "collapse 2",
        "collapse 1 (aborts)",
        "rebase 1 (refused)",
    ];
    let outcomes: Vec<Value> = labels
        .into_iter()
        .chain(["rebase 1", "collapse 1"])
        .map(committed)
        .collect();
    assert_eq!(
        json!(outcomes),
        json!([true, true, false, false, true, true])
    );
    let refused = answer(script, "write to SWS 9 (refused)");
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{refused}"
    );
    for (retry, original) in [
        ("retry create 4", "create 4"),
        ("retry rebase 1", "rebase 1"),
    ] {
        assert_eq!(
            answer(continuation, retry),
            answer(script, original),
            "{retry}"
        );
    }
    let collapsed = answer(continuation, "collapse 5");
    let receipt = &collapsed["data"]["collapseSws"]["collapseReceipt"];
    assert_eq!(receipt["committed"], true, "{collapsed}");
    assert_eq!(
        u64_of(&receipt["eventIdx"]),
        SCRIPT_EVENTS + 2,
        "{collapsed}"
    );
    let created = answer(continuation, "create 5");
    assert_eq!(created["data"]["createSws"]["sws"]["id"], "5", "{created}");
}

/// Runs the script, restarts, compares every read, writes on, restarts again and compares
/// again, all under `--fsync fsync`; the writes' answers must match an in-memory daemon that
/// never restarted.
async fn restart_round_trip(fsync: &str, as_of: AsOf) {
    let reference = Daemon::start();
    let reference_script = run(&reference, &script()).await;
    let reference_continuation = run(&reference, &continuation()).await;
    let reference_reads = read_all(&reference, as_of).await;
    reference.stop();
    expect_outcomes(&reference_script, &reference_continuation);

    let dir = tempfile::tempdir().expect("a temp dir");
    let args = ["--fsync", fsync];
    let first = Daemon::start_durable(dir.path(), &args);
    expect_restored(&first, fsync, 0).await;
    assert_same_answers(&reference_script, &run(&first, &script()).await);
    let before = read_all(&first, as_of).await;
    first.stop();

    let second = Daemon::start_durable(dir.path(), &args);
    expect_restored(&second, fsync, SCRIPT_EVENTS).await;
    assert_same_answers(&before, &read_all(&second, as_of).await);
    assert_same_answers(
        &reference_continuation,
        &run(&second, &continuation()).await,
    );
    let after = read_all(&second, as_of).await;
    assert_same_answers(&reference_reads, &after);
    second.stop();

    let third = Daemon::start_durable(dir.path(), &args);
    expect_restored(&third, fsync, SCRIPT_EVENTS + CONTINUATION_EVENTS).await;
    assert_same_answers(&after, &read_all(&third, as_of).await);
    third.stop();
}

#[tokio::test]
async fn a_restarted_daemon_answers_every_read_alike_and_writes_on() {
    restart_round_trip("always", AsOf::EveryView).await;
}

#[tokio::test]
async fn a_restarted_daemon_answers_alike_under_fsync_batch() {
    restart_round_trip("batch", AsOf::SystemOnly).await;
}

#[tokio::test]
async fn a_restarted_daemon_answers_as_before() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let first = Daemon::start_durable(dir.path(), &[]);
    let fresh = storage(&first).await["storage"].clone();
    assert_eq!(fresh["mode"], "DURABLE", "{fresh}");
    assert_eq!(fresh["fsync"], "ALWAYS", "{fresh}");
    assert_eq!(fresh["bootEventCount"], "0", "{fresh}");
    data(&first, "mutation { createSws { sws { id } } }").await;
    apply(&first, 0, &[add_demo(0)]).await;
    let before = data(&first, STATE).await;
    first.stop();

    let second = Daemon::start_durable(dir.path(), &[]);
    assert_eq!(data(&second, STATE).await, before);
    let restored = storage(&second).await["storage"].clone();
    assert_eq!(restored["bootEventCount"], "2", "{restored}");
    assert_eq!(restored["bootCut"], Value::Null, "{restored}");
    second.stop();
}

/// `kernelInfo.storage.checkpointIdx` once a background checkpoint covering at least
/// `min_events` events is on disk (polled for up to 30 s).
async fn await_checkpoint(daemon: &Daemon, min_events: u64) -> u64 {
    for _ in 0..600 {
        let info = storage(daemon).await;
        let idx = &info["storage"]["checkpointIdx"];
        if !idx.is_null() && u64_of(idx) + 1 >= min_events {
            return u64_of(idx);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no checkpoint of {min_events} events within 30 s");
}

#[tokio::test]
async fn a_daemon_killed_after_a_checkpoint_restarts_from_it_and_answers_alike() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let args = ["--checkpoint-every", "4"];
    let first = Daemon::start_durable(dir.path(), &args);
    run(&first, &script()).await;
    let before = read_all(&first, AsOf::EveryView).await;
    let newest = await_checkpoint(&first, SCRIPT_EVENTS / 2).await;
    // A crash: no last checkpoint at the stop; the start loads the newest and replays the rest.
    first.kill();

    let second = Daemon::start_durable(dir.path(), &args);
    let info = storage(&second).await;
    let storage = &info["storage"];
    assert_eq!(u64_of(&info["eventCount"]), SCRIPT_EVENTS, "{info}");
    assert_eq!(storage["bootCut"], Value::Null, "{info}");
    let loaded = u64_of(&storage["bootCheckpointIdx"]);
    assert!(
        loaded >= newest,
        "loaded the checkpoint of idx {loaded}, not {newest}: {info}"
    );
    let replayed = u64_of(&storage["bootReplayedCount"]);
    assert_eq!(replayed, SCRIPT_EVENTS - (loaded + 1), "{info}");
    assert_same_answers(&before, &read_all(&second, AsOf::EveryView).await);
    second.stop();
}
