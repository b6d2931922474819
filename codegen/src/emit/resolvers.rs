//! `resolvers.rs`: one async trait per root operation type, with no default methods, and the
//! `Unimplemented` placeholder that answers every field with `NOT_IMPLEMENTED`.
//!
//! # Invariants
//! - A trait method exists for every root field; a missing one in an impl is a compile error.
//! - Methods take the validated arguments (`Valid<...Args>`), never raw input.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Ctx, args_ident, docs, rust_type};
use crate::ir::{Field, RootKind, TypeKind};
use crate::naming::{field_ident, type_ident};

/// The file text.
pub(crate) fn emit(ctx: &Ctx<'_>) -> String {
    let mut traits = Vec::new();
    let mut placeholders = Vec::new();
    for (kind, name) in ctx.schema.roots() {
        let Some(def) = ctx.schema.get(name) else {
            continue;
        };
        let TypeKind::Object { fields, .. } = &def.kind else {
            continue;
        };
        let ident = type_ident(name);
        let type_docs = docs(def.description.as_deref(), &def.loc);
        let note = &ctx.implement_note;
        let message = format!("`{{Self}}` does not resolve the `{name}` root type");
        let methods = fields
            .iter()
            .map(|field| method_signature(ctx, kind, name, field));
        traits.push(quote! {
            #type_docs
            #[diagnostic::on_unimplemented(message = #message, note = #note)]
            pub trait #ident: ::std::marker::Send + ::std::marker::Sync + 'static {
                #( #methods; )*
            }
        });
        let bodies = fields.iter().map(|field| {
            let signature = placeholder_signature(ctx, kind, name, field);
            let field_name = format!("{name}.{}", field.name);
            quote! { #signature { ::std::result::Result::Err(crate::runtime::FieldError::not_implemented(#field_name)) } }
        });
        placeholders.push(quote! {
            impl #ident for Unimplemented {
                #(#bodies)*
            }
        });
    }
    let note = &ctx.implement_note;
    let tokens = quote! {
        #![allow(clippy::too_many_lines, reason = "one method per root field")]

        #(#traits)*

        /// What a root field answers when its arguments fail validation.
        ///
        /// The generated validators see one field's arguments, not the state; this hook lets
        /// the implementation rank a state-dependent fault of an earlier argument (an unknown
        /// id, say) above the format faults of later ones, as an error-precedence rule may ask.
        #[diagnostic::on_unimplemented(message = "`{Self}` does not say how to answer invalid arguments", note = #note)]
        pub trait ArgumentErrors: ::std::marker::Send + ::std::marker::Sync + 'static {
            /// The error for root field `field` (`Type.field`) whose arguments `raw` failed
            /// with `errors` (every problem, in validation order).
            fn argument_errors(&self, field: &'static str, raw: &crate::runtime::Json, errors: crate::runtime::ValidationErrors) -> crate::runtime::FieldError;
        }

        impl ArgumentErrors for Unimplemented {
            fn argument_errors(&self, _field: &'static str, _raw: &crate::runtime::Json, errors: crate::runtime::ValidationErrors) -> crate::runtime::FieldError {
                errors.into()
            }
        }

        /// Answers every field with `NOT_IMPLEMENTED`: what a server serves before anything
        /// implements the resolvers. It is a placeholder, never a kernel.
        #[derive(Debug, Clone, Copy, Default)]
        pub struct Unimplemented;

        #(#placeholders)*
    };
    let doc = "Resolver traits, one per root operation type.\n\n# Invariants\n- No method has a default body: an implementation that misses one does not compile.";
    super::format_file(&ctx.schema.file, doc, &tokens)
}

fn output_type(ctx: &Ctx<'_>, kind: RootKind, field: &Field) -> TokenStream {
    let value = rust_type(ctx, &field.ty, &quote!(crate), false);
    match kind {
        RootKind::Subscription => quote!(crate::runtime::EventStream<#value>),
        RootKind::Query | RootKind::Mutation => value,
    }
}

fn args_param(owner: &str, field: &Field, used: bool) -> TokenStream {
    if field.args.is_empty() {
        return TokenStream::new();
    }
    let args = args_ident(owner, &field.name);
    let name = if used { quote!(args) } else { quote!(_args) };
    quote!(, #name: crate::runtime::Valid<crate::inputs::#args>)
}

fn method_signature(ctx: &Ctx<'_>, kind: RootKind, owner: &str, field: &Field) -> TokenStream {
    let method = field_ident(&field.name);
    let output = output_type(ctx, kind, field);
    let args = args_param(owner, field, true);
    let mut description = field.description.clone().unwrap_or_default();
    super::push_deprecation(&mut description, field.deprecated.as_ref());
    let method_docs = docs(Some(&description), &field.loc);
    quote! {
        #method_docs
        fn #method(&self #args) -> impl ::std::future::Future<Output = ::std::result::Result<#output, crate::runtime::FieldError>> + ::std::marker::Send
    }
}

fn placeholder_signature(ctx: &Ctx<'_>, kind: RootKind, owner: &str, field: &Field) -> TokenStream {
    let method = field_ident(&field.name);
    let output = output_type(ctx, kind, field);
    let args = args_param(owner, field, false);
    quote! {
        async fn #method(&self #args) -> ::std::result::Result<#output, crate::runtime::FieldError>
    }
}
