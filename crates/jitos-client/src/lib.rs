//! `jitos-client`: a typed async client of `jitosd`.
//!
//! Every operation it sends lives in `graphql/operations.graphql` and is typed by graphql_client
//! against `schema/jitos.graphql` when this crate builds, so an operation that selects a field
//! the schema lacks does not compile. [`Client`] has one method per operation, returning the
//! plain types of [`types`]; [`Error`] says whether a call got no answer, an answer that is not
//! GraphQL, or a GraphQL error with the contract's code ([`ErrorCode`]) and field.
//!
//! ```no_run
//! # async fn demo() -> Result<(), jitos_client::Error> {
//! use jitos_client::{Client, Op, View, WriteOptions};
//!
//! let client = Client::new("http://127.0.0.1:8080/graphql")?;
//! let sws = client.create_sws(&WriteOptions::default()).await?;
//! let view = View::Sws(jitos_client::parse_sws_id(&sws.id).expect("SWS ids are decimal"));
//! let ops = vec![Op::add_node("demo", b"hello").to_json()];
//! let applied = client.apply_rewrite(view, ops, &WriteOptions::idempotent("demo-1")).await?;
//! println!("{}", applied.receipt.view_digest);
//! # Ok(()) }
//! ```
//!
//! Paging helpers ([`Client::graph_all`], [`Client::diff_all`], [`Client::rewrites_all`],
//! [`Client::events_all`]) follow cursors to the end; subscriptions ([`Client::watch_rewrites`],
//! [`Client::watch_events`]) are streams over graphql-transport-ws on `/graphql/ws`. A collapse
//! or a rebase ([`Client::collapse_sws`], [`Client::rebase_sws`]) answers with a
//! [`MergeReceipt`] either way: a conflict is an answer (`committed: false`), not an error.
//!
//! # Invariants
//! - The client never links the kernel; everything it knows comes through the API.
//! - A response with a GraphQL error is an error, never partial data.
//! - The client holds no state between calls besides its HTTP connection pool: every call is
//!   one request (or one request per page), and retries are the caller's, made safe by
//!   idempotency keys.

mod convert;
mod error;
mod input;
mod operations;
mod paging;
mod requests;
mod subscription;
pub mod types;
mod view;

#[cfg(test)]
mod tests;

pub use error::{Error, ErrorCode, ServerError, decode_http, decode_response};
pub use input::{EdgeFilter, GraphFilter, NodeFilter, Op, Page, WriteOptions, base64};
pub use paging::DEFAULT_PAGE_FIRST;
pub use subscription::{EventStream, HANDSHAKE_TIMEOUT, SUBPROTOCOL};
pub use types::{
    AppliedRewrite, ChangeKind, Collapsed, Conflict, ConflictKind, Edge, EdgeChange, EventKind,
    FsyncPolicy, GraphDiff, GraphDigest, GraphSnapshot, ItemKind, KernelInfo, LogCut, MergeReceipt,
    Node, NodeChange, Rebased, RewriteEvent, StorageInfo, StorageMode, Sws,
};
pub use view::{ParseViewError, Pin, StreamStart, U64, View, ViewRef, parse_sws_id};

/// Longest wait for the answer to one query or mutation (one page of a paging helper).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// A client of one daemon's GraphQL endpoint.
#[derive(Debug, Clone)]
pub struct Client {
    url: String,
    ws_url: String,
    http: reqwest::Client,
}

impl Client {
    /// A client of the GraphQL endpoint at `url` (e.g. `http://127.0.0.1:8080/graphql`); its
    /// subscriptions go to the same URL with `ws` for `http` and `/ws` appended.
    ///
    /// # Errors
    /// [`Error::Url`] when `url` is not an `http://` or `https://` URL; [`Error::Transport`] when
    /// the HTTP client cannot be set up.
    pub fn new(url: &str) -> Result<Client, Error> {
        let ws_url = subscription::ws_url_of(url)?;
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(Error::Transport)?;
        Ok(Client {
            url: url.to_owned(),
            ws_url,
            http,
        })
    }

    /// The GraphQL endpoint.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The WebSocket endpoint of subscriptions.
    #[must_use]
    pub fn ws_url(&self) -> &str {
        &self.ws_url
    }

    /// Posts operation `Q` with `variables` and returns its typed data.
    async fn run<Q: graphql_client::GraphQLQuery>(
        &self,
        variables: Q::Variables,
    ) -> Result<Q::ResponseData, Error> {
        let body = Q::build_query(variables);
        let response = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(Error::Transport)?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(Error::Transport)?;
        decode_http(status, &text)
    }
}
