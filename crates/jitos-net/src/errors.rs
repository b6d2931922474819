//! The one mapping from errors to `extensions.code` in the serving layer (contract §5).
//!
//! Resolver errors arrive with a code (the generated glue's `to_graphql_error`). Everything
//! else gets one here: errors async-graphql raises itself while parsing, validating, limiting
//! and executing a request, through the [`ErrorCodes`] extension (the same code path for HTTP
//! and WebSocket), and the HTTP-level refusals of a body, through [`body_refused`].
//!
//! # Invariants
//! - An error that already carries `extensions.code` keeps it, and its message, untouched.
//! - An error without one gets exactly one: `LIMIT_EXCEEDED` for the depth, complexity and
//!   parser recursion limits; `INVALID_INPUT` for any other parse or validation error and for
//!   request-level errors (unknown operation name, subscription over HTTP); `INTERNAL` for an
//!   error raised while resolving a field. Messages are kept, so they still name the field.
//! - Codes are written with `jitos_schema::runtime::ErrorCode::as_str`, never spelled here.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextSubscribe,
    NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Variables};
use axum::http::StatusCode;
use axum::response::IntoResponse as _;
use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use jitos_schema::runtime::ErrorCode;

/// The extension key holding the error code.
const CODE_KEY: &str = "code";
/// The extension key naming the limit an error exceeded.
const LIMIT_KEY: &str = "limit";

/// Where in the life of a request async-graphql raised an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Parsing the query text, including the parser's recursion limit.
    Parse,
    /// Validating the document against the schema, including depth and complexity limits.
    Validation,
    /// Anything after validation: choosing the operation, executing it.
    Execution,
}

/// A limit async-graphql enforces, recognised by the message it raises (the only form it gives:
/// no error kind). The tests run each one through the real schema, so a dependency update that
/// rewords a message fails there.
struct KnownLimit {
    /// The start of async-graphql's message.
    message_prefix: &'static str,
    /// The name of the limit, given as `extensions.limit`.
    name: &'static str,
}

const KNOWN_LIMITS: [KnownLimit; 3] = [
    KnownLimit {
        message_prefix: "Query is nested too deep",
        name: "QUERY_DEPTH_MAX",
    },
    KnownLimit {
        message_prefix: "Query is too complex",
        name: "QUERY_COMPLEXITY_MAX",
    },
    KnownLimit {
        // The parser's own nesting guard (32 levels, past QUERY_DEPTH_MAX): a query that
        // trips it is too deep by the same measure.
        message_prefix: "The recursion depth of the query cannot be greater than",
        name: "QUERY_DEPTH_MAX",
    },
];

/// The limit a parse or validation error reports, if it is one.
fn known_limit(message: &str) -> Option<&'static KnownLimit> {
    KNOWN_LIMITS
        .iter()
        .find(|limit| message.starts_with(limit.message_prefix))
}

/// The code an error raised by async-graphql at `stage` gets.
pub(crate) fn code_for(stage: Stage, error: &ServerError) -> ErrorCode {
    match stage {
        Stage::Parse | Stage::Validation => {
            if known_limit(&error.message).is_some() {
                ErrorCode::LimitExceeded
            } else {
                ErrorCode::InvalidInput
            }
        }
        // A field error has a path; an error without one is about the request as a whole.
        Stage::Execution if error.path.is_empty() => ErrorCode::InvalidInput,
        Stage::Execution => ErrorCode::Internal,
    }
}

/// The code an error carries, if any.
pub(crate) fn code_of(error: &ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get(CODE_KEY)? {
        async_graphql::Value::String(code) => Some(code.as_str()),
        _ => None,
    }
}

/// Gives `error` a code if it has none (see the module invariants).
pub(crate) fn ensure_code(error: &mut ServerError, stage: Stage) {
    if code_of(error).is_some() {
        return;
    }
    let code = code_for(stage, error);
    let limit = match code {
        ErrorCode::LimitExceeded => known_limit(&error.message).map(|limit| limit.name),
        _ => None,
    };
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set(CODE_KEY, code.as_str());
    if let Some(name) = limit {
        extensions.set(LIMIT_KEY, name);
    }
    debug_assert!(code_of(error).is_some());
}

/// Gives every error of `response` a code.
fn ensure_codes(mut response: Response, stage: Stage) -> Response {
    for error in &mut response.errors {
        ensure_code(error, stage);
    }
    response
}

/// Installs the mapping in a schema: `schema_builder.extension(ErrorCodes)`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

#[async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        ensure_codes(next.run(ctx).await, Stage::Execution)
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        next.run(ctx, stream)
            .map(|response| ensure_codes(response, Stage::Execution))
            .boxed()
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables).await.map_err(|mut error| {
            ensure_code(&mut error, Stage::Parse);
            error
        })
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|mut errors| {
            for error in &mut errors {
                ensure_code(error, Stage::Validation);
            }
            errors
        })
    }
}

/// The response to a body refused before it reached GraphQL: a GraphQL error response with
/// `status` (413 for a body over the limit, 400 otherwise) and the matching code.
pub(crate) fn body_refused(status: StatusCode, message: &str) -> axum::response::Response {
    let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
        ErrorCode::LimitExceeded
    } else {
        ErrorCode::InvalidInput
    };
    let mut error = ServerError::new(message, None);
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set(CODE_KEY, code.as_str());
    if code == ErrorCode::LimitExceeded {
        extensions.set(LIMIT_KEY, "REQUEST_BODY_BYTES_MAX");
    }
    let body = axum::Json(Response::from_errors(vec![error]));
    (status, body).into_response()
}
