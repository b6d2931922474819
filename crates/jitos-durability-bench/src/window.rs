//! The measured window and the latency samples clients take inside it.
//!
//! Every client of a (system, client count) shares one `Window`: a warmup, then the measured
//! span. A client commits until one of its commits finishes at or after the window's end; a
//! commit is counted (its latency kept) when it finished inside the measured span, so
//! throughput is `counted / duration` with no partial commits at either edge.
//!
//! Percentiles are nearest rank over every counted commit: nothing is sampled, bucketed or
//! interpolated, so each reported latency is one a commit actually took.
//!
//! # Invariants
//! - `p50 <= p99 <= max`, each one of the samples; no counted commit means no latencies.
//! - [`now`] is the only place this crate reads wall time.

use std::time::{Duration, Instant};

use crate::machine::DiskCounters;

/// Warmup and measured span of one (system, client count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Commits before the measured span: run, not counted.
    pub warmup: Duration,
    /// The measured span.
    pub duration: Duration,
}

/// The wall clock, for measuring only.
#[expect(
    clippy::disallowed_methods,
    reason = "a benchmark measures wall time; nothing it reads is canonical"
)]
pub fn now() -> Instant {
    Instant::now()
}

/// One (system, client count)'s warmup and measured span, fixed when it starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    /// Start of the measured span (end of the warmup).
    pub(crate) measured_from: Instant,
    /// End of the measured span.
    pub(crate) end: Instant,
}

impl Window {
    /// A window whose warmup starts now.
    pub(crate) fn starting_now(timing: Timing) -> Window {
        let measured_from = now() + timing.warmup;
        Window {
            measured_from,
            end: measured_from + timing.duration,
        }
    }
}

/// Sleeps until `deadline` (returns at once if it passed).
pub(crate) fn sleep_until(deadline: Instant) {
    std::thread::sleep(deadline.saturating_duration_since(now()));
}

/// The counters of `device` over `window`'s measured span (blocks until it ends); `None`
/// without a device or when `/proc/diskstats` does not tell.
pub(crate) fn disk_during(window: &Window, device: Option<&str>) -> Option<DiskCounters> {
    let device = device?;
    sleep_until(window.measured_from);
    let before = DiskCounters::read(device);
    sleep_until(window.end);
    let after = DiskCounters::read(device);
    Some(after?.since(before?))
}

/// One client's counted latencies.
#[derive(Debug, Default)]
pub(crate) struct Samples {
    /// The counted commits' latencies.
    pub(crate) latencies: Vec<Duration>,
    /// Every commit the system acknowledged, warmup and the last one included.
    pub(crate) n_acknowledged: u64,
}

impl Samples {
    /// Takes a commit that ran from `started` to `finished`; returns whether the client goes on.
    pub(crate) fn take(&mut self, window: &Window, started: Instant, finished: Instant) -> bool {
        debug_assert!(started <= finished);
        self.n_acknowledged += 1;
        if finished >= window.end {
            return false;
        }
        if finished >= window.measured_from {
            self.latencies.push(finished - started);
        }
        true
    }
}

/// Latency percentiles of the counted commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Latencies {
    /// Median, in microseconds.
    pub p50_us: u64,
    /// 99th percentile, in microseconds.
    pub p99_us: u64,
    /// Slowest, in microseconds.
    pub max_us: u64,
}

/// The sample at per-mille rank `per_mille` of `sorted` (nearest rank), or `None` if empty.
pub fn percentile(sorted: &[Duration], per_mille: u64) -> Option<Duration> {
    debug_assert!(sorted.is_sorted(), "percentile needs sorted samples");
    let n = sorted.len() as u64;
    if n == 0 {
        return None;
    }
    let rank = (per_mille.clamp(1, 1000) * n).div_ceil(1000).clamp(1, n);
    sorted.get(usize::try_from(rank - 1).ok()?).copied()
}

/// The percentiles of `latencies` (sorted here), or `None` without any.
pub(crate) fn latencies_of(mut latencies: Vec<Duration>) -> Option<Latencies> {
    latencies.sort_unstable();
    let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    let summary = Latencies {
        p50_us: micros(percentile(&latencies, 500)?),
        p99_us: micros(percentile(&latencies, 990)?),
        max_us: micros(*latencies.last()?),
    };
    debug_assert!(summary.p50_us <= summary.p99_us && summary.p99_us <= summary.max_us);
    Some(summary)
}

/// Commits per second of `n_commits` over `duration`.
pub(crate) fn rate(n_commits: u64, duration: Duration) -> f64 {
    assert!(!duration.is_zero(), "a window has a length");
    n_commits as f64 / duration.as_secs_f64()
}
