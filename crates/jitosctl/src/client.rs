//! The HTTP side: post one operation to `/graphql`, return its data or the server's error.
//!
//! # Invariants
//! - A response with any GraphQL error is a failure carrying the first error's
//!   `extensions.code`, never partial data.

use graphql_client::{GraphQLQuery, Response};

/// A failure of one request.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The server refused the request: its `extensions.code` and message.
    Server { code: String, message: String },
    /// The request did not get an answer (connection refused, bad HTTP status, bad JSON).
    Transport(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Server { code, message } => write!(f, "{code}: {message}"),
            Failure::Transport(message) => write!(f, "transport: {message}"),
        }
    }
}

/// A client of one daemon.
pub(crate) struct Client {
    url: String,
    http: reqwest::blocking::Client,
}

impl Client {
    /// A client of the GraphQL endpoint at `url`.
    pub(crate) fn new(url: &str) -> Client {
        Client {
            url: url.to_owned(),
            http: reqwest::blocking::Client::new(),
        }
    }

    /// Runs operation `Q` with `variables`.
    pub(crate) fn run<Q: GraphQLQuery>(
        &self,
        variables: Q::Variables,
    ) -> Result<Q::ResponseData, Failure> {
        let body = Q::build_query(variables);
        let response = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .map_err(|error| Failure::Transport(error.to_string()))?;
        let status = response.status();
        let text = response
            .text()
            .map_err(|error| Failure::Transport(error.to_string()))?;
        let parsed: Response<Q::ResponseData> = serde_json::from_str(&text).map_err(|error| {
            Failure::Transport(format!(
                "HTTP {status}: unreadable response ({error}): {text}"
            ))
        })?;
        if let Some(error) = parsed.errors.as_ref().and_then(|errors| errors.first()) {
            let code = error
                .extensions
                .as_ref()
                .and_then(|extensions| extensions.get("code"))
                .and_then(serde_json::Value::as_str)
                .unwrap_or("INTERNAL")
                .to_owned();
            return Err(Failure::Server {
                code,
                message: error.message.clone(),
            });
        }
        parsed.data.ok_or_else(|| {
            Failure::Transport(format!(
                "HTTP {status}: a response with neither data nor errors"
            ))
        })
    }
}
