//! The generated op validator, `<jitos_schema::ops::Op as Parse>::validate`, against the JSON
//! Schemas it was generated from, `schema/ops/*.json`, compiled by the `jsonschema` crate.
//!
//! The property test draws valid AddNode ops (kinds of 1 to 128 characters of
//! `[A-Za-z0-9_.:-]`, payloads of random bytes in standard padded base64, the empty payload
//! included) and mutations of them (unknown fields at both levels, missing fields, values of
//! the wrong JSON type at every position, kinds that are too long, empty or carry a disallowed
//! character, payloads in bad base64, unknown op names, `op` not a string, the op not an
//! object), and asserts that the generated validator accepts exactly when some op schema does.
//! An unknown op name is `NOT_IMPLEMENTED` for the generated validator and simply invalid for
//! the JSON Schema (its `op` is a `const`): both reject, which is agreement.
//!
//! # What the JSON Schema side checks, and the one disagreement
//! - `pattern` needs no crate feature: jsonschema 0.33 always compiles it (fancy-regex, after
//!   an ECMA-262 to Rust translation), also with `default-features = false`, whose default
//!   features only fetch remote and file `$ref`s.
//! - `contentEncoding: base64` is checked by jsonschema 0.33 by default, but only under drafts 6
//!   and 7 (later drafts treat it as an annotation); the schemas say draft-07 and this file pins
//!   `Draft::Draft7`. The check is `base64` 0.22 `STANDARD.decode`, the engine the generated
//!   validator uses, so the two sides agree on every base64 question: padding required, no
//!   whitespace, no URL-safe alphabet, canonical trailing bits (`aGVsbG8=` is accepted,
//!   `aGVsbG9=` rejected). `base64_verdicts_match_an_independent_decode` pins each case
//!   against a decode done here.
//! - `x-jitos-max-bytes` is a JSON Schema extension keyword: plain JSON Schema ignores it. With
//!   `maxLength: 1398104` alone, a `payload_b64` that decodes to 1 048 577 or 1 048 578 bytes
//!   (both encode to exactly 1 398 104 characters) is valid for plain jsonschema and
//!   `LIMIT_EXCEEDED` for the generated validator, which also enforces the 1 MiB decoded limit.
//!   The oracle therefore registers `x-jitos-max-bytes` as a jsonschema custom keyword whose
//!   check is an independent `STANDARD.decode` and a length comparison;
//!   `decoded_size_limit_is_the_one_plain_json_schema_misses` pins both verdicts at the
//!   boundary. The property test never draws payloads that large.
//!
//! # Invariants
//! - Every file in `schema/ops/` compiles as a draft-07 schema and names an op of `Op::NAMES`,
//!   and every op name has a generator here.
//! - For every drawn input, `Op::validate` accepts exactly when some op schema accepts; an
//!   accepted op round-trips through `Op::to_json` unchanged; a rejection records at least one
//!   problem, and it is `NOT_IMPLEMENTED` at `op` exactly when the op is well shaped but its
//!   name is unknown.
//! - The property runs 4096 cases from a fixed seed and writes no regression files.

use std::path::PathBuf;
use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
use jitos_schema::ops::Op;
use jitos_schema::{ErrorCode, InputPath, Parse, ValidationErrors};
use jsonschema::paths::{LazyLocation, Location};
use jsonschema::{Draft, Keyword, ValidationError, Validator};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};

/// The extension keyword for the largest accepted decoded payload, in bytes.
const MAX_BYTES_KEYWORD: &str = "x-jitos-max-bytes";

/// The ops this file has generators for; a new op schema needs one here too.
const OPS_WITH_GENERATORS: [&str; 1] = ["AddNode"];

/// The base64 alphabet, by sextet value.
const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// One file of `schema/ops/`, compiled twice.
struct OpSchema {
    /// The file name, for messages.
    file: String,
    /// The op name its `op` property fixes.
    name: String,
    /// The schema as JSON.
    json: Value,
    /// Draft 7 with the extension keyword enforced: the oracle.
    oracle: Validator,
    /// Draft 7 as a JSON Schema tool sees it, extension ignored.
    plain: Validator,
}

static OP_SCHEMAS: LazyLock<Vec<OpSchema>> = LazyLock::new(load_op_schemas);

/// `x-jitos-max-bytes: N`: a string that is valid base64 must decode to at most N bytes.
/// Strings that do not decode are left to `contentEncoding`.
struct MaxDecodedBytes {
    max_bytes: usize,
    location: Location,
}

impl Keyword for MaxDecodedBytes {
    fn validate<'i>(
        &self,
        instance: &'i Value,
        location: &LazyLocation,
    ) -> Result<(), ValidationError<'i>> {
        if self.is_valid(instance) {
            return Ok(());
        }
        let message = format!("decodes to more than {} bytes", self.max_bytes);
        Err(ValidationError::custom(
            self.location.clone(),
            location.into(),
            instance,
            message,
        ))
    }

    fn is_valid(&self, instance: &Value) -> bool {
        let Value::String(text) = instance else {
            return true;
        };
        STANDARD
            .decode(text)
            .map_or(true, |bytes| bytes.len() <= self.max_bytes)
    }
}

#[expect(
    clippy::result_large_err,
    reason = "the factory signature is the one `ValidationOptions::with_keyword` takes"
)]
fn max_bytes_keyword<'a>(
    _parent: &'a Map<String, Value>,
    value: &'a Value,
    location: Location,
) -> Result<Box<dyn Keyword>, ValidationError<'a>> {
    match value
        .as_u64()
        .and_then(|max_bytes| usize::try_from(max_bytes).ok())
    {
        Some(max_bytes) => Ok(Box::new(MaxDecodedBytes {
            max_bytes,
            location,
        })),
        None => Err(ValidationError::custom(
            Location::new(),
            location,
            value,
            "x-jitos-max-bytes must be a non-negative integer",
        )),
    }
}

fn load_op_schemas() -> Vec<OpSchema> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/ops"));
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("schema/ops is readable")
        .map(|entry| entry.expect("schema/ops entry is readable").path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no op schema in {}", dir.display());
    paths
        .into_iter()
        .map(|path| {
            let file = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&path).expect("op schema is readable");
            let json: Value = serde_json::from_str(&text).expect("op schema is JSON");
            assert_eq!(
                json["$schema"], "http://json-schema.org/draft-07/schema#",
                "{file}"
            );
            let name = json["properties"]["op"]["const"]
                .as_str()
                .expect("op const")
                .to_owned();
            let oracle = jsonschema::options()
                .with_draft(Draft::Draft7)
                .with_keyword(MAX_BYTES_KEYWORD, max_bytes_keyword)
                .build(&json)
                .unwrap_or_else(|error| panic!("{file} does not compile: {error}"));
            let plain = jsonschema::options()
                .with_draft(Draft::Draft7)
                .build(&json)
                .unwrap_or_else(|error| panic!("{file} does not compile: {error}"));
            OpSchema {
                file,
                name,
                json,
                oracle,
                plain,
            }
        })
        .collect()
}

fn oracle_accepts(op: &Value) -> bool {
    OP_SCHEMAS.iter().any(|schema| schema.oracle.is_valid(op))
}

fn plain_accepts(op: &Value) -> bool {
    OP_SCHEMAS.iter().any(|schema| schema.plain.is_valid(op))
}

fn add_node_schema() -> &'static OpSchema {
    OP_SCHEMAS
        .iter()
        .find(|schema| schema.name == "AddNode")
        .expect("AddNode.v0.json exists")
}

fn add_node(kind: &str, payload_b64: &str) -> Value {
    json!({"op": "AddNode", "data": {"kind": kind, "payload_b64": payload_b64}})
}

/// The first problem's code and path; panics if the op was accepted.
fn first_error(op: &Value) -> (ErrorCode, String) {
    let errors: ValidationErrors = Op::validate(op).expect_err("the op is rejected");
    let first = errors.first().expect("a rejection records a problem");
    (first.code, first.path.as_str().to_owned())
}

// ---------------------------------------------------------------------------------------------
// Generators.

fn valid_kind() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.:-]{1,128}"
}

fn payload_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![1 => Just(Vec::new()), 9 => vec(any::<u8>(), 0..48)]
}

fn valid_add_node() -> impl Strategy<Value = Value> {
    (valid_kind(), payload_bytes())
        .prop_map(|(kind, payload)| add_node(&kind, &STANDARD.encode(payload)))
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(Value::from),
        "[A-Za-z0-9+/= _.:-]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// A standard encoding whose last data character carries non-zero trailing bits, e.g.
/// `aGVsbG9=` for `aGVsbG8=`; without padding, such a final quantum is appended.
fn dirty_trailing_bits(bytes: &[u8]) -> String {
    let text = STANDARD.encode(bytes);
    let padding = text.bytes().rev().take_while(|&byte| byte == b'=').count();
    if padding == 0 {
        return format!("{text}aGVsbG9=");
    }
    let mut chars = text.into_bytes();
    let last_idx = chars.len() - padding - 1;
    let sextet = BASE64_ALPHABET
        .iter()
        .position(|&c| c == chars[last_idx])
        .expect("base64 char");
    chars[last_idx] = BASE64_ALPHABET[sextet | 1];
    String::from_utf8(chars).expect("base64 is ASCII")
}

fn replace_char(text: &str, position: usize, replacement: char) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return replacement.to_string();
    }
    let position = position % chars.len();
    chars[position] = replacement;
    chars.into_iter().collect()
}

fn insert_char(text: &str, position: usize, inserted: char) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    chars.insert(position % (chars.len() + 1), inserted);
    chars.into_iter().collect()
}

fn bad_base64() -> impl Strategy<Value = String> {
    let bytes = vec(any::<u8>(), 1..32);
    prop_oneof![
        bytes.clone().prop_map(|bytes| URL_SAFE.encode(bytes)),
        (
            bytes.clone(),
            any::<usize>(),
            select(vec!['-', '_', '*', '.'])
        )
            .prop_map(|(bytes, at, bad)| replace_char(&STANDARD.encode(bytes), at, bad)),
        bytes
            .clone()
            .prop_map(|bytes| STANDARD_NO_PAD.encode(bytes)),
        (
            bytes.clone(),
            any::<usize>(),
            select(vec![' ', '\n', '\t', '\r'])
        )
            .prop_map(|(bytes, at, space)| insert_char(&STANDARD.encode(bytes), at, space)),
        bytes.prop_map(|bytes| dirty_trailing_bits(&bytes)),
        "[A-Za-z0-9+/=_ -]{0,16}",
    ]
}

fn bad_kind() -> impl Strategy<Value = String> {
    let bad_chars = vec![
        ' ',
        '/',
        '\n',
        '+',
        '#',
        '\u{0}',
        'é',
        'ß',
        '日',
        '\u{1F600}',
    ];
    prop_oneof![
        "[A-Za-z0-9_.:-]{129,200}",
        Just(String::new()),
        (valid_kind(), any::<usize>(), select(bad_chars))
            .prop_map(|(kind, at, bad)| insert_char(&kind, at, bad)),
    ]
}

fn with(mut op: Value, pointer: &str, value: Value) -> Value {
    *op.pointer_mut(pointer)
        .expect("the pointer names a place of the op") = value;
    op
}

fn without(mut op: Value, parent: &str, field: &str) -> Value {
    op.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .expect("the parent is an object")
        .remove(field);
    op
}

fn inserted(mut op: Value, parent: &str, field: String, value: Value) -> Value {
    op.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .expect("the parent is an object")
        .insert(field, value);
    op
}

/// Valid ops and every kind of broken one.
fn any_op() -> impl Strategy<Value = Value> {
    let positions = vec!["", "/op", "/data", "/data/kind", "/data/payload_b64"];
    prop_oneof![
        4 => valid_add_node(),
        1 => (valid_add_node(), "[a-z_]{1,10}", any_json())
            .prop_map(|(op, field, value)| inserted(op, "", field, value)),
        1 => (valid_add_node(), "[a-z_]{1,12}", any_json())
            .prop_map(|(op, field, value)| inserted(op, "/data", field, value)),
        1 => (valid_add_node(), select(vec!["op", "data"]))
            .prop_map(|(op, field)| without(op, "", field)),
        1 => (valid_add_node(), select(vec!["kind", "payload_b64"]))
            .prop_map(|(op, field)| without(op, "/data", field)),
        2 => (valid_add_node(), select(positions), any_json())
            .prop_map(|(op, pointer, value)| with(op, pointer, value)),
        2 => (valid_add_node(), bad_kind()).prop_map(|(op, kind)| with(op, "/data/kind", kind.into())),
        2 => (valid_add_node(), bad_base64())
            .prop_map(|(op, payload)| with(op, "/data/payload_b64", payload.into())),
        1 => (valid_add_node(), prop_oneof!["[A-Za-z]{0,12}", Just("addNode".to_owned())])
            .prop_map(|(op, name)| with(op, "/op", name.into())),
    ]
}

fn property_config() -> Config {
    Config {
        cases: 4096,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x6a69_746f_735f_6f70),
        ..Config::default()
    }
}

/// Whether `op` is an object of exactly `op` and `data` whose `op` is a string naming no op.
fn is_well_shaped_with_unknown_name(op: &Value) -> bool {
    let Some(fields) = op.as_object() else {
        return false;
    };
    let shaped = fields.len() == 2 && fields.contains_key("data");
    shaped
        && fields
            .get("op")
            .and_then(Value::as_str)
            .is_some_and(|name| !Op::NAMES.contains(&name))
}

fn check_agreement(op: &Value) -> Result<(), TestCaseError> {
    let generated = Op::validate(op);
    let schema_accepts = oracle_accepts(op);
    prop_assert_eq!(
        generated.is_ok(),
        schema_accepts,
        "op {} : generated says {:?}, JSON Schema says valid = {}",
        op,
        generated.as_ref().err().map(ToString::to_string),
        schema_accepts,
    );
    match generated {
        Ok(valid) => prop_assert_eq!(&valid.to_json(), op),
        Err(errors) => {
            let first = errors.first().expect("a rejection records a problem");
            let unknown_name = first.code == ErrorCode::NotImplemented;
            prop_assert_eq!(
                unknown_name,
                is_well_shaped_with_unknown_name(op),
                "op {}",
                op
            );
            if unknown_name {
                prop_assert_eq!(first.path.as_str(), "op");
            } else {
                prop_assert_eq!(first.code, ErrorCode::InvalidInput, "op {}", op);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(property_config())]

    #[test]
    fn generated_validator_agrees_with_json_schema(op in any_op()) {
        check_agreement(&op)?;
    }
}

// ---------------------------------------------------------------------------------------------
// The schemas and the generators themselves.

#[test]
fn every_op_schema_compiles_and_names_a_generated_op() {
    let mut names: Vec<&str> = OP_SCHEMAS
        .iter()
        .map(|schema| schema.name.as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        Op::NAMES,
        "schema/ops/ and the generated Op disagree on the op names"
    );
    assert_eq!(
        names, OPS_WITH_GENERATORS,
        "an op schema has no generator in this file"
    );
    for schema in OP_SCHEMAS.iter() {
        assert!(
            schema.file.starts_with(&schema.name),
            "{} holds op {}",
            schema.file,
            schema.name
        );
    }
}

#[test]
fn generators_draw_both_valid_and_invalid_ops() {
    let mut runner = TestRunner::deterministic();
    let strategy = any_op();
    let draws = 2000_u32;
    let (mut accepted, mut not_implemented, mut invalid) = (0_u32, 0_u32, 0_u32);
    for _ in 0..draws {
        let op = strategy
            .new_tree(&mut runner)
            .expect("the strategy draws")
            .current();
        match Op::validate(&op) {
            Ok(_) => accepted += 1,
            Err(errors) if errors.first().map(|e| e.code) == Some(ErrorCode::NotImplemented) => {
                not_implemented += 1;
            }
            Err(_) => invalid += 1,
        }
    }
    let summary =
        format!("{accepted} accepted, {not_implemented} unknown names, {invalid} invalid");
    assert!(
        accepted * 5 >= draws && accepted * 5 <= draws * 4,
        "{summary}"
    );
    assert!(not_implemented * 100 >= draws, "{summary}");
    assert!(invalid * 5 >= draws, "{summary}");
}

// ---------------------------------------------------------------------------------------------
// Edge cases, each asserted on both sides and against an independent check.

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
        let op = add_node("k", payload);
        assert_eq!(
            Op::validate(&op).is_ok(),
            expected,
            "generated verdict on {payload:?}"
        );
        assert_eq!(
            add_node_schema().plain.is_valid(&op),
            expected,
            "jsonschema on {payload:?}"
        );
        assert_eq!(oracle_accepts(&op), expected, "oracle on {payload:?}");
        if !expected {
            assert_eq!(
                first_error(&op),
                (ErrorCode::InvalidInput, "data.payload_b64".to_owned())
            );
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
        let op = add_node(&kind, "");
        assert_eq!(
            Op::validate(&op).is_ok(),
            expected,
            "generated verdict on {kind:?}"
        );
        assert_eq!(oracle_accepts(&op), expected, "jsonschema on {kind:?}");
        if !expected {
            assert_eq!(
                first_error(&op),
                (ErrorCode::InvalidInput, "data.kind".to_owned())
            );
        }
    }
}

#[test]
fn decoded_size_limit_is_the_one_plain_json_schema_misses() {
    let payload_schema = &add_node_schema().json["properties"]["data"]["properties"]["payload_b64"];
    let max_length = payload_schema["maxLength"].as_u64().expect("maxLength");
    let max_bytes = payload_schema[MAX_BYTES_KEYWORD]
        .as_u64()
        .expect("x-jitos-max-bytes");
    assert_eq!((max_length, max_bytes), (1_398_104, 1_048_576));
    let max_bytes = usize::try_from(max_bytes).expect("fits usize");

    // (decoded bytes, plain jsonschema verdict, generated and oracle verdict)
    let cases = [
        (max_bytes, true, true),
        (max_bytes + 1, true, false),
        (max_bytes + 2, true, false),
        (max_bytes + 3, false, false),
    ];
    for (n_bytes, plain, generated) in cases {
        let payload = STANDARD.encode(vec![0x5a_u8; n_bytes]);
        let op = add_node("blob", &payload);
        assert_eq!(
            plain_accepts(&op),
            plain,
            "plain jsonschema on {n_bytes} bytes"
        );
        assert_eq!(oracle_accepts(&op), generated, "oracle on {n_bytes} bytes");
        assert_eq!(
            Op::validate(&op).is_ok(),
            generated,
            "generated on {n_bytes} bytes"
        );
        let independent = STANDARD.decode(&payload).expect("valid base64").len() <= max_bytes;
        assert_eq!(
            independent, generated,
            "independent check on {n_bytes} bytes"
        );
        if !generated {
            assert_eq!(
                first_error(&op),
                (ErrorCode::LimitExceeded, "data.payload_b64".to_owned())
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Error codes and paths.

#[test]
fn unknown_fields_are_invalid_input_at_their_path() {
    let mut op = add_node("k", "");
    op["data"]["extra"] = json!(1);
    assert_eq!(
        first_error(&op),
        (ErrorCode::InvalidInput, "data.extra".to_owned())
    );
    let mut op = add_node("k", "");
    op["extra"] = json!(null);
    assert_eq!(
        first_error(&op),
        (ErrorCode::InvalidInput, "extra".to_owned())
    );
}

#[test]
fn unknown_op_name_is_not_implemented_at_op() {
    let op = json!({"op": "AddNodes", "data": {"kind": "k", "payload_b64": ""}});
    assert_eq!(
        first_error(&op),
        (ErrorCode::NotImplemented, "op".to_owned())
    );
    assert!(!oracle_accepts(&op));
    let op = json!({"op": 7, "data": {}});
    assert_eq!(first_error(&op), (ErrorCode::InvalidInput, "op".to_owned()));
}

#[test]
fn shape_errors_are_invalid_input() {
    let cases = [
        (json!([1]), ""),
        (json!("AddNode"), ""),
        (json!({"data": {"kind": "k", "payload_b64": ""}}), "op"),
        (json!({"op": "AddNode"}), "data"),
        (json!({"op": "AddNode", "data": []}), "data"),
        (
            json!({"op": "AddNode", "data": {"payload_b64": ""}}),
            "data.kind",
        ),
        (
            json!({"op": "AddNode", "data": {"kind": "k"}}),
            "data.payload_b64",
        ),
        (
            json!({"op": "AddNode", "data": {"kind": 1, "payload_b64": ""}}),
            "data.kind",
        ),
        (
            json!({"op": "AddNode", "data": {"kind": "k", "payload_b64": null}}),
            "data.payload_b64",
        ),
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
fn bad_base64_is_invalid_input_at_payload() {
    let op = add_node("k", "aGVsbG9=");
    assert_eq!(
        first_error(&op),
        (ErrorCode::InvalidInput, "data.payload_b64".to_owned())
    );
}

#[test]
fn kind_too_long_is_invalid_input_at_kind() {
    let op = add_node(&"k".repeat(129), "");
    assert_eq!(
        first_error(&op),
        (ErrorCode::InvalidInput, "data.kind".to_owned())
    );
}

#[test]
fn payload_over_max_length_is_limit_exceeded() {
    let payload = "A".repeat(1_398_108);
    let op = add_node("k", &payload);
    assert_eq!(
        first_error(&op),
        (ErrorCode::LimitExceeded, "data.payload_b64".to_owned())
    );
    assert!(!oracle_accepts(&op));
}

#[test]
fn paths_are_below_the_given_prefix() {
    let prefix = InputPath::root().field("rewrite").field("ops").index(0);
    let op = add_node("", "");
    let errors = Op::validate_at(&op, &prefix).expect_err("an empty kind is rejected");
    let first = errors.first().expect("a problem is recorded");
    assert_eq!(
        (first.code, first.path.as_str()),
        (ErrorCode::InvalidInput, "rewrite.ops[0].data.kind")
    );
}

#[test]
fn valid_op_round_trips_through_to_json() {
    let payload = STANDARD.encode(b"hello, \x00\xff world");
    let op = add_node("jitos.Node:v0-x_1", &payload);
    let valid = Op::validate(&op).expect("a valid op");
    assert!(matches!(&*valid, Op::AddNode(node) if node.kind == "jitos.Node:v0-x_1"));
    assert!(matches!(&*valid, Op::AddNode(node) if node.payload == b"hello, \x00\xff world"));
    assert_eq!(valid.to_json(), op);
    assert_eq!(valid.name(), "AddNode");
    let empty = add_node("k", "");
    assert_eq!(
        Op::validate(&empty)
            .expect("an empty payload is valid")
            .to_json(),
        empty
    );
}
