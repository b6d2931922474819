//! Unit tests of `Graph`: each error of each operation, that errors change nothing, paging,
//! adjacency, the commit digest cache, the bulk builder and the diff of two graphs.
//!
//! # Invariants
//! - Every test that expects an error also checks that the digest and the counts are as they
//!   were before the call.

use std::sync::Arc;

use jitos_core::Hash;
use jitos_core::limits::{KIND_LEN_MAX, PAYLOAD_BYTES_MAX};

use super::*;

/// The largest hash: a cursor after every id.
const HASH_MAX: Hash = Hash::from_bytes([0xff; 32]);

fn node(kind: &str, payload: &[u8]) -> Node {
    Node::new(kind, payload)
}

fn edge(from: &Node, to: &Node, kind: &str, payload: Option<&[u8]>) -> Edge {
    Edge::new(from.id(), to.id(), kind, payload)
}

/// Three nodes a, b, c and the edges a->b (no payload), b->c (payload) and c->c.
fn sample() -> (Graph, [Node; 3], [Edge; 3]) {
    let nodes = [
        node("demo.a", b"A"),
        node("demo.b", b"B"),
        node("demo.c", b""),
    ];
    let edges = [
        edge(&nodes[0], &nodes[1], "link", None),
        edge(&nodes[1], &nodes[2], "link", Some(b"w=1")),
        edge(&nodes[2], &nodes[2], "self", Some(b"")),
    ];
    let mut graph = Graph::new();
    for n in &nodes {
        assert!(matches!(
            graph.add_node(n.clone()),
            Ok(AddOutcome::Added { .. })
        ));
    }
    for e in &edges {
        assert!(matches!(
            graph.add_edge(e.clone()),
            Ok(AddOutcome::Added { .. })
        ));
    }
    (graph, nodes, edges)
}

fn unchanged(before: &Graph, after: &Graph) {
    assert_eq!(before.digest(), after.digest());
    assert_eq!(before.n_nodes(), after.n_nodes());
    assert_eq!(before.n_edges(), after.n_edges());
    assert_eq!(before.commit_digest(), after.commit_digest());
}

#[test]
fn empty_graph_digests() {
    let graph = Graph::new();
    assert_eq!(graph.node_root(), Hash::ZERO);
    assert_eq!(graph.edge_root(), Hash::ZERO);
    assert_eq!(graph.digest(), graph_root(&Hash::ZERO, &Hash::ZERO));
    assert_eq!(graph.digest(), graph.digest_full());
    assert_eq!(
        graph.commit_digest().to_string(),
        "1af810ab37e21bda10516a0ae872e4ab1562c69d8327f4285b78b7e744e8427a"
    );
    assert!(format!("{graph:?}").contains("n_nodes: 0"));
}

#[test]
fn adding_a_present_node_or_edge_changes_nothing() {
    let (mut graph, nodes, edges) = sample();
    let before = graph.clone();
    let outcome = graph.add_node(nodes[1].clone()).unwrap();
    assert_eq!(outcome, AddOutcome::AlreadyPresent { id: nodes[1].id() });
    let outcome = graph.add_edge(edges[0].clone()).unwrap();
    assert_eq!(outcome, AddOutcome::AlreadyPresent { id: edges[0].id() });
    assert_eq!(outcome.id(), edges[0].id());
    unchanged(&before, &graph);
}

#[test]
fn node_limits_are_enforced() {
    let (mut graph, _, _) = sample();
    let before = graph.clone();
    let too_long = "k".repeat(KIND_LEN_MAX + 1);
    assert_eq!(
        graph.add_node(node("", b"")),
        Err(AddNodeError::KindLength { len: 0 })
    );
    assert_eq!(
        graph.add_node(node(&too_long, b"")),
        Err(AddNodeError::KindLength {
            len: KIND_LEN_MAX + 1
        })
    );
    let big = vec![0u8; PAYLOAD_BYTES_MAX + 1];
    assert_eq!(
        graph.add_node(Node::new("demo", big)),
        Err(AddNodeError::PayloadTooLarge {
            len: PAYLOAD_BYTES_MAX + 1
        })
    );
    unchanged(&before, &graph);
    let longest = "k".repeat(KIND_LEN_MAX);
    let max = Node::new(longest.as_str(), vec![0u8; PAYLOAD_BYTES_MAX]);
    assert!(matches!(graph.add_node(max), Ok(AddOutcome::Added { .. })));
}

#[test]
fn edge_errors_name_the_missing_end_and_change_nothing() {
    let (mut graph, nodes, _) = sample();
    let before = graph.clone();
    let ghost = node("demo.ghost", b"?");
    let missing_from = edge(&ghost, &nodes[0], "link", None);
    assert_eq!(
        graph.add_edge(missing_from),
        Err(AddEdgeError::MissingFrom { from: ghost.id() })
    );
    let missing_to = edge(&nodes[0], &ghost, "link", None);
    assert_eq!(
        graph.add_edge(missing_to),
        Err(AddEdgeError::MissingTo { to: ghost.id() })
    );
    let both = edge(&ghost, &ghost, "link", None);
    assert!(matches!(
        graph.add_edge(both),
        Err(AddEdgeError::MissingFrom { .. })
    ));
    let no_kind = edge(&nodes[0], &nodes[1], "", None);
    assert_eq!(
        graph.add_edge(no_kind),
        Err(AddEdgeError::KindLength { len: 0 })
    );
    let big = Edge::new(
        nodes[0].id(),
        nodes[1].id(),
        "l",
        Some(&vec![0u8; PAYLOAD_BYTES_MAX + 1]),
    );
    assert_eq!(
        graph.add_edge(big),
        Err(AddEdgeError::PayloadTooLarge {
            len: PAYLOAD_BYTES_MAX + 1
        })
    );
    unchanged(&before, &graph);
}

#[test]
fn removing_a_touched_node_lists_the_edge_and_changes_nothing() {
    let (mut graph, nodes, edges) = sample();
    let before = graph.clone();
    let b = nodes[1].id();
    let mut touching = [edges[0].id(), edges[1].id()];
    touching.sort();
    assert_eq!(
        graph.remove_node(&b),
        Err(RemoveNodeError::StillTouched {
            id: b,
            edge: touching[0],
            n_edges: 2
        })
    );
    unchanged(&before, &graph);
    let message = graph.remove_node(&b).unwrap_err().to_string();
    assert!(message.contains(&touching[0].to_string()), "{message}");
    // Once the edges are gone, the node goes.
    graph.remove_edge(&edges[0].id()).unwrap();
    graph.remove_edge(&edges[1].id()).unwrap();
    assert_eq!(graph.remove_node(&b), Ok(nodes[1].clone()));
    assert!(!graph.contains_node(&b));
}

#[test]
fn removing_missing_things_is_not_found() {
    let (mut graph, _, _) = sample();
    let before = graph.clone();
    let ghost = Hash::from_bytes([7; 32]);
    assert_eq!(
        graph.remove_node(&ghost),
        Err(RemoveNodeError::NotFound { id: ghost })
    );
    assert_eq!(
        graph.remove_edge(&ghost),
        Err(RemoveEdgeError::NotFound { id: ghost })
    );
    unchanged(&before, &graph);
}

#[test]
fn add_then_remove_restores_both_digests() {
    let (graph, nodes, _) = sample();
    let mut changed = graph.clone();
    let extra = node("demo.extra", b"x");
    assert!(matches!(
        changed.add_node(extra.clone()),
        Ok(AddOutcome::Added { .. })
    ));
    let link = edge(&nodes[0], &extra, "link", Some(b"p"));
    assert!(matches!(
        changed.add_edge(link.clone()),
        Ok(AddOutcome::Added { .. })
    ));
    assert_ne!(changed.digest(), graph.digest());
    assert_ne!(changed.commit_digest(), graph.commit_digest());
    assert_eq!(changed.remove_edge(&link.id()), Ok(link));
    assert_eq!(changed.remove_node(&extra.id()), Ok(extra));
    unchanged(&graph, &changed);
}

#[test]
fn edges_touching_lists_each_edge_once_in_id_order() {
    let (graph, nodes, edges) = sample();
    let at = |n: &Node| graph.edges_touching(&n.id()).copied().collect::<Vec<_>>();
    assert_eq!(at(&nodes[0]), vec![edges[0].id()]);
    let mut at_b = vec![edges[0].id(), edges[1].id()];
    at_b.sort();
    assert_eq!(at(&nodes[1]), at_b);
    let mut at_c = vec![edges[1].id(), edges[2].id()];
    at_c.sort();
    assert_eq!(at(&nodes[2]), at_c, "the self-loop appears once");
    assert_eq!(graph.edges_touching(&Hash::ZERO).count(), 0);
}

#[test]
fn paging_after_a_cursor_neither_skips_nor_repeats() {
    let (graph, _, _) = sample();
    let all: Vec<NodeId> = graph.nodes_after(None).map(|(id, _)| *id).collect();
    assert_eq!(all.len(), 3);
    assert!(
        all.windows(2).all(|pair| pair[0] < pair[1]),
        "ascending ids"
    );
    let mut paged = Vec::new();
    let mut cursor = None;
    while let Some((id, _)) = graph.nodes_after(cursor.as_ref()).next() {
        paged.push(*id);
        cursor = Some(*id);
    }
    assert_eq!(paged, all);
    // A cursor that is not an id of the graph still pages from the right place.
    let between = graph.nodes_after(Some(&Hash::ZERO)).count();
    assert_eq!(between, 3);
    let edges: Vec<EdgeId> = graph.edges_after(None).map(|(id, _)| *id).collect();
    assert!(edges.windows(2).all(|pair| pair[0] < pair[1]));
    assert_eq!(graph.edges_after(Some(&edges[0])).count(), 2);
    assert_eq!(graph.edges_after(Some(&HASH_MAX)).count(), 0);
}

#[test]
fn commit_digest_is_cached_per_version() {
    let (graph, _, _) = sample();
    let clone = graph.clone();
    assert!(Arc::ptr_eq(&graph.commit_digest, &clone.commit_digest));
    assert!(clone.commit_digest.get().is_none());
    let digest = graph.commit_digest();
    assert_eq!(
        clone.commit_digest.get(),
        Some(&digest),
        "clones share the cache"
    );
    assert_eq!(digest, graph.commit_digest_full());
    let mut changed = clone.clone();
    assert!(matches!(
        changed.add_node(node("demo.d", b"D")),
        Ok(AddOutcome::Added { .. })
    ));
    assert!(
        changed.commit_digest.get().is_none(),
        "a change drops the cache"
    );
    assert_ne!(changed.commit_digest(), digest);
    assert_eq!(clone.commit_digest(), digest);
}

#[test]
fn build_equals_one_by_one_and_reports_the_offender() {
    let (graph, nodes, edges) = sample();
    let mut shuffled_nodes = nodes.to_vec();
    shuffled_nodes.reverse();
    shuffled_nodes.push(nodes[0].clone());
    let built = Graph::build(shuffled_nodes, edges.to_vec()).unwrap();
    unchanged(&graph, &built);
    assert_eq!(built.node_root(), graph.node_root());
    assert_eq!(built.edge_root(), graph.edge_root());
    let at: Vec<_> = built.edges_touching(&nodes[2].id()).collect();
    assert_eq!(at.len(), 2);
    let bad = Graph::build([nodes[0].clone(), node("", b"")], []);
    assert_eq!(
        bad.unwrap_err(),
        BuildError::Node {
            index: 1,
            source: AddNodeError::KindLength { len: 0 }
        }
    );
    let dangling = Graph::build([nodes[0].clone()], edges.to_vec());
    assert_eq!(
        dangling.unwrap_err(),
        BuildError::Edge {
            index: 0,
            source: AddEdgeError::MissingTo { to: nodes[1].id() }
        }
    );
}

#[test]
fn adding_nodes_at_once_equals_adding_them_one_by_one() {
    let numbered = |range: std::ops::Range<u64>| -> Vec<Node> {
        range.map(|i| node("n", &i.to_be_bytes())).collect()
    };
    let base = Graph::build(numbered(0..100), []).unwrap();
    // A batch too small to merge (goes one by one), and ones large enough to merge into a
    // graph without trees, with nodes the graph holds and nodes given twice.
    for batch in [numbered(90..95), numbered(50..400), numbered(0..1000)] {
        let mut batch = batch;
        batch.push(batch[0].clone());
        let mut one_by_one = base.clone();
        for node in batch.clone() {
            let _outcome = one_by_one.add_node(node).unwrap();
        }
        let mut bare = base.without_trees();
        bare.add_nodes(batch.clone()).unwrap();
        let bare = bare.with_trees();
        assert_eq!(bare.digest(), one_by_one.digest());
        assert_eq!(bare.digest(), bare.digest_full());
        assert!(
            bare.nodes_after(None)
                .map(|(id, _)| *id)
                .eq(one_by_one.nodes_after(None).map(|(id, _)| *id))
        );
        let mut with_trees = base.clone();
        with_trees.add_nodes(batch).unwrap();
        assert_eq!(with_trees.digest(), one_by_one.digest());
    }
    // Into an empty graph, where there is nothing to merge with.
    let mut batch = numbered(0..1000);
    batch.push(batch[0].clone());
    let mut bare = Graph::new().without_trees();
    bare.add_nodes(batch).unwrap();
    let bare = bare.with_trees();
    assert_eq!(bare.n_nodes(), 1000);
    assert_eq!(
        bare.digest(),
        Graph::build(numbered(0..1000), []).unwrap().digest()
    );
    assert_eq!(bare.digest(), bare.digest_full());
    let mut bare = base.without_trees();
    let refused = bare.add_nodes(vec![node("n", b"fine"), node("", b"")]);
    assert_eq!(refused, Err(AddNodeError::KindLength { len: 0 }));
    assert_eq!(bare.n_nodes(), 100, "a refused batch adds nothing");
}

#[test]
fn a_build_large_enough_to_use_every_core_has_the_digest_recomputed_from_scratch() {
    let n_nodes = crate::parallel::PARALLEL_MIN + 100;
    let nodes: Vec<Node> = (0..n_nodes as u64)
        .map(|i| node("big", &i.to_le_bytes()))
        .collect();
    // A chain: every node but the last has one edge to the next.
    let edges: Vec<Edge> = nodes
        .windows(2)
        .map(|pair| edge(&pair[0], &pair[1], "next", None))
        .collect();
    let built = Graph::build(nodes.clone(), edges.clone()).unwrap();
    assert_eq!(built.digest(), built.digest_full());
    assert_eq!(built.n_nodes(), n_nodes);
    assert_eq!(built.n_edges(), n_nodes - 1);
}

#[test]
fn tree_stats_count_shared_nodes() {
    let (graph, _, _) = sample();
    let stats = graph.tree_stats(&Graph::new());
    // Crit-bit trees of n leaves have 2n - 1 nodes: 5 for the nodes, 5 for the edges.
    assert_eq!(
        stats,
        TreeStats {
            n_tree_nodes: 10,
            n_tree_nodes_not_in_base: 10
        }
    );
    let same = graph.tree_stats(&graph.clone());
    assert_eq!(same.n_tree_nodes_not_in_base, 0);
}

fn sorted(mut ids: Vec<Hash>) -> Vec<Hash> {
    ids.sort();
    ids
}

#[test]
fn diff_lists_removed_and_added_ids_in_id_order() {
    let (graph, nodes, edges) = sample();
    let (same, stats) = graph.diff_with_stats(&graph.clone());
    assert!(same.is_empty());
    assert_eq!(stats.n_tree_nodes_visited, 4, "the two pairs of roots");
    assert_eq!(
        Graph::new()
            .diff_with_stats(&Graph::new())
            .1
            .n_tree_nodes_visited,
        0
    );
    let mut changed = graph.clone();
    let extra = [node("demo.d", b"D"), node("demo.e", b"E")];
    for n in &extra {
        assert!(matches!(
            changed.add_node(n.clone()),
            Ok(AddOutcome::Added { .. })
        ));
    }
    let link = edge(&nodes[0], &extra[1], "link", None);
    assert!(matches!(
        changed.add_edge(link.clone()),
        Ok(AddOutcome::Added { .. })
    ));
    for e in &edges[..2] {
        changed.remove_edge(&e.id()).unwrap();
    }
    changed.remove_node(&nodes[1].id()).unwrap();
    let diff = graph.diff(&changed);
    let expected = GraphDiff {
        nodes_removed: vec![nodes[1].id()],
        nodes_added: sorted(extra.iter().map(Node::id).collect()),
        edges_removed: sorted(edges[..2].iter().map(Edge::id).collect()),
        edges_added: vec![link.id()],
    };
    assert_eq!(diff, expected);
    assert_eq!(diff.len(), 6);
    let back = changed.diff(&graph);
    assert_eq!(
        back.nodes_removed, diff.nodes_added,
        "the reverse swaps the lists"
    );
    assert_eq!(back.nodes_added, diff.nodes_removed);
    assert_eq!(back.edges_removed, diff.edges_added);
    assert_eq!(back.edges_added, diff.edges_removed);
    // From nothing, everything is added, in the order the graph pages its ids.
    let all = Graph::new().diff(&graph);
    let node_ids: Vec<NodeId> = graph.nodes_after(None).map(|(id, _)| *id).collect();
    let edge_ids: Vec<EdgeId> = graph.edges_after(None).map(|(id, _)| *id).collect();
    assert_eq!((all.nodes_added, all.edges_added), (node_ids, edge_ids));
    assert!(all.nodes_removed.is_empty() && all.edges_removed.is_empty());
}

#[test]
fn diff_lists_page_after_a_cursor() {
    let ids: Vec<Hash> = (1u8..=5)
        .map(|byte| Hash::from_bytes([byte * 2; 32]))
        .collect();
    assert_eq!(GraphDiff::ids_after(&ids, None), &ids[..]);
    assert_eq!(GraphDiff::ids_after(&ids, Some(&ids[1])), &ids[2..]);
    // A cursor between two ids, before all, and after all.
    let between = Hash::from_bytes([5; 32]);
    assert_eq!(GraphDiff::ids_after(&ids, Some(&between)), &ids[2..]);
    assert_eq!(GraphDiff::ids_after(&ids, Some(&Hash::ZERO)), &ids[..]);
    assert!(GraphDiff::ids_after(&ids, Some(&HASH_MAX)).is_empty());
    assert!(GraphDiff::ids_after(&[], None).is_empty());
    let mut paged = Vec::new();
    let mut cursor: Option<Hash> = None;
    loop {
        let rest = GraphDiff::ids_after(&ids, cursor.as_ref());
        let page = &rest[..rest.len().min(2)];
        let Some(last) = page.last() else { break };
        paged.extend_from_slice(page);
        cursor = Some(*last);
    }
    assert_eq!(paged, ids);
}
