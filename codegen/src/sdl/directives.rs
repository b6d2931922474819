//! The directives the generator understands, and what it says about the rest.
//!
//! # Invariants
//! - Known directives in a place they do not belong are errors; unknown directives are warnings.
//! - Default values convert to the JSON the generated validators accept, or to an error.

use graphql_parser::schema as ast;

use super::SdlOptions;
use crate::diag::{Diagnostics, Loc, Severity};
use crate::ir::{Constraints, Deprecation};

/// Every directive the generator acts on, and where each may stand.
const KNOWN: &[(&str, &str)] = &[
    (
        "deprecated",
        "fields, arguments, input fields and enum values",
    ),
    ("specifiedBy", "scalars"),
    ("constraint", "arguments and input fields"),
    ("lazy", "fields of object and interface types"),
];

/// Reports each directive in `directives` that is not in `allowed` here.
pub(super) fn warn_unknown(
    loc: &Loc,
    directives: &[ast::Directive<'_, String>],
    allowed: &[&str],
    diags: &mut Diagnostics,
) {
    for directive in directives {
        let name = directive.name.as_str();
        if allowed.contains(&name) {
            continue;
        }
        let at = Loc::new(
            &loc.file,
            directive.position.line,
            directive.position.column,
        );
        match KNOWN.iter().find(|(known, _)| *known == name) {
            Some((_, places)) => diags.error(
                &at,
                format!("directive @{name} is only allowed on {places}"),
            ),
            None => diags.warning(&at, format!("unknown directive @{name} is ignored")),
        }
    }
}

/// Checks a `directive @name ...` definition: descriptions, and whether the generator acts on it.
pub(super) fn check_definition(
    file: &str,
    definition: &ast::DirectiveDefinition<'_, String>,
    options: &SdlOptions,
    diags: &mut Diagnostics,
) {
    let loc = Loc::new(file, definition.position.line, definition.position.column);
    let missing =
        |diags: &mut Diagnostics, loc: &Loc, what: String| match options.missing_description {
            Severity::Error => diags.error(loc, format!("{what} has no description")),
            Severity::Warning => diags.warning(loc, format!("{what} has no description")),
        };
    if definition
        .description
        .as_deref()
        .is_none_or(|d| d.trim().is_empty())
    {
        missing(diags, &loc, format!("directive `@{}`", definition.name));
    }
    for argument in &definition.arguments {
        if argument
            .description
            .as_deref()
            .is_none_or(|d| d.trim().is_empty())
        {
            let at = Loc::new(file, argument.position.line, argument.position.column);
            missing(
                diags,
                &at,
                format!("argument `@{}({})`", definition.name, argument.name),
            );
        }
    }
    if !KNOWN.iter().any(|(known, _)| *known == definition.name) {
        diags.warning(
            &loc,
            format!(
                "directive @{} is defined but the generator does not act on it",
                definition.name
            ),
        );
    }
}

fn find<'d, 'a>(
    directives: &'d [ast::Directive<'a, String>],
    name: &str,
) -> Option<&'d ast::Directive<'a, String>> {
    directives.iter().find(|d| d.name == name)
}

fn directive_loc(loc: &Loc, directive: &ast::Directive<'_, String>) -> Loc {
    Loc::new(
        &loc.file,
        directive.position.line,
        directive.position.column,
    )
}

/// `@deprecated(reason: String)`.
pub(super) fn deprecation(
    loc: &Loc,
    directives: &[ast::Directive<'_, String>],
    diags: &mut Diagnostics,
) -> Option<Deprecation> {
    let directive = find(directives, "deprecated")?;
    let mut reason = None;
    for (name, value) in &directive.arguments {
        match (name.as_str(), value) {
            ("reason", ast::Value::String(text)) => reason = Some(text.clone()),
            ("reason", ast::Value::Null) => {}
            _ => diags.error(
                &directive_loc(loc, directive),
                format!("@deprecated takes only `reason: String`, not `{name}`"),
            ),
        }
    }
    Some(Deprecation { reason })
}

/// `@specifiedBy(url: String!)`.
pub(super) fn specified_by(
    loc: &Loc,
    directives: &[ast::Directive<'_, String>],
    diags: &mut Diagnostics,
) -> Option<String> {
    let directive = find(directives, "specifiedBy")?;
    match directive.arguments.as_slice() {
        [(name, ast::Value::String(url))] if name == "url" => Some(url.clone()),
        _ => {
            diags.error(
                &directive_loc(loc, directive),
                "@specifiedBy takes exactly `url: String!`",
            );
            None
        }
    }
}

/// `@constraint(min:, max:, minLength:, maxLength:, pattern:, minItems:, maxItems:)`.
pub(super) fn constraints(
    loc: &Loc,
    directives: &[ast::Directive<'_, String>],
    diags: &mut Diagnostics,
) -> Constraints {
    let mut constraints = Constraints::default();
    let Some(directive) = find(directives, "constraint") else {
        return constraints;
    };
    let at = directive_loc(loc, directive);
    for (name, value) in &directive.arguments {
        if name == "pattern" {
            match value {
                ast::Value::String(pattern) => constraints.pattern = Some(pattern.clone()),
                _ => diags.error(&at, "@constraint(pattern:) must be a string"),
            }
            continue;
        }
        let slot = match name.as_str() {
            "min" => &mut constraints.min,
            "max" => &mut constraints.max,
            "minLength" => &mut constraints.min_length,
            "maxLength" => &mut constraints.max_length,
            "minItems" => &mut constraints.min_items,
            "maxItems" => &mut constraints.max_items,
            _ => {
                diags.error(&at, format!("@constraint has no argument `{name}`"));
                continue;
            }
        };
        match value {
            ast::Value::Int(number) => *slot = number.as_i64(),
            _ => diags.error(&at, format!("@constraint({name}:) must be an integer")),
        }
    }
    constraints
}

/// A constant SDL value as JSON: enum values become strings, variables are refused.
pub(super) fn value_to_json(value: &ast::Value<'_, String>) -> Result<serde_json::Value, String> {
    Ok(match value {
        ast::Value::Variable(name) => return Err(format!("variable `${name}` is not a constant")),
        ast::Value::Int(number) => number.as_i64().ok_or("integer out of range")?.into(),
        ast::Value::Float(float) => serde_json::Number::from_f64(*float)
            .ok_or("float is not finite")?
            .into(),
        ast::Value::String(text) => text.clone().into(),
        ast::Value::Boolean(flag) => (*flag).into(),
        ast::Value::Null => serde_json::Value::Null,
        ast::Value::Enum(name) => name.clone().into(),
        ast::Value::List(items) => items
            .iter()
            .map(value_to_json)
            .collect::<Result<Vec<_>, _>>()?
            .into(),
        ast::Value::Object(fields) => {
            let mut map = serde_json::Map::new();
            for (name, field) in fields {
                map.insert(name.clone(), value_to_json(field)?);
            }
            map.into()
        }
    })
}
