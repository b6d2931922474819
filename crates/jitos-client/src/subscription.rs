//! Subscriptions: `rewrites` and `events` as streams of typed events, over one WebSocket each,
//! speaking graphql-transport-ws on `/graphql/ws`.
//!
//! The protocol half ([`on_text`] and the message builders) is pure and tested without a socket
//! in `tests.rs`; the socket half connects, does the `connection_init`/`connection_ack`
//! handshake, subscribes, and turns each `next` into an event.
//!
//! # Invariants
//! - A stream yields events in the order the server sent them and ends after the first error:
//!   an `error` message or a `next` that carries errors (e.g. `LIMIT_EXCEEDED` for a subscriber
//!   that fell behind) is yielded as [`Error::Server`], then the stream ends.
//! - `complete` ends the stream without error; a socket that closes or fails before `complete`
//!   ends it with [`Error::WebSocket`].
//! - Connecting and the handshake are bounded by [`HANDSHAKE_TIMEOUT`]; waiting for live events
//!   is not.

use std::time::Duration;

use futures_util::stream::BoxStream;
use futures_util::{SinkExt as _, StreamExt as _};
use graphql_client::GraphQLQuery;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::error::decode_response;
use crate::operations as ops;
use crate::types::RewriteEvent;
use crate::view::{StreamStart, View};
use crate::{Client, Error, convert};

/// Longest wait for the server's `connection_ack`.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The WebSocket subprotocol spoken.
pub const SUBPROTOCOL: &str = "graphql-transport-ws";

/// The id of the one subscription each connection carries.
const SUBSCRIPTION_ID: &str = "1";

/// A stream of events from a subscription; see the module doc for how it ends.
pub type EventStream = BoxStream<'static, Result<RewriteEvent, Error>>;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl Client {
    /// Subscribes to the events that target the live `view`, starting at `start`.
    ///
    /// # Errors
    /// When the connection or its handshake fails; errors of the subscription itself (an
    /// unknown SWS, say) arrive as the stream's first item.
    pub async fn watch_rewrites(
        &self,
        view: View,
        start: StreamStart,
    ) -> Result<EventStream, Error> {
        let variables = convert::watch_rewrites_variables(view, start);
        self.subscribe::<ops::WatchRewrites>(variables, convert::watched_rewrite)
            .await
    }

    /// Subscribes to every event of the global log, starting at `start`.
    ///
    /// # Errors
    /// When the connection or its handshake fails; errors of the subscription itself arrive as
    /// the stream's first item.
    pub async fn watch_events(&self, start: StreamStart) -> Result<EventStream, Error> {
        let variables = convert::watch_events_variables(start);
        self.subscribe::<ops::WatchEvents>(variables, convert::watched_event)
            .await
    }

    async fn subscribe<Q>(
        &self,
        variables: Q::Variables,
        convert: fn(Q::ResponseData) -> RewriteEvent,
    ) -> Result<EventStream, Error>
    where
        Q: GraphQLQuery,
        Q::ResponseData: Send + 'static,
    {
        let mut socket = connect(&self.ws_url).await?;
        let body = serde_json::to_value(Q::build_query(variables))
            .map_err(|error| Error::Protocol(format!("encoding the subscription: {error}")))?;
        send(&mut socket, subscribe_message(SUBSCRIPTION_ID, &body)).await?;
        let state = (socket, false);
        let stream = futures_util::stream::unfold(state, move |(mut socket, done)| async move {
            if done {
                return None;
            }
            let item = next_item::<Q::ResponseData>(&mut socket).await?;
            let done = item.is_err();
            Some((item.map(convert), (socket, done)))
        });
        Ok(stream.boxed())
    }
}

/// Opens the socket and completes the connection handshake, within [`HANDSHAKE_TIMEOUT`].
async fn connect(ws_url: &str) -> Result<Socket, Error> {
    tokio::time::timeout(HANDSHAKE_TIMEOUT, connect_unbounded(ws_url))
        .await
        .map_err(|_| {
            Error::WebSocket(format!(
                "no subscription handshake with {ws_url} within {HANDSHAKE_TIMEOUT:?}"
            ))
        })?
}

async fn connect_unbounded(ws_url: &str) -> Result<Socket, Error> {
    let mut request = ws_url
        .into_client_request()
        .map_err(|error| Error::WebSocket(error.to_string()))?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static(SUBPROTOCOL),
    );
    let (mut socket, _response) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|error| Error::WebSocket(format!("connecting to {ws_url}: {error}")))?;
    send(&mut socket, connection_init_message()).await?;
    await_ack(&mut socket).await?;
    Ok(socket)
}

/// Reads until `connection_ack`, answering pings.
async fn await_ack(socket: &mut Socket) -> Result<(), Error> {
    loop {
        let text = match socket.next().await {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => return Err(closed(frame.as_ref())),
            Some(Ok(_)) => continue,
            Some(Err(error)) => return Err(Error::WebSocket(error.to_string())),
            None => return Err(Error::WebSocket("closed during the handshake".to_owned())),
        };
        match parse(text.as_str())? {
            ServerMessage::ConnectionAck { .. } => return Ok(()),
            ServerMessage::Ping { .. } => send(socket, pong_message()).await?,
            ServerMessage::Pong { .. } => {}
            other => {
                return Err(Error::Protocol(format!(
                    "expected connection_ack, got {other:?}"
                )));
            }
        }
    }
}

/// The next item of the stream, or `None` once the server completed it.
async fn next_item<T: DeserializeOwned>(socket: &mut Socket) -> Option<Result<T, Error>> {
    loop {
        let text = match socket.next().await {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => return Some(Err(closed(frame.as_ref()))),
            Some(Ok(_)) => continue,
            Some(Err(error)) => return Some(Err(Error::WebSocket(error.to_string()))),
            None => return Some(Err(closed(None))),
        };
        match on_text::<T>(text.as_str(), SUBSCRIPTION_ID) {
            Step::Item(data) => return Some(Ok(data)),
            Step::Fail(error) => return Some(Err(error)),
            Step::End => return None,
            Step::Reply(reply) => {
                if let Err(error) = send(socket, reply).await {
                    return Some(Err(error));
                }
            }
            Step::Skip => {}
        }
    }
}

fn closed(frame: Option<&tokio_tungstenite::tungstenite::protocol::CloseFrame>) -> Error {
    match frame {
        Some(frame) => Error::WebSocket(format!(
            "closed before the subscription completed: {} {}",
            u16::from(frame.code),
            frame.reason
        )),
        None => Error::WebSocket("closed before the subscription completed".to_owned()),
    }
}

async fn send(socket: &mut Socket, text: String) -> Result<(), Error> {
    socket
        .send(Message::text(text))
        .await
        .map_err(|error| Error::WebSocket(error.to_string()))
}

/// The subscriptions URL of the GraphQL endpoint `url`: `ws` for `http`, `/ws` appended.
pub(crate) fn ws_url_of(url: &str) -> Result<String, Error> {
    let bad = |reason: &str| Error::Url {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("no scheme; use http://HOST:PORT/graphql"))?;
    let ws_scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => "ws",
        "https" => "wss",
        _ => return Err(bad("the scheme must be http or https")),
    };
    if rest.is_empty() || rest.starts_with('/') {
        return Err(bad("no host"));
    }
    Ok(format!("{ws_scheme}://{}/ws", rest.trim_end_matches('/')))
}

/// A message of the server, by its `type`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ServerMessage {
    /// The handshake is accepted.
    ConnectionAck {},
    /// A result of subscription `id`: a GraphQL response.
    Next {
        id: String,
        payload: serde_json::Value,
    },
    /// Subscription `id` failed before or while running: a list of GraphQL errors.
    Error {
        id: String,
        payload: serde_json::Value,
    },
    /// Subscription `id` ended.
    Complete { id: String },
    /// A keep-alive to answer with `pong`.
    Ping {},
    /// A keep-alive answer.
    Pong {},
}

/// What to do with one text message.
#[derive(Debug)]
pub(crate) enum Step<T> {
    /// Yield this data.
    Item(T),
    /// Yield this error and end.
    Fail(Error),
    /// End without error.
    End,
    /// Send this message back and read on.
    Reply(String),
    /// Read on.
    Skip,
}

pub(crate) fn parse(text: &str) -> Result<ServerMessage, Error> {
    serde_json::from_str(text)
        .map_err(|error| Error::Protocol(format!("unreadable message ({error}): {text}")))
}

/// Handles one text message of the server for subscription `id`.
pub(crate) fn on_text<T: DeserializeOwned>(text: &str, id: &str) -> Step<T> {
    let message = match parse(text) {
        Ok(message) => message,
        Err(error) => return Step::Fail(error),
    };
    match message {
        ServerMessage::Next { id: of, payload } if of == id => match decode_response(payload) {
            Ok(data) => Step::Item(data),
            Err(error) => Step::Fail(error),
        },
        ServerMessage::Error { id: of, payload } if of == id => Step::Fail(error_payload(&payload)),
        ServerMessage::Complete { id: of } if of == id => Step::End,
        ServerMessage::Ping {} => Step::Reply(pong_message()),
        ServerMessage::Next { .. }
        | ServerMessage::Error { .. }
        | ServerMessage::Complete { .. }
        | ServerMessage::ConnectionAck {}
        | ServerMessage::Pong {} => Step::Skip,
    }
}

/// The error of an `error` message, whose payload is a list of GraphQL errors.
fn error_payload(payload: &serde_json::Value) -> Error {
    match decode_response::<serde_json::Value>(serde_json::json!({ "errors": payload })) {
        Err(error @ Error::Server(_)) => error,
        _ => Error::Protocol(format!("an error message without errors: {payload}")),
    }
}

pub(crate) fn connection_init_message() -> String {
    serde_json::json!({"type": "connection_init"}).to_string()
}

pub(crate) fn pong_message() -> String {
    serde_json::json!({"type": "pong"}).to_string()
}

pub(crate) fn subscribe_message(id: &str, body: &serde_json::Value) -> String {
    serde_json::json!({"id": id, "type": "subscribe", "payload": body}).to_string()
}
