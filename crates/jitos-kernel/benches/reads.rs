//! Read benchmarks (issue M2): paging through a 1M-node view, 1,000 nodes per page, at the
//! first, middle and last page; and reading a page of a snapshot from 100,000 events ago
//! against the same read of the live view.
//!
//! Every read goes through the `Query::graph` resolver, as the API does (cursor parsing,
//! version resolution, the page's output objects), minus the transport.
//!
//! Run: `cargo bench -p jitos-kernel --bench reads`. Building the state takes a while (1M nodes
//! in 1,024-op rewrites, then 100,000 single-node rewrites) and about 5 GiB of memory.

use criterion::{Criterion, criterion_main};
use jitos_kernel::{Command, Kernel, State, ViewKey};
use jitos_schema::inputs::QueryGraphArgs;
use jitos_schema::ops::{AddNode, Op};
use jitos_schema::resolvers::Query as _;
use jitos_schema::{Parse as _, Valid};
use serde_json::{Value, json};

const BASE_NODES: u64 = 1_000_000;
const LATER_EVENTS: u64 = 100_000;
const PAGE: usize = 1_000;
const OPS_PER_BUILD_REWRITE: u64 = 1_024;

fn add(n: u64) -> Op {
    Op::AddNode(AddNode {
        kind: "bench".to_owned(),
        payload: n.to_be_bytes().to_vec(),
    })
}

fn rewrite(ops: Vec<Op>) -> Command {
    Command::ApplyRewrite {
        view: ViewKey::Sws(0),
        ops,
        meta: None,
        idempotency_key: None,
    }
}

/// SWS 0 with `BASE_NODES` nodes, then `LATER_EVENTS` more single-node rewrites; returns the
/// state and the idx of the event that completed the base.
fn build() -> (State, u64) {
    let mut state = State::new();
    let create = Command::CreateSws {
        meta: None,
        idempotency_key: None,
    };
    state.apply(create).expect("create");
    let mut base_done = 0;
    for chunk in 0..BASE_NODES / OPS_PER_BUILD_REWRITE + 1 {
        let start = chunk * OPS_PER_BUILD_REWRITE;
        let end = (start + OPS_PER_BUILD_REWRITE).min(BASE_NODES);
        if start < end {
            base_done = state
                .apply(rewrite((start..end).map(add).collect()))
                .expect("base")
                .idx;
        }
    }
    for n in 0..LATER_EVENTS {
        state
            .apply(rewrite(vec![add(BASE_NODES + n)]))
            .expect("later");
    }
    (state, base_done)
}

fn graph_args(view: &Value, after: Option<&str>) -> Valid<QueryGraphArgs> {
    let raw = json!({ "view": view, "nodesPage": { "first": PAGE, "after": after } });
    QueryGraphArgs::validate(&raw).expect("valid arguments")
}

fn reads(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (state, base_done) = build();
    // Cursors: the ids before the first, middle and last page of the live view.
    let sws0 = ViewKey::Sws(0);
    let live_graph = state.graph(sws0, "view").expect("graph").clone();
    let n_nodes = live_graph.n_nodes();
    let cursor_at = |position: usize| {
        position.checked_sub(1).map(|before| {
            let (id, _) = live_graph.nodes_after(None).nth(before).expect("in range");
            id.to_string()
        })
    };
    let pages = [
        ("first", cursor_at(0)),
        ("middle", cursor_at(n_nodes / 2)),
        ("last", cursor_at(n_nodes - PAGE)),
    ];
    let kernel = runtime.block_on(async { Kernel::start_from(state) });
    let live = json!({ "kind": "SWS", "swsId": "0" });
    let mut group = c.benchmark_group("page_1000_of_1m");
    for (name, cursor) in &pages {
        group.bench_function(*name, |b| {
            b.iter(|| {
                let page = runtime
                    .block_on(kernel.graph(graph_args(&live, cursor.as_deref())))
                    .expect("page");
                assert_eq!(page.nodes.nodes.len(), PAGE);
            });
        });
    }
    group.finish();

    // A snapshot from LATER_EVENTS events ago, against the live view; the same middle page.
    let past = json!({ "kind": "SWS", "swsId": "0", "asOf": base_done });
    let middle = pages[1].1.as_deref();
    let mut group = c.benchmark_group("read_100k_events_ago");
    group.bench_function("live", |b| {
        b.iter(|| {
            runtime
                .block_on(kernel.graph(graph_args(&live, middle)))
                .expect("page")
        });
    });
    group.bench_function("as_of_cached", |b| {
        b.iter(|| {
            runtime
                .block_on(kernel.graph(graph_args(&past, middle)))
                .expect("page")
        });
    });
    // Each read names another version (cycling through more than the cache holds), so each
    // one rebuilds its version from a checkpoint.
    let mut offset = 0u64;
    group.bench_function("as_of_rebuilt", |b| {
        b.iter(|| {
            offset = (offset + 1) % 256;
            let view = json!({ "kind": "SWS", "swsId": "0", "asOf": base_done + offset });
            runtime
                .block_on(kernel.graph(graph_args(&view, middle)))
                .expect("page")
        });
    });
    group.finish();
}

/// Private, so the undocumented `pub fn` that `criterion_group!` generates is not exported.
mod group {
    use super::reads;

    criterion::criterion_group! {
        name = benches;
        config = criterion::Criterion::default().sample_size(20);
        targets = reads
    }
}

criterion_main!(group::benches);
