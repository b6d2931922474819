//! The kernel's log on disk (M4): each event is one record of
//! the write-ahead log (`crates/jitos-wal`, `docs/spec/wal.md`), and boot rebuilds the state by
//! reading the records back.
//!
//! A record's body is the event's canonical CBOR; its header pins the rule pack and policy the
//! event was decided under and carries the digest of the view the event changed, as it stands
//! after the event: System's for a COLLAPSE (committed or not: the collapse's target), the
//! event's own view for every other kind.
//!
//! # Invariants
//! - `boot` replays the valid prefix of the log and nothing else: every record is decoded,
//!   checked against its header (idx, pins, view digest) and replayed (`Replay`: re-made by
//!   its command, or, within a run of rewrites into one SWS, applied with the run's last
//!   digest checked); the first record that fails stops the boot with its idx, before
//!   anything on disk changed (the torn-tail cut waits for a replay that succeeded).
//! - `append` returns only once the events' records are durable (one sync for the batch: group
//!   commit); after a write or sync error the log is poisoned and nothing more is written.

use std::sync::Arc;

use jitos_core::Hash;
use jitos_schema::enums::EventKind;
use jitos_wal::{Decoded, Entry, OpenError, Record, Recovery, Storage, Wal, WalError, WalOptions};

use crate::decode::{EventDecodeError, decode_event_hashed};
use crate::event::{Event, EventEncodeError};
use crate::output::{POLICY_ID, rule_pack_id};
use crate::replay::{Replay, ReplayError};
use crate::state::State;

/// The subdirectory of a data directory that holds the WAL's segments.
pub const WAL_DIR: &str = "wal";

/// The subdirectory of a data directory that holds checkpoints of the derived state.
pub const CHECKPOINT_DIR: &str = "checkpoints";

/// Why boot failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BootError {
    /// The log could not be opened (unreadable, or corrupt before its tail).
    #[error(transparent)]
    Open(#[from] OpenError),
    /// A record's body is not an event.
    #[error("record {idx}: {error}")]
    Decode {
        /// The record's idx.
        idx: u64,
        /// Why.
        error: EventDecodeError,
    },
    /// A record's header disagrees with its event.
    #[error("record {idx}: {what} in the header disagrees with the event")]
    Header {
        /// The record's idx.
        idx: u64,
        /// Which header field.
        what: &'static str,
    },
    /// A record was decided under other pins than this kernel's.
    #[error(
        "record {idx}: decided under rule pack {rule_pack_id} / policy {policy_id}, not this kernel's"
    )]
    Pins {
        /// The record's idx.
        idx: u64,
        /// Its rule pack.
        rule_pack_id: Hash,
        /// Its policy.
        policy_id: u32,
    },
    /// The event does not replay.
    #[error(transparent)]
    Replay(#[from] ReplayError),
}

/// The digest a record of `event` carries: of the view the event changed, after it.
pub fn changed_view_digest(event: &Event) -> Hash {
    match (&event.kind, &event.outcome) {
        (EventKind::Collapse, Some(outcome)) => outcome.system_digest,
        _ => event.view_digest,
    }
}

/// Opens the log in `storage` and rebuilds the state from it.
///
/// # Errors
/// See [`BootError`]. A boot that fails changes nothing on disk: the log is read and replayed
/// first ([`Wal::read`]), and repaired (a torn tail cut) only once every record replayed.
pub fn boot<S: Storage>(
    storage: S,
    options: WalOptions,
) -> Result<(State, Wal<S>, Recovery), BootError> {
    let mut replay = Replay::new(State::new());
    let mut failure: Option<BootError> = None;
    let opening = Wal::read(storage, options, &mut |decoded| {
        if failure.is_none() {
            failure = boot_record(&mut replay, &decoded).err();
        }
    })?;
    if let Some(error) = failure {
        return Err(error);
    }
    let state = replay.finish()?;
    let (wal, recovery) = opening.open()?;
    Ok((state, wal, recovery))
}

fn boot_record(replay: &mut Replay, decoded: &Decoded<&[u8]>) -> Result<(), BootError> {
    let event = check_record(&decoded.record)?;
    replay.push(Arc::new(event))?;
    Ok(())
}

/// The checks boot makes on one record before replaying its event: the pins are this kernel's,
/// the body decodes to an event with the record's idx, and the header carries the event's
/// changed-view digest. Offline verification (`verify.rs`) applies the very same rules.
pub(crate) fn check_record(record: &Record<&[u8]>) -> Result<Event, BootError> {
    check_record_hashed(record, None)
}

/// [`check_record`], given `blake3(record.body)` if the caller computed it.
pub(crate) fn check_record_hashed(
    record: &Record<&[u8]>,
    body_hash: Option<Hash>,
) -> Result<Event, BootError> {
    let idx = record.idx;
    if record.rule_pack_id != rule_pack_id() || record.policy_id != POLICY_ID {
        return Err(BootError::Pins {
            idx,
            rule_pack_id: record.rule_pack_id,
            policy_id: record.policy_id,
        });
    }
    let event = decode_event_hashed(record.body, body_hash)
        .map_err(|error| BootError::Decode { idx, error })?;
    if event.idx != idx {
        return Err(BootError::Header { idx, what: "idx" });
    }
    if changed_view_digest(&event) != record.view_digest {
        return Err(BootError::Header {
            idx,
            what: "view digest",
        });
    }
    Ok(event)
}

/// Why events could not be made durable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppendError {
    /// An event could not be encoded (it could not have been made either).
    #[error(transparent)]
    Encode(#[from] EventEncodeError),
    /// The log failed; it is poisoned.
    #[error(transparent)]
    Wal(#[from] WalError),
    /// The events do not continue the log.
    #[error("event {idx} does not continue a log whose next idx is {next}")]
    OutOfOrder {
        /// The event's idx.
        idx: u64,
        /// The idx the log expected.
        next: u64,
    },
}

/// Appends the records of `events` (the next events of the log, in order) and syncs them once:
/// when this returns `Ok`, all of them are durable.
///
/// # Errors
/// See [`AppendError`]; nothing is acknowledged after an error.
pub fn append<S: Storage>(wal: &mut Wal<S>, events: &[Arc<Event>]) -> Result<(), AppendError> {
    let records = encode_records(wal.next_idx(), events)?;
    // One write and one sync for the whole batch.
    wal.append_batch(&entries(&records))?;
    Ok(())
}

/// The body and changed-view digest of the record of each event, checking that the events
/// continue a log whose next idx is `next`.
pub(crate) fn encode_records(
    next: u64,
    events: &[Arc<Event>],
) -> Result<Vec<(Vec<u8>, Hash)>, AppendError> {
    (next..)
        .zip(events)
        .map(|(next, event)| {
            if event.idx != next {
                return Err(AppendError::OutOfOrder {
                    idx: event.idx,
                    next,
                });
            }
            Ok((event.encode()?, changed_view_digest(event)))
        })
        .collect()
}

/// The WAL entries of `records`, under this kernel's pins.
pub(crate) fn entries(records: &[(Vec<u8>, Hash)]) -> Vec<Entry<'_>> {
    let rule_pack_id = rule_pack_id();
    records
        .iter()
        .map(|(body, view_digest)| Entry {
            rule_pack_id,
            policy_id: POLICY_ID,
            view_digest: *view_digest,
            body,
        })
        .collect()
}

#[cfg(test)]
mod tests;
