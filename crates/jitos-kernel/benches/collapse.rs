//! Collapse benchmarks: `collapseSws` of an overlay of k ops into a System of n nodes, the
//! in-process cost (merge, apply to System, event, receipt), for k = 1, 100, 10,000 and n = 10k
//! and 1M. The cost should follow k (and log n), not n. Also a rebase of the same overlay
//! onto a System that moved by k other ops since the SWS's base.
//!
//! Run: `cargo bench -p jitos-kernel --bench collapse`. Building the 1M-node System (by one
//! collapse, as history requires) takes about a minute.

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_main};
use jitos_kernel::{Command, State, ViewKey};
use jitos_schema::ops::{AddNode, Op};

/// Ops per rewrite while building (the contract's maximum).
const REWRITE_OPS: u64 = 1024;

fn add(kind: &str, n: u64) -> Op {
    Op::AddNode(AddNode {
        kind: kind.to_owned(),
        payload: n.to_be_bytes().to_vec(),
    })
}

fn create(state: &mut State) -> u64 {
    let event = state
        .apply(Command::CreateSws {
            meta: None,
            idempotency_key: None,
        })
        .expect("create");
    match event.view {
        ViewKey::Sws(id) => id,
        ViewKey::System => unreachable!("creation targets the new SWS"),
    }
}

/// Writes `n` AddNode ops of `kind` into SWS `id`, in full rewrites.
fn write(state: &mut State, id: u64, kind: &str, n: u64) {
    let mut next = 0;
    while next < n {
        let end = (next + REWRITE_OPS).min(n);
        let ops = (next..end).map(|i| add(kind, i)).collect();
        let command = Command::ApplyRewrite {
            view: ViewKey::Sws(id),
            ops,
            meta: None,
            idempotency_key: None,
        };
        state.apply(command).expect("write");
        next = end;
    }
}

fn collapse(id: u64) -> Command {
    Command::CollapseSws {
        id,
        meta: None,
        idempotency_key: None,
    }
}

/// A kernel whose System holds `n` nodes, put there by one collapse.
fn system_of(n: u64) -> State {
    let mut state = State::new();
    let id = create(&mut state);
    write(&mut state, id, "base", n);
    let event = state.apply(collapse(id)).expect("collapse");
    assert!(event.outcome.as_ref().is_some_and(|o| o.committed));
    state
}

fn collapse_k_ops(c: &mut Criterion) {
    let mut group = c.benchmark_group("collapse");
    group.sample_size(20);
    for n in [10_000u64, 1_000_000] {
        let system = system_of(n);
        for k in [1u64, 100, 10_000] {
            let mut state = system.clone();
            let id = create(&mut state);
            write(&mut state, id, "overlay", k);
            group.bench_function(BenchmarkId::new(format!("n={n}"), k), |b| {
                b.iter_batched(
                    || state.clone(),
                    |mut state| {
                        let event = state.apply(collapse(id)).expect("collapse");
                        assert!(event.outcome.as_ref().is_some_and(|o| o.committed));
                        (state, event)
                    },
                    BatchSize::SmallInput,
                );
            });
        }
    }
    group.finish();
}

fn rebase_k_ops(c: &mut Criterion) {
    let mut group = c.benchmark_group("rebase");
    group.sample_size(20);
    let system = system_of(1_000_000);
    for k in [1u64, 100, 10_000] {
        let mut state = system.clone();
        let id = create(&mut state);
        write(&mut state, id, "overlay", k);
        let other = create(&mut state);
        write(&mut state, other, "other", k);
        state.apply(collapse(other)).expect("collapse");
        group.bench_function(BenchmarkId::new("n=1000000", k), |b| {
            b.iter_batched(
                || state.clone(),
                |mut state| {
                    let event = state
                        .apply(Command::RebaseSws {
                            id,
                            meta: None,
                            idempotency_key: None,
                        })
                        .expect("rebase");
                    (state, event)
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

/// Private, so the undocumented `pub fn` that `criterion_group!` generates is not exported.
mod group {
    use super::{collapse_k_ops, rebase_k_ops};

    criterion::criterion_group!(benches, collapse_k_ops, rebase_k_ops);
}

criterion_main!(group::benches);
