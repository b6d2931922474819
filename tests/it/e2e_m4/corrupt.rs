//! A flipped byte in a record that valid records follow is corruption, not a crash: the daemon
//! refuses to start (exit 1 before it listens; stderr names the segment file and the byte
//! offset of the damaged record, and suggests `--recover=truncate`) and leaves the log as it
//! was. With `--recover truncate` it starts on the prefix before the damaged record and reports
//! the cut as corruption; the next plain start finds a clean log. A flipped byte in the last
//! record is a torn tail: the start cuts it and reports it, no flag needed.
//!
//! # Invariants
//! - Every flip runs on its own copy of the recorded data directory.
//! - Expected digests come from the original run (`asOf` each idx), expected offsets from the
//!   WAL's byte layout (`docs/spec/wal.md`).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{
    RECORD_HEADER_BYTES, Recorded, SEGMENT_0, copy_data_dir, record_script, storage, view_digests,
};
use crate::daemon::Daemon;
use crate::e2e_m2::u64_of;

/// Copies the recorded directory to `copy` and flips every bit of the byte at `offset` of its
/// segment 0; the segment's path and its damaged bytes.
fn flip_copy(recorded: &Recorded, copy: &Path, offset: u64) -> (PathBuf, Vec<u8>) {
    copy_data_dir(recorded.dir.path(), copy);
    let segment = copy.join("wal").join(SEGMENT_0);
    let mut bytes = std::fs::read(&segment).expect("reading segment 0");
    let at = usize::try_from(offset).expect("a small file");
    bytes[at] ^= 0xff;
    std::fs::write(&segment, &bytes).expect("writing segment 0");
    (segment, bytes)
}

/// Checks a start on the damaged copy after a refusal: with `--recover truncate` it keeps the
/// `kept` records before the one at `damage` and says it cut corruption; then a plain start
/// finds the log clean.
async fn expect_truncate_recovers(recorded: &Recorded, copy: &Path, damage: u64, kept: usize) {
    let segment_len = std::fs::metadata(copy.join("wal").join(SEGMENT_0))
        .expect("segment 0")
        .len();
    let daemon = Daemon::start_durable(copy, &["--recover", "truncate"]);
    let info = storage(&daemon).await;
    assert_eq!(u64_of(&info["eventCount"]), kept as u64, "{info}");
    let expected_cut = json!({
        "segment": SEGMENT_0,
        "offset": damage.to_string(),
        "droppedBytes": (segment_len - damage).to_string(),
        "removedSegments": [],
        "wasCorrupt": true,
    });
    assert_eq!(info["storage"]["bootCut"], expected_cut, "{info}");
    assert_eq!(
        view_digests(&daemon, recorded.n_sws, None).await,
        recorded.prefixes[kept]
    );
    daemon.stop();
    let plain = Daemon::start_durable(copy, &[]);
    let info = storage(&plain).await;
    assert_eq!(u64_of(&info["eventCount"]), kept as u64, "{info}");
    assert_eq!(info["storage"]["bootCut"], Value::Null, "{info}");
    plain.stop();
}

#[tokio::test]
async fn a_flipped_byte_before_the_tail_refuses_the_start_until_recover_truncate() {
    let recorded = record_script(&[]).await;
    let spans = &recorded.spans;
    let last_but_one = spans.len() - 2;
    // (record, offset in it): its idx field (the header check fails), a body byte and the last
    // byte of its record hash (the record hash fails).
    let flips = [
        (1, 12),
        (3, RECORD_HEADER_BYTES + 2),
        (
            last_but_one,
            spans[last_but_one].end - spans[last_but_one].start - 1,
        ),
    ];
    for (record, offset) in flips {
        let damage = spans[record].start;
        let copy = tempfile::tempdir().expect("a temp dir");
        let (segment, damaged) = flip_copy(&recorded, copy.path(), damage + offset);
        let data_dir = copy.path().to_str().expect("a UTF-8 temp path");
        let refused = Daemon::start_failing(&["--data-dir", data_dir]);
        let context = format!("flip in record {record} at +{offset}: {refused:?}");
        assert_eq!(refused.status.code(), Some(1), "{context}");
        assert_eq!(refused.stdout, "", "{context}");
        for needle in [
            SEGMENT_0,
            &format!("at byte {damage}"),
            "--recover=truncate",
        ] {
            assert!(
                refused.stderr.contains(needle),
                "no {needle:?} in {context}"
            );
        }
        let after = std::fs::read(&segment).expect("reading segment 0");
        assert!(
            after == damaged,
            "a refused start changed the log ({context})"
        );
        expect_truncate_recovers(&recorded, copy.path(), damage, record).await;
    }
}

#[tokio::test]
async fn a_flipped_byte_in_the_last_record_is_a_torn_tail() {
    let recorded = record_script(&[]).await;
    let last = recorded.spans.len() - 1;
    let span = recorded.spans[last].clone();
    let copy = tempfile::tempdir().expect("a temp dir");
    let (_, damaged) = flip_copy(&recorded, copy.path(), span.start + RECORD_HEADER_BYTES + 1);
    let daemon = Daemon::start_durable(copy.path(), &[]);
    let info = storage(&daemon).await;
    assert_eq!(u64_of(&info["eventCount"]), last as u64, "{info}");
    let expected_cut = json!({
        "segment": SEGMENT_0,
        "offset": span.start.to_string(),
        "droppedBytes": (damaged.len() as u64 - span.start).to_string(),
        "removedSegments": [],
        "wasCorrupt": false,
    });
    assert_eq!(info["storage"]["bootCut"], expected_cut, "{info}");
    assert_eq!(
        view_digests(&daemon, recorded.n_sws, None).await,
        recorded.prefixes[last]
    );
    daemon.stop();
}
