//! Errors of the client, and the decoding of a GraphQL response into data or a [`ServerError`].
//!
//! A request fails in one of three places: before an answer (transport), with an answer that is
//! not GraphQL (HTTP status, unreadable body), or with a GraphQL error, which carries the
//! contract's `extensions.code` and, for input errors, `extensions.field` (contract §5).
//!
//! # Invariants
//! - A response that holds any GraphQL error is an [`Error::Server`] carrying the first error,
//!   never partial data: the first error is the one the contract's order chose.
//! - A body that is a GraphQL response with errors wins over its HTTP status: a 413 with a
//!   `LIMIT_EXCEEDED` error is that server error, not [`Error::Status`].
//! - A missing or unknown `extensions.code` decodes as [`ErrorCode::Internal`]; the server
//!   promises one of the seven codes, so anything else is a server fault.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Longest piece of an unreadable response body kept in an error message.
const BODY_EXCERPT_BYTES_MAX: usize = 512;

/// An error code of the contract (§5), as sent in `extensions.code`: the generated type the
/// server uses too, so client and server cannot disagree on the codes.
pub use jitos_schema::ErrorCode;

/// One GraphQL error of the server.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerError {
    /// `extensions.code`.
    pub code: ErrorCode,
    /// The server's message; it names the offending input path.
    pub message: String,
    /// `extensions.field`: the offending input path, e.g. `rewrite.ops[0].data.kind`.
    pub field: Option<String>,
    /// Every extension the server sent (`code`, `field` and any other, such as `limit`).
    pub extensions: BTreeMap<String, serde_json::Value>,
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(field) = &self.field {
            write!(f, " (field: {field})")?;
        }
        Ok(())
    }
}

/// A failure of one client call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request got no answer: connection refused, timeout, broken connection.
    #[error("transport: {0}")]
    Transport(#[source] reqwest::Error),
    /// The answer was not a GraphQL response and its HTTP status was not a success.
    #[error("HTTP {status}: {body}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// The answer could not be read as the expected GraphQL response.
    #[error("unreadable response: {0}")]
    Decode(String),
    /// The server answered with a GraphQL error.
    #[error("{0}")]
    Server(ServerError),
    /// The WebSocket of a subscription failed or closed unexpectedly.
    #[error("websocket: {0}")]
    WebSocket(String),
    /// The server broke the protocol, or a paging invariant failed (e.g. a cursor that does not
    /// advance, or a pinned snapshot whose digest changed between pages).
    #[error("protocol: {0}")]
    Protocol(String),
    /// The URL given to the client is not usable.
    #[error("bad url `{url}`: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl Error {
    /// The server's error code, when the server answered with a GraphQL error.
    #[must_use]
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Server(error) => Some(error.code),
            _ => None,
        }
    }
}

/// A GraphQL response as it arrives, before the data is typed.
#[derive(Deserialize)]
struct RawResponse {
    data: Option<serde_json::Value>,
    errors: Option<Vec<RawError>>,
}

/// One GraphQL error as it arrives.
#[derive(Deserialize)]
struct RawError {
    message: String,
    #[serde(default)]
    extensions: Option<BTreeMap<String, serde_json::Value>>,
}

impl From<RawError> for ServerError {
    fn from(raw: RawError) -> ServerError {
        let extensions = raw.extensions.unwrap_or_default();
        let code = extensions
            .get("code")
            .and_then(serde_json::Value::as_str)
            .and_then(ErrorCode::from_wire)
            .unwrap_or(ErrorCode::Internal);
        let field = extensions
            .get("field")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        ServerError {
            code,
            message: raw.message,
            field,
            extensions,
        }
    }
}

/// The first `BODY_EXCERPT_BYTES_MAX` bytes of `body`, cut at a character boundary.
fn excerpt(body: &str) -> String {
    let mut end = body.len().min(BODY_EXCERPT_BYTES_MAX);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    body[..end].to_owned()
}

/// Decodes a GraphQL response given as JSON: its data as `T`, or its first error.
///
/// # Errors
/// [`Error::Server`] when the response holds an error, [`Error::Decode`] when it holds neither
/// errors nor data of type `T`.
pub fn decode_response<T: DeserializeOwned>(response: serde_json::Value) -> Result<T, Error> {
    let raw: RawResponse = serde_json::from_value(response)
        .map_err(|error| Error::Decode(format!("not a GraphQL response: {error}")))?;
    decode_raw(raw)
}

fn decode_raw<T: DeserializeOwned>(raw: RawResponse) -> Result<T, Error> {
    if let Some(first) = raw.errors.and_then(|errors| errors.into_iter().next()) {
        return Err(Error::Server(first.into()));
    }
    let data = raw
        .data
        .filter(|data| !data.is_null())
        .ok_or_else(|| Error::Decode("a response with neither data nor errors".to_owned()))?;
    serde_json::from_value(data).map_err(|error| Error::Decode(error.to_string()))
}

/// Decodes an HTTP answer to a GraphQL request: its status and body.
///
/// # Errors
/// As [`decode_response`]; and [`Error::Status`] when a non-success status comes with a body
/// that is not a GraphQL response holding errors.
pub fn decode_http<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, Error> {
    let success = (200..300).contains(&status);
    match serde_json::from_str::<RawResponse>(body) {
        Ok(raw) if success || raw.errors.as_ref().is_some_and(|errors| !errors.is_empty()) => {
            decode_raw(raw)
        }
        Ok(_) => Err(Error::Status {
            status,
            body: excerpt(body),
        }),
        Err(_) if !success => Err(Error::Status {
            status,
            body: excerpt(body),
        }),
        Err(error) => Err(Error::Decode(format!("{error}: {}", excerpt(body)))),
    }
}
