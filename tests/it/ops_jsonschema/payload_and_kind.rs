//! Edge cases of the fields AddNode and AddEdge share, `kind` and `payload_b64`, each asserted
//! for both ops on both sides and against an independent check; and AddEdge's optional
//! payload, where absent, empty and `null` are three different things.
//!
//! # Invariants
//! - Each table case is asserted at every op that has the field, so the two ops cannot drift
//!   apart on a rule they share.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jitos_schema::ops::Op;
use jitos_schema::{ErrorCode, Parse};
use serde_json::{Value, json};

use super::oracle::{MAX_BYTES_KEYWORD, oracle_accepts, plain_accepts, schema_named};
use super::{add_edge, add_node, error_paths, first_error, id, paths};

/// `payload_b64` set to `payload` in an AddNode and in an AddEdge.
fn payload_ops(payload: &str) -> [Value; 2] {
    [
        add_node("k", payload),
        add_edge(&id(1), &id(2), "k", Some(payload)),
    ]
}

/// `kind` set to `kind` in an AddNode and in an AddEdge.
fn kind_ops(kind: &str) -> [Value; 2] {
    [add_node(kind, ""), add_edge(&id(1), &id(2), kind, None)]
}

#[test]
fn base64_verdicts_match_an_independent_decode() {
    let cases = [
        ("", true),
        ("aGVsbG8=", true),
        ("aGVsbG9=", false), // non-zero trailing bits
        ("aGVsbG8", false),  // padding missing
        ("aGVsbG8==", false),
        ("aGVs bG8=", false),
        ("aGVsbG8=\n", false),
        (" aGVsbG8=", false),
        ("YQ==", true),
        ("YR==", false),
        ("YWI=", true),
        ("YWJ=", false),
        ("-_8=", false), // URL-safe alphabet
        ("+/8=", true),
        ("====", false),
        ("YQ", false),
        ("Y", false),
        ("éé==", false),
    ];
    for (payload, expected) in cases {
        let independent = STANDARD.decode(payload).is_ok();
        assert_eq!(independent, expected, "independent decode of {payload:?}");
        for op in payload_ops(payload) {
            let name = op["op"].as_str().expect("a name");
            let schema = schema_named(name).expect("a schema");
            assert_eq!(Op::validate(&op).is_ok(), expected, "generated on {op}");
            assert_eq!(schema.plain.is_valid(&op), expected, "jsonschema on {op}");
            assert_eq!(oracle_accepts(&op), expected, "oracle on {op}");
            if !expected {
                assert_eq!(
                    first_error(&op),
                    (ErrorCode::InvalidInput, "data.payload_b64".to_owned())
                );
            }
        }
    }
}

#[test]
fn kind_verdicts_agree_at_the_edges() {
    let cases = [
        ("a".to_owned(), true),
        ("A-Z_0.9:x".to_owned(), true),
        ("k".repeat(128), true),
        ("k".repeat(129), false),
        (String::new(), false),
        ("a b".to_owned(), false),
        ("a/b".to_owned(), false),
        ("é".to_owned(), false),
        ("abc\n".to_owned(), false),
        ("\nabc".to_owned(), false),
        ("日本".to_owned(), false),
    ];
    for (kind, expected) in cases {
        for op in kind_ops(&kind) {
            assert_eq!(Op::validate(&op).is_ok(), expected, "generated on {op}");
            assert_eq!(oracle_accepts(&op), expected, "jsonschema on {op}");
            if !expected {
                assert_eq!(
                    first_error(&op),
                    (ErrorCode::InvalidInput, "data.kind".to_owned())
                );
            }
        }
    }
}

#[test]
fn decoded_size_limit_is_the_one_plain_json_schema_misses() {
    let mut max_bytes = None;
    for name in ["AddNode", "AddEdge"] {
        let schema = schema_named(name).expect("a schema");
        let payload_schema = &schema.json["properties"]["data"]["properties"]["payload_b64"];
        let max_length = payload_schema["maxLength"].as_u64().expect("maxLength");
        let bytes = payload_schema[MAX_BYTES_KEYWORD].as_u64();
        assert_eq!((max_length, bytes), (1_398_104, Some(1_048_576)), "{name}");
        max_bytes = bytes;
    }
    let max_bytes = usize::try_from(max_bytes.expect("a limit")).expect("fits usize");

    // (decoded bytes, plain jsonschema verdict, generated and oracle verdict)
    let cases = [
        (max_bytes, true, true),
        (max_bytes + 1, true, false),
        (max_bytes + 2, true, false),
        (max_bytes + 3, false, false),
    ];
    for (n_bytes, plain, generated) in cases {
        let payload = STANDARD.encode(vec![0x5a_u8; n_bytes]);
        let independent = STANDARD.decode(&payload).expect("valid base64").len() <= max_bytes;
        assert_eq!(
            independent, generated,
            "independent check on {n_bytes} bytes"
        );
        for op in payload_ops(&payload) {
            let name = &op["op"];
            assert_eq!(
                plain_accepts(&op),
                plain,
                "plain jsonschema, {name}, {n_bytes} bytes"
            );
            assert_eq!(
                oracle_accepts(&op),
                generated,
                "oracle, {name}, {n_bytes} bytes"
            );
            assert_eq!(
                Op::validate(&op).is_ok(),
                generated,
                "generated, {name}, {n_bytes} bytes"
            );
            if !generated {
                assert_eq!(
                    first_error(&op),
                    (ErrorCode::LimitExceeded, "data.payload_b64".to_owned())
                );
            }
        }
    }
}

#[test]
fn payload_over_max_length_is_limit_exceeded() {
    let payload = "A".repeat(1_398_108);
    for op in payload_ops(&payload) {
        assert_eq!(
            first_error(&op),
            (ErrorCode::LimitExceeded, "data.payload_b64".to_owned())
        );
        assert!(!oracle_accepts(&op));
    }
}

/// What an AddEdge's `payload_b64` comes to.
#[derive(Debug)]
enum Expected {
    /// The op is valid and has this payload; `None` is no payload.
    Valid(Option<&'static [u8]>),
    /// The op is rejected at `data.payload_b64`.
    Rejected,
}

#[test]
fn optional_payload_verdicts_agree() {
    // (payload_b64, or None for absent; what it comes to)
    let cases = [
        (None, Expected::Valid(None)),
        (Some(json!("")), Expected::Valid(Some(b""))),
        (Some(json!("aGVsbG8=")), Expected::Valid(Some(b"hello"))),
        (Some(Value::Null), Expected::Rejected),
        (Some(json!("aGVsbG9=")), Expected::Rejected),
        (Some(json!(0)), Expected::Rejected),
        (Some(json!([])), Expected::Rejected),
        (Some(json!({})), Expected::Rejected),
    ];
    for (payload, expected) in cases {
        let mut op = add_edge(&id(1), &id(2), "k", None);
        if let Some(payload) = payload {
            op["data"]["payload_b64"] = payload;
        }
        let valid = matches!(expected, Expected::Valid(_));
        assert_eq!(oracle_accepts(&op), valid, "oracle on {op}");
        match (Op::validate(&op), expected) {
            (Ok(valid), Expected::Valid(payload)) => {
                assert!(
                    matches!(&*valid, Op::AddEdge(edge) if edge.payload.as_deref() == payload),
                    "{op}"
                );
                assert_eq!(valid.to_json(), op);
            }
            (Err(_), Expected::Rejected) => {
                assert_eq!(error_paths(&op), paths(["data.payload_b64"]), "{op}");
            }
            (verdict, expected) => panic!("{op}: expected {expected:?}, generated {verdict:?}"),
        }
    }
}

#[test]
fn absent_and_empty_payloads_are_different_edges() {
    let absent = Op::validate(&add_edge(&id(1), &id(2), "k", None)).expect("valid");
    let empty = Op::validate(&add_edge(&id(1), &id(2), "k", Some(""))).expect("valid");
    assert_ne!(*absent, *empty);
    assert_ne!(absent.to_json(), empty.to_json());
    assert_eq!(empty.to_json()["data"]["payload_b64"], "");
    assert!(absent.to_json()["data"].get("payload_b64").is_none());
}

#[test]
fn add_node_payload_stays_required() {
    let mut op = add_node("k", "");
    op["data"]["payload_b64"] = Value::Null;
    assert_eq!(
        first_error(&op),
        (ErrorCode::InvalidInput, "data.payload_b64".to_owned())
    );
    assert!(!oracle_accepts(&op));
}
