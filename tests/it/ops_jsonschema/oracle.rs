//! The JSON Schema side: every file of `schema/ops/`, compiled by jsonschema 0.33 under draft 7
//! twice, once as a JSON Schema tool sees it and once with the extension keyword
//! `x-jitos-max-bytes` enforced by an independent decode (the oracle).
//!
//! # Invariants
//! - The schemas are loaded once, sorted by file name, and each compiles both ways.
//! - `schema_error_paths` names places the way `InputPath` does: fields joined by `.`, the
//!   root as the empty string, a `required` or `additionalProperties` error at the property it
//!   names rather than at the object that holds it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::{LazyLocation, Location};
use jsonschema::{Draft, Keyword, ValidationError, Validator};
use serde_json::{Map, Value};

/// The extension keyword for the largest accepted decoded payload, in bytes.
pub(super) const MAX_BYTES_KEYWORD: &str = "x-jitos-max-bytes";

/// One file of `schema/ops/`, compiled twice.
pub(super) struct OpSchema {
    /// The file name, for messages.
    pub(super) file: String,
    /// The op name its `op` property fixes.
    pub(super) name: String,
    /// The schema as JSON.
    pub(super) json: Value,
    /// Draft 7 with the extension keyword enforced: the oracle.
    pub(super) oracle: Validator,
    /// Draft 7 as a JSON Schema tool sees it, extension ignored.
    pub(super) plain: Validator,
}

pub(super) static OP_SCHEMAS: LazyLock<Vec<OpSchema>> = LazyLock::new(load_op_schemas);

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
    paths.iter().map(|path| load_op_schema(path)).collect()
}

fn load_op_schema(path: &Path) -> OpSchema {
    let file = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let text = std::fs::read_to_string(path).expect("op schema is readable");
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
}

pub(super) fn oracle_accepts(op: &Value) -> bool {
    OP_SCHEMAS.iter().any(|schema| schema.oracle.is_valid(op))
}

pub(super) fn plain_accepts(op: &Value) -> bool {
    OP_SCHEMAS.iter().any(|schema| schema.plain.is_valid(op))
}

/// The schema of the op named `name`, if there is one.
pub(super) fn schema_named(name: &str) -> Option<&'static OpSchema> {
    OP_SCHEMAS.iter().find(|schema| schema.name == name)
}

/// The schema of `op` when it is an object whose `op` is the name of an op schema.
pub(super) fn schema_of(op: &Value) -> Option<&'static OpSchema> {
    op.as_object()?.get("op")?.as_str().and_then(schema_named)
}

/// A JSON Pointer as an input path: `/data/from` is `data.from`, the root is empty.
fn pointer_to_path(pointer: &str) -> String {
    let fields: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|field| field.replace("~1", "/").replace("~0", "~"))
        .collect();
    fields.join(".")
}

fn join_path(parent: &str, field: &str) -> String {
    if parent.is_empty() {
        field.to_owned()
    } else {
        format!("{parent}.{field}")
    }
}

/// Every place the oracle's errors on `op` point at; empty if it accepts.
pub(super) fn schema_error_paths(schema: &OpSchema, op: &Value) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    for error in schema.oracle.iter_errors(op) {
        let at = pointer_to_path(error.instance_path.as_str());
        match &error.kind {
            ValidationErrorKind::Required { property } => {
                let property = property.as_str().expect("a required property is named");
                paths.insert(join_path(&at, property));
            }
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                paths.extend(unexpected.iter().map(|field| join_path(&at, field)));
            }
            _ => {
                paths.insert(at);
            }
        }
    }
    paths
}
