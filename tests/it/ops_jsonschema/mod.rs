//! The generated op validator, `<jitos_schema::ops::Op as Parse>::validate`, against the JSON
//! Schemas it was generated from, `schema/ops/*.json`, compiled by the `jsonschema` crate.
//!
//! Every op of `schema/ops/` is covered the same way: AddNode {kind, payload_b64}, AddEdge
//! {from, to, kind, payload_b64?}, RemoveNode {id} and RemoveEdge {id}. `generators` holds one
//! shape per op, each field typed as a kind, a base64 payload or a hex id (the schema's
//! `"x-jitos-repr": "hex32"`, `^[0-9a-f]{64}$`), and `property::shapes_match_the_schemas`
//! checks every shape against its schema file, so a new field or op fails loudly until it
//! gets a generator.
//!
//! The property test (`property`) draws valid ops of every shape (kinds of 1 to 128 characters
//! of `[A-Za-z0-9_.:-]`, payloads of random bytes in standard padded base64, the empty payload
//! included and the optional one absent, ids of random bytes in lowercase hex) and mutations
//! of them: unknown fields at both levels, missing fields, `null` and values of the wrong JSON
//! type at every position, kinds that are too long, empty or carry a disallowed character,
//! payloads in bad base64, ids in the wrong case, of the wrong length, with a non-hex
//! character, with a `0x` prefix, padded by whitespace or given as byte arrays or numbers,
//! unknown op names (case variants of real ones included), the name of another op over this
//! op's data, `op` not a string and the op not an object. For each input it asserts:
//! - the generated validator accepts exactly when some op schema does, and an accepted op
//!   round-trips through `Op::to_json` unchanged;
//! - a rejection records at least one problem; it is a lone `NOT_IMPLEMENTED` at `op` exactly
//!   when the op is well shaped but its name is unknown, and otherwise every problem is
//!   `INVALID_INPUT` (the draws never reach a limit);
//! - when `op` names a known op, the paths of the generated problems are exactly the places
//!   the matching schema's errors point at, with `required` and `additionalProperties` errors
//!   pointing at the named property. An unknown op name is `NOT_IMPLEMENTED` for the generated
//!   validator and simply invalid for the JSON Schema (its `op` is a `const`): both reject,
//!   which is agreement.
//!
//! The edge cases of each field are pinned by table tests on both sides and against an
//! independent check: `payload_and_kind` (base64, kinds, the decoded size limit, the optional
//! payload), `hex_ids` (every id field) and `codes_and_paths` (codes, paths, shapes, names,
//! round trips).
//!
//! # What the JSON Schema side checks, and the one disagreement
//! - `pattern` needs no crate feature: jsonschema 0.33 always compiles it (fancy-regex, after
//!   an ECMA-262 to Rust translation), also with `default-features = false`, whose default
//!   features only fetch remote and file `$ref`s. `^…$` anchors the whole string there: a
//!   trailing newline does not match (`hex_id_verdicts_agree_at_the_edges`).
//! - `contentEncoding: base64` is checked by jsonschema 0.33 by default, but only under drafts 6
//!   and 7 (later drafts treat it as an annotation); the schemas say draft-07 and this module
//!   pins `Draft::Draft7`. The check is `base64` 0.22 `STANDARD.decode`, the engine the
//!   generated validator uses, so the two sides agree on every base64 question: padding
//!   required, no whitespace, no URL-safe alphabet, canonical trailing bits (`aGVsbG8=` is
//!   accepted, `aGVsbG9=` rejected). `base64_verdicts_match_an_independent_decode` pins each
//!   case against a decode done here.
//! - `x-jitos-repr` is a codegen keyword that plain JSON Schema ignores; the `pattern` beside
//!   it carries the whole rule, so it needs no custom keyword here.
//! - `x-jitos-max-bytes` is a JSON Schema extension keyword: plain JSON Schema ignores it. With
//!   `maxLength: 1398104` alone, a `payload_b64` that decodes to 1 048 577 or 1 048 578 bytes
//!   (both encode to exactly 1 398 104 characters) is valid for plain jsonschema and
//!   `LIMIT_EXCEEDED` for the generated validator, which also enforces the 1 MiB decoded limit.
//!   The oracle therefore registers `x-jitos-max-bytes` as a jsonschema custom keyword whose
//!   check is an independent `STANDARD.decode` and a length comparison;
//!   `decoded_size_limit_is_the_one_plain_json_schema_misses` pins both verdicts at the
//!   boundary, for AddNode and AddEdge. The property test never draws payloads that large.
//!
//! # Invariants
//! - Every file in `schema/ops/` compiles as a draft-07 schema and names an op of `Op::NAMES`,
//!   and every op name has a shape in `generators::OP_SHAPES` whose fields, required fields
//!   and field types are those of its schema.
//! - For every drawn input, `Op::validate` accepts exactly when some op schema accepts, with
//!   the codes and paths above.
//! - The property runs 4096 cases from a fixed seed and writes no regression files.

mod codes_and_paths;
mod generators;
mod hex_ids;
mod oracle;
mod payload_and_kind;
mod property;

use std::collections::BTreeSet;

use jitos_schema::ops::Op;
use jitos_schema::{ErrorCode, Parse, ValidationErrors};
use serde_json::{Value, json};

/// 32 bytes as 64 lowercase hex characters, done here rather than by the generated crate.
fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Whether `text` is an id as the schemas define it, checked here byte by byte.
fn is_hex_id(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

/// A fixed id whose bytes are `fill`, for the table tests.
fn id(fill: u8) -> String {
    hex(&[fill; 32])
}

fn add_node(kind: &str, payload_b64: &str) -> Value {
    json!({"op": "AddNode", "data": {"kind": kind, "payload_b64": payload_b64}})
}

/// An AddEdge; `payload_b64: None` leaves the optional field out.
fn add_edge(from: &str, to: &str, kind: &str, payload_b64: Option<&str>) -> Value {
    let mut op = json!({"op": "AddEdge", "data": {"from": from, "to": to, "kind": kind}});
    if let Some(payload_b64) = payload_b64 {
        op["data"]["payload_b64"] = json!(payload_b64);
    }
    op
}

fn remove_node(id: &str) -> Value {
    json!({"op": "RemoveNode", "data": {"id": id}})
}

fn remove_edge(id: &str) -> Value {
    json!({"op": "RemoveEdge", "data": {"id": id}})
}

/// The first problem's code and path; panics if the op was accepted.
fn first_error(op: &Value) -> (ErrorCode, String) {
    let errors: ValidationErrors = Op::validate(op).expect_err("the op is rejected");
    let first = errors.first().expect("a rejection records a problem");
    (first.code, first.path.as_str().to_owned())
}

/// The paths of the problems in `errors`.
fn paths_of(errors: &ValidationErrors) -> BTreeSet<String> {
    errors
        .iter()
        .map(|error| error.path.as_str().to_owned())
        .collect()
}

/// The paths of every problem the generated validator records; empty if it accepts.
fn error_paths(op: &Value) -> BTreeSet<String> {
    Op::validate(op)
        .err()
        .as_ref()
        .map(paths_of)
        .unwrap_or_default()
}

/// A set of paths, for comparisons.
fn paths<const N: usize>(paths: [&str; N]) -> BTreeSet<String> {
    paths.into_iter().map(str::to_owned).collect()
}
