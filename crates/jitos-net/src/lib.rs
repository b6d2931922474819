//! The serving layer: the generated GraphQL schema over HTTP and WebSocket, with limits and
//! error codes. It only wires things up; what the fields mean is the resolvers' business.
//!
//! Routes of [`router`]:
//! - `POST /graphql`: GraphQL over HTTP, a JSON body `{query, operationName?, variables?}`;
//! - `GET /graphql`: the GraphiQL IDE, pointed at `/graphql` and `/graphql/ws`;
//! - `GET /graphql/ws`: subscriptions over WebSocket (`graphql-transport-ws`);
//! - `GET /healthz`: `200 ok` while the server runs.
//!
//! The resolvers are any type implementing the traits generated in `jitos_schema::resolvers`
//! (named together by [`Resolvers`]): `jitos_schema::resolvers::Unimplemented` until the kernel
//! is plugged in, the kernel afterwards, with no other change here.
//!
//! # Invariants
//! - Every GraphQL error in every response carries `extensions.code`: resolver errors bring
//!   theirs, and the one mapping in `errors` gives one to everything else (parse and
//!   validation `INVALID_INPUT`, limits `LIMIT_EXCEEDED`, anything unexpected `INTERNAL`).
//! - A request body or WebSocket message over `REQUEST_BODY_BYTES_MAX` is refused before it is
//!   parsed; a query deeper than `QUERY_DEPTH_MAX` or more complex than `QUERY_COMPLEXITY_MAX`
//!   is refused before any resolver runs. The limits are those of `jitos_core::limits`.
//! - Nothing here reads wall time, and nothing binds an address: the caller hands over a bound
//!   listener.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dynamic::{Schema, SchemaError};
use jitos_core::limits;
use jitos_schema::resolvers::{ArgumentErrors, Mutation, Query, Subscription};

mod errors;
mod parse_cache;
mod routes;
#[cfg(test)]
mod tests;
mod ws;

/// Everything the generated glue needs from the resolvers: the generated traits, named once so
/// that a trait the generator adds changes this bound only. Implemented for every type that
/// implements them all; never implement it by hand.
pub trait Resolvers: Query + Mutation + Subscription + ArgumentErrors {}

impl<R> Resolvers for R where R: Query + Mutation + Subscription + ArgumentErrors {}

/// Where the server listens, and how long it waits for a client that stopped reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The address to bind. Loopback by default: never all interfaces unless asked.
    pub addr: SocketAddr,
    /// A WebSocket whose writes stay blocked this long (its client reads nothing) is closed.
    pub ws_send_timeout: Duration,
}

impl ServerConfig {
    /// The port used when none is given.
    pub const PORT_DEFAULT: u16 = 8080;

    /// How long a WebSocket write may stay blocked when nothing else is configured.
    pub const WS_SEND_TIMEOUT_DEFAULT: Duration = Duration::from_secs(10);

    /// A configuration listening on `addr`, with the default timeouts.
    #[must_use]
    pub const fn new(addr: SocketAddr) -> ServerConfig {
        ServerConfig {
            addr,
            ws_send_timeout: ServerConfig::WS_SEND_TIMEOUT_DEFAULT,
        }
    }

    /// The same configuration with another WebSocket send timeout.
    #[must_use]
    pub const fn with_ws_send_timeout(self, ws_send_timeout: Duration) -> ServerConfig {
        ServerConfig {
            ws_send_timeout,
            ..self
        }
    }

    /// Binds the configured address. Port 0 binds an ephemeral port; read the real one from
    /// the listener's `local_addr`.
    ///
    /// # Errors
    /// The address is in use, not local, or not allowed.
    pub async fn bind(&self) -> io::Result<tokio::net::TcpListener> {
        tokio::net::TcpListener::bind(self.addr).await
    }
}

impl Default for ServerConfig {
    /// `127.0.0.1:8080`.
    fn default() -> ServerConfig {
        ServerConfig::new(SocketAddr::from((
            Ipv4Addr::LOCALHOST,
            ServerConfig::PORT_DEFAULT,
        )))
    }
}

/// Why [`serve`] stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The generated schema did not build: a bug in the generated glue.
    #[error("the generated schema is invalid: {0}")]
    Schema(SchemaError),
    /// Accepting or serving connections failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The executable schema: the generated schema wired to `resolvers`, with the depth and
/// complexity limits of `jitos_core::limits` and the error-code mapping installed.
///
/// # Errors
/// The generated schema is inconsistent (a bug in the generated glue, not a run-time
/// condition: the same code always gives the same answer).
pub fn schema<R>(resolvers: &Arc<R>) -> Result<Schema, SchemaError>
where
    R: Resolvers,
{
    jitos_schema_graphql::schema_builder(resolvers)
        .limit_depth(limits::QUERY_DEPTH_MAX)
        .limit_complexity(limits::QUERY_COMPLEXITY_MAX)
        .extension(errors::ErrorCodes)
        .finish()
}

/// The HTTP router serving [`schema`] on the routes listed in the crate docs, with the
/// timeouts of `config`.
///
/// # Errors
/// As [`schema`].
pub fn router<R>(resolvers: &Arc<R>, config: &ServerConfig) -> Result<axum::Router, SchemaError>
where
    R: Resolvers,
{
    Ok(routes::router(schema(resolvers)?, config.ws_send_timeout))
}

/// Serves [`router`] on `listener` until `shutdown` completes, then stops accepting, lets the
/// requests in flight finish, and returns.
///
/// WebSocket connections already upgraded are not waited for: they end when the runtime does.
///
/// # Errors
/// The schema does not build ([`ServeError::Schema`]) or the listener fails
/// ([`ServeError::Io`]).
pub async fn serve<R>(
    listener: tokio::net::TcpListener,
    resolvers: &Arc<R>,
    config: &ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError>
where
    R: Resolvers,
{
    let router = router(resolvers, config).map_err(ServeError::Schema)?;
    tracing::debug!(addr = ?listener.local_addr().ok(), "serving");
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await?;
    tracing::debug!("server stopped");
    Ok(())
}
