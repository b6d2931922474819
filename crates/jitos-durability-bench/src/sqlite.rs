//! The SQLite side: one database file in WAL mode with `synchronous=FULL`, one connection per
//! client thread, one row per `BEGIN IMMEDIATE` transaction.
//!
//! `BEGIN IMMEDIATE` takes the write lock up front, so a writer waits in the busy handler
//! (bounded by [`BUSY_TIMEOUT`]) instead of failing on a stale read snapshot; SQLite has no
//! group commit, so concurrent writers take turns and each `COMMIT` fsyncs the WAL file.
//!
//! # Invariants
//! - Every connection is checked to be in WAL mode with `synchronous=FULL` (2) before the
//!   window starts; a connection that is not ends the run.
//! - Row keys are distinct across clients and commits ([`crate::jitos::key_of`]), so every
//!   commit inserts one new row.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use crate::error::BenchError;
use crate::jitos::key_of;
use crate::report::Slice;
use crate::window::{Samples, Window, disk_during, now};
use crate::{Bench, row_body};

/// How long a writer waits for the write lock before the run fails.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// `PRAGMA synchronous` reads back FULL as 2.
const SYNCHRONOUS_FULL: i64 = 2;

const INSERT: &str = "INSERT INTO events (key, body) VALUES (?1, ?2)";

/// The database file of a run at `path`.
pub(crate) fn database_path(path: &Path) -> PathBuf {
    path.join("events.sqlite")
}

/// Opens a connection to `file` configured as the benchmark requires, and checks it.
fn connect(file: &Path) -> Result<Connection, BenchError> {
    let connection = Connection::open(file)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String =
        connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(BenchError::SqliteSetup(format!(
            "journal_mode is {mode}, not wal"
        )));
    }
    connection.pragma_update(None, "synchronous", "FULL")?;
    let synchronous: i64 = connection.pragma_query_value(None, "synchronous", |row| row.get(0))?;
    if synchronous != SYNCHRONOUS_FULL {
        return Err(BenchError::SqliteSetup(format!(
            "synchronous is {synchronous}, not FULL (2)"
        )));
    }
    Ok(connection)
}

/// Measures SQLite with `n_clients` threads; the database goes to `path/events.sqlite`.
pub(crate) fn run(path: &Path, n_clients: usize, bench: Bench<'_>) -> Result<Slice, BenchError> {
    std::fs::create_dir_all(path)?;
    let file = database_path(path);
    connect(&file)?.execute_batch(
        "CREATE TABLE events (key INTEGER PRIMARY KEY, body BLOB NOT NULL) STRICT",
    )?;
    let connections = (0..n_clients)
        .map(|_| connect(&file))
        .collect::<Result<Vec<_>, _>>()?;
    let window = Window::starting_now(bench.timing);
    let (samples, disk) = std::thread::scope(|scope| {
        let disk = scope.spawn(|| disk_during(&window, bench.device));
        let clients: Vec<_> = connections
            .into_iter()
            .enumerate()
            .map(|(client_idx, connection)| {
                scope.spawn(move || client(connection, &window, client_idx, bench.template))
            })
            .collect();
        let samples = clients
            .into_iter()
            .map(|client| client.join().map_err(|_| BenchError::ClientPanicked)?)
            .collect::<Result<Vec<_>, _>>();
        let disk = disk.join().map_err(|_| BenchError::ClientPanicked)?;
        samples.map(|samples| (samples, disk))
    })?;
    Ok(Slice {
        samples,
        data_path: file,
        writer: None,
        disk,
    })
}

fn client(
    mut connection: Connection,
    window: &Window,
    client_idx: usize,
    template: &[u8],
) -> Result<Samples, BenchError> {
    let mut samples = Samples::default();
    for seq in 0.. {
        let key = key_of(client_idx, seq);
        let body = row_body(template, key);
        let key = i64::try_from(key).map_err(|_| BenchError::Options("key overflow".into()))?;
        let started = now();
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        transaction.prepare_cached(INSERT)?.execute((key, &body))?;
        transaction.commit()?;
        if !samples.take(window, started, now()) {
            break;
        }
    }
    Ok(samples)
}
