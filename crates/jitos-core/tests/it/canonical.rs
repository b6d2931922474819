//! Golden vectors of the canonical CBOR codec: `tests/vectors/canonical.json`.
//!
//! Each case is one of:
//! - `encode`: `value` (a JSON description, see [`build`]) encodes to `hex`, and decoding `hex`
//!   gives back `value.to_canonical()`; with `blake3`, `hash_canonical(value)` is that hash.
//! - `decode_ok`: `hex` decodes and re-encodes to the same bytes (and equals `value`, if given).
//! - `reject`: decoding `hex` fails with `error` at byte `offset`.
//! - `encode_reject`: building or encoding `value` fails with `error`.
//!
//! # Invariants
//! - Every upstream vector of UPSTREAM-DIGEST §8 is in the file with its exact expectation
//!   ([`UPSTREAM`]), and every `DecodeError` variant has at least one `reject` case.
//! - Under `UPDATE_EXPECT=1` only `hex`, `blake3`, `error` and `offset` are rewritten.

use jitos_core::cbor::{EncodeError, Value, decode, encode, hash_canonical};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::support::{from_hex, load, save, to_hex, update_expect};

const FILE_NAME: &str = "canonical.json";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    kind: CaseKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    offset: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    blake3: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum CaseKind {
    Encode,
    DecodeOk,
    Reject,
    EncodeReject,
}

/// The upstream vectors (UPSTREAM-DIGEST §8 and §3), as (hex, expected error or "ok").
const UPSTREAM: &[(&str, &str)] = &[
    ("17", "ok"),
    ("1818", "ok"),
    ("18ff", "ok"),
    ("190100", "ok"),
    ("a0", "ok"),
    ("80", "ok"),
    ("01", "ok"),
    ("fb3fe0000000000000", "ok"),
    ("fb7ff8000000000000", "ok"),
    ("00", "ok"),
    ("fb7ff0000000000000", "ok"),
    ("fbfff0000000000000", "ok"),
    ("fb47e0000000000000", "ok"),
    ("a261620262616101", "ok"), // {"aa":1,"b":2}: the shorter key "b" sorts first
    ("9f0102ff", "Indefinite"),
    ("190001", "NonCanonicalInt"),
    ("1817", "NonCanonicalInt"),
    ("c000", "Tag"),
    ("a2616101616102", "DuplicateKey"),
    ("a2617a01616101", "MapKeyOrder"),
    ("bf616101ff", "Indefinite"),
    ("f93800", "NonCanonicalFloat"),
    ("fa3f000000", "NonCanonicalFloat"),
    ("fb7ff0000000000001", "NonCanonicalFloat"),
    ("fb3ff0000000000000", "FloatShouldBeInt"),
    ("fb", "Incomplete"),
    ("f7", "UndefinedOrUnknownSimple"),
];

/// Every `DecodeError` variant, each of which must be pinned by at least one `reject` case.
const DECODE_ERRORS: &[&str] = &[
    "Incomplete",
    "Trailing",
    "Tag",
    "Indefinite",
    "NonCanonicalInt",
    "NonCanonicalFloat",
    "FloatShouldBeInt",
    "MapKeyOrder",
    "DuplicateKey",
    "UndefinedOrUnknownSimple",
    "DepthExceeded",
    "InvalidUtf8",
    "InvalidAdditionalInfo",
    "UnexpectedBreak",
];

/// Builds a `Value` from its JSON description: a one-key object, the key naming the type.
///
/// `{"int": "<decimal>"}`, `{"float": "<Rust f64 literal, inf, -inf, NaN>"}`,
/// `{"float_bits": "<16 hex digits>"}`, `{"bytes": "<hex>"}`, `{"text": "..."}`,
/// `{"bool": b}`, `{"null": null}`, `{"array": [...]}`, `{"map": [[key, value], ...]}` (any
/// order; built with `Value::map`), `{"nested_arrays": [n, inner]}` (`inner` in `n` arrays).
/// Floats stay `Value::Float`, so encoding them exercises the float rule.
fn build(description: &Json) -> Result<Value, EncodeError> {
    let object = description
        .as_object()
        .expect("a value description is an object");
    assert_eq!(
        object.len(),
        1,
        "one key per value description: {description}"
    );
    let (tag, argument) = object.iter().next().expect("one key");
    let text = || argument.as_str().expect("a string argument");
    let value = match tag.as_str() {
        "int" => Value::integer(text().parse().expect("decimal")).expect("in [-2^64, 2^64-1]"),
        "float" => Value::Float(text().parse().expect("f64 literal")),
        "float_bits" => Value::Float(f64::from_bits(
            u64::from_str_radix(text(), 16).expect("hex"),
        )),
        "bytes" => Value::Bytes(from_hex(text())),
        "text" => Value::Text(text().to_owned()),
        "bool" => Value::Bool(argument.as_bool().expect("a boolean")),
        "null" => {
            assert!(argument.is_null(), "{{\"null\": null}}");
            Value::Null
        }
        "array" => Value::Array(
            argument
                .as_array()
                .expect("array")
                .iter()
                .map(build)
                .collect::<Result<_, _>>()?,
        ),
        "map" => Value::map(
            argument
                .as_array()
                .expect("array of pairs")
                .iter()
                .map(|pair| Ok((build(&pair[0])?, build(&pair[1])?)))
                .collect::<Result<Vec<_>, EncodeError>>()?,
        )?,
        "nested_arrays" => {
            let n_levels = argument[0].as_u64().expect("level count");
            let mut value = build(&argument[1])?;
            for _ in 0..n_levels {
                value = Value::Array(vec![value]);
            }
            value
        }
        other => panic!("unknown value description {other:?}"),
    };
    Ok(value)
}

/// Asserts `slot == actual`, or stores `actual` under `UPDATE_EXPECT=1`.
fn expect_field<T>(slot: &mut Option<T>, actual: T, field: &str) -> Result<(), String>
where
    T: PartialEq + std::fmt::Debug,
{
    if update_expect() {
        *slot = Some(actual);
        return Ok(());
    }
    match slot {
        Some(expected) if *expected == actual => Ok(()),
        _ => Err(format!("{field}: expected {slot:?}, got {actual:?}")),
    }
}

fn case_value(case: &Case) -> Result<Value, String> {
    let description = case.value.as_ref().ok_or("case has no value")?;
    build(description).map_err(|error| format!("building the value failed: {error}"))
}

fn case_bytes(case: &Case) -> Result<Vec<u8>, String> {
    let hex = case.hex.as_deref().ok_or("case has no hex")?;
    if hex != hex.to_lowercase() {
        return Err("hex must be lowercase".to_owned());
    }
    Ok(from_hex(hex))
}

fn check_encode(case: &mut Case) -> Result<(), String> {
    let value = case_value(case)?;
    let bytes = encode(&value).map_err(|error| format!("encode failed: {error}"))?;
    expect_field(&mut case.hex, to_hex(&bytes), "hex")?;
    let decoded = decode(&bytes).map_err(|error| format!("own encoding rejected: {error}"))?;
    if decoded != value.to_canonical() {
        return Err(format!(
            "decoded {decoded:?}, expected {:?}",
            value.to_canonical()
        ));
    }
    if case.blake3.is_some() {
        let hash = hash_canonical(&value).map_err(|error| error.to_string())?;
        expect_field(&mut case.blake3, hash.to_string(), "blake3")?;
    }
    Ok(())
}

fn check_decode_ok(case: &Case) -> Result<(), String> {
    let bytes = case_bytes(case)?;
    let decoded = decode(&bytes).map_err(|error| format!("rejected: {error}"))?;
    let encoded = encode(&decoded).map_err(|error| format!("re-encode failed: {error}"))?;
    if encoded != bytes {
        return Err(format!("re-encoded to {}", to_hex(&encoded)));
    }
    if case.value.is_some() && decoded != case_value(case)?.to_canonical() {
        return Err(format!("decoded {decoded:?}, not the described value"));
    }
    Ok(())
}

fn check_reject(case: &mut Case) -> Result<(), String> {
    let bytes = case_bytes(case)?;
    let error = match decode(&bytes) {
        Ok(value) => return Err(format!("accepted as {value:?}")),
        Err(error) => error,
    };
    expect_field(&mut case.error, error.name().to_owned(), "error")?;
    expect_field(&mut case.offset, error.offset(), "offset")
}

fn check_encode_reject(case: &mut Case) -> Result<(), String> {
    let description = case.value.as_ref().ok_or("case has no value")?;
    let error = match build(description).and_then(|value| encode(&value)) {
        Ok(bytes) => return Err(format!("encoded to {}", to_hex(&bytes))),
        Err(error) => error,
    };
    let name = match error {
        EncodeError::DuplicateKey { .. } => "DuplicateKey",
        EncodeError::DepthExceeded => "DepthExceeded",
        _ => "unknown EncodeError",
    };
    expect_field(&mut case.error, name.to_owned(), "error")
}

#[test]
fn canonical_vectors() {
    let mut cases: Vec<Case> = load(FILE_NAME);
    let mut failures = Vec::new();
    for case in &mut cases {
        let result = match case.kind {
            CaseKind::Encode => check_encode(case),
            CaseKind::DecodeOk => check_decode_ok(case),
            CaseKind::Reject => check_reject(case),
            CaseKind::EncodeReject => check_encode_reject(case),
        };
        if let Err(message) = result {
            failures.push(format!("{}: {message}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing vectors:\n{}",
        failures.len(),
        failures.join("\n")
    );
    if update_expect() {
        save(FILE_NAME, &cases);
    }
}

#[test]
fn canonical_vectors_cover_upstream_and_every_rule() {
    let cases: Vec<Case> = load(FILE_NAME);
    let outcome = |hex: &str| -> Option<&str> {
        cases
            .iter()
            .find(|case| case.hex.as_deref() == Some(hex))
            .map(|case| match case.kind {
                CaseKind::Encode | CaseKind::DecodeOk => "ok",
                _ => case.error.as_deref().unwrap_or("missing error"),
            })
    };
    for (hex, expected) in UPSTREAM {
        assert_eq!(outcome(hex), Some(*expected), "upstream vector {hex}");
    }
    for name in DECODE_ERRORS {
        let n_cases = cases
            .iter()
            .filter(|case| case.error.as_deref() == Some(name))
            .count();
        assert!(n_cases >= 1, "no reject case pins {name}");
    }
    let n_own = cases
        .iter()
        .filter(|case| !case.name.starts_with("upstream/"))
        .count();
    assert!(n_own >= 100, "only {n_own} non-upstream vectors");
}
