//! Memory of the kernel at 1M nodes, and of extra views over a 1M-node base (issue M1).
//!
//! Run: `cargo run --release -p jitos-kernel --example memory` (Linux: it reads `VmRSS` from
//! `/proc/self/status`).
//!
//! Four parts, each in a fresh child process of this example, so that memory one part freed
//! and the allocator kept cannot hide another's growth (`memory PART` runs one):
//! - `kernel`: `State::apply` of one SWS and 1M `AddNode` commands into it, through the public
//!   API as the command loop does it. The RSS growth includes everything the state keeps:
//!   the SWS's graph, its history (versions, checkpoints) and the global event log.
//! - `graph`: a 1M-node `jitos_graph::Graph` (the structure an SWS's view is), then
//!   [`N_VIEWS`] clones of it kept alive, each given [`N_OVERLAY_NODES`] nodes of its own:
//!   the memory an extra view costs, against the base's bytes per node. System cannot hold
//!   1M nodes before collapse exists (M3), so this is measured at the graph level.
//! - `incremental` and `checkpoints`: where the `kernel` part's bytes go. A graph built by 1M
//!   `add_node` calls, as an SWS's view grows; then the same keeping a clone every
//!   `CHECKPOINT_OPS` adds, as the view history keeps its checkpoints.
//!
//! # Invariants
//! - Each figure is a difference of two RSS readings in the same process around the work it
//!   names; the structures measured are alive at the second reading.
//! - Nothing here is canonical: RSS depends on the allocator and the machine.

use std::process::ExitCode;

use jitos_graph::{Graph, Node};
use jitos_kernel::{Command, State, ViewKey};
use jitos_schema::ops::{AddNode, Op};

/// Nodes of the base view.
const N_BASE_NODES: u64 = 1_000_000;
/// Extra views over the base in the `graph` part.
const N_VIEWS: u64 = 20;
/// Nodes each extra view adds.
const N_OVERLAY_NODES: u64 = 1_000;

const MIB: f64 = 1024.0 * 1024.0;

/// The parts, each run in a child process when the example runs without an argument.
const PARTS: [&str; 4] = ["kernel", "graph", "incremental", "checkpoints"];

fn main() -> ExitCode {
    let part = std::env::args().nth(1);
    match part.as_deref() {
        Some("kernel") => kernel_part(),
        Some("graph") => graph_part(),
        Some("incremental") => incremental_part(false),
        Some("checkpoints") => incremental_part(true),
        None => {
            for part in PARTS {
                let status = std::process::Command::new(
                    std::env::current_exe().expect("locating this example"),
                )
                .arg(part)
                .status()
                .expect("running a part of the example");
                if !status.success() {
                    eprintln!("memory: part {part} failed with {status}");
                    return ExitCode::FAILURE;
                }
            }
        }
        Some(other) => {
            eprintln!("memory: unknown part {other:?}; expected one of {PARTS:?} or nothing");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// This process's resident set size, from `VmRSS` in `/proc/self/status`.
fn rss_bytes() -> u64 {
    let status =
        std::fs::read_to_string("/proc/self/status").expect("reading /proc/self/status (Linux)");
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .expect("a VmRSS line");
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .expect("VmRSS in kB");
    kib * 1024
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / MIB)
}

fn add(payload: u64) -> Command {
    Command::ApplyRewrite {
        view: ViewKey::Sws(0),
        ops: vec![Op::AddNode(AddNode {
            kind: "memory".to_owned(),
            payload: payload.to_be_bytes().to_vec(),
        })],
        meta: None,
        idempotency_key: None,
    }
}

#[expect(
    clippy::print_stdout,
    reason = "printing the table is this example's job"
)]
fn kernel_part() {
    let rss_start = rss_bytes();
    let mut state = State::new();
    let create = Command::CreateSws {
        meta: None,
        idempotency_key: None,
    };
    state.apply(create).expect("createSws");
    for payload in 0..N_BASE_NODES {
        state.apply(add(payload)).expect("AddNode");
    }
    let rss_end = rss_bytes();
    let n_nodes = state
        .graph(ViewKey::Sws(0), "view")
        .expect("SWS 0")
        .n_nodes() as u64;
    assert_eq!(n_nodes, N_BASE_NODES);
    let n_events = state.events().len();
    let grown = rss_end.saturating_sub(rss_start);
    println!("## kernel: State::apply of 1 createSws + {N_BASE_NODES} AddNode into SWS 0");
    println!();
    println!("| | |");
    println!("| --- | --- |");
    println!("| nodes in SWS 0 | {n_nodes} |");
    println!("| events in the log | {n_events} |");
    println!(
        "| RSS before / after | {} / {} |",
        mib(rss_start),
        mib(rss_end)
    );
    println!("| RSS growth | {} |", mib(grown));
    println!(
        "| per node (graph + view history + event log) | {} bytes |",
        grown / n_nodes
    );
    println!();
    std::hint::black_box(&state);
}

#[expect(
    clippy::print_stdout,
    reason = "printing the table is this example's job"
)]
fn graph_part() {
    let node = |payload: u64| Node::new("memory", payload.to_be_bytes());
    let rss_start = rss_bytes();
    let base = Graph::build((0..N_BASE_NODES).map(node), []).expect("valid nodes");
    let rss_base = rss_bytes();
    let mut views = Vec::new();
    let mut first_payload = N_BASE_NODES;
    for _ in 0..N_VIEWS {
        let mut view = base.clone();
        for payload in first_payload..first_payload + N_OVERLAY_NODES {
            let _ = view.add_node(node(payload)).expect("valid node");
        }
        first_payload += N_OVERLAY_NODES;
        views.push(view);
    }
    let rss_views = rss_bytes();
    // After the readings: tree_stats allocates a set of every tree node address of the base.
    let stats = views.first().expect("at least one view").tree_stats(&base);
    let base_bytes = rss_base.saturating_sub(rss_start);
    let views_bytes = rss_views.saturating_sub(rss_base);
    let per_view = views_bytes / N_VIEWS;
    println!(
        "## graph: a {N_BASE_NODES}-node base and {N_VIEWS} views over it, \
         {N_OVERLAY_NODES} own nodes each"
    );
    println!();
    println!("| | RSS | per node |");
    println!("| --- | --- | --- |");
    println!(
        "| base (Graph::build) | {} | {} bytes |",
        mib(base_bytes),
        base_bytes / N_BASE_NODES
    );
    println!(
        "| {N_VIEWS} views | {} | {} bytes per overlay node |",
        mib(views_bytes),
        views_bytes / (N_VIEWS * N_OVERLAY_NODES)
    );
    println!(
        "| one view | {} | {:.2}% of the base |",
        mib(per_view),
        100.0 * per_view as f64 / base_bytes as f64
    );
    println!();
    println!(
        "tree_stats of one view against the base: {} tree nodes, {} not shared ({:.2}%)",
        stats.n_tree_nodes,
        stats.n_tree_nodes_not_in_base,
        100.0 * stats.n_tree_nodes_not_in_base as f64 / stats.n_tree_nodes as f64
    );
    println!();
    std::hint::black_box((&base, &views));
}

/// A graph of 1M nodes added one by one, as the kernel builds an SWS's view; with
/// `keep_checkpoints`, also a clone kept every `CHECKPOINT_OPS` adds, as the kernel's view
/// history keeps them. Together with the `kernel` part this splits its bytes per node into the
/// graph, the checkpoints, and the rest (event log, versions, indexes).
#[expect(
    clippy::print_stdout,
    reason = "printing the table is this example's job"
)]
fn incremental_part(keep_checkpoints: bool) {
    let checkpoint_ops = jitos_kernel::CHECKPOINT_OPS as u64;
    let rss_start = rss_bytes();
    let mut graph = Graph::new();
    let mut checkpoints = Vec::new();
    for payload in 0..N_BASE_NODES {
        let node = Node::new("memory", payload.to_be_bytes());
        let _ = graph.add_node(node).expect("valid node");
        if keep_checkpoints && (payload + 1) % checkpoint_ops == 0 {
            checkpoints.push(graph.clone());
        }
    }
    let grown = rss_bytes().saturating_sub(rss_start);
    let what = if keep_checkpoints {
        format!(
            "graph + a clone kept every {checkpoint_ops} adds ({} clones)",
            checkpoints.len()
        )
    } else {
        "graph built by 1M add_node".to_owned()
    };
    if !keep_checkpoints {
        println!("## where the kernel's bytes per node go (1M nodes added one at a time)");
        println!();
        println!("| structure | RSS | per node |");
        println!("| --- | --- | --- |");
    }
    println!(
        "| {what} | {} | {} bytes |",
        mib(grown),
        grown / N_BASE_NODES
    );
    std::hint::black_box((&graph, &checkpoints));
}
