//! The command loop's side of persistence: where accepted events go before their commands are
//! acknowledged, and what the API reports about it (`kernelInfo.storage`).
//!
//! A [`Journal`] wraps the WAL with an fsync policy. Under [`FsyncPolicy::Always`] (the default)
//! `write` returns once the batch's records are fsynced, so an acknowledged command survives a
//! power cut; under [`FsyncPolicy::Batch`] it returns once they are written to the operating
//! system (they survive a crash of the daemon) and `idle`, called when the command queue
//! drains, fsyncs them.
//!
//! # Invariants
//! - `write` either makes the whole batch acknowledgeable under the policy or fails; after a
//!   failure the WAL is poisoned and every later call fails: nothing is acknowledged after a
//!   storage error (fail-stop).
//! - Under `Batch`, every record written is fsynced by the next `idle` or by the next `write`
//!   that rotates a segment; nothing is retried after a failed fsync.

use std::sync::Arc;

use jitos_schema::enums::{FsyncPolicy, StorageMode};
use jitos_schema::outputs::{LogCut, StorageInfo};
use jitos_wal::{Recovery, RecoveryAction, Storage, Wal};

use crate::event::Event;
use crate::persist::{AppendError, encode_records, entries};

/// Where the command loop makes accepted events durable before acknowledging them.
pub trait Sink: Send {
    /// Writes the events (the log's next ones, in order); returns when their commands may be
    /// acknowledged.
    ///
    /// # Errors
    /// The events could not be made durable; nothing may be acknowledged.
    fn write(&mut self, events: &[Arc<Event>]) -> Result<(), AppendError>;

    /// The command queue is empty: finish what `write` left pending.
    ///
    /// # Errors
    /// As `write`.
    fn idle(&mut self) -> Result<(), AppendError>;
}

/// A WAL and the policy that decides when its records are acknowledged.
#[derive(Debug)]
pub struct Journal<S: Storage> {
    wal: Wal<S>,
    fsync: FsyncPolicy,
}

impl<S: Storage> Journal<S> {
    /// Writes to `wal`, acknowledging under `fsync`.
    pub fn new(wal: Wal<S>, fsync: FsyncPolicy) -> Journal<S> {
        Journal { wal, fsync }
    }

    /// The WAL.
    pub fn wal(&self) -> &Wal<S> {
        &self.wal
    }
}

impl<S: Storage + Send> Sink for Journal<S> {
    fn write(&mut self, events: &[Arc<Event>]) -> Result<(), AppendError> {
        let records = encode_records(self.wal.next_idx(), events)?;
        let entries = entries(&records);
        match self.fsync {
            FsyncPolicy::Always => self.wal.append_batch(&entries)?,
            FsyncPolicy::Batch => self.wal.append_batch_unsynced(&entries)?,
        };
        Ok(())
    }

    fn idle(&mut self) -> Result<(), AppendError> {
        if self.wal.has_unsynced() {
            self.wal.sync()?;
        }
        Ok(())
    }
}

/// What the start found on disk, for `kernelInfo.storage`.
#[derive(Debug, Clone, Default)]
pub struct BootReport {
    /// Events restored.
    pub n_events: u64,
    /// Of those, events replayed one by one (the rest came from a checkpoint).
    pub n_replayed: u64,
    /// The last idx covered by the checkpoint loaded, if one was.
    pub checkpoint_idx: Option<u64>,
    /// What was cut off the end of the log, if anything.
    pub cut: Option<LogCut>,
}

impl BootReport {
    /// The cut `recovery` made, in the API's shape.
    pub fn cut_of(recovery: &Recovery) -> Option<LogCut> {
        match &recovery.action {
            RecoveryAction::None => None,
            RecoveryAction::Cut {
                segment,
                offset,
                dropped_bytes,
                removed_segments,
                was_corrupt,
            } => Some(LogCut {
                segment: segment.clone(),
                offset: *offset,
                dropped_bytes: *dropped_bytes,
                removed_segments: removed_segments.clone(),
                was_corrupt: *was_corrupt,
            }),
        }
    }
}

/// How the kernel keeps its history: fixed at start, except the newest checkpoint.
#[derive(Debug, Clone)]
pub struct StorageStatus {
    /// In memory or durable.
    pub mode: StorageMode,
    /// The fsync policy when durable.
    pub fsync: Option<FsyncPolicy>,
    /// What the start found.
    pub boot: BootReport,
    /// The last idx covered by the newest checkpoint written or loaded.
    pub checkpoint_idx: Option<u64>,
}

impl StorageStatus {
    /// Nothing on disk.
    pub fn in_memory() -> StorageStatus {
        StorageStatus {
            mode: StorageMode::InMemory,
            fsync: None,
            boot: BootReport::default(),
            checkpoint_idx: None,
        }
    }

    /// A WAL under `fsync`, after a start that found `boot`.
    pub fn durable(fsync: FsyncPolicy, boot: BootReport) -> StorageStatus {
        StorageStatus {
            mode: StorageMode::Durable,
            fsync: Some(fsync),
            checkpoint_idx: boot.checkpoint_idx,
            boot,
        }
    }

    /// The API's view of it.
    pub(crate) fn to_output(&self) -> StorageInfo {
        StorageInfo {
            mode: self.mode,
            fsync: self.fsync,
            boot_event_count: self.boot.n_events,
            boot_replayed_count: self.boot.n_replayed,
            boot_checkpoint_idx: self.boot.checkpoint_idx,
            boot_cut: self.boot.cut.clone(),
            checkpoint_idx: self.checkpoint_idx,
        }
    }
}
