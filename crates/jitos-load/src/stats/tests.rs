//! Unit tests of the percentile and summary code.
//!
//! # Invariants
//! - Expected values are worked out by hand from the nearest-rank definition.

use std::time::Duration;

use super::{P50, P90, P99, percentile, summarize};

fn ms(values: &[u64]) -> Vec<Duration> {
    values.iter().map(|&v| Duration::from_millis(v)).collect()
}

#[test]
fn nearest_rank_on_ten_samples() {
    let sorted = ms(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // ceil(0.5 * 10) = 5, ceil(0.9 * 10) = 9, ceil(0.99 * 10) = 10.
    assert_eq!(percentile(&sorted, P50), Some(Duration::from_millis(5)));
    assert_eq!(percentile(&sorted, P90), Some(Duration::from_millis(9)));
    assert_eq!(percentile(&sorted, P99), Some(Duration::from_millis(10)));
    assert_eq!(percentile(&sorted, 1000), Some(Duration::from_millis(10)));
    assert_eq!(percentile(&sorted, 0), Some(Duration::from_millis(1)));
    assert_eq!(percentile(&sorted, 1), Some(Duration::from_millis(1)));
}

#[test]
fn nearest_rank_on_odd_and_large_counts() {
    let sorted = ms(&[10, 20, 30]);
    // ceil(0.5 * 3) = 2.
    assert_eq!(percentile(&sorted, P50), Some(Duration::from_millis(20)));
    let thousand: Vec<Duration> = (1..=1000).map(Duration::from_micros).collect();
    assert_eq!(percentile(&thousand, P50), Some(Duration::from_micros(500)));
    assert_eq!(percentile(&thousand, P90), Some(Duration::from_micros(900)));
    assert_eq!(percentile(&thousand, P99), Some(Duration::from_micros(990)));
    // 1001 samples: ceil(0.99 * 1001) = ceil(990.99) = 991.
    let more: Vec<Duration> = (1..=1001).map(Duration::from_micros).collect();
    assert_eq!(percentile(&more, P99), Some(Duration::from_micros(991)));
}

#[test]
fn one_sample_and_none() {
    let one = ms(&[7]);
    for per_mille in [0, P50, P90, P99, 1000] {
        assert_eq!(percentile(&one, per_mille), Some(Duration::from_millis(7)));
    }
    assert_eq!(percentile(&[], P50), None);
}

#[test]
fn summarize_sorts_and_counts() {
    let samples = ms(&[9, 1, 5, 3, 7, 2, 8, 4, 10, 6]);
    let summary = summarize(samples, 2, Duration::from_secs(2));
    assert_eq!(summary.n_requests, 12);
    assert_eq!(summary.n_errors, 2);
    assert_eq!(summary.throughput_per_s, Some(5.0));
    let latencies = summary.latencies.expect("ten successful samples");
    assert_eq!(latencies.p50, Duration::from_millis(5));
    assert_eq!(latencies.p90, Duration::from_millis(9));
    assert_eq!(latencies.p99, Duration::from_millis(10));
    assert_eq!(latencies.max, Duration::from_millis(10));
}

#[test]
fn summarize_without_successes_has_no_figures() {
    let summary = summarize(Vec::new(), 3, Duration::from_secs(1));
    assert_eq!(summary.n_requests, 3);
    assert_eq!(summary.n_errors, 3);
    assert_eq!(summary.throughput_per_s, None);
    assert_eq!(summary.latencies, None);
    let instant = summarize(ms(&[1]), 0, Duration::ZERO);
    assert_eq!(instant.throughput_per_s, None, "no time measured, no rate");
    assert!(instant.latencies.is_some());
}

#[test]
fn percentiles_are_ordered_on_skewed_samples() {
    let mut samples: Vec<Duration> = (0..997).map(|_| Duration::from_micros(100)).collect();
    samples.extend(ms(&[50, 60, 70]));
    let latencies = summarize(samples, 0, Duration::from_secs(1))
        .latencies
        .expect("samples");
    assert_eq!(latencies.p50, Duration::from_micros(100));
    assert_eq!(latencies.p99, Duration::from_micros(100));
    assert_eq!(latencies.max, Duration::from_millis(70));
    assert!(latencies.p50 <= latencies.p90 && latencies.p90 <= latencies.p99);
}
