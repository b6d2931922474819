//! Unit tests of SDL lowering: the real schema lowers to the IR we expect, and parse errors
//! point at the place graphql-parser names.
//!
//! # Invariants
//! - The real schema is read from `schema/jitos.graphql`, so these tests follow its edits; the
//!   counts below change only when someone adds or removes a type on purpose.
//! - Each test builds its own `Diagnostics`; none depends on another's state.

use super::*;

const SCHEMA_FILE: &str = "schema/jitos.graphql";

fn real_schema_text() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/jitos.graphql");
    std::fs::read_to_string(path).unwrap()
}

fn real_scalars() -> BTreeMap<String, ScalarRepr> {
    [
        ("JSON", ScalarRepr::Json),
        ("Timestamp", ScalarRepr::String),
        ("Hash", ScalarRepr::Hex32),
        ("U64", ScalarRepr::U64),
        ("U32", ScalarRepr::U32),
    ]
    .into_iter()
    .map(|(name, repr)| (name.to_owned(), repr))
    .collect()
}

fn options() -> SdlOptions {
    SdlOptions {
        scalars: real_scalars(),
        missing_description: Severity::Error,
    }
}

fn lower_ok(source: &str) -> Schema {
    let mut diags = Diagnostics::default();
    let schema = lower("test.graphql", source, &options(), &mut diags);
    assert!(!diags.has_errors(), "unexpected errors:\n{diags}");
    schema.unwrap()
}

fn lower_err(source: &str) -> Vec<String> {
    let mut diags = Diagnostics::default();
    let schema = lower("test.graphql", source, &options(), &mut diags);
    assert!(schema.is_none(), "expected errors, got a schema");
    diags.sorted().iter().map(ToString::to_string).collect()
}

fn real_schema() -> Schema {
    let mut diags = Diagnostics::default();
    let schema = lower(SCHEMA_FILE, &real_schema_text(), &options(), &mut diags);
    assert!(
        diags.sorted().is_empty(),
        "the real schema must lower without diagnostics:\n{diags}"
    );
    schema.unwrap()
}

fn field<'s>(schema: &'s Schema, owner: &str, name: &str) -> &'s Field {
    match &schema.get(owner).unwrap().kind {
        TypeKind::Object { fields, .. } | TypeKind::Interface { fields, .. } => {
            fields.iter().find(|f| f.name == name).unwrap()
        }
        other => panic!("`{owner}` is not an object: {other:?}"),
    }
}

fn input_field<'s>(schema: &'s Schema, owner: &str, name: &str) -> &'s InputValue {
    match &schema.get(owner).unwrap().kind {
        TypeKind::Input { fields } => fields.iter().find(|f| f.name == name).unwrap(),
        other => panic!("`{owner}` is not an input: {other:?}"),
    }
}

#[test]
fn real_schema_has_the_expected_types_and_roots() {
    let schema = real_schema();
    let count =
        |pred: fn(&TypeKind) -> bool| schema.types.values().filter(|t| pred(&t.kind)).count();
    assert_eq!(schema.types.len(), 56);
    assert_eq!(count(|k| matches!(k, TypeKind::Scalar { .. })), 5);
    assert_eq!(count(|k| matches!(k, TypeKind::Enum { .. })), 8);
    assert_eq!(count(|k| matches!(k, TypeKind::Input { .. })), 10);
    assert_eq!(count(|k| matches!(k, TypeKind::Object { .. })), 33);
    assert_eq!(
        count(|k| matches!(k, TypeKind::Interface { .. } | TypeKind::Union { .. })),
        0
    );
    assert_eq!(schema.query, "Query");
    assert_eq!(schema.mutation.as_deref(), Some("Mutation"));
    assert_eq!(schema.subscription.as_deref(), Some("Subscription"));
    let roots: Vec<(RootKind, &str)> = schema.roots();
    assert_eq!(
        roots,
        vec![
            (RootKind::Query, "Query"),
            (RootKind::Mutation, "Mutation"),
            (RootKind::Subscription, "Subscription")
        ]
    );
    assert_eq!(schema.file, SCHEMA_FILE);
}

#[test]
fn real_schema_marks_only_commit_digest_lazy() {
    let schema = real_schema();
    let commit_digest = field(&schema, "GraphSnapshot", "commitDigest");
    assert!(commit_digest.lazy);
    assert_eq!(
        commit_digest.ty,
        TypeRef::NonNull(Box::new(TypeRef::Named("Hash".to_owned())))
    );
    let lazy: Vec<String> = schema
        .types
        .values()
        .filter_map(|t| match &t.kind {
            TypeKind::Object { fields, .. } => Some(
                fields
                    .iter()
                    .filter(|f| f.lazy)
                    .map(|f| format!("{}.{}", t.name, f.name))
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(lazy, vec!["GraphSnapshot.commitDigest".to_owned()]);
}

#[test]
fn real_schema_page_input_first_has_constraints_and_default() {
    let schema = real_schema();
    let first = input_field(&schema, "PageInput", "first");
    assert_eq!(first.ty, TypeRef::Named("Int".to_owned()));
    assert_eq!(first.default, Some(serde_json::json!(200)));
    let expected = crate::ir::Constraints {
        min: Some(1),
        max: Some(1000),
        ..Default::default()
    };
    assert_eq!(first.constraints, expected);
    assert_eq!(
        first.description.as_deref(),
        Some("How many items to return.")
    );
    let after = input_field(&schema, "PageInput", "after");
    let expected = crate::ir::Constraints {
        max_length: Some(64),
        ..Default::default()
    };
    assert_eq!(after.constraints, expected);
    assert_eq!(after.default, None);
}

#[test]
fn real_schema_keeps_field_order_and_scalar_representations() {
    let schema = real_schema();
    let TypeKind::Object { fields, .. } = &schema.get("GraphNode").unwrap().kind else {
        panic!("GraphNode is an object")
    };
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["id", "kind", "data", "payloadB64", "createdAt"]);
    assert_eq!(schema.scalar_repr("Hash"), Some(ScalarRepr::Hex32));
    assert_eq!(schema.scalar_repr("U64"), Some(ScalarRepr::U64));
    assert_eq!(schema.scalar_repr("ID"), Some(ScalarRepr::Id));
    let sws_id = input_field(&schema, "ViewRefInput", "swsId");
    assert_eq!(
        sws_id.constraints.pattern.as_deref(),
        Some("^(0|[1-9][0-9]*)$")
    );
    assert_eq!(sws_id.constraints.max_length, None);
    let plan_only = input_field(&schema, "SubmitIntentInput", "planOnly");
    assert_eq!(plan_only.default, Some(serde_json::Value::Bool(false)));
}

#[test]
fn unlisted_custom_scalars_are_json() {
    let mut diags = Diagnostics::default();
    let no_scalars = SdlOptions {
        scalars: BTreeMap::new(),
        missing_description: Severity::Error,
    };
    let schema = lower(SCHEMA_FILE, &real_schema_text(), &no_scalars, &mut diags).unwrap();
    assert_eq!(schema.scalar_repr("Hash"), Some(ScalarRepr::Json));
}

#[test]
fn parse_error_position_reads_line_and_column() {
    let message = "schema parse error: Parse error at 3:7\nUnexpected `}`\nExpected Name\n";
    assert_eq!(parse_error_position(message), (3, 7));
    assert_eq!(
        parse_error_position("schema parse error: Parse error at 12:1"),
        (12, 1)
    );
    assert_eq!(parse_error_position("no position here"), (1, 1));
}

#[test]
fn syntax_errors_are_reported_where_the_parser_stopped() {
    let source = "\"A type.\"\ntype Query {\n  \"A field.\"\n  a: Int\n  b: }\n";
    let errors = lower_err(source);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("test.graphql:5:6: error: schema parse error: Parse error at 5:6"),
        "{errors:?}"
    );
    assert!(!errors[0].contains('\n'));
}

#[test]
fn extensions_merge_fields_and_interfaces() {
    let source = r#"
"Root." type Query { "A." a: Int }
"Named." interface Named { "Name." name: String }
extend type Query implements Named { "Name." name: String }
"#;
    let schema = lower_ok(source);
    let TypeKind::Object { interfaces, fields } = &schema.get("Query").unwrap().kind else {
        panic!("Query is an object")
    };
    assert_eq!(interfaces, &["Named".to_owned()]);
    assert_eq!(
        fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        ["a", "name"]
    );
    let TypeKind::Interface { implementors, .. } = &schema.get("Named").unwrap().kind else {
        panic!("Named is an interface")
    };
    assert_eq!(implementors, &["Query".to_owned()]);
}

#[test]
fn defaults_convert_to_validator_json() {
    let source = r#"
"Root." type Query { "A." a("Arg." f: Filter = {level: HIGH, tags: ["x"], inner: null, n: 2.5}): Int }
"Level." enum Level { "High." HIGH "Low." LOW }
"Filter." input Filter { "L." level: Level "T." tags: [String!] "I." inner: Filter "N." n: Float }
"#;
    let schema = lower_ok(source);
    let arg = &field(&schema, "Query", "a").args[0];
    let expected = serde_json::json!({"level": "HIGH", "tags": ["x"], "inner": null, "n": 2.5});
    assert_eq!(arg.default, Some(expected));
}

#[test]
fn missing_description_is_a_warning_when_asked() {
    let mut diags = Diagnostics::default();
    let lenient = SdlOptions {
        scalars: BTreeMap::new(),
        missing_description: Severity::Warning,
    };
    let schema = lower(
        "test.graphql",
        "type Query { a: Int }",
        &lenient,
        &mut diags,
    );
    assert!(schema.is_some());
    let messages: Vec<String> = diags.sorted().iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "test.graphql:1:1: warning: type `Query` has no description",
            "test.graphql:1:14: warning: field `Query.a` has no description"
        ]
    );
}

#[test]
fn unknown_directives_warn_and_misplaced_known_ones_fail() {
    let mut diags = Diagnostics::default();
    let source = "\"Root.\" type Query @cached { \"A.\" a: Int @constraint(max: 1) }";
    let schema = lower("test.graphql", source, &options(), &mut diags);
    assert!(schema.is_none());
    let messages: Vec<String> = diags.sorted().iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "test.graphql:1:20: warning: unknown directive @cached is ignored",
            "test.graphql:1:42: error: directive @constraint is only allowed on arguments and input fields",
        ]
    );
}

#[test]
fn a_schema_without_a_query_root_fails() {
    let errors = lower_err("\"M.\" type Mutation { \"A.\" a: Int }");
    assert_eq!(
        errors,
        ["test.graphql:1:1: error: the schema has no query root type"]
    );
}

/// GraphQL requires an object that implements `Resource implements Node` to declare `Node` as
/// well (spec, "IsValidImplementation", rule 1). Without the check, the generated `Node` enum
/// silently lacks the object.
#[test]
fn implementing_an_interface_requires_the_interfaces_it_implements() {
    let source = r#"
"Root." type Query { "N." n: Node }
"Node." interface Node { "Id." id: ID! }
"Resource." interface Resource implements Node { "Id." id: ID! }
"Image." type Image implements Resource { "Id." id: ID! }
"#;
    let mut diags = Diagnostics::default();
    let schema = lower("test.graphql", source, &options(), &mut diags);
    let errors: Vec<String> = diags.sorted().iter().map(ToString::to_string).collect();
    assert!(
        schema.is_none(),
        "`Image` must be refused: it implements `Resource` but not `Node`"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("test.graphql:5:") && e.contains("`Node`")),
        "{errors:?}"
    );
}
