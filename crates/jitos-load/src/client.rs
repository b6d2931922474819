//! The HTTP side: post one GraphQL request and return its `data`, or say why it failed.
//!
//! # Invariants
//! - A response counts as success only with HTTP 200, a JSON body, no `errors` member (or a
//!   null one) and a non-null `data`; anything else is an error with a message saying which.
//! - Every request has a deadline ([`REQUEST_TIMEOUT`]): a stuck daemon produces errors, never
//!   a hung run.
//! - Connections are kept alive and reused: one pool per run, sized to the concurrency.

use std::time::Duration;

use anyhow::Context as _;
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::Value;

/// Longest wait for one response.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How much of an unexpected body an error message quotes.
const QUOTED_BODY_BYTES_MAX: usize = 300;

/// A client of one GraphQL endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    url: String,
    http: reqwest::Client,
}

impl Client {
    /// A client of `url` keeping up to `concurrency` idle connections alive.
    pub(crate) fn new(url: &str, concurrency: usize) -> anyhow::Result<Client> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(concurrency)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .context("building the HTTP client")?;
        Ok(Client {
            url: url.to_owned(),
            http,
        })
    }

    /// Posts `body` (a JSON GraphQL request) and returns the response's `data`.
    pub(crate) async fn post(&self, body: String) -> Result<Value, String> {
        let response = self
            .http
            .post(&self.url)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|error| format!("transport: {}", chain(&error)))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| format!("reading the body: {}", chain(&error)))?;
        if status != StatusCode::OK {
            return Err(format!("HTTP {status}: {}", quote(&bytes)));
        }
        let mut answer: Value = serde_json::from_slice(&bytes)
            .map_err(|error| format!("unreadable JSON ({error}): {}", quote(&bytes)))?;
        if let Some(errors) = answer.get("errors").filter(|errors| !errors.is_null()) {
            return Err(format!("GraphQL errors: {errors}"));
        }
        match answer.get_mut("data").map(Value::take) {
            Some(data) if !data.is_null() => Ok(data),
            _ => Err(format!("no data: {}", quote(&bytes))),
        }
    }
}

/// `error` with its sources, `outer: inner: innermost`.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The start of `bytes` as text, for an error message.
fn quote(bytes: &[u8]) -> String {
    let end = bytes.len().min(QUOTED_BODY_BYTES_MAX);
    let mut text = String::from_utf8_lossy(bytes.get(..end).unwrap_or(bytes)).into_owned();
    if end < bytes.len() {
        text.push('…');
    }
    text
}
