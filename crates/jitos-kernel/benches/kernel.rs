//! Kernel benchmarks.
//!
//! `State::apply` of one AddNode into an SWS whose view already holds n nodes, receipt digest
//! included: the in-process cost of `applyRewrite` without the transport.
//!
//! It runs on mimalloc, the allocator `jitosd` uses: on the multi-GiB heap of a 1M-node history
//! glibc's free-list upkeep (`malloc_consolidate`, `unlink_chunk`) costs about a fifth more.
//!
//! Run: `cargo bench -p jitos-kernel --bench kernel`.

use criterion::{BenchmarkId, Criterion, criterion_main};

/// The daemon's allocator (see the module doc).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use jitos_kernel::{Command, State, ViewKey};
use jitos_schema::ops::{AddNode, Op};

fn add(n: u64) -> Command {
    let op = Op::AddNode(AddNode {
        kind: "bench".to_owned(),
        payload: n.to_be_bytes().to_vec(),
    });
    Command::ApplyRewrite {
        view: ViewKey::Sws(0),
        ops: vec![op],
        meta: None,
        idempotency_key: None,
    }
}

fn apply_add_node(c: &mut Criterion) {
    let mut group = c.benchmark_group("apply_add_node");
    for n_nodes in [10_000u64, 100_000, 1_000_000] {
        let mut state = State::new();
        state
            .apply(Command::CreateSws {
                meta: None,
                idempotency_key: None,
            })
            .expect("create");
        for node_idx in 0..n_nodes {
            state.apply(add(node_idx)).expect("add");
        }
        let mut next = n_nodes;
        group.bench_function(BenchmarkId::from_parameter(n_nodes), |b| {
            b.iter(|| {
                next += 1;
                state.apply(add(next)).expect("add").view_digest
            });
        });
    }
    group.finish();
}

/// Private, so the undocumented `pub fn` that `criterion_group!` generates is not exported.
mod group {
    use super::apply_add_node;

    criterion::criterion_group!(benches, apply_add_node);
}

criterion_main!(group::benches);
