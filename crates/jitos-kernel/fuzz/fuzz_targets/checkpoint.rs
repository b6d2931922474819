//! Fuzz target: a start with an arbitrary checkpoint file never panics and never serves a state
//! other than the one a full replay of the log gives.
//!
//! Each input is tried three times as the checkpoint of a small fixed log: as raw file bytes;
//! *sealed* (behind a valid header: magic, format version and the body's hash), so the fuzzer
//! reaches body decoding; and as *patches* (offset, byte) to the log's true checkpoint body,
//! sealed, so it reaches the graph rebuilds and the checks against the log.
//!
//! Run from `crates/jitos-kernel`:
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run checkpoint -- -max_total_time=20`.
//!
//! # Invariants
//! - `decode_checkpoint` and `boot_with_checkpoints` never panic, whatever the file holds.
//! - A start that uses the file ends in exactly the state of a full replay.

#![no_main]

use std::sync::OnceLock;

use jitos_core::hash_bytes;
use jitos_kernel::{
    CHECKPOINT_FORMAT_VERSION, Command, State, ViewKey, append, boot, boot_with_checkpoints,
    checkpoint_name, decode_checkpoint,
};
use jitos_schema::ops::{AddNode, Op};
use jitos_wal::{SimStorage, Storage, WalOptions};
use libfuzzer_sys::fuzz_target;

/// A log of a few events and the state a full replay of it gives.
fn log() -> &'static (SimStorage, State, Vec<u8>) {
    static LOG: OnceLock<(SimStorage, State, Vec<u8>)> = OnceLock::new();
    LOG.get_or_init(|| {
        let storage = SimStorage::new();
        let (mut state, mut wal, _) = boot(storage.clone(), WalOptions::default()).expect("boots");
        let create = Command::CreateSws {
            meta: None,
            idempotency_key: None,
        };
        let add = |i: u8| Command::ApplyRewrite {
            view: ViewKey::Sws(0),
            ops: vec![Op::AddNode(AddNode {
                kind: "f".to_owned(),
                payload: vec![i],
            })],
            meta: None,
            idempotency_key: None,
        };
        for command in [create, add(1), add(2)] {
            let event = state.apply(command).expect("accepted");
            append(&mut wal, &[event]).expect("durable");
        }
        let file = state.checkpoint_bytes(wal.last_hash()).expect("encodes");
        (storage, state, file[40..].to_vec())
    })
}

fn check(file: Vec<u8>) {
    let _ = decode_checkpoint(&file);
    let (storage, replayed, _) = log();
    let mut checkpoints = SimStorage::new();
    let name = checkpoint_name(replayed.events().len() as u64);
    checkpoints.create(&name).expect("created");
    checkpoints.append(&name, &file).expect("written");
    let booted = boot_with_checkpoints(storage.clone(), &checkpoints, WalOptions::default())
        .expect("the log itself is sound");
    if booted.report.checkpoint_idx.is_some() {
        let state = &booted.state;
        assert_eq!(state.events().len(), replayed.events().len());
        assert_eq!(state.system().digest(), replayed.system().digest());
        let sws = |state: &State| state.history(ViewKey::Sws(0)).map(|h| h.live().digest());
        assert_eq!(sws(state), sws(replayed));
    }
}

fn sealed(body: &[u8]) -> Vec<u8> {
    let mut file = b"JCKP".to_vec();
    file.extend_from_slice(&CHECKPOINT_FORMAT_VERSION.to_le_bytes());
    file.extend_from_slice(hash_bytes(body).as_bytes());
    file.extend_from_slice(body);
    file
}

fuzz_target!(|data: &[u8]| {
    check(data.to_vec());
    check(sealed(data));
    let mut body = log().2.clone();
    for patch in data.chunks_exact(3) {
        let at = usize::from(u16::from_le_bytes([patch[0], patch[1]])) % body.len();
        body[at] = patch[2];
    }
    check(sealed(&body));
});
