//! Rewrite-op JSON Schemas (`schema/ops/NAME.vN.json`) to op IR.
//!
//! The generator understands the subset of JSON Schema (draft 7) that op files use, and refuses
//! everything else, so a validator it emits never silently ignores a rule the schema states.
//!
//! # Invariants
//! - Every op is `{"op": const NAME, "data": {...}}` with `additionalProperties: false` at both
//!   levels; the op name equals the file name's first segment.
//! - Fields are ordered by name (serde_json's map order depends on a cargo feature; names do
//!   not); ops are keyed by name.

use serde_json::Value;

use crate::diag::{Diagnostics, Loc};

/// One op.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    /// The op name, e.g. `AddNode`.
    pub name: String,
    /// The schema version, e.g. `v0`.
    pub version: String,
    /// The file it came from.
    pub file: String,
    /// Its description.
    pub description: String,
    /// The fields of `data`, in file order.
    pub fields: Vec<OpField>,
}

/// One field of an op's `data`.
#[derive(Debug, Clone, PartialEq)]
pub struct OpField {
    /// The JSON name, e.g. `payload_b64`.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Whether it must be present.
    pub required: bool,
    /// Its type and checks.
    pub ty: OpFieldType,
    /// Where it is defined.
    pub loc: Loc,
}

/// The type of an op field, with its checks.
#[derive(Debug, Clone, PartialEq)]
pub enum OpFieldType {
    /// A string.
    String {
        /// `minLength`, in Unicode scalar values.
        min_length: Option<u64>,
        /// `maxLength`, in Unicode scalar values.
        max_length: Option<u64>,
        /// `pattern`.
        pattern: Option<String>,
        /// `contentEncoding: base64`: the field holds bytes.
        base64: bool,
        /// `x-jitos-max-bytes`: most decoded bytes of a base64 field (`LIMIT_EXCEEDED` past it).
        /// JSON Schema can bound only the text, which admits up to two more bytes.
        max_bytes: Option<u64>,
    },
    /// An integer.
    Integer {
        /// `minimum`.
        minimum: Option<i64>,
        /// `maximum`.
        maximum: Option<i64>,
    },
    /// A boolean.
    Boolean,
    /// `"x-jitos-repr": "hex32"`: a 32-byte hash as 64 lowercase hex characters, typed
    /// `[u8; 32]`. The field must also carry `"pattern": "^[0-9a-f]{64}$"`, so that plain JSON
    /// Schema validators accept exactly what the generated one accepts.
    Hex32,
}

/// Finds the place of a JSON pointer in `source` by walking its keys in order; good enough for
/// diagnostics, which only need to land on the right key.
fn locate(file: &str, source: &str, pointer: &[&str]) -> Loc {
    let mut offset = 0;
    for key in pointer {
        let needle = format!("\"{key}\"");
        match source[offset..].find(&needle) {
            Some(found) => offset += found,
            None => break,
        }
    }
    crate::kinds::loc_at(file, source, offset)
}

const OP_KEYWORDS: &[&str] = &[
    "$schema",
    "$id",
    "title",
    "description",
    "type",
    "required",
    "additionalProperties",
    "properties",
];
const FIELD_KEYWORDS: &[&str] = &[
    "description",
    "type",
    "minLength",
    "maxLength",
    "pattern",
    "contentEncoding",
    "x-jitos-repr",
    "x-jitos-max-bytes",
    "minimum",
    "maximum",
];

/// Parses one op schema file named `file` (e.g. `schema/ops/AddNode.v0.json`).
pub fn parse(file: &str, source: &str, diags: &mut Diagnostics) -> Option<Op> {
    let root: Value = match serde_json::from_str(source) {
        Ok(root) => root,
        Err(error) => {
            diags.error(
                &Loc::new(file, error.line(), error.column()),
                format!("invalid JSON: {error}"),
            );
            return None;
        }
    };
    let stem = file.rsplit('/').next().unwrap_or(file);
    let mut parts = stem.split('.');
    let (Some(name), Some(version), Some("json"), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        diags.error(
            &Loc::new(file, 1, 1),
            "op schema files are named NAME.vN.json",
        );
        return None;
    };
    let at = |pointer: &[&str]| locate(file, source, pointer);
    let mut local = Diagnostics::default();
    let op = parse_checked(&root, name, version, file, &at, &mut local);
    let failed = local.has_errors();
    diags.extend(local);
    if failed { None } else { op }
}

fn parse_checked(
    root: &Value,
    name: &str,
    version: &str,
    file: &str,
    at: &dyn Fn(&[&str]) -> Loc,
    diags: &mut Diagnostics,
) -> Option<Op> {
    check_object_schema(root, &[], OP_KEYWORDS, at, diags);
    if root.pointer("/properties/op/const").and_then(Value::as_str) != Some(name) {
        diags.error(
            &at(&["properties", "op"]),
            format!("`properties.op` must be `{{\"const\": \"{name}\"}}`, as the file name says"),
        );
    }
    if let Some(properties) = root.get("properties").and_then(Value::as_object) {
        for key in properties
            .keys()
            .filter(|key| *key != "op" && *key != "data")
        {
            diags.error(
                &at(&["properties", key]),
                format!("op objects have exactly the properties `op` and `data`, not `{key}`"),
            );
        }
    }
    if let Some(op) = root.pointer("/properties/op").and_then(Value::as_object) {
        for key in op
            .keys()
            .filter(|key| *key != "const" && *key != "description")
        {
            diags.error(
                &at(&["properties", "op", key]),
                format!("`properties.op` takes only `const` and `description`, not `{key}`"),
            );
        }
    }
    let required = string_list(root.get("required"));
    if required != ["op", "data"] && required != ["data", "op"] {
        diags.error(&at(&["required"]), "`required` must be [\"op\", \"data\"]");
    }
    let data = root
        .pointer("/properties/data")
        .cloned()
        .unwrap_or(Value::Null);
    check_object_schema(&data, &["properties", "data"], OP_KEYWORDS, at, diags);
    let mut fields = parse_fields(&data, at, diags);
    // serde_json's map order depends on a cargo feature; name order does not.
    fields.sort_by(|a, b| a.name.cmp(&b.name));
    let description = root
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if description.is_empty() {
        diags.error(&at(&[]), format!("op `{name}` has no description"));
    }
    Some(Op {
        name: name.to_owned(),
        version: version.to_owned(),
        file: file.to_owned(),
        description,
        fields,
    })
}

fn string_list(value: Option<&Value>) -> Vec<&str> {
    value
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn check_object_schema(
    schema: &Value,
    pointer: &[&str],
    allowed: &[&str],
    at: &dyn Fn(&[&str]) -> Loc,
    diags: &mut Diagnostics,
) {
    let Some(map) = schema.as_object() else {
        diags.error(&at(pointer), "expected a JSON Schema object");
        return;
    };
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            let mut path = pointer.to_vec();
            path.push(key);
            diags.error(
                &at(&path),
                format!("unsupported JSON Schema keyword `{key}` for an op object"),
            );
        }
    }
    if map.get("type").and_then(Value::as_str) != Some("object") {
        diags.error(&at(pointer), "op objects must have `\"type\": \"object\"`");
    }
    if map.get("additionalProperties") != Some(&Value::Bool(false)) {
        diags.error(
            &at(pointer),
            "op objects must have `\"additionalProperties\": false`",
        );
    }
}

fn parse_fields(
    data: &Value,
    at: &dyn Fn(&[&str]) -> Loc,
    diags: &mut Diagnostics,
) -> Vec<OpField> {
    let required = string_list(data.get("required"));
    let Some(properties) = data.get("properties").and_then(Value::as_object) else {
        diags.error(
            &at(&["properties", "data"]),
            "`data` must list its `properties`",
        );
        return Vec::new();
    };
    for name in &required {
        if !properties.contains_key(*name) {
            diags.error(
                &at(&["properties", "data", "required"]),
                format!("required field `{name}` is not a property"),
            );
        }
    }
    let mut fields = Vec::with_capacity(properties.len());
    for (name, schema) in properties {
        let pointer = ["properties", "data", "properties", name.as_str()];
        let loc = at(&pointer);
        if let Some(field) =
            parse_field(name, schema, required.contains(&name.as_str()), &loc, diags)
        {
            fields.push(field);
        }
    }
    fields
}

#[allow(
    clippy::too_many_lines,
    reason = "one arm per kind of input; splitting it would scatter one mapping"
)]
fn parse_field(
    name: &str,
    schema: &Value,
    required: bool,
    loc: &Loc,
    diags: &mut Diagnostics,
) -> Option<OpField> {
    let map = schema.as_object()?;
    for key in map.keys() {
        if !FIELD_KEYWORDS.contains(&key.as_str()) {
            diags.error(
                loc,
                format!("unsupported JSON Schema keyword `{key}` on field `{name}`"),
            );
        }
    }
    let uint = |key: &str| map.get(key).and_then(Value::as_u64);
    let int = |key: &str| map.get(key).and_then(Value::as_i64);
    let ty = match map.get("type").and_then(Value::as_str) {
        Some("string") => {
            let base64 = match map.get("contentEncoding").and_then(Value::as_str) {
                None => false,
                Some("base64") => true,
                Some(other) => {
                    diags.error(loc, format!("field `{name}`: contentEncoding `{other}` is not supported (only base64)"));
                    false
                }
            };
            let pattern = map
                .get("pattern")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if let Some(pattern) = &pattern
                && regex_syntax::Parser::new().parse(pattern).is_err()
            {
                diags.error(loc, format!("field `{name}`: pattern is not a valid regex"));
            }
            if let Some(repr) = map.get("x-jitos-repr") {
                return parse_repr(name, repr, map, loc, diags).map(|ty| OpField {
                    name: name.to_owned(),
                    description: description(name, map, loc, diags),
                    required,
                    ty,
                    loc: loc.clone(),
                });
            }
            let max_bytes = uint("x-jitos-max-bytes");
            if max_bytes.is_some() && !base64 {
                diags.error(
                    loc,
                    format!("field `{name}`: x-jitos-max-bytes needs contentEncoding base64"),
                );
            }
            OpFieldType::String {
                min_length: uint("minLength"),
                max_length: uint("maxLength"),
                pattern,
                base64,
                max_bytes,
            }
        }
        Some("integer") => OpFieldType::Integer {
            minimum: int("minimum"),
            maximum: int("maximum"),
        },
        Some("boolean") => OpFieldType::Boolean,
        other => {
            diags.error(
                loc,
                format!(
                    "field `{name}`: type {other:?} is not supported (string, integer, boolean)"
                ),
            );
            return None;
        }
    };
    Some(OpField {
        name: name.to_owned(),
        description: description(name, map, loc, diags),
        required,
        ty,
        loc: loc.clone(),
    })
}

/// The pattern a `hex32` field must declare.
pub const HEX32_PATTERN: &str = "^[0-9a-f]{64}$";

/// The type of a string field with `x-jitos-repr`.
fn parse_repr(
    name: &str,
    repr: &Value,
    map: &serde_json::Map<String, Value>,
    loc: &Loc,
    diags: &mut Diagnostics,
) -> Option<OpFieldType> {
    if repr.as_str() != Some("hex32") {
        diags.error(
            loc,
            format!("field `{name}`: x-jitos-repr {repr} is not supported (only \"hex32\")"),
        );
        return None;
    }
    if map.get("pattern").and_then(Value::as_str) != Some(HEX32_PATTERN) {
        diags.error(
            loc,
            format!(
                "field `{name}`: a hex32 field needs exactly `\"pattern\": \"{HEX32_PATTERN}\"`"
            ),
        );
    }
    for key in [
        "contentEncoding",
        "minLength",
        "maxLength",
        "x-jitos-max-bytes",
    ] {
        if map.contains_key(key) {
            diags.error(
                loc,
                format!("field `{name}`: a hex32 field takes no `{key}`"),
            );
        }
    }
    Some(OpFieldType::Hex32)
}

/// A field's description; an empty or missing one is an error.
fn description(
    name: &str,
    map: &serde_json::Map<String, Value>,
    loc: &Loc,
    diags: &mut Diagnostics,
) -> String {
    let description = map
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if description.is_empty() {
        diags.error(loc, format!("field `{name}` has no description"));
    }
    description
}

#[cfg(test)]
mod tests;
