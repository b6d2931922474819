//! The intermediate representation: everything the emitters need, nothing they must re-derive.
//!
//! # Invariants
//! - Top-level collections are ordered maps keyed by name, so the order of items in the input
//!   files never reaches the output.
//! - Fields, arguments, input fields and enum values keep the order the schema author wrote:
//!   that order is part of the API as introspection shows it.
//! - A `Schema` has passed validation: every type reference resolves, every default value fits
//!   its type, every constraint fits the type it is on.

use std::collections::BTreeMap;

use crate::diag::Loc;

/// A validated GraphQL schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// The SDL file's name, for source comments.
    pub file: String,
    /// Name of the query root type.
    pub query: String,
    /// Name of the mutation root type, if any.
    pub mutation: Option<String>,
    /// Name of the subscription root type, if any.
    pub subscription: Option<String>,
    /// Every named type the schema defines (built-in scalars excluded).
    pub types: BTreeMap<String, TypeDef>,
}

/// One named type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    /// The GraphQL name.
    pub name: String,
    /// Where it is defined.
    pub loc: Loc,
    /// Its description.
    pub description: Option<String>,
    /// What it is.
    pub kind: TypeKind,
}

/// What a named type is.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    /// A custom scalar and how Rust represents it.
    Scalar {
        /// The Rust representation.
        repr: ScalarRepr,
        /// `@specifiedBy(url:)`, if given.
        specified_by: Option<String>,
    },
    /// An object type.
    Object {
        /// Interfaces it implements, sorted.
        interfaces: Vec<String>,
        /// Its fields.
        fields: Vec<Field>,
    },
    /// An interface type.
    Interface {
        /// Interfaces it implements, sorted.
        interfaces: Vec<String>,
        /// Its fields.
        fields: Vec<Field>,
        /// Object types that implement it, sorted.
        implementors: Vec<String>,
    },
    /// A union type.
    Union {
        /// Its member object types, sorted.
        members: Vec<String>,
    },
    /// An enum type.
    Enum {
        /// Its values.
        values: Vec<EnumValue>,
    },
    /// An input object type.
    Input {
        /// Its fields.
        fields: Vec<InputValue>,
    },
}

/// How a scalar is represented in Rust and checked on input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ScalarRepr {
    /// GraphQL `Int`: `i32`.
    Int,
    /// GraphQL `Float`: `f64`.
    Float,
    /// GraphQL `String`, or a custom scalar with repr `string`: `String`.
    String,
    /// GraphQL `Boolean`: `bool`.
    Boolean,
    /// GraphQL `ID`: `String` (input accepts a string or an integer).
    Id,
    /// 64 lowercase hex characters: `[u8; 32]`.
    Hex32,
    /// Decimal string out; decimal string or integer in [0, 2^53-1] in: `u64`.
    U64,
    /// Integer in [0, 2^32-1]: `u32`.
    U32,
    /// Any JSON value: `serde_json::Value`.
    Json,
}

impl ScalarRepr {
    /// The representation of a built-in scalar name, if it is one.
    pub fn builtin(name: &str) -> Option<ScalarRepr> {
        Some(match name {
            "Int" => ScalarRepr::Int,
            "Float" => ScalarRepr::Float,
            "String" => ScalarRepr::String,
            "Boolean" => ScalarRepr::Boolean,
            "ID" => ScalarRepr::Id,
            _ => return None,
        })
    }

    /// The representation named in `schema/scalars.toml`.
    pub fn from_config(name: &str) -> Option<ScalarRepr> {
        Some(match name {
            "string" => ScalarRepr::String,
            "hex32" => ScalarRepr::Hex32,
            "u64" => ScalarRepr::U64,
            "u32" => ScalarRepr::U32,
            "json" => ScalarRepr::Json,
            _ => return None,
        })
    }

    /// Whether values are numbers that `min`/`max` constraints apply to.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            ScalarRepr::Int | ScalarRepr::Float | ScalarRepr::U64 | ScalarRepr::U32
        )
    }

    /// Whether values are strings that length and pattern constraints apply to.
    pub fn is_textual(self) -> bool {
        matches!(self, ScalarRepr::String | ScalarRepr::Id)
    }
}

/// A field of an object or interface type.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The GraphQL name.
    pub name: String,
    /// Where it is defined.
    pub loc: Loc,
    /// Its description.
    pub description: Option<String>,
    /// Its arguments.
    pub args: Vec<InputValue>,
    /// Its type.
    pub ty: TypeRef,
    /// `@deprecated`, if present.
    pub deprecated: Option<Deprecation>,
    /// `@lazy`: computed only when selected.
    pub lazy: bool,
}

/// An argument or an input object field.
#[derive(Debug, Clone, PartialEq)]
pub struct InputValue {
    /// The GraphQL name.
    pub name: String,
    /// Where it is defined.
    pub loc: Loc,
    /// Its description.
    pub description: Option<String>,
    /// Its type.
    pub ty: TypeRef,
    /// Its default value, as the JSON the validators accept.
    pub default: Option<serde_json::Value>,
    /// `@deprecated`, if present.
    pub deprecated: Option<Deprecation>,
    /// `@constraint`, if present.
    pub constraints: Constraints,
}

/// A value of an enum type.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumValue {
    /// The GraphQL name.
    pub name: String,
    /// Where it is defined.
    pub loc: Loc,
    /// Its description.
    pub description: Option<String>,
    /// `@deprecated`, if present.
    pub deprecated: Option<Deprecation>,
}

/// A `@deprecated` directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deprecation {
    /// The reason, if one was given.
    pub reason: Option<String>,
}

/// The checks of a `@constraint` directive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Constraints {
    /// Smallest accepted number (`INVALID_INPUT` below it).
    pub min: Option<i64>,
    /// Largest accepted number (`LIMIT_EXCEEDED` above it).
    pub max: Option<i64>,
    /// Shortest accepted string (`INVALID_INPUT`).
    pub min_length: Option<i64>,
    /// Longest accepted string (`LIMIT_EXCEEDED`).
    pub max_length: Option<i64>,
    /// Pattern the whole string must match (`INVALID_INPUT`).
    pub pattern: Option<String>,
    /// Fewest list items (`INVALID_INPUT`).
    pub min_items: Option<i64>,
    /// Most list items (`LIMIT_EXCEEDED`).
    pub max_items: Option<i64>,
}

impl Constraints {
    /// Whether no check is set.
    pub fn is_empty(&self) -> bool {
        *self == Constraints::default()
    }
}

/// A reference to a type, with list and non-null wrappers at any depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeRef {
    /// A named type, nullable.
    Named(String),
    /// A list, nullable.
    List(Box<TypeRef>),
    /// A non-null wrapper.
    NonNull(Box<TypeRef>),
}

impl TypeRef {
    /// The named type at the bottom of the wrappers.
    pub fn base_name(&self) -> &str {
        match self {
            TypeRef::Named(name) => name,
            TypeRef::List(inner) | TypeRef::NonNull(inner) => inner.base_name(),
        }
    }

    /// The type without its outer non-null wrapper.
    pub fn nullable(&self) -> &TypeRef {
        match self {
            TypeRef::NonNull(inner) => inner,
            other => other,
        }
    }

    /// Whether the outer wrapper is non-null.
    pub fn is_non_null(&self) -> bool {
        matches!(self, TypeRef::NonNull(_))
    }

    /// Whether the type, under its non-null wrapper, is a list.
    pub fn is_list(&self) -> bool {
        matches!(self.nullable(), TypeRef::List(_))
    }
}

impl std::fmt::Display for TypeRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TypeRef::Named(name) => write!(f, "{name}"),
            TypeRef::List(inner) => write!(f, "[{inner}]"),
            TypeRef::NonNull(inner) => write!(f, "{inner}!"),
        }
    }
}

impl Schema {
    /// The type named `name`, if the schema defines it.
    pub fn get(&self, name: &str) -> Option<&TypeDef> {
        self.types.get(name)
    }

    /// The scalar representation of `name`, if it names a scalar (built-in or custom).
    pub fn scalar_repr(&self, name: &str) -> Option<ScalarRepr> {
        ScalarRepr::builtin(name).or_else(|| match self.types.get(name).map(|t| &t.kind) {
            Some(TypeKind::Scalar { repr, .. }) => Some(*repr),
            _ => None,
        })
    }

    /// The root operation types that exist, as (operation, type name).
    pub fn roots(&self) -> Vec<(RootKind, &str)> {
        let mut roots = vec![(RootKind::Query, self.query.as_str())];
        if let Some(name) = &self.mutation {
            roots.push((RootKind::Mutation, name));
        }
        if let Some(name) = &self.subscription {
            roots.push((RootKind::Subscription, name));
        }
        roots
    }

    /// Whether `name` is a root operation type.
    pub fn is_root(&self, name: &str) -> bool {
        self.roots().iter().any(|(_, root)| *root == name)
    }
}

/// The three GraphQL operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RootKind {
    /// Reads.
    Query,
    /// Writes.
    Mutation,
    /// Streams.
    Subscription,
}
