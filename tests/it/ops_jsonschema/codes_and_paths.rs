//! Error codes and paths for every op: unknown fields, missing and `null` fields, unknown op
//! names, another op's name over this op's data, prefixed paths, and the round trip of valid
//! ops through `Op::to_json`.
//!
//! # Invariants
//! - Where an op is rejected, the generated problem paths are compared with the schema's
//!   error paths too, the rule the property applies to every draw.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jitos_schema::ops::Op;
use jitos_schema::{ErrorCode, InputPath, Parse};
use serde_json::{Value, json};

use super::generators::{OP_SHAPES, set, without};
use super::oracle::{oracle_accepts, schema_error_paths, schema_of};
use super::{add_edge, add_node, error_paths, first_error, id, paths, remove_edge, remove_node};

/// One valid op of every shape, in `OP_SHAPES` order, every optional field present.
fn samples() -> [Value; 4] {
    [
        add_edge(&id(1), &id(2), "link", Some("aGk=")),
        add_node("k", "aGk="),
        remove_edge(&id(3)),
        remove_node(&id(4)),
    ]
}

/// Asserts that the generated validator rejects `op` with exactly the problem paths
/// `expected`, which are also where the matching schema's errors point.
fn assert_rejected_at<const N: usize>(op: &Value, expected: [&str; N]) {
    assert!(!oracle_accepts(op), "{op}");
    assert_eq!(error_paths(op), paths(expected), "{op}");
    let schema = schema_of(op).expect("a known op name");
    assert_eq!(schema_error_paths(schema, op), paths(expected), "{op}");
}

#[test]
fn samples_are_valid() {
    for (op, shape) in samples().iter().zip(&OP_SHAPES) {
        assert_eq!(op["op"], shape.name);
        assert!(Op::validate(op).is_ok(), "{op}");
        assert!(oracle_accepts(op), "{op}");
    }
}

#[test]
fn unknown_fields_are_invalid_input_at_their_path() {
    for op in samples() {
        let inner = set(op.clone(), "/data/extra", json!(1));
        assert_eq!(
            first_error(&inner),
            (ErrorCode::InvalidInput, "data.extra".to_owned())
        );
        assert_rejected_at(&inner, ["data.extra"]);
        let outer = set(op, "/extra", Value::Null);
        assert_eq!(
            first_error(&outer),
            (ErrorCode::InvalidInput, "extra".to_owned())
        );
        assert_rejected_at(&outer, ["extra"]);
    }
    // The known fields are still checked next to an unknown one.
    let op = set(remove_node("0x"), "/data/extra", json!(1));
    assert_rejected_at(&op, ["data.extra", "data.id"]);
}

#[test]
fn missing_or_null_fields_are_invalid_input_at_their_path() {
    for (op, shape) in samples().iter().zip(&OP_SHAPES) {
        for field in shape.fields {
            let path = format!("data.{}", field.name);
            let missing = without(op.clone(), "/data", field.name);
            if field.required {
                assert_eq!(
                    first_error(&missing),
                    (ErrorCode::InvalidInput, path.clone())
                );
                assert_rejected_at(&missing, [path.as_str()]);
            } else {
                assert!(Op::validate(&missing).is_ok(), "{missing}");
                assert!(oracle_accepts(&missing), "{missing}");
            }
            let null = set(op.clone(), &format!("/data/{}", field.name), Value::Null);
            assert_eq!(first_error(&null), (ErrorCode::InvalidInput, path.clone()));
            assert_rejected_at(&null, [path.as_str()]);
        }
        let empty = set(op.clone(), "/data", json!({}));
        let required: Vec<String> = shape
            .fields
            .iter()
            .filter(|field| field.required)
            .map(|field| format!("data.{}", field.name))
            .collect();
        assert_eq!(
            error_paths(&empty),
            required.iter().cloned().collect(),
            "{empty}"
        );
        assert_eq!(
            schema_error_paths(schema_of(&empty).expect("known"), &empty),
            error_paths(&empty)
        );
    }
}

#[test]
fn shape_errors_are_invalid_input() {
    let cases = [
        (json!([1]), ""),
        (json!("AddNode"), ""),
        (json!(null), ""),
        (json!({"data": {"id": id(1)}}), "op"),
        (json!({"op": "RemoveNode"}), "data"),
        (json!({"op": "RemoveEdge", "data": []}), "data"),
        (json!({"op": "AddEdge", "data": "from"}), "data"),
        (json!({"op": "AddNode", "data": null}), "data"),
        (json!({"op": 7, "data": {}}), "op"),
        (json!({"op": ["RemoveNode"], "data": {"id": id(1)}}), "op"),
    ];
    for (op, path) in cases {
        assert_eq!(
            first_error(&op),
            (ErrorCode::InvalidInput, path.to_owned()),
            "op {op}"
        );
        assert!(!oracle_accepts(&op), "op {op}");
    }
}

#[test]
fn unknown_op_name_is_not_implemented_at_op() {
    let names = [
        "AddNodes",
        "addEdge",
        "removenode",
        "REMOVEEDGE",
        "Remove_Node",
        " RemoveEdge",
        "RemoveEdge ",
        "AddEdge.v0",
        "",
    ];
    for (name, op) in names.into_iter().zip(samples().into_iter().cycle()) {
        let op = set(op, "/op", name.into());
        let errors = Op::validate(&op).expect_err("an unknown name is rejected");
        assert_eq!(errors.len(), 1, "{op}");
        assert_eq!(
            first_error(&op),
            (ErrorCode::NotImplemented, "op".to_owned()),
            "{op}"
        );
        assert!(!oracle_accepts(&op), "{op}");
    }
}

#[test]
fn another_ops_name_checks_the_data_against_that_op() {
    let [add_edge_op, add_node_op, remove_edge_op, remove_node_op] = samples();
    // RemoveNode and RemoveEdge share their data shape.
    let swapped = set(remove_node_op.clone(), "/op", "RemoveEdge".into());
    let valid = Op::validate(&swapped).expect("RemoveNode data is RemoveEdge data");
    assert!(matches!(&*valid, Op::RemoveEdge(edge) if edge.id == [4; 32]));
    assert_eq!(valid.to_json(), swapped);
    assert!(oracle_accepts(&swapped));
    assert!(Op::validate(&set(remove_edge_op, "/op", "RemoveNode".into())).is_ok());

    let op = set(add_node_op, "/op", "AddEdge".into());
    assert_rejected_at(&op, ["data.from", "data.to"]);
    let op = set(remove_node_op, "/op", "AddEdge".into());
    assert_rejected_at(&op, ["data.id", "data.from", "data.to", "data.kind"]);
    let op = set(add_edge_op.clone(), "/op", "AddNode".into());
    assert_rejected_at(&op, ["data.from", "data.to"]);
    let op = without(
        set(add_edge_op, "/op", "RemoveEdge".into()),
        "/data",
        "payload_b64",
    );
    assert_rejected_at(&op, ["data.from", "data.to", "data.kind", "data.id"]);
}

#[test]
fn paths_are_below_the_given_prefix() {
    let prefix = InputPath::root().field("rewrite").field("ops").index(0);
    let cases = [
        (add_node("", ""), "rewrite.ops[0].data.kind"),
        (add_edge(&id(1), "0x", "k", None), "rewrite.ops[0].data.to"),
        (remove_node("A"), "rewrite.ops[0].data.id"),
        (
            set(remove_edge(&id(1)), "/data/ids", json!([])),
            "rewrite.ops[0].data.ids",
        ),
        (
            json!({"op": "RemoveEdgeX", "data": {}}),
            "rewrite.ops[0].op",
        ),
    ];
    for (op, path) in cases {
        let errors = Op::validate_at(&op, &prefix).expect_err("the op is rejected");
        let first = errors.first().expect("a problem is recorded");
        assert_eq!(first.path.as_str(), path, "{op}");
    }
}

#[test]
fn valid_ops_round_trip_through_to_json() {
    let payload = b"hello, \x00\xff world";
    let payload_b64 = STANDARD.encode(payload);
    let node = add_node("jitos.Node:v0-x_1", &payload_b64);
    let valid = Op::validate(&node).expect("a valid op");
    assert!(matches!(&*valid, Op::AddNode(node) if node.kind == "jitos.Node:v0-x_1"));
    assert!(matches!(&*valid, Op::AddNode(node) if node.payload == payload));
    assert_eq!((valid.to_json(), valid.name()), (node, "AddNode"));

    let edge = add_edge(&id(0xa1), &id(0x1a), "jitos.Edge:v0", Some(&payload_b64));
    let valid = Op::validate(&edge).expect("a valid op");
    assert!(matches!(&*valid, Op::AddEdge(e) if e.from == [0xa1; 32] && e.to == [0x1a; 32]));
    assert!(matches!(&*valid, Op::AddEdge(e) if e.kind == "jitos.Edge:v0"));
    assert!(matches!(&*valid, Op::AddEdge(e) if e.payload.as_deref() == Some(&payload[..])));
    assert_eq!((valid.to_json(), valid.name()), (edge, "AddEdge"));

    let op = remove_node(&id(0xee));
    let valid = Op::validate(&op).expect("a valid op");
    assert!(matches!(&*valid, Op::RemoveNode(node) if node.id == [0xee; 32]));
    assert_eq!((valid.to_json(), valid.name()), (op, "RemoveNode"));

    let op = remove_edge(&id(0xee));
    let valid = Op::validate(&op).expect("a valid op");
    assert!(matches!(&*valid, Op::RemoveEdge(edge) if edge.id == [0xee; 32]));
    assert_eq!((valid.to_json(), valid.name()), (op, "RemoveEdge"));
}
