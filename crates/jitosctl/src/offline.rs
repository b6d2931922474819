//! `jitosctl verify` and `jitosctl log`: a data directory read offline, with no daemon and no
//! URL, through the kernel's own checks (`jitos_kernel::verify`).
//!
//! `verify` checks every WAL record (chain, checksums, pins, header digest), replays every
//! event and recomputes the digests from scratch, then prints a summary or the first place the
//! log and its replay disagree. `log` prints the records of the valid prefix, one per line.
//!
//! # Invariants
//! - Read-only: nothing in the data directory is created, written, truncated or removed. A
//!   directory that does not exist or has no `wal/` is an error before anything is opened.
//! - With `--json`, `verify` prints exactly one object and `log` one object per record, and
//!   nothing else on stdout; warnings and errors go to stderr.
//! - Exit status 10 ([`Damaged`]) means damage before the log's tail or a divergence from the
//!   replay; a torn tail alone is a warning with status 0, since the daemon cuts it on start.

#![allow(clippy::print_stdout, reason = "printing results is this module's job")]

use std::fs::{File, TryLockError};
use std::io::{self, BufWriter, Write as _};
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use jitos_kernel::verify::{
    Divergence, Location, TornTail, VerifyError, VerifyOptions, VerifyReport, scan_located,
};
use jitos_kernel::{CHECKPOINT_DIR, Event, Outcome, ViewKey, WAL_DIR, decode_event};
use jitos_wal::{Decoded, FsStorage, ScanEnd, ScanError, Storage};
use serde_json::{Value, json};

use crate::cli::{LogArgs, VerifyArgs};

/// The exit status of a log that is damaged before its tail or diverges from its replay.
pub(crate) const EXIT_DAMAGED: u8 = 10;

/// The daemon's lock file in a data directory (`jitosd`'s `LOCK_FILE`).
const LOCK_FILE: &str = "LOCK";

/// Hex digits of a digest or hash in a `log` line for people.
const SHORT_HEX_LEN: usize = 12;

/// The log is damaged before its tail or diverges from its replay: exit status 10.
#[derive(Debug)]
pub(crate) struct Damaged(pub(crate) String);

impl std::fmt::Display for Damaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Damaged {}

/// The WAL of `data_dir`, opened without creating anything.
fn open_wal(data_dir: &Path) -> Result<FsStorage> {
    if !data_dir.is_dir() {
        bail!("no data directory {}", data_dir.display());
    }
    let wal_dir = data_dir.join(WAL_DIR);
    if !wal_dir.is_dir() {
        bail!(
            "{} has no {WAL_DIR}/ directory: not a jitosd data directory",
            data_dir.display()
        );
    }
    warn_if_locked(data_dir);
    // The directory exists, so opening it creates nothing.
    FsStorage::open(&wal_dir).with_context(|| format!("opening {}", wal_dir.display()))
}

/// The checkpoint directory of `data_dir`, if there is one.
fn open_checkpoints(data_dir: &Path) -> Result<Option<FsStorage>> {
    let dir = data_dir.join(CHECKPOINT_DIR);
    if !dir.is_dir() {
        return Ok(None);
    }
    let storage = FsStorage::open(&dir).with_context(|| format!("opening {}", dir.display()))?;
    Ok(Some(storage))
}

/// Warns when a daemon holds the directory's lock: its log may grow while it is read.
fn warn_if_locked(data_dir: &Path) {
    let Ok(lock) = File::open(data_dir.join(LOCK_FILE)) else {
        return;
    };
    match lock.try_lock_shared() {
        Ok(()) => drop(lock),
        Err(TryLockError::WouldBlock) => eprintln!(
            "warning: a jitosd holds {}: records appended while this runs may be missed or \
             seen half written",
            data_dir.join(LOCK_FILE).display()
        ),
        Err(TryLockError::Error(_)) => {}
    }
}

/// `verify`: prints the report, or the first failure and fails with [`Damaged`].
pub(crate) fn verify(json: bool, args: &VerifyArgs) -> Result<()> {
    let wal = open_wal(&args.data_dir)?;
    let checkpoints = open_checkpoints(&args.data_dir)?;
    let options = VerifyOptions {
        full_every: args.full_every,
    };
    let checkpoints = checkpoints.as_ref().map(|storage| storage as &dyn Storage);
    match jitos_kernel::verify::verify(&wal, checkpoints, &options) {
        Ok(report) => {
            if let Some(tail) = &report.torn_tail {
                eprintln!("warning: torn tail in {}", torn_tail_text(tail));
            }
            print_report(json, &report)
        }
        Err(VerifyError::Scan(error @ ScanError::Io { .. })) => {
            Err(error).with_context(|| format!("reading {}", wal.dir().display()))
        }
        Err(error) => {
            print_failure(json, &error)?;
            Err(Damaged(format!("verify failed: {error}")).into())
        }
    }
}

fn torn_tail_text(tail: &TornTail) -> String {
    format!(
        "{} at byte {}: {} (an interrupted write; jitosd cuts it on start)",
        tail.segment, tail.offset, tail.reason
    )
}

/// Prints `key  value` lines with the keys aligned.
fn fields(pairs: &[(&str, String)]) {
    let width = pairs.iter().map(|(key, _)| key.len()).max().unwrap_or(0);
    for (key, value) in pairs {
        println!("{key:<width$}  {value}");
    }
}

fn print_report(json: bool, report: &VerifyReport) -> Result<()> {
    let by_kind = report
        .n_events_by_kind
        .iter()
        .map(|(kind, n)| (kind.as_str().to_owned(), json!(n)));
    if json {
        let torn_tail = report.torn_tail.as_ref().map(|tail| {
            json!({ "segment": tail.segment, "offset": tail.offset, "reason": tail.reason.to_string() })
        });
        let object = json!({ "verify": {
            "ok": true,
            "records": report.n_records,
            "segments": report.n_segments,
            "bytes": report.n_bytes,
            "views": report.n_views,
            "eventsByKind": by_kind.collect::<serde_json::Map<_, _>>(),
            "scratchChecks": report.n_scratch_checks,
            "checkpointsCompared": report.n_checkpoints_compared,
            "checkpointsBeyondLog": report.n_checkpoints_beyond_log,
            "systemDigest": report.system_digest.to_string(),
            "systemCommitDigest": report.system_commit_digest.to_string(),
            "lastRecordHash": report.last_record_hash.to_string(),
            "tornTail": torn_tail,
        }});
        println!("{}", serde_json::to_string(&object)?);
        return Ok(());
    }
    let by_kind: Vec<String> = by_kind.map(|(kind, n)| format!("{kind} {n}")).collect();
    let mut pairs = vec![
        ("records", report.n_records.to_string()),
        ("segments", report.n_segments.to_string()),
        ("bytes", report.n_bytes.to_string()),
        ("views", report.n_views.to_string()),
        ("events", or_dash(&by_kind.join(", "))),
        (
            "checks",
            format!(
                "events replayed {}, from-scratch digests {}, checkpoints compared {}",
                report.n_records, report.n_scratch_checks, report.n_checkpoints_compared
            ),
        ),
        (
            "skipped",
            format!(
                "{} checkpoint(s) cover more events than the log (a start skips them)",
                report.n_checkpoints_beyond_log
            ),
        ),
        ("system", report.system_digest.to_string()),
        ("commit", report.system_commit_digest.to_string()),
        ("last record", report.last_record_hash.to_string()),
    ];
    if let Some(tail) = &report.torn_tail {
        pairs.push(("torn tail", torn_tail_text(tail)));
    }
    fields(&pairs);
    println!("OK");
    Ok(())
}

fn or_dash(text: &str) -> String {
    if text.is_empty() { "-" } else { text }.to_owned()
}

fn print_failure(json: bool, error: &VerifyError) -> Result<()> {
    if json {
        let failure = match error {
            VerifyError::Corrupt {
                segment,
                offset,
                reason,
                n_records_verified,
            } => json!({
                "kind": "corrupt",
                "segment": segment,
                "offset": offset,
                "reason": reason.to_string(),
                "recordsVerified": n_records_verified,
            }),
            VerifyError::Diverged(divergence) => divergence_json(divergence),
            other => json!({ "kind": "unusable", "reason": other.to_string() }),
        };
        let object = json!({ "verify": { "ok": false, "failure": failure } });
        println!("{}", serde_json::to_string(&object)?);
        return Ok(());
    }
    let pairs = match error {
        VerifyError::Corrupt {
            segment,
            offset,
            reason,
            n_records_verified,
        } => vec![
            ("damage", "corruption before the tail".to_owned()),
            ("segment", segment.clone()),
            ("offset", offset.to_string()),
            ("reason", reason.to_string()),
            (
                "verified",
                format!("the {n_records_verified} records before it"),
            ),
        ],
        VerifyError::Diverged(divergence) => divergence_pairs(divergence),
        other => vec![("reason", other.to_string())],
    };
    println!("FAILED");
    fields(&pairs);
    Ok(())
}

/// A divergence for people: where, what was compared, expected and found.
fn divergence_pairs(divergence: &Divergence) -> Vec<(&'static str, String)> {
    let dash = |text: Option<String>| text.unwrap_or_else(|| "-".to_owned());
    let location = divergence.location.as_ref();
    vec![
        ("record", dash(divergence.idx.map(|idx| idx.to_string()))),
        ("segment", dash(location.map(|at| at.segment.clone()))),
        ("offset", dash(location.map(|at| at.offset.to_string()))),
        ("view", dash(divergence.view.map(view_name))),
        ("check", divergence.check.name().to_owned()),
        ("compared", divergence.check.describe().to_owned()),
        ("expected", divergence.expected.clone()),
        ("found", divergence.found.clone()),
    ]
}

fn divergence_json(divergence: &Divergence) -> Value {
    let (segment, offset) = match &divergence.location {
        Some(Location { segment, offset }) => (json!(segment), json!(offset)),
        None => (Value::Null, Value::Null),
    };
    json!({
        "kind": "divergence",
        "check": divergence.check.name(),
        "idx": divergence.idx,
        "segment": segment,
        "offset": offset,
        "view": divergence.view.map(view_name),
        "compared": divergence.check.describe(),
        "expected": divergence.expected,
        "found": divergence.found,
    })
}

/// A view as the command line spells it: `system` or `sws:N`.
fn view_name(view: ViewKey) -> String {
    match view {
        ViewKey::System => "system".to_owned(),
        ViewKey::Sws(id) => format!("sws:{id}"),
    }
}

/// `log`: prints the records of the valid prefix from `--from`, at most `--limit` of them; a
/// torn tail is a warning, corruption fails with [`Damaged`] after the valid prefix.
pub(crate) fn log(json: bool, args: &LogArgs) -> Result<()> {
    let wal = open_wal(&args.data_dir)?;
    let mut out = Lines::new(json);
    let scan = scan_located(&wal, &mut |decoded, location| {
        let idx = decoded.record.idx;
        let wanted = idx >= args.from && args.limit.is_none_or(|limit| out.n_lines < limit);
        if wanted {
            out.record(decoded, location);
        }
    });
    let scan = match scan {
        Ok(scan) => scan,
        Err(error @ ScanError::Io { .. }) => {
            return Err(error).with_context(|| format!("reading {}", wal.dir().display()));
        }
        Err(error) => return Err(Damaged(error.to_string()).into()),
    };
    out.finish()?;
    match scan.end {
        ScanEnd::Clean => Ok(()),
        ScanEnd::TornTail {
            segment,
            offset,
            reason,
        } => {
            let tail = TornTail {
                segment,
                offset,
                reason,
            };
            eprintln!("warning: torn tail in {}", torn_tail_text(&tail));
            Ok(())
        }
        ScanEnd::Corrupt {
            segment,
            offset,
            reason,
        } => Err(Damaged(format!(
            "wal corrupt in {segment} at byte {offset}: {reason}; the {} records before it are \
             the valid prefix (`jitosctl verify` checks them)",
            scan.n_records
        ))
        .into()),
    }
}

/// The lines `log` writes, through one buffered stdout; stops quietly when the reader goes
/// away (a closed pipe).
struct Lines {
    json: bool,
    out: BufWriter<io::StdoutLock<'static>>,
    n_lines: u64,
    /// The first write error; nothing more is written after one.
    failed: Option<io::Error>,
}

impl Lines {
    fn new(json: bool) -> Lines {
        Lines {
            json,
            out: BufWriter::new(io::stdout().lock()),
            n_lines: 0,
            failed: None,
        }
    }

    fn record(&mut self, decoded: &Decoded<&[u8]>, location: Option<&Location>) {
        if self.failed.is_some() {
            return;
        }
        let event = decode_event(decoded.record.body);
        let line = if self.json {
            record_json(decoded, location, &event).to_string()
        } else {
            record_line(decoded, &event)
        };
        let header = (!self.json && self.n_lines == 0).then(header_line);
        let written = header
            .map_or(Ok(()), |header| writeln!(self.out, "{header}"))
            .and_then(|()| writeln!(self.out, "{line}"));
        match written {
            Ok(()) => self.n_lines += 1,
            Err(error) => self.failed = Some(error),
        }
    }

    fn finish(mut self) -> Result<()> {
        let flushed = match self.failed.take() {
            Some(error) => Err(error),
            None => self.out.flush(),
        };
        match flushed {
            Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
                Err(error).context("writing to stdout")
            }
            _ => Ok(()),
        }
    }
}

/// Column widths of a `log` line for people: idx, kind, view, digest, record hash, ops.
const COLUMNS: [usize; 6] = [8, 15, 9, SHORT_HEX_LEN, SHORT_HEX_LEN, 4];

fn columns(cells: [&str; 7]) -> String {
    let [idx, kind, view, digest, hash, n_ops, detail] = cells;
    let [w_idx, w_kind, w_view, w_digest, w_hash, w_ops] = COLUMNS;
    format!(
        "{idx:>w_idx$}  {kind:<w_kind$}  {view:<w_view$}  {digest:<w_digest$}  \
         {hash:<w_hash$}  {n_ops:>w_ops$}  {detail}"
    )
    .trim_end()
    .to_owned()
}

fn header_line() -> String {
    columns(["IDX", "KIND", "VIEW", "DIGEST", "RECORD", "OPS", "DETAIL"])
}

/// The first hex digits of a digest or hash.
fn short(hash: &impl std::fmt::Display) -> String {
    let mut text = hash.to_string();
    text.truncate(SHORT_HEX_LEN);
    text
}

/// One record for people: idx, kind, view, changed-view digest and record hash (short), the
/// number of ops, and the outcome of a COLLAPSE or REBASE or the reason of a DISCARD.
fn record_line(
    decoded: &Decoded<&[u8]>,
    event: &Result<Event, jitos_kernel::EventDecodeError>,
) -> String {
    let idx = decoded.record.idx.to_string();
    let digest = short(&decoded.record.view_digest);
    let hash = short(&decoded.hash);
    match event {
        Ok(event) => {
            let view = view_name(event.view);
            let n_ops = event.ops.len().to_string();
            let detail = event_detail(event);
            columns([
                &idx,
                event.kind.as_str(),
                &view,
                &digest,
                &hash,
                &n_ops,
                &detail,
            ])
        }
        Err(error) => columns([&idx, "?", "?", &digest, &hash, "?", &error.to_string()]),
    }
}

/// `committed`, `aborted: N conflicts` (COLLAPSE), `refused: N conflicts` (REBASE),
/// `reason: TEXT` (DISCARD), or `-`.
fn event_detail(event: &Event) -> String {
    if let Some(outcome) = &event.outcome {
        if outcome.committed {
            return "committed".to_owned();
        }
        let verb = if event.kind.as_str() == "REBASE" {
            "refused"
        } else {
            "aborted"
        };
        let n_conflicts = outcome.conflicts.len();
        let plural = if n_conflicts == 1 { "" } else { "s" };
        return format!("{verb}: {n_conflicts} conflict{plural}");
    }
    match &event.reason {
        Some(reason) => format!("reason: {reason}"),
        None => "-".to_owned(),
    }
}

/// One record as JSON: its header fields and hash in full, where it is, and its event.
fn record_json(
    decoded: &Decoded<&[u8]>,
    location: Option<&Location>,
    event: &Result<Event, jitos_kernel::EventDecodeError>,
) -> Value {
    let record = &decoded.record;
    let mut object = json!({
        "idx": record.idx,
        "segment": location.map(|at| at.segment.clone()),
        "offset": location.map(|at| at.offset),
        "bytes": decoded.len,
        "recordHash": decoded.hash.to_string(),
        "prev": record.prev.to_string(),
        "rulePackId": record.rule_pack_id.to_string(),
        "policyId": record.policy_id,
        "viewDigest": record.view_digest.to_string(),
        "event": event.as_ref().ok().map(event_json),
    });
    if let Err(error) = event {
        object["decodeError"] = json!(error.to_string());
    }
    object
}

/// An event as JSON, with the API's field names.
fn event_json(event: &Event) -> Value {
    json!({
        "id": event.id.to_string(),
        "idx": event.idx,
        "kind": event.kind.as_str(),
        "view": view_name(event.view),
        "ops": event.ops.iter().map(|op| op.to_json()).collect::<Vec<_>>(),
        "meta": event.meta,
        "reason": event.reason,
        "idempotencyKey": event.idempotency_key,
        "outcome": event.outcome.as_deref().map(outcome_json),
        "viewDigest": event.view_digest.to_string(),
    })
}

fn outcome_json(outcome: &Outcome) -> Value {
    let conflicts: Vec<Value> = outcome
        .conflicts
        .iter()
        .map(|conflict| {
            json!({
                "kind": conflict.kind.as_str(),
                "subject": conflict.subject.as_str(),
                "id": conflict.id.to_string(),
                "systemId": conflict.system_id.to_string(),
            })
        })
        .collect();
    json!({
        "committed": outcome.committed,
        "conflicts": conflicts,
        "baseDigest": outcome.base_digest.to_string(),
        "systemDigest": outcome.system_digest.to_string(),
    })
}
