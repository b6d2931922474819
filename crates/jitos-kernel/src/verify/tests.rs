//! Verification over a real script's log in `SimStorage`: a clean log verifies with exact
//! counts; a torn tail is a warning and stays on disk; corruption names its segment and offset;
//! a record whose header or event was rewritten (and re-sealed into a valid chain), or whose
//! pins are not this kernel's, is the first divergence, with its location, expected and found;
//! a state that no longer matches the log fails the final comparisons.

use std::collections::BTreeMap;

use jitos_core::Hash;
use jitos_graph::{Graph, Node};
use jitos_schema::enums::EventKind;
use jitos_schema::ops::{AddNode, Op, RemoveNode};
use jitos_wal::scan::segment_names;
use jitos_wal::{
    DamageReason, DecodeError, Entry, FILE_HEADER_LEN, Record, SimStorage, Storage, Wal,
    WalOptions, decode, scan_with,
};

use super::{
    Check, Divergence, Location, Verifier, VerifyError, VerifyOptions, VerifyReport, scan_located,
    verify,
};
use crate::checkpoints::write_checkpoint;
use crate::decode::decode_event;
use crate::output::{POLICY_ID, rule_pack_id};
use crate::persist::{append, changed_view_digest};
use crate::state::{Command, State};
use crate::test_support::run;
use crate::view::ViewKey;

fn create() -> Command {
    Command::CreateSws {
        meta: None,
        idempotency_key: None,
    }
}

fn write(sws: u64, op: Op) -> Command {
    Command::ApplyRewrite {
        view: ViewKey::Sws(sws),
        ops: vec![op],
        meta: None,
        idempotency_key: None,
    }
}

fn add(sws: u64, payload: u64) -> Command {
    let op = Op::AddNode(AddNode {
        kind: "v".to_owned(),
        payload: payload.to_be_bytes().to_vec(),
    });
    write(sws, op)
}

fn remove(sws: u64, payload: u64) -> Command {
    let id = *Node::new("v", payload.to_be_bytes()).id().as_bytes();
    write(sws, Op::RemoveNode(RemoveNode { id }))
}

fn collapse(id: u64) -> Command {
    Command::CollapseSws {
        id,
        meta: None,
        idempotency_key: None,
    }
}

/// 17 events of every kind a command makes: 5 SWS_CREATE, 6 REWRITE_APPLIED, 4 COLLAPSE (one
/// aborted: ALREADY_REMOVED), 1 REBASE, 1 DISCARD; the last one, a collapse, changes System.
fn script() -> Vec<Command> {
    vec![
        create(),     // 0: sws 0
        create(),     // 1: sws 1
        add(0, 1),    // 2
        add(1, 1),    // 3
        add(0, 2),    // 4
        collapse(0),  // 5: System {1, 2}
        create(),     // 6: sws 2
        create(),     // 7: sws 3
        remove(2, 2), // 8
        remove(3, 2), // 9
        collapse(2),  // 10: System {1}
        collapse(3),  // 11: aborted, ALREADY_REMOVED
        Command::RebaseSws {
            id: 1,
            meta: None,
            idempotency_key: None,
        }, // 12: sws 1 onto System {1}
        add(1, 3),    // 13
        create(),     // 14: sws 4
        Command::DiscardSws {
            id: 4,
            reason: Some("superseded".to_owned()),
            meta: None,
            idempotency_key: None,
        }, // 15
        collapse(1),  // 16: System {1, 3}
    ]
}

const N_RECORDS: u64 = 17;

/// Segments small enough that the log spans several of them.
fn small_segments() -> WalOptions {
    WalOptions {
        segment_bytes_max: 1024,
        ..WalOptions::default()
    }
}

/// The script's state and its log, appended in batches of 4 events.
fn written(options: WalOptions) -> (State, SimStorage, Hash) {
    let state = run(script());
    let storage = SimStorage::new();
    let (mut wal, _) = Wal::open(storage.clone(), options).expect("opens");
    let events: Vec<_> = state.events().iter().cloned().collect();
    for batch in events.chunks(4) {
        append(&mut wal, batch).expect("durable");
    }
    let last_hash = wal.last_hash();
    (state, storage, last_hash)
}

/// Every record of the log with where it starts, found by walking the files directly.
fn records(storage: &SimStorage) -> Vec<(Record, Location)> {
    let mut found = Vec::new();
    for (segment, bytes) in storage.snapshot() {
        let mut offset = FILE_HEADER_LEN;
        while let Ok(decoded) = decode(&bytes[offset..]) {
            let location = Location {
                segment: segment.clone(),
                offset: offset as u64,
            };
            found.push((decoded.record.into_owned(), location));
            offset += decoded.len;
        }
    }
    found
}

/// A fresh log holding `records`, each passed through `change` first, in valid chained records.
fn resealed(
    records: &[(Record, Location)],
    change: impl Fn(u64, &mut Record),
) -> (SimStorage, Vec<Location>) {
    let storage = SimStorage::new();
    let (mut wal, _) = Wal::open(storage.clone(), small_segments()).expect("opens");
    for (record, _) in records {
        let mut record = record.clone();
        change(record.idx, &mut record);
        let entry = Entry {
            rule_pack_id: record.rule_pack_id,
            policy_id: record.policy_id,
            view_digest: record.view_digest,
            body: &record.body,
        };
        wal.append(entry).expect("appended");
    }
    wal.sync().expect("durable");
    let locations = self::records(&storage)
        .into_iter()
        .map(|(_, at)| at)
        .collect();
    (storage, locations)
}

fn verified(storage: &SimStorage, options: &VerifyOptions) -> Result<VerifyReport, VerifyError> {
    verify(storage, None, options)
}

/// Where the records of a segment file end: its header, then every record that decodes, and
/// not the zero padding the writer extends the active segment with.
fn records_end(segment: &[u8]) -> usize {
    let mut end = jitos_wal::FILE_HEADER_LEN;
    while let Ok(decoded) = jitos_wal::decode(&segment[end..]) {
        end += decoded.len;
    }
    end
}

fn divergence(result: Result<VerifyReport, VerifyError>) -> Divergence {
    match result {
        Err(VerifyError::Diverged(divergence)) => *divergence,
        other => panic!("expected a divergence, got {other:?}"),
    }
}

#[test]
fn a_clean_log_verifies_with_exact_counts() {
    let (state, storage, last_hash) = written(small_segments());
    let options = VerifyOptions {
        full_every: 4.try_into().expect("not zero"),
    };
    let report = verified(&storage, &options).expect("verifies");
    let files = storage.snapshot();
    assert!(files.len() > 2, "the log spans several segments");
    let by_kind = [
        (EventKind::SwsCreate, 5),
        (EventKind::RewriteApplied, 6),
        (EventKind::Collapse, 4),
        (EventKind::Rebase, 1),
        (EventKind::Discard, 1),
    ];
    let expected = VerifyReport {
        n_records: N_RECORDS,
        n_segments: files.len() as u64,
        n_bytes: files.values().map(|bytes| records_end(bytes) as u64).sum(),
        n_events_by_kind: by_kind.into_iter().collect(),
        n_views: 6,
        // After records 3, 7, 11 and 15, then at the last one, 16.
        n_scratch_checks: 5,
        n_checkpoints_compared: 0,
        n_checkpoints_beyond_log: 0,
        system_digest: state.system().digest(),
        system_commit_digest: state.system().commit_digest_full(),
        last_record_hash: last_hash,
        torn_tail: None,
    };
    assert_eq!(report, expected);
    let by_default = verified(&storage, &VerifyOptions::default()).expect("verifies");
    assert_eq!(by_default.n_scratch_checks, 1, "only the last record");
}

#[test]
fn an_empty_log_verifies_as_the_empty_system() {
    let report = verified(&SimStorage::new(), &VerifyOptions::default()).expect("verifies");
    assert_eq!(
        (report.n_records, report.n_segments, report.n_views),
        (0, 0, 1)
    );
    assert_eq!(report.system_digest, Graph::new().digest());
    assert_eq!(report.last_record_hash, Hash::ZERO);
}

#[test]
fn a_torn_tail_is_reported_and_left_in_place() {
    let (_, storage, _) = written(small_segments());
    let files = storage.snapshot();
    let (last, bytes) = files.last_key_value().expect("a segment");
    // The records, without the writer's zero padding after them, then half of a record: what
    // an interrupted write leaves.
    let valid_len = records_end(bytes);
    let mut torn = bytes[..valid_len].to_vec();
    let (record, _) = &records(&storage)[3];
    let whole = jitos_wal::encode(record);
    torn.extend_from_slice(&whole[..whole.len() / 2]);
    storage.overwrite(last, torn);
    let before = storage.snapshot();

    let report = verified(&storage, &VerifyOptions::default()).expect("a torn tail verifies");
    assert_eq!(report.n_records, N_RECORDS);
    let tail = report.torn_tail.expect("reported");
    assert_eq!(tail.segment, *last);
    assert_eq!(tail.offset, valid_len as u64, "where the valid prefix ends");
    assert!(
        matches!(
            tail.reason,
            DamageReason::Record(DecodeError::Truncated { .. })
        ),
        "{tail:?}"
    );
    assert_eq!(storage.snapshot(), before, "verify cut nothing");
}

#[test]
fn corruption_before_the_tail_names_its_segment_and_offset() {
    let (_, storage, _) = written(small_segments());
    let all = records(&storage);
    let segments: Vec<String> = storage.snapshot().into_keys().collect();
    // The second record of the third segment.
    let (record, at) = all
        .iter()
        .filter(|(_, at)| at.segment == segments[2])
        .nth(1)
        .expect("the third segment holds two records");
    let mut bytes = storage.read(&at.segment).expect("reads");
    let body_byte = usize::try_from(at.offset).expect("fits") + 130;
    bytes[body_byte] ^= 0x40;
    storage.overwrite(&at.segment, bytes);
    let before = storage.snapshot();

    let error = verified(&storage, &VerifyOptions::default()).expect_err("corrupt");
    let VerifyError::Corrupt {
        segment,
        offset,
        reason,
        n_records_verified,
    } = error
    else {
        panic!("expected corruption, got {error:?}");
    };
    assert_eq!((segment, offset), (at.segment.clone(), at.offset));
    assert_eq!(reason, DamageReason::Record(DecodeError::RecordHash));
    assert_eq!(
        n_records_verified, record.idx,
        "every record before it verified"
    );
    assert_eq!(storage.snapshot(), before, "verify repaired nothing");
}

#[test]
fn a_rewritten_header_digest_is_a_divergence_with_expected_and_found() {
    let (_, storage, _) = written(WalOptions::default());
    let all = records(&storage);
    let forged = Hash::from_bytes([7; 32]);
    let (storage, locations) = resealed(&all, |idx, record| {
        if idx == 8 {
            record.view_digest = forged;
        }
    });
    let event = decode_event(&all[8].0.body).expect("an event");
    let expected = Divergence {
        check: Check::HeaderDigest,
        idx: Some(8),
        location: Some(locations[8].clone()),
        view: None,
        expected: changed_view_digest(&event).to_string(),
        found: "07".repeat(32),
    };
    assert_eq!(
        divergence(verified(&storage, &VerifyOptions::default())),
        expected
    );
}

#[test]
fn an_event_rewritten_with_its_header_does_not_replay() {
    let (state, storage, _) = written(WalOptions::default());
    let all = records(&storage);
    let mut forged = decode_event(&all[8].0.body).expect("an event");
    forged.view_digest = Hash::from_bytes([9; 32]);
    let body = forged.encode().expect("encodes");
    let (storage, locations) = resealed(&all, |idx, record| {
        if idx == 8 {
            record.body.clone_from(&body);
            record.view_digest = changed_view_digest(&forged);
        }
    });
    let expected = Divergence {
        check: Check::Replay,
        idx: Some(8),
        location: Some(locations[8].clone()),
        view: None,
        expected: jitos_core::hash_bytes(&body).to_string(),
        found: state.events()[8].id.to_string(),
    };
    assert_eq!(
        divergence(verified(&storage, &VerifyOptions::default())),
        expected
    );
}

#[test]
fn records_under_other_pins_are_reported() {
    let (_, storage, _) = written(small_segments());
    let all = records(&storage);
    let other_pack = Hash::from_bytes([1; 32]);
    let cases = [
        (
            POLICY_ID + 1,
            rule_pack_id(),
            format!("policy {}", POLICY_ID + 1),
        ),
        (
            POLICY_ID,
            other_pack,
            format!("rule pack {other_pack} policy"),
        ),
    ];
    for (policy_id, pack, found_part) in cases {
        let (storage, locations) = resealed(&all, |idx, record| {
            if idx == 5 {
                record.policy_id = policy_id;
                record.rule_pack_id = pack;
            }
        });
        let divergence = divergence(verified(&storage, &VerifyOptions::default()));
        assert_eq!(divergence.check, Check::RecordPins);
        assert_eq!(divergence.idx, Some(5));
        assert_eq!(divergence.location.as_ref(), Some(&locations[5]));
        assert_eq!(
            divergence.expected,
            format!("rule pack {} policy {POLICY_ID}", rule_pack_id())
        );
        assert!(divergence.found.contains(&found_part), "{divergence}");
    }
}

#[test]
fn the_first_divergence_wins_over_later_corruption() {
    let (_, storage, _) = written(small_segments());
    let all = records(&storage);
    let (storage, locations) = resealed(&all, |idx, record| {
        if idx == 3 {
            record.policy_id = POLICY_ID + 1;
        }
    });
    let late = &locations[12];
    let mut bytes = storage.read(&late.segment).expect("reads");
    bytes[usize::try_from(late.offset).expect("fits") + 140] ^= 1;
    storage.overwrite(&late.segment, bytes);
    let divergence = divergence(verified(&storage, &VerifyOptions::default()));
    assert_eq!(
        (divergence.check, divergence.idx),
        (Check::RecordPins, Some(3))
    );
}

/// Verifies `storage` with `tamper` run on the replayed state after the last record.
fn verify_tampered(
    storage: &SimStorage,
    tamper: impl FnOnce(&mut State),
) -> Result<VerifyReport, VerifyError> {
    let names = segment_names(storage).expect("lists");
    let mut verifier = Verifier::new(names, VerifyOptions::default(), BTreeMap::new());
    let scan = scan_with(storage, &mut |decoded| verifier.visit(&decoded)).expect("scans");
    tamper(&mut verifier.state);
    verifier.finish(&scan)
}

/// Replaces the live graph of `view` by an empty one.
fn empty_view(state: &mut State, view: ViewKey) {
    let history = state.history_mut(view).expect("the view exists");
    history.record_checkpoint(N_RECORDS, Graph::new());
}

#[test]
fn the_last_records_changed_view_is_digested_from_scratch() {
    let (_, storage, _) = written(small_segments());
    let all = records(&storage);
    assert!(
        verify_tampered(&storage, |_| {}).is_ok(),
        "untouched, it verifies"
    );
    let error = verify_tampered(&storage, |state| empty_view(state, ViewKey::System));
    let expected = Divergence {
        check: Check::ScratchDigest,
        idx: Some(16),
        location: Some(all[16].1.clone()),
        view: Some(ViewKey::System),
        expected: all[16].0.view_digest.to_string(),
        found: Graph::new().digest().to_string(),
    };
    assert_eq!(divergence(error), expected);
}

#[test]
fn every_view_must_end_at_the_digest_its_last_record_carries() {
    let (_, storage, _) = written(small_segments());
    let all = records(&storage);
    // SWS 4's last record is its DISCARD, 15; the last record (16) changes System.
    let error = verify_tampered(&storage, |state| empty_view(state, ViewKey::Sws(4)));
    let expected = Divergence {
        check: Check::LastRecordDigest,
        idx: Some(15),
        location: Some(all[15].1.clone()),
        view: Some(ViewKey::Sws(4)),
        expected: all[15].0.view_digest.to_string(),
        found: Graph::new().digest().to_string(),
    };
    assert_eq!(divergence(error), expected);
}

#[test]
fn scan_located_tells_where_every_record_starts() {
    let (_, storage, _) = written(small_segments());
    let mut seen = Vec::new();
    let scanned = scan_located(&storage, &mut |decoded, location| {
        seen.push((
            decoded.record.clone().into_owned(),
            location.expect("located").clone(),
        ));
    })
    .expect("scans");
    assert_eq!(scanned.n_records, N_RECORDS);
    assert_eq!(seen, records(&storage));
}

/// The checkpoint of the script's state after its first `n` events, tied to `storage`'s log.
fn checkpoint_after(storage: &SimStorage, n: usize) -> Vec<u8> {
    let mut state = State::new();
    for event in run(script()).events().iter().take(n) {
        state.replay_one(event).expect("replays");
    }
    let mut hashes = Vec::new();
    scan_with(storage, &mut |decoded| hashes.push(decoded.hash)).expect("scans");
    state.checkpoint_bytes(hashes[n - 1]).expect("encodes")
}

#[test]
fn checkpoints_are_compared_with_the_replayed_state_at_their_count() {
    let (_, storage, _) = written(small_segments());
    let mut checkpoints = SimStorage::new();
    for n in [5, 12] {
        let bytes = checkpoint_after(&storage, n);
        write_checkpoint(&mut checkpoints, n as u64, &bytes, 2).expect("written");
    }
    // One beyond the log: a start skips it; verify counts it.
    write_checkpoint(&mut checkpoints, 1000, b"JCKP", 3).expect("written");
    let report = verify(&storage, Some(&checkpoints), &VerifyOptions::default()).expect("ok");
    assert_eq!(
        (
            report.n_checkpoints_compared,
            report.n_checkpoints_beyond_log
        ),
        (2, 1)
    );

    // The checkpoint after 12 events holds the state after 11: a divergence at record 11.
    let mut wrong = SimStorage::new();
    let bytes = checkpoint_after(&storage, 11);
    write_checkpoint(&mut wrong, 12, &bytes, 2).expect("written");
    let found = divergence(verify(&storage, Some(&wrong), &VerifyOptions::default()));
    assert_eq!((found.check, found.idx), (Check::Checkpoint, Some(11)));
    assert!(found.found.contains("another state"), "{found:?}");

    // A torn checkpoint: its body hash fails.
    let mut torn = SimStorage::new();
    let bytes = checkpoint_after(&storage, 12);
    write_checkpoint(&mut torn, 12, &bytes[..bytes.len() - 3], 2).expect("written");
    let found = divergence(verify(&storage, Some(&torn), &VerifyOptions::default()));
    assert_eq!((found.check, found.idx), (Check::Checkpoint, Some(11)));
    assert!(found.found.contains("hash"), "{found:?}");
}
