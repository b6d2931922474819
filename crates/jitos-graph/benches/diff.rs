//! Benchmarks of `Graph::diff` between two graphs of 1M nodes and 250k edges: one derived from
//! the other by 10 changes and by 1,000, the same 10 changes against a copy built separately
//! (no tree node shared, so only hashes are compared), and two graphs built separately with the
//! same content (equal: answered at the roots).
//!
//! Repeated iterations keep the few hundred tree nodes a small diff reads in the CPU caches, so
//! the `diff_cold` group repeats the 10-change cases with the caches flushed before each
//! iteration (a 256 MiB buffer written, untimed): closer to a query that arrives after other
//! work.
//!
//! Run: `cargo bench -p jitos-graph --bench diff -- --warm-up-time 1 --measurement-time 5`.
//! Results and machine details are recorded in `docs/PERFORMANCE.md` (`## Graph`).
//!
//! # Invariants
//! - All graphs are built once, outside the measured closures; the separately built copy goes
//!   through its own `Graph::build`, so it shares no node with the base.
//! - Before timing, each case's diff is checked to have the expected number of items, so a
//!   benchmark cannot measure a diff that skips work it should do.

use std::hint::black_box;

use std::time::Duration;

use criterion::{BatchSize, Criterion, SamplingMode, criterion_main};
use jitos_graph::{Edge, Graph, Node};

const N_NODES: u64 = 1_000_000;
/// Edges `node(idx) -> node(idx + 1)` for `idx < N_EDGES`.
const N_EDGES: u64 = 250_000;
/// Bytes written between two cold iterations: larger than every cache level of the guest.
const EVICT_BYTES: usize = 256 << 20;
/// One write per cache line of the eviction buffer.
const CACHE_LINE_BYTES: usize = 64;

/// A node like the ones the kernel stores: short kind, 16-byte payload, unique per `idx`.
fn node(idx: u64) -> Node {
    let mut payload = [0u8; 16];
    payload[..8].copy_from_slice(&idx.to_le_bytes());
    payload[8..].copy_from_slice(b"payload!");
    Node::new("demo.bench", payload)
}

fn chain_edge(idx: u64) -> Edge {
    Edge::new(node(idx).id(), node(idx + 1).id(), "next", None)
}

fn base_graph() -> Graph {
    Graph::build((0..N_NODES).map(node), (0..N_EDGES).map(chain_edge)).expect("valid graph")
}

/// `base` with `n_changes` changes, in the proportions 5 node adds : 3 node removals : 1 edge
/// add : 1 edge removal. Removed nodes lie past the chain, so they have no edges.
fn changed(base: &Graph, n_changes: u64) -> Graph {
    assert!(n_changes.is_multiple_of(10), "changes come in tens");
    let tenth = n_changes / 10;
    let mut graph = base.clone();
    for idx in N_NODES..N_NODES + 5 * tenth {
        let _ = graph.add_node(node(idx)).expect("valid node");
    }
    for idx in (N_EDGES + 1..)
        .step_by(7)
        .take(usize::try_from(3 * tenth).expect("small"))
    {
        let _ = graph
            .remove_node(&node(idx).id())
            .expect("an untouched node");
    }
    for idx in N_NODES..N_NODES + tenth {
        let _ = graph
            .add_edge(chain_edge(idx))
            .expect("both ends were added");
    }
    for idx in 0..tenth {
        let _ = graph.remove_edge(&chain_edge(idx).id()).expect("present");
    }
    graph
}

/// Writes one byte per cache line of `buffer`, pushing everything else out of the caches.
fn evict(buffer: &mut [u8], round: &mut u8) {
    *round = round.wrapping_add(1);
    for line in buffer.chunks_mut(CACHE_LINE_BYTES) {
        line[0] = *round;
    }
    black_box(buffer);
}

fn bench_diff(c: &mut Criterion) {
    let base = base_graph();
    let apart = base_graph();
    let cases = [
        ("equal_same_version", base.clone(), 0),
        ("equal_built_separately", apart.clone(), 0),
        ("derived_10", changed(&base, 10), 10),
        ("separate_10", changed(&apart, 10), 10),
        ("derived_1000", changed(&base, 1000), 1000),
    ];
    let mut group = c.benchmark_group("diff");
    for (name, other, n_expected) in &cases {
        let diff = base.diff(other);
        assert_eq!(diff.len(), *n_expected, "{name}");
        let visited = base.diff_with_stats(other).1.n_tree_nodes_visited;
        // Recorded in docs/PERFORMANCE.md next to the times.
        eprintln!("diff/{name}: {n_expected} items, {visited} tree nodes read");
        group.bench_function(format!("{name}/{N_NODES}"), |b| {
            b.iter(|| black_box(&base).diff(black_box(other)));
        });
    }
    group.finish();
    // Each cold iteration costs a 256 MiB write in setup: few samples, one iteration each.
    let mut cold = c.benchmark_group("diff_cold");
    cold.sampling_mode(SamplingMode::Flat)
        .sample_size(100)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(10));
    let mut buffer = vec![0u8; EVICT_BYTES];
    let mut round = 0u8;
    for (name, other, _) in cases.iter().filter(|(_, _, n_expected)| *n_expected == 10) {
        cold.bench_function(format!("{name}/{N_NODES}"), |b| {
            b.iter_batched(
                || evict(&mut buffer, &mut round),
                |()| black_box(&base).diff(black_box(other)),
                BatchSize::PerIteration,
            );
        });
    }
    cold.finish();
}

/// Private, so the undocumented `pub fn` that `criterion_group!` generates is not exported.
mod group {
    use super::bench_diff;

    criterion::criterion_group!(benches, bench_diff);
}

criterion_main!(group::benches);
