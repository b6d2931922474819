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
//! - Checkpoints are written off the command loop, by their own thread, from published
//!   snapshots (immutable): a slow or failing checkpoint never delays or fails a command. At
//!   most one waits to be written; a newer one replaces nothing and is simply taken later.

use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use jitos_core::Hash;
use jitos_schema::enums::{FsyncPolicy, StorageMode};
use jitos_schema::outputs::{LogCut, StorageInfo};
use jitos_wal::{Recovery, RecoveryAction, Storage, Wal};

use crate::checkpoints::write_checkpoint;
use crate::event::Event;
use crate::persist::{AppendError, encode_records, entries};
use crate::state::State;

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

    /// Whether `write` returns only once the events are durable (it waits for the device), so
    /// that `idle` never has anything left to do after it. Only then may the kernel commit a
    /// light command on its caller's thread: the hand-offs to and from the loop thread are
    /// then most of what a lone client waits for besides the flush, and there is no flush for
    /// batching to share when writes do not wait for one.
    fn write_is_durable(&self) -> bool;

    /// Whether the sink wants the state once `n_events` events are written (a checkpoint is
    /// due): the kernel publishes lazily (`service.rs`), so a sink that needs the state asks.
    fn wants_state(&self, _n_events: u64) -> bool {
        false
    }

    /// `state`, holding every event written so far, was published.
    fn published(&mut self, _state: &Arc<State>) {}

    /// The loop stops with `state`: finish background work (a last checkpoint).
    fn close(&mut self, _state: &Arc<State>) {}
}

/// A WAL and the policy that decides when its records are acknowledged.
#[derive(Debug)]
pub struct Journal<S: Storage> {
    wal: Wal<S>,
    fsync: FsyncPolicy,
    checkpointer: Option<Checkpointer>,
}

impl<S: Storage> Journal<S> {
    /// Writes to `wal`, acknowledging under `fsync`.
    pub fn new(wal: Wal<S>, fsync: FsyncPolicy) -> Journal<S> {
        Journal {
            wal,
            fsync,
            checkpointer: None,
        }
    }

    /// Also writes a checkpoint into `storage` whenever `plan.every_events` events were
    /// published since the last one (counting from `covered`, the events the start restored
    /// from one), and a last one when the loop stops if a sixteenth of that many events came
    /// since; `cell` reports them.
    #[must_use]
    pub fn with_checkpoints<C: Storage + Send + 'static>(
        mut self,
        storage: C,
        plan: CheckpointPlan,
        covered: u64,
        cell: CheckpointCell,
    ) -> Journal<S> {
        self.checkpointer = Some(Checkpointer::start(storage, plan, covered, cell));
        self
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

    fn write_is_durable(&self) -> bool {
        self.fsync == FsyncPolicy::Always
    }

    fn wants_state(&self, n_events: u64) -> bool {
        self.checkpointer
            .as_ref()
            .is_some_and(|checkpointer| checkpointer.is_due(n_events, false))
    }

    fn published(&mut self, state: &Arc<State>) {
        let last_hash = self.wal.last_hash();
        if let Some(checkpointer) = &mut self.checkpointer {
            checkpointer.offer(state, last_hash, false);
        }
    }

    fn close(&mut self, state: &Arc<State>) {
        let last_hash = self.wal.last_hash();
        if let Some(mut checkpointer) = self.checkpointer.take() {
            checkpointer.offer(state, last_hash, true);
            checkpointer.finish();
        }
    }
}

/// When checkpoints are written and how many are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointPlan {
    /// Events between two checkpoints.
    pub every_events: u64,
    /// Checkpoint files kept (the newest); older ones are removed.
    pub keep: usize,
}

impl Default for CheckpointPlan {
    fn default() -> CheckpointPlan {
        CheckpointPlan {
            every_events: 100_000,
            keep: 2,
        }
    }
}

/// What the checkpoint thread has done, shared with the API.
#[derive(Debug, Clone, Default)]
pub struct CheckpointCell(Arc<Mutex<CheckpointNews>>);

/// The checkpoint thread's news.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckpointNews {
    /// The idx of the last event covered by the newest checkpoint on disk.
    pub newest_idx: Option<u64>,
    /// Checkpoints written since the start.
    pub n_written: u64,
    /// The last failure to write one, if the last attempt failed.
    pub error: Option<String>,
}

impl CheckpointCell {
    /// A cell that already knows of the checkpoint covering events up to `idx`.
    pub fn starting_at(idx: Option<u64>) -> CheckpointCell {
        let cell = CheckpointCell::default();
        cell.update(|news| news.newest_idx = idx);
        cell
    }

    /// The news so far.
    pub fn news(&self) -> CheckpointNews {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn update(&self, change: impl FnOnce(&mut CheckpointNews)) {
        change(
            &mut self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
    }
}

struct Job {
    state: Arc<State>,
    last_hash: Hash,
}

/// The checkpoint thread and what the loop knows of it.
#[derive(Debug)]
struct Checkpointer {
    jobs: Option<SyncSender<Job>>,
    thread: Option<JoinHandle<()>>,
    plan: CheckpointPlan,
    /// Events covered by the last checkpoint handed to the thread.
    offered: u64,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("n_events", &self.state.events().len())
            .finish_non_exhaustive()
    }
}

impl Checkpointer {
    fn start<C: Storage + Send + 'static>(
        mut storage: C,
        plan: CheckpointPlan,
        covered: u64,
        cell: CheckpointCell,
    ) -> Checkpointer {
        // One job may wait while one is written: the loop never blocks on a checkpoint.
        let (jobs, queue) = sync_channel::<Job>(1);
        let thread = std::thread::Builder::new()
            .name("jitos-checkpoint".to_owned())
            .spawn(move || {
                for job in queue {
                    let n_events = job.state.events().len() as u64;
                    let written = job
                        .state
                        .checkpoint_bytes(job.last_hash)
                        .map_err(|error| error.to_string())
                        .and_then(|bytes| {
                            write_checkpoint(&mut storage, n_events, &bytes, plan.keep)
                                .map_err(|error| format!("writing checkpoint: {error}"))
                        });
                    cell.update(|news| match written {
                        Ok(_) => {
                            news.newest_idx = n_events.checked_sub(1);
                            news.n_written += 1;
                            news.error = None;
                        }
                        Err(why) => news.error = Some(why),
                    });
                }
            })
            .expect("the operating system refused to start the checkpoint thread");
        Checkpointer {
            jobs: Some(jobs),
            thread: Some(thread),
            plan,
            offered: covered,
        }
    }

    /// Whether a checkpoint of `n_events` events is due: `plan.every_events` since the last
    /// one, or, when the loop stops (`last`), a sixteenth of that, so a stop after a few writes
    /// does not pay for a whole checkpoint of a large state.
    fn is_due(&self, n_events: u64, last: bool) -> bool {
        let every = self.plan.every_events.max(1);
        let gap = if last { (every / 16).max(1) } else { every };
        n_events >= self.offered.saturating_add(gap)
    }

    /// Hands `state` to the thread if it is due (`is_due`).
    fn offer(&mut self, state: &Arc<State>, last_hash: Hash, last: bool) {
        let n_events = state.events().len() as u64;
        if !self.is_due(n_events, last) {
            return;
        }
        let Some(jobs) = &self.jobs else { return };
        let job = Job {
            state: Arc::clone(state),
            last_hash,
        };
        let sent = if last {
            jobs.send(job).is_ok()
        } else {
            match jobs.try_send(job) {
                Ok(()) => true,
                // Busy: a later publication offers again.
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
            }
        };
        if sent {
            self.offered = n_events;
        }
    }

    /// Waits for the thread to write what it was given.
    fn finish(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
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
    /// The checkpoint thread's news.
    pub checkpoints: CheckpointCell,
}

impl StorageStatus {
    /// Nothing on disk.
    pub fn in_memory() -> StorageStatus {
        StorageStatus {
            mode: StorageMode::InMemory,
            fsync: None,
            boot: BootReport::default(),
            checkpoints: CheckpointCell::default(),
        }
    }

    /// A WAL under `fsync`, after a start that found `boot`; `checkpoints` reports the
    /// checkpoint thread's work.
    pub fn durable(
        fsync: FsyncPolicy,
        boot: BootReport,
        checkpoints: CheckpointCell,
    ) -> StorageStatus {
        StorageStatus {
            mode: StorageMode::Durable,
            fsync: Some(fsync),
            boot,
            checkpoints,
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
            checkpoint_idx: self.checkpoints.news().newest_idx,
        }
    }
}
