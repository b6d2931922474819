//! Parity of the served GraphQL schema with the canonical SDL, `schema/jitos.graphql`.
//!
//! The schema that `jitos_schema_graphql::schema_builder` builds is exported with
//! `Schema::sdl()`; that text and the canonical file are both parsed with graphql-parser and
//! turned into a normalised model: a `BTreeMap` from a fact's path (`type Query.field
//! graph.arg view`) to its value (`ViewRefInput!`). The models are compared as values, not as
//! text, so order, layout and quoting do not matter, while every name, kind, type (wrappers
//! included), default value, description and deprecation does. A failure lists each differing
//! fact with both sides.
//!
//! # Invariants
//! - The served schema has exactly the named types of the canonical SDL, each of the same kind;
//!   the same fields, arguments and input fields with the same types, defaults, descriptions
//!   and deprecations; the same enum values, union members, implemented interfaces, scalar
//!   descriptions and root operation types.
//! - Built-in scalars, introspection types (`__*`), built-in directive definitions and the
//!   codegen-only directives `@constraint` and `@lazy` (definitions and uses) are left out of
//!   both models.
//! - A missing deprecation reason equals `"No longer supported"`; a default value is compared as
//!   a typed value, so the enum `SYSTEM` differs from the string `"SYSTEM"` and `200` from `200.0`.
//! - The comparison can fail: the canonical document with one field dropped, one default, one
//!   description or one type wrapper changed yields a model that differs in exactly that fact.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt::Write as _;
use std::sync::Arc;

use graphql_parser::schema::{
    Definition, Directive, Document, EnumType, Field, InputValue, ObjectType, Type, TypeDefinition,
    Value,
};

/// A parsed SDL document that owns its names.
type Sdl<'a> = Document<'a, String>;

/// The normalised model: fact path to fact value.
type Model = BTreeMap<String, String>;

/// Directives that only codegen reads; the served schema leaves them out by design.
const CODEGEN_ONLY_DIRECTIVES: [&str; 2] = ["constraint", "lazy"];

/// Directives every GraphQL server knows; a printer may or may not define them.
const BUILT_IN_DIRECTIVES: [&str; 5] = ["skip", "include", "deprecated", "specifiedBy", "oneOf"];

/// Scalars every GraphQL server knows; a printer may or may not define them.
const BUILT_IN_SCALARS: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];

/// The reason `@deprecated` stands for when it has none (GraphQL spec §3.13.3).
const DEFAULT_DEPRECATION_REASON: &str = "No longer supported";

fn canonical_sdl() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/jitos.graphql");
    std::fs::read_to_string(path).expect("schema/jitos.graphql is readable")
}

fn served_sdl() -> String {
    let resolvers = Arc::new(jitos_schema::resolvers::Unimplemented);
    let schema = jitos_schema_graphql::schema_builder(&resolvers)
        .finish()
        .expect("the generated glue builds a valid schema");
    schema.sdl()
}

fn parse(sdl: &str, what: &str) -> Sdl<'static> {
    graphql_parser::parse_schema::<String>(sdl)
        .unwrap_or_else(|error| panic!("{what} does not parse: {error}"))
        .into_static()
}

/// Records one fact; a fact recorded twice means a duplicate definition.
fn insert(model: &mut Model, path: String, value: String) {
    match model.entry(path) {
        Entry::Vacant(entry) => {
            entry.insert(value);
        }
        Entry::Occupied(entry) => panic!("`{}` is defined twice", entry.key()),
    }
}

fn render_type(ty: &Type<'_, String>) -> String {
    match ty {
        Type::NamedType(name) => name.clone(),
        Type::ListType(inner) => format!("[{}]", render_type(inner)),
        Type::NonNullType(inner) => format!("{}!", render_type(inner)),
    }
}

/// A value with its GraphQL kind, so that `Enum(SYSTEM)` differs from `String("SYSTEM")`.
fn render_value(value: &Value<'_, String>) -> String {
    match value {
        Value::Variable(name) => format!("Variable({name})"),
        Value::Int(number) => match number.as_i64() {
            Some(int) => format!("Int({int})"),
            None => "Int(out of range)".to_owned(),
        },
        Value::Float(float) => format!("Float({float:?})"),
        Value::String(text) => format!("String({text:?})"),
        Value::Boolean(flag) => format!("Boolean({flag})"),
        Value::Null => "Null".to_owned(),
        Value::Enum(name) => format!("Enum({name})"),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(render_value).collect();
            format!("List[{}]", items.join(", "))
        }
        Value::Object(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(name, value)| format!("{name}: {}", render_value(value)))
                .collect();
            format!("Object{{{}}}", fields.join(", "))
        }
    }
}

fn render_description(description: Option<&String>) -> String {
    format!("{description:?}")
}

/// Records the description, the deprecation and every other directive use at `path`.
fn annotations(
    model: &mut Model,
    path: &str,
    description: Option<&String>,
    directives: &[Directive<'_, String>],
) {
    insert(
        model,
        format!("{path}.description"),
        render_description(description),
    );
    let mut deprecation = "not deprecated".to_owned();
    for directive in directives {
        let name = directive.name.as_str();
        if CODEGEN_ONLY_DIRECTIVES.contains(&name) {
            continue;
        }
        let mut arguments: BTreeMap<&str, String> = BTreeMap::new();
        for (argument, value) in &directive.arguments {
            arguments.insert(argument.as_str(), render_value(value));
        }
        if name == "deprecated" {
            let reason = match directive.arguments.iter().find(|(arg, _)| arg == "reason") {
                None | Some((_, Value::Null)) => DEFAULT_DEPRECATION_REASON.to_owned(),
                Some((_, Value::String(reason))) => reason.clone(),
                Some((_, other)) => render_value(other),
            };
            deprecation = format!("deprecated: {reason:?}");
        } else {
            insert(
                model,
                format!("{path}.directive @{name}"),
                format!("{arguments:?}"),
            );
        }
    }
    insert(model, format!("{path}.deprecation"), deprecation);
}

fn input_value(model: &mut Model, path: &str, value: &InputValue<'_, String>) {
    insert(model, path.to_owned(), render_type(&value.value_type));
    let default = value
        .default_value
        .as_ref()
        .map_or_else(|| "none".to_owned(), render_value);
    insert(model, format!("{path}.default"), default);
    annotations(model, path, value.description.as_ref(), &value.directives);
}

fn field(model: &mut Model, owner: &str, field: &Field<'_, String>) {
    let path = format!("{owner}.field {}", field.name);
    insert(model, path.clone(), render_type(&field.field_type));
    annotations(model, &path, field.description.as_ref(), &field.directives);
    for argument in &field.arguments {
        input_value(model, &format!("{path}.arg {}", argument.name), argument);
    }
}

fn object_like(model: &mut Model, path: &str, interfaces: &[String], fields: &[Field<'_, String>]) {
    let mut interfaces = interfaces.to_vec();
    interfaces.sort();
    insert(
        model,
        format!("{path}.implements"),
        format!("{interfaces:?}"),
    );
    for item in fields {
        field(model, path, item);
    }
}

fn enum_values(model: &mut Model, path: &str, enumeration: &EnumType<'_, String>) {
    for value in &enumeration.values {
        let value_path = format!("{path}.value {}", value.name);
        insert(model, value_path.clone(), "ENUM_VALUE".to_owned());
        annotations(
            model,
            &value_path,
            value.description.as_ref(),
            &value.directives,
        );
    }
}

/// Records one named type, unless it is built in.
fn type_definition(model: &mut Model, definition: &TypeDefinition<'_, String>) {
    let (name, kind, description, directives) = match definition {
        TypeDefinition::Scalar(t) => (&t.name, "SCALAR", &t.description, &t.directives),
        TypeDefinition::Object(t) => (&t.name, "OBJECT", &t.description, &t.directives),
        TypeDefinition::Interface(t) => (&t.name, "INTERFACE", &t.description, &t.directives),
        TypeDefinition::Union(t) => (&t.name, "UNION", &t.description, &t.directives),
        TypeDefinition::Enum(t) => (&t.name, "ENUM", &t.description, &t.directives),
        TypeDefinition::InputObject(t) => (&t.name, "INPUT_OBJECT", &t.description, &t.directives),
    };
    if name.starts_with("__") || BUILT_IN_SCALARS.contains(&name.as_str()) {
        return;
    }
    let path = format!("type {name}");
    insert(model, path.clone(), kind.to_owned());
    annotations(model, &path, description.as_ref(), directives);
    match definition {
        TypeDefinition::Scalar(_) => {}
        TypeDefinition::Object(t) => object_like(model, &path, &t.implements_interfaces, &t.fields),
        TypeDefinition::Interface(t) => {
            object_like(model, &path, &t.implements_interfaces, &t.fields);
        }
        TypeDefinition::Union(t) => {
            let mut members = t.types.clone();
            members.sort();
            insert(model, format!("{path}.members"), format!("{members:?}"));
        }
        TypeDefinition::Enum(t) => enum_values(model, &path, t),
        TypeDefinition::InputObject(t) => {
            for item in &t.fields {
                input_value(model, &format!("{path}.input {}", item.name), item);
            }
        }
    }
}

/// Builds the normalised model of a whole document.
fn model(document: &Sdl<'_>) -> Model {
    let mut model = Model::new();
    let mut roots: Option<[Option<String>; 3]> = None;
    for definition in &document.definitions {
        match definition {
            Definition::SchemaDefinition(schema) => {
                assert!(roots.is_none(), "two schema definitions");
                let operations = [&schema.query, &schema.mutation, &schema.subscription];
                roots = Some(operations.map(Clone::clone));
            }
            Definition::TypeDefinition(definition) => type_definition(&mut model, definition),
            Definition::TypeExtension(extension) => {
                panic!("type extensions are not expected in a schema: {extension:?}")
            }
            Definition::DirectiveDefinition(directive) => {
                let name = directive.name.as_str();
                if CODEGEN_ONLY_DIRECTIVES.contains(&name) || BUILT_IN_DIRECTIVES.contains(&name) {
                    continue;
                }
                let path = format!("directive @{name}");
                let locations: Vec<&str> = directive.locations.iter().map(|l| l.as_str()).collect();
                insert(&mut model, path.clone(), format!("{locations:?}"));
                insert(
                    &mut model,
                    format!("{path}.repeatable"),
                    directive.repeatable.to_string(),
                );
                insert(
                    &mut model,
                    format!("{path}.description"),
                    format!("{:?}", directive.description),
                );
                for argument in &directive.arguments {
                    input_value(
                        &mut model,
                        &format!("{path}.arg {}", argument.name),
                        argument,
                    );
                }
            }
        }
    }
    // Without a schema definition the roots are the types named Query, Mutation, Subscription.
    let roots = roots.unwrap_or_else(|| {
        ["Query", "Mutation", "Subscription"].map(|name| {
            model
                .contains_key(&format!("type {name}"))
                .then(|| name.to_owned())
        })
    });
    for (operation, root) in ["query", "mutation", "subscription"].iter().zip(roots) {
        insert(
            &mut model,
            format!("schema.{operation}"),
            format!("{root:?}"),
        );
    }
    model
}

/// Every fact that differs between the two models, one line each, in path order.
fn differences(served: &Model, canonical: &Model) -> Vec<String> {
    let mut paths: Vec<&String> = served.keys().chain(canonical.keys()).collect();
    paths.sort();
    paths.dedup();
    let mut lines = Vec::new();
    for path in paths {
        let (served_value, canonical_value) = (served.get(path), canonical.get(path));
        if served_value != canonical_value {
            let mut line = String::new();
            let none = "(absent)".to_owned();
            write!(
                line,
                "{path}: served {} / canonical {}",
                served_value.unwrap_or(&none),
                canonical_value.unwrap_or(&none),
            )
            .expect("writing to a String cannot fail");
            lines.push(line);
        }
    }
    lines
}

/// The paths of the facts that differ, for asserting what a mutation changed.
fn differing_paths(left: &Model, right: &Model) -> Vec<String> {
    differences(left, right)
        .into_iter()
        .map(|line| {
            line.split(": served ")
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

fn object_mut<'d>(
    document: &'d mut Sdl<'static>,
    name: &str,
) -> &'d mut ObjectType<'static, String> {
    document
        .definitions
        .iter_mut()
        .find_map(|definition| match definition {
            Definition::TypeDefinition(TypeDefinition::Object(object)) if object.name == name => {
                Some(object)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("the canonical schema has no object type {name}"))
}

fn input_field_mut<'d>(
    document: &'d mut Sdl<'static>,
    type_name: &str,
    field_name: &str,
) -> &'d mut InputValue<'static, String> {
    document
        .definitions
        .iter_mut()
        .find_map(|definition| match definition {
            Definition::TypeDefinition(TypeDefinition::InputObject(input))
                if input.name == type_name =>
            {
                input
                    .fields
                    .iter_mut()
                    .find(|field| field.name == field_name)
            }
            _ => None,
        })
        .unwrap_or_else(|| {
            panic!("the canonical schema has no input field {type_name}.{field_name}")
        })
}

#[test]
fn served_schema_matches_the_canonical_sdl() {
    let served_sdl = served_sdl();
    let served = model(&parse(&served_sdl, "the served SDL"));
    let canonical = model(&parse(&canonical_sdl(), "schema/jitos.graphql"));

    // The models are not trivially equal: the canonical one holds the facts it should.
    assert_eq!(
        canonical
            .get("type Query.field graph.arg view")
            .map(String::as_str),
        Some("ViewRefInput!")
    );
    assert_eq!(
        canonical
            .get("type PageInput.input first.default")
            .map(String::as_str),
        Some("Int(200)")
    );
    assert_eq!(
        canonical.get("schema.subscription").map(String::as_str),
        Some("Some(\"Subscription\")")
    );
    assert!(
        canonical.len() > 500,
        "the canonical model has only {} facts",
        canonical.len()
    );

    let differences = differences(&served, &canonical);
    assert!(
        differences.is_empty(),
        "the served schema differs from schema/jitos.graphql in {} facts:\n{}\n\nserved SDL:\n{served_sdl}",
        differences.len(),
        differences.join("\n"),
    );
    assert_eq!(served, canonical);
}

#[test]
fn comparison_detects_each_kind_of_change() {
    let canonical_document = parse(&canonical_sdl(), "schema/jitos.graphql");
    let canonical = model(&canonical_document);

    let mut dropped_field = canonical_document.clone();
    object_mut(&mut dropped_field, "GraphNode")
        .fields
        .retain(|field| field.name != "payloadB64");
    let paths = differing_paths(&model(&dropped_field), &canonical);
    assert!(!paths.is_empty());
    assert!(
        paths
            .iter()
            .all(|path| path.starts_with("type GraphNode.field payloadB64")),
        "{paths:?}"
    );

    let mut changed_default = canonical_document.clone();
    input_field_mut(&mut changed_default, "PageInput", "first").default_value =
        Some(Value::Float(200.0));
    assert_eq!(
        differing_paths(&model(&changed_default), &canonical),
        ["type PageInput.input first.default"],
    );

    let mut string_for_boolean = canonical_document.clone();
    input_field_mut(&mut string_for_boolean, "SubmitIntentInput", "planOnly").default_value =
        Some(Value::String("false".to_owned()));
    assert_eq!(
        differing_paths(&model(&string_for_boolean), &canonical),
        ["type SubmitIntentInput.input planOnly.default"],
    );

    let mut changed_description = canonical_document.clone();
    object_mut(&mut changed_description, "Query").description = Some("Reads.".to_owned());
    assert_eq!(
        differing_paths(&model(&changed_description), &canonical),
        ["type Query.description"]
    );

    let mut changed_wrapper = canonical_document.clone();
    let node = object_mut(&mut changed_wrapper, "Query")
        .fields
        .iter_mut()
        .find(|field| field.name == "node")
        .expect("Query.node exists");
    node.arguments[1].value_type = Type::NamedType("ID".to_owned());
    assert_eq!(
        differing_paths(&model(&changed_wrapper), &canonical),
        ["type Query.field node.arg id"]
    );
}

#[test]
fn deprecation_without_reason_equals_the_default_reason() {
    let base = parse(&canonical_sdl(), "schema/jitos.graphql");
    let deprecate = |reason: Option<&str>| {
        let mut document = base.clone();
        let field = object_mut(&mut document, "KernelInfo")
            .fields
            .iter_mut()
            .find(|field| field.name == "version")
            .expect("KernelInfo.version exists");
        let arguments = reason
            .map(|reason| vec![("reason".to_owned(), Value::String(reason.to_owned()))])
            .unwrap_or_default();
        field.directives.push(Directive {
            position: field.position,
            name: "deprecated".to_owned(),
            arguments,
        });
        model(&document)
    };
    let bare = deprecate(None);
    assert_eq!(bare, deprecate(Some(DEFAULT_DEPRECATION_REASON)));
    assert_eq!(
        differing_paths(&bare, &model(&base)),
        ["type KernelInfo.field version.deprecation"],
    );
    assert_eq!(
        differing_paths(&deprecate(Some("use kernel")), &bare),
        ["type KernelInfo.field version.deprecation"],
    );
}
