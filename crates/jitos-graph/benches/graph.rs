//! Benchmarks of jitos-graph: one `add_node` (digest included) into graphs of 10k, 100k and 1M
//! nodes, the bulk build and the from-scratch digest of 1M nodes against the bare hashing they
//! need, and the commit digest of 100k nodes.
//!
//! Run: `cargo bench -p jitos-graph --bench graph -- --warm-up-time 1 --measurement-time 5`.
//! Results and machine details are recorded in `docs/PERFORMANCE.md` (`## Graph`).
//!
//! # Invariants
//! - Base graphs are built once, outside the measured closures, with `Graph::build`.
//! - Every measured `add_node` inserts a node the base does not hold into a fresh clone of the
//!   base, so each iteration pays the full path copy and rehash (nothing is amortised over a
//!   clone that earlier iterations already made unique).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_main};
use jitos_graph::digest::{node_key, node_leaf_value, smt_inner, smt_leaf};
use jitos_graph::{Graph, Node};

/// A node like the ones the kernel stores: short kind, 16-byte payload, unique per `idx`.
fn node(idx: u64) -> Node {
    let mut payload = [0u8; 16];
    payload[..8].copy_from_slice(&idx.to_le_bytes());
    payload[8..].copy_from_slice(b"payload!");
    Node::new("demo.bench", payload)
}

fn base_graph(n_nodes: u64) -> Graph {
    Graph::build((0..n_nodes).map(node), []).expect("valid nodes")
}

fn bench_add_node(c: &mut Criterion) {
    let mut group = c.benchmark_group("add_node");
    group.throughput(Throughput::Elements(1));
    for n_nodes in [10_000u64, 100_000, 1_000_000] {
        let base = base_graph(n_nodes);
        let mut next_idx = n_nodes;
        group.bench_function(format!("into/{n_nodes}"), |b| {
            b.iter_batched(
                || {
                    next_idx += 1;
                    (base.clone(), node(next_idx))
                },
                |(mut graph, new_node)| {
                    let outcome = graph.add_node(new_node).expect("valid node");
                    black_box(outcome.id());
                    black_box(graph.digest());
                    graph
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

fn bench_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    let n_nodes = 1_000_000u64;
    group.throughput(Throughput::Elements(n_nodes));
    let nodes: Vec<Node> = (0..n_nodes).map(node).collect();
    // The dropped graph is not timed: dropping 1M nodes is not part of building them.
    group.bench_function("graph/1000000", |b| {
        b.iter_with_large_drop(|| {
            Graph::build(black_box(nodes.iter().cloned()), []).expect("valid nodes")
        });
    });
    let graph = Graph::build(nodes.iter().cloned(), []).expect("valid nodes");
    group.bench_function("digest_full/1000000", |b| {
        b.iter(|| black_box(&graph).digest_full())
    });
    // The hashing bound of a build: per node its id, tree key, leaf value, tree leaf and one
    // inner node (a tree of n leaves has n - 1 of them), and nothing else.
    group.bench_function("hashes_only/1000000", |b| {
        b.iter(|| {
            for node in &nodes {
                let id = node.id();
                let key = node_key(&id);
                let leaf = smt_leaf(&key, &node_leaf_value(&id, node));
                black_box(smt_inner(&leaf, &key));
            }
        });
    });
    // One 82-byte BLAKE3 (the preimage of an inner node) per node.
    let preimage = [0x5au8; 82];
    group.bench_function("blake3_82B_baseline/1000000", |b| {
        b.iter(|| {
            for _ in 0..n_nodes {
                black_box(blake3::hash(black_box(&preimage)));
            }
        });
    });
    group.finish();
}

fn bench_commit_digest(c: &mut Criterion) {
    let mut group = c.benchmark_group("commit_digest");
    group.sample_size(20);
    let n_nodes = 100_000u64;
    group.throughput(Throughput::Elements(n_nodes));
    let graph = base_graph(n_nodes);
    group.bench_function("full/100000", |b| {
        b.iter(|| black_box(&graph).commit_digest_full())
    });
    group.finish();
}

/// Private, so the undocumented `pub fn` that `criterion_group!` generates is not exported.
mod group {
    use super::{bench_add_node, bench_build, bench_commit_digest};

    criterion::criterion_group!(benches, bench_add_node, bench_build, bench_commit_digest);
}

criterion_main!(group::benches);
