//! Unit tests of op-schema parsing: the real `AddNode.v0.json` becomes the IR we expect, and
//! every refused construct is reported at the key that holds it.
//!
//! # Invariants
//! - Broken variants are made by editing the real file's text, so they stay close to what an
//!   author would write.
//! - Every error assertion checks the `file:line:column`, not only the message.

use super::*;

const FILE: &str = "schema/ops/AddNode.v0.json";

fn add_node() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/ops/AddNode.v0.json");
    std::fs::read_to_string(path).unwrap()
}

fn parse_with(file: &str, source: &str) -> (Option<Op>, Vec<String>) {
    let mut diags = Diagnostics::default();
    let op = parse(file, source, &mut diags);
    (op, diags.sorted().iter().map(ToString::to_string).collect())
}

/// The 1-based `line:column` of the first occurrence of `needle` in `source`.
fn position_of(source: &str, needle: &str) -> String {
    let offset = source
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in source"));
    let loc = crate::kinds::loc_at("", source, offset);
    format!("{}:{}", loc.line, loc.column)
}

/// Replaces exactly one occurrence of `from` with `to`.
fn edit(source: &str, from: &str, to: &str) -> String {
    assert_eq!(source.matches(from).count(), 1, "`{from}` must occur once");
    source.replacen(from, to, 1)
}

#[test]
fn add_node_parses_into_the_expected_ir() {
    let (op, errors) = parse_with(FILE, &add_node());
    assert_eq!(errors, Vec::<String>::new());
    let expected = Op {
        name: "AddNode".to_owned(),
        version: "v0".to_owned(),
        file: FILE.to_owned(),
        description: "Adds a node to the view. Its id is blake3 of the canonical encoding of (kind, payload), so adding a node the view already holds changes nothing but the log.".to_owned(),
        fields: vec![
            OpField {
                name: "kind".to_owned(),
                description: "The node kind: case-sensitive, 1 to 128 characters of [A-Za-z0-9_.:-].".to_owned(),
                required: true,
                ty: OpFieldType::String { min_length: Some(1), max_length: Some(128), pattern: Some("^[A-Za-z0-9_.:-]+$".to_owned()), base64: false, max_bytes: None },
                loc: Loc::new(FILE, 20, 9),
            },
            OpField {
                name: "payload_b64".to_owned(),
                description: "The payload bytes as RFC 4648 standard base64 with padding, at most 1 MiB decoded; may be empty. The decoded bytes are hashed as they are.".to_owned(),
                required: true,
                ty: OpFieldType::String { min_length: None, max_length: Some(1_398_104), pattern: None, base64: true, max_bytes: Some(1_048_576) },
                loc: Loc::new(FILE, 27, 9),
            },
        ],
    };
    assert_eq!(op, Some(expected));
}

#[test]
fn integer_boolean_and_optional_fields_parse() {
    let source = edit(
        &add_node(),
        "\"required\": [\"kind\", \"payload_b64\"],",
        "\"required\": [\"kind\"],",
    );
    let source = edit(
        &source,
        "\"payload_b64\": {",
        "\"weight\": {\"description\": \"W.\", \"type\": \"integer\", \"minimum\": -3, \"maximum\": 9},\n        \"pinned\": {\"description\": \"P.\", \"type\": \"boolean\"},\n        \"payload_b64\": {",
    );
    let (op, errors) = parse_with(FILE, &source);
    assert_eq!(errors, Vec::<String>::new());
    let op = op.unwrap();
    let weight = op.fields.iter().find(|f| f.name == "weight").unwrap();
    assert_eq!(
        weight.ty,
        OpFieldType::Integer {
            minimum: Some(-3),
            maximum: Some(9)
        }
    );
    assert!(!weight.required);
    let pinned = op.fields.iter().find(|f| f.name == "pinned").unwrap();
    assert_eq!(pinned.ty, OpFieldType::Boolean);
    assert!(
        op.fields
            .iter()
            .find(|f| f.name == "kind")
            .unwrap()
            .required
    );
    assert!(
        !op.fields
            .iter()
            .find(|f| f.name == "payload_b64")
            .unwrap()
            .required
    );
}

/// Fields come in name order, whatever order the file lists them in: serde_json's map order
/// depends on a cargo feature that any crate in a build can switch on, name order does not.
#[test]
fn fields_are_in_name_order() {
    let source = edit(
        &add_node(),
        "\"kind\": {",
        "\"zeta\": {\"description\": \"Z.\", \"type\": \"boolean\"},\n        \"alpha\": {\"description\": \"A.\", \"type\": \"boolean\"},\n        \"kind\": {",
    );
    let (op, errors) = parse_with(FILE, &source);
    assert_eq!(errors, Vec::<String>::new());
    let fields = op.unwrap().fields;
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["alpha", "kind", "payload_b64", "zeta"]);
    let zeta = fields.iter().find(|f| f.name == "zeta").unwrap();
    assert_eq!(zeta.loc.line, 20, "locations still follow the file");
}

#[test]
fn max_bytes_needs_base64() {
    let source = edit(
        &add_node(),
        "\"maxLength\": 128,",
        "\"maxLength\": 128,\n          \"x-jitos-max-bytes\": 4,",
    );
    let (op, errors) = parse_with(FILE, &source);
    assert!(op.is_none());
    let at = position_of(&source, "\"kind\": {");
    assert_eq!(
        errors,
        [format!(
            "{FILE}:{at}: error: field `kind`: x-jitos-max-bytes needs contentEncoding base64"
        )]
    );
}

#[test]
fn unsupported_keywords_point_at_the_keyword_or_the_field() {
    let source = edit(
        &add_node(),
        "\"title\": \"AddNode\",",
        "\"title\": \"AddNode\",\n  \"oneOf\": [],",
    );
    let (op, errors) = parse_with(FILE, &source);
    assert!(op.is_none());
    let at = position_of(&source, "\"oneOf\"");
    assert_eq!(
        errors,
        [format!(
            "{FILE}:{at}: error: unsupported JSON Schema keyword `oneOf` for an op object"
        )]
    );

    let source = edit(
        &add_node(),
        "\"minLength\": 1,",
        "\"minLength\": 1,\n          \"format\": \"hostname\",",
    );
    let (op, errors) = parse_with(FILE, &source);
    assert!(op.is_none());
    let at = position_of(&source, "\"kind\": {");
    assert_eq!(
        errors,
        [format!(
            "{FILE}:{at}: error: unsupported JSON Schema keyword `format` on field `kind`"
        )]
    );
}

#[test]
fn missing_additional_properties_false_is_an_error_at_the_object() {
    let root = edit(
        &add_node(),
        "  \"additionalProperties\": false,\n  \"properties\"",
        "  \"properties\"",
    );
    let (op, errors) = parse_with(FILE, &root);
    assert!(op.is_none());
    assert_eq!(
        errors,
        [format!(
            "{FILE}:1:1: error: op objects must have `\"additionalProperties\": false`"
        )]
    );

    let data = edit(
        &add_node(),
        "\"required\": [\"kind\", \"payload_b64\"],\n      \"additionalProperties\": false,",
        "\"required\": [\"kind\", \"payload_b64\"],\n      \"additionalProperties\": true,",
    );
    let (op, errors) = parse_with(FILE, &data);
    assert!(op.is_none());
    let at = position_of(&data, "\"data\": {");
    assert_eq!(
        errors,
        [format!(
            "{FILE}:{at}: error: op objects must have `\"additionalProperties\": false`"
        )]
    );
}

#[test]
fn op_name_must_match_the_file_name() {
    let file = "schema/ops/RemoveNode.v0.json";
    let source = add_node();
    let (op, errors) = parse_with(file, &source);
    assert!(op.is_none());
    let at = position_of(&source, "\"op\": {");
    assert_eq!(
        errors,
        [format!(
            "{file}:{at}: error: `properties.op` must be `{{\"const\": \"RemoveNode\"}}`, as the file name says"
        )]
    );
}

#[test]
fn a_bad_pattern_is_reported_at_its_field() {
    let source = edit(&add_node(), "\"^[A-Za-z0-9_.:-]+$\"", "\"^[A-Z\"");
    let (op, errors) = parse_with(FILE, &source);
    assert!(op.is_none());
    let at = position_of(&source, "\"kind\": {");
    assert_eq!(
        errors,
        [format!(
            "{FILE}:{at}: error: field `kind`: pattern is not a valid regex"
        )]
    );
}

#[test]
fn file_names_json_and_types_are_checked() {
    let (op, errors) = parse_with("schema/ops/AddNode.json", &add_node());
    assert!(op.is_none());
    assert_eq!(
        errors,
        ["schema/ops/AddNode.json:1:1: error: op schema files are named NAME.vN.json"]
    );

    let (op, errors) = parse_with(FILE, "{\n  \"title\": \n}");
    assert!(op.is_none());
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with(&format!("{FILE}:3:1: error: invalid JSON: ")),
        "{errors:?}"
    );

    let source = edit(
        &add_node(),
        "\"type\": \"string\",\n          \"minLength\"",
        "\"type\": \"number\",\n          \"minLength\"",
    );
    let (op, errors) = parse_with(FILE, &source);
    assert!(op.is_none());
    let at = position_of(&source, "\"kind\": {");
    assert_eq!(
        errors,
        [format!(
            "{FILE}:{at}: error: field `kind`: type Some(\"number\") is not supported (string, integer, boolean)"
        )]
    );

    let source = edit(
        &add_node(),
        "\"required\": [\"op\", \"data\"],",
        "\"required\": [\"op\"],",
    );
    let (op, errors) = parse_with(FILE, &source);
    assert!(op.is_none());
    assert_eq!(
        errors,
        [format!(
            "{FILE}:7:3: error: `required` must be [\"op\", \"data\"]"
        )]
    );
}

#[test]
fn required_fields_must_be_properties_and_descriptions_must_exist() {
    let source = edit(
        &add_node(),
        "\"required\": [\"kind\", \"payload_b64\"],",
        "\"required\": [\"kind\", \"payload_b64\", \"ghost\"],",
    );
    let (op, errors) = parse_with(FILE, &source);
    assert!(op.is_none());
    let at = position_of(&source, "\"required\": [\"kind\"");
    assert_eq!(
        errors,
        [format!(
            "{FILE}:{at}: error: required field `ghost` is not a property"
        )]
    );

    let source = edit(
        &add_node(),
        "\"description\": \"The node kind: case-sensitive, 1 to 128 characters of [A-Za-z0-9_.:-].\",\n",
        "",
    );
    let (op, errors) = parse_with(FILE, &source);
    assert!(op.is_none());
    let at = position_of(&source, "\"kind\": {");
    assert_eq!(
        errors,
        [format!(
            "{FILE}:{at}: error: field `kind` has no description"
        )]
    );
}

/// The invariant says every op is exactly `{"op": ..., "data": ...}`: a third top-level
/// property would be accepted by the schema but refused as an unknown field by the validator.
#[test]
fn extra_top_level_properties_are_refused() {
    let source = edit(
        &add_node(),
        "    \"data\": {\n",
        "    \"meta\": {\"description\": \"M.\", \"type\": \"string\"},\n    \"data\": {\n",
    );
    let (op, errors) = parse_with(FILE, &source);
    assert!(op.is_none(), "an op with a `meta` property must be refused");
    let at = position_of(&source, "\"meta\"");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with(&format!("{FILE}:{at}: error: "))),
        "{errors:?}"
    );
}

fn remove_node() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schema/ops/RemoveNode.v0.json"
    );
    std::fs::read_to_string(path).unwrap()
}

const REMOVE_NODE: &str = "schema/ops/RemoveNode.v0.json";

#[test]
fn a_hex32_field_is_typed_as_a_hash() {
    let (op, errors) = parse_with(REMOVE_NODE, &remove_node());
    assert_eq!(errors, Vec::<String>::new());
    let op = op.expect("RemoveNode parses");
    assert_eq!(op.fields.len(), 1);
    assert_eq!(op.fields[0].ty, OpFieldType::Hex32);
    assert!(op.fields[0].required);
}

#[test]
fn a_hex32_field_needs_the_exact_pattern_and_no_length_keywords() {
    let source = edit(&remove_node(), "^[0-9a-f]{64}$", "^[0-9a-f]+$");
    let (_, errors) = parse_with(REMOVE_NODE, &source);
    let at = position_of(&source, "\"id\": {");
    assert_eq!(
        errors,
        [format!(
            "{REMOVE_NODE}:{at}: error: field `id`: a hex32 field needs exactly `\"pattern\": \"^[0-9a-f]{{64}}$\"`"
        )]
    );
    let source = edit(
        &remove_node(),
        "\"type\": \"string\",",
        "\"type\": \"string\",\n          \"minLength\": 64,",
    );
    let (_, errors) = parse_with(REMOVE_NODE, &source);
    assert_eq!(
        errors,
        [format!(
            "{REMOVE_NODE}:{at}: error: field `id`: a hex32 field takes no `minLength`"
        )]
    );
}

#[test]
fn an_unknown_repr_is_refused() {
    let source = edit(
        &remove_node(),
        "\"x-jitos-repr\": \"hex32\"",
        "\"x-jitos-repr\": \"uuid\"",
    );
    let (op, errors) = parse_with(REMOVE_NODE, &source);
    assert!(op.is_none());
    let at = position_of(&source, "\"id\": {");
    assert_eq!(
        errors,
        [format!(
            "{REMOVE_NODE}:{at}: error: field `id`: x-jitos-repr \"uuid\" is not supported (only \"hex32\")"
        )]
    );
}
