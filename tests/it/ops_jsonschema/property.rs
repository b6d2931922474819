//! The property: for every drawn op, the generated validator and the oracle agree on accept
//! and reject, and the generated problems carry the codes and paths `mod.rs` describes. Also
//! the checks that keep the generators honest: the shapes match the schemas, and the draws
//! reach every verdict, every field and every kind of broken value.
//!
//! # Invariants
//! - The property runs 4096 cases from a fixed seed and writes no regression files.
//! - The generator checks draw from `TestRunner::deterministic`, so their counts are fixed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jitos_schema::ops::Op;
use jitos_schema::{ErrorCode, Parse, ValidationErrors};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use serde_json::{Value, json};

use super::generators::{OP_SHAPES, Repr, any_op, any_tagged_op};
use super::oracle::{
    MAX_BYTES_KEYWORD, OP_SCHEMAS, oracle_accepts, schema_error_paths, schema_named, schema_of,
};
use super::{is_hex_id, paths_of};

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
    if let Some(schema) = schema_of(op) {
        let generated_paths = generated.as_ref().err().map(paths_of).unwrap_or_default();
        prop_assert_eq!(
            generated_paths,
            schema_error_paths(schema, op),
            "op {}: generated problem paths vs JSON Schema error paths",
            op
        );
    }
    match generated {
        Ok(valid) => {
            prop_assert_eq!(&valid.to_json(), op);
            prop_assert_eq!(Some(valid.name()), op["op"].as_str());
        }
        Err(errors) => check_rejection(op, &errors)?,
    }
    Ok(())
}

fn check_rejection(op: &Value, errors: &ValidationErrors) -> Result<(), TestCaseError> {
    let first = errors.first().expect("a rejection records a problem");
    let unknown_name = first.code == ErrorCode::NotImplemented;
    prop_assert_eq!(
        unknown_name,
        is_well_shaped_with_unknown_name(op),
        "op {}",
        op
    );
    if unknown_name {
        prop_assert_eq!((errors.len(), first.path.as_str()), (1, "op"), "op {}", op);
    } else {
        for error in errors.iter() {
            prop_assert_eq!(
                error.code,
                ErrorCode::InvalidInput,
                "op {} at {}",
                op,
                error.path.as_str()
            );
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
    let shapes: Vec<&str> = OP_SHAPES.iter().map(|shape| shape.name).collect();
    assert_eq!(names, shapes, "an op schema has no generator here");
    for schema in OP_SCHEMAS.iter() {
        assert!(
            schema.file.starts_with(&schema.name),
            "{} holds op {}",
            schema.file,
            schema.name
        );
    }
}

/// The generator type of a `data` property, read from its schema; panics on a property no
/// generator here draws.
fn repr_in_schema(name: &str, property: &Value) -> Repr {
    assert_eq!(property["type"], "string", "{name}");
    if property["x-jitos-repr"] == "hex32" {
        assert_eq!(property["pattern"], "^[0-9a-f]{64}$", "{name}");
        return Repr::HexId;
    }
    if property["contentEncoding"] == "base64" {
        assert_eq!(property["maxLength"], 1_398_104, "{name}");
        assert_eq!(property[MAX_BYTES_KEYWORD], 1_048_576, "{name}");
        return Repr::Payload;
    }
    assert_eq!(
        property["pattern"], "^[A-Za-z0-9_.:-]+$",
        "{name}: no generator draws this field"
    );
    assert_eq!(
        (&property["minLength"], &property["maxLength"]),
        (&1.into(), &128.into())
    );
    Repr::Kind
}

#[test]
fn shapes_match_the_schemas() {
    for shape in &OP_SHAPES {
        let schema = schema_named(shape.name).expect("every shape has a schema");
        let json = &schema.json;
        assert_eq!(json["required"], json!(["op", "data"]), "{}", schema.file);
        let data = &json["properties"]["data"];
        for object in [json, data] {
            assert_eq!(object["additionalProperties"], false, "{}", schema.file);
        }
        let properties = data["properties"].as_object().expect("data properties");
        let mut expected: Vec<&str> = properties.keys().map(String::as_str).collect();
        let mut drawn: Vec<&str> = shape.fields.iter().map(|field| field.name).collect();
        expected.sort_unstable();
        drawn.sort_unstable();
        assert_eq!(drawn, expected, "{}: fields", schema.file);
        let required: BTreeSet<&str> = data["required"]
            .as_array()
            .expect("data required")
            .iter()
            .map(|name| name.as_str().expect("a field name"))
            .collect();
        for field in shape.fields {
            let at = format!("{}: data.{}", schema.file, field.name);
            assert_eq!(
                field.required,
                required.contains(field.name),
                "{at}: required"
            );
            assert_eq!(
                field.repr,
                repr_in_schema(&at, &properties[field.name]),
                "{at}"
            );
        }
    }
}

/// 8000 draws from `any_tagged_op`, shared by the generator checks below.
static DRAWS: LazyLock<Vec<(&'static str, Value)>> = LazyLock::new(|| {
    let mut runner = TestRunner::deterministic();
    let strategy = any_tagged_op();
    (0..8000)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .expect("the strategy draws")
                .current()
        })
        .collect()
});

/// Draws of one shape: how many the generated validator accepted, how many it rejected, and
/// the paths of the problems found.
#[derive(Default)]
struct Tally {
    accepted: u32,
    rejected: u32,
    paths: BTreeSet<String>,
}

#[test]
fn generators_draw_valid_and_invalid_ops_of_every_shape() {
    let draws = u32::try_from(DRAWS.len()).expect("fits u32");
    let (mut accepted, mut not_implemented, mut invalid) = (0_u32, 0_u32, 0_u32);
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    for (shape, op) in DRAWS.iter() {
        let tally = tallies.entry(shape).or_default();
        match Op::validate(op) {
            Ok(_) => {
                accepted += 1;
                tally.accepted += 1;
            }
            Err(errors) => {
                if errors.first().map(|e| e.code) == Some(ErrorCode::NotImplemented) {
                    not_implemented += 1;
                } else {
                    invalid += 1;
                }
                tally.rejected += 1;
                tally.paths.extend(paths_of(&errors));
            }
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
    for shape in &OP_SHAPES {
        let tally = &tallies[shape.name];
        let share = format!(
            "{}: {} accepted, {} rejected",
            shape.name, tally.accepted, tally.rejected
        );
        assert!(
            tally.accepted * 20 >= draws && tally.rejected * 20 >= draws,
            "{share}"
        );
        let mut expected = vec![String::new(), "op".to_owned(), "data".to_owned()];
        expected.extend(
            shape
                .fields
                .iter()
                .map(|field| format!("data.{}", field.name)),
        );
        for path in expected {
            assert!(
                tally.paths.contains(&path),
                "{}: no draw is rejected at {path:?}",
                shape.name
            );
        }
    }
}

/// What a drawn field value is, in the words of the generators' doc comments.
fn value_class(repr: Repr, value: Option<&Value>) -> &'static str {
    let text = match value {
        None => return "absent",
        Some(Value::Null) => return "null",
        Some(Value::String(text)) => text,
        Some(_) => return "not a string",
    };
    match repr {
        Repr::HexId if is_hex_id(text) => "valid",
        Repr::HexId if text.starts_with("0x") || text.starts_with("0X") => "0x prefix",
        Repr::HexId if text.trim() != text => "whitespace around",
        Repr::HexId if !text.chars().all(|c| c.is_ascii_hexdigit()) => "non-hex character",
        Repr::HexId if text.len() == 64 => "wrong case",
        Repr::HexId => "wrong length",
        Repr::Payload if text.is_empty() => "empty",
        Repr::Payload if STANDARD.decode(text).is_ok() => "valid",
        Repr::Payload => "bad base64",
        Repr::Kind if text.is_empty() => "empty",
        Repr::Kind if text.chars().count() > 128 => "too long",
        Repr::Kind
            if text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.:-".contains(c)) =>
        {
            "valid"
        }
        Repr::Kind => "bad character",
    }
}

/// The classes of value the generators must draw at every field.
const COMMON_CLASSES: [&str; 4] = ["valid", "absent", "null", "not a string"];

/// The further classes of value the generators must draw at a field of this type.
fn classes_of(repr: Repr) -> &'static [&'static str] {
    match repr {
        Repr::HexId => &[
            "wrong case",
            "wrong length",
            "non-hex character",
            "0x prefix",
            "whitespace around",
        ],
        Repr::Payload => &["empty", "bad base64"],
        Repr::Kind => &["empty", "too long", "bad character"],
    }
}

#[test]
fn generators_reach_every_kind_of_value_at_every_field() {
    let mut seen: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
    for (shape, op) in DRAWS.iter() {
        let Some(data) = op.get("data").and_then(Value::as_object) else {
            continue;
        };
        let shape = OP_SHAPES
            .iter()
            .find(|s| s.name == *shape)
            .expect("a shape");
        for field in shape.fields {
            seen.insert((
                shape.name,
                field.name,
                value_class(field.repr, data.get(field.name)),
            ));
        }
    }
    for shape in &OP_SHAPES {
        for field in shape.fields {
            for class in COMMON_CLASSES.iter().chain(classes_of(field.repr)) {
                assert!(
                    seen.contains(&(shape.name, field.name, class)),
                    "{}.data.{}: no draw is {class}",
                    shape.name,
                    field.name
                );
            }
        }
    }
}
