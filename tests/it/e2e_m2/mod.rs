//! The M2 kernel end to end, against the real `jitosd` over HTTP (`POST /graphql`) and
//! WebSocket (`/graphql/ws`, graphql-transport-ws): snapshots, time travel, paging that does
//! not lie, the multi-op rewrite rules, subscriptions that resume, a stalled subscriber, and
//! idempotency keys. One file per area; the helpers they share live here (the `pub(crate)` ones
//! are shared with the M3 tests, `e2e_m3`).
//!
//! Ids are computed on the test side with `jitos_core::node_id` / `edge_id` (contract §2), so
//! an expected page never comes from the daemon under test.
//!
//! # Invariants
//! - Each test starts its own daemon on an ephemeral loopback port and stops it with SIGTERM,
//!   checking exit status 0.
//! - Every refusal checked here is also checked to leave no trace: the same event log, the same
//!   `eventCount` and the same digest of System and of every SWS ([`trace`]).
//! - Every read of the whole log ([`log`]) also checks that `kernelInfo.eventCount` equals the
//!   number of events and that their idx values are 0, 1, 2, ... (item 7 of the M2 brief).
//! - Random cases come from fixed seeds ([`SplitMix64`]): a failure replays identically.

mod diff;
mod idempotency;
mod ops;
mod paging;
mod paging_props;
mod snapshots;
mod stall;
pub(crate) mod subscriptions;
mod time_travel;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jitos_core::Hash;
use serde_json::{Value, json};

use crate::daemon::Daemon;
use crate::e2e_kernel::data;
use crate::e2e_serving::post_graphql;

/// The biggest page the API serves (`PAGE_FIRST_MAX`).
const PAGE_MAX: usize = 1000;

/// `applyRewrite` with its view and rewrite as variables.
pub(crate) const APPLY: &str = "mutation Apply($view: ViewRefInput!, $rewrite: RewriteInput!) {
    applyRewrite(view: $view, rewrite: $rewrite) {
        accepted receipt { rewriteIdx viewDigest view { kind swsId snapshotId } }
    }
}";

/// `{kind: SWS, swsId: "ID"}`, the GraphQL literal of SWS `id`'s live view.
fn sws_literal(id: u64) -> String {
    format!(r#"{{kind: SWS, swsId: "{id}"}}"#)
}

/// The JSON `ViewRefInput` of SWS `id`'s live view.
pub(crate) fn sws_variable(id: u64) -> Value {
    json!({ "kind": "SWS", "swsId": id.to_string() })
}

/// A `U64` output (a decimal string) as a number.
pub(crate) fn u64_of(value: &Value) -> u64 {
    value
        .as_str()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("not a U64: {value}"))
}

/// POSTs `query` with `variables`; the whole response, which must have status 200.
pub(crate) async fn call(daemon: &Daemon, query: &str, variables: &Value) -> Value {
    let body = json!({ "query": query, "variables": variables });
    let (status, response) = post_graphql(daemon, &body).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{response}");
    response
}

/// The data of a response that must have succeeded.
pub(crate) fn expect_data(response: &Value) -> Value {
    assert!(response.get("errors").is_none(), "{response}");
    response["data"].clone()
}

/// Checks that `response` is a refusal with one error of `code` at `field`, named in the
/// message too, and no data.
pub(crate) fn expect_refused(response: &Value, code: &str, field: &str) {
    let errors = response["errors"].as_array();
    assert_eq!(errors.map(Vec::len), Some(1), "{response}");
    let error = &response["errors"][0];
    assert_eq!(error["extensions"]["code"], code, "{response}");
    assert_eq!(error["extensions"]["field"], field, "{response}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains(field), "{response}");
    assert!(response["data"].is_null(), "{response}");
}

/// POSTs `body` and returns the response body as raw text, for byte-for-byte comparisons.
pub(crate) async fn post_raw(daemon: &Daemon, body: &Value) -> String {
    let response = reqwest::Client::new()
        .post(daemon.url("/graphql"))
        .json(body)
        .send()
        .await
        .expect("POST /graphql");
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    response.text().await.expect("a response body")
}

/// Creates an SWS and returns its id.
pub(crate) async fn create_sws(daemon: &Daemon) -> u64 {
    let created = data(daemon, "mutation { createSws { sws { id } } }").await;
    created["createSws"]["sws"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no SWS id in {created}"))
}

/// What an accepted rewrite returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Receipt {
    /// The idx of its event.
    pub(crate) idx: u64,
    /// The view's digest right after it, in hex.
    pub(crate) digest: String,
}

/// The `applyRewrite` request of `ops` on SWS `sws`.
pub(crate) fn apply_body(sws: u64, ops: &[Value]) -> Value {
    json!({ "query": APPLY, "variables": { "view": sws_variable(sws), "rewrite": { "ops": ops } } })
}

/// Applies `ops` to SWS `sws` in one rewrite that must be accepted.
pub(crate) async fn apply(daemon: &Daemon, sws: u64, ops: &[Value]) -> Receipt {
    let (status, response) = post_graphql(daemon, &apply_body(sws, ops)).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{response}");
    let payload = &expect_data(&response)["applyRewrite"];
    assert_eq!(payload["accepted"], true, "{response}");
    let receipt = &payload["receipt"];
    assert_eq!(
        receipt["view"],
        json!({"kind": "SWS", "swsId": sws.to_string(), "snapshotId": null})
    );
    Receipt {
        idx: u64_of(&receipt["rewriteIdx"]),
        digest: receipt["viewDigest"].as_str().expect("a digest").to_owned(),
    }
}

/// Applies `ops` to SWS `sws`, which must be refused with `code` at `field` and leave no trace.
async fn apply_refused(daemon: &Daemon, sws: u64, ops: &[Value], code: &str, field: &str) {
    let before = trace(daemon).await;
    let (status, response) = post_graphql(daemon, &apply_body(sws, ops)).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{response}");
    expect_refused(&response, code, field);
    assert_eq!(
        trace(daemon).await,
        before,
        "a refused rewrite left a trace"
    );
}

/// The `AddNode` op of `(kind, payload)`.
pub(crate) fn add_node(kind: &str, payload: &[u8]) -> Value {
    json!({ "op": "AddNode", "data": { "kind": kind, "payload_b64": STANDARD.encode(payload) } })
}

/// The `AddEdge` op `from -> to` of `kind`, with `payload` or without one.
pub(crate) fn add_edge(from: &Hash, to: &Hash, kind: &str, payload: Option<&[u8]>) -> Value {
    let mut data = json!({ "from": from.to_string(), "to": to.to_string(), "kind": kind });
    if let Some(payload) = payload {
        data["payload_b64"] = json!(STANDARD.encode(payload));
    }
    json!({ "op": "AddEdge", "data": data })
}

/// The `RemoveNode` op of node `id`.
pub(crate) fn remove_node(id: &Hash) -> Value {
    json!({ "op": "RemoveNode", "data": { "id": id.to_string() } })
}

/// The `RemoveEdge` op of edge `id`.
pub(crate) fn remove_edge(id: &Hash) -> Value {
    json!({ "op": "RemoveEdge", "data": { "id": id.to_string() } })
}

/// The id of node `(kind, payload)`, computed on the test side.
pub(crate) fn node_id(kind: &str, payload: &[u8]) -> Hash {
    jitos_core::node_id(kind, payload)
}

/// The id of edge `from -> to` of `kind` with `payload`, computed on the test side.
pub(crate) fn edge_id(from: &Hash, to: &Hash, kind: &str, payload: Option<&[u8]>) -> Hash {
    jitos_core::edge_id(from, to, kind, payload)
}

/// The whole event log (`id idx kind view { kind swsId } meta`), paged through; checks that
/// `kernelInfo.eventCount` equals its length and that the idx values are 0, 1, 2, ...
pub(crate) async fn log(daemon: &Daemon) -> Vec<Value> {
    let mut events: Vec<Value> = Vec::new();
    let mut after = None::<u64>;
    loop {
        let cursor = after.map_or_else(String::new, |idx| format!(r#", after: "{idx}""#));
        let query = format!(
            "{{ events(page: {{first: {PAGE_MAX}{cursor}}}) {{
                id idx kind view {{ kind swsId }} meta }} }}"
        );
        let page = data(daemon, &query).await["events"]
            .as_array()
            .expect("a list of events")
            .clone();
        let Some(last) = page.last() else { break };
        after = Some(u64_of(&last["idx"]));
        let full = page.len() == PAGE_MAX;
        events.extend(page);
        if !full {
            break;
        }
    }
    for (position, event) in events.iter().enumerate() {
        assert_eq!(u64_of(&event["idx"]), position as u64, "{event}");
    }
    assert_eq!(event_count(daemon).await, events.len() as u64);
    events
}

/// `kernelInfo.eventCount`.
pub(crate) async fn event_count(daemon: &Daemon) -> u64 {
    u64_of(&data(daemon, "{ kernelInfo { eventCount } }").await["kernelInfo"]["eventCount"])
}

/// Everything a refused request must leave unchanged: the log, `eventCount`, every SWS's
/// record, and the digest of System and of every SWS.
pub(crate) async fn trace(daemon: &Daemon) -> Value {
    let log = log(daemon).await;
    let sws = data(
        daemon,
        "{ listSws(page: {first: 1000}) { id state parentSnapshotId } }",
    )
    .await;
    let mut digests = vec![data(daemon, "{ graph(view: {kind: SYSTEM}) { digest } }").await];
    for record in sws["listSws"].as_array().expect("a list of SWSs") {
        let id: u64 = record["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .expect("an SWS id");
        let query = format!("{{ graph(view: {}) {{ digest }} }}", sws_literal(id));
        digests.push(data(daemon, &query).await);
    }
    json!({ "log": log, "eventCount": event_count(daemon).await, "sws": sws, "digests": digests })
}

/// The ids of every node and every edge of `view` (a GraphQL literal), each in one page.
pub(crate) async fn graph_ids(daemon: &Daemon, view: &str) -> (Vec<String>, Vec<String>) {
    let query = format!(
        "{{ graph(view: {view},
            nodesPage: {{first: {PAGE_MAX}}}, edgesPage: {{first: {PAGE_MAX}}}) {{
            nodes {{ nodes {{ id }} pageInfo {{ hasNextPage }} }}
            edges {{ edges {{ id }} pageInfo {{ hasNextPage }} }} }} }}"
    );
    let graph = data(daemon, &query).await["graph"].clone();
    assert_eq!(graph["nodes"]["pageInfo"]["hasNextPage"], false, "{graph}");
    assert_eq!(graph["edges"]["pageInfo"]["hasNextPage"], false, "{graph}");
    let ids = |items: &Value| -> Vec<String> {
        items
            .as_array()
            .expect("a list")
            .iter()
            .map(|item| item["id"].as_str().expect("an id").to_owned())
            .collect()
    };
    (ids(&graph["nodes"]["nodes"]), ids(&graph["edges"]["edges"]))
}

/// The items of a JSON list.
pub(crate) fn list(value: &Value) -> &Vec<Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
}

/// A JSON string.
pub(crate) fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

/// The `id` of every item of a JSON list.
fn ids_of(items: &Value) -> Vec<String> {
    list(items)
        .iter()
        .map(|item| text(&item["id"]).to_owned())
        .collect()
}

/// Sorted hex forms of `ids`: ids are ordered by their bytes, which is their hex order.
pub(crate) fn sorted_hex<'a>(ids: impl IntoIterator<Item = &'a Hash>) -> Vec<String> {
    let mut hex: Vec<String> = ids.into_iter().map(Hash::to_string).collect();
    hex.sort();
    hex.dedup();
    hex
}

/// A small seeded generator (SplitMix64): the random cases replay identically from their seed.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    pub(crate) fn range(&mut self, low: usize, high: usize) -> usize {
        assert!(low <= high);
        let span = (high - low) as u64 + 1;
        low + usize::try_from(self.next_u64() % span).expect("a span that fits usize")
    }

    /// True with probability `numerator / denominator`.
    fn chance(&mut self, numerator: u64, denominator: u64) -> bool {
        self.next_u64() % denominator < numerator
    }

    /// Shuffles `items` (Fisher-Yates).
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for last in (1..items.len()).rev() {
            items.swap(last, self.range(0, last));
        }
    }
}

/// The current instant, for latency measurements only: wall time never reaches the daemon.
#[expect(
    clippy::disallowed_methods,
    reason = "the tests measure wall-clock latency and timeouts of the real daemon"
)]
fn now() -> std::time::Instant {
    std::time::Instant::now()
}
