//! `enums.rs`: one Rust enum per GraphQL enum, with its wire names and validator.
//!
//! # Invariants
//! - Variants keep the schema's order; `as_str` and `from_name` are exact inverses.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Ctx, docs};
use crate::ir::{EnumValue, TypeDef, TypeKind};
use crate::naming::type_ident;

/// The file text.
pub(crate) fn emit(ctx: &Ctx<'_>) -> String {
    let items: Vec<TokenStream> = ctx
        .schema
        .types
        .values()
        .filter_map(|def| match &def.kind {
            TypeKind::Enum { values } => Some(emit_enum(def, values)),
            _ => None,
        })
        .collect();
    let tokens = quote! {
        #![allow(clippy::too_many_lines, reason = "generated matches grow with the schema")]
        #(#items)*
    };
    let doc = "GraphQL enum types.\n\n# Invariants\n- `as_str` and `from_name` are exact inverses over `ALL`.";
    super::format_file(&ctx.schema.file, doc, &tokens)
}

fn emit_enum(def: &TypeDef, values: &[EnumValue]) -> TokenStream {
    let ident = type_ident(&def.name);
    let type_docs = docs(def.description.as_deref(), &def.loc);
    let variants: Vec<_> = values.iter().map(|v| type_ident(&v.name)).collect();
    let names: Vec<&str> = values.iter().map(|v| v.name.as_str()).collect();
    let variant_docs: Vec<TokenStream> = values
        .iter()
        .map(|v| {
            let mut description = v.description.clone().unwrap_or_default();
            super::push_deprecation(&mut description, v.deprecated.as_ref());
            docs(Some(&description), &v.loc)
        })
        .collect();
    let count = values.len();
    let graphql_name = &def.name;
    quote! {
        #type_docs
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum #ident {
            #( #variant_docs #variants, )*
        }

        impl #ident {
            /// The GraphQL name of the type.
            pub const GRAPHQL_NAME: &'static str = #graphql_name;
            /// Every value, in schema order.
            pub const ALL: [#ident; #count] = [#( #ident::#variants ),*];

            /// The GraphQL name of the value.
            pub const fn as_str(self) -> &'static str {
                match self {
                    #( #ident::#variants => #names, )*
                }
            }

            /// The value with GraphQL name `name`.
            pub fn from_name(name: &str) -> ::std::option::Option<#ident> {
                match name {
                    #( #names => ::std::option::Option::Some(#ident::#variants), )*
                    _ => ::std::option::Option::None,
                }
            }
        }

        impl ::std::fmt::Display for #ident {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    }
}
