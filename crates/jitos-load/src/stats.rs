//! Latency statistics of one scenario: throughput and exact percentiles from every sample.
//!
//! Percentiles use the nearest-rank definition on the sorted samples: the p-th percentile of n
//! samples is the sample at rank `ceil(p × n)` (1-based). Nothing is sampled, bucketed or
//! interpolated, so every reported latency is one a request actually took.
//!
//! # Invariants
//! - `p50 <= p90 <= p99 <= max`, and each is one of the samples.
//! - A summary of zero successful requests has no latencies and no throughput, never zeros
//!   that would read as "infinitely fast".
//! - Only successful requests enter the latencies and the throughput; errors are counted apart.

use std::time::Duration;

/// Per-mille ranks of the reported percentiles.
pub(crate) const P50: u32 = 500;
/// The 90th percentile, in per mille.
pub(crate) const P90: u32 = 900;
/// The 99th percentile, in per mille.
pub(crate) const P99: u32 = 990;

/// The latencies of the successful requests, from their sorted samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Latencies {
    /// Median.
    pub(crate) p50: Duration,
    /// 90th percentile.
    pub(crate) p90: Duration,
    /// 99th percentile.
    pub(crate) p99: Duration,
    /// Slowest request.
    pub(crate) max: Duration,
}

/// What one scenario measured.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Summary {
    /// Requests counted (successful and failed), warmup excluded.
    pub(crate) n_requests: u64,
    /// Counted requests that failed (transport error, HTTP status other than 200, GraphQL
    /// errors, or an answer without the selected fields).
    pub(crate) n_errors: u64,
    /// From the end of the warmup to the last counted response.
    pub(crate) elapsed: Duration,
    /// Successful requests per second of `elapsed`; `None` without any.
    pub(crate) throughput_per_s: Option<f64>,
    /// `None` when no request succeeded.
    pub(crate) latencies: Option<Latencies>,
}

/// The sample at per-mille rank `per_mille` of `sorted` (nearest rank), or `None` if empty.
///
/// `per_mille` is clamped to 1..=1000, so rank 0 means the smallest sample.
pub(crate) fn percentile(sorted: &[Duration], per_mille: u32) -> Option<Duration> {
    debug_assert!(sorted.is_sorted(), "percentile needs sorted samples");
    let n = sorted.len() as u64;
    if n == 0 {
        return None;
    }
    let per_mille = u64::from(per_mille.clamp(1, 1000));
    // Nearest rank: ceil(per_mille * n / 1000), in 1..=n.
    let rank = (per_mille * n).div_ceil(1000).clamp(1, n);
    let index = usize::try_from(rank - 1).ok()?;
    sorted.get(index).copied()
}

/// Sorts `latencies` and summarises them.
///
/// `latencies` are the successful requests' latencies, `n_errors` the failed requests, and
/// `elapsed` the measured wall time.
pub(crate) fn summarize(mut latencies: Vec<Duration>, n_errors: u64, elapsed: Duration) -> Summary {
    latencies.sort_unstable();
    let n_ok = latencies.len() as u64;
    let throughput_per_s =
        (n_ok > 0 && !elapsed.is_zero()).then(|| n_ok as f64 / elapsed.as_secs_f64());
    let latencies = match (
        percentile(&latencies, P50),
        percentile(&latencies, P90),
        percentile(&latencies, P99),
        latencies.last(),
    ) {
        (Some(p50), Some(p90), Some(p99), Some(&max)) => {
            debug_assert!(p50 <= p90 && p90 <= p99 && p99 <= max);
            Some(Latencies { p50, p90, p99, max })
        }
        _ => None,
    };
    Summary {
        n_requests: n_ok + n_errors,
        n_errors,
        elapsed,
        throughput_per_s,
        latencies,
    }
}

#[cfg(test)]
mod tests;
