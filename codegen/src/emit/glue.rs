//! The async-graphql glue: a dynamic schema that states exactly the canonical SDL (types,
//! fields, arguments, defaults, descriptions, deprecations) and calls the resolver traits.
//!
//! # Invariants
//! - Codegen-only directives (`@constraint`, `@lazy`) are not served.
//! - Every argument is validated by the generated validator before a resolver runs; every
//!   resolver error leaves as a GraphQL error with `extensions.code` and `extensions.field`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Ctx, args_ident, type_path};
use crate::ir::{Deprecation, Field, InputValue, RootKind, ScalarRepr, TypeDef, TypeKind, TypeRef};
use crate::naming::{field_ident, snake_case, type_ident};

/// The file text.
pub(crate) fn emit(ctx: &Ctx<'_>) -> String {
    let krate = &ctx.schema_crate;
    let mut builders = Vec::new();
    let mut registrations = Vec::new();
    for def in ctx.schema.types.values() {
        if let Some(root) = ctx
            .schema
            .roots()
            .into_iter()
            .find(|(_, name)| *name == def.name)
        {
            let (builder, registration) = root_builder(ctx, root.0, def);
            builders.push(builder);
            registrations.push(registration);
            continue;
        }
        let builder_ident = format_ident!("type_{}", snake_case(&def.name));
        builders.push(type_builder(ctx, def, &builder_ident));
        registrations.push(quote!(.register(#builder_ident())));
    }
    let query = &ctx.schema.query;
    let option = |name: &Option<String>| match name {
        Some(name) => quote!(::std::option::Option::Some(#name)),
        None => quote!(::std::option::Option::None),
    };
    let (mutation, subscription) = (
        option(&ctx.schema.mutation),
        option(&ctx.schema.subscription),
    );
    let mut bounds: Vec<TokenStream> = ctx
        .schema
        .roots()
        .iter()
        .map(|(_, name)| {
            let ident = type_ident(name);
            quote!(#krate::resolvers::#ident)
        })
        .collect();
    bounds.push(quote!(#krate::resolvers::ArgumentErrors));
    let helpers = helpers(ctx);
    let tokens = quote! {
        #![allow(clippy::too_many_lines, reason = "one builder per type, one closure per field")]
        #![allow(unused_imports, reason = "not every schema uses every helper")]
        #![allow(clippy::redundant_closure, reason = "conversions are emitted as closures uniformly")]
        use ::std::sync::Arc;
        use ::async_graphql::dynamic as gql;
        use ::async_graphql::{ErrorExtensions as _, Name, Value};
        use ::futures_util::StreamExt as _;
        use #krate::runtime::{FieldError, Json, Parse, Valid};

        #helpers

        /// The schema builder: every type of the canonical schema, wired to `resolvers`.
        /// Add limits and data to it, then `finish()`.
        pub fn schema_builder<R>(resolvers: &Arc<R>) -> gql::SchemaBuilder
        where
            R: #( #bounds + )*,
        {
            gql::Schema::build(#query, #mutation, #subscription)
                #(#registrations)*
        }

        #(#builders)*
    };
    let doc = "async-graphql glue: the canonical schema, served by the resolver traits.\n\n# Invariants\n- Exactly the types, fields, arguments, defaults, descriptions and deprecations of the SDL.\n- Arguments are validated before any resolver runs.";
    super::format_file(&ctx.schema.file, doc, &tokens)
}

/// The functions every field closure calls: error conversion, argument validation, scalars.
fn helpers(ctx: &Ctx<'_>) -> TokenStream {
    let raw_arguments = argument_helpers(ctx);
    quote! {
        /// Turns a resolver error into a GraphQL error carrying `extensions.code` and, when the
        /// error is about an input, `extensions.field`.
        pub fn to_graphql_error(error: FieldError) -> ::async_graphql::Error {
            let code = error.code.as_str();
            let field = error.field.clone();
            ::async_graphql::Error::new(error.message).extend_with(|_, extensions| {
                extensions.set("code", code);
                if let ::std::option::Option::Some(field) = &field {
                    extensions.set("field", field.as_str());
                }
            })
        }

        #raw_arguments
    }
}

/// The argument helpers a schema needs (none when no field takes arguments).
fn argument_helpers(ctx: &Ctx<'_>) -> TokenStream {
    let krate = &ctx.schema_crate;
    // Only schemas with arguments on non-root fields need the plain validator.
    let object_args = ctx.schema.types.values().any(|def| {
        !ctx.schema.is_root(&def.name) && matches!(&def.kind, TypeKind::Object { fields, .. } if fields.iter().any(|f| !f.args.is_empty()))
    });
    let validated = if object_args {
        quote! {
            /// Validates a field's arguments with the generated validator.
            fn validated<T: Parse>(args: &gql::ObjectAccessor<'_>) -> ::async_graphql::Result<Valid<T>> {
                T::validate(&raw_arguments(args)?).map_err(|errors| to_graphql_error(errors.into()))
            }
        }
    } else {
        TokenStream::new()
    };
    let root_args = ctx.schema.roots().iter().any(|(_, name)| {
        matches!(ctx.schema.get(name).map(|t| &t.kind), Some(TypeKind::Object { fields, .. }) if fields.iter().any(|f| !f.args.is_empty()))
    });
    let validated_root = if root_args {
        quote! {
            /// Validates a root field's arguments; on failure the resolvers decide what to answer.
            fn validated_root<T: Parse, R: #krate::resolvers::ArgumentErrors>(resolvers: &R, field: &'static str, args: &gql::ObjectAccessor<'_>) -> ::async_graphql::Result<Valid<T>> {
                let raw = raw_arguments(args)?;
                T::validate(&raw).map_err(|errors| to_graphql_error(resolvers.argument_errors(field, &raw, errors)))
            }
        }
    } else {
        TokenStream::new()
    };
    if !root_args && !object_args {
        return TokenStream::new();
    }
    quote! {
        /// A field's arguments as JSON, the raw input of the generated validators.
        fn raw_arguments(args: &gql::ObjectAccessor<'_>) -> ::async_graphql::Result<Json> {
            let mut raw = ::serde_json::Map::new();
            for (name, value) in args.iter() {
                let json = value.as_value().clone().into_json().map_err(|error| {
                    to_graphql_error(FieldError::new(#krate::runtime::ErrorCode::InvalidInput, name.as_str(), error))
                })?;
                raw.insert(name.to_string(), json);
            }
            ::std::result::Result::Ok(Json::Object(raw))
        }

        #validated
        #validated_root
    }
}

fn type_ref(ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::Named(name) => quote!(gql::TypeRef::Named(::std::borrow::Cow::Borrowed(#name))),
        TypeRef::List(inner) => {
            let inner = type_ref(inner);
            quote!(gql::TypeRef::List(::std::boxed::Box::new(#inner)))
        }
        TypeRef::NonNull(inner) => {
            let inner = type_ref(inner);
            quote!(gql::TypeRef::NonNull(::std::boxed::Box::new(#inner)))
        }
    }
}

fn description(text: Option<&String>) -> TokenStream {
    match text {
        Some(text) => quote!(.description(#text)),
        None => TokenStream::new(),
    }
}

fn deprecation(deprecated: Option<&Deprecation>) -> TokenStream {
    match deprecated {
        Some(Deprecation {
            reason: Some(reason),
        }) => quote!(.deprecation(::std::option::Option::Some(#reason))),
        Some(Deprecation { reason: None }) => quote!(.deprecation(::std::option::Option::None)),
        None => TokenStream::new(),
    }
}

/// An `async_graphql::Value` literal for a default, using the type to tell enums from strings.
fn default_value(ctx: &Ctx<'_>, json: &serde_json::Value, ty: &TypeRef) -> TokenStream {
    match (ty, json) {
        (_, serde_json::Value::Null) => quote!(Value::Null),
        (TypeRef::NonNull(inner), _) => default_value(ctx, json, inner),
        (TypeRef::List(inner), serde_json::Value::Array(items)) => {
            let items = items.iter().map(|item| default_value(ctx, item, inner));
            quote!(Value::List(vec![#(#items),*]))
        }
        (TypeRef::List(inner), _) => default_value(ctx, json, inner),
        (TypeRef::Named(name), _) => match (ctx.schema.get(name).map(|t| &t.kind), json) {
            (Some(TypeKind::Enum { .. }), serde_json::Value::String(value)) => {
                quote!(Value::Enum(Name::new(#value)))
            }
            (Some(TypeKind::Input { fields }), serde_json::Value::Object(map)) => {
                let entries = fields.iter().filter_map(|field| {
                    let value = default_value(ctx, map.get(&field.name)?, &field.ty);
                    let key = &field.name;
                    Some(quote!(map.insert(Name::new(#key), #value);))
                });
                let entries: Vec<TokenStream> = entries.collect();
                if entries.is_empty() {
                    quote!(Value::Object(::async_graphql::indexmap::IndexMap::new()))
                } else {
                    quote!({ let mut map = ::async_graphql::indexmap::IndexMap::new(); #(#entries)* Value::Object(map) })
                }
            }
            _ => {
                let text = json.to_string();
                quote!(Value::from_json(::serde_json::from_str(#text).expect("codegen checked the default")).expect("a JSON default is a GraphQL value"))
            }
        },
    }
}

fn input_value(ctx: &Ctx<'_>, value: &InputValue) -> TokenStream {
    let name = &value.name;
    let ty = type_ref(&value.ty);
    let description = description(value.description.as_ref());
    let deprecation = deprecation(value.deprecated.as_ref());
    let default = value.default.as_ref().map(|d| {
        let d = default_value(ctx, d, &value.ty);
        quote!(.default_value(#d))
    });
    quote!(gql::InputValue::new(#name, #ty) #description #deprecation #default)
}

fn type_builder(ctx: &Ctx<'_>, def: &TypeDef, builder: &proc_macro2::Ident) -> TokenStream {
    let name = &def.name;
    let description = description(def.description.as_ref());
    let body = match &def.kind {
        TypeKind::Scalar { specified_by, .. } => {
            let url = specified_by
                .as_ref()
                .map(|url| quote!(.specified_by_url(#url)));
            quote!(gql::Scalar::new(#name) #description #url)
        }
        TypeKind::Enum { values } => {
            let items = values.iter().map(|value| {
                let value_name = &value.name;
                let value_description = self::description(value.description.as_ref());
                let value_deprecation = deprecation(value.deprecated.as_ref());
                quote!(.item(gql::EnumItem::new(#value_name) #value_description #value_deprecation))
            });
            quote!(gql::Enum::new(#name) #description #(#items)*)
        }
        TypeKind::Input { fields } => {
            let fields = fields.iter().map(|field| input_value(ctx, field));
            quote!(gql::InputObject::new(#name) #description #( .field(#fields) )*)
        }
        TypeKind::Union { members } => {
            quote!(gql::Union::new(#name) #description #( .possible_type(#members) )*)
        }
        TypeKind::Interface {
            interfaces, fields, ..
        } => {
            let fields = fields.iter().map(|field| {
                let field_name = &field.name;
                let ty = type_ref(&field.ty);
                let field_description = self::description(field.description.as_ref());
                let field_deprecation = deprecation(field.deprecated.as_ref());
                let args = field.args.iter().map(|arg| input_value(ctx, arg));
                quote!(gql::InterfaceField::new(#field_name, #ty) #field_description #field_deprecation #( .argument(#args) )*)
            });
            quote!(gql::Interface::new(#name) #description #( .implement(#interfaces) )* #( .field(#fields) )*)
        }
        TypeKind::Object { interfaces, fields } => {
            let fields = fields.iter().map(|field| object_field(ctx, def, field));
            quote!(gql::Object::new(#name) #description #( .implement(#interfaces) )* #( .field(#fields) )*)
        }
    };
    let return_type = match &def.kind {
        TypeKind::Scalar { .. } => quote!(gql::Scalar),
        TypeKind::Enum { .. } => quote!(gql::Enum),
        TypeKind::Input { .. } => quote!(gql::InputObject),
        TypeKind::Union { .. } => quote!(gql::Union),
        TypeKind::Interface { .. } => quote!(gql::Interface),
        TypeKind::Object { .. } => quote!(gql::Object),
    };
    quote! {
        fn #builder() -> #return_type {
            #body
        }
    }
}

/// A field of a non-root object, read from the parent value.
fn object_field(ctx: &Ctx<'_>, owner: &TypeDef, field: &Field) -> TokenStream {
    let krate = &ctx.schema_crate;
    let owner_ident = type_ident(&owner.name);
    let member = field_ident(&field.name);
    let resolve = if !field.args.is_empty() {
        let args = args_ident(&owner.name, &field.name);
        let convert = top_conversion(ctx, &field.ty, quote!(value), true);
        quote! {
            let args = validated::<#krate::inputs::#args>(&ctx.args)?;
            let value = parent.#member.call(args).await.map_err(to_graphql_error)?;
            ::std::result::Result::Ok(#convert)
        }
    } else if field.lazy {
        let convert = top_conversion(ctx, &field.ty, quote!(value), true);
        quote! {
            let value = parent.#member.resolve().map_err(to_graphql_error)?;
            ::std::result::Result::Ok(#convert)
        }
    } else {
        let convert = top_conversion(ctx, &field.ty, quote!(value), false);
        quote! {
            let value = &parent.#member;
            ::std::result::Result::Ok(#convert)
        }
    };
    let name = &field.name;
    let ty = type_ref(&field.ty);
    let field_description = description(field.description.as_ref());
    let field_deprecation = deprecation(field.deprecated.as_ref());
    let args = field.args.iter().map(|arg| input_value(ctx, arg));
    quote! {
        gql::Field::new(#name, #ty, |ctx| {
            let parent_value = ctx.parent_value;
            gql::FieldFuture::new(async move {
                let parent = parent_value.try_downcast_ref::<#krate::outputs::#owner_ident>()?;
                #resolve
            })
        }) #field_description #field_deprecation #( .argument(#args) )*
    }
}

/// A root type: its fields call the resolver trait.
fn root_builder(ctx: &Ctx<'_>, kind: RootKind, def: &TypeDef) -> (TokenStream, TokenStream) {
    let krate = &ctx.schema_crate;
    let TypeKind::Object { fields, .. } = &def.kind else {
        return (TokenStream::new(), TokenStream::new());
    };
    let builder = format_ident!("root_{}", snake_case(&def.name));
    let trait_ident = type_ident(&def.name);
    let name = &def.name;
    let description = description(def.description.as_ref());
    let fields = fields.iter().map(|field| root_field(ctx, kind, def, field));
    let object = match kind {
        RootKind::Subscription => quote!(gql::Subscription),
        RootKind::Query | RootKind::Mutation => quote!(gql::Object),
    };
    let builder_fn = quote! {
        fn #builder<R: #krate::resolvers::#trait_ident + #krate::resolvers::ArgumentErrors>(resolvers: &Arc<R>) -> #object {
            #object::new(#name) #description #( .field(#fields) )*
        }
    };
    (builder_fn, quote!(.register(#builder(resolvers))))
}

fn root_field(ctx: &Ctx<'_>, kind: RootKind, owner: &TypeDef, field: &Field) -> TokenStream {
    let krate = &ctx.schema_crate;
    let trait_ident = type_ident(&owner.name);
    let method = field_ident(&field.name);
    let (args_binding, args_param) = if field.args.is_empty() {
        (TokenStream::new(), TokenStream::new())
    } else {
        let args = args_ident(&owner.name, &field.name);
        let field_name = format!("{}.{}", owner.name, field.name);
        (
            quote!(let args = validated_root::<#krate::inputs::#args, R>(&*resolvers, #field_name, &ctx.args)?;),
            quote!(, args),
        )
    };
    let ctx_param = if field.args.is_empty() {
        quote!(_ctx)
    } else {
        quote!(ctx)
    };
    let name = &field.name;
    let ty = type_ref(&field.ty);
    let field_description = description(field.description.as_ref());
    let field_deprecation = deprecation(field.deprecated.as_ref());
    let args = field.args.iter().map(|arg| input_value(ctx, arg));
    let call = quote!(<R as #krate::resolvers::#trait_ident>::#method(&*resolvers #args_param).await.map_err(to_graphql_error)?);
    match kind {
        RootKind::Subscription => {
            let item = conversion(ctx, &field.ty, quote!(value), true);
            quote! {{
                let resolvers = Arc::clone(resolvers);
                gql::SubscriptionField::new(#name, #ty, move |#ctx_param| {
                    let resolvers = Arc::clone(&resolvers);
                    gql::SubscriptionFieldFuture::new(async move {
                        #args_binding
                        let stream = #call;
                        ::std::result::Result::Ok(stream.map(|item| item.map(|value| #item).map_err(to_graphql_error)))
                    })
                }) #field_description #field_deprecation #( .argument(#args) )*
            }}
        }
        RootKind::Query | RootKind::Mutation => {
            let convert = top_conversion(ctx, &field.ty, quote!(value), true);
            quote! {{
                let resolvers = Arc::clone(resolvers);
                gql::Field::new(#name, #ty, move |#ctx_param| {
                    let resolvers = Arc::clone(&resolvers);
                    gql::FieldFuture::new(async move {
                        #args_binding
                        let value = #call;
                        ::std::result::Result::Ok(#convert)
                    })
                }) #field_description #field_deprecation #( .argument(#args) )*
            }}
        }
    }
}

/// `Option<FieldValue>` for a field's value: `None` is GraphQL null.
fn top_conversion(ctx: &Ctx<'_>, ty: &TypeRef, value: TokenStream, owned: bool) -> TokenStream {
    match ty {
        TypeRef::NonNull(_) => {
            let converted = conversion(ctx, ty, value, owned);
            quote!(::std::option::Option::Some(#converted))
        }
        nullable => {
            let converted = conversion(
                ctx,
                &TypeRef::NonNull(Box::new(nullable.clone())),
                quote!(present),
                owned,
            );
            let optional = if owned {
                value
            } else {
                quote!(#value.as_ref())
            };
            quote!(#optional.map(|present| #converted))
        }
    }
}

/// A `FieldValue` for `value` of type `ty`; `value` is owned or a reference, per `owned`.
fn conversion(ctx: &Ctx<'_>, ty: &TypeRef, value: TokenStream, owned: bool) -> TokenStream {
    match ty {
        TypeRef::NonNull(inner) => match &**inner {
            TypeRef::List(item) => {
                let item = conversion(ctx, item, quote!(item), owned);
                let iter = if owned {
                    quote!(into_iter)
                } else {
                    quote!(iter)
                };
                quote!(gql::FieldValue::list(#value.#iter().map(|item| #item)))
            }
            TypeRef::Named(name) => named_conversion(ctx, name, &value, owned),
            TypeRef::NonNull(_) => conversion(ctx, inner, value, owned),
        },
        nullable => {
            let converted = conversion(
                ctx,
                &TypeRef::NonNull(Box::new(nullable.clone())),
                quote!(present),
                owned,
            );
            quote!(match #value { ::std::option::Option::Some(present) => #converted, ::std::option::Option::None => gql::FieldValue::value(Value::Null) })
        }
    }
}

fn named_conversion(ctx: &Ctx<'_>, name: &str, value: &TokenStream, owned: bool) -> TokenStream {
    let krate = &ctx.schema_crate;
    let reference = if owned {
        quote!(&#value)
    } else {
        value.clone()
    };
    if let Some(repr) = ctx.schema.scalar_repr(name) {
        let scalar = match repr {
            ScalarRepr::Int | ScalarRepr::Float | ScalarRepr::U32 => {
                quote!(Value::from(*#reference))
            }
            ScalarRepr::Boolean => quote!(Value::Boolean(*#reference)),
            ScalarRepr::String | ScalarRepr::Id => {
                quote!(Value::String(::std::string::ToString::to_string(#reference)))
            }
            ScalarRepr::Hex32 => {
                quote!(Value::String(#krate::runtime::hex32_to_string(#reference)))
            }
            ScalarRepr::U64 => {
                quote!(Value::String(::std::string::ToString::to_string(#reference)))
            }
            ScalarRepr::Json => {
                quote!(Value::from_json(::std::clone::Clone::clone(#reference)).unwrap_or(Value::Null))
            }
        };
        return quote!(gql::FieldValue::value(#scalar));
    }
    let path = type_path(ctx, name, krate);
    match ctx.schema.get(name).map(|t| &t.kind) {
        Some(TypeKind::Enum { .. }) => {
            quote!(gql::FieldValue::value(Value::Enum(Name::new(#value.as_str()))))
        }
        Some(
            TypeKind::Interface {
                implementors: members,
                ..
            }
            | TypeKind::Union { members },
        ) => {
            let variants = members.iter().map(|member| {
                let variant = type_ident(member);
                let any = if owned {
                    quote!(gql::FieldValue::owned_any(inner))
                } else {
                    quote!(gql::FieldValue::borrowed_any(inner))
                };
                quote!(#path::#variant(inner) => #any.with_type(#member))
            });
            let scrutinee = if owned {
                quote!(#value)
            } else {
                quote!(::std::borrow::Borrow::<#path>::borrow(#value))
            };
            if members.is_empty() {
                // No object implements it yet: the enum has no value to convert.
                return if owned {
                    quote!(match #scrutinee {})
                } else {
                    quote!(match *#scrutinee {})
                };
            }
            quote!(match #scrutinee { #(#variants,)* })
        }
        _ if owned => quote!(gql::FieldValue::owned_any(#value)),
        _ => quote!(gql::FieldValue::borrowed_any(::std::borrow::Borrow::<#path>::borrow(#value))),
    }
}
