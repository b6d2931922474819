//! M4, the kernel's golden WAL. `tests/fixtures/wal-v1-m3/` holds the segment files
//! `persist::append` wrote for a fixed script of 308 events: every event kind and outcome the M3
//! kernel makes, appended in batches of 1 to 16 events (one sync each), over a small segment
//! size so the log spans several segments. Beside it, `tests/fixtures/wal-v1-m3.expected.json`
//! records for every idx the event's kind, view and id, where its record lies and its record
//! hash, System's digest and the changed view's digest after it; and the final digest of every
//! view.
//!
//! **Old-format fixtures replay forever.** This one is WAL record format 1, segment format 1 and
//! event format 0 (`docs/spec/wal.md`, `docs/spec/events.md`). It is never regenerated: a change
//! to any of those byte forms gets a new version number, the reader keeps reading this one, the
//! fixture stays here replaying to the same digests, and the new format gets a fixture of its own
//! beside it. `UPDATE_EXPECT=1` only creates a fixture that does not exist yet; nothing
//! overwrites one.
//!
//! Every fixture under `tests/fixtures/` is booted and checked against its `expected.json`, so
//! adding a newer one keeps the older ones replaying. Their records pin the rule pack and the
//! policy they were decided under: a kernel with another rule pack must still boot them.
//!
//! The damage tests run on this fixture: the log cut at every byte offset (every prefix of the
//! concatenated segments), and one seeded bit flipped in every byte. Opening the log costs the
//! prefix it re-verifies and a boot replays it, so the CI part checks every offset of the first
//! and the last segment and a structured, seeded selection elsewhere ([`Plan`]);
//! `JITOS_SOAK=1` (`scripts/wal-soak.sh`) opens and boots at every offset.
//!
//! # Invariants
//! - Without `UPDATE_EXPECT=1` nothing here writes to the repository; with it, only a missing
//!   fixture is written. A damaged copy lives in a `SimStorage`, never in the fixture directory.
//! - Every damaged log boots to exactly a prefix that `expected.json` records (same event ids,
//!   same System and changed-view digests at its last idx), or is refused with
//!   `OpenError::Corrupt` naming the damaged segment and the start of the damaged record.
//! - Every random choice comes from a seeded `SplitMix64`: every run tests the same cases.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use jitos_core::{Hash, hash_bytes};
use jitos_graph::{Edge, Node};
use jitos_kernel::{
    BootError, Command, EVENT_FORMAT_VERSION, Event, State, ViewKey, append, boot,
    changed_view_digest,
};
use jitos_schema::enums::{ConflictKind, EventKind};
use jitos_schema::ops::{AddEdge, AddNode, Op, RemoveEdge, RemoveNode};
use jitos_wal::segment::FileHeaderError;
use jitos_wal::{
    DamageReason, DecodeError, FILE_HEADER_LEN, OpenError, RecoveryAction, ScanEnd, SimStorage,
    SplitMix64, Wal, WalOptions, decode,
};
use serde_json::{Value, json};

/// Rounds of the script; each makes [`EVENTS_PER_ROUND`] events.
const ROUNDS: usize = 14;
/// Events one round of the script makes.
const EVENTS_PER_ROUND: usize = 22;
/// SWSs one round creates.
const SWS_PER_ROUND: u64 = 6;
/// The fixture's segment size: small, so the log spans several segments.
const SEGMENT_BYTES_MAX: u64 = 32 << 10;
/// Seeds the batch sizes (1 to [`BATCH_EVENTS_MAX`]) the fixture was appended in.
const BATCH_SEED: u64 = 0x6a17_05e5;
/// The largest batch the fixture was appended in.
const BATCH_EVENTS_MAX: u64 = 16;
/// Seeds the choices of the damage tests (offsets inside records, flipped bits).
const DAMAGE_SEED: u64 = 0xda4a_6e00;

const FIXTURE_NAME: &str = "wal-v1-m3";
const DO_NOT_REGENERATE: &str = "do not regenerate the fixture: it is an old-format fixture \
    that must keep replaying. Bump the format version that changed, keep reading this one, and \
    add a new fixture beside it (crates/jitos-kernel/tests/it/wal_golden.rs)";

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

fn fixture_dir(name: &str) -> PathBuf {
    fixtures_dir().join(name)
}

fn expected_path(name: &str) -> PathBuf {
    fixtures_dir().join(format!("{name}.expected.json"))
}

fn env_is_one(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|value| value == "1")
}

// ---------------------------------------------------------------------------------------------
// The script.

fn node(round: u64, name: &str) -> Node {
    let kind = if name == "solo" { "doc" } else { "demo" };
    Node::new(kind, format!("{round}:{name}"))
}

fn add_node(round: u64, name: &str) -> Op {
    let node = node(round, name);
    Op::AddNode(AddNode {
        kind: node.kind().to_owned(),
        payload: node.payload().to_vec(),
    })
}

fn remove_node(round: u64, name: &str) -> Op {
    Op::RemoveNode(RemoveNode {
        id: *node(round, name).id().as_bytes(),
    })
}

/// The edges a round uses: `a→b` (kind `link`, with a payload), `b→c` (`link`), `solo→a`
/// (`ref`).
fn edge(round: u64, from: &str, to: &str) -> Edge {
    let (kind, payload) = match (from, to) {
        ("a", "b") => ("link", Some(format!("w{round}"))),
        ("solo", _) => ("ref", None),
        _ => ("link", None),
    };
    let (from, to) = (node(round, from).id(), node(round, to).id());
    Edge::new(from, to, kind, payload.as_deref().map(str::as_bytes))
}

fn add_edge(round: u64, from: &str, to: &str) -> Op {
    let edge = edge(round, from, to);
    Op::AddEdge(AddEdge {
        from: *edge.from().as_bytes(),
        to: *edge.to().as_bytes(),
        kind: edge.kind().to_owned(),
        payload: edge.payload().map(<[u8]>::to_vec),
    })
}

fn remove_edge(round: u64, from: &str, to: &str) -> Op {
    Op::RemoveEdge(RemoveEdge {
        id: *edge(round, from, to).id().as_bytes(),
    })
}

fn create(meta: Option<Value>, idempotency_key: Option<String>) -> Command {
    Command::CreateSws {
        meta,
        idempotency_key,
    }
}

fn write(sws: u64, ops: Vec<Op>, meta: Option<Value>, key: Option<String>) -> Command {
    Command::ApplyRewrite {
        view: ViewKey::Sws(sws),
        ops,
        meta,
        idempotency_key: key,
    }
}

fn collapse(id: u64, meta: Option<Value>, idempotency_key: Option<String>) -> Command {
    Command::CollapseSws {
        id,
        meta,
        idempotency_key,
    }
}

fn rebase(id: u64, meta: Option<Value>, idempotency_key: Option<String>) -> Command {
    Command::RebaseSws {
        id,
        meta,
        idempotency_key,
    }
}

fn discard(id: u64, reason: Option<String>, meta: Option<Value>) -> Command {
    Command::DiscardSws {
        id,
        reason,
        meta,
        idempotency_key: None,
    }
}

/// One round, SWSs `6r` to `6r + 5` (A to F). A lands `a`, `b`, `solo` and `a→b`; C removes
/// `a→b` and `b` and lands; D adds `c` and `b→c` and removes `a→b`: its collapse aborts
/// (EDGE_END_REMOVED, ALREADY_REMOVED), its rebase is refused, it is discarded. F adds
/// `solo→a` and lands, so E's removal of `solo` aborts (NODE_REMOVAL_UNDER_NEW_EDGE) and E is
/// discarded. B, created before all that, adds `d`, rebases (committed) and lands.
fn round(r: u64) -> Vec<Command> {
    let [a, b, c, d, e, f] = std::array::from_fn(|i| SWS_PER_ROUND * r + i as u64);
    let key = |step: &str| Some(format!("golden-{r}-{step}"));
    let n = -i64::try_from(r).expect("few rounds");
    let even = r.is_multiple_of(2);
    vec![
        create(
            Some(json!({ "round": r, "role": "lander" })),
            key("create-a"),
        ),
        create(None, None),
        write(
            a,
            vec![
                add_node(r, "a"),
                add_node(r, "b"),
                add_node(r, "solo"),
                add_edge(r, "a", "b"),
            ],
            Some(json!({ "step": "seed", "n": n })),
            key("seed"),
        ),
        collapse(a, Some(json!({ "why": "land" })), key("land")),
        create(None, None),
        create(
            Some(json!({ "tags": ["x", "y"], "ratio": 0.25, "whole": 2.0, "nested": { "r": r } })),
            None,
        ),
        create(None, None),
        create(Some(json!({})), key("create-f")),
        write(
            c,
            vec![remove_edge(r, "a", "b"), remove_node(r, "b")],
            None,
            None,
        ),
        collapse(c, None, None),
        write(
            d,
            vec![
                add_node(r, "c"),
                add_edge(r, "b", "c"),
                remove_edge(r, "a", "b"),
            ],
            None,
            key("d"),
        ),
        collapse(d, None, None),
        rebase(d, Some(json!({ "why": "retry" })), None),
        discard(d, Some(format!("conflicts in round {r}")), None),
        write(e, vec![remove_node(r, "solo")], None, None),
        write(f, vec![add_edge(r, "solo", "a")], None, None),
        collapse(f, None, None),
        collapse(e, None, key("collapse-e")),
        discard(
            e,
            even.then(|| "superseded".to_owned()),
            Some(json!({ "note": "gone" })),
        ),
        write(
            b,
            vec![add_node(r, "d")],
            Some(json!({ "late": true })),
            None,
        ),
        rebase(b, None, key("rebase-b")),
        collapse(b, None, None),
    ]
}

/// The fixture's script: every command makes exactly one new event.
fn script() -> Vec<Command> {
    (0..ROUNDS as u64).flat_map(round).collect()
}

// ---------------------------------------------------------------------------------------------
// Writing the fixture (what today's code writes) and reading it back.

/// What one idx of `expected.json` records.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    idx: u64,
    kind: String,
    view: String,
    id: Hash,
    system_digest: Hash,
    changed_view_digest: Hash,
    segment: String,
    offset: usize,
    len: usize,
    record_hash: Hash,
}

impl Row {
    fn end(&self) -> usize {
        self.offset + self.len
    }

    fn to_json(&self) -> Value {
        json!({
            "idx": self.idx,
            "kind": self.kind,
            "view": self.view,
            "id": self.id.to_string(),
            "system_digest": self.system_digest.to_string(),
            "changed_view_digest": self.changed_view_digest.to_string(),
            "segment": self.segment,
            "offset": self.offset,
            "len": self.len,
            "record_hash": self.record_hash.to_string(),
        })
    }

    fn from_json(value: &Value) -> Row {
        let text = |field: &str| {
            value[field]
                .as_str()
                .unwrap_or_else(|| panic!("expected.json: {field} in {value}"))
                .to_owned()
        };
        let number = |field: &str| {
            value[field]
                .as_u64()
                .unwrap_or_else(|| panic!("expected.json: {field} in {value}"))
        };
        let hash = |field: &str| Hash::from_hex(&text(field)).expect("expected.json: a hash");
        let size = |field: &str| usize::try_from(number(field)).expect("fits usize");
        Row {
            idx: number("idx"),
            kind: text("kind"),
            view: text("view"),
            id: hash("id"),
            system_digest: hash("system_digest"),
            changed_view_digest: hash("changed_view_digest"),
            segment: text("segment"),
            offset: size("offset"),
            len: size("len"),
            record_hash: hash("record_hash"),
        }
    }
}

/// A fixture: its segment files in name order, and what `expected.json` says.
#[derive(Debug, Clone, PartialEq)]
struct Fixture {
    segments: Vec<(String, Vec<u8>)>,
    rows: Vec<Row>,
    final_views: BTreeMap<String, Hash>,
    expected: Value,
}

impl Fixture {
    fn storage(&self) -> SimStorage {
        storage_of(self.segments.iter().map(|(name, bytes)| (name, &bytes[..])))
    }

    /// The rows whose records lie in segment `k`, as an idx range.
    fn rows_of(&self, k: usize) -> std::ops::Range<usize> {
        let name = &self.segments[k].0;
        let start = self.rows.partition_point(|row| row.segment < *name);
        let end = self.rows.partition_point(|row| row.segment <= *name);
        start..end
    }
}

/// A `SimStorage` holding exactly `files`, all durable.
fn storage_of<'a>(files: impl IntoIterator<Item = (&'a String, &'a [u8])>) -> SimStorage {
    let storage = SimStorage::new();
    for (name, bytes) in files {
        storage.overwrite(name, bytes.to_vec());
    }
    storage
}

/// The digest of every view of `state`, by its display name.
fn view_digests(state: &State) -> BTreeMap<String, Hash> {
    let keys = std::iter::once(ViewKey::System)
        .chain(state.all_sws().map(|record| ViewKey::Sws(record.id)));
    keys.map(|key| {
        let history = state.history(key).expect("every view has a history");
        (key.to_string(), history.live().digest())
    })
    .collect()
}

/// Runs the script, appends its events with `persist::append` in seeded batches, and describes
/// the result: what the fixture must be, byte for byte, once the writer's zero padding is cut
/// off ([`without_padding`]).
fn write_fixture() -> Fixture {
    let mut state = State::new();
    let mut rows = Vec::new();
    for command in script() {
        let event = state.apply(command).expect("the script is valid");
        assert_eq!(event.idx + 1, state.events().len() as u64, "one new event");
        let changed_view_digest = changed_view_digest(&event);
        rows.push(Row {
            idx: event.idx,
            kind: event.kind.as_str().to_owned(),
            view: event.view.to_string(),
            id: event.id,
            system_digest: state.system().digest(),
            changed_view_digest,
            segment: String::new(),
            offset: 0,
            len: 0,
            record_hash: Hash::ZERO,
        });
    }
    let storage = SimStorage::new();
    let options = WalOptions {
        segment_bytes_max: SEGMENT_BYTES_MAX,
        ..WalOptions::default()
    };
    let (_, mut wal, _) = boot(storage.clone(), options).expect("an empty log boots");
    let events: Vec<Arc<Event>> = state.events().iter().cloned().collect();
    let mut rng = SplitMix64::new(BATCH_SEED);
    let mut rest = &events[..];
    while !rest.is_empty() {
        let n = usize::try_from(1 + rng.below(BATCH_EVENTS_MAX)).expect("small");
        let (batch, later) = rest.split_at(n.min(rest.len()));
        append(&mut wal, batch).expect("durable");
        rest = later;
    }
    drop(wal);
    let segments = without_padding(&storage);
    locate_records(&segments, &mut rows);
    let final_views = view_digests(&state);
    let expected = expected_json(&segments, &rows, &final_views);
    Fixture {
        segments,
        rows,
        final_views,
        expected,
    }
}

/// The segment files of `storage` with their zero padding cut off. Today's writer writes its
/// records over zeros it preallocated (`docs/spec/wal.md`, "Preallocation") and leaves them
/// after the last record of the active segment; the fixture was written before it did and has
/// none. So the records must match the fixture byte for byte, and what follows them must be
/// zero padding, in the last segment only (a sealed segment is cut back to its records).
fn without_padding(storage: &SimStorage) -> Vec<(String, Vec<u8>)> {
    let scan = jitos_wal::scan(storage).expect("the written log scans");
    assert_eq!(scan.end, ScanEnd::Clean, "the written log is clean");
    let files = storage.snapshot();
    assert_eq!(files.len(), scan.segments.len(), "every file is a segment");
    let n_segments = scan.segments.len();
    let mut segments = Vec::new();
    for (k, summary) in scan.segments.iter().enumerate() {
        let bytes = &files[&summary.name];
        let records_len = usize::try_from(summary.valid_len).expect("a small segment");
        let padding = &bytes[records_len..];
        assert!(
            padding.iter().all(|byte| *byte == 0),
            "{}: not zero padding after the records",
            summary.name
        );
        assert!(
            padding.is_empty() || k + 1 == n_segments,
            "{}: a sealed segment keeps padding",
            summary.name
        );
        segments.push((summary.name.clone(), bytes[..records_len].to_vec()));
    }
    segments
}

/// Fills in where each row's record lies, by decoding the segments in order.
fn locate_records(segments: &[(String, Vec<u8>)], rows: &mut [Row]) {
    let mut idx = 0;
    for (name, bytes) in segments {
        let mut offset = FILE_HEADER_LEN;
        while offset < bytes.len() {
            let decoded = decode(&bytes[offset..]).expect("a record");
            let row = &mut rows[idx];
            assert_eq!(decoded.record.idx, row.idx);
            row.segment.clone_from(name);
            row.offset = offset;
            row.len = decoded.len;
            row.record_hash = decoded.hash;
            offset += decoded.len;
            idx += 1;
        }
    }
    assert_eq!(idx, rows.len(), "every event has its record");
}

fn expected_json(
    segments: &[(String, Vec<u8>)],
    rows: &[Row],
    final_views: &BTreeMap<String, Hash>,
) -> Value {
    let segments: Vec<Value> = segments
        .iter()
        .map(|(name, bytes)| {
            let n_records = rows.iter().filter(|row| row.segment == *name).count();
            json!({
                "name": name,
                "bytes": bytes.len(),
                "records": n_records,
                "blake3": hash_bytes(bytes).to_string(),
            })
        })
        .collect();
    let views: serde_json::Map<String, Value> = final_views
        .iter()
        .map(|(view, digest)| (view.clone(), json!(digest.to_string())))
        .collect();
    json!({
        "fixture": FIXTURE_NAME,
        "about": "crates/jitos-kernel/tests/it/wal_golden.rs: an old-format fixture; never regenerate it",
        "record_format": 1,
        "segment_format": 1,
        "event_format": EVENT_FORMAT_VERSION,
        "segment_bytes_max": SEGMENT_BYTES_MAX,
        "batch_seed": BATCH_SEED,
        "segments": segments,
        "events": rows.iter().map(Row::to_json).collect::<Vec<_>>(),
        "final_views": views,
    })
}

fn expected_text(expected: &Value) -> String {
    let mut text = serde_json::to_string_pretty(expected).expect("serialises");
    text.push('\n');
    text
}

/// Writes `fixture` to the repository. Only ever called when no fixture exists.
fn create_fixture(fixture: &Fixture) {
    let (dir, expected) = (fixture_dir(FIXTURE_NAME), expected_path(FIXTURE_NAME));
    assert!(!dir.exists() && !expected.exists());
    std::fs::create_dir_all(&dir).expect("create the fixture directory");
    for (name, bytes) in &fixture.segments {
        std::fs::write(dir.join(name), bytes).expect("write a segment");
    }
    std::fs::write(expected, expected_text(&fixture.expected)).expect("write expected");
}

/// The checked-in fixture, read once per test run. Under `UPDATE_EXPECT=1` a missing fixture
/// is created first; an existing one is never touched.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = fixture_dir(FIXTURE_NAME);
        let missing = !dir.exists() && !expected_path(FIXTURE_NAME).exists();
        if missing && env_is_one("UPDATE_EXPECT") {
            create_fixture(&write_fixture());
        }
        assert!(
            !missing || dir.exists(),
            "the fixture {} is missing; create it once with UPDATE_EXPECT=1",
            dir.display()
        );
        read_fixture(FIXTURE_NAME)
    })
}

/// The fixture `name` as checked in: `tests/fixtures/{name}/` and `{name}.expected.json`.
fn read_fixture(name: &str) -> Fixture {
    let dir = fixture_dir(name);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("the fixture directory")
        .map(|entry| entry.expect("a directory entry").file_name())
        .map(|name| name.into_string().expect("a UTF-8 name"))
        .collect();
    names.sort();
    let segments = names
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(dir.join(&name)).expect("a segment");
            (name, bytes)
        })
        .collect();
    let text = std::fs::read_to_string(expected_path(name)).expect("expected.json");
    let expected: Value = serde_json::from_str(&text).expect("expected.json is JSON");
    let rows = expected["events"]
        .as_array()
        .expect("expected.json: events")
        .iter()
        .map(Row::from_json)
        .collect();
    let final_views = expected["final_views"]
        .as_object()
        .expect("expected.json: final_views")
        .iter()
        .map(|(view, digest)| {
            let digest = Hash::from_hex(digest.as_str().expect("a hash")).expect("a hash");
            (view.clone(), digest)
        })
        .collect();
    Fixture {
        segments,
        rows,
        final_views,
        expected,
    }
}

// ---------------------------------------------------------------------------------------------
// The fixture itself.

/// The digest of `view` right after event `idx`, from the state's history.
fn digest_after(state: &State, view: ViewKey, idx: u64) -> Hash {
    let history = state.history(view).expect("the view exists");
    let version = history.version_at(idx).expect("the view existed then");
    history.version(version).expect("a version").digest
}

/// Asserts that `event`, replayed into `state`, is what `row` recorded.
fn assert_event_is_row(state: &State, event: &Event, row: &Row) {
    let idx = event.idx;
    assert_eq!(idx, row.idx);
    assert_eq!(event.kind.as_str(), row.kind, "kind of event {idx}");
    assert_eq!(event.view.to_string(), row.view, "view of event {idx}");
    assert_eq!(event.id, row.id, "id of event {idx}");
    let changed = changed_view(event);
    assert_eq!(changed_view_digest(event), row.changed_view_digest, "{idx}");
    let system = digest_after(state, ViewKey::System, idx);
    assert_eq!(system, row.system_digest, "System after event {idx}");
    let view = digest_after(state, changed, idx);
    assert_eq!(view, row.changed_view_digest, "{changed} after event {idx}");
}

/// Boots `fixture` and checks it against its `expected.json`, idx by idx.
fn assert_fixture_replays(name: &str, fixture: &Fixture) {
    let (state, wal, recovery) = boot(fixture.storage(), WalOptions::default())
        .unwrap_or_else(|error| panic!("{name} no longer boots: {error}; {DO_NOT_REGENERATE}"));
    assert_eq!(recovery.scan.end, ScanEnd::Clean, "{name}");
    assert_eq!(recovery.action, RecoveryAction::None, "{name}");
    assert_eq!(state.events().len(), fixture.rows.len(), "{name}");
    assert_eq!(wal.next_idx(), fixture.rows.len() as u64, "{name}");
    for (event, row) in state.events().iter().zip(&fixture.rows) {
        assert_event_is_row(&state, event, row);
    }
    assert_eq!(view_digests(&state), fixture.final_views, "{name}");
    // The records lie where expected.json says, and the segment files are the ones recorded.
    let mut located = fixture.rows.clone();
    locate_records(&fixture.segments, &mut located);
    assert!(
        located == fixture.rows,
        "{name}: records elsewhere than recorded"
    );
    let segments = fixture.expected["segments"].as_array().expect("segments");
    assert_eq!(segments.len(), fixture.segments.len(), "{name}");
    for ((segment, bytes), recorded) in fixture.segments.iter().zip(segments) {
        assert_eq!(recorded["name"], json!(segment), "{name}");
        assert_eq!(recorded["bytes"], json!(bytes.len()), "{name}: {segment}");
        let digest = hash_bytes(bytes).to_string();
        assert_eq!(recorded["blake3"], json!(digest), "{name}: {segment}");
    }
}

/// Every fixture under `tests/fixtures/` (this one, and every older or newer one added beside
/// it) boots to its `expected.json` at every idx.
#[test]
fn every_fixture_boots_to_its_expected_json_at_every_idx() {
    assert_fixture_replays(FIXTURE_NAME, fixture());
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_dir())
        .filter_map(|path| Some(path.file_name()?.to_str()?.to_owned()))
        .filter(|name| name.starts_with("wal-"))
        .collect();
    names.sort();
    assert!(names.iter().any(|name| name == FIXTURE_NAME), "{names:?}");
    for name in names.iter().filter(|name| *name != FIXTURE_NAME) {
        assert_fixture_replays(name, &read_fixture(name));
    }
}

#[test]
fn the_fixture_covers_every_event_kind_and_outcome() {
    let fixture = fixture();
    assert!(fixture.rows.len() >= 300, "{} events", fixture.rows.len());
    assert_eq!(fixture.rows.len(), EVENTS_PER_ROUND * ROUNDS);
    assert!(
        fixture.segments.len() >= 3,
        "{} segments",
        fixture.segments.len()
    );
    let (state, _, _) = boot(fixture.storage(), WalOptions::default()).expect("boots");
    let events = state.events();
    let has = |test: &dyn Fn(&Event) -> bool| events.iter().any(|event| test(event));
    for kind in [
        EventKind::SwsCreate,
        EventKind::RewriteApplied,
        EventKind::Collapse,
        EventKind::Rebase,
        EventKind::Discard,
    ] {
        assert!(has(&|event| event.kind == kind), "{kind:?}");
    }
    for (kind, committed) in [(EventKind::Collapse, true), (EventKind::Rebase, true)]
        .into_iter()
        .chain([(EventKind::Collapse, false), (EventKind::Rebase, false)])
    {
        let outcome = |event: &Event| event.outcome.as_ref().map(|o| o.committed);
        assert!(
            has(&|event| event.kind == kind && outcome(event) == Some(committed)),
            "{kind:?} committed: {committed}"
        );
    }
    for conflict in ConflictKind::ALL {
        let has_conflict = |event: &Event| {
            let conflicts = event.outcome.iter().flat_map(|o| &o.conflicts);
            conflicts.into_iter().any(|c| c.kind == conflict)
        };
        let collapse = |event: &Event| event.kind == EventKind::Collapse;
        assert!(
            has(&|event| collapse(event) && has_conflict(event)),
            "{conflict:?}"
        );
    }
    for op in ["AddNode", "RemoveNode", "AddEdge", "RemoveEdge"] {
        let names = |event: &Event| event.ops.iter().map(|op| op.name()).collect::<Vec<_>>();
        assert!(has(&|event| names(event).contains(&op)), "{op}");
    }
    assert!(has(&|e| e.kind == EventKind::Discard && e.reason.is_some()));
    assert!(has(&|e| e.kind == EventKind::Discard && e.reason.is_none()));
    assert!(has(&|e| e.meta.is_some()) && has(&|e| e.meta.is_none()));
    assert!(has(&|e| e.idempotency_key.is_some()) && has(&|e| e.idempotency_key.is_none()));
}

/// Where two byte strings first differ, for a readable failure.
fn first_difference(found: &[u8], expected: &[u8]) -> Option<usize> {
    let common = found.len().min(expected.len());
    (0..common)
        .find(|&at| found[at] != expected[at])
        .or((found.len() != expected.len()).then_some(common))
}

/// Today's writer writes every segment of the fixture again: the same names, the records byte
/// for byte, and after them nothing but zero padding, in the last segment only (checked and cut
/// off by [`without_padding`]; the fixture predates preallocation and has none).
#[test]
fn todays_writer_reproduces_the_fixture_byte_for_byte() {
    let fixture = fixture();
    let written = write_fixture();
    let names = |segments: &[(String, Vec<u8>)]| {
        segments
            .iter()
            .map(|(name, _)| name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&written.segments),
        names(&fixture.segments),
        "today's writer splits the log into other segments; {DO_NOT_REGENERATE}"
    );
    for ((name, found), (_, expected)) in written.segments.iter().zip(&fixture.segments) {
        if let Some(at) = first_difference(found, expected) {
            panic!(
                "today's writer no longer writes {name} of the fixture: first difference at \
                 byte {at}; {DO_NOT_REGENERATE}"
            );
        }
    }
    assert!(
        written.expected == fixture.expected,
        "today's script no longer makes the events expected.json records; {DO_NOT_REGENERATE}"
    );
}

// ---------------------------------------------------------------------------------------------
// Damage: cuts at every offset, bit flips.

/// Asserts that `state`, booted from a damaged copy of the fixture, is exactly the fixture's
/// first `n` events: the same ids, and the digests `expected.json` records after idx `n - 1`.
fn assert_state_is_prefix(fixture: &Fixture, state: &State, n: usize, at: &str) {
    assert_eq!(state.events().len(), n, "{at}: booted events");
    for (event, row) in state.events().iter().zip(&fixture.rows) {
        assert_eq!(event.id, row.id, "{at}: event {}", row.idx);
    }
    let Some(last) = n.checked_sub(1).map(|idx| &fixture.rows[idx]) else {
        assert_eq!(
            state.system().digest(),
            State::new().system().digest(),
            "{at}"
        );
        assert_eq!(state.all_sws().count(), 0, "{at}");
        return;
    };
    assert_eq!(state.system().digest(), last.system_digest, "{at}: System");
    let event = state.events().back().expect("n > 0");
    let changed = state.history(changed_view(event)).expect("the view exists");
    assert_eq!(
        changed.live().digest(),
        last.changed_view_digest,
        "{at}: changed view"
    );
}

fn changed_view(event: &Event) -> ViewKey {
    match event.kind {
        EventKind::Collapse => ViewKey::System,
        _ => event.view,
    }
}

/// How far the CI part checks one damaged copy of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Depth {
    /// Not checked (`JITOS_SOAK=1` checks it).
    Skip,
    /// `Wal::open`.
    Open,
    /// `Wal::open`, then `persist::boot`.
    Boot,
}

/// The seeded choices of the damage tests.
///
/// `Wal::open` re-verifies every record before the damage, so opening at every offset costs
/// the square of the log's size (about 30 s per test in the debug profile), and a boot replays
/// the prefix (about 4k events/s). The CI part therefore checks every offset of the first and
/// the last segment (so every byte of a file header, a record header, a body and a record hash,
/// and both sides of a rotation) and, elsewhere, every offset of each file header and of each
/// segment's first and last record, every record boundary and a seeded offset in each field
/// group of every record ([`probe_zones`]); it boots at a seeded subset of those. Under
/// `JITOS_SOAK=1` it opens and boots at every offset.
struct Plan {
    soak: bool,
    /// Per record (by idx), one seeded offset in each of its [`probe_zones`].
    probes: Vec<[usize; 6]>,
    /// Per record, the probe the CI part boots at (if `boot` says so).
    inside: Vec<usize>,
    /// Per segment, a seeded offset strictly inside its file header.
    inside_header: Vec<usize>,
    /// Records whose damage the CI part boots: every record of the first segment, the last
    /// record, and one in [`BOOT_ONE_IN`] elsewhere.
    boot: Vec<bool>,
}

/// The field groups of a record `len_bytes` long (`docs/spec/wal.md`), as offset ranges from
/// its start: magic, version with flags and length, idx to view digest, header check, body,
/// record hash. The first starts at 1, so that a cut at any probe falls strictly inside.
fn probe_zones(len_bytes: usize) -> [std::ops::Range<usize>; 6] {
    let hash_at = len_bytes - 32;
    [
        1..4,
        4..12,
        12..120,
        120..128,
        128..hash_at,
        hash_at..len_bytes,
    ]
}

/// Outside the first segment, the CI part boots the damage of one record in this many.
const BOOT_ONE_IN: u64 = 10;

/// In the last record (where a flip is a torn tail), the CI part boots every this many bytes.
const TORN_BOOT_EVERY: usize = 64;

impl Plan {
    fn new(fixture: &Fixture) -> Plan {
        let mut rng = SplitMix64::new(DAMAGE_SEED);
        let probes: Vec<[usize; 6]> = fixture
            .rows
            .iter()
            .map(|row| {
                probe_zones(row.len)
                    .map(|zone| row.offset + zone.start + rng.below_usize(zone.len()))
            })
            .collect();
        let inside = probes
            .iter()
            .map(|zones| zones[rng.below_usize(6)])
            .collect();
        let inside_header = fixture
            .segments
            .iter()
            .map(|_| 1 + rng.below_usize(FILE_HEADER_LEN - 1))
            .collect();
        let first = fixture.rows_of(0);
        let last = fixture.rows.len() - 1;
        let boot = (0..fixture.rows.len())
            .map(|idx| first.contains(&idx) || idx == last || rng.one_in(BOOT_ONE_IN))
            .collect();
        Plan {
            soak: env_is_one("JITOS_SOAK"),
            probes,
            inside,
            inside_header,
            boot,
        }
    }

    /// How far to check damage at byte `at` of segment `k` that falls in record `idx` (a cut
    /// inside it, or a flip in it): at a probe, in a segment checked whole, or in a record at
    /// the edge of its segment.
    fn in_record(&self, fixture: &Fixture, k: usize, idx: usize, at: usize) -> Depth {
        let rows = fixture.rows_of(k);
        let whole = k == 0 || k + 1 == fixture.segments.len();
        let at_edge = idx == rows.start || idx + 1 == rows.end;
        if at == self.inside[idx] && self.boot[idx] {
            Depth::Boot
        } else if whole || at_edge || self.probes[idx].contains(&at) {
            Depth::Open
        } else {
            Depth::Skip
        }
    }

    /// How far to check the log cut at `len` bytes of segment `k`.
    fn cut(&self, fixture: &Fixture, k: usize, len: usize) -> Depth {
        let boot_if = |boot: bool| if boot { Depth::Boot } else { Depth::Open };
        let (n, torn) = expected_cut(fixture, k, len);
        match torn {
            _ if self.soak => Depth::Boot,
            // A boundary: the file header alone, or the end of record n - 1.
            None => boot_if(len == FILE_HEADER_LEN || self.boot[n - 1]),
            Some(0) => boot_if(len == 0 || len == self.inside_header[k]),
            Some(_) => self.in_record(fixture, k, n, len),
        }
    }

    /// How far to check the log with a bit flipped in byte `offset` of segment `k`.
    fn flip(&self, fixture: &Fixture, k: usize, offset: usize) -> Depth {
        let (idx, damage, torn) = expected_flip(fixture, k, offset);
        if self.soak || (torn && (offset - damage).is_multiple_of(TORN_BOOT_EVERY)) {
            Depth::Boot
        } else if offset < FILE_HEADER_LEN {
            if offset == self.inside_header[k] {
                Depth::Boot
            } else {
                Depth::Open
            }
        } else {
            self.in_record(fixture, k, idx, offset)
        }
    }
}

/// What a cut at `len` bytes of segment `k` must leave: the records kept, and (for a cut
/// inside the file header or a record) the offset of the torn tail.
fn expected_cut(fixture: &Fixture, k: usize, len: usize) -> (usize, Option<usize>) {
    let rows = fixture.rows_of(k);
    let whole = fixture.rows[rows.clone()]
        .iter()
        .filter(|row| row.end() <= len)
        .count();
    let n = rows.start + whole;
    let at_boundary = len == FILE_HEADER_LEN || fixture.rows[rows].iter().any(|r| r.end() == len);
    let torn = if at_boundary {
        None
    } else if len < FILE_HEADER_LEN {
        Some(0)
    } else {
        Some(fixture.rows[n].offset)
    };
    (n, torn)
}

/// The fixture cut to segments `0..k` whole and `len` bytes of segment `k`.
fn cut_storage(fixture: &Fixture, k: usize, len: usize) -> SimStorage {
    let (name, bytes) = &fixture.segments[k];
    let whole = fixture.segments[..k]
        .iter()
        .map(|(name, bytes)| (name, &bytes[..]));
    storage_of(whole.chain([(name, &bytes[..len])]))
}

/// Opens the log cut at `len` bytes of segment `k` and checks what recovery kept and did.
fn check_cut_open(fixture: &Fixture, k: usize, len: usize) {
    let at = format!("cut at byte {len} of segment {k}");
    let (n, torn) = expected_cut(fixture, k, len);
    let storage = cut_storage(fixture, k, len);
    let mut seen = Vec::new();
    let visit = &mut |decoded: jitos_wal::Decoded<&[u8]>| seen.push(decoded.hash);
    let (wal, recovery) =
        Wal::open_visit(storage.clone(), WalOptions::default(), visit).expect(&at);
    let recorded: Vec<Hash> = fixture.rows[..n].iter().map(|r| r.record_hash).collect();
    assert!(seen == recorded, "{at}: records kept");
    assert_eq!(wal.next_idx(), n as u64, "{at}");
    let name = &fixture.segments[k].0;
    let Some(offset) = torn else {
        assert_eq!(recovery.scan.end, ScanEnd::Clean, "{at}");
        assert_eq!(recovery.action, RecoveryAction::None, "{at}");
        return;
    };
    let end = &recovery.scan.end;
    let reason_fits = match end.damage().map(|(_, _, reason)| reason) {
        Some(DamageReason::FileHeader(header)) => {
            offset == 0 && *header == FileHeaderError::Truncated { len }
        }
        Some(DamageReason::Record(record)) => {
            matches!(record, DecodeError::Truncated { .. })
        }
        _ => false,
    };
    assert!(
        matches!(end, ScanEnd::TornTail { segment, offset: o, .. }
            if segment == name && *o == offset as u64)
            && reason_fits,
        "{at}: {end:?}"
    );
    assert!(
        matches!(&recovery.action, RecoveryAction::Cut { segment, offset: o, removed_segments, .. }
            if segment == name && *o == offset as u64 && removed_segments.is_empty()),
        "{at}: {:?}",
        recovery.action
    );
    // The cut is on disk: the segment keeps exactly its whole records, or is gone.
    let files = storage.snapshot();
    assert_eq!(files.len(), if offset == 0 { k } else { k + 1 }, "{at}");
    if offset > 0 {
        assert!(files[name] == fixture.segments[k].1[..offset], "{at}");
    }
}

/// Boots the log cut at `len` bytes of segment `k` and checks the state.
fn check_cut_boot(fixture: &Fixture, k: usize, len: usize) {
    let at = format!("boot cut at byte {len} of segment {k}");
    let (n, _) = expected_cut(fixture, k, len);
    let (state, wal, _) = boot(cut_storage(fixture, k, len), WalOptions::default()).expect(&at);
    assert_eq!(wal.next_idx(), n as u64, "{at}");
    assert_state_is_prefix(fixture, &state, n, &at);
}

/// Every prefix of the concatenated segments: segments `0..k` whole and segment `k` cut at
/// every `len` (0 keeps an empty file), as far as [`Plan::cut`] says.
#[test]
fn a_cut_at_every_byte_offset_boots_to_the_recorded_prefix() {
    let fixture = fixture();
    let plan = Plan::new(fixture);
    let mut counts = BTreeMap::<&str, usize>::new();
    let (state, _, _) = boot(SimStorage::new(), WalOptions::default()).expect("no log boots");
    assert_state_is_prefix(fixture, &state, 0, "no segment at all");
    for k in 0..fixture.segments.len() {
        for len in 0..=fixture.segments[k].1.len() {
            let depth = plan.cut(fixture, k, len);
            *counts.entry("offsets").or_default() += 1;
            if depth != Depth::Skip {
                check_cut_open(fixture, k, len);
                *counts.entry("opens").or_default() += 1;
            }
            if depth == Depth::Boot {
                check_cut_boot(fixture, k, len);
                *counts.entry("boots").or_default() += 1;
            }
        }
    }
    let n_bytes: usize = fixture.segments.iter().map(|(_, b)| b.len()).sum();
    assert_eq!(counts["offsets"], n_bytes + fixture.segments.len());
    let (opens, boots) = (counts["opens"], counts["boots"]);
    assert!(
        opens > n_bytes / 4 && boots > fixture.rows.len() / 2,
        "{counts:?}"
    );
    assert!(!plan.soak || boots == counts["offsets"], "{counts:?}");
}

/// What flipping a bit in byte `offset` of segment `k` must do: the records kept, the damage
/// offset, and whether it is a torn tail (the damaged record is the last of the log).
fn expected_flip(fixture: &Fixture, k: usize, offset: usize) -> (usize, usize, bool) {
    let rows = fixture.rows_of(k);
    if offset < FILE_HEADER_LEN {
        return (rows.start, 0, false);
    }
    let damaged = rows.start
        + fixture.rows[rows]
            .iter()
            .filter(|row| row.end() <= offset)
            .count();
    let row = &fixture.rows[damaged];
    assert!(row.offset <= offset && offset < row.end());
    (damaged, row.offset, damaged + 1 == fixture.rows.len())
}

/// The fixture with bit `bit` of byte `offset` of segment `k` flipped.
fn flipped_storage(fixture: &Fixture, k: usize, offset: usize, bit: u64) -> SimStorage {
    let storage = fixture.storage();
    let (name, bytes) = &fixture.segments[k];
    let mut damaged = bytes.clone();
    damaged[offset] ^= 1 << bit;
    storage.overwrite(name, damaged);
    storage
}

fn check_flip_open(fixture: &Fixture, k: usize, offset: usize, bit: u64) {
    let at = format!("bit {bit} of byte {offset} of segment {k} flipped");
    let (n, damage, torn) = expected_flip(fixture, k, offset);
    let storage = flipped_storage(fixture, k, offset, bit);
    let before = storage.snapshot();
    let mut seen = Vec::new();
    let visit = &mut |decoded: jitos_wal::Decoded<&[u8]>| seen.push(decoded.hash);
    let opened = Wal::open_visit(storage.clone(), WalOptions::default(), visit);
    let recorded: Vec<Hash> = fixture.rows[..n].iter().map(|r| r.record_hash).collect();
    assert!(
        seen == recorded,
        "{at}: the records before the damage, and only those"
    );
    let name = &fixture.segments[k].0;
    if torn {
        let (wal, recovery) = opened.expect(&at);
        assert_eq!(wal.next_idx(), n as u64, "{at}");
        assert!(
            matches!(&recovery.scan.end, ScanEnd::TornTail { segment, offset: o, .. }
                if segment == name && *o == damage as u64),
            "{at}: {:?}",
            recovery.scan.end
        );
    } else {
        assert!(
            matches!(&opened, Err(OpenError::Corrupt { segment, offset: o, .. })
                if segment == name && *o == damage as u64 && *o <= offset as u64),
            "{at}: {opened:?}"
        );
        assert!(
            storage.snapshot() == before,
            "{at}: refusing changed nothing"
        );
    }
}

fn check_flip_boot(fixture: &Fixture, k: usize, offset: usize, bit: u64) {
    let at = format!("boot, bit {bit} of byte {offset} of segment {k} flipped");
    let (n, damage, torn) = expected_flip(fixture, k, offset);
    let booted = boot(
        flipped_storage(fixture, k, offset, bit),
        WalOptions::default(),
    );
    let name = &fixture.segments[k].0;
    match booted {
        Ok((state, _, _)) if torn => assert_state_is_prefix(fixture, &state, n, &at),
        Err(BootError::Open(OpenError::Corrupt {
            segment, offset: o, ..
        })) if !torn => {
            assert_eq!((&segment, o), (name, damage as u64), "{at}");
        }
        other => panic!(
            "{at}: {:?}",
            other.map(|(state, _, _)| state.events().len())
        ),
    }
}

/// One seeded bit flipped in every byte of every segment (file headers included), as far as
/// [`Plan::flip`] says: the damaged record is the last one (a torn tail, cut; boot gives the
/// prefix before it) or the log is refused as corrupt at the start of the damaged record.
#[test]
fn a_flipped_bit_anywhere_is_a_torn_tail_or_refused_as_corrupt() {
    let fixture = fixture();
    let plan = Plan::new(fixture);
    let mut rng = SplitMix64::new(DAMAGE_SEED ^ 2);
    let mut counts = BTreeMap::<&str, usize>::new();
    for k in 0..fixture.segments.len() {
        for offset in 0..fixture.segments[k].1.len() {
            let bit = rng.below(8);
            let depth = plan.flip(fixture, k, offset);
            *counts.entry("bytes").or_default() += 1;
            if depth != Depth::Skip {
                check_flip_open(fixture, k, offset, bit);
                let (_, _, torn) = expected_flip(fixture, k, offset);
                *counts.entry("opens").or_default() += 1;
                *counts.entry("torn").or_default() += usize::from(torn);
            }
            if depth == Depth::Boot {
                check_flip_boot(fixture, k, offset, bit);
                *counts.entry("boots").or_default() += 1;
            }
        }
    }
    let last = fixture.rows.last().expect("records");
    assert_eq!(
        counts["torn"], last.len,
        "every flip in the last record is a torn tail"
    );
    let n_bytes: usize = fixture.segments.iter().map(|(_, b)| b.len()).sum();
    assert_eq!(counts["bytes"], n_bytes);
    assert!(
        counts["opens"] > n_bytes / 4 && counts["boots"] > 50,
        "{counts:?}"
    );
    assert!(!plan.soak || counts["boots"] == n_bytes, "{counts:?}");
}
