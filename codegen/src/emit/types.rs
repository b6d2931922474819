//! `inputs.rs` and `outputs.rs`: the Rust types of input objects, field arguments, objects,
//! interfaces and unions.
//!
//! # Invariants
//! - Input fields with a non-null default are not `Option`: the validator fills the default.
//! - Output objects are plain data, except `@lazy` fields (`Lazy<T>`) and fields with
//!   arguments (`Resolver<Args, T>`), which are computed only when a query selects them.
//! - Interfaces and unions are enums over their object types, in name order.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Ctx, args_ident, docs, needs_box, rust_type};
use crate::ir::{Field, InputValue, TypeDef, TypeKind, TypeRef};
use crate::naming::{field_ident, type_ident};

/// The `inputs.rs` file text.
pub(crate) fn emit_inputs(ctx: &Ctx<'_>) -> String {
    let mut items = Vec::new();
    for def in ctx.schema.types.values() {
        match &def.kind {
            TypeKind::Input { fields } => {
                let ident = type_ident(&def.name);
                items.push(input_struct(
                    ctx,
                    &ident,
                    &def.name,
                    def.description.as_deref(),
                    &def.loc,
                    fields,
                ));
            }
            TypeKind::Object { fields, .. } | TypeKind::Interface { fields, .. } => {
                for field in fields.iter().filter(|f| !f.args.is_empty()) {
                    items.push(args_struct(ctx, def, field));
                }
            }
            _ => {}
        }
    }
    let doc = "Input objects and field arguments, as the validators produce them.\n\n# Invariants\n- A value of these types inside `Valid<T>` passed every check the schema states.";
    super::format_file(&ctx.schema.file, doc, &quote!(#(#items)*))
}

fn args_struct(ctx: &Ctx<'_>, owner: &TypeDef, field: &Field) -> TokenStream {
    let ident = args_ident(&owner.name, &field.name);
    let description = format!("Arguments of `{}.{}`.", owner.name, field.name);
    let label = format!("{}.{}", owner.name, field.name);
    input_struct(
        ctx,
        &ident,
        &label,
        Some(&description),
        &field.loc,
        &field.args,
    )
}

/// The Rust type of an input value after validation (defaults filled in).
pub(crate) fn input_value_type(ctx: &Ctx<'_>, owner: &str, value: &InputValue) -> TokenStream {
    let root = quote!(crate);
    let boxed = needs_box(ctx.schema, owner, &value.ty);
    let has_default = value.default.as_ref().is_some_and(|d| !d.is_null());
    if has_default && !value.ty.is_non_null() {
        rust_type(
            ctx,
            &TypeRef::NonNull(Box::new(value.ty.clone())),
            &root,
            boxed,
        )
    } else {
        rust_type(ctx, &value.ty, &root, boxed)
    }
}

fn input_struct(
    ctx: &Ctx<'_>,
    ident: &proc_macro2::Ident,
    owner: &str,
    description: Option<&str>,
    loc: &crate::diag::Loc,
    fields: &[InputValue],
) -> TokenStream {
    let type_docs = docs(description, loc);
    let field_items = fields.iter().map(|field| {
        let name = field_ident(&field.name);
        let ty = input_value_type(ctx, owner, field);
        let mut description = field.description.clone().unwrap_or_default();
        if let Some(default) = &field.default {
            description.push_str(&format!("\n\nDefault: `{default}`."));
        }
        super::push_deprecation(&mut description, field.deprecated.as_ref());
        let field_docs = docs(Some(&description), &field.loc);
        quote! { #field_docs pub #name: #ty, }
    });
    quote! {
        #type_docs
        #[derive(Debug, Clone, PartialEq)]
        pub struct #ident {
            #(#field_items)*
        }
    }
}

/// The `outputs.rs` file text.
pub(crate) fn emit_outputs(ctx: &Ctx<'_>) -> String {
    let mut items = Vec::new();
    for def in ctx.schema.types.values() {
        if ctx.schema.is_root(&def.name) {
            continue;
        }
        match &def.kind {
            TypeKind::Object { fields, .. } => items.push(object_struct(ctx, def, fields)),
            TypeKind::Interface { implementors, .. } => {
                items.push(abstract_enum(def, implementors))
            }
            TypeKind::Union { members } => items.push(abstract_enum(def, members)),
            _ => {}
        }
    }
    let doc = "Output types: what resolvers return.\n\n# Invariants\n- Every field the schema declares is here; `@lazy` fields and fields with arguments are computed on demand.";
    super::format_file(&ctx.schema.file, doc, &quote!(#(#items)*))
}

/// The Rust type of an output field as stored in its object.
pub(crate) fn output_field_type(ctx: &Ctx<'_>, owner: &str, field: &Field) -> TokenStream {
    let root = quote!(crate);
    // Computed fields hold their value unboxed: the glue hands it over by value.
    let plain = rust_type(ctx, &field.ty, &root, false);
    if !field.args.is_empty() {
        let args = args_ident(owner, &field.name);
        quote!(crate::runtime::Resolver<crate::inputs::#args, #plain>)
    } else if field.lazy {
        quote!(crate::runtime::Lazy<#plain>)
    } else {
        rust_type(
            ctx,
            &field.ty,
            &root,
            needs_box(ctx.schema, owner, &field.ty),
        )
    }
}

fn object_struct(ctx: &Ctx<'_>, def: &TypeDef, fields: &[Field]) -> TokenStream {
    let ident = type_ident(&def.name);
    let type_docs = docs(def.description.as_deref(), &def.loc);
    let field_items = fields.iter().map(|field| {
        let name = field_ident(&field.name);
        let ty = output_field_type(ctx, &def.name, field);
        let mut description = field.description.clone().unwrap_or_default();
        super::push_deprecation(&mut description, field.deprecated.as_ref());
        let field_docs = docs(Some(&description), &field.loc);
        quote! { #field_docs pub #name: #ty, }
    });
    quote! {
        #type_docs
        #[derive(Debug, Clone)]
        pub struct #ident {
            #(#field_items)*
        }
    }
}

fn abstract_enum(def: &TypeDef, objects: &[String]) -> TokenStream {
    let ident = type_ident(&def.name);
    let type_docs = docs(def.description.as_deref(), &def.loc);
    let variants: Vec<_> = objects.iter().map(|o| type_ident(o)).collect();
    let variant_docs: Vec<String> = objects.iter().map(|o| format!(" A `{o}`.")).collect();
    quote! {
        #type_docs
        #[derive(Debug, Clone)]
        pub enum #ident {
            #( #[doc = #variant_docs] #variants(#variants), )*
        }
    }
}
