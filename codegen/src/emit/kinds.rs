//! `kinds.rs`: `NodeKind` and `EdgeKind` as `#[repr(u16)]` enums with their registry ids.
//!
//! # Invariants
//! - Each variant's discriminant is its registry id; `TryFrom<u16>` accepts exactly those ids.
//! - The digest constants equal `kinds::digest` of the registries they were emitted from.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs;
use crate::kinds::{Family, Kind, Registry, digest};
use crate::naming::type_ident;

/// The file text for both registries.
pub(crate) fn emit(nodes: &Registry, edges: &Registry, source: &str) -> String {
    let node_items = emit_registry(nodes);
    let edge_items = emit_registry(edges);
    let tokens = quote! {
        #![allow(clippy::too_many_lines, reason = "generated matches grow with the registry")]

        /// A `u16` that is not the id of any kind in the registry.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct UnknownKindId(pub u16);

        impl ::std::fmt::Display for UnknownKindId {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "no kind has id {}", self.0)
            }
        }

        impl ::std::error::Error for UnknownKindId {}

        #node_items
        #edge_items
    };
    let doc = "NodeKind and EdgeKind registries.\n\n# Invariants\n- Discriminants are registry ids, which are never renumbered or reused.\n- The digest constants are blake3 of the canonical registry encoding (docs/spec/kinds.md).";
    super::format_file(source, doc, &tokens)
}

fn emit_registry(registry: &Registry) -> TokenStream {
    let (ident, title) = match registry.family {
        Family::Node => (format_ident!("NodeKind"), "node"),
        Family::Edge => (format_ident!("EdgeKind"), "edge"),
    };
    let kinds: Vec<&Kind> = registry.kinds.values().collect();
    let variants: Vec<_> = kinds.iter().map(|k| type_ident(&k.name)).collect();
    let ids: Vec<u16> = kinds.iter().map(|k| k.id).collect();
    let variant_docs: Vec<TokenStream> = kinds
        .iter()
        .map(|k| {
            docs(
                Some(&format!(
                    "`{}` (id {}, since {}): {}",
                    k.name, k.id, k.since, k.description
                )),
                &k.loc,
            )
        })
        .collect();
    let reserved: Vec<u16> = registry.reserved.keys().copied().collect();
    let digest_bytes = digest(registry);
    let digest_ident = format_ident!("{}_KIND_REGISTRY_DIGEST", title.to_uppercase());
    let reserved_ident = format_ident!("{}_KIND_RESERVED_IDS", title.to_uppercase());
    let type_doc = format!(" The {title} kind registry.");
    let digest_doc = format!(" blake3 of the canonical encoding of the {title} kind registry.");
    let reserved_doc = format!(" Retired {title} kind ids, never to be given again.");
    let methods = registry_methods(&ident, &kinds);
    quote! {
        #[doc = #type_doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u16)]
        pub enum #ident {
            #( #variant_docs #variants = #ids, )*
        }

        #[doc = #digest_doc]
        pub const #digest_ident: [u8; 32] = [#(#digest_bytes),*];

        #[doc = #reserved_doc]
        pub const #reserved_ident: &[u16] = &[#(#reserved),*];

        #methods

        impl ::std::convert::TryFrom<u16> for #ident {
            type Error = UnknownKindId;

            fn try_from(id: u16) -> ::std::result::Result<#ident, UnknownKindId> {
                match id {
                    #( #ids => ::std::result::Result::Ok(#ident::#variants), )*
                    _ => ::std::result::Result::Err(UnknownKindId(id)),
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

fn registry_methods(ident: &proc_macro2::Ident, kinds: &[&Kind]) -> TokenStream {
    let variants: Vec<_> = kinds.iter().map(|k| type_ident(&k.name)).collect();
    let names: Vec<&str> = kinds.iter().map(|k| k.name.as_str()).collect();
    let descriptions: Vec<&str> = kinds.iter().map(|k| k.description.as_str()).collect();
    let sinces: Vec<&str> = kinds.iter().map(|k| k.since.as_str()).collect();
    let deprecations: Vec<TokenStream> = kinds
        .iter()
        .map(|k| match &k.deprecated {
            Some(reason) => quote!(::std::option::Option::Some(#reason)),
            None => quote!(::std::option::Option::None),
        })
        .collect();
    let count = kinds.len();
    quote! {
        impl #ident {
            /// Every kind, in id order.
            pub const ALL: [#ident; #count] = [#( #ident::#variants ),*];

            /// The registry id.
            pub const fn id(self) -> u16 {
                self as u16
            }

            /// The string form: the registry name.
            pub const fn as_str(self) -> &'static str {
                match self { #( #ident::#variants => #names, )* }
            }

            /// The kind with registry name `name`.
            pub fn from_name(name: &str) -> ::std::option::Option<#ident> {
                match name {
                    #( #names => ::std::option::Option::Some(#ident::#variants), )*
                    _ => ::std::option::Option::None,
                }
            }

            /// What the kind is.
            pub const fn description(self) -> &'static str {
                match self { #( #ident::#variants => #descriptions, )* }
            }

            /// The version that introduced the kind.
            pub const fn since(self) -> &'static str {
                match self { #( #ident::#variants => #sinces, )* }
            }

            /// Why the kind is deprecated, if it is.
            pub const fn deprecated(self) -> ::std::option::Option<&'static str> {
                match self { #( #ident::#variants => #deprecations, )* }
            }
        }
    }
}
