//! Checkpoint files on disk, and a start that uses them: read the whole log (chain, headers,
//! decode, on every core), take the newest checkpoint that belongs to it (decoded alongside),
//! and replay only the events after it.
//!
//! Files are named `{event_count:020}.ckpt` in their own directory (`CHECKPOINT_DIR`), written
//! as `{name}.tmp`, fsynced, renamed and the directory fsynced, so no crash leaves a partial
//! checkpoint under a checkpoint's name. A file that does not check out anyway (damage, another
//! log's checkpoint) fails its checks and is skipped.
//!
//! # Invariants
//! - A start uses a checkpoint only if the log holds at least `event_count` records and the
//!   record of event `event_count - 1` has the hash the checkpoint names; the events it covers
//!   are still decoded and header-checked, and every version it lists is checked against them.
//! - A checkpoint that fails any check is reported and skipped (the next older one is tried,
//!   then a full replay): a bad checkpoint costs time, never correctness.
//! - A start that fails changes nothing on disk: the log is read ([`Wal::read`]), the state
//!   rebuilt, and only then is the log repaired (a torn tail cut) and opened.
//! - Files are never changed once written; pruning removes whole files, oldest first, and keeps
//!   the newest `keep`.

use std::io;
use std::sync::Arc;

use imbl::Vector;
use jitos_core::Hash;
use jitos_wal::{Decoded, Record, Recovery, Storage, Wal, WalOptions};

use crate::event::Event;
use crate::journal::BootReport;
use crate::persist::{BootError, check_record};
use crate::replay::Replay;
use crate::state::{Checkpoint, CheckpointError, State, decode_checkpoint};

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

/// The suffix of a checkpoint being written: `{name}.tmp` until it is whole and durable.
const WRITING_SUFFIX: &str = ".tmp";

/// Writes `bytes` as the checkpoint covering `event_count` events and makes it durable,
/// replacing a file of the same name; then removes all but the newest `keep` checkpoints.
///
/// The bytes go to `{name}.tmp` first (written, fsynced), which is then renamed to `name` and
/// the directory fsynced: a crash at any point leaves either no file of that name or the whole
/// checkpoint, never a part of one. Leftover `.tmp` files of an interrupted write are removed
/// here.
///
/// # Errors
/// A create, write, sync, rename or remove failed.
pub fn write_checkpoint<C: Storage + ?Sized>(
    storage: &mut C,
    event_count: u64,
    bytes: &[u8],
    keep: usize,
) -> io::Result<String> {
    let name = checkpoint_name(event_count);
    let writing = format!("{name}{WRITING_SUFFIX}");
    let stale: Vec<String> = storage
        .list()?
        .into_iter()
        .filter(|file| *file == name || file.ends_with(WRITING_SUFFIX))
        .collect();
    for file in &stale {
        storage.remove(file)?;
    }
    if !stale.is_empty() {
        storage.sync_dir()?;
    }
    storage.create(&writing)?;
    storage.append(&writing, bytes)?;
    storage.sync(&writing)?;
    storage.rename(&writing, &name)?;
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
    let mut records = Vec::new();
    // Read only: the log is repaired (a torn tail cut) once the state is rebuilt, so a boot
    // that fails leaves the directory as it found it.
    let opening = Wal::read(storage, options, &mut |decoded: &Decoded| {
        records.push((decoded.record.clone(), decoded.hash));
    })?;
    let mut skipped = Vec::new();
    let candidates = candidates(checkpoints, records.len(), &mut skipped);
    let hashes: Vec<Hash> = records.iter().map(|(_, hash)| *hash).collect();
    let (replay, covered) = restore_and_replay(&records, &candidates, &hashes, &mut skipped)?;
    drop(records);
    let state = replay.finish()?;
    let (wal, recovery) = opening.open()?;
    let n_events = hashes.len() as u64;
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

/// The state restored from the newest of `candidates` that checks out against the log
/// (`records`, their `hashes`), or an empty one, in a replay that has taken every event after
/// it; with the number of events the checkpoint covered. Tried checkpoints that fail go to
/// `skipped`.
fn restore_and_replay(
    records: &[(Record, Hash)],
    candidates: &[(String, Vec<u8>)],
    hashes: &[Hash],
    skipped: &mut Vec<(String, String)>,
) -> Result<(Replay, usize), BootError> {
    // The newest candidate is tried once every event it covers is decoded; older ones cover
    // fewer.
    let needed = candidates
        .first()
        .and_then(|(name, _)| parse_checkpoint_name(name))
        .map_or(0, |count| usize::try_from(count).unwrap_or(usize::MAX))
        .min(records.len());
    // Records are decoded on every core, chunk by chunk, while this thread restores the
    // checkpoint (decoded beside them) and replays the chunks already decoded.
    std::thread::scope(|scope| {
        let mut newest = candidates
            .first()
            .map(|(name, bytes)| scope.spawn(move || (name.clone(), decode_checkpoint(bytes))));
        let mut decoded = Vector::new();
        let mut started: Option<(Replay, usize)> = None;
        let mut start = |decoded: &Vector<Arc<Event>>| -> Result<(Replay, usize), BootError> {
            let newest = newest.take().map(|thread| {
                thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            });
            let restored = restore_newest(newest, candidates, decoded, hashes, skipped);
            let (state, covered) = restored.unwrap_or_else(|| (State::new(), 0));
            let mut replay = Replay::new(state);
            for event in decoded.iter().skip(covered) {
                replay.push(Arc::clone(event))?;
            }
            Ok((replay, covered))
        };
        decode_in_order(records, &mut |chunk| {
            match &mut started {
                Some((replay, _)) => {
                    for event in chunk {
                        replay.push(event)?;
                    }
                }
                None => {
                    decoded.extend(chunk);
                    if decoded.len() >= needed {
                        started = Some(start(&decoded)?);
                        decoded = Vector::new();
                    }
                }
            }
            Ok(())
        })?;
        match started {
            Some(started) => Ok(started),
            None => start(&decoded),
        }
    })
}

/// Records decoded per chunk: a decoder's unit of work, and what the consumer takes at once.
const DECODE_CHUNK_RECORDS: usize = 4096;

/// Chunks a decoder may have ready before the consumer takes them: bounds the memory of
/// decoded events waiting.
const DECODE_CHUNKS_AHEAD: usize = 2;

/// Checks and decodes every record on one thread per core, a chunk at a time (chunk `i` on
/// thread `i % n`), and hands the chunks to `consume` in log order as they are ready, so that
/// what `consume` does with one chunk overlaps the decoding of the next ones. Stops at the
/// first record that fails (its error, after every chunk before it was consumed) or the first
/// error `consume` returns.
fn decode_in_order(
    records: &[(Record, Hash)],
    consume: &mut dyn FnMut(Vec<Arc<Event>>) -> Result<(), BootError>,
) -> Result<(), BootError> {
    let n_threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let n_chunks = records.len().div_ceil(DECODE_CHUNK_RECORDS);
    std::thread::scope(|scope| {
        let decoders: Vec<_> = (0..n_threads.min(n_chunks))
            .map(|first| {
                let (ready, taken) = std::sync::mpsc::sync_channel(DECODE_CHUNKS_AHEAD);
                scope.spawn(move || {
                    let chunks = records.chunks(DECODE_CHUNK_RECORDS);
                    for chunk in chunks.skip(first).step_by(n_threads) {
                        let decoded: Result<Vec<Arc<Event>>, BootError> = chunk
                            .iter()
                            .map(|(record, _)| check_record(record).map(Arc::new))
                            .collect();
                        let failed = decoded.is_err();
                        // A consumer that stopped takes nothing more; neither is there more
                        // to give after a failed record.
                        if ready.send(decoded).is_err() || failed {
                            return;
                        }
                    }
                });
                taken
            })
            .collect();
        for chunk_idx in 0..n_chunks {
            // A decoder sends every chunk of its share up to its first failure, which comes
            // here before any later chunk is asked for; a closed channel is a decoder that
            // panicked, and the scope re-raises its panic.
            let Ok(chunk) = decoders[chunk_idx % decoders.len()].recv() else {
                break;
            };
            consume(chunk?)?;
        }
        Ok(())
    })
}

/// The checkpoint files that may belong to a log of `n_records` records, newest first, with
/// their bytes; the others go to `skipped`.
fn candidates<C: Storage + ?Sized>(
    checkpoints: &C,
    n_records: usize,
    skipped: &mut Vec<(String, String)>,
) -> Vec<(String, Vec<u8>)> {
    let listed = match list_checkpoints(checkpoints) {
        Ok(listed) => listed,
        Err(error) => {
            skipped.push((".".to_owned(), format!("cannot list checkpoints: {error}")));
            return Vec::new();
        }
    };
    let mut found = Vec::new();
    for (event_count, name) in listed {
        let covered = usize::try_from(event_count).unwrap_or(usize::MAX);
        if covered == 0 || covered > n_records {
            let why = format!("covers {event_count} events; the log holds {n_records}");
            skipped.push((name, why));
            continue;
        }
        match checkpoints.read(&name) {
            Ok(bytes) => found.push((name, bytes)),
            Err(error) => skipped.push((name, format!("cannot read: {error}"))),
        }
    }
    found
}

/// The state of the newest checkpoint that checks out against the log's `events` (and their
/// record `hashes`), with the number of events it covers. `newest` is the first candidate,
/// already decoded.
fn restore_newest(
    newest: Option<(String, Result<Checkpoint, CheckpointError>)>,
    candidates: &[(String, Vec<u8>)],
    events: &Vector<Arc<Event>>,
    hashes: &[Hash],
    skipped: &mut Vec<(String, String)>,
) -> Option<(State, usize)> {
    let rest = candidates
        .iter()
        .skip(1)
        .map(|(name, bytes)| (name.clone(), decode_checkpoint(bytes)));
    for (name, decoded) in newest.into_iter().chain(rest) {
        let restored = decoded
            .map_err(|error| error.to_string())
            .and_then(|checkpoint| {
                let covered = usize::try_from(checkpoint.event_count).unwrap_or(usize::MAX);
                if parse_checkpoint_name(&name) != Some(checkpoint.event_count) {
                    return Err("its content covers another event count".to_owned());
                }
                if covered.checked_sub(1).and_then(|last| hashes.get(last))
                    != Some(&checkpoint.last_record_hash)
                {
                    return Err("it belongs to another log (record hash differs)".to_owned());
                }
                let covered_events = events.clone().slice(..covered);
                checkpoint
                    .into_state(covered_events)
                    .map(|state| (state, covered))
                    .map_err(|error| error.to_string())
            });
        match restored {
            Ok(restored) => return Some(restored),
            Err(why) => skipped.push((name, why)),
        }
    }
    None
}

#[cfg(test)]
mod tests;
