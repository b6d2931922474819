//! Edge cases of the id fields (`AddEdge.from`, `AddEdge.to`, `RemoveNode.id`,
//! `RemoveEdge.id`: `^[0-9a-f]{64}$`, typed `[u8; 32]` by the generator), each asserted at
//! every id field on both sides and against a byte-by-byte check done here.
//!
//! # Invariants
//! - Each case is asserted at all four id fields, with every other field valid, so a problem
//!   can only be at the id.

use jitos_schema::ops::Op;
use jitos_schema::{ErrorCode, Parse};
use serde_json::{Value, json};

use super::generators::set;
use super::oracle::{oracle_accepts, plain_accepts, schema_error_paths, schema_named};
use super::{
    add_edge, error_paths, first_error, hex, id, is_hex_id, paths, remove_edge, remove_node,
};

/// `value` at every id field: (op, the path of the id).
fn id_places(value: &Value) -> [(Value, &'static str); 4] {
    let edge = add_edge(&id(1), &id(2), "k", None);
    [
        (set(edge.clone(), "/data/from", value.clone()), "data.from"),
        (set(edge, "/data/to", value.clone()), "data.to"),
        (
            set(remove_node(&id(3)), "/data/id", value.clone()),
            "data.id",
        ),
        (
            set(remove_edge(&id(4)), "/data/id", value.clone()),
            "data.id",
        ),
    ]
}

/// The bytes of the id at `path` in a validated op.
fn id_bytes(op: &Op, path: &str) -> [u8; 32] {
    match (op, path) {
        (Op::AddEdge(edge), "data.from") => edge.from,
        (Op::AddEdge(edge), "data.to") => edge.to,
        (Op::RemoveNode(node), "data.id") => node.id,
        (Op::RemoveEdge(edge), "data.id") => edge.id,
        _ => panic!("{op:?} has no id at {path}"),
    }
}

fn zeros(n_digits: usize) -> String {
    "0".repeat(n_digits)
}

#[test]
fn hex_id_verdicts_agree_at_the_edges() {
    let cases = [
        (zeros(64), true),
        ("f".repeat(64), true),
        ("0123456789abcdef".repeat(4), true),
        ("0123456789ABCDEF".repeat(4), false),
        ("F".repeat(64), false),
        (format!("{}A", zeros(63)), false), // one character in the wrong case
        (zeros(63), false),
        (zeros(65), false),
        (zeros(128), false),
        (String::new(), false),
        (format!("0x{}", zeros(62)), false), // right length, prefixed
        (format!("0x{}", zeros(64)), false),
        (format!("0X{}", zeros(62)), false),
        (format!("{}\n", zeros(63)), false),
        (format!("{}\n", zeros(64)), false), // `$` does not match before a final newline
        (format!("\n{}", zeros(64)), false),
        (format!(" {}", zeros(63)), false),
        (format!("{}g", zeros(63)), false),
        (format!("{}\u{0}", zeros(63)), false),
        (format!("{}é", zeros(62)), false), // 64 bytes, 63 characters
        ("é".repeat(32), false),            // 64 bytes, 32 characters
        (format!("日{}", zeros(61)), false), // 64 bytes, 62 characters
        (format!("{}\u{FF10}", zeros(61)), false), // fullwidth zero
        (format!("{}\u{0663}", zeros(62)), false), // Arabic-Indic three
    ];
    for (text, expected) in cases {
        assert_eq!(is_hex_id(&text), expected, "independent check of {text:?}");
        for (op, path) in id_places(&Value::from(text.as_str())) {
            let schema = schema_named(op["op"].as_str().expect("a name")).expect("a schema");
            assert_eq!(Op::validate(&op).is_ok(), expected, "generated on {op}");
            assert_eq!(schema.plain.is_valid(&op), expected, "jsonschema on {op}");
            assert_eq!(oracle_accepts(&op), expected, "oracle on {op}");
            assert_eq!(error_paths(&op), schema_error_paths(schema, &op), "{op}");
            if !expected {
                assert_eq!(first_error(&op), (ErrorCode::InvalidInput, path.to_owned()));
                assert_eq!(error_paths(&op), paths([path]), "{op}");
            }
        }
    }
}

#[test]
fn ids_that_are_not_strings_are_invalid_input_at_their_path() {
    let bytes: Vec<u8> = (0..32).collect();
    let cases = [
        Value::Null,
        json!(0),
        json!(1.5),
        json!(true),
        json!(bytes),
        json!([hex(&[7; 32])]),
        json!({"id": hex(&[7; 32])}),
    ];
    for value in cases {
        for (op, path) in id_places(&value) {
            assert_eq!(
                first_error(&op),
                (ErrorCode::InvalidInput, path.to_owned()),
                "{op}"
            );
            assert_eq!(error_paths(&op), paths([path]), "{op}");
            assert!(!plain_accepts(&op), "{op}");
            assert!(!oracle_accepts(&op), "{op}");
        }
    }
}

#[test]
fn ids_decode_to_their_bytes_and_print_back_the_same() {
    // Every hex digit in both nibbles of a byte.
    let text = "00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210";
    let bytes: [u8; 32] = [
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
        0xff, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54,
        0x32, 0x10,
    ];
    assert_eq!(hex(&bytes), text);
    for (op, path) in id_places(&Value::from(text)) {
        let valid = Op::validate(&op).expect("a valid id");
        assert_eq!(id_bytes(&valid, path), bytes, "{op}");
        assert_eq!(valid.to_json(), op);
    }
}

#[test]
fn edge_ends_are_checked_independently() {
    let op = add_edge("0x1", &"A".repeat(64), "k", None);
    assert_eq!(error_paths(&op), paths(["data.from", "data.to"]));
    let schema = schema_named("AddEdge").expect("a schema");
    assert_eq!(
        schema_error_paths(schema, &op),
        paths(["data.from", "data.to"])
    );
    let op = add_edge(&id(9), &id(9), "k", None);
    let valid = Op::validate(&op).expect("a loop is a valid edge");
    assert!(matches!(&*valid, Op::AddEdge(edge) if edge.from == [9; 32] && edge.to == [9; 32]));
}
