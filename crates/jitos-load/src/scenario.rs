//! The scenarios: what one request sends and what its answer must contain.
//!
//! - `kernel-info`: `{ kernelInfo { version } }`, the cheapest query there is; its rate is the
//!   server's own ceiling (HTTP, JSON, GraphQL parsing and validation, no kernel work).
//! - `apply`: `applyRewrite` of one `AddNode` into an SWS the tool creates first, with a payload
//!   that is a counter unique within the run, so every request adds a new node and appends
//!   one event.
//!
//! # Invariants
//! - The query text of a scenario is fixed; only the variables change between requests.
//! - Within one run no two `apply` requests carry the same payload, so none is a no-op.
//! - An answer passes only if it carries the selected fields with the expected types.

use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::client::Client;

/// The trivial query, the baseline of every ratio.
const KERNEL_INFO: &str = "{ kernelInfo { version } }";

/// The measured mutation.
const APPLY: &str = "mutation Apply($swsId: ID!, $ops: [JSON!]!) { \
     applyRewrite(view: {kind: SWS, swsId: $swsId}, rewrite: {ops: $ops}) { \
     receipt { rewriteIdx viewDigest } } }";

/// Node kind of the nodes the `apply` scenario adds.
const NODE_KIND: &str = "load";

/// The scenarios, in the order a default run measures them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub(crate) enum Scenario {
    /// `{ kernelInfo { version } }`.
    KernelInfo,
    /// `applyRewrite` of one `AddNode` into an SWS.
    Apply,
}

impl Scenario {
    /// The name used on the command line and in reports.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Scenario::KernelInfo => "kernel-info",
            Scenario::Apply => "apply",
        }
    }
}

/// A scenario ready to send: its target SWS and payload counter, for `apply`.
#[derive(Debug)]
pub(crate) enum Workload {
    /// See [`Scenario::KernelInfo`].
    KernelInfo,
    /// See [`Scenario::Apply`].
    Apply {
        /// The SWS written, as the decimal id the API uses.
        sws_id: String,
        /// The next payload; every request takes one.
        next_payload: AtomicU64,
    },
}

impl Workload {
    /// The JSON body of the next request.
    pub(crate) fn body(&self) -> String {
        match self {
            Workload::KernelInfo => json!({ "query": KERNEL_INFO }).to_string(),
            Workload::Apply {
                sws_id,
                next_payload,
            } => {
                let payload = next_payload.fetch_add(1, Ordering::Relaxed);
                let payload_b64 =
                    base64::engine::general_purpose::STANDARD.encode(payload.to_be_bytes());
                let op = json!({
                    "op": "AddNode",
                    "data": { "kind": NODE_KIND, "payload_b64": payload_b64 },
                });
                json!({ "query": APPLY, "variables": { "swsId": sws_id, "ops": [op] } }).to_string()
            }
        }
    }

    /// Whether `data` is a complete answer to this scenario's request.
    pub(crate) fn check(&self, data: &Value) -> Result<(), String> {
        let complete = match self {
            Workload::KernelInfo => data["kernelInfo"]["version"].is_string(),
            Workload::Apply { .. } => {
                let receipt = &data["applyRewrite"]["receipt"];
                let idx_ok = receipt["rewriteIdx"]
                    .as_str()
                    .is_some_and(|idx| idx.parse::<u64>().is_ok());
                let digest_ok = receipt["viewDigest"]
                    .as_str()
                    .is_some_and(|digest| digest.len() == 64);
                idx_ok && digest_ok
            }
        };
        if complete {
            Ok(())
        } else {
            Err(format!("incomplete answer: {data}"))
        }
    }
}

/// Creates the SWS the `apply` scenario writes and returns its workload.
pub(crate) async fn prepare_apply(client: &Client) -> anyhow::Result<Workload> {
    let data = client
        .post(json!({ "query": "mutation { createSws { sws { id } } }" }).to_string())
        .await
        .map_err(|error| anyhow::anyhow!("createSws failed: {error}"))?;
    let sws_id = data["createSws"]["sws"]["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("createSws answered without an id: {data}"))?
        .to_owned();
    Ok(Workload::Apply {
        sws_id,
        next_payload: AtomicU64::new(0),
    })
}

/// The daemon's `kernelInfo { eventCount }`.
pub(crate) async fn event_count(client: &Client) -> anyhow::Result<u64> {
    let data = client
        .post(json!({ "query": "{ kernelInfo { eventCount } }" }).to_string())
        .await
        .map_err(|error| anyhow::anyhow!("kernelInfo failed: {error}"))?;
    data["kernelInfo"]["eventCount"]
        .as_str()
        .and_then(|count| count.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("kernelInfo answered without an eventCount: {data}"))
}
