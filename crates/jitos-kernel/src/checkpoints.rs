//! Checkpoint files on disk, and a start that uses them: read the whole log (chain, headers,
//! decode), take the newest checkpoint that belongs to it, and replay only the events after it.
//!
//! Files are named `{event_count:020}.ckpt` in their own directory (`CHECKPOINT_DIR`), written
//! in place (create, write, fsync, fsync the directory). No rename is needed: a file torn by a
//! crash fails its body hash and is skipped, like any file that does not check out.
//!
//! # Invariants
//! - A start uses a checkpoint only if the log holds at least `event_count` records and the
//!   record of event `event_count - 1` has the hash the checkpoint names; the events it covers
//!   are still decoded and header-checked, and every version it lists is checked against them.
//! - A checkpoint that fails any check is reported and skipped (the next older one is tried,
//!   then a full replay): a bad checkpoint costs time, never correctness.
//! - Files are never changed once written; pruning removes whole files, oldest first, and keeps
//!   the newest `keep`.

use std::io;
use std::sync::Arc;

use imbl::Vector;
use jitos_core::Hash;
use jitos_wal::{Decoded, Recovery, Storage, Wal, WalOptions};

use crate::event::Event;
use crate::journal::BootReport;
use crate::persist::{BootError, check_record};
use crate::state::{State, decode_checkpoint};

/// The file name of the checkpoint covering the first `event_count` events.
pub fn checkpoint_name(event_count: u64) -> String {
    format!("{event_count:020}.ckpt")
}

/// The event count a checkpoint file name stands for, if it is one.
pub fn parse_checkpoint_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".ckpt")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The checkpoint files in `storage`, newest (most events) first.
///
/// # Errors
/// The directory cannot be listed.
pub fn list_checkpoints<C: Storage + ?Sized>(storage: &C) -> io::Result<Vec<(u64, String)>> {
    let mut found: Vec<(u64, String)> = storage
        .list()?
        .into_iter()
        .filter_map(|name| Some((parse_checkpoint_name(&name)?, name)))
        .collect();
    found.sort_unstable_by(|a, b| b.cmp(a));
    Ok(found)
}

/// Writes `bytes` as the checkpoint covering `event_count` events and makes it durable,
/// replacing a file of the same name; then removes all but the newest `keep` checkpoints.
///
/// # Errors
/// A create, write, sync or remove failed; a half-written file is refused by its hash later.
pub fn write_checkpoint<C: Storage + ?Sized>(
    storage: &mut C,
    event_count: u64,
    bytes: &[u8],
    keep: usize,
) -> io::Result<String> {
    let name = checkpoint_name(event_count);
    if storage.list()?.contains(&name) {
        storage.remove(&name)?;
    }
    storage.create(&name)?;
    storage.sync_dir()?;
    storage.append(&name, bytes)?;
    storage.sync(&name)?;
    for (_, old) in list_checkpoints(storage)?.into_iter().skip(keep.max(1)) {
        storage.remove(&old)?;
    }
    storage.sync_dir()?;
    Ok(name)
}

/// A state rebuilt at start, and how.
#[derive(Debug)]
pub struct Booted<S: Storage> {
    /// The state after every record of the log.
    pub state: State,
    /// The log, open for appending.
    pub wal: Wal<S>,
    /// What opening the log found and repaired.
    pub recovery: Recovery,
    /// Events restored and replayed, the checkpoint used, the cut made.
    pub report: BootReport,
    /// Checkpoint files that were not used, and why.
    pub skipped: Vec<(String, String)>,
}

/// Opens the log in `storage`, and rebuilds the state from the newest checkpoint in
/// `checkpoints` that belongs to it plus the events after it (or from all events).
///
/// # Errors
/// As [`crate::boot`]: the log cannot be opened, a record fails its checks, or an event after
/// the checkpoint does not replay.
pub fn boot_with_checkpoints<S: Storage, C: Storage + ?Sized>(
    storage: S,
    checkpoints: &C,
    options: WalOptions,
) -> Result<Booted<S>, BootError> {
    let mut events: Vector<Arc<Event>> = Vector::new();
    let mut hashes: Vec<Hash> = Vec::new();
    let mut failure: Option<BootError> = None;
    let (wal, recovery) = Wal::open_visit(storage, options, &mut |decoded: &Decoded| {
        if failure.is_some() {
            return;
        }
        match check_record(&decoded.record) {
            Ok(event) => {
                events.push_back(Arc::new(event));
                hashes.push(decoded.hash);
            }
            Err(error) => failure = Some(error),
        }
    })?;
    if let Some(error) = failure {
        return Err(error);
    }
    let mut skipped = Vec::new();
    let restored = restore_newest(checkpoints, &events, &hashes, &mut skipped);
    let (mut state, covered) = match restored {
        Some((state, covered)) => (state, covered),
        None => (State::new(), 0),
    };
    for event in events.iter().skip(covered) {
        state.replay_one(event)?;
    }
    let n_events = events.len() as u64;
    let report = BootReport {
        n_events,
        n_replayed: n_events - covered as u64,
        checkpoint_idx: (covered as u64).checked_sub(1),
        cut: BootReport::cut_of(&recovery),
    };
    Ok(Booted {
        state,
        wal,
        recovery,
        report,
        skipped,
    })
}

/// The state of the newest checkpoint that checks out against the log's `events` (and their
/// record `hashes`), with the number of events it covers.
fn restore_newest<C: Storage + ?Sized>(
    checkpoints: &C,
    events: &Vector<Arc<Event>>,
    hashes: &[Hash],
    skipped: &mut Vec<(String, String)>,
) -> Option<(State, usize)> {
    let candidates = match list_checkpoints(checkpoints) {
        Ok(candidates) => candidates,
        Err(error) => {
            skipped.push((".".to_owned(), format!("cannot list checkpoints: {error}")));
            return None;
        }
    };
    for (event_count, name) in candidates {
        let covered = usize::try_from(event_count).unwrap_or(usize::MAX);
        if covered == 0 || covered > events.len() {
            let why = format!(
                "covers {event_count} events; the log holds {}",
                events.len()
            );
            skipped.push((name, why));
            continue;
        }
        let restored = checkpoints
            .read(&name)
            .map_err(|error| error.to_string())
            .and_then(|bytes| decode_checkpoint(&bytes).map_err(|error| error.to_string()))
            .and_then(|checkpoint| {
                if checkpoint.event_count != event_count {
                    return Err("its content covers another event count".to_owned());
                }
                if hashes.get(covered - 1) != Some(&checkpoint.last_record_hash) {
                    return Err("it belongs to another log (record hash differs)".to_owned());
                }
                let covered_events = events.clone().slice(..covered);
                checkpoint
                    .into_state(covered_events)
                    .map_err(|error| error.to_string())
            });
        match restored {
            Ok(state) => return Some((state, covered)),
            Err(why) => skipped.push((name, why)),
        }
    }
    None
}

#[cfg(test)]
mod tests;
