//! Unit tests of the byte-level definitions: every hand-ordered CBOR writer here is checked
//! against jitos-core's `Value` encoder, and the buffered hasher against one-shot BLAKE3.
//!
//! # Invariants
//! - The oracle for every byte sequence is `jitos_core::cbor::encode` of a `Value` built with
//!   `Value::map`, which sorts keys itself: a wrong key order here fails a test.

use jitos_core::cbor::{Value, encode};
use jitos_core::{Hash, hash_bytes};

use super::*;

fn text_map(entries: Vec<(&str, Value)>) -> Value {
    Value::map(
        entries
            .into_iter()
            .map(|(key, value)| (Value::text(key), value)),
    )
    .expect("distinct keys")
}

fn node_leaf_value_model(id: &Hash, node: &Node) -> Value {
    text_map(vec![
        ("version", Value::text(NODE_LEAF_VERSION)),
        ("node_id", Value::from(*id)),
        ("kind", Value::text(node.kind())),
        ("payload_bytes", Value::bytes(node.payload())),
        ("attachment", Value::Null),
    ])
}

fn optional_bytes(bytes: Option<&[u8]>) -> Value {
    bytes.map_or(Value::Null, Value::bytes)
}

fn edge_leaf_value_model(id: &Hash, edge: &Edge) -> Value {
    text_map(vec![
        ("version", Value::text(EDGE_LEAF_VERSION)),
        ("edge_id", Value::from(*id)),
        ("from", Value::from(*edge.from())),
        ("to", Value::from(*edge.to())),
        ("kind", Value::text(edge.kind())),
        ("payload_bytes", optional_bytes(edge.payload())),
        ("attachment", Value::Null),
    ])
}

fn commit_model(nodes: &[(Hash, Node)], edges: &[(Hash, Edge)]) -> Value {
    let nodes = nodes.iter().map(|(id, node)| {
        text_map(vec![
            ("node_id", Value::from(*id)),
            ("kind", Value::text(node.kind())),
            ("payload_bytes", Value::bytes(node.payload())),
            ("attachment", Value::Null),
        ])
    });
    let edges = edges.iter().map(|(id, edge)| {
        text_map(vec![
            ("edge_id", Value::from(*id)),
            ("from", Value::from(*edge.from())),
            ("to", Value::from(*edge.to())),
            ("kind", Value::text(edge.kind())),
            ("payload_bytes", optional_bytes(edge.payload())),
            ("attachment", Value::Null),
        ])
    });
    text_map(vec![
        ("version", Value::text(GRAPH_COMMIT_VERSION)),
        ("nodes", Value::array(nodes)),
        ("edges", Value::array(edges)),
    ])
}

fn sample_nodes() -> Vec<Node> {
    vec![
        Node::new("demo", b"hello"),
        Node::new("k".repeat(24), vec![7u8; 24]),
        Node::new("demo.big", vec![0xabu8; 300]),
        Node::new("empty", Vec::new()),
        Node::new("k".repeat(128), vec![1u8; 70_000]),
    ]
}

fn sample_edges(nodes: &[Node]) -> Vec<Edge> {
    let (a, b) = (nodes[0].id(), nodes[1].id());
    vec![
        Edge::new(a, b, "demo.link", None),
        Edge::new(a, b, "demo.link", Some(b"")),
        Edge::new(b, a, "x".repeat(30), Some(&[9u8; 500])),
        Edge::new(a, a, "self", Some(b"loop")),
    ]
}

#[test]
fn heads_are_the_shortest_form() {
    let arguments = [
        0,
        1,
        23,
        24,
        255,
        256,
        65_535,
        65_536,
        u64::from(u32::MAX),
        u64::from(u32::MAX) + 1,
        u64::MAX,
    ];
    for argument in arguments {
        let mut ours = Vec::new();
        put_head(&mut ours, 0, argument);
        assert_eq!(
            ours,
            encode(&Value::Unsigned(argument)).unwrap(),
            "{argument}"
        );
        let mut negative = Vec::new();
        put_head(&mut negative, 1, argument);
        assert_eq!(
            negative,
            encode(&Value::Negative(argument)).unwrap(),
            "{argument}"
        );
    }
}

#[test]
fn node_leaf_bytes_equal_the_value_encoding() {
    for node in sample_nodes() {
        let id = node.id();
        let mut ours = Vec::new();
        put_node_leaf(&mut ours, &id, &node);
        let expected = encode(&node_leaf_value_model(&id, &node)).unwrap();
        assert_eq!(ours, expected, "{node:?}");
        assert_eq!(node_leaf_value(&id, &node), hash_bytes(&expected));
    }
}

#[test]
fn edge_leaf_bytes_equal_the_value_encoding() {
    let nodes = sample_nodes();
    for edge in sample_edges(&nodes) {
        let id = edge.id();
        let mut ours = Vec::new();
        put_edge_leaf(&mut ours, &id, &edge);
        let expected = encode(&edge_leaf_value_model(&id, &edge)).unwrap();
        assert_eq!(ours, expected, "{edge:?}");
        assert_eq!(edge_leaf_value(&id, &edge), hash_bytes(&expected));
    }
}

#[test]
fn commit_bytes_equal_the_value_encoding() {
    let node_list = sample_nodes();
    let edge_list = sample_edges(&node_list);
    let mut nodes: Vec<(Hash, Node)> = node_list.into_iter().map(|n| (n.id(), n)).collect();
    let mut edges: Vec<(Hash, Edge)> = edge_list.into_iter().map(|e| (e.id(), e)).collect();
    nodes.sort_by_key(|(id, _)| *id);
    edges.sort_by_key(|(id, _)| *id);
    let mut ours = Vec::new();
    let node_iter = nodes.iter().map(|(id, node)| (id, node));
    let edge_iter = edges.iter().map(|(id, edge)| (id, edge));
    put_commit(&mut ours, nodes.len(), node_iter, edges.len(), edge_iter);
    let expected = encode(&commit_model(&nodes, &edges)).unwrap();
    assert_eq!(ours, expected);
    let node_iter = nodes.iter().map(|(id, node)| (id, node));
    let edge_iter = edges.iter().map(|(id, edge)| (id, edge));
    let streamed = commit_digest(nodes.len(), node_iter, edges.len(), edge_iter);
    assert_eq!(streamed, hash_bytes(&expected));
}

#[test]
fn empty_commit_is_the_contract_vector() {
    let mut ours = Vec::new();
    put_commit(&mut ours, 0, std::iter::empty(), 0, std::iter::empty());
    let hex: String = ours.iter().map(|byte| format!("{byte:02x}")).collect();
    assert_eq!(
        hex,
        "a365656467657380656e6f646573806776657273696f6e6f67726170682d636f6d6d69742d7630"
    );
    let digest = commit_digest(0, std::iter::empty(), 0, std::iter::empty());
    assert_eq!(
        digest.to_string(),
        "1af810ab37e21bda10516a0ae872e4ab1562c69d8327f4285b78b7e744e8427a"
    );
}

#[test]
fn buffered_hasher_equals_one_shot_blake3_across_buffer_boundaries() {
    let input: Vec<u8> = (0..100_000u32).map(|n| (n % 251) as u8).collect();
    let piece_lens = [1usize, 7, 63, 64, 65, 255, 256, 257, 1000, 5000, 70_000];
    for first in piece_lens {
        for second in piece_lens {
            let mut hasher = BufferedHasher::<256>::new();
            let mut fed = 0;
            for len in [first, second].into_iter().cycle() {
                let end = (fed + len).min(input.len());
                hasher.put(&input[fed..end]);
                fed = end;
                if fed == input.len() {
                    break;
                }
            }
            assert_eq!(hasher.finish(), hash_bytes(&input), "{first}/{second}");
        }
    }
    let mut small = BufferedHasher::<256>::new();
    small.put(b"abc");
    assert_eq!(small.finish(), hash_bytes(b"abc"));
}

#[test]
fn fixed_preimages_are_raw_concatenations() {
    let a = hash_bytes(b"a");
    let b = hash_bytes(b"b");
    let concat = |parts: &[&[u8]]| hash_bytes(&parts.concat());
    assert_eq!(node_key(&a), concat(&[b"JITOS:SMT:node:v0", a.as_bytes()]));
    assert_eq!(edge_key(&a), concat(&[b"JITOS:SMT:edge:v0", a.as_bytes()]));
    assert_eq!(
        smt_leaf(&a, &b),
        concat(&[b"jitos:smt:leaf:v1", a.as_bytes(), b.as_bytes()])
    );
    assert_eq!(
        smt_inner(&a, &b),
        concat(&[b"jitos:smt:inner:v1", a.as_bytes(), b.as_bytes()])
    );
    assert_eq!(
        graph_root(&a, &b),
        concat(&[b"jitos:graph-root:v1", a.as_bytes(), b.as_bytes()])
    );
    assert_ne!(smt_inner(&a, &b), smt_inner(&b, &a), "inner is ordered");
}
