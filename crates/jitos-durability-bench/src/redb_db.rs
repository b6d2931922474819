//! The redb side: one database file, one write transaction per commit with
//! `Durability::Immediate` (redb's default, set explicitly), one thread per client.
//!
//! redb admits one write transaction at a time: `begin_write` waits for the one in progress,
//! so concurrent clients take turns, and each commit syncs the file before it returns.
//!
//! # Invariants
//! - Row keys are distinct across clients and commits ([`crate::jitos::key_of`]), so every
//!   commit inserts one new row.

use std::path::{Path, PathBuf};

use redb::{Database, Durability, TableDefinition};

use crate::error::BenchError;
use crate::jitos::key_of;
use crate::report::Slice;
use crate::window::{Samples, Window, disk_during, now};
use crate::{Bench, row_body};

/// The table every commit inserts into: key to event body.
pub const EVENTS: TableDefinition<'static, u64, &[u8]> = TableDefinition::new("events");

/// The database file of a run at `path`.
pub(crate) fn database_path(path: &Path) -> PathBuf {
    path.join("events.redb")
}

/// Measures redb with `n_clients` threads; the database goes to `path/events.redb`.
pub(crate) fn run(path: &Path, n_clients: usize, bench: Bench<'_>) -> Result<Slice, BenchError> {
    std::fs::create_dir_all(path)?;
    let file = database_path(path);
    let database = Database::create(&file).map_err(BenchError::redb)?;
    let setup = database.begin_write().map_err(BenchError::redb)?;
    setup.open_table(EVENTS).map_err(BenchError::redb)?;
    setup.commit().map_err(BenchError::redb)?;
    let window = Window::starting_now(bench.timing);
    let (samples, disk) = std::thread::scope(|scope| {
        let disk = scope.spawn(|| disk_during(&window, bench.device));
        let clients: Vec<_> = (0..n_clients)
            .map(|client_idx| {
                let database = &database;
                scope.spawn(move || client(database, &window, client_idx, bench.template))
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
    database: &Database,
    window: &Window,
    client_idx: usize,
    template: &[u8],
) -> Result<Samples, BenchError> {
    let mut samples = Samples::default();
    for seq in 0.. {
        let key = key_of(client_idx, seq);
        let body = row_body(template, key);
        let started = now();
        let mut transaction = database.begin_write().map_err(BenchError::redb)?;
        transaction
            .set_durability(Durability::Immediate)
            .map_err(BenchError::redb)?;
        {
            let mut table = transaction.open_table(EVENTS).map_err(BenchError::redb)?;
            table
                .insert(key, body.as_slice())
                .map_err(BenchError::redb)?;
        }
        transaction.commit().map_err(BenchError::redb)?;
        if !samples.take(window, started, now()) {
            break;
        }
    }
    Ok(samples)
}
