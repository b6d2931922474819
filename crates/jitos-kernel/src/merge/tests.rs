//! The conflict table of `docs/spec/collapse.md`, one test per kind, and a property test
//! against plain sets: conflicts exactly when the reference finds them, and otherwise the ops
//! apply to System and give (System ∪ overlay adds) ∖ overlay removals.

use std::collections::BTreeSet;

use jitos_graph::{Edge, Graph, Node};
use proptest::prelude::*;

use super::{ConflictKind, ItemKind, merge};
use crate::rewrite;

fn node(n: u8) -> Node {
    Node::new("m", [n])
}

fn edge(a: u8, b: u8) -> Edge {
    Edge::new(node(a).id(), node(b).id(), "e", None)
}

/// A graph of plain sets.
#[derive(Debug, Clone, Default, PartialEq)]
struct Sets {
    nodes: BTreeSet<u8>,
    edges: BTreeSet<(u8, u8)>,
}

impl Sets {
    fn graph(&self) -> Graph {
        let mut graph = Graph::new();
        for n in &self.nodes {
            let _ = graph.add_node(node(*n)).expect("node");
        }
        for (a, b) in &self.edges {
            let _ = graph.add_edge(edge(*a, *b)).expect("edge");
        }
        graph
    }

    fn with(nodes: &[u8], edges: &[(u8, u8)]) -> Sets {
        Sets {
            nodes: nodes.iter().copied().collect(),
            edges: edges.iter().copied().collect(),
        }
    }
}

fn kinds(base: &Sets, overlay: &Sets, system: &Sets) -> Vec<(ConflictKind, ItemKind)> {
    merge(&base.graph(), &overlay.graph(), &system.graph())
        .conflicts
        .iter()
        .map(|c| (c.kind, c.subject))
        .collect()
}

#[test]
fn an_overlay_edge_to_a_node_system_removed_conflicts() {
    let base = Sets::with(&[1, 2], &[(1, 2)]);
    let overlay = Sets::with(&[1, 2, 3], &[(1, 2), (2, 3)]);
    let system = Sets::with(&[1], &[]);
    let found = merge(&base.graph(), &overlay.graph(), &system.graph()).conflicts;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, ConflictKind::EdgeEndRemoved);
    assert_eq!(found[0].id, edge(2, 3).id());
    assert_eq!(found[0].system_id, node(2).id());
}

#[test]
fn an_overlay_node_removal_under_a_new_system_edge_conflicts() {
    let base = Sets::with(&[1, 2], &[]);
    let overlay = Sets::with(&[2], &[]);
    let system = Sets::with(&[1, 2], &[(2, 1)]);
    assert_eq!(
        kinds(&base, &overlay, &system),
        [(ConflictKind::NodeRemovalUnderNewEdge, ItemKind::Node)]
    );
}

#[test]
fn removing_what_system_already_removed_conflicts() {
    let base = Sets::with(&[1, 2], &[(1, 2)]);
    let overlay = Sets::with(&[1, 2], &[]);
    let system = Sets::with(&[1, 2], &[]);
    assert_eq!(
        kinds(&base, &overlay, &system),
        [(ConflictKind::AlreadyRemoved, ItemKind::Edge)]
    );
}

#[test]
fn the_same_addition_on_both_sides_is_no_conflict() {
    let base = Sets::with(&[1], &[]);
    let both = Sets::with(&[1, 2], &[(1, 2)]);
    let merged = merge(&base.graph(), &both.graph(), &both.graph());
    assert!(merged.conflicts.is_empty());
    let result = rewrite::apply(&both.graph(), &merged.ops).expect("applies");
    assert_eq!(result.digest(), both.graph().digest());
}

fn sets() -> impl Strategy<Value = Sets> {
    (
        proptest::collection::btree_set(0u8..6, 0..6),
        proptest::collection::btree_set((0u8..6, 0u8..6), 0..8),
    )
        .prop_map(|(nodes, edges)| {
            let edges = edges
                .into_iter()
                .filter(|(a, b)| nodes.contains(a) && nodes.contains(b))
                .collect();
            Sets { nodes, edges }
        })
}

/// A graph derived from `base`: some of its items dropped (edges with a dropped end too), some
/// of `extra`'s added (edges only between present nodes).
fn derive(base: &Sets, drop: &BTreeSet<u8>, extra: &Sets) -> Sets {
    let nodes: BTreeSet<u8> = base
        .nodes
        .iter()
        .filter(|n| !drop.contains(n))
        .chain(&extra.nodes)
        .copied()
        .collect();
    let edges = base
        .edges
        .iter()
        .filter(|(a, b)| !drop.contains(&a.wrapping_add(*b)))
        .chain(&extra.edges)
        .filter(|(a, b)| nodes.contains(a) && nodes.contains(b))
        .copied()
        .collect();
    Sets { nodes, edges }
}

/// The reference: the conflict kinds plain sets show.
fn reference(base: &Sets, overlay: &Sets, system: &Sets) -> BTreeSet<ConflictKind> {
    let mut found = BTreeSet::new();
    let sys_removed: BTreeSet<u8> = base.nodes.difference(&system.nodes).copied().collect();
    for (a, b) in overlay.edges.difference(&base.edges) {
        if sys_removed.contains(a) || sys_removed.contains(b) {
            found.insert(ConflictKind::EdgeEndRemoved);
        }
    }
    let sys_new_edges: BTreeSet<&(u8, u8)> = system.edges.difference(&base.edges).collect();
    for n in base.nodes.difference(&overlay.nodes) {
        if sys_new_edges.iter().any(|(a, b)| a == n || b == n) {
            found.insert(ConflictKind::NodeRemovalUnderNewEdge);
        }
        if !system.nodes.contains(n) {
            found.insert(ConflictKind::AlreadyRemoved);
        }
    }
    if base
        .edges
        .difference(&overlay.edges)
        .any(|e| !system.edges.contains(e))
    {
        found.insert(ConflictKind::AlreadyRemoved);
    }
    found
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn merge_agrees_with_plain_sets(
        base in sets(),
        ours in (proptest::collection::btree_set(0u8..12, 0..4), sets()),
        theirs in (proptest::collection::btree_set(0u8..12, 0..4), sets()),
    ) {
        let overlay = derive(&base, &ours.0, &ours.1);
        let system = derive(&base, &theirs.0, &theirs.1);
        let merged = merge(&base.graph(), &overlay.graph(), &system.graph());
        let kinds: BTreeSet<ConflictKind> = merged.conflicts.iter().map(|c| c.kind).collect();
        prop_assert_eq!(&kinds, &reference(&base, &overlay, &system));
        let sorted = merged.conflicts.windows(2).all(|pair| pair[0] < pair[1]);
        prop_assert!(sorted, "conflicts are sorted and unique");
        if kinds.is_empty() {
            let result = rewrite::apply(&system.graph(), &merged.ops).expect("a conflict-free merge applies");
            let nodes = system.nodes.union(&overlay.nodes.difference(&base.nodes).copied().collect()).copied()
                .filter(|n| !base.nodes.difference(&overlay.nodes).any(|gone| gone == n))
                .collect();
            let edges = system.edges.union(&overlay.edges.difference(&base.edges).copied().collect()).copied()
                .filter(|e| !base.edges.difference(&overlay.edges).any(|gone| gone == e))
                .collect();
            prop_assert_eq!(result.digest(), Sets { nodes, edges }.graph().digest());
        } else {
            prop_assert!(merged.ops.is_empty());
        }
    }
}
