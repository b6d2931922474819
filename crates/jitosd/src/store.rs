//! The data directory: where a durable kernel's history lives, and how a start gets it back.
//!
//! Layout (`docs/spec/wal.md`): `DIR/wal/` holds the WAL's segments, `DIR/checkpoints/` the
//! checkpoints of the derived state, `DIR/LOCK` the lock that keeps a second daemon out.
//!
//! # Invariants
//! - One daemon per directory: the lock is taken before anything is read and held until the
//!   process exits; a second start on the same directory fails naming it.
//! - A start restores the whole valid log (from the newest checkpoint that belongs to it, plus
//!   a replay of the events after it) before the daemon listens: no request sees a partly
//!   restored state.
//! - A torn tail is cut and reported (log line and `kernelInfo.storage.bootCut`); damage before
//!   the tail refuses the start naming segment and offset, unless `--recover truncate` asked to
//!   keep the valid prefix.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use jitos_kernel::{
    CHECKPOINT_DIR, CheckpointCell, CheckpointPlan, Journal, Kernel, StorageStatus, WAL_DIR,
    boot_with_checkpoints,
};
use jitos_schema::enums::FsyncPolicy;
use jitos_wal::{FsStorage, Recover, WalOptions};

/// The lock file's name in the data directory.
pub const LOCK_FILE: &str = "LOCK";

/// How the kernel keeps its history, as the command line chose.
#[derive(Debug, Clone)]
pub enum StoreConfig {
    /// Nothing on disk.
    InMemory,
    /// The WAL in `data_dir`.
    Durable {
        /// The data directory.
        data_dir: PathBuf,
        /// When commands are acknowledged.
        fsync: FsyncPolicy,
        /// What a start does with damage.
        recover: Recover,
        /// When checkpoints are written.
        checkpoints: CheckpointPlan,
    },
}

/// A running kernel and the lock on its data directory, held as long as this lives.
#[derive(Debug)]
pub struct Store {
    /// The kernel.
    pub kernel: Kernel,
    _lock: Option<File>,
}

impl Store {
    /// Opens the store `config` names: locks the data directory, replays its log, and starts
    /// the kernel over the result.
    ///
    /// # Errors
    /// The directory cannot be created or locked, or the log cannot be replayed (corruption,
    /// a record this kernel would not have made).
    pub fn open(config: &StoreConfig) -> anyhow::Result<Store> {
        let StoreConfig::Durable {
            data_dir,
            fsync,
            recover,
            checkpoints,
        } = config
        else {
            tracing::info!("history kept in memory only (--in-memory): it ends with the process");
            return Ok(Store {
                kernel: Kernel::start(),
                _lock: None,
            });
        };
        let lock = lock_dir(data_dir)?;
        let open_storage = |name: &str| {
            let dir = data_dir.join(name);
            FsStorage::open(&dir).with_context(|| format!("creating {}", dir.display()))
        };
        let storage = open_storage(WAL_DIR)?;
        let checkpoint_storage = open_storage(CHECKPOINT_DIR)?;
        sync_dir(data_dir)?;
        let options = WalOptions {
            recover: *recover,
            ..WalOptions::default()
        };
        let booted = boot_with_checkpoints(storage, &checkpoint_storage, options)
            .with_context(|| format!("replaying the log in {}", data_dir.display()))?;
        report_boot(data_dir, &booted.report, &booted.skipped, *fsync);
        make_deferred_checkpoints(&booted.state);
        let covered = booted.report.checkpoint_idx.map_or(0, |idx| idx + 1);
        let cell = CheckpointCell::starting_at(booted.report.checkpoint_idx);
        let journal = Journal::new(booted.wal, *fsync).with_checkpoints(
            checkpoint_storage,
            *checkpoints,
            covered,
            cell.clone(),
        );
        let status = StorageStatus::durable(*fsync, booted.report, cell);
        Ok(Store {
            kernel: Kernel::start_durable(booted.state, Box::new(journal), status),
            _lock: Some(lock),
        })
    }
}

/// Logs what the start restored, cut and skipped.
fn report_boot(
    data_dir: &Path,
    report: &jitos_kernel::BootReport,
    skipped: &[(String, String)],
    fsync: FsyncPolicy,
) {
    if let Some(cut) = &report.cut {
        tracing::warn!(
            segment = cut.segment,
            offset = cut.offset,
            dropped_bytes = cut.dropped_bytes,
            removed_segments = ?cut.removed_segments,
            was_corrupt = cut.was_corrupt,
            "cut damage off the end of the log"
        );
    }
    for (name, why) in skipped {
        tracing::warn!(checkpoint = name, why, "checkpoint not used");
    }
    tracing::info!(
        data_dir = %data_dir.display(),
        events = report.n_events,
        replayed = report.n_replayed,
        checkpoint_idx = report.checkpoint_idx,
        fsync = fsync.as_str(),
        "history restored"
    );
}

/// Makes, on a thread of its own, the history checkpoints the replay deferred (`jitos_kernel`
/// `history.rs`): the daemon serves meanwhile, and a read that needs one before it is made
/// makes its run's checkpoints itself. The state's clones share them, so the kernel's state
/// and every snapshot it publishes gain them too.
fn make_deferred_checkpoints(state: &jitos_kernel::State) {
    let n_deferred = state.n_deferred_checkpoints();
    if n_deferred == 0 {
        return;
    }
    let state = state.clone();
    let spawned = std::thread::Builder::new()
        .name("jitos-history".to_owned())
        .spawn(move || {
            // The log line's timestamp against "history restored" tells how long it took.
            match state.make_deferred_checkpoints() {
                Ok(()) => tracing::info!(checkpoints = n_deferred, "history checkpoints made"),
                Err(error) => tracing::error!(%error, "history checkpoints could not be made"),
            }
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "history checkpoints left to the reads that need them");
    }
}

/// Creates `dir` if needed and takes its lock.
fn lock_dir(dir: &Path) -> anyhow::Result<File> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the data directory {}", dir.display()))?;
    let path = dir.join(LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => anyhow::bail!(
            "another jitosd is using the data directory {} (it holds {LOCK_FILE})",
            dir.display()
        ),
        Err(TryLockError::Error(error)) => {
            Err(error).with_context(|| format!("locking {}", path.display()))
        }
    }
}

/// Makes `dir`'s entries durable (the WAL directory just created in it).
fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    File::open(dir)
        .and_then(|dir| dir.sync_all())
        .with_context(|| format!("syncing the data directory {}", dir.display()))
}
