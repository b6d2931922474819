//! Crash safety: a daemon killed with SIGKILL while concurrent clients write keeps every write
//! it acknowledged. Each iteration starts the daemon on the data directory of the iterations
//! before (so the history grows; a fresh directory every [`ITERATIONS_PER_DIR_DEFAULT`]
//! iterations bounds the cost of a start), lets [`CLIENTS`] clients write `createSws`,
//! `applyRewrite` (all four op kinds) and `collapseSws` as fast as they can, kills the daemon
//! after a seeded delay of 2 to 50 ms, and checks the next start (which may load a checkpoint,
//! written every [`CHECKPOINT_EVERY`] events in the background, or find one the kill tore):
//! - every acknowledged answer is in the log: an `applyRewrite` at its `rewriteIdx` with its
//!   view and `viewDigest`, a collapse at its `eventIdx` with its event id and receipt digest,
//!   a created SWS with its SWS_CREATE event;
//! - the log is gap-free (`events` pages run 0, 1, 2, ...), `eventCount` is its length, and it
//!   extends the log the previous start restored, unchanged;
//! - nothing is half-applied: every view the iteration touched has as its digest the
//!   `viewDigest` of its last event, and System the `systemSnapshotId` of the last COLLAPSE.
//!
//! `JITOS_KILL9_ITERATIONS` sets the number of iterations (default [`ITERATIONS_DEFAULT`]),
//! `JITOS_KILL9_ITERATIONS_PER_DIR` how many share a directory; `scripts/kill9-soak.sh` runs
//! thousands in release mode.
//!
//! # Invariants
//! - Only answers received in full count as acknowledged; a request cut off by the kill proves
//!   nothing either way, and the log may hold its event or not.
//! - The delays and the clients' choices come from fixed seeds; what the kill interrupts varies
//!   with the machine, and a failure names the iteration and seed.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::{COLLAPSE, CREATE, SplitMix64};
use crate::daemon::Daemon;
use crate::e2e_kernel::data;
use crate::e2e_m2::{APPLY, list, sws_variable, text, u64_of};

/// Iterations when `JITOS_KILL9_ITERATIONS` is not set.
const ITERATIONS_DEFAULT: u64 = 200;
/// Iterations on one data directory when `JITOS_KILL9_ITERATIONS_PER_DIR` is not set: the
/// history grows over them, then a fresh directory bounds the cost of a start (the debug build
/// replays a few thousand events a second).
const ITERATIONS_PER_DIR_DEFAULT: u64 = 20;
/// `--checkpoint-every`: small enough that checkpoints are written (and sometimes cut off by a
/// kill) in the background, so starts also load checkpoints and skip torn ones.
const CHECKPOINT_EVERY: &str = "64";
/// Concurrent writers.
const CLIENTS: u64 = 6;
/// Shortest and longest time the clients write before the kill.
const KILL_AFTER_MS: (usize, usize) = (2, 50);
/// Seed of the delays; client `c` of iteration `i` uses `SEED ^ (i << 8 | c)`.
const SEED: u64 = 0x6b69_6c6c_2d39_0004;
/// The biggest page of events the API serves.
const PAGE_MAX: usize = 1000;
/// Longest wait for one answer: a request the kill cut off fails at once, this is a backstop.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// An answer the daemon gave in full.
#[derive(Debug, Clone)]
enum Ack {
    /// `createSws` created SWS `sws`.
    Created { sws: u64 },
    /// `applyRewrite` on SWS `sws` became event `idx`, leaving the SWS at `digest`.
    Applied { idx: u64, sws: u64, digest: String },
    /// `collapseSws` of SWS `sws` became event `idx` with id `id` and receipt digest `digest`.
    Collapsed {
        idx: u64,
        id: String,
        sws: u64,
        digest: String,
    },
}

/// The fields of each event the checks read.
const EVENT_FIELDS: &str =
    "id idx kind view { kind swsId } viewDigest receipt { committed systemSnapshotId digest }";

/// One writer: its SWSs and what it has added to each.
struct Client {
    iteration: u64,
    name: u64,
    rng: SplitMix64,
    http: reqwest::Client,
    url: String,
    /// Active SWSs it created, with the pairs `(a, b)` of node payloads it added to each,
    /// linked `a -> b` and not yet removed.
    owned: Vec<(u64, Vec<(String, String)>)>,
    n_requests: u64,
}

/// What a request got: an acknowledged answer, or the end of this client's run.
enum Outcome {
    Ack(Value),
    Stopped,
}

impl Client {
    /// Sends `query` with `variables`; the data of an answer in full, or `Stopped` when the
    /// daemon went away (no connection, a cut-off answer, or `INTERNAL` from a dying kernel).
    async fn send(&mut self, query: &str, variables: Value) -> Outcome {
        self.n_requests += 1;
        let body = json!({ "query": query, "variables": variables });
        let sent = self.http.post(&self.url).json(&body).send().await;
        let Ok(response) = sent else {
            return Outcome::Stopped;
        };
        let Ok(answer) = response.json::<Value>().await else {
            return Outcome::Stopped;
        };
        if let Some(errors) = answer.get("errors") {
            let code = &errors[0]["extensions"]["code"];
            assert_eq!(code, "INTERNAL", "a write was refused: {answer}");
            return Outcome::Stopped;
        }
        Outcome::Ack(answer["data"].clone())
    }

    /// Writes until the daemon goes away; every acknowledged answer.
    async fn run(mut self) -> Vec<Ack> {
        let mut acks = Vec::new();
        loop {
            let choice = self.rng.range(0, 9);
            let step = if self.owned.is_empty() || choice == 0 {
                self.create().await
            } else if choice == 1 {
                self.collapse().await
            } else {
                self.apply().await
            };
            match step {
                Some(ack) => acks.push(ack),
                None => return acks,
            }
        }
    }

    async fn create(&mut self) -> Option<Ack> {
        let meta = json!({ "input": { "meta": { "client": self.name } } });
        let Outcome::Ack(data) = self.send(CREATE, meta).await else {
            return None;
        };
        let sws = u64_of(&data["createSws"]["sws"]["id"]);
        self.owned.push((sws, Vec::new()));
        Some(Ack::Created { sws })
    }

    async fn collapse(&mut self) -> Option<Ack> {
        let at = self.pick();
        let sws = self.owned[at].0;
        let input = json!({ "input": { "swsId": sws.to_string() } });
        let Outcome::Ack(data) = self.send(COLLAPSE, input).await else {
            return None;
        };
        let receipt = &data["collapseSws"]["collapseReceipt"];
        if receipt["committed"] == true {
            self.owned.swap_remove(at);
        }
        Some(Ack::Collapsed {
            idx: u64_of(&receipt["eventIdx"]),
            id: text(&receipt["eventId"]).to_owned(),
            sws,
            digest: text(&receipt["digest"]).to_owned(),
        })
    }

    /// Adds a linked pair of nodes; every third time on an SWS, also removes the last pair's
    /// edge and its second node (all four op kinds in one rewrite).
    async fn apply(&mut self) -> Option<Ack> {
        let at = self.pick();
        let (sws, pairs) = &self.owned[at];
        let sws = *sws;
        let n = self.n_requests;
        let prefix = format!("i{}-c{}-{n}", self.iteration, self.name);
        let pair = (format!("{prefix}-a"), format!("{prefix}-b"));
        let mut ops = vec![
            add_node(&pair.0),
            add_node(&pair.1),
            json!({ "op": "AddEdge", "data": link_data(&pair.0, &pair.1) }),
        ];
        let remove = pairs.len() % 3 == 2;
        if let (true, Some((a, b))) = (remove, pairs.last()) {
            let edge = jitos_core::edge_id(&node(a), &node(b), "link", None);
            ops.push(json!({ "op": "RemoveEdge", "data": { "id": edge.to_string() } }));
            ops.push(json!({ "op": "RemoveNode", "data": { "id": node(b).to_string() } }));
        }
        let rewrite = json!({ "view": sws_variable(sws), "rewrite": { "ops": ops } });
        let Outcome::Ack(data) = self.send(APPLY, rewrite).await else {
            return None;
        };
        let receipt = &data["applyRewrite"]["receipt"];
        let pairs = &mut self.owned[at].1;
        if remove {
            pairs.pop();
        }
        pairs.push(pair);
        Some(Ack::Applied {
            idx: u64_of(&receipt["rewriteIdx"]),
            sws,
            digest: text(&receipt["viewDigest"]).to_owned(),
        })
    }

    /// One of the client's SWSs, at random.
    fn pick(&mut self) -> usize {
        self.rng.range(0, self.owned.len() - 1)
    }
}

/// The id of the `demo` node with `payload`.
fn node(payload: &str) -> jitos_core::Hash {
    jitos_core::node_id("demo", payload.as_bytes())
}

/// The `AddNode` op of the `demo` node with `payload`.
fn add_node(payload: &str) -> Value {
    json!({ "op": "AddNode", "data": { "kind": "demo", "payload_b64": STANDARD.encode(payload) } })
}

/// The data of the `AddEdge` op `a -> b` of kind `link`.
fn link_data(a: &str, b: &str) -> Value {
    json!({ "from": node(a).to_string(), "to": node(b).to_string(), "kind": "link" })
}

/// The whole log ([`EVENT_FIELDS`]), paged; checks it is gap-free and that `eventCount` is
/// its length.
async fn read_log(daemon: &Daemon) -> Vec<Value> {
    let mut events: Vec<Value> = Vec::new();
    loop {
        let after = events.last().map_or_else(String::new, |event| {
            format!(r#", after: "{}""#, text(&event["idx"]))
        });
        let query =
            format!("{{ events(page: {{first: {PAGE_MAX}{after}}}) {{ {EVENT_FIELDS} }} }}");
        let page = list(&data(daemon, &query).await["events"]).clone();
        let full = page.len() == PAGE_MAX;
        events.extend(page);
        if !full {
            break;
        }
    }
    for (position, event) in events.iter().enumerate() {
        assert_eq!(
            u64_of(&event["idx"]),
            position as u64,
            "a gap in the log: {event}"
        );
    }
    let count = data(daemon, "{ kernelInfo { eventCount } }").await;
    assert_eq!(
        u64_of(&count["kernelInfo"]["eventCount"]),
        events.len() as u64
    );
    events
}

/// Checks that every acknowledged answer is in `log`.
fn expect_acknowledged(log: &[Value], acks: &[Ack], context: &str) {
    let created: BTreeSet<u64> = log
        .iter()
        .filter(|event| event["kind"] == "SWS_CREATE")
        .map(|event| u64_of(&event["view"]["swsId"]))
        .collect();
    for ack in acks {
        let event = |idx: u64| {
            let position = usize::try_from(idx).expect("a small idx");
            log.get(position)
                .unwrap_or_else(|| panic!("{context}: acknowledged {ack:?} is not in the log"))
        };
        match ack {
            Ack::Created { sws } => assert!(created.contains(sws), "{context}: {ack:?} lost"),
            Ack::Applied { idx, sws, digest } => {
                let event = event(*idx);
                assert_eq!(
                    event["kind"], "REWRITE_APPLIED",
                    "{context}: {ack:?}: {event}"
                );
                assert_eq!(
                    event["view"]["swsId"],
                    sws.to_string(),
                    "{context}: {ack:?}: {event}"
                );
                assert_eq!(
                    text(&event["viewDigest"]),
                    digest,
                    "{context}: {ack:?}: {event}"
                );
            }
            Ack::Collapsed {
                idx,
                id,
                sws,
                digest,
            } => {
                let event = event(*idx);
                assert_eq!(text(&event["id"]), id, "{context}: {ack:?}: {event}");
                assert_eq!(
                    event["view"]["swsId"],
                    sws.to_string(),
                    "{context}: {ack:?}: {event}"
                );
                assert_eq!(
                    text(&event["receipt"]["digest"]),
                    digest,
                    "{context}: {ack:?}: {event}"
                );
            }
        }
    }
}

/// Checks that the views the events `log[from..]` touched stand where their last events left
/// them, and System where the last COLLAPSE left it (`empty` before any).
async fn expect_consistent(
    daemon: &Daemon,
    log: &[Value],
    from: usize,
    empty: &str,
    context: &str,
) {
    let touched: BTreeSet<u64> = log[from..]
        .iter()
        .map(|event| u64_of(&event["view"]["swsId"]))
        .collect();
    for sws in touched {
        let last = log
            .iter()
            .rev()
            .find(|event| u64_of(&event["view"]["swsId"]) == sws)
            .expect("a touched SWS has an event");
        let query = format!(r#"{{ graph(view: {{kind: SWS, swsId: "{sws}"}}) {{ digest }} }}"#);
        let live = data(daemon, &query).await["graph"]["digest"].clone();
        assert_eq!(
            live, last["viewDigest"],
            "{context}: SWS {sws} is not where {last} left it"
        );
    }
    let last_collapse = log.iter().rev().find(|event| event["kind"] == "COLLAPSE");
    let expected = last_collapse.map_or(empty, |event| text(&event["receipt"]["systemSnapshotId"]));
    let system = data(daemon, "{ graph(view: {kind: SYSTEM}) { digest } }").await;
    assert_eq!(
        text(&system["graph"]["digest"]),
        expected,
        "{context}: System after {last_collapse:?}"
    );
}

/// The number in environment variable `name`, or `default`.
fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a number")),
        Err(_) => default,
    }
}

/// Starts the clients on `daemon`, kills it after `delay`; every acknowledged answer.
async fn write_and_kill(daemon: Daemon, iteration: u64, delay: Duration) -> Vec<Ack> {
    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("an HTTP client");
    let clients: Vec<_> = (0..CLIENTS)
        .map(|name| Client {
            iteration,
            name,
            rng: SplitMix64(SEED ^ (iteration << 8 | name)),
            http: http.clone(),
            url: daemon.url("/graphql"),
            owned: Vec::new(),
            n_requests: 0,
        })
        .map(|client| tokio::spawn(client.run()))
        .collect();
    tokio::time::sleep(delay).await;
    daemon.kill();
    let mut acks = Vec::new();
    for client in clients {
        acks.extend(client.await.expect("a client does not panic"));
    }
    acks
}

/// What the checks carry from one start to the next on one data directory.
#[derive(Debug, Default)]
struct Known {
    /// The log the last start restored.
    log: Vec<Value>,
    /// The answers acknowledged since.
    acks: Vec<Ack>,
    /// System's digest on an empty log.
    empty: String,
}

/// What one start found, for the closing summary.
#[derive(Debug, Default)]
struct Totals {
    /// Events in the logs that were never acknowledged (their answers were cut off).
    n_unacknowledged: usize,
    /// Starts that loaded a checkpoint.
    n_from_checkpoint: usize,
}

/// Starts the daemon on `dir` and checks it against `known` (see the module doc), adding what
/// it found to `totals`.
async fn start_and_check(
    dir: &Path,
    known: &mut Known,
    totals: &mut Totals,
    context: &str,
) -> Daemon {
    let daemon = Daemon::start_durable(dir, &["--checkpoint-every", CHECKPOINT_EVERY]);
    let log = read_log(&daemon).await;
    let (n_known, n_acks) = (known.log.len(), known.acks.len());
    assert!(
        log.len() >= n_known + n_acks,
        "{context}: acknowledged events lost"
    );
    assert!(
        log[..n_known] == known.log[..],
        "{context}: the restored log changed"
    );
    expect_acknowledged(&log, &known.acks, context);
    if n_known == 0 && known.empty.is_empty() {
        let system = data(&daemon, "{ graph(view: {kind: SYSTEM}) { digest } }").await;
        known.empty = text(&system["graph"]["digest"]).to_owned();
    }
    expect_consistent(&daemon, &log, n_known, &known.empty, context).await;
    totals.n_unacknowledged += log.len() - n_known - n_acks;
    let info = super::storage(&daemon).await;
    totals.n_from_checkpoint += usize::from(!info["storage"]["bootCheckpointIdx"].is_null());
    known.log = log;
    known.acks.clear();
    daemon
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_daemon_keeps_every_acknowledged_write() {
    let n_iterations = env_number("JITOS_KILL9_ITERATIONS", ITERATIONS_DEFAULT);
    let per_dir = env_number("JITOS_KILL9_ITERATIONS_PER_DIR", ITERATIONS_PER_DIR_DEFAULT).max(1);
    let mut rng = SplitMix64(SEED);
    let (mut n_acks, mut n_events, mut totals) = (0, 0, Totals::default());
    let mut iteration = 0;
    while iteration < n_iterations {
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut known = Known::default();
        let last = n_iterations.min(iteration + per_dir);
        for iteration in iteration..=last {
            let context = format!("iteration {iteration} of {n_iterations} (seed {SEED:#x})");
            let daemon = start_and_check(dir.path(), &mut known, &mut totals, &context).await;
            if iteration == last {
                daemon.stop();
                break;
            }
            let delay = rng.range(KILL_AFTER_MS.0, KILL_AFTER_MS.1);
            let delay = Duration::from_millis(u64::try_from(delay).expect("a small delay"));
            known.acks = write_and_kill(daemon, iteration, delay).await;
            n_acks += known.acks.len();
        }
        n_events += known.log.len();
        iteration = last;
    }
    assert!(n_acks > 0, "no write was ever acknowledged");
    eprintln!(
        "kill -9: {n_iterations} iterations, {n_acks} acknowledged writes, {n_events} events, \
         {} of them never acknowledged; {} starts from a checkpoint",
        totals.n_unacknowledged, totals.n_from_checkpoint
    );
}
