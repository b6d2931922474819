//! Fuzz target: boot on arbitrary directory contents never panics and never serves a state that
//! disagrees with the log it kept.
//!
//! Each input is booted twice: as the raw bytes of the one segment file (what a damaged disk
//! holds), and *sealed*: cut into length-prefixed bodies (one length byte, then that many bytes)
//! written as valid, chained records whose header carries the kernel's pins and, when the body
//! is an event, the digest its header must hold. The sealed form gets past the record checks, so
//! the fuzzer reaches event decoding, the header checks and replay.
//!
//! Run from `crates/jitos-kernel`:
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run boot -- -max_total_time=20`.
//!
//! # Invariants
//! - `boot` never panics, whatever the directory holds.
//! - When it succeeds, the state holds exactly as many events as the log it kept has records.

#![no_main]

use jitos_core::Hash;
use jitos_kernel::{POLICY_ID, boot, changed_view_digest, decode_event, rule_pack_id};
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
        let view_digest = decode_event(body).map_or(Hash::ZERO, |event| changed_view_digest(&event));
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

fuzz_target!(|data: &[u8]| {
    let raw = SimStorage::new();
    raw.overwrite(&segment_name(0), data.to_vec());
    check(raw);
    check(sealed(data));
});
