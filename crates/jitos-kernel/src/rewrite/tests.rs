//! The rewrite rules of `docs/spec/rewrites.md`, one test per rule, and a property test that
//! the result is the ops' net set changes whatever their order.

use std::collections::BTreeSet;

use jitos_graph::{Edge, Graph, Node};
use jitos_schema::ErrorCode;
use jitos_schema::ops::{AddEdge, AddNode, Op, RemoveEdge, RemoveNode};
use proptest::prelude::*;

use super::{apply, apply_bulk};

fn node(n: u8) -> Node {
    Node::new("n", [n])
}

fn add_node(n: u8) -> Op {
    Op::AddNode(AddNode {
        kind: "n".to_owned(),
        payload: vec![n],
    })
}

fn edge(from: u8, to: u8) -> Edge {
    Edge::new(node(from).id(), node(to).id(), "e", None)
}

fn add_edge(from: u8, to: u8) -> Op {
    Op::AddEdge(AddEdge {
        from: *node(from).id().as_bytes(),
        to: *node(to).id().as_bytes(),
        kind: "e".to_owned(),
        payload: None,
    })
}

fn remove_node(n: u8) -> Op {
    Op::RemoveNode(RemoveNode {
        id: *node(n).id().as_bytes(),
    })
}

fn remove_edge(from: u8, to: u8) -> Op {
    Op::RemoveEdge(RemoveEdge {
        id: *edge(from, to).id().as_bytes(),
    })
}

/// Nodes 1 and 2 joined by edge 1 → 2.
fn pair() -> Graph {
    apply(&Graph::new(), &[add_node(1), add_node(2), add_edge(1, 2)]).expect("pair")
}

fn fault(graph: &Graph, ops: &[Op]) -> (ErrorCode, String) {
    let error = apply(graph, ops).expect_err("the rewrite must be refused");
    (
        error.code,
        error.field.expect("a rewrite fault names its field"),
    )
}

#[test]
fn an_edge_may_come_before_the_nodes_it_joins() {
    let graph = apply(&Graph::new(), &[add_edge(1, 2), add_node(2), add_node(1)]).expect("ok");
    assert_eq!(graph.digest(), pair().digest());
}

#[test]
fn a_node_goes_with_its_edges_in_any_order() {
    let graph = apply(&pair(), &[remove_node(1), remove_edge(1, 2)]).expect("ok");
    assert_eq!(graph.n_nodes(), 1);
    assert_eq!(graph.n_edges(), 0);
}

#[test]
fn removing_a_touched_node_is_a_conflict_at_its_op() {
    let (code, field) = fault(&pair(), &[add_node(3), remove_node(2)]);
    assert_eq!(code, ErrorCode::Conflict);
    assert_eq!(field, "rewrite.ops[1].data.id");
}

#[test]
fn an_edge_to_a_missing_node_is_not_found_at_its_end() {
    let (code, field) = fault(&pair(), &[add_edge(1, 9)]);
    assert_eq!(code, ErrorCode::NotFound);
    assert_eq!(field, "rewrite.ops[0].data.to");
    let (_, field) = fault(&pair(), &[add_node(3), add_edge(9, 1)]);
    assert_eq!(field, "rewrite.ops[1].data.from");
}

#[test]
fn an_edge_to_a_node_removed_in_the_same_rewrite_dangles() {
    let graph = apply(&Graph::new(), &[add_node(1), add_node(3)]).expect("ok");
    let (code, field) = fault(&graph, &[remove_node(3), add_edge(1, 3)]);
    assert_eq!(code, ErrorCode::NotFound);
    assert_eq!(field, "rewrite.ops[1].data.to");
}

#[test]
fn removing_what_is_absent_is_not_found_at_that_op() {
    let (code, field) = fault(&pair(), &[add_node(3), remove_node(9)]);
    assert_eq!(
        (code, field.as_str()),
        (ErrorCode::NotFound, "rewrite.ops[1].data.id")
    );
    let (code, field) = fault(&pair(), &[remove_edge(2, 1)]);
    assert_eq!(
        (code, field.as_str()),
        (ErrorCode::NotFound, "rewrite.ops[0].data.id")
    );
    // Removed earlier in the same rewrite counts as absent.
    let (_, field) = fault(&pair(), &[remove_edge(1, 2), remove_edge(1, 2)]);
    assert_eq!(field, "rewrite.ops[1].data.id");
}

#[test]
fn a_sequential_fault_wins_over_an_end_state_fault() {
    // Op 0 would leave node 2 touched (end state); op 1 fails at its position.
    let (code, field) = fault(&pair(), &[remove_node(2), remove_node(9)]);
    assert_eq!(
        (code, field.as_str()),
        (ErrorCode::NotFound, "rewrite.ops[1].data.id")
    );
}

#[test]
fn of_several_end_state_faults_the_lowest_op_decides() {
    let (code, field) = fault(&pair(), &[add_edge(7, 1), remove_node(2), add_edge(1, 8)]);
    assert_eq!(
        (code, field.as_str()),
        (ErrorCode::NotFound, "rewrite.ops[0].data.from")
    );
    let (code, field) = fault(&pair(), &[add_node(4), remove_node(1), add_edge(2, 8)]);
    assert_eq!(
        (code, field.as_str()),
        (ErrorCode::Conflict, "rewrite.ops[1].data.id")
    );
}

#[test]
fn a_refused_rewrite_leaves_the_graph_as_it_was() {
    let graph = pair();
    let before = graph.digest();
    assert!(apply(&graph, &[add_node(5), remove_node(1)]).is_err());
    assert_eq!(graph.digest(), before);
    assert_eq!(graph.n_nodes(), 2);
}

#[test]
fn add_remove_add_ends_present_and_remove_add_remove_ends_absent() {
    let graph = apply(&pair(), &[add_node(3), remove_node(3), add_node(3)]).expect("ok");
    assert!(graph.contains_node(&node(3).id()));
    let graph = apply(&graph, &[remove_node(3), add_node(3), remove_node(3)]).expect("ok");
    assert!(!graph.contains_node(&node(3).id()));
}

/// A graph as plain sets: node numbers and (from, to) pairs.
type Sets = (BTreeSet<u8>, BTreeSet<(u8, u8)>);

/// The reference: the ops as set operations, then the end-state check.
fn model(nodes: &BTreeSet<u8>, edges: &BTreeSet<(u8, u8)>, script: &[Step]) -> Option<Sets> {
    let (mut nodes, mut edges) = (nodes.clone(), edges.clone());
    for step in script {
        match *step {
            Step::AddNode(n) => {
                nodes.insert(n);
            }
            Step::RemoveNode(n) => {
                if !nodes.remove(&n) {
                    return None;
                }
            }
            Step::AddEdge(a, b) => {
                edges.insert((a, b));
            }
            Step::RemoveEdge(a, b) => {
                if !edges.remove(&(a, b)) {
                    return None;
                }
            }
        }
    }
    let valid = edges
        .iter()
        .all(|(a, b)| nodes.contains(a) && nodes.contains(b));
    valid.then_some((nodes, edges))
}

#[derive(Debug, Clone, Copy)]
enum Step {
    AddNode(u8),
    RemoveNode(u8),
    AddEdge(u8, u8),
    RemoveEdge(u8, u8),
}

impl Step {
    fn op(self) -> Op {
        match self {
            Step::AddNode(n) => add_node(n),
            Step::RemoveNode(n) => remove_node(n),
            Step::AddEdge(a, b) => add_edge(a, b),
            Step::RemoveEdge(a, b) => remove_edge(a, b),
        }
    }
}

fn step() -> impl Strategy<Value = Step> {
    let n = 0u8..5;
    prop_oneof![
        n.clone().prop_map(Step::AddNode),
        n.clone().prop_map(Step::RemoveNode),
        (n.clone(), n.clone()).prop_map(|(a, b)| Step::AddEdge(a, b)),
        (n.clone(), n).prop_map(|(a, b)| Step::RemoveEdge(a, b)),
    ]
}

fn build(nodes: &BTreeSet<u8>, edges: &BTreeSet<(u8, u8)>) -> Graph {
    let mut graph = Graph::new();
    for n in nodes {
        let _ = graph.add_node(node(*n)).expect("node");
    }
    for (a, b) in edges {
        let _ = graph.add_edge(edge(*a, *b)).expect("edge");
    }
    graph
}

proptest! {
    #[test]
    fn a_rewrite_is_its_net_set_changes(
        start in proptest::collection::vec(step(), 0..12),
        script in proptest::collection::vec(step(), 1..12),
    ) {
        // A valid starting graph: whatever prefix of `start` the model accepts step by step.
        let (mut nodes, mut edges) = (BTreeSet::new(), BTreeSet::new());
        for s in &start {
            if let Some(next) = model(&nodes, &edges, std::slice::from_ref(s)) {
                (nodes, edges) = next;
            }
        }
        let graph = build(&nodes, &edges);
        let ops: Vec<Op> = script.iter().map(|s| s.op()).collect();
        match (apply(&graph, &ops), model(&nodes, &edges, &script)) {
            (Ok(after), Some((nodes, edges))) => {
                prop_assert_eq!(after.digest(), build(&nodes, &edges).digest());
                // The bulk path (from scratch when the change outweighs the graph) agrees.
                let bulk = apply_bulk(&graph, &ops).expect("the same rewrite applies");
                prop_assert_eq!(bulk.digest(), after.digest());
                prop_assert_eq!(bulk.commit_digest(), after.commit_digest());
            }
            (Err(_), None) => {
                prop_assert!(apply_bulk(&graph, &ops).is_err());
                prop_assert_eq!(graph.digest(), build(&nodes, &edges).digest());
            }
            (got, expected) => prop_assert!(false, "kernel {:?}, model {:?}", got.map(|g| g.digest()), expected),
        }
    }
}

#[test]
fn re_adding_an_edge_makes_its_add_answer_for_its_ends() {
    // Edge 1 → 2 exists; op 0 re-adds it, op 1 removes its end: the lower op decides.
    let (code, field) = fault(&pair(), &[add_edge(1, 2), remove_node(2)]);
    assert_eq!(
        (code, field.as_str()),
        (ErrorCode::NotFound, "rewrite.ops[0].data.to")
    );
    // In the other order the removal comes first.
    let (code, field) = fault(&pair(), &[remove_node(2), add_edge(1, 2)]);
    assert_eq!(
        (code, field.as_str()),
        (ErrorCode::Conflict, "rewrite.ops[0].data.id")
    );
}

#[test]
fn a_bulk_rewrite_builds_from_scratch_only_when_the_change_outweighs_the_graph() {
    let base = apply(&Graph::new(), &(0..40).map(add_node).collect::<Vec<_>>()).expect("ok");
    let small = [add_node(100), remove_node(3), add_edge(1, 2)];
    let large: Vec<Op> = (50..100).map(add_node).chain([remove_node(0)]).collect();
    // Only adds (one of a node the base holds, one twice): built without a check.
    let adds: Vec<Op> = (50..100)
        .map(add_node)
        .chain([add_node(1), add_node(50)])
        .collect();
    for ops in [&small[..], &large[..], &adds[..]] {
        let expected = apply(&base, ops).expect("applies");
        let bulk = apply_bulk(&base, ops).expect("applies");
        assert_eq!(bulk.digest(), expected.digest());
        assert_eq!(bulk.n_nodes(), expected.n_nodes());
        // In place, the result shares the base's trees; from scratch, nothing.
        let stats = bulk.tree_stats(&base);
        let shares = stats.n_tree_nodes_not_in_base < stats.n_tree_nodes;
        assert_eq!(shares, ops.len() < base.n_nodes(), "{} ops", ops.len());
    }
}
