//! End to end: the tool runs every system for two rounds of a tiny window at 1 and 4 clients,
//! in-process, and what each one acknowledged is really on disk afterwards: every round's jitos
//! WAL boots back to every acknowledged event, and the SQLite and redb files hold every
//! acknowledged row.

use std::time::Duration;

use jitos_durability_bench::{Options, REDB_EVENTS, Report, Round, System, Timing, run};
use jitos_wal::{FsStorage, WalOptions};
use redb::{ReadableDatabase, ReadableTableMetadata};

const CLIENTS: [usize; 2] = [1, 4];
const ROUNDS: usize = 2;

fn tiny_run(dir: &std::path::Path) -> Report {
    let options = Options {
        dir: dir.to_owned(),
        clients: CLIENTS.to_vec(),
        systems: System::ALL.to_vec(),
        timing: Timing {
            warmup: Duration::from_millis(30),
            duration: Duration::from_millis(150),
        },
        rounds: ROUNDS,
        keep: true,
    };
    run(&options).expect("every system commits")
}

fn check_shape(report: &Report) {
    let measured: Vec<(usize, System)> =
        report.runs.iter().map(|r| (r.clients, r.system)).collect();
    let expected: Vec<(usize, System)> = CLIENTS
        .iter()
        .flat_map(|&n| System::ALL.map(|system| (n, system)))
        .collect();
    assert_eq!(measured, expected);
    for run in &report.runs {
        assert!(
            run.n_commits > 0,
            "{:?} at {} committed nothing",
            run.system,
            run.clients
        );
        assert_eq!(run.rounds.len(), ROUNDS);
        let n_acknowledged: u64 = run.rounds.iter().map(|round| round.n_acknowledged).sum();
        assert!(n_acknowledged >= run.n_commits);
        assert!(run.commits_per_s > 0.0);
        // Every round's window has the same length: the pooled rate is the rounds' mean.
        let round_mean = run
            .rounds
            .iter()
            .map(|round| round.commits_per_s)
            .sum::<f64>()
            / ROUNDS as f64;
        assert!((round_mean - run.commits_per_s).abs() <= 1e-9 * run.commits_per_s);
        let latencies = run.latencies.expect("counted commits have latencies");
        assert!(latencies.p50_us <= latencies.p99_us && latencies.p99_us <= latencies.max_us);
        assert_eq!(run.writer.is_some(), run.system == System::Jitos);
        if let Some(disk) = run.disk {
            for value in [
                disk.flushes_per_commit,
                disk.writes_per_commit,
                disk.kib_per_commit,
            ] {
                assert!(value.is_finite() && value >= 0.0, "{disk:?}");
            }
        }
    }
    for run in report.runs.iter().filter(|run| run.system == System::Jitos) {
        let writer = run.writer.expect("jitos has a writer profile");
        assert!(
            writer.n_fsyncs > 0 && writer.events_per_fsync >= 1.0,
            "{writer:?}"
        );
        assert!(
            writer.batch_max >= 1 && writer.batch_max <= 256,
            "{writer:?}"
        );
    }
    assert_eq!(report.ratios.len(), CLIENTS.len() * 2);
    for ratio in &report.ratios {
        assert!(ratio.versus != System::Jitos);
        for value in [ratio.throughput, ratio.p50, ratio.p99] {
            assert!(value.is_finite() && value > 0.0, "{ratio:?}");
        }
    }
    assert!(report.event_body_bytes > 100 && report.wal_record_bytes > report.event_body_bytes);
}

fn check_output(report: &Report) {
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("JSON");
    assert_eq!(json["runs"].as_array().map(Vec::len), Some(6));
    assert_eq!(json["runs"][1]["system"], "sqlite");
    assert!(json["ratios"][0]["throughput"].is_f64());
    assert!(
        json["machine"]["load_average"].is_number() || json["machine"]["load_average"].is_null()
    );
    let table = report.to_table();
    for needle in ["jitos", "sqlite", "redb", "ratios", "events/fsync"] {
        assert!(table.contains(needle), "the table lacks {needle}:\n{table}");
    }
}

/// How many commits the data files of `round` hold.
fn n_on_disk(system: System, n_clients: usize, round: &Round) -> u64 {
    match system {
        System::Jitos => {
            let storage = FsStorage::open(round.data_path.join(jitos_kernel::WAL_DIR))
                .expect("the WAL directory opens");
            let (state, _, _) =
                jitos_kernel::boot(storage, WalOptions::default()).expect("the WAL boots");
            // One CreateSws per client, then one event per acknowledged submit.
            state.events().len() as u64 - n_clients as u64
        }
        System::Sqlite => {
            let connection = rusqlite::Connection::open(&round.data_path).expect("opens");
            let n: i64 = connection
                .query_row("SELECT COUNT(*) FROM events", [], |row| row.get(0))
                .expect("counts");
            u64::try_from(n).expect("a count is not negative")
        }
        System::Redb => {
            let database = redb::Database::open(&round.data_path).expect("opens");
            let read = database.begin_read().expect("reads");
            read.open_table(REDB_EVENTS)
                .expect("table")
                .len()
                .expect("len")
        }
    }
}

fn check_durable(report: &Report) {
    let mut paths = std::collections::BTreeSet::new();
    for run in &report.runs {
        for round in &run.rounds {
            assert!(
                paths.insert(round.data_path.clone()),
                "every round has its own files"
            );
            assert_eq!(
                n_on_disk(run.system, run.clients, round),
                round.n_acknowledged,
                "{:?} at {} clients, {}",
                run.system,
                run.clients,
                round.data_path.display()
            );
        }
    }
}

#[test]
fn every_system_commits_and_what_it_acknowledged_is_on_disk() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let report = tiny_run(dir.path());
    assert!(report.data_dir.starts_with(dir.path()));
    check_shape(&report);
    check_output(&report);
    check_durable(&report);
}
