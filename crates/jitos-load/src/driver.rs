//! The load loop: `concurrency` workers, each with one request in flight at a time, through a
//! warmup that is not counted and then a measured phase bounded by time or by a request count.
//!
//! Each worker keeps its own samples; they are merged once at the end, so measuring takes no
//! lock and shares nothing but the request tickets of a `--requests` run.
//!
//! # Invariants
//! - A request counts if and only if it starts after the warmup and within the limit: with
//!   [`Limit::Requests`] exactly that many are counted; with [`Limit::Duration`] every request
//!   that starts before the deadline is counted (and waited for).
//! - The latency of a request is from just before it is sent to just after its whole body has
//!   been read and checked.
//! - Every loop is bounded: by the deadline, by the tickets, and each request by the client's
//!   timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::client::Client;
use crate::scenario::Workload;
use crate::stats::{Summary, summarize};

/// Distinct error messages kept per scenario, as examples for the report.
const ERROR_EXAMPLES_MAX: usize = 5;

/// The wall clock of the measurements: this tool measures latency, it is not canonical.
#[expect(
    clippy::disallowed_methods,
    reason = "a load tool measures wall time; nothing it reads is canonical or replayed"
)]
pub(crate) fn now() -> Instant {
    Instant::now()
}

/// When the measured phase ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    /// After this much time.
    Duration(Duration),
    /// After this many counted requests.
    Requests(u64),
}

/// How a scenario is driven.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// Requests in flight at once, one per worker.
    pub(crate) concurrency: usize,
    /// Uncounted time before the measured phase.
    pub(crate) warmup: Duration,
    /// End of the measured phase.
    pub(crate) limit: Limit,
}

/// What a scenario run produced.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The counted requests.
    pub(crate) summary: Summary,
    /// The first few distinct error messages.
    pub(crate) error_examples: Vec<String>,
    /// Successful requests including the warmup's.
    pub(crate) n_ok_total: u64,
}

/// The phase boundaries shared by the workers.
#[derive(Debug, Clone, Copy)]
struct Phases {
    measure_start: Instant,
    deadline: Option<Instant>,
    n_requests_max: Option<u64>,
}

/// What one worker measured.
#[derive(Debug, Default)]
struct WorkerResult {
    latencies: Vec<Duration>,
    n_errors: u64,
    n_ok_total: u64,
    error_examples: Vec<String>,
    last_finish: Option<Instant>,
}

/// Drives `workload` against `client` as `plan` says.
pub(crate) async fn run(client: &Client, workload: Arc<Workload>, plan: Plan) -> Outcome {
    assert!(plan.concurrency > 0, "at least one worker");
    let measure_start = now() + plan.warmup;
    let phases = Phases {
        measure_start,
        deadline: match plan.limit {
            Limit::Duration(duration) => Some(measure_start + duration),
            Limit::Requests(_) => None,
        },
        n_requests_max: match plan.limit {
            Limit::Requests(n) => Some(n),
            Limit::Duration(_) => None,
        },
    };
    let tickets = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..plan.concurrency)
        .map(|_| {
            let client = client.clone();
            let workload = Arc::clone(&workload);
            let tickets = Arc::clone(&tickets);
            tokio::spawn(async move { worker(&client, &workload, phases, &tickets).await })
        })
        .collect();
    let mut merged = WorkerResult::default();
    for handle in workers {
        // A worker panics only on a bug in this tool; let that crash the run.
        let result = handle.await.expect("a load worker panicked");
        merged.latencies.extend(result.latencies);
        merged.n_errors += result.n_errors;
        merged.n_ok_total += result.n_ok_total;
        for message in result.error_examples {
            keep_example(&mut merged.error_examples, message);
        }
        merged.last_finish = merged.last_finish.max(result.last_finish);
    }
    let elapsed = merged.last_finish.map_or(Duration::ZERO, |last| {
        last.saturating_duration_since(measure_start)
    });
    if let Some(n_max) = phases.n_requests_max {
        debug_assert_eq!(merged.latencies.len() as u64 + merged.n_errors, n_max);
    }
    Outcome {
        summary: summarize(merged.latencies, merged.n_errors, elapsed),
        error_examples: merged.error_examples,
        n_ok_total: merged.n_ok_total,
    }
}

/// One worker: sends requests one after the other until the limit.
async fn worker(
    client: &Client,
    workload: &Workload,
    phases: Phases,
    tickets: &AtomicU64,
) -> WorkerResult {
    let mut result = WorkerResult::default();
    loop {
        let started = now();
        let counted = started >= phases.measure_start;
        if counted {
            if phases.deadline.is_some_and(|deadline| started >= deadline) {
                break;
            }
            let over = phases
                .n_requests_max
                .is_some_and(|n_max| tickets.fetch_add(1, Ordering::Relaxed) >= n_max);
            if over {
                break;
            }
        }
        let answer = client.post(workload.body()).await;
        let checked = answer.and_then(|data| workload.check(&data));
        let finished = now();
        if checked.is_ok() {
            result.n_ok_total += 1;
        }
        if !counted {
            continue;
        }
        result.last_finish = Some(finished);
        match checked {
            Ok(()) => result.latencies.push(finished - started),
            Err(message) => {
                result.n_errors += 1;
                keep_example(&mut result.error_examples, message);
            }
        }
    }
    result
}

/// Adds `message` to `examples` unless it is there already or they are full.
fn keep_example(examples: &mut Vec<String>, message: String) {
    if examples.len() < ERROR_EXAMPLES_MAX && !examples.contains(&message) {
        examples.push(message);
    }
}
