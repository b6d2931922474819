//! Fuzz target: boot on arbitrary directory contents never panics and never serves a state that
//! disagrees with the log it kept.
//!
//! Each input is booted three times: as the raw bytes of the one segment file (what a damaged
//! disk holds); *sealed*: cut into length-prefixed bodies (one length byte, then that many
//! bytes) written as valid, chained records whose header carries the kernel's pins and, when
//! the body is an event, the digest its header must hold, so the fuzzer gets past the record
//! checks and reaches event decoding, the header checks and replay; and as a *whole data
//! directory*: cut into files (a tag byte, two length bytes, the contents), each named by its
//! tag as a segment of some first idx, a stray name in the WAL directory, or a checkpoint of
//! some event count, and booted as the daemon boots (`boot_with_checkpoints`), so several
//! segments, gaps between them, stray files and damaged or foreign checkpoints meet.
//!
//! Run from `crates/jitos-kernel`:
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run boot -- -max_total_time=20`.
//!
//! # Invariants
//! - `boot` never panics, whatever the directory holds.
//! - When it succeeds, the state holds exactly as many events as the log it kept has records,
//!   whichever checkpoint it started from.

#![no_main]

use jitos_core::Hash;
use jitos_kernel::{
    POLICY_ID, boot, boot_with_checkpoints, changed_view_digest, checkpoint_name, decode_event,
    rule_pack_id,
};
use jitos_wal::{Entry, SimStorage, Wal, WalOptions, segment_name};
use libfuzzer_sys::fuzz_target;

fn check(storage: SimStorage) {
    if let Ok((state, wal, _)) = boot(storage, WalOptions::default()) {
        assert_eq!(state.events().len() as u64, wal.next_idx());
    }
}

fn sealed(data: &[u8]) -> SimStorage {
    let storage = SimStorage::new();
    let Ok((mut wal, _)) = Wal::open(storage.clone(), WalOptions::default()) else {
        return storage;
    };
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let (body, after) = tail.split_at(usize::from(len).min(tail.len()));
        rest = after;
        let view_digest =
            decode_event(body).map_or(Hash::ZERO, |event| changed_view_digest(&event));
        let entry = Entry {
            rule_pack_id: rule_pack_id(),
            policy_id: POLICY_ID,
            view_digest,
            body,
        };
        if wal.append(entry).is_err() {
            break;
        }
    }
    let _synced = wal.sync();
    storage
}

/// The directory (`true`: the WAL's, `false`: the checkpoints') and name of a file, by its tag
/// byte: the low three bits pick the kind, the other five a number.
fn file_of(tag: u8) -> (bool, String) {
    let number = u64::from(tag >> 3);
    match tag & 7 {
        0..=3 => (true, segment_name(number)),
        4 => (true, format!("{number}.wal")),
        5 => (true, format!("{number:020}.tmp")),
        _ => (false, checkpoint_name(number)),
    }
}

/// The input as a whole data directory: its WAL and checkpoint directories.
fn directory(data: &[u8]) -> (SimStorage, SimStorage) {
    let (wal, checkpoints) = (SimStorage::new(), SimStorage::new());
    let mut rest = data;
    while let [tag, low, high, tail @ ..] = rest {
        let len = usize::from(u16::from_le_bytes([*low, *high])).min(tail.len());
        let (bytes, after) = tail.split_at(len);
        rest = after;
        let (in_wal, name) = file_of(*tag);
        let target = if in_wal { &wal } else { &checkpoints };
        target.overwrite(&name, bytes.to_vec());
    }
    (wal, checkpoints)
}

fuzz_target!(|data: &[u8]| {
    let raw = SimStorage::new();
    raw.overwrite(&segment_name(0), data.to_vec());
    check(raw);
    check(sealed(data));
    let (wal, checkpoints) = directory(data);
    if let Ok(booted) = boot_with_checkpoints(wal, &checkpoints, WalOptions::default()) {
        assert_eq!(booted.state.events().len() as u64, booted.wal.next_idx());
    }
});
