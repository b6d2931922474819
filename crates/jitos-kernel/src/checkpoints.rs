//! Checkpoint files on disk, and a start that uses them: read the log (chain, checksums) on one
//! thread while its records are checked and decoded on every core, take the newest checkpoint
//! that belongs to it (decoded alongside), and replay only the events after it, as they come.
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
use std::ops::Range;
use std::sync::Arc;

use imbl::Vector;
use jitos_core::Hash;
use jitos_wal::{Decoded, Opening, Record, Recovery, Storage, Wal, WalOptions};

use crate::event::Event;
use crate::journal::BootReport;
use crate::persist::{BootError, check_record_hashed};
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
/// the checkpoint does not replay. A log that cannot be read is reported before any record's
/// failure, as if it had been read first.
pub fn boot_with_checkpoints<S: Storage + Send, C: Storage + ?Sized>(
    storage: S,
    checkpoints: &C,
    options: WalOptions,
) -> Result<Booted<S>, BootError> {
    let mut skipped = Vec::new();
    let candidates = candidates(checkpoints, &mut skipped);
    let mut hashes = Vec::new();
    // Read only: the log is repaired (a torn tail cut) once the state is rebuilt, so a boot
    // that fails leaves the directory as it found it.
    let (opening, replayed) =
        restore_and_replay(storage, options, &candidates, &mut hashes, &mut skipped);
    let opening = opening?;
    let (replay, covered) = replayed?;
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

/// A replay that has taken every event after the checkpoint it started from, and the number of
/// events that checkpoint covered (0 without one).
type Restored = (Replay, usize);

/// The log in `storage`, read ([`Wal::read`]) on its own thread; and the state restored from the
/// newest of `candidates` that checks out against the log's records, or an empty one, in a
/// replay that has taken every event after it, with the number of events the checkpoint
/// covered. The records' hashes go to `hashes`, tried checkpoints that fail to `skipped`. The
/// read's failure comes first, whatever the replay met.
fn restore_and_replay<S: Storage + Send>(
    storage: S,
    options: WalOptions,
    candidates: &[(String, Vec<u8>)],
    hashes: &mut Vec<Hash>,
    skipped: &mut Vec<(String, String)>,
) -> (Result<Opening<S>, BootError>, Result<Restored, BootError>) {
    // The newest candidate is tried once every event it covers is decoded; older ones cover
    // fewer. A log shorter than that is known only at its end, where every candidate is tried.
    let needed = candidates
        .first()
        .and_then(|(name, _)| parse_checkpoint_name(name))
        .map_or(0, |count| usize::try_from(count).unwrap_or(usize::MAX));
    // Records are read on one thread and decoded on every core, chunk by chunk, while this
    // thread restores the checkpoint (decoded beside them) and replays the chunks already
    // decoded.
    std::thread::scope(|scope| {
        let mut newest = candidates
            .first()
            .map(|(name, bytes)| scope.spawn(move || (name.clone(), decode_checkpoint(bytes))));
        let mut decoded = Vector::new();
        let mut started: Option<Restored> = None;
        let mut start =
            |decoded: &Vector<Arc<Event>>, hashes: &[Hash]| -> Result<Restored, BootError> {
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
        let (opening, consumed) =
            read_and_decode(storage, options, &mut |(chunk, chunk_hashes)| {
                hashes.extend(chunk_hashes);
                match &mut started {
                    Some((replay, _)) => {
                        for event in chunk {
                            replay.push(event)?;
                        }
                    }
                    None => {
                        decoded.extend(chunk);
                        if decoded.len() >= needed {
                            started = Some(start(&decoded, hashes)?);
                            decoded = Vector::new();
                        }
                    }
                }
                Ok(())
            });
        let replayed = consumed.and_then(|()| match started {
            Some(started) => Ok(started),
            None => start(&decoded, hashes),
        });
        (opening, replayed)
    })
}

/// Records read and decoded per chunk: a decoder's unit of work, and what the consumer takes
/// at once.
const DECODE_CHUNK_RECORDS: usize = 4096;

/// Chunks a decoder may have waiting, to decode and decoded, before the reader or the consumer
/// take them: bounds the memory of records and events in flight.
const DECODE_CHUNKS_AHEAD: usize = 8;

/// Records on their way to a decoder: their bodies copied end to end into one buffer (one
/// allocation per chunk, not one per record, freed by the decoder), each record holding the
/// range of its body there, with its record hash.
#[derive(Debug)]
struct RecordChunk {
    bodies: Vec<u8>,
    records: Vec<(Record<Range<usize>>, Hash)>,
}

impl RecordChunk {
    /// An empty chunk, its buffer sized for `bodies_len` bytes of bodies.
    fn with_capacity(bodies_len: usize) -> RecordChunk {
        RecordChunk {
            bodies: Vec::with_capacity(bodies_len),
            records: Vec::with_capacity(DECODE_CHUNK_RECORDS),
        }
    }

    fn push(&mut self, decoded: Decoded<&[u8]>) {
        let start = self.bodies.len();
        self.bodies.extend_from_slice(decoded.record.body);
        let body = start..self.bodies.len();
        self.records
            .push((decoded.record.map_body(|_| body), decoded.hash));
    }

    /// Each record, with its body.
    fn records(&self) -> impl Iterator<Item = Record<&[u8]>> {
        self.records
            .iter()
            .map(|(record, _)| record.clone().map_body(|body| &self.bodies[body]))
    }
}

/// Events decoded from a chunk, with their records' hashes, on their way to the consumer.
type EventChunk = (Vec<Arc<Event>>, Vec<Hash>);

/// Reads the log in `storage` on one thread, cutting its records into chunks that one decoder
/// per core checks and decodes (chunk `i` on decoder `i % n`), and hands the chunks to
/// `consume` in log order as they are ready, so that reading, decoding and what `consume` does
/// overlap. Returns what the read gave, and `Ok` or the first failure of a record (after every
/// chunk before it was consumed) or of `consume`, which stop the decoding but not the read.
fn read_and_decode<S: Storage + Send>(
    storage: S,
    options: WalOptions,
    consume: &mut dyn FnMut(EventChunk) -> Result<(), BootError>,
) -> (Result<Opening<S>, BootError>, Result<(), BootError>) {
    let n_decoders = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    std::thread::scope(|scope| {
        let (to_decoders, decoded): (Vec<_>, Vec<_>) = (0..n_decoders)
            .map(|_| {
                let (give, take) =
                    std::sync::mpsc::sync_channel::<RecordChunk>(DECODE_CHUNKS_AHEAD);
                let (ready, taken) = std::sync::mpsc::sync_channel::<Result<EventChunk, BootError>>(
                    DECODE_CHUNKS_AHEAD,
                );
                scope.spawn(move || {
                    for chunk in take {
                        let hashes = chunk.records.iter().map(|(_, hash)| *hash).collect();
                        // The bodies' hashes (the events' ids), many at a time.
                        let mut body_hashes = Vec::with_capacity(chunk.records.len());
                        jitos_blake3_many::hash_each(
                            chunk.records().map(|record| record.body),
                            |hash| body_hashes.push(Hash::from_bytes(hash)),
                        );
                        let events: Result<Vec<Arc<Event>>, BootError> = chunk
                            .records()
                            .zip(body_hashes)
                            .map(|(record, body_hash)| {
                                check_record_hashed(&record, Some(body_hash)).map(Arc::new)
                            })
                            .collect();
                        let failed = events.is_err();
                        // A consumer that stopped takes nothing more; neither is there more
                        // to give after a failed record.
                        if ready.send(events.map(|events| (events, hashes))).is_err() || failed {
                            return;
                        }
                    }
                });
                (give, taken)
            })
            .collect();
        let reader = scope.spawn(move || {
            let mut chunk = RecordChunk::with_capacity(0);
            let mut n_chunks = 0;
            // A decoder that stopped (a failed record, or a consumer that stopped) takes no
            // more chunks; the read goes on to the end all the same, so that whether the log
            // reads is known whatever the records hold.
            let mut give = |chunk: RecordChunk| {
                let _ = to_decoders[n_chunks % n_decoders].send(chunk);
                n_chunks += 1;
            };
            let opening = Wal::read(storage, options, &mut |decoded| {
                chunk.push(decoded);
                if chunk.records.len() == DECODE_CHUNK_RECORDS {
                    // The next chunk's bodies likely take as much room as this one's.
                    let next = RecordChunk::with_capacity(chunk.bodies.len());
                    give(std::mem::replace(&mut chunk, next));
                }
            });
            if !chunk.records.is_empty() {
                give(chunk);
            }
            opening.map_err(BootError::from)
        });
        let consumed = (|| {
            // Chunk `i` comes from decoder `i % n`: a decoder that has closed its channel has
            // no chunk `i`, and none after it (the reader is done, or that decoder stopped at
            // a failure it sent first); one that panicked is re-raised by the scope.
            for chunk_idx in 0.. {
                let Ok(chunk) = decoded[chunk_idx % n_decoders].recv() else {
                    return Ok(());
                };
                consume(chunk?)?;
            }
            Ok(())
        })();
        // Stops the decoders: the reader's later chunks are dropped.
        drop(decoded);
        let opening = reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (opening, consumed)
    })
}

/// The checkpoint files that may belong to the log, newest first, with their bytes (whether the
/// log holds the events one covers is known once it is read: [`restore_newest`]); the others go
/// to `skipped`.
fn candidates<C: Storage + ?Sized>(
    checkpoints: &C,
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
        if event_count == 0 {
            skipped.push((name, "covers no event".to_owned()));
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
/// record `hashes`: all of them, or at least as many as the newest candidate covers), with the
/// number of events it covers. `newest` is the first candidate, already decoded.
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
        let n_records = hashes.len();
        let event_count = parse_checkpoint_name(&name).unwrap_or(u64::MAX);
        if usize::try_from(event_count).map_or(true, |covered| covered > n_records) {
            let why = format!("covers {event_count} events; the log holds {n_records}");
            skipped.push((name, why));
            continue;
        }
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
