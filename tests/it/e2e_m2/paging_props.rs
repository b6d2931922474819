//! Paging that does not lie, as properties over seeded random cases: for random graphs (built
//! by multi-op rewrites whose ops are shuffled, then partly removed) and random page sizes, the
//! concatenated pages of nodes, edges, filtered nodes and edges, rewrites and events are exactly
//! the full sorted list; and the pages of a pinned snapshot (by `snapshotId` and by `asOf`)
//! never change while another client keeps writing between the page requests.
//!
//! # Invariants
//! - Every case is drawn from a fixed seed; the case number is in every assertion message.
//! - The expected lists come from a model kept on the test side, never from the daemon.
//! - One daemon serves all the cases of a test, each case in its own SWS, to stay fast.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::time::Duration;

use jitos_core::Hash;
use serde_json::{Value, json};

use super::paging::{edges_query, ids_and_info, nodes_query, pages};
use super::{
    SplitMix64, add_edge, add_node, apply, create_sws, edge_id, graph_ids, list, log, node_id,
    remove_edge, remove_node, sws_literal, text, u64_of,
};
use crate::daemon::Daemon;
use crate::e2e_kernel::data;

/// The seed of the random cases.
const SEED: u64 = 0x6a69_746f_735f_6d32;
/// How many random graphs a run checks.
const N_CASES: usize = 40;
/// Node kinds drawn from; the filters pick subsets of them.
const NODE_KINDS: [&str; 3] = ["a", "b", "c"];
/// Edge kinds drawn from.
const EDGE_KINDS: [&str; 2] = ["x", "y"];

/// What the test knows one view holds.
#[derive(Debug, Default)]
struct Model {
    /// Node id → kind.
    nodes: BTreeMap<Hash, &'static str>,
    /// Edge id → (from, to, kind).
    edges: BTreeMap<Hash, (Hash, Hash, &'static str)>,
    /// The idx of every event that targeted the view.
    event_idxs: Vec<u64>,
    /// The view's digest after its last rewrite, if any.
    digest: Option<String>,
}

impl Model {
    /// Sorted hex ids of the nodes `keep` accepts.
    fn node_ids(&self, keep: impl Fn(&str) -> bool) -> Vec<String> {
        let ids = self
            .nodes
            .iter()
            .filter(|(_, kind)| keep(kind))
            .map(|(id, _)| id);
        super::sorted_hex(ids)
    }

    /// Sorted hex ids of the edges `keep` accepts.
    fn edge_ids(&self, keep: impl Fn(&(Hash, Hash, &str)) -> bool) -> Vec<String> {
        super::sorted_hex(
            self.edges
                .iter()
                .filter(|(_, edge)| keep(edge))
                .map(|(id, _)| id),
        )
    }
}

/// Builds a random graph in SWS `sws`: random nodes and edges (self-loops included), added by
/// rewrites of 1 to 8 shuffled ops, then a rewrite that removes some edges and some nodes with
/// every edge that touches them, shuffled too.
async fn random_graph(daemon: &Daemon, sws: u64, rng: &mut SplitMix64, case: usize) -> Model {
    let mut model = Model::default();
    let mut ops = Vec::new();
    let mut ids = Vec::new();
    for n in 0..rng.range(0, 30) {
        let kind = NODE_KINDS[rng.range(0, NODE_KINDS.len() - 1)];
        let payload = [byte(case), byte(n), byte(rng.range(0, 255))];
        ops.push(add_node(kind, &payload));
        let id = node_id(kind, &payload);
        model.nodes.insert(id, kind);
        ids.push(id);
    }
    let n_edges = if ids.is_empty() { 0 } else { rng.range(0, 40) };
    for n in 0..n_edges {
        let (from, to) = (
            ids[rng.range(0, ids.len() - 1)],
            ids[rng.range(0, ids.len() - 1)],
        );
        let kind = EDGE_KINDS[rng.range(0, 1)];
        let payload = rng.chance(1, 2).then_some([byte(n)]);
        ops.push(add_edge(
            &from,
            &to,
            kind,
            payload.as_ref().map(<[u8; 1]>::as_slice),
        ));
        let id = edge_id(&from, &to, kind, payload.as_ref().map(<[u8; 1]>::as_slice));
        model.edges.insert(id, (from, to, kind));
    }
    // Edges follow their ends in `ops`, so each end is added by an earlier rewrite or by the
    // same one, where shuffling may put the edge first: only the end state must be a graph.
    while !ops.is_empty() {
        let mut chunk: Vec<Value> = ops.drain(..rng.range(1, 8).min(ops.len())).collect();
        rng.shuffle(&mut chunk);
        record(&mut model, apply(daemon, sws, &chunk).await);
    }
    let mut removals = Vec::new();
    for (id, _) in model.edges.iter().filter(|_| rng.chance(1, 4)) {
        removals.push(remove_edge(id));
    }
    let doomed: Vec<Hash> = model
        .nodes
        .keys()
        .copied()
        .filter(|_| rng.chance(1, 5))
        .collect();
    for node in &doomed {
        removals.push(remove_node(node));
        for (id, (from, to, _)) in &model.edges {
            let touches = from == node || to == node;
            if touches && !removals.contains(&remove_edge(id)) {
                removals.push(remove_edge(id));
            }
        }
    }
    if !removals.is_empty() {
        rng.shuffle(&mut removals);
        record(&mut model, apply(daemon, sws, &removals).await);
        for op in &removals {
            let id = Hash::from_hex(text(&op["data"]["id"])).expect("an id in hex");
            model.nodes.remove(&id);
            model.edges.remove(&id);
        }
    }
    model
}

/// `n` as a byte of a payload; the cases stay below 256 of everything.
fn byte(n: usize) -> u8 {
    u8::try_from(n).expect("below 256")
}

fn record(model: &mut Model, receipt: super::Receipt) {
    model.event_idxs.push(receipt.idx);
    model.digest = Some(receipt.digest);
}

/// The idx values of `rewrites(view: SWS sws)`, paged `first` at a time.
async fn rewrite_pages(daemon: &Daemon, sws: u64, first: usize) -> Vec<Vec<u64>> {
    let mut pages = Vec::new();
    let mut after = String::new();
    loop {
        let query = format!(
            "{{ rewrites(view: {}, page: {{first: {first}{after}}}) {{ idx }} }}",
            sws_literal(sws)
        );
        let page: Vec<u64> = list(&data(daemon, &query).await["rewrites"])
            .iter()
            .map(|event| u64_of(&event["idx"]))
            .collect();
        let Some(last) = page.last().copied() else {
            return pages;
        };
        pages.push(page);
        after = format!(r#", after: "{last}""#);
    }
}

/// Checks page sizes: every page but the last holds exactly `first` items, the last one at
/// least one unless the list is empty (then there is exactly one, empty, page).
fn check_sizes<T: std::fmt::Debug>(pages: &[Vec<T>], first: usize, case: usize) {
    let (last, full) = pages.split_last().expect("at least one page");
    assert!(
        full.iter().all(|page| page.len() == first),
        "case {case}: {pages:?}"
    );
    assert!(last.len() <= first, "case {case}: {pages:?}");
    assert!(
        !last.is_empty() || pages.len() == 1,
        "case {case}: {pages:?}"
    );
}

/// Every page of the `items` (`nodes` or `edges`) of `view`, `first` at a time, with `filter`
/// (GraphQL text, or empty).
async fn id_pages(
    daemon: &Daemon,
    view: &str,
    items: &str,
    first: usize,
    filter: &str,
) -> Vec<Vec<String>> {
    let query = |after: &str| {
        let page = format!("{{first: {first}{after}}}");
        match items {
            "nodes" => nodes_query(view, &page, filter),
            _ => edges_query(view, &page, filter),
        }
    };
    let pages = pages(daemon, query, items).await;
    pages.into_iter().map(|(ids, _)| ids).collect()
}

/// Pages the nodes of `view` through a random kind filter, and its edges through a random end
/// filter, at random page sizes, against `model`.
async fn check_filters(
    daemon: &Daemon,
    view: &str,
    model: &Model,
    rng: &mut SplitMix64,
    case: usize,
) {
    let kinds: Vec<&str> = NODE_KINDS
        .iter()
        .copied()
        .filter(|_| rng.chance(1, 2))
        .collect();
    let filter = format!(", nodeFilter: {{kinds: {}}}", json!(kinds));
    let filtered = id_pages(daemon, view, "nodes", rng.range(1, 5), &filter).await;
    let expected = model.node_ids(|kind| kinds.contains(&kind));
    assert_eq!(filtered.concat(), expected, "case {case}, {filter}");

    let end_idx = rng.range(0, model.nodes.len().saturating_sub(1));
    let Some((end, _)) = model.nodes.iter().nth(end_idx) else {
        return;
    };
    let kind = EDGE_KINDS[rng.range(0, 1)];
    let (filter, expected) = match rng.range(0, 2) {
        0 => (
            format!(r#"from: "{end}""#),
            model.edge_ids(|edge| edge.0 == *end),
        ),
        1 => (
            format!(r#"to: "{end}""#),
            model.edge_ids(|edge| edge.1 == *end),
        ),
        _ => (
            format!(r#"from: "{end}", kinds: ["{kind}"]"#),
            model.edge_ids(|edge| edge.0 == *end && edge.2 == kind),
        ),
    };
    let filter = format!(", edgeFilter: {{{filter}}}");
    let filtered = id_pages(daemon, view, "edges", rng.range(1, 3), &filter).await;
    assert_eq!(filtered.concat(), expected, "case {case}, {filter}");
}

/// Pages the nodes and edges of SWS `sws`, filtered or not, and its rewrites, at random page
/// sizes, against `model`.
async fn check_case(daemon: &Daemon, sws: u64, model: &Model, rng: &mut SplitMix64, case: usize) {
    let view = sws_literal(sws);
    let live = data(daemon, &format!("{{ graph(view: {view}) {{ digest }} }}")).await;
    if let Some(digest) = &model.digest {
        assert_eq!(live["graph"]["digest"], json!(digest), "case {case}");
    }
    for items in ["nodes", "edges"] {
        let first = rng.range(1, 7);
        let pages = id_pages(daemon, &view, items, first, "").await;
        check_sizes(&pages, first, case);
        let expected = match items {
            "nodes" => model.node_ids(|_| true),
            _ => model.edge_ids(|_| true),
        };
        assert_eq!(
            pages.concat(),
            expected,
            "case {case}, {items}, first {first}"
        );
    }
    check_filters(daemon, &view, model, rng, case).await;
    let first = rng.range(1, 4);
    let rewrites = rewrite_pages(daemon, sws, first).await;
    check_sizes(&rewrites, first, case);
    assert_eq!(
        rewrites.concat(),
        model.event_idxs,
        "case {case}, first {first}"
    );
}

#[tokio::test]
async fn concatenated_pages_are_the_full_sorted_list() {
    let daemon = Daemon::start();
    let mut rng = SplitMix64(SEED);
    for case in 0..N_CASES {
        let sws = create_sws(&daemon).await;
        let mut model = random_graph(&daemon, sws, &mut rng, case).await;
        let creation = log(&daemon).await.iter().position(|event| {
            event["kind"] == "SWS_CREATE" && event["view"]["swsId"] == json!(sws.to_string())
        });
        model
            .event_idxs
            .insert(0, creation.expect("a creation event") as u64);
        check_case(&daemon, sws, &model, &mut rng, case).await;
    }
    // The whole log, at random page sizes: 0, 1, 2, ... with no duplicate and no gap.
    let n_events = log(&daemon).await.len() as u64;
    for _ in 0..4 {
        let first = rng.range(5, 60);
        let mut idxs = Vec::new();
        let mut after = String::new();
        loop {
            let query = format!("{{ events(page: {{first: {first}{after}}}) {{ idx }} }}");
            let page = data(&daemon, &query).await["events"]
                .as_array()
                .unwrap()
                .clone();
            assert!(page.len() <= first);
            let Some(last) = page.last() else { break };
            after = format!(r#", after: "{}""#, last["idx"].as_str().unwrap());
            idxs.extend(page.iter().map(|event| u64_of(&event["idx"])));
        }
        assert_eq!(idxs, (0..n_events).collect::<Vec<u64>>(), "first {first}");
    }
    daemon.stop();
}

/// Longest wait for the writer to land a write between two page requests.
const WRITE_WAIT: Duration = Duration::from_secs(10);
/// Interval between two looks at the writer's progress.
const WRITE_POLL: Duration = Duration::from_millis(5);

/// Waits until the writer has landed more than `seen` writes; returns how many it has.
async fn next_write(writes: &Cell<usize>, seen: usize) -> usize {
    let n_polls = WRITE_WAIT.as_millis() / WRITE_POLL.as_millis();
    for _ in 0..n_polls {
        if writes.get() > seen {
            return writes.get();
        }
        tokio::time::sleep(WRITE_POLL).await;
    }
    panic!("the writer landed no write within {WRITE_WAIT:?}");
}

/// Every page of `items` (`nodes` or `edges`) of the pinned `view`, `first` at a time, each
/// requested after a new write landed; each page must echo `snapshot` as digest and view.
async fn pinned_pages(
    daemon: &Daemon,
    view: &str,
    items: &str,
    snapshot: &str,
    writes: &Cell<usize>,
) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after = String::new();
    let mut seen = writes.get();
    loop {
        seen = next_write(writes, seen).await;
        let page = format!("{{first: 3{after}}}");
        let query = match items {
            "nodes" => nodes_query(view, &page, ""),
            _ => edges_query(view, &page, ""),
        };
        let graph = data(daemon, &query).await["graph"].clone();
        assert_eq!(graph["digest"], json!(snapshot), "{view}");
        assert_eq!(graph["view"]["snapshotId"], json!(snapshot), "{view}");
        let (page_ids, info) = ids_and_info(&graph[items], items);
        ids.extend(page_ids);
        if info["hasNextPage"] == false {
            return ids;
        }
        after = format!(r#", after: "{}""#, text(&info["endCursor"]));
    }
}

/// Keeps writing to SWS `sws` until `reading` turns false: each rewrite removes one node of
/// `nodes` with the edges that touch it and adds two new nodes, one edge between them.
async fn keep_writing(
    daemon: &Daemon,
    sws: u64,
    mut nodes: Vec<Hash>,
    mut edges: BTreeMap<Hash, (Hash, Hash)>,
    reading: &Cell<bool>,
    writes: &Cell<usize>,
) {
    let mut n = 0_usize;
    while reading.get() {
        assert!(n < 10_000, "the reader never finished");
        let (one, two) = (format!("new {n} a"), format!("new {n} b"));
        let (one_id, two_id) = (node_id("w", one.as_bytes()), node_id("w", two.as_bytes()));
        let mut ops = vec![
            add_edge(&one_id, &two_id, "x", None),
            add_node("w", one.as_bytes()),
            add_node("w", two.as_bytes()),
        ];
        if let Some(victim) = nodes.pop() {
            ops.push(remove_node(&victim));
            edges.retain(|id, (from, to)| {
                let touches = *from == victim || *to == victim;
                if touches {
                    ops.push(remove_edge(id));
                }
                !touches
            });
        }
        apply(daemon, sws, &ops).await;
        writes.set(writes.get() + 1);
        n += 1;
    }
}

#[tokio::test]
async fn pinned_pages_never_change_while_another_client_writes() {
    let daemon = Daemon::start();
    let sws = create_sws(&daemon).await;
    let mut rng = SplitMix64(SEED ^ 0xff);
    let mut ops = Vec::new();
    let mut nodes = Vec::new();
    for n in 0..40_u8 {
        let kind = NODE_KINDS[usize::from(n) % NODE_KINDS.len()];
        ops.push(add_node(kind, &[n]));
        nodes.push(node_id(kind, &[n]));
    }
    let mut edges = BTreeMap::new();
    for _ in 0..30 {
        let (from, to) = (nodes[rng.range(0, 39)], nodes[rng.range(0, 39)]);
        ops.push(add_edge(&from, &to, "x", None));
        edges.insert(edge_id(&from, &to, "x", None), (from, to));
    }
    let built = apply(&daemon, sws, &ops).await;
    let (all_nodes, all_edges) = graph_ids(&daemon, &sws_literal(sws)).await;
    assert_eq!((all_nodes.len(), all_edges.len()), (40, edges.len()));
    let at_snapshot = format!(
        r#"{{kind: SWS, swsId: "{sws}", snapshotId: "{}"}}"#,
        built.digest
    );
    let at_event = format!(r#"{{kind: SWS, swsId: "{sws}", asOf: "{}"}}"#, built.idx);

    let (reading, writes) = (Cell::new(true), Cell::new(0_usize));
    let writer = keep_writing(&daemon, sws, nodes, edges, &reading, &writes);
    let reader = async {
        let mut seen = Vec::new();
        for view in [&at_snapshot, &at_event] {
            for items in ["nodes", "edges"] {
                seen.push(pinned_pages(&daemon, view, items, &built.digest, &writes).await);
            }
        }
        reading.set(false);
        seen
    };
    let ((), seen) = tokio::join!(writer, reader);
    assert_eq!(
        seen,
        [&all_nodes, &all_edges, &all_nodes, &all_edges].map(Vec::clone)
    );
    // Every page was requested after a new write; each write removed one original node.
    let n_pages = 2 * (all_nodes.len().div_ceil(3) + all_edges.len().div_ceil(3));
    assert!(
        writes.get() >= n_pages,
        "{} writes for {n_pages} pages",
        writes.get()
    );
    let (live_nodes, _) = graph_ids(&daemon, &sws_literal(sws)).await;
    let n_left = live_nodes
        .iter()
        .filter(|id| all_nodes.contains(id))
        .count();
    assert_eq!(n_left, all_nodes.len().saturating_sub(writes.get()));
    log(&daemon).await;
    daemon.stop();
}
