//! The data directory: where a durable kernel's history lives, and how a start gets it back.
//!
//! Layout (`docs/spec/wal.md`): `DIR/wal/` holds the WAL's segments, `DIR/checkpoints/` the
//! checkpoints of the derived state, `DIR/LOCK` the lock that keeps a second daemon out.
//!
//! # Invariants
//! - One daemon per directory: the lock is taken before anything is read and held until the
//!   process exits; a second start on the same directory fails naming it.
//! - A start replays the whole valid log before the daemon listens: no request sees a partly
//!   restored state.
//! - A torn tail is cut and reported (log line and `kernelInfo.storage.bootCut`); damage before
//!   the tail refuses the start naming segment and offset, unless `--recover truncate` asked to
//!   keep the valid prefix.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use jitos_kernel::{BootReport, Journal, Kernel, StorageStatus, WAL_DIR};
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
        } = config
        else {
            tracing::info!("history kept in memory only (--in-memory): it ends with the process");
            return Ok(Store {
                kernel: Kernel::start(),
                _lock: None,
            });
        };
        let lock = lock_dir(data_dir)?;
        let wal_dir = data_dir.join(WAL_DIR);
        let storage = FsStorage::open(&wal_dir)
            .with_context(|| format!("creating the WAL directory {}", wal_dir.display()))?;
        sync_dir(data_dir)?;
        let options = WalOptions {
            recover: *recover,
            ..WalOptions::default()
        };
        let (state, wal, recovery) = jitos_kernel::boot(storage, options)
            .with_context(|| format!("replaying the log in {}", data_dir.display()))?;
        let n_events = state.events().len() as u64;
        let report = BootReport {
            n_events,
            n_replayed: n_events,
            checkpoint_idx: None,
            cut: BootReport::cut_of(&recovery),
        };
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
        tracing::info!(
            data_dir = %data_dir.display(),
            events = n_events,
            fsync = fsync.as_str(),
            "history restored"
        );
        let status = StorageStatus::durable(*fsync, report);
        let journal = Box::new(Journal::new(wal, *fsync));
        Ok(Store {
            kernel: Kernel::start_durable(state, journal, status),
            _lock: Some(lock),
        })
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
