//! What a run measured, as a table for people and as JSON for tools, with the ratios of jitos
//! to each other system at each client count.
//!
//! Ratios are defined so that above 1 favours jitos: throughput is jitos ÷ other; latency is
//! other ÷ jitos.
//!
//! # Invariants
//! - Runs appear in the order they were measured (client count, then system).
//! - A ratio is present only when both sides counted at least one commit.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use crate::jitos::{WriterCounters, WriterProfile};
use crate::machine::DiskCounters;
use crate::machine::Machine;
use crate::window::{Latencies, Samples, latencies_of, rate};
use crate::{Options, System};

/// One measured window of one system at one client count, as a runner returns it.
#[derive(Debug)]
pub(crate) struct Slice {
    /// Each client's samples.
    pub(crate) samples: Vec<Samples>,
    /// Where the data went.
    pub(crate) data_path: PathBuf,
    /// The kernel writer's counts (jitos only).
    pub(crate) writer: Option<WriterCounters>,
    /// The block device's counters over the measured window.
    pub(crate) disk: Option<DiskCounters>,
}

/// Block device requests per counted commit, over the measured windows (the whole device:
/// anything else writing at the same time is counted too).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DiskProfile {
    /// Flush requests per commit: how many commits share one device cache flush.
    pub flushes_per_commit: f64,
    /// Write requests per commit.
    pub writes_per_commit: f64,
    /// KiB written per commit.
    pub kib_per_commit: f64,
}

/// One round of one system at one client count.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Round {
    /// Commits per second of this round's window.
    pub commits_per_s: f64,
    /// Every commit acknowledged as durable in this round, warmup included: what its data
    /// files must hold.
    pub n_acknowledged: u64,
    /// Where the data went (jitos: the data directory holding `wal/`; SQLite and redb: the
    /// database file). Deleted after the run unless it was kept.
    pub data_path: PathBuf,
}

/// One system at one client count, over every round.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Run {
    /// Which system.
    pub system: System,
    /// Concurrent clients.
    pub clients: usize,
    /// Commits that finished inside the measured windows.
    pub n_commits: u64,
    /// `n_commits` per second of the windows together.
    pub commits_per_s: f64,
    /// Latency of the counted commits of every round; `None` without any.
    pub latencies: Option<Latencies>,
    /// Each round, in order.
    pub rounds: Vec<Round>,
    /// The kernel writer's profile over every round (jitos only).
    pub writer: Option<WriterProfile>,
    /// Device requests per commit; `None` when the data directory is not on a block device
    /// whose counters `/proc/diskstats` gives.
    pub disk: Option<DiskProfile>,
}

impl Run {
    /// Merges the rounds' slices, each measured for `duration`.
    pub(crate) fn from_slices(
        system: System,
        clients: usize,
        duration: Duration,
        slices: Vec<Slice>,
    ) -> Run {
        let mut rounds = Vec::with_capacity(slices.len());
        let mut latencies = Vec::new();
        let mut writer: Option<WriterCounters> = None;
        let mut disk = Some(DiskCounters::default());
        for slice in slices {
            disk = disk.zip(slice.disk).map(|(total, more)| total.plus(more));
            debug_assert_eq!(slice.samples.len(), clients);
            let n_before = latencies.len();
            let mut n_acknowledged = 0;
            for samples in slice.samples {
                n_acknowledged += samples.n_acknowledged;
                latencies.extend(samples.latencies);
            }
            let n_counted = (latencies.len() - n_before) as u64;
            debug_assert!(n_counted <= n_acknowledged);
            rounds.push(Round {
                commits_per_s: rate(n_counted, duration),
                n_acknowledged,
                data_path: slice.data_path,
            });
            if let Some(counters) = slice.writer {
                writer.get_or_insert_default().add(&counters);
            }
        }
        let n_commits = latencies.len() as u64;
        let duration_total = duration * u32::try_from(rounds.len()).unwrap_or(u32::MAX);
        Run {
            system,
            clients,
            n_commits,
            commits_per_s: rate(n_commits, duration_total),
            latencies: latencies_of(latencies),
            rounds,
            writer: writer.map(|counters| counters.profile(duration_total)),
            disk: disk.map(|disk| disk_profile(disk, n_commits)),
        }
    }
}

fn disk_profile(disk: DiskCounters, n_commits: u64) -> DiskProfile {
    let per_commit = |n: u64| n as f64 / n_commits.max(1) as f64;
    DiskProfile {
        flushes_per_commit: per_commit(disk.n_flushes),
        writes_per_commit: per_commit(disk.n_writes),
        kib_per_commit: per_commit(disk.n_sectors) / 2.0,
    }
}

/// jitos against one other system at one client count; above 1 favours jitos.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Ratio {
    /// Concurrent clients.
    pub clients: usize,
    /// The other system.
    pub versus: System,
    /// jitos commits/s ÷ the other's.
    pub throughput: f64,
    /// The other's p50 ÷ jitos'.
    pub p50: f64,
    /// The other's p99 ÷ jitos'.
    pub p99: f64,
}

/// Everything one run of the tool measured.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Report {
    /// The machine, probed before the first measurement.
    pub machine: Machine,
    /// The 1-minute load average after the last measurement.
    pub load_average_after: Option<f64>,
    /// The run's temporary directory (on the disk under test).
    pub data_dir: PathBuf,
    /// Warmup of each (system, client count), in milliseconds.
    pub warmup_ms: u64,
    /// Measured window of each, in milliseconds.
    pub duration_ms: u64,
    /// Rounds: every (system, client count) is measured once per round, interleaved.
    pub n_rounds: usize,
    /// Bytes of the body of a client commit's jitos WAL record (the event's canonical CBOR);
    /// SQLite and redb rows hold as many.
    pub event_body_bytes: usize,
    /// Bytes of the whole jitos WAL record (header, body, trailer).
    pub wal_record_bytes: usize,
    /// Every (system, client count), in the order measured.
    pub runs: Vec<Run>,
    /// jitos against the others, per client count.
    pub ratios: Vec<Ratio>,
}

impl Report {
    /// Assembles the report and computes the ratios.
    pub(crate) fn new(
        machine: Machine,
        load_average_after: Option<f64>,
        data_dir: PathBuf,
        options: &Options,
        event_body_bytes: usize,
        runs: Vec<Run>,
    ) -> Report {
        let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let ratios = ratios(&runs);
        Report {
            machine,
            load_average_after,
            data_dir,
            warmup_ms: millis(options.timing.warmup),
            duration_ms: millis(options.timing.duration),
            n_rounds: options.rounds,
            event_body_bytes,
            wal_record_bytes: event_body_bytes + jitos_wal::RECORD_OVERHEAD_LEN,
            runs,
            ratios,
        }
    }

    /// The run of `system` at `clients`, if measured.
    pub fn run(&self, system: System, clients: usize) -> Option<&Run> {
        self.runs
            .iter()
            .find(|run| run.system == system && run.clients == clients)
    }

    /// The report as pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        // Every field is a number, string, path or list of them: serialising cannot fail
        // (serde_json writes a non-finite float as null).
        let mut json =
            serde_json::to_string_pretty(self).expect("a report always serialises to JSON");
        json.push('\n');
        json
    }

    /// The report as text tables.
    pub fn to_table(&self) -> String {
        let mut out = self.header();
        out.push_str(&runs_table(&self.runs));
        out.push_str(&ratios_table(&self.ratios));
        out.push_str(&writer_table(&self.runs));
        out
    }

    fn header(&self) -> String {
        let unknown = || "unknown".to_owned();
        let machine = &self.machine;
        let load = |load: Option<f64>| load.map_or_else(unknown, |load| format!("{load:.2}"));
        format!(
            "durable commits: {warmup} ms warmup, then {duration} ms measured, per system and \
             client count and round; {rounds} round(s), interleaved\n\
             cpu: {cpu} ({n_cpus} cpus), kernel {kernel}\n\
             data: {dir} on {fs}\n\
             load average (1 min): {before} before, {after} after\n\
             row: {body}-byte event body (jitos WAL record {record} bytes); SQLite and redb \
             rows hold a body of the same size\n\n",
            warmup = self.warmup_ms,
            duration = self.duration_ms,
            rounds = self.n_rounds,
            cpu = machine.cpu_model.clone().unwrap_or_else(unknown),
            n_cpus = machine.n_cpus.map_or_else(unknown, |n| n.to_string()),
            kernel = machine.kernel.clone().unwrap_or_else(unknown),
            dir = self.data_dir.display(),
            fs = machine.filesystem.clone().unwrap_or_else(unknown),
            before = load(machine.load_average),
            after = load(self.load_average_after),
            body = self.event_body_bytes,
            record = self.wal_record_bytes,
        )
    }
}

fn ratios(runs: &[Run]) -> Vec<Ratio> {
    let mut ratios = Vec::new();
    for jitos in runs.iter().filter(|run| run.system == System::Jitos) {
        let others = runs
            .iter()
            .filter(|run| run.system != System::Jitos && run.clients == jitos.clients);
        for other in others {
            let (Some(ours), Some(theirs)) = (jitos.latencies, other.latencies) else {
                continue;
            };
            let over = |a: u64, b: u64| a.max(1) as f64 / b.max(1) as f64;
            ratios.push(Ratio {
                clients: jitos.clients,
                versus: other.system,
                throughput: jitos.commits_per_s / other.commits_per_s,
                p50: over(theirs.p50_us, ours.p50_us),
                p99: over(theirs.p99_us, ours.p99_us),
            });
        }
    }
    ratios
}

fn runs_table(runs: &[Run]) -> String {
    let mut out = format!(
        "{:>7}  {:<6}  {:>9}  {:>11}  {:>9}  {:>9}  {:>9}  {:>14}  {:>13}  commits/s by round\n",
        "clients",
        "system",
        "commits",
        "commits/s",
        "p50 µs",
        "p99 µs",
        "max µs",
        "flushes/commit",
        "writes/commit"
    );
    for run in runs {
        let (p50, p99, max) = run.latencies.map_or_else(
            || ("-".to_owned(), "-".to_owned(), "-".to_owned()),
            |l| {
                (
                    l.p50_us.to_string(),
                    l.p99_us.to_string(),
                    l.max_us.to_string(),
                )
            },
        );
        let by_round: Vec<String> = run
            .rounds
            .iter()
            .map(|round| format!("{:.0}", round.commits_per_s))
            .collect();
        let (flushes, writes) = run.disk.map_or_else(
            || ("-".to_owned(), "-".to_owned()),
            |disk| {
                let flushes = format!("{:.3}", disk.flushes_per_commit);
                (flushes, format!("{:.2}", disk.writes_per_commit))
            },
        );
        let _ = writeln!(
            out,
            "{:>7}  {:<6}  {:>9}  {:>11.0}  {p50:>9}  {p99:>9}  {max:>9}  {flushes:>14}  {writes:>13}  {}",
            run.clients,
            run.system.name(),
            run.n_commits,
            run.commits_per_s,
            by_round.join(" / "),
        );
    }
    out
}

fn ratios_table(ratios: &[Ratio]) -> String {
    let mut out = String::from(
        "\nratios, above 1 favours jitos (throughput jitos/other, latency other/jitos)\n",
    );
    let _ = writeln!(
        out,
        "{:>7}  {:<10}  {:>10}  {:>7}  {:>7}",
        "clients", "versus", "throughput", "p50", "p99"
    );
    for ratio in ratios {
        let _ = writeln!(
            out,
            "{:>7}  {:<10}  {:>10.2}  {:>7.2}  {:>7.2}",
            ratio.clients,
            ratio.versus.name(),
            ratio.throughput,
            ratio.p50,
            ratio.p99,
        );
    }
    out
}

fn writer_table(runs: &[Run]) -> String {
    let mut out = String::from("\njitos writer thread during the window\n");
    let _ = writeln!(
        out,
        "{:>7}  {:>8}  {:>12}  {:>9}  {:>11}  {:>10}  {:>9}",
        "clients", "fsyncs", "events/fsync", "batch max", "sink µs", "sink share", "cpu share"
    );
    for run in runs {
        let Some(writer) = run.writer else { continue };
        let cpu = writer
            .writer_cpu_share
            .map_or_else(|| "-".to_owned(), |share| format!("{share:.2}"));
        let _ = writeln!(
            out,
            "{:>7}  {:>8}  {:>12.1}  {:>9}  {:>11.0}  {:>10.2}  {cpu:>9}",
            run.clients,
            writer.n_fsyncs,
            writer.events_per_fsync,
            writer.batch_max,
            writer.fsync_us_mean,
            writer.sink_share,
        );
    }
    out
}
