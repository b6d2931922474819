//! The M3 kernel end to end, against the real `jitosd` over HTTP and WebSocket: `collapseSws`
//! committed and aborted (one scenario per conflict kind of `docs/spec/collapse.md`),
//! `rebaseSws` refused then committed, the receipts in the payloads and in the event log, two
//! fresh daemons answering one M3 script byte for byte alike, idempotent retries, the input
//! errors, and a System subscription that sees the COLLAPSE event. One file per area; the
//! requests and the scenarios they share live here, the generic helpers in `e2e_m2`.
//!
//! Nodes are `demo` nodes whose payload is one byte (`demo(i)`), edges `link` edges without
//! payload (`link(i, j)`), as in the kernel's own collapse tests; every expected id is computed
//! on the test side with `jitos_core`, never read back from the daemon under test.
//!
//! # Invariants
//! - Each test starts its own daemon on an ephemeral loopback port and stops it with SIGTERM,
//!   checking exit status 0.
//! - Every request that must be refused is checked to leave no trace ([`refused`]).
//! - A merge that must abort is checked to leave System, the SWS and the digests where they
//!   were, and to be recorded with its receipt in `events` and in `rewrites` of both the SWS
//!   and SYSTEM ([`expect_aborted_collapse`]).

mod collapse;
mod conflicts;
mod determinism;
mod rebase;
mod watch;

use jitos_core::Hash;
use serde_json::{Value, json};

use crate::daemon::Daemon;
use crate::e2e_kernel::data;
use crate::e2e_m2::{
    add_edge, add_node, apply, call, create_sws, edge_id, event_count, expect_data, expect_refused,
    list, node_id, text, trace, u64_of,
};

/// Every field of `MergeReceipt`, as a selection.
macro_rules! receipt_fields {
    () => {
        "kind eventIdx eventId swsId committed baseSnapshotId systemSnapshotId viewDigest
        rulePackId policyId
        conflicts { kind id subject overlayChange systemId systemSubject systemChange }
        nodesAdded nodesRemoved edgesAdded edgesRemoved digest"
    };
}

/// `collapseSws`, every field of its payload.
pub(crate) const COLLAPSE: &str = concat!(
    "mutation Collapse($input: CollapseSwsInput!) { collapseSws(input: $input) {
        committed systemSnapshotId systemDigest
        receipt { tickId rulePackId policyId events { id kind at meta } }
        collapseReceipt { ",
    receipt_fields!(),
    " } } }"
);

/// `rebaseSws`, every field of its payload.
pub(crate) const REBASE: &str = concat!(
    "mutation Rebase($input: RebaseSwsInput!) { rebaseSws(input: $input) {
        rebased sws { id parentSnapshotId createdAt state meta } digest
        receipt { ",
    receipt_fields!(),
    " } } }"
);

/// `discardSws`.
pub(crate) const DISCARD: &str =
    "mutation Discard($input: DiscardSwsInput!) { discardSws(input: $input) { discarded } }";

/// Every field of `RewriteEvent`, as a selection.
pub(crate) const EVENT_FIELDS: &str = concat!(
    "id idx kind view { kind swsId snapshotId } at ops meta reason viewDigest receipt { ",
    receipt_fields!(),
    " }"
);

/// The biggest page the API serves; the scripts here stay far below it.
const PAGE_MAX: usize = 1000;

/// The id of node `demo(i)`.
fn demo(i: u8) -> Hash {
    node_id("demo", &[i])
}

/// The id of edge `demo(from) -> demo(to)` of kind `link`.
fn link(from: u8, to: u8) -> Hash {
    edge_id(&demo(from), &demo(to), "link", None)
}

/// The op that adds node `demo(i)`.
pub(crate) fn add_demo(i: u8) -> Value {
    add_node("demo", &[i])
}

/// The op that adds edge `link(from, to)`.
fn add_link(from: u8, to: u8) -> Value {
    add_edge(&demo(from), &demo(to), "link", None)
}

/// The request body of a collapse with `input`.
fn collapse_body(input: &Value) -> Value {
    json!({ "query": COLLAPSE, "variables": { "input": input } })
}

/// The request body of a rebase with `input`.
fn rebase_body(input: &Value) -> Value {
    json!({ "query": REBASE, "variables": { "input": input } })
}

/// The request body of a discard of SWS `sws` with `reason`.
fn discard_body(sws: u64, reason: &str) -> Value {
    let input = json!({ "swsId": sws.to_string(), "reason": reason });
    json!({ "query": DISCARD, "variables": { "input": input } })
}

/// POSTs `body`, which must succeed; its data.
async fn post_data(daemon: &Daemon, body: &Value) -> Value {
    expect_data(&call(daemon, text(&body["query"]), &body["variables"]).await)
}

/// Collapses SWS `sws`; the whole `collapseSws` payload (the request must be answered).
async fn collapse(daemon: &Daemon, sws: u64) -> Value {
    let input = json!({ "swsId": sws.to_string() });
    post_data(daemon, &collapse_body(&input)).await["collapseSws"].clone()
}

/// Rebases SWS `sws`; the whole `rebaseSws` payload (the request must be answered).
async fn rebase(daemon: &Daemon, sws: u64) -> Value {
    let input = json!({ "swsId": sws.to_string() });
    post_data(daemon, &rebase_body(&input)).await["rebaseSws"].clone()
}

/// Sends `body`, which must be refused with `code` at `field` and leave no trace.
async fn refused(daemon: &Daemon, body: &Value, code: &str, field: &str) {
    let before = trace(daemon).await;
    let response = call(daemon, text(&body["query"]), &body["variables"]).await;
    expect_refused(&response, code, field);
    assert_eq!(
        trace(daemon).await,
        before,
        "a refused request left a trace"
    );
}

/// System's live `{ digest snapshotId }`.
async fn system(daemon: &Daemon) -> Value {
    data(
        daemon,
        "{ graph(view: {kind: SYSTEM}) { digest snapshotId } }",
    )
    .await["graph"]
        .clone()
}

/// SWS `sws`'s record `{ id state parentSnapshotId }`.
async fn sws_record(daemon: &Daemon, sws: u64) -> Value {
    let query = format!(r#"{{ sws(id: "{sws}") {{ id state parentSnapshotId }} }}"#);
    data(daemon, &query).await["sws"].clone()
}

/// The live digest of SWS `sws`.
async fn sws_digest(daemon: &Daemon, sws: u64) -> String {
    let query = format!(r#"{{ graph(view: {{kind: SWS, swsId: "{sws}"}}) {{ digest }} }}"#);
    text(&data(daemon, &query).await["graph"]["digest"]).to_owned()
}

/// `kernelInfo.commitStatus`.
async fn commit_status(daemon: &Daemon) -> String {
    let info = data(daemon, "{ kernelInfo { commitStatus } }").await;
    text(&info["kernelInfo"]["commitStatus"]).to_owned()
}

/// The `events` request of the whole (short) log, every field of every event.
fn events_body() -> Value {
    let query = format!("{{ events(page: {{first: {PAGE_MAX}}}) {{ {EVENT_FIELDS} }} }}");
    json!({ "query": query })
}

/// The whole log, every field of every event.
async fn events(daemon: &Daemon) -> Vec<Value> {
    let events = list(&post_data(daemon, &events_body()).await["events"]).clone();
    assert!(events.len() < PAGE_MAX, "the scripts here fit one page");
    events
}

/// Every event `rewrites(view)` lists (`view` a GraphQL literal), every field.
async fn rewrites(daemon: &Daemon, view: &str) -> Vec<Value> {
    let query =
        format!("{{ rewrites(view: {view}, page: {{first: {PAGE_MAX}}}) {{ {EVENT_FIELDS} }} }}");
    let events = list(&data(daemon, &query).await["rewrites"]).clone();
    assert!(events.len() < PAGE_MAX, "the scripts here fit one page");
    events
}

/// The event with idx `idx` among `events`.
fn event_at(events: &[Value], idx: u64) -> &Value {
    events
        .iter()
        .find(|event| u64_of(&event["idx"]) == idx)
        .unwrap_or_else(|| panic!("no event {idx} in {events:?}"))
}

/// A new SWS where `ops` are applied, collapsed into System, which must commit; its id.
async fn seed_system(daemon: &Daemon, ops: &[Value]) -> u64 {
    let sws = create_sws(daemon).await;
    apply(daemon, sws, ops).await;
    let payload = collapse(daemon, sws).await;
    assert_eq!(payload["committed"], true, "{payload}");
    sws
}

/// A conflict as a receipt lists it: `kind`, the overlay's item and its subject (NODE or
/// EDGE), System's item and its subject. The changes follow from the kind (the conflict table
/// of `docs/spec/collapse.md`).
fn conflict(
    kind: &str,
    (id, subject): (&Hash, &str),
    (system_id, system_subject): (&Hash, &str),
) -> Value {
    let (overlay_change, system_change) = match kind {
        "EDGE_END_REMOVED" => ("ADDED", "REMOVED"),
        "NODE_REMOVAL_UNDER_NEW_EDGE" => ("REMOVED", "ADDED"),
        "ALREADY_REMOVED" => ("REMOVED", "REMOVED"),
        other => panic!("no conflict kind {other}"),
    };
    json!({
        "kind": kind,
        "id": id.to_string(),
        "subject": subject,
        "overlayChange": overlay_change,
        "systemId": system_id.to_string(),
        "systemSubject": system_subject,
        "systemChange": system_change,
    })
}

/// `EDGE_END_REMOVED` (the first example of `docs/spec/collapse.md`): System holds `demo(0)`;
/// SWS `a` adds `demo(1)` and `link(0, 1)` while SWS `b`, over the same base, removes `demo(0)`
/// and is collapsed. Returns `a` and the conflict its collapse must list.
async fn edge_end_removed(daemon: &Daemon) -> (u64, Value) {
    seed_system(daemon, &[add_demo(0)]).await;
    let (a, b) = (create_sws(daemon).await, create_sws(daemon).await);
    apply(daemon, a, &[add_demo(1), add_link(0, 1)]).await;
    apply(daemon, b, &[crate::e2e_m2::remove_node(&demo(0))]).await;
    assert_eq!(collapse(daemon, b).await["committed"], true);
    let expected = conflict(
        "EDGE_END_REMOVED",
        (&link(0, 1), "EDGE"),
        (&demo(0), "NODE"),
    );
    (a, expected)
}

/// Checks that collapsing SWS `sws` aborts with exactly `expected` (in order) and changes
/// nothing but the log: System's digest and snapshot, the SWS's state, base and digest stay;
/// `commitStatus` is ABORTED; one COLLAPSE event with the payload's receipt is appended and
/// listed by `events` and by `rewrites` of the SWS and of SYSTEM. Returns the payload.
async fn expect_aborted_collapse(daemon: &Daemon, sws: u64, expected: &[Value]) -> Value {
    let (system_before, record_before) = (system(daemon).await, sws_record(daemon, sws).await);
    let digest_before = sws_digest(daemon, sws).await;
    let idx = event_count(daemon).await;
    let payload = collapse(daemon, sws).await;
    let receipt = &payload["collapseReceipt"];
    assert_eq!(payload["committed"], false, "{payload}");
    assert_eq!(receipt["committed"], false, "{payload}");
    assert_eq!(list(&receipt["conflicts"]), expected, "{payload}");
    assert_eq!(
        payload["systemDigest"], system_before["digest"],
        "{payload}"
    );
    assert_eq!(
        payload["systemSnapshotId"], system_before["snapshotId"],
        "{payload}"
    );
    assert_eq!(receipt["kind"], "COLLAPSE");
    assert_eq!(u64_of(&receipt["eventIdx"]), idx);
    assert_eq!(receipt["swsId"], sws.to_string());
    assert_eq!(receipt["systemSnapshotId"], system_before["snapshotId"]);
    assert_eq!(receipt["viewDigest"], digest_before.as_str());
    let counts = ["nodesAdded", "nodesRemoved", "edgesAdded", "edgesRemoved"];
    assert!(counts.iter().all(|count| receipt[count] == 0), "{payload}");

    assert_eq!(system(daemon).await, system_before, "System moved");
    assert_eq!(sws_record(daemon, sws).await, record_before);
    assert_eq!(record_before["state"], "ACTIVE");
    assert_eq!(sws_digest(daemon, sws).await, digest_before);
    assert_eq!(commit_status(daemon).await, "ABORTED");
    assert_eq!(event_count(daemon).await, idx + 1);
    expect_recorded(daemon, sws, &payload["collapseReceipt"]).await;
    payload
}

/// Checks that the event of `receipt` (a COLLAPSE or REBASE of SWS `sws`) is in `events` and in
/// `rewrites` of the SWS and of SYSTEM, each time with `receipt`, the SWS as its view, and its
/// merged ops (none when it did not commit).
async fn expect_recorded(daemon: &Daemon, sws: u64, receipt: &Value) {
    let idx = u64_of(&receipt["eventIdx"]);
    let sws_view = format!(r#"{{kind: SWS, swsId: "{sws}"}}"#);
    let listings = [
        events(daemon).await,
        rewrites(daemon, &sws_view).await,
        rewrites(daemon, "{kind: SYSTEM}").await,
    ];
    for listing in &listings {
        let event = event_at(listing, idx);
        assert_eq!(&event["receipt"], receipt, "{event}");
        assert_eq!(event["kind"], receipt["kind"], "{event}");
        assert_eq!(event["id"], receipt["eventId"], "{event}");
        assert_eq!(event["viewDigest"], receipt["viewDigest"], "{event}");
        assert_eq!(
            event["view"],
            json!({ "kind": "SWS", "swsId": sws.to_string(), "snapshotId": null })
        );
        if receipt["committed"] == false {
            assert!(list(&event["ops"]).is_empty(), "{event}");
        }
    }
}
