//! `jitos-load`: a load generator for `jitosd` over HTTP.
//!
//! It measures `applyRewrite` against the trivial `{ kernelInfo { version } }` query on the
//! same daemon in the same run, and reports throughput, exact latency percentiles and their
//! ratios (see `report.rs`). `--spawn PATH` starts and stops a daemon of its own; `--url`
//! targets a running one.
//!
//! # Invariants
//! - Every response is checked; a run with any failed request exits 1, as does a spawned
//!   daemon whose event count disagrees with the accepted applies or that does not stop
//!   cleanly.
//! - Scenarios run one after the other, `kernel-info` first, never at the same time.
//! - Wall time is read only for measuring (`driver::now`); nothing here is canonical.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;

mod client;
mod daemon;
mod driver;
mod report;
mod scenario;
mod stats;

use client::Client;
use daemon::SpawnedDaemon;
use driver::{Limit, Plan};
use report::{ApplyCheck, ScenarioReport};
use scenario::{Scenario, Workload};

/// Longest `--duration` and `--warmup`: a day, far from any `Instant` overflow.
const SECS_MAX: u64 = 86_400;

const AFTER_HELP: &str = "\
Ratios (printed when both scenarios run), higher is better, 1.0 = as fast as kernel-info:
  throughput  apply req/s / kernel-info req/s
  p50, p99    kernel-info latency / apply latency

Latency is per request, from send to the whole answer read and checked; percentiles are exact
(nearest rank over every counted request). A request fails on a transport error, an HTTP status
other than 200, any GraphQL error, or an answer without the selected fields.

Exit status: 0 every request succeeded; 1 some failed, or the run itself failed (with --spawn
also: the daemon's event count disagrees with the applies, or it did not stop cleanly);
2 bad command line.

Examples:
  jitos-load --spawn target/release/jitosd
  jitos-load --url http://127.0.0.1:8080/graphql --scenario apply --requests 100000 --json";

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "jitos-load",
    version,
    about = "Load generator for jitosd: applyRewrite throughput and latency against kernelInfo.",
    after_help = AFTER_HELP
)]
struct Args {
    /// GraphQL endpoint of a running daemon.
    #[arg(
        long,
        default_value = "http://127.0.0.1:8080/graphql",
        conflicts_with = "spawn"
    )]
    url: String,
    /// Start this jitosd binary on 127.0.0.1 with a free port, and stop it (SIGTERM) at the end.
    #[arg(long, value_name = "PATH_TO_JITOSD")]
    spawn: Option<PathBuf>,
    /// An extra argument for the spawned daemon; repeat for several (e.g.
    /// `--daemon-arg=--fsync=batch`, `--daemon-arg=--in-memory`). Unless one names
    /// `--data-dir` or `--in-memory`, the daemon persists to a fresh temporary directory.
    #[arg(
        long = "daemon-arg",
        value_name = "ARG",
        requires = "spawn",
        allow_hyphen_values = true
    )]
    daemon_args: Vec<String>,
    /// Scenario to run; repeat for several. Default: kernel-info, then apply.
    #[arg(long = "scenario", value_enum, default_values_t = [Scenario::KernelInfo, Scenario::Apply])]
    scenarios: Vec<Scenario>,
    /// Requests in flight at once, over keep-alive connections.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
    /// Measured seconds per scenario (at most a day).
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=SECS_MAX))]
    duration: u64,
    /// Measure exactly this many requests per scenario instead of a duration.
    #[arg(long, value_name = "N", conflicts_with = "duration", value_parser = clap::value_parser!(u64).range(1..))]
    requests: Option<u64>,
    /// Seconds of load before each scenario's measurement, not counted (at most a day).
    #[arg(long, value_name = "SECS", default_value_t = 2, value_parser = clap::value_parser!(u64).range(..=SECS_MAX))]
    warmup: u64,
    /// Worker threads of the client's async runtime (default: one per CPU).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    client_threads: Option<u16>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("jitos-load: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the scenarios and prints the report; `Ok(false)` when a check failed.
fn run(args: &Args) -> anyhow::Result<bool> {
    let plan = Plan {
        concurrency: usize::from(args.concurrency),
        warmup: Duration::from_secs(args.warmup),
        limit: args.requests.map_or(
            Limit::Duration(Duration::from_secs(args.duration)),
            Limit::Requests,
        ),
    };
    let mut scenarios = args.scenarios.clone();
    scenarios.sort_unstable();
    scenarios.dedup();
    let daemon = args
        .spawn
        .as_deref()
        .map(|path| SpawnedDaemon::spawn(path, &args.daemon_args))
        .transpose()?;
    let url = daemon
        .as_ref()
        .map_or(args.url.as_str(), SpawnedDaemon::url);
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n_threads) = args.client_threads {
        runtime.worker_threads(usize::from(n_threads));
    }
    let runtime = runtime
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let client = Client::new(url, plan.concurrency)?;
    let reports = runtime.block_on(measure(&client, &scenarios, plan))?;
    print_report(args.json, url, &plan, &reports)?;
    let mut ok = reports.iter().all(|report| report.summary.n_errors == 0);
    if let Some(daemon) = daemon {
        let inconsistent = reports
            .iter()
            .filter_map(|report| report.apply_check)
            .find(|check| !check.consistent());
        if let Some(check) = inconsistent {
            eprintln!(
                "jitos-load: {} applies accepted but {} events appended (expected one more)",
                check.n_applied_total, check.n_events_appended
            );
            ok = false;
        }
        daemon.stop()?;
    }
    Ok(ok)
}

/// Runs `scenarios` in order against `client`.
async fn measure(
    client: &Client,
    scenarios: &[Scenario],
    plan: Plan,
) -> anyhow::Result<Vec<ScenarioReport>> {
    let mut reports = Vec::with_capacity(scenarios.len());
    for &scenario in scenarios {
        let report = match scenario {
            Scenario::KernelInfo => {
                let outcome = driver::run(client, Arc::new(Workload::KernelInfo), plan).await;
                ScenarioReport {
                    scenario,
                    summary: outcome.summary,
                    error_examples: outcome.error_examples,
                    apply_check: None,
                }
            }
            Scenario::Apply => {
                let before = scenario::event_count(client).await?;
                let workload = Arc::new(scenario::prepare_apply(client).await?);
                let outcome = driver::run(client, workload, plan).await;
                let after = scenario::event_count(client).await?;
                ScenarioReport {
                    scenario,
                    summary: outcome.summary,
                    error_examples: outcome.error_examples,
                    apply_check: Some(ApplyCheck {
                        n_applied_total: outcome.n_ok_total,
                        n_events_appended: after.saturating_sub(before),
                    }),
                }
            }
        };
        reports.push(report);
    }
    Ok(reports)
}

#[expect(
    clippy::print_stdout,
    reason = "printing the report is this tool's job"
)]
fn print_report(
    json: bool,
    url: &str,
    plan: &Plan,
    reports: &[ScenarioReport],
) -> anyhow::Result<()> {
    if json {
        let value = report::to_json(url, plan, reports);
        println!(
            "{}",
            serde_json::to_string_pretty(&value).context("writing JSON")?
        );
    } else {
        print!("{}", report::to_text(url, plan, reports));
    }
    Ok(())
}
