//! Property tests: random op sequences against the reference model, insertion-order and history
//! independence of both digests, content addressing, and old versions staying intact.
//!
//! # Invariants
//! - After every op the crate's outcome (added, already present, or which error) equals the
//!   model's, and its incremental digest equals the reference digest; at the end the
//!   from-scratch digest, the commit digest, the pages and the adjacency equal the reference.
//! - Ops draw nodes from a small universe so that adds repeat, removals hit present nodes and
//!   edges, and removals are refused while edges remain.

use jitos_core::Hash;
use jitos_graph::{AddEdgeError, AddOutcome, Edge, Graph, Node, RemoveEdgeError, RemoveNodeError};
use proptest::collection::vec;
use proptest::prelude::*;

use crate::reference::{self, Bytes32, RefEdge, RefError, RefGraph, RefNode, RefOutcome};

/// Number of distinct nodes ops can name.
const UNIVERSE: u8 = 12;
const KINDS: [&str; 2] = ["demo.a", "b"];

/// An edge named by its parts: ends and kind by index, payload 0 = none, 1 = empty, 2 = "p".
#[derive(Debug, Clone, Copy)]
struct EdgeChoice {
    from: u8,
    to: u8,
    kind: u8,
    payload: u8,
}

#[derive(Debug, Clone, Copy)]
enum Op {
    AddNode(u8),
    RemoveNode(u8),
    AddEdge(EdgeChoice),
    RemoveEdge(EdgeChoice),
}

fn ref_node(idx: u8) -> RefNode {
    RefNode {
        kind: KINDS[usize::from(idx % 2)].to_owned(),
        payload: vec![b'p'; usize::from(idx / 2)],
    }
}

fn crate_node(idx: u8) -> Node {
    let node = ref_node(idx);
    Node::new(node.kind.as_str(), node.payload)
}

fn ref_edge(choice: EdgeChoice) -> RefEdge {
    RefEdge {
        from: ref_node(choice.from).id(),
        to: ref_node(choice.to).id(),
        kind: KINDS[usize::from(choice.kind)].to_owned(),
        payload: match choice.payload {
            0 => None,
            1 => Some(Vec::new()),
            _ => Some(b"p".to_vec()),
        },
    }
}

fn crate_edge(choice: EdgeChoice) -> Edge {
    let edge = ref_edge(choice);
    Edge::new(
        h(&edge.from),
        h(&edge.to),
        edge.kind.as_str(),
        edge.payload.as_deref(),
    )
}

fn h(bytes: &Bytes32) -> Hash {
    Hash::from_bytes(*bytes)
}

fn edge_choice() -> impl Strategy<Value = EdgeChoice> {
    (0..UNIVERSE, 0..UNIVERSE, 0u8..2, 0u8..3).prop_map(|(from, to, kind, payload)| EdgeChoice {
        from,
        to,
        kind,
        payload,
    })
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..UNIVERSE).prop_map(Op::AddNode),
        1 => (0..UNIVERSE).prop_map(Op::RemoveNode),
        4 => edge_choice().prop_map(Op::AddEdge),
        2 => edge_choice().prop_map(Op::RemoveEdge),
    ]
}

fn add_outcome(outcome: AddOutcome, expected_id: &Bytes32) -> RefOutcome {
    assert_eq!(outcome.id(), h(expected_id), "outcome id");
    match outcome {
        AddOutcome::Added { .. } => RefOutcome::Added,
        AddOutcome::AlreadyPresent { .. } => RefOutcome::AlreadyPresent,
    }
}

/// Applies `op` to both, returning what each reported, in the model's terms.
fn apply(graph: &mut Graph, model: &mut RefGraph, op: Op) -> [Result<RefOutcome, RefError>; 2] {
    match op {
        Op::AddNode(idx) => {
            let id = ref_node(idx).id();
            let ours = match graph.add_node(crate_node(idx)) {
                Ok(outcome) => Ok(add_outcome(outcome, &id)),
                Err(error) => panic!("a valid node was refused: {error}"),
            };
            [ours, model.add_node(ref_node(idx))]
        }
        Op::RemoveNode(idx) => {
            let id = ref_node(idx).id();
            let ours = match graph.remove_node(&h(&id)) {
                Ok(node) => {
                    assert_eq!(node, crate_node(idx));
                    Ok(RefOutcome::Removed)
                }
                Err(RemoveNodeError::NotFound { .. }) => Err(RefError::NodeNotFound),
                Err(RemoveNodeError::StillTouched { edge, n_edges, .. }) => {
                    Err(RefError::StillTouched {
                        edge: *edge.as_bytes(),
                        n_edges,
                    })
                }
                Err(other) => panic!("unexpected {other}"),
            };
            [ours, model.remove_node(&id)]
        }
        Op::AddEdge(choice) => {
            let id = ref_edge(choice).id();
            let ours = match graph.add_edge(crate_edge(choice)) {
                Ok(outcome) => Ok(add_outcome(outcome, &id)),
                Err(AddEdgeError::MissingFrom { .. }) => Err(RefError::MissingFrom),
                Err(AddEdgeError::MissingTo { .. }) => Err(RefError::MissingTo),
                Err(other) => panic!("unexpected {other}"),
            };
            [ours, model.add_edge(ref_edge(choice))]
        }
        Op::RemoveEdge(choice) => {
            let id = ref_edge(choice).id();
            let ours = match graph.remove_edge(&h(&id)) {
                Ok(edge) => {
                    assert_eq!(edge, crate_edge(choice));
                    Ok(RefOutcome::Removed)
                }
                Err(RemoveEdgeError::NotFound { .. }) => Err(RefError::EdgeNotFound),
                Err(other) => panic!("unexpected {other}"),
            };
            [ours, model.remove_edge(&id)]
        }
    }
}

/// Contents, pages and adjacency of `graph` equal the model's.
fn assert_same_contents(graph: &Graph, model: &RefGraph) {
    let node_ids: Vec<Bytes32> = graph
        .nodes_after(None)
        .map(|(id, _)| *id.as_bytes())
        .collect();
    let model_node_ids: Vec<Bytes32> = model.nodes.keys().copied().collect();
    assert_eq!(node_ids, model_node_ids);
    let edge_ids: Vec<Bytes32> = graph
        .edges_after(None)
        .map(|(id, _)| *id.as_bytes())
        .collect();
    let model_edge_ids: Vec<Bytes32> = model.edges.keys().copied().collect();
    assert_eq!(edge_ids, model_edge_ids);
    assert_eq!(
        (graph.n_nodes(), graph.n_edges()),
        (node_ids.len(), edge_ids.len())
    );
    for (idx, id) in model_node_ids.iter().enumerate() {
        let rest: Vec<Bytes32> = graph
            .nodes_after(Some(&h(id)))
            .map(|(id, _)| *id.as_bytes())
            .collect();
        assert_eq!(rest, model_node_ids[idx + 1..]);
        let touching: Vec<Bytes32> = graph
            .edges_touching(&h(id))
            .map(|e| *e.as_bytes())
            .collect();
        let expected: Vec<Bytes32> = model
            .edges
            .iter()
            .filter(|(_, edge)| edge.from == *id || edge.to == *id)
            .map(|(edge_id, _)| *edge_id)
            .collect();
        assert_eq!(touching, expected);
    }
}

/// Both digests of `graph` equal the reference's, and the incremental digest the full one.
fn assert_same_digests(graph: &Graph, model: &RefGraph) {
    assert_eq!(graph.digest(), h(&model.digest()), "digest");
    assert_eq!(
        graph.digest_full(),
        graph.digest(),
        "incremental vs from scratch"
    );
    assert_eq!(graph.node_root(), h(&model.node_root()));
    assert_eq!(graph.edge_root(), h(&model.edge_root()));
    assert_eq!(
        graph.commit_digest(),
        h(&model.commit_digest()),
        "commit digest"
    );
}

/// A permutation of `0..len` drawn from `seed`.
fn permutation(len: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by_key(|idx| {
        reference::hash(&[seed.to_le_bytes(), (*idx as u64).to_le_bytes()].concat())
    });
    order
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
    fn random_ops_match_the_reference(ops in vec(op_strategy(), 0..120)) {
        let mut graph = Graph::new();
        let mut model = RefGraph::default();
        for op in ops {
            let [ours, theirs] = apply(&mut graph, &mut model, op);
            prop_assert_eq!(ours, theirs, "{:?}", op);
            prop_assert_eq!(graph.digest(), h(&model.digest()), "after {:?}", op);
        }
        assert_same_digests(&graph, &model);
        assert_same_contents(&graph, &model);
    }

    #[test]
    fn old_versions_keep_their_digest_and_contents(ops in vec(op_strategy(), 1..80)) {
        let mut graph = Graph::new();
        let mut model = RefGraph::default();
        let mut versions = Vec::new();
        for op in ops {
            let _ = apply(&mut graph, &mut model, op);
            // Fill the commit cache of some versions and not others.
            if versions.len() % 2 == 0 {
                let _ = graph.commit_digest();
            }
            versions.push((graph.clone(), model.clone()));
        }
        for (old, old_model) in &versions {
            assert_same_digests(old, old_model);
            assert_same_contents(old, old_model);
        }
    }

    #[test]
    fn insertion_order_never_changes_either_digest(
        nodes in vec((0u8..2, vec(any::<u8>(), 0..8)), 0..24),
        edges in vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), 0u8..2,
                      proptest::option::of(vec(any::<u8>(), 0..4))), 0..24),
        seed in any::<u64>(),
    ) {
        let nodes: Vec<Node> = nodes
            .into_iter()
            .map(|(kind, payload)| Node::new(KINDS[usize::from(kind)], payload))
            .collect();
        let edges: Vec<Edge> = if nodes.is_empty() { Vec::new() } else {
            edges.into_iter().map(|(from, to, kind, payload)| Edge::new(
                nodes[from.index(nodes.len())].id(),
                nodes[to.index(nodes.len())].id(),
                KINDS[usize::from(kind)],
                payload.as_deref(),
            )).collect()
        };
        let mut in_order = Graph::new();
        let mut model = RefGraph::default();
        for node in &nodes {
            let _ = in_order.add_node(node.clone()).expect("valid");
            let _ = model.add_node(RefNode {
                kind: node.kind().to_owned(),
                payload: node.payload().to_vec(),
            });
        }
        for edge in &edges {
            let _ = in_order.add_edge(edge.clone()).expect("ends exist");
            let _ = model.add_edge(RefEdge {
                from: *edge.from().as_bytes(), to: *edge.to().as_bytes(),
                kind: edge.kind().to_owned(), payload: edge.payload().map(<[u8]>::to_vec),
            });
        }
        assert_same_digests(&in_order, &model);
        // The same sets, permuted, with a detour through nodes and edges removed again.
        let mut permuted = Graph::new();
        let noise = Node::new("noise", seed.to_le_bytes());
        let _ = permuted.add_node(noise.clone()).expect("valid");
        for idx in permutation(nodes.len(), seed) {
            let _ = permuted.add_node(nodes[idx].clone()).expect("valid");
        }
        let mut noise_edges: Vec<Edge> = nodes.iter().take(3)
            .map(|node| Edge::new(noise.id(), node.id(), "noise", None)).collect();
        noise_edges.sort();
        noise_edges.dedup();
        for edge in &noise_edges {
            let _ = permuted.add_edge(edge.clone()).expect("ends exist");
        }
        for idx in permutation(edges.len(), seed.rotate_left(17)) {
            let _ = permuted.add_edge(edges[idx].clone()).expect("ends exist");
        }
        for edge in &noise_edges {
            permuted.remove_edge(&edge.id()).expect("present");
        }
        // No node of the sets has the kind "noise", so this removes the detour's node.
        permuted.remove_node(&noise.id()).expect("untouched now");
        let mut shuffled_nodes = nodes.clone();
        shuffled_nodes.reverse();
        let built = Graph::build(shuffled_nodes, edges.iter().rev().cloned()).expect("valid");
        for other in [&permuted, &built] {
            prop_assert_eq!(other.digest(), in_order.digest());
            prop_assert_eq!(other.commit_digest(), in_order.commit_digest());
            prop_assert_eq!(other.digest_full(), in_order.digest());
        }
    }

    #[test]
    fn same_content_same_id(kind in "[A-Za-z0-9_.:-]{1,16}", payload in vec(any::<u8>(), 0..64)) {
        let first = Node::new(kind.as_str(), payload.clone());
        let second = Node::new(kind.clone(), payload.clone());
        let by_reference = RefNode { kind: kind.clone(), payload: payload.clone() }.id();
        prop_assert_eq!(first.id(), second.id());
        prop_assert_eq!(first.id(), jitos_core::node_id(&kind, &payload));
        prop_assert_eq!(first.id(), h(&by_reference));
        let mut graph = Graph::new();
        prop_assert_eq!(
            graph.add_node(first).expect("valid"),
            AddOutcome::Added { id: h(&by_reference) }
        );
        let digest = graph.digest();
        prop_assert_eq!(
            graph.add_node(second).expect("valid"),
            AddOutcome::AlreadyPresent { id: h(&by_reference) }
        );
        prop_assert_eq!(graph.digest(), digest);
        prop_assert_eq!(graph.n_nodes(), 1);
    }
}

proptest! {
    #![proptest_config(config(4))]

    /// Past `DEBUG_DIGEST_CHECK_ENTRIES_MAX`, where debug builds stop checking each op, the
    /// incremental digest still equals the reference after adds and removals.
    #[test]
    fn larger_graphs_match_the_reference(n_nodes in 1100usize..1400, seed in any::<u64>()) {
        let mut graph = Graph::new();
        let mut model = RefGraph::default();
        for idx in 0..n_nodes {
            let payload = [seed.to_le_bytes(), (idx as u64).to_le_bytes()].concat();
            let node = RefNode { kind: "demo".to_owned(), payload };
            let _ = graph.add_node(Node::new("demo", node.payload.clone())).expect("valid");
            let _ = model.add_node(node);
        }
        for idx in permutation(n_nodes, seed).into_iter().take(n_nodes / 3) {
            let payload = [seed.to_le_bytes(), (idx as u64).to_le_bytes()].concat();
            let id = Node::new("demo", payload.clone()).id();
            let _ = graph.remove_node(&id).expect("present, no edges");
            let _ = model.remove_node(id.as_bytes());
        }
        prop_assert!(graph.n_nodes() > jitos_graph::DEBUG_DIGEST_CHECK_ENTRIES_MAX / 2);
        assert_same_digests(&graph, &model);
    }
}
