//! SDL to IR: parse with graphql-parser, merge extensions, resolve and check everything.
//!
//! # Invariants
//! - Never panics on any input text; every problem becomes a diagnostic with `file:line:column`.
//! - Returns a `Schema` only when no error was recorded, so emitters never see a broken schema.
//! - Directives the generator does not know are reported as warnings and otherwise ignored.

use std::collections::BTreeMap;

use graphql_parser::schema as ast;

use crate::diag::{Diagnostics, Loc, Severity};
use crate::ir::{
    EnumValue, Field, InputValue, RootKind, ScalarRepr, Schema, TypeDef, TypeKind, TypeRef,
};

mod check;
mod directives;

/// What the lowering needs besides the SDL text.
#[derive(Debug, Clone)]
pub struct SdlOptions {
    /// Rust representation of each custom scalar; unlisted ones are `Json`.
    pub scalars: BTreeMap<String, ScalarRepr>,
    /// How a missing description is reported.
    pub missing_description: Severity,
}

/// Parses and checks `source`, named `file` in diagnostics.
pub fn lower(
    file: &str,
    source: &str,
    options: &SdlOptions,
    diags: &mut Diagnostics,
) -> Option<Schema> {
    let document = match ast::parse_schema::<String>(source) {
        Ok(document) => document,
        Err(error) => {
            let message = error.to_string();
            let (line, column) = parse_error_position(&message);
            let message = message.replace('\n', " ").trim().to_owned();
            diags.error(&Loc::new(file, line, column), message);
            return None;
        }
    };
    let mut lowering = Lowering {
        file,
        options,
        diags,
        types: BTreeMap::new(),
        roots: None,
    };
    lowering.collect(&document);
    let mut schema = lowering.finish()?;
    check::check(&mut schema, diags);
    if diags.has_errors() {
        None
    } else {
        Some(schema)
    }
}

/// graphql-parser reports positions inside its message as `... at LINE:COLUMN ...`.
fn parse_error_position(message: &str) -> (usize, usize) {
    let position = message.split_whitespace().find_map(|word| {
        let (line, column) = word
            .trim_matches(|c: char| !c.is_ascii_digit())
            .split_once(':')?;
        Some((line.parse().ok()?, column.parse().ok()?))
    });
    position.unwrap_or((1, 1))
}

struct Lowering<'a> {
    file: &'a str,
    options: &'a SdlOptions,
    diags: &'a mut Diagnostics,
    types: BTreeMap<String, TypeDef>,
    roots: Option<(Loc, ast::SchemaDefinition<'static, String>)>,
}

impl Lowering<'_> {
    fn loc(&self, position: graphql_parser::Pos) -> Loc {
        Loc::new(self.file, position.line, position.column)
    }

    fn collect(&mut self, document: &ast::Document<'_, String>) {
        let mut extensions = Vec::new();
        for definition in &document.definitions {
            match definition {
                ast::Definition::SchemaDefinition(schema) => self.schema_definition(schema),
                ast::Definition::TypeDefinition(definition) => self.type_definition(definition),
                ast::Definition::TypeExtension(extension) => extensions.push(extension),
                ast::Definition::DirectiveDefinition(definition) => {
                    directives::check_definition(self.file, definition, self.options, self.diags);
                }
            }
        }
        for extension in extensions {
            self.type_extension(extension);
        }
    }

    fn schema_definition(&mut self, schema: &ast::SchemaDefinition<'_, String>) {
        let loc = self.loc(schema.position);
        if let Some((first, _)) = &self.roots {
            let message = format!("second schema definition; the first is at {first}");
            self.diags.error(&loc, message);
            return;
        }
        directives::warn_unknown(&loc, &schema.directives, &[], self.diags);
        let owned = ast::SchemaDefinition {
            position: schema.position,
            directives: Vec::new(),
            query: schema.query.clone(),
            mutation: schema.mutation.clone(),
            subscription: schema.subscription.clone(),
        };
        self.roots = Some((loc, owned));
    }

    fn insert(&mut self, def: TypeDef) {
        if ScalarRepr::builtin(&def.name).is_some() {
            let message = format!("type `{}` redefines a built-in scalar", def.name);
            self.diags.error(&def.loc, message);
            return;
        }
        if def.name.starts_with("__") {
            let message = format!("type `{}`: names starting with `__` are reserved", def.name);
            self.diags.error(&def.loc, message);
            return;
        }
        if let Some(first) = self.types.get(&def.name) {
            let message = format!(
                "duplicate type `{}`; first defined at {}",
                def.name, first.loc
            );
            self.diags.error(&def.loc, message);
            return;
        }
        self.types.insert(def.name.clone(), def);
    }

    fn description(
        &mut self,
        loc: &Loc,
        what: &str,
        description: Option<&String>,
    ) -> Option<String> {
        let description = description
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty());
        if description.is_none() {
            let message = format!("{what} has no description");
            match self.options.missing_description {
                Severity::Error => self.diags.error(loc, message),
                Severity::Warning => self.diags.warning(loc, message),
            }
        }
        description
    }

    #[allow(
        clippy::too_many_lines,
        reason = "one arm per kind of input; splitting it would scatter one mapping"
    )]
    fn type_definition(&mut self, definition: &ast::TypeDefinition<'_, String>) {
        let def = match definition {
            ast::TypeDefinition::Scalar(scalar) => self.scalar(scalar),
            ast::TypeDefinition::Object(object) => {
                let loc = self.loc(object.position);
                directives::warn_unknown(&loc, &object.directives, &[], self.diags);
                let what = format!("type `{}`", object.name);
                let description = self.description(&loc, &what, object.description.as_ref());
                let fields = self.fields(&object.name, &object.fields);
                let interfaces = sorted(&object.implements_interfaces);
                let kind = TypeKind::Object { interfaces, fields };
                TypeDef {
                    name: object.name.clone(),
                    loc,
                    description,
                    kind,
                }
            }
            ast::TypeDefinition::Interface(interface) => {
                let loc = self.loc(interface.position);
                directives::warn_unknown(&loc, &interface.directives, &[], self.diags);
                let what = format!("interface `{}`", interface.name);
                let description = self.description(&loc, &what, interface.description.as_ref());
                let fields = self.fields(&interface.name, &interface.fields);
                let interfaces = sorted(&interface.implements_interfaces);
                let kind = TypeKind::Interface {
                    interfaces,
                    fields,
                    implementors: Vec::new(),
                };
                TypeDef {
                    name: interface.name.clone(),
                    loc,
                    description,
                    kind,
                }
            }
            ast::TypeDefinition::Union(union) => {
                let loc = self.loc(union.position);
                directives::warn_unknown(&loc, &union.directives, &[], self.diags);
                let what = format!("union `{}`", union.name);
                let description = self.description(&loc, &what, union.description.as_ref());
                let kind = TypeKind::Union {
                    members: sorted(&union.types),
                };
                TypeDef {
                    name: union.name.clone(),
                    loc,
                    description,
                    kind,
                }
            }
            ast::TypeDefinition::Enum(enumeration) => {
                let loc = self.loc(enumeration.position);
                directives::warn_unknown(&loc, &enumeration.directives, &[], self.diags);
                let what = format!("enum `{}`", enumeration.name);
                let description = self.description(&loc, &what, enumeration.description.as_ref());
                let values = self.enum_values(&enumeration.name, &enumeration.values);
                TypeDef {
                    name: enumeration.name.clone(),
                    loc,
                    description,
                    kind: TypeKind::Enum { values },
                }
            }
            ast::TypeDefinition::InputObject(input) => {
                let loc = self.loc(input.position);
                directives::warn_unknown(&loc, &input.directives, &[], self.diags);
                let what = format!("input `{}`", input.name);
                let description = self.description(&loc, &what, input.description.as_ref());
                let fields = self.input_values(&input.name, "input field", &input.fields);
                TypeDef {
                    name: input.name.clone(),
                    loc,
                    description,
                    kind: TypeKind::Input { fields },
                }
            }
        };
        self.insert(def);
    }

    fn scalar(&mut self, scalar: &ast::ScalarType<'_, String>) -> TypeDef {
        let loc = self.loc(scalar.position);
        directives::warn_unknown(&loc, &scalar.directives, &["specifiedBy"], self.diags);
        let what = format!("scalar `{}`", scalar.name);
        let description = self.description(&loc, &what, scalar.description.as_ref());
        let specified_by = directives::specified_by(&loc, &scalar.directives, self.diags);
        let repr = self
            .options
            .scalars
            .get(&scalar.name)
            .copied()
            .unwrap_or(ScalarRepr::Json);
        TypeDef {
            name: scalar.name.clone(),
            loc,
            description,
            kind: TypeKind::Scalar { repr, specified_by },
        }
    }

    fn fields(&mut self, owner: &str, fields: &[ast::Field<'_, String>]) -> Vec<Field> {
        let mut lowered: Vec<Field> = Vec::with_capacity(fields.len());
        for field in fields {
            let loc = self.loc(field.position);
            if let Some(first) = lowered.iter().find(|f| f.name == field.name) {
                let message = format!(
                    "duplicate field `{owner}.{}`; first defined at {}",
                    field.name, first.loc
                );
                self.diags.error(&loc, message);
                continue;
            }
            directives::warn_unknown(&loc, &field.directives, &["deprecated", "lazy"], self.diags);
            let what = format!("field `{owner}.{}`", field.name);
            let description = self.description(&loc, &what, field.description.as_ref());
            let owner_field = format!("{owner}.{}", field.name);
            let args = self.input_values(&owner_field, "argument", &field.arguments);
            lowered.push(Field {
                name: field.name.clone(),
                loc: loc.clone(),
                description,
                args,
                ty: lower_type(&field.field_type),
                deprecated: directives::deprecation(&loc, &field.directives, self.diags),
                lazy: field.directives.iter().any(|d| d.name == "lazy"),
            });
        }
        lowered
    }

    fn input_values(
        &mut self,
        owner: &str,
        what: &str,
        values: &[ast::InputValue<'_, String>],
    ) -> Vec<InputValue> {
        let mut lowered: Vec<InputValue> = Vec::with_capacity(values.len());
        for value in values {
            let loc = self.loc(value.position);
            if let Some(first) = lowered.iter().find(|v| v.name == value.name) {
                let message = format!(
                    "duplicate {what} `{owner}.{}`; first defined at {}",
                    value.name, first.loc
                );
                self.diags.error(&loc, message);
                continue;
            }
            let known = ["deprecated", "constraint"];
            directives::warn_unknown(&loc, &value.directives, &known, self.diags);
            let label = format!("{what} `{owner}.{}`", value.name);
            let description = self.description(&loc, &label, value.description.as_ref());
            let default = value.default_value.as_ref().and_then(|default| {
                directives::value_to_json(default)
                    .map_err(|message| {
                        self.diags
                            .error(&loc, format!("default of {label}: {message}"));
                    })
                    .ok()
            });
            lowered.push(InputValue {
                name: value.name.clone(),
                loc: loc.clone(),
                description,
                ty: lower_type(&value.value_type),
                default,
                deprecated: directives::deprecation(&loc, &value.directives, self.diags),
                constraints: directives::constraints(&loc, &value.directives, self.diags),
            });
        }
        lowered
    }

    fn enum_values(
        &mut self,
        owner: &str,
        values: &[ast::EnumValue<'_, String>],
    ) -> Vec<EnumValue> {
        let mut lowered: Vec<EnumValue> = Vec::with_capacity(values.len());
        for value in values {
            let loc = self.loc(value.position);
            if let Some(first) = lowered.iter().find(|v| v.name == value.name) {
                let message = format!(
                    "duplicate enum value `{owner}.{}`; first defined at {}",
                    value.name, first.loc
                );
                self.diags.error(&loc, message);
                continue;
            }
            if matches!(value.name.as_str(), "true" | "false" | "null") {
                self.diags.error(
                    &loc,
                    format!("enum value `{owner}.{}` is not allowed", value.name),
                );
            }
            directives::warn_unknown(&loc, &value.directives, &["deprecated"], self.diags);
            let label = format!("enum value `{owner}.{}`", value.name);
            let description = self.description(&loc, &label, value.description.as_ref());
            lowered.push(EnumValue {
                name: value.name.clone(),
                loc: loc.clone(),
                description,
                deprecated: directives::deprecation(&loc, &value.directives, self.diags),
            });
        }
        lowered
    }

    fn type_extension(&mut self, extension: &ast::TypeExtension<'_, String>) {
        let (name, position, directives) = extension_header(extension);
        let loc = self.loc(position);
        let Some(mut def) = self.types.remove(name) else {
            self.diags
                .error(&loc, format!("extension of undefined type `{name}`"));
            return;
        };
        directives::warn_unknown(&loc, directives, &[], self.diags);
        match (extension, &mut def.kind) {
            (ast::TypeExtension::Object(ext), TypeKind::Object { interfaces, fields }) => {
                let added = self.fields(name, &ext.fields);
                self.extend_fields(fields, added, name);
                extend_sorted(interfaces, &ext.implements_interfaces);
            }
            (
                ast::TypeExtension::Interface(ext),
                TypeKind::Interface {
                    interfaces, fields, ..
                },
            ) => {
                let added = self.fields(name, &ext.fields);
                self.extend_fields(fields, added, name);
                extend_sorted(interfaces, &ext.implements_interfaces);
            }
            (ast::TypeExtension::Union(ext), TypeKind::Union { members }) => {
                extend_sorted(members, &ext.types);
            }
            (ast::TypeExtension::Enum(ext), TypeKind::Enum { values }) => {
                let added = self.enum_values(name, &ext.values);
                for value in added {
                    if let Some(first) = values.iter().find(|v| v.name == value.name) {
                        let message = format!(
                            "duplicate enum value `{name}.{}`; first defined at {}",
                            value.name, first.loc
                        );
                        self.diags.error(&value.loc, message);
                    } else {
                        values.push(value);
                    }
                }
            }
            (ast::TypeExtension::InputObject(ext), TypeKind::Input { fields }) => {
                let added = self.input_values(name, "input field", &ext.fields);
                for field in added {
                    if let Some(first) = fields.iter().find(|f| f.name == field.name) {
                        let message = format!(
                            "duplicate input field `{name}.{}`; first defined at {}",
                            field.name, first.loc
                        );
                        self.diags.error(&field.loc, message);
                    } else {
                        fields.push(field);
                    }
                }
            }
            (ast::TypeExtension::Scalar(_), TypeKind::Scalar { .. }) => {}
            _ => {
                let message = format!(
                    "extension of `{name}` does not match its kind (defined at {})",
                    def.loc
                );
                self.diags.error(&loc, message);
            }
        }
        self.types.insert(name.to_owned(), def);
    }

    fn extend_fields(&mut self, fields: &mut Vec<Field>, added: Vec<Field>, owner: &str) {
        for field in added {
            if let Some(first) = fields.iter().find(|f| f.name == field.name) {
                let message = format!(
                    "duplicate field `{owner}.{}`; first defined at {}",
                    field.name, first.loc
                );
                self.diags.error(&field.loc, message);
            } else {
                fields.push(field);
            }
        }
    }

    fn finish(self) -> Option<Schema> {
        let Lowering {
            file,
            diags,
            types,
            roots,
            ..
        } = self;
        let root_name = |kind: RootKind, explicit: Option<&Option<String>>| -> Option<String> {
            match explicit {
                Some(name) => name.clone(),
                None => {
                    let default = format!("{kind:?}");
                    types.contains_key(&default).then_some(default)
                }
            }
        };
        let (loc, definition) = match &roots {
            Some((loc, definition)) => (loc.clone(), Some(definition)),
            None => (Loc::new(file, 1, 1), None),
        };
        let query = root_name(RootKind::Query, definition.map(|d| &d.query));
        let mutation = root_name(RootKind::Mutation, definition.map(|d| &d.mutation));
        let subscription = root_name(RootKind::Subscription, definition.map(|d| &d.subscription));
        let Some(query) = query else {
            diags.error(&loc, "the schema has no query root type");
            return None;
        };
        Some(Schema {
            file: file.to_owned(),
            query,
            mutation,
            subscription,
            types,
        })
    }
}

fn extension_header<'d, 'a>(
    extension: &'d ast::TypeExtension<'a, String>,
) -> (
    &'d str,
    graphql_parser::Pos,
    &'d [ast::Directive<'a, String>],
) {
    match extension {
        ast::TypeExtension::Scalar(e) => (&e.name, e.position, &e.directives),
        ast::TypeExtension::Object(e) => (&e.name, e.position, &e.directives),
        ast::TypeExtension::Interface(e) => (&e.name, e.position, &e.directives),
        ast::TypeExtension::Union(e) => (&e.name, e.position, &e.directives),
        ast::TypeExtension::Enum(e) => (&e.name, e.position, &e.directives),
        ast::TypeExtension::InputObject(e) => (&e.name, e.position, &e.directives),
    }
}

fn sorted(names: &[String]) -> Vec<String> {
    let mut names = names.to_vec();
    names.sort();
    names.dedup();
    names
}

fn extend_sorted(names: &mut Vec<String>, more: &[String]) {
    names.extend(more.iter().cloned());
    names.sort();
    names.dedup();
}

fn lower_type(ty: &ast::Type<'_, String>) -> TypeRef {
    match ty {
        ast::Type::NamedType(name) => TypeRef::Named(name.clone()),
        ast::Type::ListType(inner) => TypeRef::List(Box::new(lower_type(inner))),
        ast::Type::NonNullType(inner) => TypeRef::NonNull(Box::new(lower_type(inner))),
    }
}

#[cfg(test)]
mod tests;
