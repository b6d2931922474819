//! Whole-schema checks that need every type: references, kinds of types in each position,
//! interface implementations, defaults and constraints.
//!
//! # Invariants
//! - Checks only read the schema and record diagnostics; the one thing they add is each
//!   interface's sorted list of implementors.

use std::collections::BTreeMap;

use crate::diag::{Diagnostics, Loc};
use crate::ir::{Constraints, Field, InputValue, ScalarRepr, Schema, TypeKind, TypeRef};

/// Runs every check and fills in interface implementors.
pub(super) fn check(schema: &mut Schema, diags: &mut Diagnostics) {
    check_roots(schema, diags);
    for def in schema.types.values() {
        match &def.kind {
            TypeKind::Object { interfaces, fields }
            | TypeKind::Interface {
                interfaces, fields, ..
            } => {
                if fields.is_empty() {
                    diags.error(&def.loc, format!("type `{}` has no fields", def.name));
                }
                for field in fields {
                    check_field(schema, &def.name, field, diags);
                }
                for interface in interfaces {
                    check_implements(schema, &def.name, &def.loc, fields, interface, diags);
                }
            }
            TypeKind::Union { members } => {
                if members.is_empty() {
                    diags.error(&def.loc, format!("union `{}` has no members", def.name));
                }
                for member in members {
                    if !matches!(
                        schema.get(member).map(|t| &t.kind),
                        Some(TypeKind::Object { .. })
                    ) {
                        diags.error(
                            &def.loc,
                            format!(
                                "union `{}` member `{member}` is not an object type",
                                def.name
                            ),
                        );
                    }
                }
            }
            TypeKind::Enum { values } if values.is_empty() => {
                diags.error(&def.loc, format!("enum `{}` has no values", def.name));
            }
            TypeKind::Input { fields } => {
                if fields.is_empty() {
                    diags.error(&def.loc, format!("input `{}` has no fields", def.name));
                }
                for field in fields {
                    check_input_value(
                        schema,
                        &format!("{}.{}", def.name, field.name),
                        field,
                        diags,
                    );
                }
            }
            TypeKind::Enum { .. } | TypeKind::Scalar { .. } => {}
        }
    }
    fill_implementors(schema);
}

fn check_roots(schema: &Schema, diags: &mut Diagnostics) {
    for (kind, name) in schema.roots() {
        let loc = Loc::new(&schema.file, 1, 1);
        match schema.get(name) {
            Some(def) if matches!(def.kind, TypeKind::Object { .. }) => {}
            Some(def) => diags.error(
                &def.loc,
                format!("{kind:?} root `{name}` is not an object type"),
            ),
            None => diags.error(&loc, format!("{kind:?} root type `{name}` is not defined")),
        }
    }
}

fn check_field(schema: &Schema, owner: &str, field: &Field, diags: &mut Diagnostics) {
    let base = field.ty.base_name();
    let is_output = ScalarRepr::builtin(base).is_some()
        || matches!(
            schema.get(base).map(|t| &t.kind),
            Some(
                TypeKind::Scalar { .. }
                    | TypeKind::Object { .. }
                    | TypeKind::Interface { .. }
                    | TypeKind::Union { .. }
                    | TypeKind::Enum { .. }
            )
        );
    if schema.get(base).is_none() && ScalarRepr::builtin(base).is_none() {
        diags.error(
            &field.loc,
            format!("field `{owner}.{}` has unknown type `{base}`", field.name),
        );
    } else if !is_output {
        diags.error(
            &field.loc,
            format!(
                "field `{owner}.{}` has input type `{base}`; fields need output types",
                field.name
            ),
        );
    }
    if field.lazy && (schema.is_root(owner) || !field.args.is_empty()) {
        let message = format!(
            "@lazy on `{owner}.{}`: root fields and fields with arguments are always resolved on demand",
            field.name
        );
        diags.error(&field.loc, message);
    }
    for arg in &field.args {
        check_input_value(
            schema,
            &format!("{owner}.{}({})", field.name, arg.name),
            arg,
            diags,
        );
    }
}

fn check_input_value(schema: &Schema, label: &str, value: &InputValue, diags: &mut Diagnostics) {
    let base = value.ty.base_name();
    let is_input = ScalarRepr::builtin(base).is_some()
        || matches!(
            schema.get(base).map(|t| &t.kind),
            Some(TypeKind::Scalar { .. } | TypeKind::Enum { .. } | TypeKind::Input { .. })
        );
    if schema.get(base).is_none() && ScalarRepr::builtin(base).is_none() {
        diags.error(&value.loc, format!("`{label}` has unknown type `{base}`"));
        return;
    }
    if !is_input {
        diags.error(
            &value.loc,
            format!("`{label}` has output type `{base}`; inputs need input types"),
        );
        return;
    }
    if value.deprecated.is_some() && value.ty.is_non_null() && value.default.is_none() {
        diags.error(
            &value.loc,
            format!("`{label}` is required and so cannot be deprecated"),
        );
    }
    if let Some(default) = &value.default
        && let Err(message) = check_value(schema, default, &value.ty, 0)
    {
        diags.error(
            &value.loc,
            format!(
                "default of `{label}` does not fit `{}`: {message}",
                value.ty
            ),
        );
    }
    check_constraints(schema, label, value, diags);
}

/// Whether `value` (JSON as the validators see it) is a valid constant of type `ty`.
pub(crate) fn check_value(
    schema: &Schema,
    value: &serde_json::Value,
    ty: &TypeRef,
    depth: usize,
) -> Result<(), String> {
    if depth > 32 {
        return Err("value nests too deeply".to_owned());
    }
    match (ty, value) {
        (TypeRef::NonNull(_), serde_json::Value::Null) => {
            Err("null for a non-null type".to_owned())
        }
        (TypeRef::NonNull(inner), _) => check_value(schema, value, inner, depth + 1),
        (_, serde_json::Value::Null) => Ok(()),
        (TypeRef::List(inner), serde_json::Value::Array(items)) => items
            .iter()
            .try_for_each(|item| check_value(schema, item, inner, depth + 1)),
        // Input coercion: a single value stands for a list of one.
        (TypeRef::List(inner), _) => check_value(schema, value, inner, depth + 1),
        (TypeRef::Named(name), _) => check_named_value(schema, value, name, depth),
    }
}

fn check_named_value(
    schema: &Schema,
    value: &serde_json::Value,
    name: &str,
    depth: usize,
) -> Result<(), String> {
    if let Some(repr) = schema.scalar_repr(name) {
        return check_scalar_value(value, repr);
    }
    match schema.get(name).map(|t| &t.kind) {
        Some(TypeKind::Enum { values }) => match value {
            serde_json::Value::String(text) if values.iter().any(|v| v.name == *text) => Ok(()),
            _ => Err(format!("`{value}` is not a value of enum `{name}`")),
        },
        Some(TypeKind::Input { fields }) => {
            let serde_json::Value::Object(map) = value else {
                return Err(format!("`{value}` is not an object of `{name}`"));
            };
            if let Some(unknown) = map
                .keys()
                .find(|key| !fields.iter().any(|f| f.name == **key))
            {
                return Err(format!("`{name}` has no field `{unknown}`"));
            }
            for field in fields {
                match map.get(&field.name) {
                    Some(inner) => check_value(schema, inner, &field.ty, depth + 1)?,
                    None if field.ty.is_non_null() && field.default.is_none() => {
                        return Err(format!("required field `{name}.{}` is missing", field.name));
                    }
                    None => {}
                }
            }
            Ok(())
        }
        _ => Err(format!("`{name}` is not an input type")),
    }
}

fn check_scalar_value(value: &serde_json::Value, repr: ScalarRepr) -> Result<(), String> {
    let fits = match repr {
        ScalarRepr::Int => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        ScalarRepr::Float => value.is_number(),
        ScalarRepr::String => value.is_string(),
        ScalarRepr::Boolean => value.is_boolean(),
        ScalarRepr::Id => value.is_string() || value.is_i64(),
        ScalarRepr::Hex32 => value.as_str().is_some_and(|s| {
            s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        }),
        ScalarRepr::U64 => {
            value.as_u64().is_some() || value.as_str().is_some_and(|s| s.parse::<u64>().is_ok())
        }
        ScalarRepr::U32 => value.as_u64().is_some_and(|n| u32::try_from(n).is_ok()),
        ScalarRepr::Json => true,
    };
    if fits {
        Ok(())
    } else {
        Err(format!("`{value}` is not a valid {repr:?}"))
    }
}

fn check_constraints(schema: &Schema, label: &str, value: &InputValue, diags: &mut Diagnostics) {
    let Constraints {
        min,
        max,
        min_length,
        max_length,
        pattern,
        min_items,
        max_items,
    } = &value.constraints;
    let repr = schema.scalar_repr(value.ty.base_name());
    let mut misplaced = |what: &str, needs: &str| {
        diags.error(
            &value.loc,
            format!(
                "@constraint({what}:) on `{label}` needs {needs}, not `{}`",
                value.ty
            ),
        );
    };
    if (min.is_some() || max.is_some()) && !repr.is_some_and(ScalarRepr::is_numeric) {
        misplaced("min/max", "a numeric type");
    }
    if (min_length.is_some() || max_length.is_some() || pattern.is_some())
        && !repr.is_some_and(ScalarRepr::is_textual)
    {
        misplaced("minLength/maxLength/pattern", "a String or ID type");
    }
    if (min_items.is_some() || max_items.is_some()) && !value.ty.is_list() {
        misplaced("minItems/maxItems", "a list type");
    }
    for (low, high, what) in [
        (min, max, "min > max"),
        (min_length, max_length, "minLength > maxLength"),
        (min_items, max_items, "minItems > maxItems"),
    ] {
        if let (Some(low), Some(high)) = (low, high)
            && low > high
        {
            diags.error(&value.loc, format!("@constraint on `{label}`: {what}"));
        }
    }
    if let Some(pattern) = pattern
        && let Err(error) = regex_syntax::Parser::new().parse(pattern)
    {
        let text = error.to_string();
        let first_line = text
            .lines()
            .last()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_owned();
        diags.error(
            &value.loc,
            format!("@constraint(pattern:) on `{label}` is not a valid regex: {first_line}"),
        );
    }
}

fn check_implements(
    schema: &Schema,
    owner: &str,
    loc: &Loc,
    fields: &[Field],
    interface: &str,
    diags: &mut Diagnostics,
) {
    let Some(TypeKind::Interface {
        fields: wanted,
        interfaces: inherited,
        ..
    }) = schema.get(interface).map(|t| &t.kind)
    else {
        diags.error(
            loc,
            format!("`{owner}` implements `{interface}`, which is not an interface"),
        );
        return;
    };
    // GraphQL spec, IsValidImplementation rule 1: the interfaces of an implemented interface must
    // be declared too, or abstract types would silently miss implementors.
    let declared = match schema.get(owner).map(|t| &t.kind) {
        Some(TypeKind::Object { interfaces, .. } | TypeKind::Interface { interfaces, .. }) => {
            interfaces.clone()
        }
        _ => Vec::new(),
    };
    for transitive in inherited.iter().filter(|i| !declared.contains(i)) {
        diags.error(loc, format!("`{owner}` implements `{interface}`, which implements `{transitive}`; `{owner}` must declare `{transitive}` too"));
    }
    for wanted_field in wanted {
        let Some(field) = fields.iter().find(|f| f.name == wanted_field.name) else {
            diags.error(
                loc,
                format!(
                    "`{owner}` implements `{interface}` but lacks field `{}`",
                    wanted_field.name
                ),
            );
            continue;
        };
        if !is_subtype(schema, &field.ty, &wanted_field.ty) {
            let message = format!(
                "`{owner}.{}` has type `{}`, which does not fit `{interface}.{}: {}`",
                field.name, field.ty, wanted_field.name, wanted_field.ty
            );
            diags.error(&field.loc, message);
        }
        for wanted_arg in &wanted_field.args {
            match field.args.iter().find(|a| a.name == wanted_arg.name) {
                Some(arg) if arg.ty == wanted_arg.ty => {}
                _ => diags.error(
                    &field.loc,
                    format!(
                        "`{owner}.{}` must take argument `{}: {}` like `{interface}`",
                        field.name, wanted_arg.name, wanted_arg.ty
                    ),
                ),
            }
        }
    }
}

/// Output-type covariance: non-null fits nullable, lists compare items, an object fits the
/// interfaces it implements and the unions it belongs to.
fn is_subtype(schema: &Schema, sub: &TypeRef, sup: &TypeRef) -> bool {
    match (sub, sup) {
        (TypeRef::NonNull(a), TypeRef::NonNull(b)) => is_subtype(schema, a, b),
        (TypeRef::NonNull(a), b) => is_subtype(schema, a, b),
        (_, TypeRef::NonNull(_)) => false,
        (TypeRef::List(a), TypeRef::List(b)) => is_subtype(schema, a, b),
        (TypeRef::Named(a), TypeRef::Named(b)) => a == b || implements(schema, a, b),
        _ => false,
    }
}

fn implements(schema: &Schema, object: &str, abstract_type: &str) -> bool {
    match schema.get(abstract_type).map(|t| &t.kind) {
        Some(TypeKind::Union { members }) => members.iter().any(|m| m == object),
        Some(TypeKind::Interface { .. }) => match schema.get(object).map(|t| &t.kind) {
            Some(TypeKind::Object { interfaces, .. } | TypeKind::Interface { interfaces, .. }) => {
                interfaces.iter().any(|i| i == abstract_type)
            }
            _ => false,
        },
        _ => false,
    }
}

fn fill_implementors(schema: &mut Schema) {
    let mut implementors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for def in schema.types.values() {
        if let TypeKind::Object { interfaces, .. } = &def.kind {
            for interface in interfaces {
                implementors
                    .entry(interface.clone())
                    .or_default()
                    .push(def.name.clone());
            }
        }
    }
    for (interface, objects) in implementors {
        if let Some(TypeKind::Interface { implementors, .. }) =
            schema.types.get_mut(&interface).map(|t| &mut t.kind)
        {
            *implementors = objects;
        }
    }
}
