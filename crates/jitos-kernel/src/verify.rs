//! Offline verification of a data directory's log (`jitosctl verify`): everything boot checks,
//! and the digests recomputed from scratch, without changing a byte.
//!
//! [`verify`] reads the WAL with `jitos_wal::scan_with`, which never writes: damage is reported,
//! never repaired. A torn tail (what a crash leaves, and what the daemon cuts on start) is a
//! warning in the [`VerifyReport`]; corruption before the tail is [`VerifyError::Corrupt`]. Each
//! record of the valid prefix then goes through boot's own checks (pins, event decoding, idx,
//! changed-view digest: `persist::check_record`) and its event is re-made by its command
//! (`State::replay_one`), which refuses any difference. On top of what boot does:
//! - once at least [`VerifyOptions::full_every`] records and a sixteenth of the view's size
//!   have passed since the last such check, and at the last record, the changed view's digest
//!   is recomputed from scratch (`Graph::digest_full`) and compared with the record's header
//!   (spacing the checks by the view's size keeps their total cost linear in the log);
//! - after the last record, for every view (System and each SWS), the incremental digest must
//!   equal the from-scratch one, the cached commit digest the from-scratch commit digest, and
//!   both the digest the view's last record carries;
//! - every checkpoint file is compared, byte for byte, with the checkpoint of the replayed state
//!   at its event count (the encoding is a function of the state); a checkpoint that covers more
//!   events than the log holds is counted as one the daemon would skip.
//!
//! The first failure in log order is the answer: a [`Divergence`] naming the check, the record
//! idx, its segment and byte offset where known, and what was expected and found (hex for
//! digests and ids).
//!
//! # Invariants
//! - Read-only: verification only lists and reads storage; it never creates, writes, truncates
//!   or removes a file (no `Wal::open`, which cuts torn tails).
//! - A record is judged by exactly the rules boot applies (`persist::check_record`, then
//!   `State::replay_one`), so whatever verifies also boots.
//! - The first failure in log order wins: a record that fails before the damage is reported
//!   instead of the damage, and nothing after a failure is judged.
//! - A report is returned only when every record of the valid prefix passed every check and
//!   every final digest comparison held; its counts cover exactly that prefix.
//! - Record locations come from a listing taken just before the scan: verify a directory no
//!   daemon is writing, or the offsets in a report may be off (the verdict is not).

use std::collections::BTreeMap;
use std::num::NonZeroU64;

use jitos_core::{Hash, hash_bytes};
use jitos_schema::enums::EventKind;
use jitos_wal::scan::segment_names;
use jitos_wal::{
    DamageReason, Decoded, FILE_HEADER_LEN, Record, Scan, ScanEnd, ScanError, Storage, scan_with,
};

use crate::checkpoints::list_checkpoints;
use crate::decode::decode_event;
use crate::event::Event;
use crate::output::{POLICY_ID, rule_pack_id};
use crate::persist::{BootError, changed_view_digest, check_record};
use crate::replay::ReplayError;
use crate::state::{State, decode_checkpoint};
use crate::view::ViewKey;

/// Records between two from-scratch digests of the changed view (the last record always gets
/// one). `Graph::digest_full` is O(n log n) in the view's size, so this bounds its share of the
/// time on a large log.
pub const VERIFY_FULL_EVERY: NonZeroU64 = NonZeroU64::new(1024).expect("1024 is not zero");

/// How [`verify`] works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Records between two from-scratch digests of the changed view.
    pub full_every: NonZeroU64,
}

impl Default for VerifyOptions {
    fn default() -> VerifyOptions {
        VerifyOptions {
            full_every: VERIFY_FULL_EVERY,
        }
    }
}

/// Where a record starts: a segment file and a byte offset in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The segment file name.
    pub segment: String,
    /// Byte offset of the record's first byte in that file.
    pub offset: u64,
}

/// What a [`Divergence`] compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Check {
    /// The record's rule pack and policy against this kernel's.
    RecordPins,
    /// The record's body decoded as an event.
    EventDecode,
    /// The record's idx against its event's idx.
    RecordIdx,
    /// The record's header digest against its event's changed-view digest.
    HeaderDigest,
    /// The event against the one its command makes again (their ids).
    Replay,
    /// The changed view's digest recomputed from scratch against the record's header.
    ScratchDigest,
    /// A view's incremental digest against the one recomputed from scratch.
    IncrementalDigest,
    /// A view's cached commit digest against the one recomputed from scratch.
    CommitDigest,
    /// A view's digest after the last event against the one its last record carries.
    LastRecordDigest,
    /// A checkpoint against the replayed state at its idx.
    Checkpoint,
}

impl Check {
    /// A stable snake_case name, for JSON.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Check::RecordPins => "record_pins",
            Check::EventDecode => "event_decode",
            Check::RecordIdx => "record_idx",
            Check::HeaderDigest => "header_digest",
            Check::Replay => "replay",
            Check::ScratchDigest => "scratch_digest",
            Check::IncrementalDigest => "incremental_digest",
            Check::CommitDigest => "commit_digest",
            Check::LastRecordDigest => "last_record_digest",
            Check::Checkpoint => "checkpoint",
        }
    }

    /// What was compared, for people: expected first, found second.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Check::RecordPins => "this kernel's rule pack and policy vs the record's",
            Check::EventDecode => "an event in canonical CBOR vs the record's body",
            Check::RecordIdx => "the record's idx vs its event's idx",
            Check::HeaderDigest => {
                "the event's changed-view digest vs the view digest in the record's header"
            }
            Check::Replay => "the recorded event's id vs the id of the event its command makes",
            Check::ScratchDigest => {
                "the record's header digest vs the changed view's digest recomputed from scratch"
            }
            Check::IncrementalDigest => {
                "the view's digest recomputed from scratch vs its incremental digest"
            }
            Check::CommitDigest => {
                "the view's commit digest recomputed from scratch vs its cached one"
            }
            Check::LastRecordDigest => {
                "the digest the view's last record carries vs the view's digest after replay"
            }
            Check::Checkpoint => "the replayed state at the checkpoint's idx vs the checkpoint",
        }
    }
}

/// The first place the log and its replay disagree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}: expected {expected}, found {found}", self.place(), check.describe())]
pub struct Divergence {
    /// What was compared.
    pub check: Check,
    /// The record's idx, when one record is at fault.
    pub idx: Option<u64>,
    /// Where that record starts, when known.
    pub location: Option<Location>,
    /// The view compared, for digest checks.
    pub view: Option<ViewKey>,
    /// What should have been there (hex for digests and ids).
    pub expected: String,
    /// What was there (hex for digests and ids).
    pub found: String,
}

impl Divergence {
    /// `record 7 (00000000000000000000.wal at byte 1234), SWS 0`, as much as is known.
    fn place(&self) -> String {
        let mut parts = Vec::new();
        if let Some(idx) = self.idx {
            parts.push(match &self.location {
                Some(at) => format!("record {idx} ({} at byte {})", at.segment, at.offset),
                None => format!("record {idx}"),
            });
        }
        if let Some(view) = self.view {
            parts.push(view.to_string());
        }
        if parts.is_empty() {
            "log".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// Why a log did not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The log could not be read at all (or holds a stray `*.wal` file).
    #[error(transparent)]
    Scan(#[from] ScanError),
    /// Damage before the tail: valid data follows it, or two valid records disagree. The
    /// daemon refuses to start on it.
    #[error(
        "wal corrupt in {segment} at byte {offset}: {reason} \
         (the {n_records_verified} records before it verified)"
    )]
    Corrupt {
        /// The segment file holding the damage.
        segment: String,
        /// Byte offset of the damage in that file.
        offset: u64,
        /// What is wrong there.
        reason: DamageReason,
        /// Records before the damage, all of which passed every check.
        n_records_verified: u64,
    },
    /// A record or a digest disagrees with the replay.
    #[error(transparent)]
    Diverged(Box<Divergence>),
}

impl From<Divergence> for VerifyError {
    fn from(divergence: Divergence) -> VerifyError {
        VerifyError::Diverged(Box::new(divergence))
    }
}

/// A torn tail: damage with nothing valid after it, which the daemon cuts off on start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// The segment file holding the damage.
    pub segment: String,
    /// Byte offset of the damage in that file (0: the whole file is unusable).
    pub offset: u64,
    /// What is wrong there.
    pub reason: DamageReason,
}

/// What a successful verification read and recomputed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records in the valid prefix, every one checked and replayed.
    pub n_records: u64,
    /// Segment files holding them.
    pub n_segments: u64,
    /// Bytes of the valid prefix: segment file headers and records.
    pub n_bytes: u64,
    /// Events per kind.
    pub n_events_by_kind: BTreeMap<EventKind, u64>,
    /// Views after the last event: System and every SWS ever created.
    pub n_views: u64,
    /// From-scratch digests of a changed view compared with a record's header.
    pub n_scratch_checks: u64,
    /// Checkpoints compared with the replayed state.
    pub n_checkpoints_compared: u64,
    /// Checkpoint files covering more events than the log holds (a start skips them).
    pub n_checkpoints_beyond_log: u64,
    /// System's digest after the last event (recomputed from scratch and equal).
    pub system_digest: Hash,
    /// System's commit digest after the last event.
    pub system_commit_digest: Hash,
    /// The record hash of the last record ([`Hash::ZERO`] for an empty log): a commitment to
    /// the whole log.
    pub last_record_hash: Hash,
    /// The torn tail the daemon would cut on start, if any.
    pub torn_tail: Option<TornTail>,
}

/// Verifies the log in `wal` (read-only) and the checkpoints in `checkpoints`, if any.
///
/// # Errors
/// [`VerifyError::Scan`] when the log cannot be read, else the first failure in log order:
/// a [`Divergence`] in a record of the valid prefix, [`VerifyError::Corrupt`] for damage before
/// the tail, or a [`Divergence`] of the final digest or checkpoint comparisons.
pub fn verify<S: Storage + ?Sized>(
    wal: &S,
    checkpoints: Option<&dyn Storage>,
    options: &VerifyOptions,
) -> Result<VerifyReport, VerifyError> {
    let checkpoints = read_checkpoints(checkpoints)?;
    let mut verifier = Verifier::new(segment_names(wal)?, options.clone(), checkpoints);
    let scan = scan_with(wal, &mut |decoded| verifier.visit(&decoded))?;
    verifier.finish(&scan)
}

/// The checkpoint files in `checkpoints`, by the event count they cover.
fn read_checkpoints(
    checkpoints: Option<&dyn Storage>,
) -> Result<BTreeMap<u64, (String, Vec<u8>)>, VerifyError> {
    let Some(storage) = checkpoints else {
        return Ok(BTreeMap::new());
    };
    let mut files = BTreeMap::new();
    for (event_count, name) in list_checkpoints(storage).map_err(checkpoint_io)? {
        let bytes = storage.read(&name).map_err(checkpoint_io)?;
        files.insert(event_count, (name, bytes));
    }
    Ok(files)
}

fn checkpoint_io(error: std::io::Error) -> VerifyError {
    VerifyError::Scan(ScanError::Io {
        op: "read",
        name: "checkpoints".to_owned(),
        source: error,
    })
}

/// What [`scan_located`] hands each record of the valid prefix to: the record, its body borrowed
/// from the segment read, and where it starts.
pub type LocatedVisitor<'v> = dyn FnMut(&Decoded<&[u8]>, Option<&Location>) + 'v;

/// Scans the log read-only, like `jitos_wal::scan_with`, telling `visit` where each record of
/// the valid prefix starts (`None` if the directory changed since its listing).
///
/// # Errors
/// As `jitos_wal::scan_with`.
pub fn scan_located<S: Storage + ?Sized>(
    wal: &S,
    visit: &mut LocatedVisitor<'_>,
) -> Result<Scan, ScanError> {
    let mut locator = Locator::new(segment_names(wal)?);
    scan_with(wal, &mut |decoded| {
        let position = locator.locate(decoded.record.idx, decoded.len);
        visit(&decoded, locator.location(position).as_ref());
    })
}

/// Where a record starts, as an index into the segment listing and a byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Position {
    segment: usize,
    offset: u64,
}

/// Follows a scan through the segments listed before it: the segment of a record is the last
/// one named after an idx at or below the record's, and records follow each other from the
/// end of the segment file header.
#[derive(Debug)]
struct Locator {
    /// The segment listing taken before the scan: (name, first idx), ascending.
    segments: Vec<(String, u64)>,
    /// Listing index of the segment after the current one.
    next_segment: usize,
    /// Where the next record starts.
    cursor: Option<Position>,
}

impl Locator {
    fn new(segments: Vec<(String, u64)>) -> Locator {
        Locator {
            segments,
            next_segment: 0,
            cursor: None,
        }
    }

    /// Where record `idx`, `len_bytes` long, starts; moves the cursor past it.
    fn locate(&mut self, idx: u64, len_bytes: usize) -> Option<Position> {
        while let Some((_, first_idx)) = self.segments.get(self.next_segment)
            && *first_idx <= idx
        {
            self.cursor = Some(Position {
                segment: self.next_segment,
                offset: FILE_HEADER_LEN as u64,
            });
            self.next_segment += 1;
        }
        let cursor = self.cursor.as_mut()?;
        let here = *cursor;
        cursor.offset += len_bytes as u64;
        Some(here)
    }

    /// The file name and offset of `position`.
    fn location(&self, position: Option<Position>) -> Option<Location> {
        let position = position?;
        let (segment, _) = self.segments.get(position.segment)?;
        Some(Location {
            segment: segment.clone(),
            offset: position.offset,
        })
    }
}

/// The last record whose changed view is a view: what its final digest is compared with.
#[derive(Debug, Clone, Copy)]
struct LastRecord {
    idx: u64,
    position: Option<Position>,
    digest: Hash,
}

/// The streaming state of one verification: the replay so far and where the records were.
#[derive(Debug)]
struct Verifier {
    options: VerifyOptions,
    locator: Locator,
    state: State,
    last_of_view: BTreeMap<ViewKey, LastRecord>,
    n_events_by_kind: BTreeMap<EventKind, u64>,
    n_scratch_checks: u64,
    /// Idx of the record whose changed view was last digested from scratch.
    last_scratch_idx: Option<u64>,
    /// The last record replayed and its changed view.
    last: Option<(LastRecord, ViewKey)>,
    failure: Option<Divergence>,
    /// Checkpoint files by event count; each is compared when the replay reaches it.
    checkpoints: BTreeMap<u64, (String, Vec<u8>)>,
    n_checkpoints_compared: u64,
}

impl Verifier {
    fn new(
        segments: Vec<(String, u64)>,
        options: VerifyOptions,
        checkpoints: BTreeMap<u64, (String, Vec<u8>)>,
    ) -> Verifier {
        Verifier {
            checkpoints,
            n_checkpoints_compared: 0,
            options,
            locator: Locator::new(segments),
            state: State::new(),
            last_of_view: BTreeMap::new(),
            n_events_by_kind: BTreeMap::new(),
            n_scratch_checks: 0,
            last_scratch_idx: None,
            last: None,
            failure: None,
        }
    }

    fn location(&self, position: Option<Position>) -> Option<Location> {
        self.locator.location(position)
    }

    /// One record of the valid prefix, in order; after a failure, records are only located.
    fn visit(&mut self, decoded: &Decoded<&[u8]>) {
        let position = self.locator.locate(decoded.record.idx, decoded.len);
        if self.failure.is_none()
            && let Err(divergence) = self.record(&decoded.record, decoded.hash, position)
        {
            self.failure = Some(divergence);
        }
    }

    /// Boot's checks and the replay of one record, then the periodic from-scratch digest.
    fn record(
        &mut self,
        record: &Record<&[u8]>,
        hash: Hash,
        position: Option<Position>,
    ) -> Result<(), Divergence> {
        let idx = record.idx;
        let event = check_record(record)
            .map_err(|error| boot_divergence(&error, record).at(idx, self.location(position)))?;
        self.state
            .replay_one(&event)
            .map_err(|error| replay_divergence(&error).at(idx, self.location(position)))?;
        assert_eq!(
            self.state.events().len() as u64,
            idx + 1,
            "replayed in order"
        );
        *self.n_events_by_kind.entry(event.kind).or_insert(0) += 1;
        let view = changed_view(&event);
        let last = LastRecord {
            idx,
            position,
            digest: record.view_digest,
        };
        self.last_of_view.insert(view, last);
        self.last = Some((last, view));
        let since = idx - self.last_scratch_idx.map_or(0, |checked| checked + 1) + 1;
        let view_size = self.state.history(view).map_or(0, |history| {
            history.live().n_nodes() + history.live().n_edges()
        });
        if since >= self.options.full_every.get().max(view_size as u64 / 16) {
            self.scratch_check(last, view)?;
        }
        self.check_checkpoint(idx + 1, hash)
            .map_err(|divergence| divergence.at(idx, self.location(position)))
    }

    /// The checkpoint file covering `event_count` events, if there is one, against the
    /// checkpoint of the state replayed so far, whose last record has hash `hash`.
    fn check_checkpoint(&mut self, event_count: u64, hash: Hash) -> Result<(), Divergence> {
        let Some((name, bytes)) = self.checkpoints.remove(&event_count) else {
            return Ok(());
        };
        self.n_checkpoints_compared += 1;
        let expected = self
            .state
            .checkpoint_bytes(hash)
            .map_err(|error| Divergence {
                check: Check::Checkpoint,
                idx: None,
                location: None,
                view: None,
                expected: format!("the checkpoint of the replayed state ({name})"),
                found: error.to_string(),
            })?;
        if expected == bytes {
            return Ok(());
        }
        let why = match decode_checkpoint(&bytes) {
            Ok(_) => "a checkpoint of another state".to_owned(),
            Err(error) => error.to_string(),
        };
        Err(Divergence {
            check: Check::Checkpoint,
            idx: None,
            location: None,
            view: None,
            expected: format!(
                "{name}: {} bytes, hash {}",
                expected.len(),
                hash_bytes(&expected)
            ),
            found: format!("{} bytes, hash {}: {why}", bytes.len(), hash_bytes(&bytes)),
        })
    }

    /// The changed view's digest, recomputed from scratch, against the record's header.
    fn scratch_check(&mut self, record: LastRecord, view: ViewKey) -> Result<(), Divergence> {
        let graph = self.state.graph(view, "view").map_err(|error| {
            Divergence {
                check: Check::ScratchDigest,
                idx: None,
                location: None,
                view: Some(view),
                expected: record.digest.to_string(),
                found: error.to_string(),
            }
            .at(record.idx, self.location(record.position))
        })?;
        let scratch = graph.digest_full();
        self.n_scratch_checks += 1;
        self.last_scratch_idx = Some(record.idx);
        if scratch == record.digest {
            return Ok(());
        }
        let divergence = Divergence {
            check: Check::ScratchDigest,
            idx: None,
            location: None,
            view: Some(view),
            expected: record.digest.to_string(),
            found: scratch.to_string(),
        };
        Err(divergence.at(record.idx, self.location(record.position)))
    }

    /// After the scan: the first failure, the corruption, or the final comparisons and the
    /// report.
    fn finish(mut self, scan: &Scan) -> Result<VerifyReport, VerifyError> {
        if let Some(divergence) = self.failure.take() {
            return Err(divergence.into());
        }
        let torn_tail = match &scan.end {
            ScanEnd::Clean => None,
            ScanEnd::TornTail {
                segment,
                offset,
                reason,
            } => Some(TornTail {
                segment: segment.clone(),
                offset: *offset,
                reason: reason.clone(),
            }),
            ScanEnd::Corrupt {
                segment,
                offset,
                reason,
            } => {
                return Err(VerifyError::Corrupt {
                    segment: segment.clone(),
                    offset: *offset,
                    reason: reason.clone(),
                    n_records_verified: scan.n_records,
                });
            }
        };
        assert_eq!(
            self.state.events().len() as u64,
            scan.n_records,
            "every record of the valid prefix was replayed"
        );
        if let Some((last, view)) = self.last
            && self.last_scratch_idx != Some(last.idx)
        {
            self.scratch_check(last, view)?;
        }
        self.check_views()?;
        Ok(self.report(scan, torn_tail))
    }

    /// Every view's digests after the last event: incremental against from scratch, cached
    /// commit digest against from scratch, and against the digest its last record carries.
    fn check_views(&self) -> Result<(), Divergence> {
        let sws = self.state.all_sws().map(|record| ViewKey::Sws(record.id));
        for view in std::iter::once(ViewKey::System).chain(sws) {
            let graph = self
                .state
                .graph(view, "view")
                .expect("every SWS listed has a history");
            let last = self.last_of_view.get(&view);
            let comparisons = [
                (
                    Check::IncrementalDigest,
                    graph.digest_full(),
                    graph.digest(),
                ),
                (
                    Check::CommitDigest,
                    graph.commit_digest_full(),
                    graph.commit_digest(),
                ),
            ]
            .into_iter()
            .chain(last.map(|last| (Check::LastRecordDigest, last.digest, graph.digest())));
            for (check, expected, found) in comparisons {
                let divergence = compare(check, view, expected, found);
                match (divergence, last) {
                    (Ok(()), _) => {}
                    (Err(divergence), Some(last)) if check == Check::LastRecordDigest => {
                        return Err(divergence.at(last.idx, self.location(last.position)));
                    }
                    (Err(divergence), _) => return Err(divergence),
                }
            }
        }
        Ok(())
    }

    fn report(&self, scan: &Scan, torn_tail: Option<TornTail>) -> VerifyReport {
        let system = self.state.system();
        VerifyReport {
            n_records: scan.n_records,
            n_segments: scan.segments.len() as u64,
            n_bytes: scan.segments.iter().map(|segment| segment.valid_len).sum(),
            n_events_by_kind: self.n_events_by_kind.clone(),
            n_views: 1 + self.state.all_sws().count() as u64,
            n_scratch_checks: self.n_scratch_checks,
            n_checkpoints_compared: self.n_checkpoints_compared,
            n_checkpoints_beyond_log: self.checkpoints.len() as u64,
            system_digest: system.digest(),
            system_commit_digest: system.commit_digest(),
            last_record_hash: scan.last_hash,
            torn_tail,
        }
    }
}

impl Divergence {
    /// The divergence, pinned to record `idx` at `location`.
    fn at(mut self, idx: u64, location: Option<Location>) -> Divergence {
        self.idx = Some(idx);
        self.location = location;
        self
    }
}

/// `Ok` when `expected == found`, else a divergence of `check` on `view`.
fn compare(check: Check, view: ViewKey, expected: Hash, found: Hash) -> Result<(), Divergence> {
    if expected == found {
        return Ok(());
    }
    Err(Divergence {
        check,
        idx: None,
        location: None,
        view: Some(view),
        expected: expected.to_string(),
        found: found.to_string(),
    })
}

/// The view whose digest a record of `event` carries (see [`changed_view_digest`]).
fn changed_view(event: &Event) -> ViewKey {
    match event.kind {
        EventKind::Collapse => ViewKey::System,
        _ => event.view,
    }
}

/// A record boot would refuse, as a divergence (without its idx and location yet).
fn boot_divergence(error: &BootError, record: &Record<&[u8]>) -> Divergence {
    let event = || decode_event(record.body).ok();
    let (check, expected, found) = match error {
        BootError::Pins {
            rule_pack_id: found_pack,
            policy_id: found_policy,
            ..
        } => (
            Check::RecordPins,
            format!("rule pack {} policy {POLICY_ID}", rule_pack_id()),
            format!("rule pack {found_pack} policy {found_policy}"),
        ),
        BootError::Decode { error, .. } => {
            (Check::EventDecode, "an event".to_owned(), error.to_string())
        }
        BootError::Header { what: "idx", .. } => (
            Check::RecordIdx,
            record.idx.to_string(),
            event().map_or_else(|| "?".to_owned(), |event| event.idx.to_string()),
        ),
        BootError::Header { .. } => (
            Check::HeaderDigest,
            event().map_or_else(
                || "?".to_owned(),
                |event| changed_view_digest(&event).to_string(),
            ),
            record.view_digest.to_string(),
        ),
        BootError::Replay(error) => return replay_divergence(error),
        BootError::Open(error) => (Check::EventDecode, "a record".to_owned(), error.to_string()),
    };
    Divergence {
        check,
        idx: None,
        location: None,
        view: None,
        expected,
        found,
    }
}

/// An event that does not replay, as a divergence (without its idx and location yet).
fn replay_divergence(error: &ReplayError) -> Divergence {
    let (expected, found) = match error {
        ReplayError::Diverged {
            expected, found, ..
        } => (expected.to_string(), found.to_string()),
        ReplayError::OutOfOrder { position, idx } => (position.to_string(), idx.to_string()),
        ReplayError::UnknownKind { kind, .. } => {
            ("a kind a command makes".to_owned(), (*kind).to_owned())
        }
        ReplayError::Refused { error, .. } => {
            ("the command applies again".to_owned(), error.to_string())
        }
    };
    Divergence {
        check: Check::Replay,
        idx: None,
        location: None,
        view: None,
        expected,
        found,
    }
}

#[cfg(test)]
mod tests;
