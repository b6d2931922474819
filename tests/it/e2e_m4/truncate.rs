//! A log cut anywhere, as a crash in the middle of a write leaves it, restarts the daemon at the
//! whole records before the cut. Cut points: inside the segment's file header, at every record
//! boundary of the script's log, and at one offset inside each record (rotating through the
//! magic, the header, its last byte, the start, middle and end of the body, and the record
//! hash). Each start must keep exactly the whole records, report a `bootCut` exactly when the cut
//! fell inside a record (or inside the file header), and answer the digests the original run had
//! at that point; after a cut, the log takes the next write at the next idx and a restart then
//! finds nothing to cut. Checkpoints written before a cut never serve the different history
//! written after it, even once that history is as long as they are.
//!
//! # Invariants
//! - Every cut runs on its own copy of the recorded data directory.
//! - Expected digests come from the original run (`asOf` each idx), expected offsets from the
//!   WAL's byte layout (`docs/spec/wal.md`).

use std::ops::Range;
use std::path::Path;

use serde_json::{Value, json};

use super::{
    RECORD_HASH_BYTES, RECORD_HEADER_BYTES, Recorded, SEGMENT_0, SEGMENT_HEADER_BYTES,
    copy_data_dir, create_body, record_script, storage, view_digests,
};
use crate::daemon::Daemon;
use crate::e2e_m2::{post_raw, u64_of};

/// One truncation of segment 0.
#[derive(Debug, Clone, Copy)]
struct Cut {
    /// The file's length after the cut.
    len: u64,
    /// Whole records before the cut.
    kept: usize,
    /// Where the damage starts (the start of the record cut into, or 0 for the file header),
    /// or `None` when the cut fell on a record boundary.
    damage: Option<u64>,
}

/// An offset inside the record `span`, chosen by `idx` among the interesting places.
fn inside(span: &Range<u64>, idx: usize) -> u64 {
    let body = span.end - span.start - RECORD_HEADER_BYTES - RECORD_HASH_BYTES;
    let offsets = [
        1,                                                  // inside the magic
        4,                                                  // magic complete
        60,                                                 // inside the header
        RECORD_HEADER_BYTES - 1,                            // header but its last byte
        RECORD_HEADER_BYTES,                                // header complete, no body
        RECORD_HEADER_BYTES + body / 2,                     // half the body
        RECORD_HEADER_BYTES + body,                         // body complete, no hash
        RECORD_HEADER_BYTES + body + RECORD_HASH_BYTES - 1, // hash but its last byte
    ];
    span.start + offsets[idx % offsets.len()]
}

/// Every cut of the recorded log the test tries.
fn cuts(spans: &[Range<u64>]) -> Vec<Cut> {
    let mut cuts = vec![
        Cut {
            len: 0,
            kept: 0,
            damage: Some(0),
        },
        Cut {
            len: SEGMENT_HEADER_BYTES / 2,
            kept: 0,
            damage: Some(0),
        },
        Cut {
            len: SEGMENT_HEADER_BYTES,
            kept: 0,
            damage: None,
        },
    ];
    for (idx, span) in spans.iter().enumerate() {
        cuts.push(Cut {
            len: inside(span, idx),
            kept: idx,
            damage: Some(span.start),
        });
        cuts.push(Cut {
            len: span.end,
            kept: idx + 1,
            damage: None,
        });
    }
    cuts
}

/// The `bootCut` a start must report for `cut`.
fn expected_boot_cut(cut: Cut) -> Value {
    match cut.damage {
        None => Value::Null,
        Some(offset) => json!({
            "segment": SEGMENT_0,
            "offset": offset.to_string(),
            "droppedBytes": (cut.len - offset).to_string(),
            "removedSegments": [],
            "wasCorrupt": false,
        }),
    }
}

/// Copies the recorded directory to `copy` and truncates its segment 0 to `len` bytes.
fn cut_copy(recorded: &Recorded, copy: &Path, len: u64) {
    copy_data_dir(recorded.dir.path(), copy);
    let segment = copy.join("wal").join(SEGMENT_0);
    std::fs::File::options()
        .write(true)
        .open(&segment)
        .and_then(|file| file.set_len(len))
        .unwrap_or_else(|error| panic!("truncating {}: {error}", segment.display()));
}

/// Starts on a copy cut as `cut` says and checks the start, then that the log goes on.
async fn check_cut(recorded: &Recorded, cut: Cut) {
    let copy = tempfile::tempdir().expect("a temp dir");
    cut_copy(recorded, copy.path(), cut.len);
    let daemon = Daemon::start_durable(copy.path(), &[]);
    let info = storage(&daemon).await;
    let kept = cut.kept as u64;
    assert_eq!(u64_of(&info["eventCount"]), kept, "{cut:?}: {info}");
    assert_eq!(
        u64_of(&info["storage"]["bootEventCount"]),
        kept,
        "{cut:?}: {info}"
    );
    assert_eq!(
        info["storage"]["bootCut"],
        expected_boot_cut(cut),
        "{cut:?}: {info}"
    );
    let digests = view_digests(&daemon, recorded.n_sws, None).await;
    assert_eq!(digests, recorded.prefixes[cut.kept], "{cut:?}");
    if cut.damage.is_none() {
        daemon.stop();
        return;
    }
    // The log goes on from the cut: the next SWS gets the next id, its event the next idx.
    let n_sws = digests.as_array().map_or(0, |views| {
        views.iter().skip(1).filter(|d| !d.is_null()).count()
    });
    let created = post_raw(&daemon, &create_body(&Value::Null)).await;
    let created: Value = serde_json::from_str(&created).expect("a JSON answer");
    assert_eq!(
        created["data"]["createSws"]["sws"]["id"],
        n_sws.to_string(),
        "{cut:?}: {created}"
    );
    daemon.stop();
    let again = Daemon::start_durable(copy.path(), &[]);
    let info = storage(&again).await;
    assert_eq!(u64_of(&info["eventCount"]), kept + 1, "{cut:?}: {info}");
    assert_eq!(info["storage"]["bootCut"], Value::Null, "{cut:?}: {info}");
    again.stop();
}

#[tokio::test]
async fn a_log_cut_anywhere_restarts_at_the_whole_records_before_the_cut() {
    let recorded = record_script(&[]).await;
    let cuts = cuts(&recorded.spans);
    assert_eq!(cuts.len(), 3 + 2 * recorded.spans.len());
    for cut in cuts {
        check_cut(&recorded, cut).await;
    }
}

/// The event counts of the checkpoint files in `data_dir`.
fn checkpoint_counts(data_dir: &Path) -> Vec<u64> {
    let Ok(entries) = std::fs::read_dir(data_dir.join("checkpoints")) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter_map(|name| name.strip_suffix(".ckpt")?.parse().ok())
        .collect()
}

#[tokio::test]
async fn checkpoints_of_the_log_before_a_cut_are_never_used_by_the_log_after_it() {
    let recorded = record_script(&["--checkpoint-every", "8"]).await;
    let counts = checkpoint_counts(recorded.dir.path());
    let kept = 5;
    let n_events = recorded.spans.len() as u64 + 1;
    assert!(
        counts
            .iter()
            .any(|count| (kept as u64 + 1..=n_events).contains(count)),
        "the recorded run left no checkpoint to be misused: {counts:?}"
    );
    let copy = tempfile::tempdir().expect("a temp dir");
    cut_copy(&recorded, copy.path(), recorded.spans[kept].start);
    // A different history from the cut on, as long as the old one and longer.
    let daemon = Daemon::start_durable(copy.path(), &[]);
    for _ in kept as u64..n_events {
        post_raw(&daemon, &create_body(&Value::Null)).await;
    }
    let n_sws = recorded.n_sws + n_events;
    let before = view_digests(&daemon, n_sws, None).await;
    assert_eq!(u64_of(&storage(&daemon).await["eventCount"]), n_events);
    // A crash, not a stop: no checkpoint of the new history is written.
    daemon.kill();
    assert_eq!(
        checkpoint_counts(copy.path()),
        counts,
        "the checkpoints changed"
    );

    let restarted = Daemon::start_durable(copy.path(), &[]);
    let info = storage(&restarted).await;
    let storage = &info["storage"];
    assert_eq!(u64_of(&info["eventCount"]), n_events, "{info}");
    assert_eq!(storage["bootCheckpointIdx"], Value::Null, "{info}");
    assert_eq!(u64_of(&storage["bootReplayedCount"]), n_events, "{info}");
    assert_eq!(view_digests(&restarted, n_sws, None).await, before);
    restarted.stop();
}
