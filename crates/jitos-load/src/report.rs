//! The report: a table for people, or one JSON object (`--json`) for scripts.
//!
//! Ratios compare `apply` with `kernel-info` measured in the same run against the same daemon,
//! each oriented so that higher is better and 1.0 means "as fast as the trivial query":
//! - throughput: apply req/s ÷ kernel-info req/s;
//! - p50 and p99: kernel-info latency ÷ apply latency.
//!
//! # Invariants
//! - A ratio is given only when both of its figures exist; otherwise it is absent (JSON null),
//!   never 0 or infinity.
//! - Latencies in JSON are microseconds; rates are per second.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};

use crate::driver::{Limit, Plan};
use crate::scenario::Scenario;
use crate::stats::Summary;

/// The M1 target for every ratio.
pub(crate) const RATIO_TARGET_MIN: f64 = 0.6;

/// How each ratio is defined, as printed and written to JSON.
const RATIO_DEFINITIONS: [(&str, &str); 3] = [
    ("throughput", "apply req/s / kernel-info req/s"),
    ("p50", "kernel-info p50 / apply p50"),
    ("p99", "kernel-info p99 / apply p99"),
];

/// One measured scenario.
#[derive(Debug)]
pub(crate) struct ScenarioReport {
    /// Which.
    pub(crate) scenario: Scenario,
    /// The counted requests.
    pub(crate) summary: Summary,
    /// The first few distinct error messages.
    pub(crate) error_examples: Vec<String>,
    /// `apply` only: what the daemon's log says about it.
    pub(crate) apply_check: Option<ApplyCheck>,
}

/// The `apply` scenario against the daemon's event count.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ApplyCheck {
    /// Successful `applyRewrite`s, warmup included.
    pub(crate) n_applied_total: u64,
    /// `eventCount` after the scenario minus before it (the `createSws` included).
    pub(crate) n_events_appended: u64,
}

impl ApplyCheck {
    /// Whether every successful apply appended one event, plus one for `createSws`. Holds
    /// only when nobody else writes to the daemon during the run.
    pub(crate) fn consistent(&self) -> bool {
        self.n_events_appended == self.n_applied_total + 1
    }
}

/// The ratios of `apply` to `kernel-info`, in [`RATIO_DEFINITIONS`] order.
pub(crate) fn ratios(reports: &[ScenarioReport]) -> Option<[Option<f64>; 3]> {
    let find = |scenario| reports.iter().find(|r| r.scenario == scenario);
    let base = &find(Scenario::KernelInfo)?.summary;
    let apply = &find(Scenario::Apply)?.summary;
    let divide = |numerator: Option<f64>, denominator: Option<f64>| match (numerator, denominator) {
        (Some(n), Some(d)) if d > 0.0 => Some(n / d),
        _ => None,
    };
    let secs = |latency: Option<Duration>| latency.map(|d| d.as_secs_f64());
    let p50 = |s: &Summary| secs(s.latencies.map(|l| l.p50));
    let p99 = |s: &Summary| secs(s.latencies.map(|l| l.p99));
    Some([
        divide(apply.throughput_per_s, base.throughput_per_s),
        divide(p50(base), p50(apply)),
        divide(p99(base), p99(apply)),
    ])
}

fn micros(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1e7).round() / 10.0
}

fn scenario_json(report: &ScenarioReport) -> Value {
    let summary = &report.summary;
    let latency = summary.latencies.map(|l| {
        json!({
            "p50": micros(l.p50), "p90": micros(l.p90), "p99": micros(l.p99), "max": micros(l.max),
        })
    });
    let mut value = json!({
        "requests": summary.n_requests,
        "errors": summary.n_errors,
        "elapsed_s": summary.elapsed.as_secs_f64(),
        "throughput_per_s": summary.throughput_per_s,
        "latency_us": latency,
        "error_examples": report.error_examples,
    });
    if let Some(check) = report.apply_check {
        value["applied_total"] = json!(check.n_applied_total);
        value["events_appended"] = json!(check.n_events_appended);
    }
    value
}

/// The whole report as one JSON object.
pub(crate) fn to_json(url: &str, plan: &Plan, reports: &[ScenarioReport]) -> Value {
    let scenarios: serde_json::Map<String, Value> = reports
        .iter()
        .map(|report| (report.scenario.name().to_owned(), scenario_json(report)))
        .collect();
    let ratios = ratios(reports).map(|values| {
        let mut object = json!({ "target_min": RATIO_TARGET_MIN });
        for ((name, definition), value) in RATIO_DEFINITIONS.iter().zip(values) {
            object[*name] = json!(value);
            object["definitions"][*name] = json!(definition);
        }
        object
    });
    let (duration_s, requests) = match plan.limit {
        Limit::Duration(duration) => (Some(duration.as_secs_f64()), None),
        Limit::Requests(n) => (None, Some(n)),
    };
    json!({
        "url": url,
        "concurrency": plan.concurrency,
        "warmup_s": plan.warmup.as_secs_f64(),
        "duration_s": duration_s,
        "requests_per_scenario": requests,
        "scenarios": scenarios,
        "ratios": ratios,
    })
}

fn latency_text(latency: Option<Duration>) -> String {
    latency.map_or_else(
        || "-".to_owned(),
        |d| format!("{:.3} ms", d.as_secs_f64() * 1e3),
    )
}

/// The whole report as text.
pub(crate) fn to_text(url: &str, plan: &Plan, reports: &[ScenarioReport]) -> String {
    let limit = match plan.limit {
        Limit::Duration(duration) => format!("{} s per scenario", duration.as_secs_f64()),
        Limit::Requests(n) => format!("{n} requests per scenario"),
    };
    let mut text = format!(
        "jitos-load: {url}, concurrency {}, warmup {} s (not counted), {limit}\n\n",
        plan.concurrency,
        plan.warmup.as_secs_f64()
    );
    let _ = writeln!(
        text,
        "{:<12} {:>9} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "scenario", "requests", "errors", "req/s", "p50", "p90", "p99", "max"
    );
    for report in reports {
        let summary = &report.summary;
        let l = summary.latencies;
        let _ = writeln!(
            text,
            "{:<12} {:>9} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10}",
            report.scenario.name(),
            summary.n_requests,
            summary.n_errors,
            summary
                .throughput_per_s
                .map_or_else(|| "-".to_owned(), |rate| format!("{rate:.1}")),
            latency_text(l.map(|l| l.p50)),
            latency_text(l.map(|l| l.p90)),
            latency_text(l.map(|l| l.p99)),
            latency_text(l.map(|l| l.max)),
        );
    }
    append_checks(&mut text, reports);
    if let Some(values) = ratios(reports) {
        let _ = writeln!(
            text,
            "\nratios (higher is better, 1.0 = as fast as kernel-info; target >= {RATIO_TARGET_MIN}):"
        );
        for ((name, definition), value) in RATIO_DEFINITIONS.iter().zip(values) {
            let shown = value.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"));
            let _ = writeln!(text, "  {name:<10} {definition:<32} = {shown}");
        }
    }
    text
}

/// The apply/event-count check and the error examples.
fn append_checks(text: &mut String, reports: &[ScenarioReport]) {
    for report in reports {
        if let Some(check) = report.apply_check {
            let _ = writeln!(
                text,
                "\napply: {} accepted (warmup included), {} events appended (createSws included)",
                check.n_applied_total, check.n_events_appended
            );
        }
        for message in &report.error_examples {
            let _ = writeln!(text, "{} error: {message}", report.scenario.name());
        }
    }
}
