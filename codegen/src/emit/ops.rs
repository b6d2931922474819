//! `ops.rs`: the typed rewrite ops and their validator, from `schema/ops/*.json`.
//!
//! # Invariants
//! - Problems are recorded in the order of contract §5: op shape, then op name, then op fields.
//! - `Op::to_json` gives the canonical JSON form, which the validator accepts unchanged.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs;
use crate::diag::Loc;
use crate::naming::{field_ident, type_ident};
use crate::ops::{Op, OpField, OpFieldType};

/// The file text.
pub(crate) fn emit(ops: &[Op]) -> String {
    let names: Vec<&str> = ops.iter().map(|op| op.name.as_str()).collect();
    let idents: Vec<_> = ops.iter().map(|op| type_ident(&op.name)).collect();
    let count = ops.len();
    let structs = ops.iter().map(op_struct);
    let parsers = ops.iter().map(op_parser);
    let to_json = ops.iter().map(op_to_json);
    let known = names.join(", ");
    let tokens = quote! {
        #![allow(clippy::too_many_lines, reason = "a validator grows with its op")]
        use crate::runtime::{parse, ErrorCode, InputPath, Json, Parse, ValidationErrors};

        /// A rewrite op, checked against its JSON Schema in `schema/ops/`.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Op {
            #( #[doc = concat!(" `", #names, "`.")] #idents(#idents), )*
        }

        impl Op {
            /// Every op name, sorted.
            pub const NAMES: [&'static str; #count] = [#(#names),*];

            /// The op name.
            pub const fn name(&self) -> &'static str {
                match self { #( Op::#idents(_) => #names, )* }
            }

            /// The canonical JSON form `{"op": NAME, "data": {...}}`.
            pub fn to_json(&self) -> Json {
                match self { #( Op::#idents(op) => op.to_json(), )* }
            }
        }

        impl crate::runtime::Sealed for Op {}

        impl Parse for Op {
            fn parse(raw: &Json, path: &InputPath, errors: &mut ValidationErrors) -> ::std::option::Option<Op> {
                let Json::Object(map) = raw else {
                    errors.push(ErrorCode::InvalidInput, path, "expected an op object {\"op\": NAME, \"data\": {...}}");
                    return ::std::option::Option::None;
                };
                for key in map.keys() {
                    if key != "op" && key != "data" {
                        errors.push(ErrorCode::InvalidInput, &path.field(key), "unknown field");
                    }
                }
                let op_path = path.field("op");
                let name = match map.get("op") {
                    ::std::option::Option::Some(Json::String(name)) => ::std::option::Option::Some(name.as_str()),
                    ::std::option::Option::Some(_) => {
                        errors.push(ErrorCode::InvalidInput, &op_path, "expected the op name as a string");
                        ::std::option::Option::None
                    }
                    ::std::option::Option::None => {
                        errors.push(ErrorCode::InvalidInput, &op_path, "is required");
                        ::std::option::Option::None
                    }
                };
                let data_path = path.field("data");
                let data = map.get("data");
                if data.is_none() {
                    errors.push(ErrorCode::InvalidInput, &data_path, "is required");
                }
                match name? {
                    #( #names => #idents::parse_data(data?, &data_path, errors).map(Op::#idents), )*
                    other => {
                        errors.push(ErrorCode::NotImplemented, &op_path, format!("unknown op `{other}`; known ops: {}", #known));
                        ::std::option::Option::None
                    }
                }
            }
        }

        #(#structs)*
        #(#parsers)*
        #(#to_json)*
    };
    let doc = "Typed rewrite ops and their validator.\n\n# Invariants\n- Problems are recorded in contract order: op shape, op name, op fields.";
    super::format_file("schema/ops/", doc, &tokens)
}

/// The Rust field name: a base64 field `x_b64` holds bytes and is called `x`.
fn rust_field(field: &OpField) -> proc_macro2::Ident {
    match &field.ty {
        OpFieldType::String { base64: true, .. } => {
            field_ident(field.name.strip_suffix("_b64").unwrap_or(&field.name))
        }
        _ => field_ident(&field.name),
    }
}

fn field_type(field: &OpField) -> TokenStream {
    let base = match &field.ty {
        OpFieldType::String { base64: true, .. } => quote!(::std::vec::Vec<u8>),
        OpFieldType::String { .. } => quote!(::std::string::String),
        OpFieldType::Integer { .. } => quote!(i64),
        OpFieldType::Boolean => quote!(bool),
        OpFieldType::Hex32 => quote!([u8; 32]),
    };
    if field.required {
        base
    } else {
        quote!(::std::option::Option<#base>)
    }
}

fn op_struct(op: &Op) -> TokenStream {
    let ident = type_ident(&op.name);
    let op_docs = docs(Some(&op.description), &Loc::new(&op.file, 1, 1));
    let fields = op.fields.iter().map(|field| {
        let name = rust_field(field);
        let ty = field_type(field);
        let field_docs = docs(
            Some(&format!("`data.{}`: {}", field.name, field.description)),
            &field.loc,
        );
        quote! { #field_docs pub #name: #ty, }
    });
    quote! {
        #op_docs
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct #ident { #(#fields)* }
    }
}

fn op_parser(op: &Op) -> TokenStream {
    let ident = type_ident(&op.name);
    let names: Vec<&str> = op.fields.iter().map(|f| f.name.as_str()).collect();
    let mut statements = Vec::new();
    let mut idents = Vec::new();
    for (field_idx, field) in op.fields.iter().enumerate() {
        let var = rust_field(field);
        let name = &field.name;
        let parser = field_parser(field, field_idx, &op.name);
        let wrapper = if field.required {
            quote!(parse::required)
        } else {
            quote!(parse::optional)
        };
        statements.push(quote! {
            let #var = #wrapper(map.get(#name), &path.field(#name), errors, #parser);
        });
        idents.push(var);
    }
    quote! {
        impl #ident {
            fn parse_data(raw: &Json, path: &InputPath, errors: &mut ValidationErrors) -> ::std::option::Option<#ident> {
                let map = parse::object(raw, path, errors, &[#(#names),*])?;
                #(#statements)*
                ::std::option::Option::Some(#ident { #( #idents: #idents?, )* })
            }
        }
    }
}

fn usize_option(value: Option<u64>) -> TokenStream {
    match value.and_then(|v| usize::try_from(v).ok()) {
        Some(v) => quote!(::std::option::Option::Some(#v)),
        None => quote!(::std::option::Option::None),
    }
}

fn field_parser(field: &OpField, field_idx: usize, op: &str) -> TokenStream {
    match &field.ty {
        OpFieldType::String {
            max_length,
            base64: true,
            max_bytes,
            ..
        } => {
            let (max, max_bytes) = (usize_option(*max_length), usize_option(*max_bytes));
            quote!(|raw: &Json, path: &InputPath, errors: &mut ValidationErrors| parse::base64(raw, #max, #max_bytes, path, errors))
        }
        OpFieldType::String {
            min_length,
            max_length,
            pattern,
            ..
        } => {
            let (min, max) = (usize_option(*min_length), usize_option(*max_length));
            let (pattern_static, pattern_arg) = match pattern {
                Some(pattern) => {
                    let static_ident = format_ident!(
                        "{}_{}_PATTERN_{}",
                        op.to_uppercase(),
                        field_ident(&field.name)
                            .to_string()
                            .to_uppercase()
                            .trim_start_matches("R#"),
                        field_idx
                    );
                    (
                        quote! {
                            static #static_ident: ::std::sync::LazyLock<::regex::Regex> = ::std::sync::LazyLock::new(|| {
                                ::regex::Regex::new(#pattern).expect("codegen checked that the pattern compiles")
                            });
                        },
                        quote!(::std::option::Option::Some((&*#static_ident, #pattern))),
                    )
                }
                None => (TokenStream::new(), quote!(::std::option::Option::None)),
            };
            quote!(|raw: &Json, path: &InputPath, errors: &mut ValidationErrors| {
                #pattern_static
                let text = parse::string(raw, path, errors)?;
                parse::text_with(&text, #min, #max, #pattern_arg, ErrorCode::InvalidInput, path, errors).then_some(text)
            })
        }
        OpFieldType::Integer { minimum, maximum } => {
            let as_option = |v: &Option<i64>| match v {
                Some(v) => quote!(::std::option::Option::Some(#v)),
                None => quote!(::std::option::Option::None),
            };
            let (min, max) = (as_option(minimum), as_option(maximum));
            quote!(|raw: &Json, path: &InputPath, errors: &mut ValidationErrors| {
                let value = parse::integer(raw, path, errors)?;
                parse::int_range(i128::from(value), #min, #max, path, errors).then_some(value)
            })
        }
        OpFieldType::Boolean => quote!(parse::boolean),
        OpFieldType::Hex32 => quote!(parse::hex32),
    }
}

fn op_to_json(op: &Op) -> TokenStream {
    let ident = type_ident(&op.name);
    let name = &op.name;
    let inserts = op.fields.iter().map(|field| {
        let var = rust_field(field);
        let key = &field.name;
        let encode = match &field.ty {
            OpFieldType::String { base64: true, .. } => quote!(Json::String(::base64::Engine::encode(&::base64::engine::general_purpose::STANDARD, value))),
            OpFieldType::Hex32 => quote!(Json::String(crate::runtime::hex32_to_string(value))),
            _ => quote!(Json::from(value.clone())),
        };
        if field.required {
            quote! { let value = &self.#var; data.insert(#key.to_owned(), #encode); }
        } else {
            quote! { if let ::std::option::Option::Some(value) = &self.#var { data.insert(#key.to_owned(), #encode); } }
        }
    });
    quote! {
        impl #ident {
            /// The canonical JSON form of this op.
            pub fn to_json(&self) -> Json {
                let mut data = ::serde_json::Map::new();
                #(#inserts)*
                let mut op = ::serde_json::Map::new();
                op.insert("op".to_owned(), Json::String(#name.to_owned()));
                op.insert("data".to_owned(), Json::Object(data));
                Json::Object(op)
            }
        }
    }
}
