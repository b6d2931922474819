//! `jitos-load` works: against a daemon it spawns itself it measures both scenarios without an
//! error and writes a self-consistent JSON report; against no daemon it counts every request as
//! an error and exits 1.
//!
//! # Invariants
//! - Each run is bounded: one second per scenario, or a fixed request count.
//! - The tool spawns and stops its own daemon; the test leaves nothing running.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

use crate::daemon::{build_binary, jitosd_path};

/// The `jitos-load` binary of this build, built or refreshed on first use.
fn jitos_load_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| build_binary("jitos-load"))
}

fn jitos_load(args: &[&str]) -> (Output, Value) {
    let output = Command::new(jitos_load_path())
        .args(args)
        .arg("--json")
        .output()
        .expect("running jitos-load");
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "jitos-load printed no JSON ({error}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (output, report)
}

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

fn count(value: &Value) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("not a count: {value}"))
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= 1e-3 * expected.abs()
}

/// Checks one scenario's figures against each other; returns (throughput, p50, p99).
fn check_scenario(report: &Value, name: &str) -> (f64, f64, f64) {
    let scenario = &report["scenarios"][name];
    let n_requests = count(&scenario["requests"]);
    assert!(n_requests > 0, "{name}: {scenario}");
    assert_eq!(count(&scenario["errors"]), 0, "{name}: {scenario}");
    assert_eq!(scenario["error_examples"], serde_json::json!([]));
    let elapsed_s = number(&scenario["elapsed_s"]);
    assert!(elapsed_s >= 0.99, "a 1 s run measured {elapsed_s} s");
    let throughput = number(&scenario["throughput_per_s"]);
    assert!(
        close(throughput, n_requests as f64 / elapsed_s),
        "{scenario}"
    );
    let latency = &scenario["latency_us"];
    let [p50, p90, p99, max] = ["p50", "p90", "p99", "max"].map(|key| number(&latency[key]));
    assert!(
        0.0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= max,
        "{latency}"
    );
    (throughput, p50, p99)
}

#[test]
fn measures_both_scenarios_against_a_spawned_daemon() {
    let jitosd = jitosd_path().to_string_lossy().into_owned();
    let (output, report) = jitos_load(&[
        "--spawn",
        &jitosd,
        "--duration",
        "1",
        "--warmup",
        "0",
        "--concurrency",
        "4",
    ]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(count(&report["concurrency"]), 4);
    assert!(
        report["url"]
            .as_str()
            .is_some_and(|url| url.starts_with("http://127.0.0.1:"))
    );
    let (base_rate, base_p50, base_p99) = check_scenario(&report, "kernel-info");
    let (apply_rate, apply_p50, apply_p99) = check_scenario(&report, "apply");

    // Without warmup every accepted apply was counted, and each appended one event, after the
    // one of createSws.
    let apply = &report["scenarios"]["apply"];
    let n_applied = count(&apply["applied_total"]);
    assert_eq!(n_applied, count(&apply["requests"]));
    assert_eq!(count(&apply["events_appended"]), n_applied + 1);

    // Ratios: higher is better for all three. Latencies in the JSON are rounded to 0.1 µs.
    let ratios = &report["ratios"];
    assert!(
        close(number(&ratios["throughput"]), apply_rate / base_rate),
        "{ratios}"
    );
    let near = |actual: f64, expected: f64| (actual - expected).abs() <= 0.01 * expected;
    assert!(
        near(number(&ratios["p50"]), base_p50 / apply_p50),
        "{ratios}"
    );
    assert!(
        near(number(&ratios["p99"]), base_p99 / apply_p99),
        "{ratios}"
    );
    assert_eq!(number(&ratios["target_min"]), 0.6);
}

#[test]
fn a_run_with_errors_exits_1() {
    // Port 1 on loopback: nothing listens there, every connection is refused.
    let (output, report) = jitos_load(&[
        "--url",
        "http://127.0.0.1:1/graphql",
        "--scenario",
        "kernel-info",
        "--requests",
        "20",
        "--warmup",
        "0",
    ]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let scenario = &report["scenarios"]["kernel-info"];
    assert_eq!(count(&scenario["requests"]), 20, "{scenario}");
    assert_eq!(count(&scenario["errors"]), 20, "{scenario}");
    assert!(scenario["latency_us"].is_null(), "{scenario}");
    assert!(scenario["throughput_per_s"].is_null(), "{scenario}");
    let example = scenario["error_examples"][0].as_str().unwrap_or_default();
    assert!(example.starts_with("transport: "), "{scenario}");
    assert!(report["ratios"].is_null(), "one scenario has no ratio");
}
