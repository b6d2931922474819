//! `durable-commit`: durable commit throughput and latency of the JITOS kernel against SQLite
//! and redb on the same disk, in one run (see the library's doc for what each system does).
//!
//! # Invariants
//! - Exit status 0 only when every system committed without error at every client count; any
//!   failure prints why and exits 1 (2 for a bad command line, from clap).
//! - Printing is this binary's job: the table (or `--json`) goes to stdout, errors to stderr.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use jitos_durability_bench::{CLIENTS_MAX, Options, ROUNDS_MAX, System, Timing, run};

/// The allocator `jitosd` runs on, so the kernel's side is measured as the daemon runs it;
/// redb's allocations go through it too (SQLite keeps its own `malloc`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const AFTER_HELP: &str = "\
For each round, client count and system, in that nesting, the system commits for --warmup
(not counted) and then --duration, on fresh files; the systems' order rotates by one per round,
and the report pools the rounds.
  jitos   durable kernel (FsyncPolicy::Always, group commit), one SWS and tokio task per client
  sqlite  rusqlite (bundled), journal_mode=WAL, synchronous=FULL, one connection and thread
          per client, one row per BEGIN IMMEDIATE transaction
  redb    Durability::Immediate, one thread per client, one insert per write transaction
Rows hold the bytes of a jitos event body. Latency is the client's wall time around one commit;
percentiles are exact (nearest rank). Ratios: above 1 favours jitos.

Example:
  cargo run --release -p jitos-durability-bench -- --duration 5 --clients 1,8,64";

/// The command line.
#[derive(Debug, Parser)]
#[command(name = "durable-commit", version, about, after_help = AFTER_HELP)]
struct Args {
    /// Directory (on the disk to measure) to make the run's temporary directory in; default:
    /// the system temporary directory.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Client counts, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 8, 64],
          value_parser = clap::value_parser!(u16).range(1..=CLIENTS_MAX as i64))]
    clients: Vec<u16>,
    /// Systems to measure, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = System::ALL)]
    systems: Vec<System>,
    /// Measured seconds per system and client count (fractions allowed).
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    duration: f64,
    /// Seconds of commits before each measurement, not counted.
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    warmup: f64,
    /// Measure every (system, client count) this many times, interleaved, and pool the
    /// rounds: a shared disk's fsync latency drifts, and interleaving exposes every system
    /// to the drift alike.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=ROUNDS_MAX as i64))]
    rounds: u16,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Keep the data files (their paths are in the JSON report).
    #[arg(long)]
    keep: bool,
}

fn seconds(what: &str, secs: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(secs).map_err(|error| format!("--{what} {secs}: {error}"))
}

#[allow(
    clippy::print_stdout,
    reason = "printing the report is this binary's job"
)]
fn main() -> ExitCode {
    let args = Args::parse();
    let timing = match (
        seconds("duration", args.duration),
        seconds("warmup", args.warmup),
    ) {
        (Ok(duration), Ok(warmup)) => Timing { warmup, duration },
        (Err(why), _) | (_, Err(why)) => {
            eprintln!("durable-commit: {why}");
            return ExitCode::from(2);
        }
    };
    let options = Options {
        dir: args.dir.unwrap_or_else(std::env::temp_dir),
        clients: args.clients.iter().map(|&n| usize::from(n)).collect(),
        systems: args.systems,
        timing,
        rounds: usize::from(args.rounds),
        keep: args.keep,
    };
    match run(&options) {
        Ok(report) if args.json => {
            print!("{}", report.to_json());
            ExitCode::SUCCESS
        }
        Ok(report) => {
            print!("{}", report.to_table());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("durable-commit: {error}");
            ExitCode::FAILURE
        }
    }
}
