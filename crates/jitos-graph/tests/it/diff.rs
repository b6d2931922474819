//! `Graph::diff` against set differences, and its cost at scale.
//!
//! The property test derives pairs of graphs from a common base by random op sequences (so they
//! share most of their Merkle trees), and also takes unrelated graphs, a graph rebuilt from
//! scratch with the same content (so they share no tree node) and graphs without their trees
//! (`Graph::without_trees`, diffed through their maps); in every case the diff must equal
//! the set differences of the ids `nodes_after` and `edges_after` list, and applying it to the
//! first graph must give the second. The scale test counts the tree nodes the walk reads
//! between two 100k-node graphs that differ in 10 items.
//!
//! # Invariants
//! - The expected lists are computed from the two graphs' pages alone, with `BTreeSet`s, never
//!   from the trees the diff walks.
//! - Ops draw from a small universe of nodes and edges, so that removals hit present items,
//!   adds repeat, and the two sides of a pair often undo each other's changes.

use std::collections::BTreeSet;

use jitos_core::Hash;
use jitos_graph::{Edge, Graph, GraphDiff, Node};
use proptest::collection::vec;
use proptest::prelude::*;

/// Number of distinct nodes ops can name.
const UNIVERSE: u8 = 24;

#[derive(Debug, Clone, Copy)]
enum Op {
    AddNode(u8),
    RemoveNode(u8),
    AddEdge(u8, u8, bool),
    RemoveEdge(u8, u8, bool),
}

fn small_node(idx: u8) -> Node {
    Node::new(if idx.is_multiple_of(2) { "demo.a" } else { "b" }, [idx])
}

fn small_edge(from: u8, to: u8, with_payload: bool) -> Edge {
    let payload = with_payload.then_some(&b"p"[..]);
    Edge::new(small_node(from).id(), small_node(to).id(), "link", payload)
}

fn ends() -> impl Strategy<Value = (u8, u8, bool)> {
    (0..UNIVERSE, 0..UNIVERSE, any::<bool>())
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..UNIVERSE).prop_map(Op::AddNode),
        2 => (0..UNIVERSE).prop_map(Op::RemoveNode),
        3 => ends().prop_map(|(from, to, payload)| Op::AddEdge(from, to, payload)),
        2 => ends().prop_map(|(from, to, payload)| Op::RemoveEdge(from, to, payload)),
    ]
}

/// `graph` after `ops`; refused ops (a missing end, a touched node, nothing to remove) are
/// skipped.
fn applied(mut graph: Graph, ops: &[Op]) -> Graph {
    for op in ops {
        let _ = match *op {
            Op::AddNode(idx) => graph.add_node(small_node(idx)).map(|_| ()).map_err(drop),
            Op::RemoveNode(idx) => graph
                .remove_node(&small_node(idx).id())
                .map(drop)
                .map_err(drop),
            Op::AddEdge(from, to, payload) => {
                let edge = small_edge(from, to, payload);
                graph.add_edge(edge).map(|_| ()).map_err(drop)
            }
            Op::RemoveEdge(from, to, payload) => {
                let id = small_edge(from, to, payload).id();
                graph.remove_edge(&id).map(drop).map_err(drop)
            }
        };
    }
    graph
}

/// The same nodes and edges as `graph`, built from scratch: no tree node in common with it.
fn rebuilt(graph: &Graph) -> Graph {
    let nodes = graph.nodes_after(None).map(|(_, node)| node.clone());
    let edges = graph.edges_after(None).map(|(_, edge)| edge.clone());
    Graph::build(nodes, edges).expect("the contents of a graph are valid")
}

/// `first` minus `second`, ascending.
fn minus(first: &BTreeSet<Hash>, second: &BTreeSet<Hash>) -> Vec<Hash> {
    first.difference(second).copied().collect()
}

/// The diff of `from` to `to` equals the set differences of their pages, and applying it to
/// `from` gives `to`.
fn assert_diff_is_the_set_difference(from: &Graph, to: &Graph) {
    let node_ids =
        |graph: &Graph| -> BTreeSet<Hash> { graph.nodes_after(None).map(|(id, _)| *id).collect() };
    let edge_ids =
        |graph: &Graph| -> BTreeSet<Hash> { graph.edges_after(None).map(|(id, _)| *id).collect() };
    let diff = from.diff(to);
    let (from_nodes, to_nodes) = (node_ids(from), node_ids(to));
    let (from_edges, to_edges) = (edge_ids(from), edge_ids(to));
    assert_eq!(
        diff.nodes_removed,
        minus(&from_nodes, &to_nodes),
        "nodes removed"
    );
    assert_eq!(
        diff.nodes_added,
        minus(&to_nodes, &from_nodes),
        "nodes added"
    );
    assert_eq!(
        diff.edges_removed,
        minus(&from_edges, &to_edges),
        "edges removed"
    );
    assert_eq!(
        diff.edges_added,
        minus(&to_edges, &from_edges),
        "edges added"
    );
    assert_eq!(diff.is_empty(), from.digest() == to.digest());
    let mut patched = from.clone();
    apply(&mut patched, &diff, to);
    // A graph without trees does not update its digest: recompute it.
    assert_eq!(
        patched.digest_full(),
        to.digest(),
        "the diff applied to `from` is `to`"
    );
}

/// Applies `diff` (from some graph to `to`) to `graph`: edge removals, node removals, node
/// adds, edge adds, the order in which every step is allowed.
fn apply(graph: &mut Graph, diff: &GraphDiff, to: &Graph) {
    for id in &diff.edges_removed {
        graph.remove_edge(id).expect("a removed edge is present");
    }
    for id in &diff.nodes_removed {
        graph
            .remove_node(id)
            .expect("a removed node is present, its edges gone");
    }
    for id in &diff.nodes_added {
        let node = to.node(id).expect("an added node is in `to`").clone();
        assert!(
            graph
                .add_node(node)
                .is_ok_and(|outcome| outcome.id() == *id)
        );
    }
    for id in &diff.edges_added {
        let edge = to.edge(id).expect("an added edge is in `to`").clone();
        assert!(
            graph
                .add_edge(edge)
                .is_ok_and(|outcome| outcome.id() == *id)
        );
    }
}

/// `n_cases` cases, and no regression files: a test run writes nothing.
fn config(n_cases: u32) -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(n_cases)
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn diff_is_the_set_difference_of_the_pages(
        base_ops in vec(op_strategy(), 0..100),
        left_ops in vec(op_strategy(), 0..30),
        right_ops in vec(op_strategy(), 0..30),
        other_ops in vec(op_strategy(), 0..100),
    ) {
        let base = applied(Graph::new(), &base_ops);
        let left = applied(base.clone(), &left_ops);
        let right = applied(base.clone(), &right_ops);
        let unrelated = applied(Graph::new(), &other_ops);
        let left_rebuilt = rebuilt(&left);
        let pairs = [
            (&base, &left),
            (&left, &base),
            (&left, &right),
            (&right, &left),
            (&left, &unrelated),
            (&unrelated, &right),
            (&left_rebuilt, &right),
            (&base, &left_rebuilt),
        ];
        for (from, to) in pairs {
            assert_diff_is_the_set_difference(from, to);
        }
        for graph in [&base, &left, &unrelated] {
            assert_diff_is_the_set_difference(&Graph::new(), graph);
            assert_diff_is_the_set_difference(graph, &Graph::new());
        }
        // Versions kept without their trees, and one rebuilt from such a version as a history
        // does: the maps are walked instead, and give the same lists.
        let base_bare = base.without_trees();
        let mut left_bare = applied(base_bare.clone(), &left_ops);
        left_bare.assume_digest(left.digest());
        prop_assert!(!left_bare.has_trees());
        prop_assert_eq!(left_bare.digest(), left.digest_full());
        prop_assert_eq!(left_bare.commit_digest(), left.commit_digest());
        let regrown = left_bare.with_trees();
        prop_assert!(regrown.has_trees());
        prop_assert_eq!(regrown.digest(), left.digest());
        prop_assert!(regrown.diff(&left).is_empty());
        // Grown from the base's trees instead: updated or rebuilt, the same graph.
        let regrown_from_base = left_bare.with_trees_from(&base);
        prop_assert_eq!(regrown_from_base.digest(), left.digest());
        prop_assert!(regrown_from_base.diff(&left).is_empty());
        let bare_pairs = [
            (&base_bare, &left_bare),
            (&left_bare, &base),
            (&left_bare, &right),
            (&left, &left_bare),
            (&left_bare, &unrelated),
            (&left_bare, &left_rebuilt),
        ];
        for (from, to) in bare_pairs {
            assert_diff_is_the_set_difference(from, to);
        }
        prop_assert!(left.diff(&left_rebuilt).is_empty());
        prop_assert_eq!(
            left.diff_with_stats(&left_rebuilt).1.n_tree_nodes_visited,
            2 * (usize::from(left.n_nodes() > 0) + usize::from(left.n_edges() > 0)),
            "equal graphs: only the roots are read"
        );
    }
}

/// Nodes of the base graph of the scale test.
const N_BASE: u64 = 100_000;
/// Edges of the base graph: `node(idx) -> node(idx + 1)` for `idx < N_BASE_EDGES`.
const N_BASE_EDGES: u64 = 10_000;
/// Changes between the two graphs of the scale test.
const N_CHANGES: usize = 10;

fn node(idx: u64) -> Node {
    Node::new("demo.bulk", idx.to_le_bytes())
}

fn chain_edge(idx: u64) -> Edge {
    Edge::new(node(idx).id(), node(idx + 1).id(), "next", None)
}

/// The base graph, and a clone of it given 4 node adds, 3 node removals, 2 edge adds and 1
/// edge removal, with the expected diff from the first to the second.
fn base_and_changed() -> (Graph, Graph, GraphDiff) {
    let base = Graph::build((0..N_BASE).map(node), (0..N_BASE_EDGES).map(chain_edge))
        .expect("valid graph");
    let mut changed = base.clone();
    let mut expected = GraphDiff::default();
    for idx in N_BASE..N_BASE + 4 {
        let id = changed.add_node(node(idx)).expect("valid node").id();
        expected.nodes_added.push(id);
    }
    // Nodes past the chain have no edges.
    for idx in [N_BASE - 1, N_BASE - 2, N_BASE_EDGES + 7] {
        let removed = changed
            .remove_node(&node(idx).id())
            .expect("untouched node");
        expected.nodes_removed.push(removed.id());
    }
    for idx in [N_BASE_EDGES + 1, N_BASE_EDGES + 2] {
        let id = changed.add_edge(chain_edge(idx)).expect("both ends").id();
        expected.edges_added.push(id);
    }
    let removed = changed.remove_edge(&chain_edge(3).id()).expect("present");
    expected.edges_removed.push(removed.id());
    for list in [
        &mut expected.nodes_removed,
        &mut expected.nodes_added,
        &mut expected.edges_removed,
        &mut expected.edges_added,
    ] {
        list.sort();
    }
    assert_eq!(expected.len(), N_CHANGES);
    (base, changed, expected)
}

#[test]
fn diff_of_100k_node_graphs_differing_in_10_items_reads_o_10_paths() {
    let (base, changed, expected) = base_and_changed();
    // Per change at most 4 reads per level of a path (the pair on the path and the equal pair
    // beside it), over about log2(n) + 2 levels, plus the walk that places the subtree a new
    // branch was put above: 6 per level leaves room for paths deeper than the average (this
    // test reads 537). Reading everything would be the 2 × 2 × (n_nodes + n_edges) tree nodes
    // of the four trees, about 440,000.
    let levels = usize::try_from(N_BASE.ilog2()).expect("small") + 3;
    let bound = N_CHANGES * 6 * levels;
    let everything = 4 * usize::try_from(N_BASE + N_BASE_EDGES).expect("small");
    for (name, to) in [("derived", changed.clone()), ("rebuilt", rebuilt(&changed))] {
        let (diff, stats) = base.diff_with_stats(&to);
        assert_eq!(diff, expected, "{name}");
        let n_visited = stats.n_tree_nodes_visited;
        assert!(
            n_visited <= bound,
            "{name}: {n_visited} tree nodes read, bound {bound}"
        );
        assert!(n_visited * 100 < everything, "{name}: {n_visited} read");
        let (back, back_stats) = to.diff_with_stats(&base);
        assert_eq!(back.nodes_added, expected.nodes_removed, "{name} reversed");
        assert_eq!(back_stats, stats, "{name}: the walk is symmetric");
    }
    let (same, stats) = base.diff_with_stats(&rebuilt(&base));
    assert!(same.is_empty());
    assert_eq!(
        stats.n_tree_nodes_visited, 4,
        "equal graphs: the four roots"
    );
}
