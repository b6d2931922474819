//! Golden vectors of both digests: `tests/vectors/digests.json`.
//!
//! Each case lists nodes and edges (edge ends by node index) and every intermediate value: per
//! node and edge its id, tree key, leaf value CBOR, leaf value hash and tree leaf hash, then the
//! two tree roots, the digest, the commit CBOR and the commit digest. Every value is computed
//! twice, by the crate and by `reference.rs` (which shares no code with it), and both must
//! equal the file.
//!
//! # Invariants
//! - Under `UPDATE_EXPECT=1` only `expect` is rewritten, and only after the crate and the
//!   reference agree, so the file can never record a value only one of them computes.
//! - The file keeps the cases the contract asks for: empty, one node, three nodes, three nodes
//!   with two edges (one with a payload, one without), plus two nodes whose tree keys share
//!   their first 13 bits, so that the zero-sibling chain of the tree rule is pinned too.

use jitos_core::Hash;
use jitos_graph::digest::{edge_key, edge_leaf_value, node_key, node_leaf_value, smt_leaf};
use jitos_graph::{Edge, Graph, Node};
use serde::{Deserialize, Serialize};

use crate::reference::{self, RefEdge, RefGraph, RefNode};
use crate::support::{from_hex, load, save, to_hex, update_expect};

const FILE_NAME: &str = "digests.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    nodes: Vec<NodeInput>,
    edges: Vec<EdgeInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expect: Option<Expect>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeInput {
    kind: String,
    /// Hex of the payload bytes.
    payload: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EdgeInput {
    /// Index of the source in `nodes`.
    from: usize,
    /// Index of the target in `nodes`.
    to: usize,
    kind: String,
    /// Hex of the payload bytes; `null` for an edge without payload.
    payload: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    nodes: Vec<LeafExpect>,
    edges: Vec<LeafExpect>,
    node_root: String,
    edge_root: String,
    digest: String,
    commit_cbor: String,
    commit_digest: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LeafExpect {
    id: String,
    key: String,
    leaf_value_cbor: String,
    leaf_value: String,
    leaf: String,
}

fn hex32(bytes: &[u8; 32]) -> String {
    to_hex(bytes)
}

fn ref_inputs(case: &Case) -> (Vec<RefNode>, Vec<RefEdge>) {
    let nodes: Vec<RefNode> = case
        .nodes
        .iter()
        .map(|node| RefNode {
            kind: node.kind.clone(),
            payload: from_hex(&node.payload),
        })
        .collect();
    let edges = case
        .edges
        .iter()
        .map(|edge| RefEdge {
            from: nodes[edge.from].id(),
            to: nodes[edge.to].id(),
            kind: edge.kind.clone(),
            payload: edge.payload.as_deref().map(from_hex),
        })
        .collect();
    (nodes, edges)
}

/// Every expected value, from the reference alone.
fn expect_by_reference(case: &Case) -> Expect {
    let (nodes, edges) = ref_inputs(case);
    let mut graph = RefGraph::default();
    let leaf_of = |id: [u8; 32], key: [u8; 32], cbor: Vec<u8>| {
        let value = reference::hash(&cbor);
        LeafExpect {
            id: hex32(&id),
            key: hex32(&key),
            leaf_value_cbor: to_hex(&cbor),
            leaf_value: hex32(&value),
            leaf: hex32(&reference::leaf(&key, &value)),
        }
    };
    let mut node_leaves = Vec::new();
    for node in nodes {
        let id = node.id();
        node_leaves.push(leaf_of(id, reference::node_key(&id), node.leaf_cbor()));
        graph.add_node(node).expect("vector nodes are valid");
    }
    let mut edge_leaves = Vec::new();
    for edge in edges {
        let id = edge.id();
        edge_leaves.push(leaf_of(id, reference::edge_key(&id), edge.leaf_cbor()));
        graph.add_edge(edge).expect("vector edges have both ends");
    }
    Expect {
        nodes: node_leaves,
        edges: edge_leaves,
        node_root: hex32(&graph.node_root()),
        edge_root: hex32(&graph.edge_root()),
        digest: hex32(&graph.digest()),
        commit_cbor: to_hex(&graph.commit_cbor()),
        commit_digest: hex32(&graph.commit_digest()),
    }
}

/// Every expected value, from the crate (the CBOR strings from the reference, checked by hash).
fn expect_by_crate(case: &Case, by_reference: &Expect) -> Expect {
    let nodes: Vec<Node> = case
        .nodes
        .iter()
        .map(|node| Node::new(node.kind.as_str(), from_hex(&node.payload)))
        .collect();
    let edges: Vec<Edge> = case
        .edges
        .iter()
        .map(|edge| {
            let payload = edge.payload.as_deref().map(from_hex);
            Edge::new(
                nodes[edge.from].id(),
                nodes[edge.to].id(),
                edge.kind.as_str(),
                payload.as_deref(),
            )
        })
        .collect();
    let mut graph = Graph::new();
    let leaf_of = |id: Hash, key: Hash, value: Hash, cbor: &str| {
        assert_eq!(
            reference::hash(&from_hex(cbor)),
            *value.as_bytes(),
            "leaf CBOR bytes"
        );
        LeafExpect {
            id: id.to_string(),
            key: key.to_string(),
            leaf_value_cbor: cbor.to_owned(),
            leaf_value: value.to_string(),
            leaf: smt_leaf(&key, &value).to_string(),
        }
    };
    let mut node_leaves = Vec::new();
    for (node, by_ref) in nodes.iter().zip(&by_reference.nodes) {
        let id = node.id();
        let value = node_leaf_value(&id, node);
        node_leaves.push(leaf_of(id, node_key(&id), value, &by_ref.leaf_value_cbor));
        assert_eq!(graph.add_node(node.clone()).expect("valid").id(), id);
    }
    let mut edge_leaves = Vec::new();
    for (edge, by_ref) in edges.iter().zip(&by_reference.edges) {
        let id = edge.id();
        let value = edge_leaf_value(&id, edge);
        edge_leaves.push(leaf_of(id, edge_key(&id), value, &by_ref.leaf_value_cbor));
        assert_eq!(graph.add_edge(edge.clone()).expect("valid").id(), id);
    }
    let built = Graph::build(nodes, edges).expect("valid");
    assert_eq!(
        built.digest(),
        graph.digest(),
        "bulk build equals one by one"
    );
    assert_eq!(graph.digest(), graph.digest_full());
    assert_eq!(
        reference::hash(&from_hex(&by_reference.commit_cbor)),
        *graph.commit_digest().as_bytes()
    );
    Expect {
        nodes: node_leaves,
        edges: edge_leaves,
        node_root: graph.node_root().to_string(),
        edge_root: graph.edge_root().to_string(),
        digest: graph.digest().to_string(),
        commit_cbor: by_reference.commit_cbor.clone(),
        commit_digest: built.commit_digest().to_string(),
    }
}

#[test]
fn golden_digests() {
    let mut cases: Vec<Case> = load(FILE_NAME);
    for case in &mut cases {
        let by_reference = expect_by_reference(case);
        let by_crate = expect_by_crate(case, &by_reference);
        assert_eq!(
            by_crate, by_reference,
            "crate and reference disagree on {}",
            case.name
        );
        if update_expect() {
            case.expect = Some(by_crate);
        } else {
            assert_eq!(
                case.expect.as_ref(),
                Some(&by_crate),
                "vector {}",
                case.name
            );
        }
    }
    if update_expect() {
        save(FILE_NAME, &cases);
    }
}

#[test]
fn vectors_cover_the_required_cases() {
    let cases: Vec<Case> = load(FILE_NAME);
    let shape = |case: &Case| {
        let n_with_payload = case
            .edges
            .iter()
            .filter(|edge| edge.payload.is_some())
            .count();
        (case.nodes.len(), case.edges.len(), n_with_payload)
    };
    let shapes: Vec<_> = cases.iter().map(shape).collect();
    for required in [(0, 0, 0), (1, 0, 0), (3, 0, 0), (3, 2, 1)] {
        assert!(shapes.contains(&required), "a case with shape {required:?}");
    }
    // A case whose two node keys share a long prefix pins the zero-sibling chain.
    let has_chain = cases
        .iter()
        .filter_map(|case| case.expect.as_ref())
        .any(|expect| {
            let keys: Vec<Vec<u8>> = expect
                .nodes
                .iter()
                .map(|node| from_hex(&node.key))
                .collect();
            keys.len() == 2 && keys[0][0] == keys[1][0] && keys[0][1] >> 4 == keys[1][1] >> 4
        });
    assert!(
        has_chain,
        "a case with two node keys sharing their first 12 bits"
    );
    let empty = cases
        .iter()
        .find(|case| case.nodes.is_empty())
        .expect("empty case");
    let expect = empty.expect.as_ref().expect("empty case has values");
    assert_eq!(
        expect.commit_digest,
        "1af810ab37e21bda10516a0ae872e4ab1562c69d8327f4285b78b7e744e8427a"
    );
    assert_eq!(expect.node_root, hex32(&[0; 32]));
    assert_eq!(expect.digest, Graph::new().digest().to_string());
}
