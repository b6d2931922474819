//! The routes, their handlers and the per-request tracing span.
//!
//! # Invariants
//! - Every route runs inside one `request` span (debug level) that records the method, the
//!   path, the response status and, for GraphQL over HTTP, the operation name.
//! - A body is read only up to `REQUEST_BODY_BYTES_MAX` bytes and parsed only once it is
//!   complete; the same bound applies to each WebSocket message.
//! - Responses to `POST /graphql` are always GraphQL JSON (`{data?, errors?}`), even when the
//!   body is refused.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::dynamic::Schema;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{DefaultBodyLimit, FromRef, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse as _, Response};
use axum::routing::get;
use futures_util::StreamExt as _;
use jitos_core::limits::REQUEST_BODY_BYTES_MAX;
use tracing::Instrument as _;

use crate::errors;
use crate::parse_cache::ParseCache;
use crate::ws::TimedSink;

/// Path of GraphQL over HTTP and of GraphiQL.
pub(crate) const GRAPHQL_PATH: &str = "/graphql";
/// Path of GraphQL subscriptions over WebSocket.
pub(crate) const GRAPHQL_WS_PATH: &str = "/graphql/ws";
/// Path of the liveness probe.
pub(crate) const HEALTHZ_PATH: &str = "/healthz";

/// The router over a finished schema; a WebSocket whose writes stay blocked for
/// `ws_send_timeout` is closed.
pub(crate) fn router(schema: Schema, ws_send_timeout: Duration) -> Router {
    let state = AppState {
        schema,
        parse_cache: Arc::default(),
    };
    let graphql_ws =
        move |schema, protocol, upgrade| graphql_ws(schema, protocol, upgrade, ws_send_timeout);
    Router::new()
        .route(GRAPHQL_PATH, get(graphiql).post(graphql_http))
        .route(GRAPHQL_WS_PATH, get(graphql_ws))
        .route(HEALTHZ_PATH, get(healthz))
        .layer(DefaultBodyLimit::max(REQUEST_BODY_BYTES_MAX))
        .layer(middleware::from_fn(request_span))
        .with_state(state)
}

/// What the handlers share.
#[derive(Clone)]
struct AppState {
    schema: Schema,
    parse_cache: Arc<ParseCache>,
}

impl FromRef<AppState> for Schema {
    fn from_ref(state: &AppState) -> Schema {
        state.schema.clone()
    }
}

/// Runs the rest of the stack inside the request's span.
async fn request_span(request: Request, next: Next) -> Response {
    let span = tracing::debug_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        operation = tracing::field::Empty,
        status = tracing::field::Empty,
    );
    async move {
        let response = next.run(request).await;
        tracing::Span::current().record("status", response.status().as_u16());
        tracing::debug!("responded");
        response
    }
    .instrument(span)
    .await
}

/// `GET /healthz`.
async fn healthz() -> &'static str {
    "ok"
}

/// `GET /graphql`: the GraphiQL IDE.
async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint(GRAPHQL_PATH)
            .subscription_endpoint(GRAPHQL_WS_PATH)
            .title("JITOS GraphiQL")
            .finish(),
    )
}

/// `POST /graphql`: one GraphQL request as JSON.
async fn graphql_http(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let message = format!(
                "request body refused: {} (limit: {REQUEST_BODY_BYTES_MAX} bytes)",
                rejection.body_text()
            );
            return errors::body_refused(rejection.status(), &message);
        }
    };
    debug_assert!(body.len() <= REQUEST_BODY_BYTES_MAX);
    let mut request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            let message = format!("request body is not a GraphQL request as JSON: {error}");
            return errors::body_refused(StatusCode::BAD_REQUEST, &message);
        }
    };
    if let Some(operation) = &request.operation_name {
        tracing::Span::current().record("operation", operation.as_str());
    }
    state.parse_cache.prepare(&mut request);
    axum::Json(state.schema.execute(request).await).into_response()
}

/// `GET /graphql/ws`: subscriptions over WebSocket.
async fn graphql_ws(
    State(schema): State<Schema>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
    send_timeout: Duration,
) -> Response {
    let span = tracing::Span::current();
    upgrade
        .max_message_size(REQUEST_BODY_BYTES_MAX)
        .max_frame_size(REQUEST_BODY_BYTES_MAX)
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let (sink, stream) = socket.split();
            GraphQLWebSocket::new_with_pair(
                TimedSink::new(sink, send_timeout),
                stream,
                schema,
                protocol,
            )
            .serve()
            .instrument(span)
        })
}
