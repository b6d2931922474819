//! jitos-durability-bench: how fast the JITOS kernel makes commands durable, against SQLite and
//! redb on the same disk in the same run (milestone M4).
//!
//! For each client count, three systems commit for the same warmup and measured window:
//!
//! - [`System::Jitos`]: a durable kernel (`Kernel::start_durable` over a [`jitos_wal::Wal`] on
//!   [`jitos_wal::FsStorage`], `FsyncPolicy::Always`); each client is a tokio task that submits
//!   single-`AddNode` rewrites with distinct 8-byte payloads into its own SWS. Concurrent
//!   submits share an fsync (group commit).
//! - [`System::Sqlite`]: SQLite through rusqlite (bundled), `journal_mode=WAL`,
//!   `synchronous=FULL`; each client is a thread with its own connection and busy timeout and
//!   commits one row per `BEGIN IMMEDIATE` transaction.
//! - [`System::Redb`]: redb with `Durability::Immediate`; each client is a thread that commits
//!   one insert per write transaction.
//!
//! SQLite and redb rows hold the body a jitos WAL record of the same commit would carry: the
//! canonical CBOR of a representative `AddNode` event ([`event_template`]), with its last eight
//! bytes replaced by the row's key so no two rows are equal.
//!
//! Latency is the client's wall time around one commit; throughput is the commits that finished
//! inside the measured window divided by its length ([`window`]). With several
//! [`Options::rounds`], every pair is measured once per round, interleaved, and pooled.
//!
//! # Invariants
//! - Every system and client count gets fresh files in one temporary directory under
//!   [`Options::dir`]; nothing outside it is written, and it is removed at the end unless
//!   [`Options::keep`].
//! - A commit is counted only after the system said it is durable: `submit` answered `Ok`,
//!   `COMMIT` returned, `WriteTransaction::commit` returned `Ok`. Any error ends the run.
//! - Wall time is read only for measuring ([`window::now`]); nothing here is canonical.

mod error;
mod jitos;
mod machine;
mod redb_db;
mod report;
mod sqlite;
pub mod window;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use error::BenchError;
pub use jitos::{NODE_KIND, WriterProfile, event_template};
pub use machine::{Machine, Mount, filesystem_of};
pub use redb_db::EVENTS as REDB_EVENTS;
pub use report::{DiskProfile, Ratio, Report, Round, Run};
pub use window::{Latencies, Timing};

/// The most clients one run may have.
pub const CLIENTS_MAX: usize = 1024;

/// The most rounds one run may have.
pub const ROUNDS_MAX: usize = 100;

/// The longest warmup or measured window.
pub const WINDOW_MAX: Duration = Duration::from_secs(3600);

/// What every runner needs besides its data path and client count.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bench<'a> {
    /// Warmup and window.
    pub(crate) timing: Timing,
    /// The event body SQLite and redb rows hold (see [`row_body`]).
    pub(crate) template: &'a [u8],
    /// The block device under the data directory, whose counters are read around each window.
    pub(crate) device: Option<&'a str>,
}

/// A system under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum System {
    /// The JITOS kernel, `FsyncPolicy::Always`.
    Jitos,
    /// SQLite, WAL mode, `synchronous=FULL`.
    Sqlite,
    /// redb, `Durability::Immediate`.
    Redb,
}

impl System {
    /// Every system, in the order a run measures them.
    pub const ALL: [System; 3] = [System::Jitos, System::Sqlite, System::Redb];

    /// The name in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            System::Jitos => "jitos",
            System::Sqlite => "sqlite",
            System::Redb => "redb",
        }
    }
}

/// What to measure.
#[derive(Debug, Clone)]
pub struct Options {
    /// The directory (on the disk under test) the run's temporary directory is made in.
    pub dir: PathBuf,
    /// Client counts, each measured for every system.
    pub clients: Vec<usize>,
    /// The systems measured, per client count in this order.
    pub systems: Vec<System>,
    /// Warmup and measured window of each (system, client count, round).
    pub timing: Timing,
    /// How often to measure every (system, client count). Rounds run one after the other and
    /// each measures every pair, so a disk whose fsync latency drifts over time (a shared
    /// virtual disk does) affects every system alike; the report pools them.
    pub rounds: usize,
    /// Keep the data files (their paths are in [`Round::data_path`]).
    pub keep: bool,
}

/// The bytes a SQLite or redb row of `key` holds: `template` (the body of a jitos record) with
/// its last eight bytes replaced by `key`, big-endian, so no two rows are equal.
pub fn row_body(template: &[u8], key: u64) -> Vec<u8> {
    let mut body = template.to_vec();
    let tail = body.len().saturating_sub(8);
    let key_bytes = key.to_be_bytes();
    let n_bytes = body.len() - tail;
    body[tail..].copy_from_slice(&key_bytes[8 - n_bytes..]);
    body
}

/// Runs every system at every client count and reports.
///
/// # Errors
/// Bad options, or any system failed to open, write or commit.
pub fn run(options: &Options) -> Result<Report, BenchError> {
    check(options)?;
    let machine_before = Machine::probe(&options.dir);
    let data = tempfile::Builder::new()
        .prefix("durable-commit-")
        .tempdir_in(&options.dir)?;
    let template = event_template()?;
    let mount = filesystem_of(data.path());
    let bench = Bench {
        timing: options.timing,
        template: &template,
        device: mount.as_ref().and_then(machine::Mount::device),
    };
    let runs = measure(options, data.path(), bench)?;
    let data_dir = data.path().to_owned();
    if options.keep {
        let _kept = data.keep();
    } else {
        data.close()?;
    }
    let machine_after = Machine::probe(&options.dir);
    Ok(Report::new(
        machine_before,
        machine_after.load_average,
        data_dir,
        options,
        template.len(),
        runs,
    ))
}

/// Every round of every (client count, system) pair, pooled per pair. Within a round, pairs run
/// by client count, and the systems' order rotates by one per round so that none always
/// follows the same neighbour or always goes first.
fn measure(options: &Options, data: &Path, bench: Bench<'_>) -> Result<Vec<Run>, BenchError> {
    let mut pairs: Vec<((usize, System), Vec<report::Slice>)> = options
        .clients
        .iter()
        .flat_map(|&n_clients| {
            options
                .systems
                .iter()
                .map(move |&system| (n_clients, system))
        })
        .map(|pair| (pair, Vec::with_capacity(options.rounds)))
        .collect();
    let n_systems = options.systems.len();
    for round in 0..options.rounds {
        for group in pairs.chunks_mut(n_systems) {
            for offset in 0..n_systems {
                let ((n_clients, system), slices) = &mut group[(offset + round) % n_systems];
                let (n_clients, system) = (*n_clients, *system);
                let path = data.join(format!("{}-{n_clients}-r{round}", system.name()));
                slices.push(match system {
                    System::Jitos => jitos::run(&path, n_clients, bench)?,
                    System::Sqlite => sqlite::run(&path, n_clients, bench)?,
                    System::Redb => redb_db::run(&path, n_clients, bench)?,
                });
            }
        }
    }
    Ok(pairs
        .into_iter()
        .map(|((n_clients, system), slices)| {
            Run::from_slices(system, n_clients, options.timing.duration, slices)
        })
        .collect())
}

fn check(options: &Options) -> Result<(), BenchError> {
    let bad = |why: String| Err(BenchError::Options(why));
    if options.clients.is_empty() || options.systems.is_empty() {
        return bad("at least one client count and one system".to_owned());
    }
    if let Some(&n) = options.clients.iter().find(|&&n| n == 0 || n > CLIENTS_MAX) {
        return bad(format!("{n} clients: must be 1 to {CLIENTS_MAX}"));
    }
    if options.rounds == 0 || options.rounds > ROUNDS_MAX {
        return bad(format!(
            "{} rounds: must be 1 to {ROUNDS_MAX}",
            options.rounds
        ));
    }
    if options.timing.duration.is_zero() {
        return bad("the measured window must not be empty".to_owned());
    }
    if options.timing.duration > WINDOW_MAX || options.timing.warmup > WINDOW_MAX {
        return bad(format!("warmup and duration are at most {WINDOW_MAX:?}"));
    }
    Ok(())
}
