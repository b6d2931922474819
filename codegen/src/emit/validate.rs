//! `validate.rs`: a `Parse` impl (the validator) for every enum, input object and arguments
//! struct.
//!
//! # Invariants
//! - A validator checks fields in schema order and records every problem before returning.
//! - Unknown fields, type mismatches, null for non-null, bad scalar formats and broken
//!   constraints are all recorded with the input path where they occur.

use std::collections::BTreeMap;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::types::input_value_type;
use super::{Ctx, args_ident, needs_box, rust_type};
use crate::ir::{Constraints, InputValue, ScalarRepr, TypeKind, TypeRef};
use crate::naming::{field_ident, type_ident};

/// The file text.
pub(crate) fn emit(ctx: &Ctx<'_>) -> String {
    let patterns = collect_patterns(ctx);
    let mut items: Vec<TokenStream> = patterns
        .iter()
        .map(|(pattern, ident)| {
            quote! {
                static #ident: ::std::sync::LazyLock<::regex::Regex> = ::std::sync::LazyLock::new(|| {
                    ::regex::Regex::new(#pattern).expect("codegen checked that the pattern compiles")
                });
            }
        })
        .collect();
    let mut default_idx = 0;
    for def in ctx.schema.types.values() {
        match &def.kind {
            TypeKind::Enum { .. } => items.push(enum_parse(&def.name)),
            TypeKind::Input { fields } => {
                let ident = type_ident(&def.name);
                items.push(struct_parse(
                    ctx,
                    &ident,
                    &def.name,
                    fields,
                    &patterns,
                    &mut default_idx,
                ));
            }
            TypeKind::Object { fields, .. } | TypeKind::Interface { fields, .. } => {
                for field in fields.iter().filter(|f| !f.args.is_empty()) {
                    let ident = args_ident(&def.name, &field.name);
                    let owner = format!("{}.{}", def.name, field.name);
                    items.push(struct_parse(
                        ctx,
                        &ident,
                        &owner,
                        &field.args,
                        &patterns,
                        &mut default_idx,
                    ));
                }
            }
            _ => {}
        }
    }
    let tokens = quote! {
        #![allow(clippy::too_many_lines, reason = "a validator grows with its input type")]
        #![allow(unused_imports, reason = "not every schema uses every helper")]
        #![allow(clippy::collapsible_if, clippy::collapsible_match, reason = "checks nest one level per wrapper type")]
        use crate::runtime::{parse, InputPath, Json, Parse, ValidationErrors};
        #(#items)*
    };
    let doc = "Validators: one `Parse` impl per input type.\n\n# Invariants\n- Every problem is recorded with its input path before the validator returns.";
    super::format_file(&ctx.schema.file, doc, &tokens)
}

fn collect_patterns(ctx: &Ctx<'_>) -> BTreeMap<String, Ident> {
    let mut patterns: BTreeMap<String, Ident> = BTreeMap::new();
    let mut add = |value: &InputValue| {
        if let Some(pattern) = &value.constraints.pattern {
            let next = patterns.len();
            patterns
                .entry(pattern.clone())
                .or_insert_with(|| format_ident!("PATTERN_{}", next));
        }
    };
    for def in ctx.schema.types.values() {
        match &def.kind {
            TypeKind::Input { fields } => fields.iter().for_each(&mut add),
            TypeKind::Object { fields, .. } | TypeKind::Interface { fields, .. } => {
                fields.iter().flat_map(|f| &f.args).for_each(&mut add)
            }
            _ => {}
        }
    }
    patterns
}

fn enum_parse(name: &str) -> TokenStream {
    let ident = type_ident(name);
    let expected = format!("a value of enum {name}");
    quote! {
        impl crate::runtime::Sealed for crate::enums::#ident {}

        impl Parse for crate::enums::#ident {
            fn parse(raw: &Json, path: &InputPath, errors: &mut ValidationErrors) -> ::std::option::Option<Self> {
                let parsed = raw.as_str().and_then(crate::enums::#ident::from_name);
                if parsed.is_none() {
                    let names: ::std::vec::Vec<&str> = crate::enums::#ident::ALL.iter().map(|v| v.as_str()).collect();
                    errors.push(crate::runtime::ErrorCode::InvalidInput, path, format!("expected {}: one of {}", #expected, names.join(", ")));
                }
                parsed
            }
        }
    }
}

#[allow(
    clippy::too_many_lines,
    reason = "one arm per kind of input; splitting it would scatter one mapping"
)]
fn struct_parse(
    ctx: &Ctx<'_>,
    ident: &Ident,
    owner: &str,
    fields: &[InputValue],
    patterns: &BTreeMap<String, Ident>,
    default_idx: &mut usize,
) -> TokenStream {
    let struct_path = quote!(crate::inputs::#ident);
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let mut statements = Vec::new();
    let mut field_idents = Vec::new();
    for field in fields {
        let var = field_ident(&field.name);
        let name = &field.name;
        let path_var = format_ident!(
            "path_{}",
            field_ident(&field.name)
                .to_string()
                .trim_start_matches("r#")
        );
        let has_default = field.default.as_ref().is_some_and(|d| !d.is_null());
        let raw = if has_default {
            *default_idx += 1;
            let default_ident = format_ident!("DEFAULT_{}", *default_idx);
            let default_json = field
                .default
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            quote! {
                static #default_ident: ::std::sync::LazyLock<Json> = ::std::sync::LazyLock::new(|| {
                    ::serde_json::from_str(#default_json).expect("codegen checked the default")
                });
                let raw = map.get(#name).filter(|value| !value.is_null()).or(::std::option::Option::Some(&*#default_ident));
            }
        } else {
            quote!(let raw = map.get(#name);)
        };
        let effective = if has_default && !field.ty.is_non_null() {
            TypeRef::NonNull(Box::new(field.ty.clone()))
        } else {
            field.ty.clone()
        };
        let boxed = needs_box(ctx.schema, owner, &field.ty);
        let parse_call = value_parse_call(ctx, &effective, boxed, &path_var);
        let ty = input_value_type(ctx, owner, field);
        let checks = constraint_checks(
            ctx,
            &effective,
            &field.constraints,
            patterns,
            quote!(value),
            quote!(&#path_var),
            true,
        );
        let checks = if checks.is_empty() {
            checks
        } else {
            quote!(if let ::std::option::Option::Some(value) = &#var { #checks })
        };
        statements.push(quote! {
            let #path_var = path.field(#name);
            let #var: ::std::option::Option<#ty> = {
                #raw
                #parse_call
            };
            #checks
        });
        field_idents.push(var);
    }
    quote! {
        impl crate::runtime::Sealed for #struct_path {}

        impl Parse for #struct_path {
            fn parse(raw: &Json, path: &InputPath, errors: &mut ValidationErrors) -> ::std::option::Option<Self> {
                let map = parse::object(raw, path, errors, &[#(#names),*])?;
                #(#statements)*
                ::std::option::Option::Some(#struct_path { #( #field_idents: #field_idents?, )* })
            }
        }
    }
}

/// The call that parses `raw` (an `Option<&Json>`) as a value of `ty` at `path`.
fn value_parse_call(ctx: &Ctx<'_>, ty: &TypeRef, boxed: bool, path: &Ident) -> TokenStream {
    let inner = base_parser(ctx, ty, boxed);
    let wrapper = if ty.is_non_null() {
        quote!(parse::required)
    } else {
        quote!(parse::nullable)
    };
    quote!(#wrapper(raw, &#path, errors, #inner))
}

/// A closure `|Option<&Json>, &InputPath, &mut ValidationErrors| -> Option<T>` for `ty`.
fn value_parser(ctx: &Ctx<'_>, ty: &TypeRef, boxed: bool) -> TokenStream {
    match ty {
        TypeRef::NonNull(inner) => {
            let inner = base_parser(ctx, inner, boxed);
            quote!(|raw: ::std::option::Option<&Json>, path: &InputPath, errors: &mut ValidationErrors| parse::required(raw, path, errors, #inner))
        }
        other => {
            let inner = base_parser(ctx, other, boxed);
            quote!(|raw: ::std::option::Option<&Json>, path: &InputPath, errors: &mut ValidationErrors| parse::nullable(raw, path, errors, #inner))
        }
    }
}

/// A function `|&Json, &InputPath, &mut ValidationErrors| -> Option<T>` for a list or named type.
fn base_parser(ctx: &Ctx<'_>, ty: &TypeRef, boxed: bool) -> TokenStream {
    match ty {
        TypeRef::NonNull(inner) => base_parser(ctx, inner, boxed),
        TypeRef::List(item) => {
            let item = value_parser(ctx, item, false);
            quote!(|raw: &Json, path: &InputPath, errors: &mut ValidationErrors| parse::list(raw, path, errors, #item))
        }
        TypeRef::Named(name) => {
            let plain = match ctx.schema.scalar_repr(name) {
                Some(ScalarRepr::Int) => quote!(parse::int),
                Some(ScalarRepr::Float) => quote!(parse::float),
                Some(ScalarRepr::String) => quote!(parse::string),
                Some(ScalarRepr::Boolean) => quote!(parse::boolean),
                Some(ScalarRepr::Id) => quote!(parse::id),
                Some(ScalarRepr::Hex32) => quote!(parse::hex32),
                Some(ScalarRepr::U64) => quote!(parse::u64),
                Some(ScalarRepr::U32) => quote!(parse::u32),
                Some(ScalarRepr::Json) => quote!(parse::json),
                None => {
                    let path = rust_type(
                        ctx,
                        &TypeRef::NonNull(Box::new(ty.clone())),
                        &quote!(crate),
                        false,
                    );
                    quote!(<#path as Parse>::parse)
                }
            };
            if boxed {
                quote!(|raw: &Json, path: &InputPath, errors: &mut ValidationErrors| #plain(raw, path, errors).map(::std::boxed::Box::new))
            } else {
                plain
            }
        }
    }
}

/// Statements checking `value` (a reference to the parsed value of type `ty`) at `path`.
#[allow(
    clippy::too_many_lines,
    reason = "one arm per kind of input; splitting it would scatter one mapping"
)]
fn constraint_checks(
    ctx: &Ctx<'_>,
    ty: &TypeRef,
    constraints: &Constraints,
    patterns: &BTreeMap<String, Ident>,
    value: TokenStream,
    path: TokenStream,
    outermost: bool,
) -> TokenStream {
    if constraints.is_empty() {
        return TokenStream::new();
    }
    let as_usize = |v: Option<i64>| match v.and_then(|v| usize::try_from(v).ok()) {
        Some(v) => quote!(::std::option::Option::Some(#v)),
        None => quote!(::std::option::Option::None),
    };
    let as_i64 = |v: Option<i64>| match v {
        Some(v) => quote!(::std::option::Option::Some(#v)),
        None => quote!(::std::option::Option::None),
    };
    let TypeRef::NonNull(ty) = ty else {
        let present = constraint_checks(
            ctx,
            &TypeRef::NonNull(Box::new(ty.clone())),
            constraints,
            patterns,
            quote!(present),
            path,
            outermost,
        );
        if present.is_empty() {
            return present;
        }
        return quote!(if let ::std::option::Option::Some(present) = #value { #present });
    };
    match &**ty {
        TypeRef::NonNull(inner) => {
            constraint_checks(ctx, inner, constraints, patterns, value, path, outermost)
        }
        TypeRef::List(item) => {
            let item_constraints = Constraints {
                min_items: None,
                max_items: None,
                ..constraints.clone()
            };
            let item_checks = constraint_checks(
                ctx,
                item,
                &item_constraints,
                patterns,
                quote!(item),
                quote!(&item_path),
                false,
            );
            let count_check = if outermost {
                let (min, max) = (
                    as_usize(constraints.min_items),
                    as_usize(constraints.max_items),
                );
                quote!(parse::items(#value.len(), #min, #max, #path, errors);)
            } else {
                TokenStream::new()
            };
            let loop_tokens = if item_checks.is_empty() {
                TokenStream::new()
            } else {
                quote! {
                    for (item_idx, item) in #value.iter().enumerate() {
                        let item_path = (#path).index(item_idx);
                        #item_checks
                    }
                }
            };
            quote!(#count_check #loop_tokens)
        }
        TypeRef::Named(name) => {
            let (min, max) = (as_i64(constraints.min), as_i64(constraints.max));
            match ctx.schema.scalar_repr(name) {
                Some(ScalarRepr::Float)
                    if constraints.min.is_some() || constraints.max.is_some() =>
                {
                    quote!(parse::float_range(*#value, #min, #max, #path, errors);)
                }
                Some(repr)
                    if repr.is_numeric()
                        && (constraints.min.is_some() || constraints.max.is_some()) =>
                {
                    quote!(parse::int_range(i128::from(*#value), #min, #max, #path, errors);)
                }
                Some(repr) if repr.is_textual() => {
                    let (min_length, max_length) = (
                        as_usize(constraints.min_length),
                        as_usize(constraints.max_length),
                    );
                    let pattern = match constraints
                        .pattern
                        .as_ref()
                        .and_then(|p| patterns.get(p).map(|ident| (p, ident)))
                    {
                        Some((source, ident)) => {
                            quote!(::std::option::Option::Some((&*#ident, #source)))
                        }
                        None => quote!(::std::option::Option::None),
                    };
                    quote!(parse::text(#value, #min_length, #max_length, #pattern, #path, errors);)
                }
                _ => TokenStream::new(),
            }
        }
    }
}
