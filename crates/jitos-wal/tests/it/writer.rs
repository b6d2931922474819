//! The writer: reopening, reading without repairing, rotation, fail-stop after write and fsync errors, disk full,
//! refusing corruption with a named offset, `Recover::Truncate` across segments, `FsStorage`.
//!
//! # Invariants
//! - Every test checks the log it leaves by scanning it, not by trusting the writer's counters.

use jitos_wal::{
    DamageReason, Entry, FsStorage, OpenError, RECORD_BODY_BYTES_MAX, RECORD_OVERHEAD_LEN, Recover,
    RecoveryAction, ScanEnd, SimStorage, Storage, Wal, WalError, WalOptions, scan, segment_name,
};

use crate::support::{TempDir, assert_is_entry, entry_for, records};

/// Appends records `next_idx..next_idx + n` one by one, syncing after each.
fn append_synced<S: Storage>(wal: &mut Wal<S>, n: u64) {
    for _ in 0..n {
        let owned = entry_for(wal.next_idx());
        wal.append(owned.entry()).unwrap();
        wal.sync().unwrap();
    }
}

fn assert_log_is<S: Storage>(storage: &S, n: u64) {
    let (seen, scan) = records(storage);
    assert_eq!(scan.end, ScanEnd::Clean);
    assert_eq!(seen.len() as u64, n);
    for (idx, decoded) in seen.iter().enumerate() {
        assert_eq!(decoded.record.idx, idx as u64);
        assert_is_entry(&decoded.record);
    }
}

#[test]
fn reopen_continues_the_chain() {
    let sim = SimStorage::new();
    let (mut wal, recovery) = Wal::open(sim.clone(), WalOptions::default()).unwrap();
    assert_eq!(recovery.scan.n_records, 0);
    assert!(
        sim.snapshot().is_empty(),
        "open on an empty log creates nothing"
    );
    append_synced(&mut wal, 5);
    let last = wal.last_hash();
    drop(wal);
    let (mut wal, recovery) = Wal::open(sim.clone(), WalOptions::default()).unwrap();
    assert_eq!(recovery.action, RecoveryAction::None);
    assert_eq!((wal.next_idx(), wal.last_hash()), (5, last));
    append_synced(&mut wal, 5);
    assert_log_is(&sim, 10);
}

#[test]
fn segments_rotate_at_record_boundaries_and_are_named_by_first_idx() {
    let sim = SimStorage::new();
    let options = WalOptions {
        segment_bytes_max: 1024,
        write_buffer_bytes: 300,
        ..WalOptions::default()
    };
    let (mut wal, _) = Wal::open(sim.clone(), options.clone()).unwrap();
    append_synced(&mut wal, 60);
    let big = vec![0xa0; 2000];
    let entry = Entry {
        body: &big,
        ..entry_for(60).entry()
    };
    wal.append(entry).unwrap();
    wal.sync().unwrap();
    let (seen, scan) = records(&sim);
    assert_eq!(scan.end, ScanEnd::Clean);
    assert_eq!(seen.len(), 61);
    assert!(scan.segments.len() > 5);
    let files = sim.snapshot();
    assert_eq!(files.len(), scan.segments.len());
    for summary in &scan.segments {
        assert_eq!(summary.name, segment_name(summary.first_idx));
        let len = files[&summary.name].len() as u64;
        assert_eq!(len, summary.valid_len);
        assert!(
            len <= 1024 || summary.n_records == 1,
            "{} is {len} bytes",
            summary.name
        );
    }
    assert_eq!(
        scan.segments.last().unwrap().first_idx,
        60,
        "the big record has its own segment"
    );
    drop(wal);
    let (mut wal, _) = Wal::open(sim.clone(), options).unwrap();
    assert_eq!(wal.next_idx(), 61);
    let owned = entry_for(61);
    wal.append(owned.entry()).unwrap();
    wal.sync().unwrap();
    assert_eq!(records(&sim).0.len(), 62);
}

#[test]
fn an_fsync_error_poisons_the_wal_and_is_never_retried() {
    let sim = SimStorage::new();
    let (mut wal, _) = Wal::open(sim.clone(), WalOptions::default()).unwrap();
    append_synced(&mut wal, 3);
    let owned = entry_for(3);
    wal.append(owned.entry()).unwrap();
    sim.fail_next_sync();
    assert!(matches!(wal.sync(), Err(WalError::Io { op: "fsync", .. })));
    assert!(wal.is_poisoned());
    let n_syncs = sim.n_syncs();
    let owned = entry_for(4);
    assert!(matches!(wal.append(owned.entry()), Err(WalError::Poisoned)));
    assert!(matches!(wal.sync(), Err(WalError::Poisoned)));
    assert!(matches!(
        wal.append_batch(&[owned.entry()]),
        Err(WalError::Poisoned)
    ));
    assert_eq!(sim.n_syncs(), n_syncs, "a poisoned wal never syncs again");
    assert_eq!(wal.n_durable(), 3);
    // After a crash, what was acknowledged is there; record 3 may or may not be.
    drop(wal);
    sim.power_cut(7);
    let (wal, _) = Wal::open(sim.clone(), WalOptions::default()).unwrap();
    assert!(wal.next_idx() >= 3);
    assert_log_is(&sim, wal.next_idx());
}

#[test]
fn a_write_error_poisons_the_wal() {
    let sim = SimStorage::new();
    let options = WalOptions {
        write_buffer_bytes: 1,
        ..WalOptions::default()
    };
    let (mut wal, _) = Wal::open(sim.clone(), options).unwrap();
    // Until the next record fits the preallocated zeros: its write is a write, not an
    // extension (which fails the same way; see `padding.rs`).
    let padding = |sim: &SimStorage| {
        let (_, scan) = records(sim);
        let tail = scan.segments.last().unwrap();
        tail.padding_len
    };
    let next_len =
        |wal: &Wal<SimStorage>| (RECORD_OVERHEAD_LEN + entry_for(wal.next_idx()).body.len()) as u64;
    append_synced(&mut wal, 2);
    while padding(&sim) < next_len(&wal) && wal.next_idx() < 100 {
        append_synced(&mut wal, 1);
    }
    let n = wal.next_idx();
    sim.fail_next_write();
    let owned = entry_for(n);
    assert!(matches!(
        wal.append(owned.entry()),
        Err(WalError::Io { op: "write", .. })
    ));
    assert!(matches!(wal.sync(), Err(WalError::Poisoned)));
    drop(wal);
    let (wal, recovery) = Wal::open(sim.clone(), WalOptions::default()).unwrap();
    assert_eq!(recovery.action, RecoveryAction::None);
    assert_eq!(wal.next_idx(), n);
}

/// The disk fills while the writer extends the segment: the extension fails, the `Wal` is
/// poisoned, and the records of the failed batch were never written (they go over the
/// extension); the zeros that did fit read as padding, so the next open finds a clean log.
#[test]
fn disk_full_while_extending_poisons_and_the_next_open_finds_a_clean_log() {
    let sim = SimStorage::new();
    let (mut wal, _) = Wal::open(sim.clone(), WalOptions::default()).unwrap();
    append_synced(&mut wal, 4);
    let name = segment_name(0);
    let file_len = sim.snapshot()[&name].len();
    sim.set_capacity(Some(file_len + 100));
    // Enough records to run past the preallocated bytes.
    let owned: Vec<_> = (4..400).map(entry_for).collect();
    let entries: Vec<_> = owned.iter().map(|entry| entry.entry()).collect();
    let error = wal.append_batch(&entries).unwrap_err();
    assert!(
        matches!(&error, WalError::Io { op: "extend", source, .. }
            if source.kind() == std::io::ErrorKind::StorageFull),
        "{error:?}"
    );
    assert!(wal.is_poisoned());
    assert!(matches!(wal.sync(), Err(WalError::Poisoned)));
    drop(wal);
    let bytes = sim.snapshot()[&name].clone();
    assert_eq!(bytes.len(), file_len + 100, "the zeros that fitted");
    sim.set_capacity(None);
    let (wal, recovery) = Wal::open(sim.clone(), WalOptions::default()).unwrap();
    assert_eq!(recovery.scan.end, ScanEnd::Clean);
    assert_eq!(recovery.action, RecoveryAction::None);
    assert_eq!(wal.next_idx(), 4);
    assert_log_is(&sim, 4);
}

/// The disk fills while the first extension of a new segment is written: the file holds some
/// zeros and no file header yet (the header goes over the extension with the first records),
/// so the next open removes it as a torn tail at offset 0.
#[test]
fn disk_full_in_a_new_segment_leaves_a_headerless_file_that_the_next_open_removes() {
    let sim = SimStorage::new();
    let options = WalOptions {
        // One record per segment: every append rotates and extends a new file.
        segment_bytes_max: 16,
        ..WalOptions::default()
    };
    let (mut wal, _) = Wal::open(sim.clone(), options.clone()).unwrap();
    append_synced(&mut wal, 4);
    let used: usize = sim.snapshot().values().map(Vec::len).sum();
    sim.set_capacity(Some(used + 100));
    let error = wal.append_batch(&[entry_for(4).entry()]).unwrap_err();
    assert!(
        matches!(&error, WalError::Io { op: "extend", source, .. }
            if source.kind() == std::io::ErrorKind::StorageFull),
        "{error:?}"
    );
    assert_eq!(sim.snapshot()[&segment_name(4)], vec![0; 100]);
    drop(wal);
    sim.set_capacity(None);
    let (mut wal, recovery) = Wal::open(sim.clone(), options).unwrap();
    assert!(
        matches!(&recovery.action,
            RecoveryAction::Cut { segment, offset: 0, dropped_bytes: 100, .. }
                if *segment == segment_name(4)),
        "{recovery:?}"
    );
    assert_eq!(wal.next_idx(), 4);
    assert!(!sim.snapshot().contains_key(&segment_name(4)));
    append_synced(&mut wal, 1);
    assert_log_is(&sim, 5);
}

#[test]
fn an_oversized_body_is_refused_without_poisoning() {
    let sim = SimStorage::new();
    let (mut wal, _) = Wal::open(sim.clone(), WalOptions::default()).unwrap();
    let huge = vec![0; RECORD_BODY_BYTES_MAX + 1];
    let owned = entry_for(0);
    let entry = Entry {
        body: &huge,
        ..owned.entry()
    };
    assert!(matches!(
        wal.append(entry),
        Err(WalError::BodyTooLarge { len }) if len == RECORD_BODY_BYTES_MAX + 1
    ));
    assert!(matches!(
        wal.append_batch(&[owned.entry(), entry]),
        Err(WalError::BodyTooLarge { .. })
    ));
    assert!(!wal.is_poisoned());
    assert_eq!(wal.next_idx(), 0, "a refused batch appends nothing");
    append_synced(&mut wal, 1);
    assert_log_is(&sim, 1);
}

/// Three segments of records; returns the storage and the options that made it.
fn three_segments() -> (SimStorage, WalOptions) {
    let sim = SimStorage::new();
    let options = WalOptions {
        segment_bytes_max: 2048,
        ..WalOptions::default()
    };
    let (mut wal, _) = Wal::open(sim.clone(), options.clone()).unwrap();
    while sim.snapshot().len() < 3 {
        append_synced(&mut wal, 1);
    }
    append_synced(&mut wal, 2);
    (sim, options)
}

#[test]
fn corruption_is_refused_naming_the_segment_and_offset() {
    let (sim, options) = three_segments();
    let name = segment_name(scan(&sim).unwrap().segments[1].first_idx);
    let mut bytes = sim.snapshot()[&name].clone();
    bytes[16 + 5] ^= 0x01;
    sim.overwrite(&name, bytes);
    let error = Wal::open(sim.clone(), options).unwrap_err();
    assert!(matches!(
        &error,
        OpenError::Corrupt { segment, offset: 16, reason: DamageReason::Record(_) } if *segment == name
    ));
    let message = error.to_string();
    assert!(
        message.contains(&name) && message.contains("at byte 16"),
        "{message}"
    );
    assert!(message.contains("--recover=truncate"), "{message}");
}

#[test]
fn read_changes_nothing_until_open_repairs() {
    // Corruption under `Recover::Truncate`, in the middle segment: a repair would cut it and
    // delete the last segment.
    let (sim, options) = three_segments();
    let name = segment_name(scan(&sim).unwrap().segments[1].first_idx);
    let mut bytes = sim.snapshot()[&name].clone();
    bytes[16 + 5] ^= 0x01;
    sim.overwrite(&name, bytes);
    let truncate = WalOptions {
        recover: Recover::Truncate,
        ..options
    };
    let before = sim.snapshot();
    let mut n_visited = 0;
    let opening = Wal::read(sim.clone(), truncate.clone(), &mut |_| n_visited += 1).unwrap();
    assert!(matches!(opening.scan().end, ScanEnd::Corrupt { .. }));
    assert_eq!(n_visited, opening.scan().n_records);
    drop(opening);
    assert_eq!(sim.snapshot(), before, "a dropped read changed the log");
    let (_, recovery) = Wal::read(sim.clone(), truncate, &mut |_| {})
        .unwrap()
        .open()
        .unwrap();
    assert!(matches!(recovery.action, RecoveryAction::Cut { .. }));
    assert_ne!(sim.snapshot(), before, "open repaired the log");
    assert_log_is(&sim, recovery.scan.n_records);
}

#[test]
fn truncate_recovery_deletes_later_segments() {
    let (sim, options) = three_segments();
    let before = scan(&sim).unwrap();
    let second = &before.segments[1];
    let mut bytes = sim.snapshot()[&second.name].clone();
    assert!(second.n_records >= 3);
    let first_len = jitos_wal::decode(&bytes[16..]).unwrap().len;
    bytes[16 + first_len + 3] ^= 0x80;
    sim.overwrite(&second.name, bytes);
    let options = WalOptions {
        recover: Recover::Truncate,
        ..options
    };
    let (wal, recovery) = Wal::open(sim.clone(), options).unwrap();
    let third = before.segments[2].name.clone();
    assert!(matches!(
        &recovery.action,
        RecoveryAction::Cut { segment, removed_segments, was_corrupt: true, .. }
            if *segment == second.name && *removed_segments == vec![third.clone()]
    ));
    assert_eq!(wal.next_idx(), second.first_idx + 1);
    assert!(!sim.snapshot().contains_key(&third));
    assert_log_is(&sim, second.first_idx + 1);
}

#[test]
fn a_segment_whose_creation_was_torn_is_removed() {
    let (sim, options) = three_segments();
    let n = scan(&sim).unwrap().n_records;
    sim.overwrite(&segment_name(n), b"JITOS".to_vec());
    let (wal, recovery) = Wal::open(sim.clone(), options).unwrap();
    assert!(matches!(
        &recovery.action,
        RecoveryAction::Cut { segment, offset: 0, .. } if *segment == segment_name(n)
    ));
    assert_eq!(wal.next_idx(), n);
    assert!(!sim.snapshot().contains_key(&segment_name(n)));
}

#[test]
fn stray_wal_files_are_refused() {
    let sim = SimStorage::new();
    sim.overwrite("0001.wal", Vec::new());
    sim.overwrite("checkpoint.bin", Vec::new());
    let error = Wal::open(sim, WalOptions::default()).unwrap_err();
    assert!(error.to_string().contains("0001.wal"), "{error}");
}

#[test]
fn fs_storage_round_trip_torn_tail_and_rotation() {
    let dir = TempDir::new("fs-round-trip");
    let options = WalOptions {
        segment_bytes_max: 4096,
        ..WalOptions::default()
    };
    let storage = FsStorage::open(&dir.0).unwrap();
    let (mut wal, _) = Wal::open(storage, options.clone()).unwrap();
    let owned: Vec<_> = (0..50).map(entry_for).collect();
    let entries: Vec<_> = owned.iter().map(|entry| entry.entry()).collect();
    let appended = wal.append_batch(&entries).unwrap();
    assert_eq!(appended.last().unwrap().idx, 49);
    drop(wal);
    let storage = FsStorage::open(&dir.0).unwrap();
    assert!(storage.list().unwrap().len() > 2);
    assert_log_is(&storage, 50);
    // Tear the last record by hand, as a crash would: cut the file inside it (its padding
    // goes with the cut).
    let last = storage.list().unwrap().pop().unwrap();
    let path = dir.0.join(&last);
    let len = records(&storage).1.segments.last().unwrap().valid_len;
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(len - 7).unwrap();
    let (wal, recovery) = Wal::open(storage, options).unwrap();
    let record_len = (RECORD_OVERHEAD_LEN + entry_for(49).body.len()) as u64;
    assert!(matches!(
        recovery.action,
        RecoveryAction::Cut { offset, dropped_bytes, .. } if offset == len - record_len && dropped_bytes == record_len - 7
    ));
    assert_eq!(wal.next_idx(), 49);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len - record_len);
    let (seen, _) = records(wal.storage());
    assert_eq!(seen.len(), 49);
    assert_eq!(wal.last_hash(), seen[48].hash);
}
