//! What calls take besides views: pages, filters, write options, and the rewrite ops.
//!
//! # Invariants
//! - A field left `None` is left out of the request, so the schema's default applies (a page of
//!   200, no filter, no metadata, no idempotency key).
//! - [`Op`] serializes to exactly the `{op, data}` object of `schema/ops/NAME.v0.json`, with
//!   no other field; an edge without payload has no `payload_b64` key at all.

use base64::Engine as _;
use serde::Serialize;

/// A page request: at most `first` items after the cursor `after`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// How many items; the server's default (200) when `None`.
    pub first: Option<i64>,
    /// The last id (hex) or idx (decimal) of the previous page.
    pub after: Option<String>,
}

impl Page {
    /// The first `first` items.
    #[must_use]
    pub fn first(first: i64) -> Page {
        Page {
            first: Some(first),
            after: None,
        }
    }

    /// The same page size, after `cursor`.
    #[must_use]
    pub fn after(self, cursor: impl Into<String>) -> Page {
        Page {
            after: Some(cursor.into()),
            ..self
        }
    }
}

/// `NodeFilterInput`: which nodes a graph read lists. `None` does not restrict.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeFilter {
    /// Only nodes of these kinds (an empty list matches nothing).
    pub kinds: Option<Vec<String>>,
    /// Only nodes whose data has these keys (reserved by the schema).
    pub has_keys: Option<Vec<String>>,
}

/// `EdgeFilterInput`: which edges a graph read lists. `None` does not restrict.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EdgeFilter {
    /// Only edges of these kinds (an empty list matches nothing).
    pub kinds: Option<Vec<String>>,
    /// Only edges leaving this node id.
    pub from: Option<String>,
    /// Only edges entering this node id.
    pub to: Option<String>,
}

/// Both filters of a graph read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphFilter {
    /// Which nodes; `None` sends no node filter.
    pub nodes: Option<NodeFilter>,
    /// Which edges; `None` sends no edge filter.
    pub edges: Option<EdgeFilter>,
}

/// What every write may carry besides its own arguments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteOptions {
    /// Caller metadata, recorded with the event.
    pub meta: Option<serde_json::Value>,
    /// Makes a retry safe: the same key with the same input returns the original payload and
    /// appends nothing; the same key with another input is `CONFLICT`.
    pub idempotency_key: Option<String>,
}

impl WriteOptions {
    /// Options with this idempotency key.
    #[must_use]
    pub fn idempotent(key: impl Into<String>) -> WriteOptions {
        WriteOptions {
            meta: None,
            idempotency_key: Some(key.into()),
        }
    }
}

/// A rewrite op of contract §7, as `{"op": NAME, "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", content = "data")]
#[non_exhaustive]
pub enum Op {
    /// Adds a node.
    AddNode {
        /// The node kind.
        kind: String,
        /// The payload as standard base64 with padding.
        payload_b64: String,
    },
    /// Adds an edge; both ends must be in the view once the rewrite applied.
    AddEdge {
        /// Id of the node the edge leaves.
        from: String,
        /// Id of the node the edge enters.
        to: String,
        /// The edge kind.
        kind: String,
        /// The payload as standard base64, or `None` for an edge without payload.
        #[serde(skip_serializing_if = "Option::is_none")]
        payload_b64: Option<String>,
    },
    /// Removes a node that no edge touches once the rewrite applied.
    RemoveNode {
        /// Id of the node.
        id: String,
    },
    /// Removes an edge.
    RemoveEdge {
        /// Id of the edge.
        id: String,
    },
}

/// `bytes` as RFC 4648 standard base64 with padding, the API's form.
#[must_use]
pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl Op {
    /// `AddNode` of `kind` with `payload`.
    #[must_use]
    pub fn add_node(kind: impl Into<String>, payload: &[u8]) -> Op {
        Op::AddNode {
            kind: kind.into(),
            payload_b64: base64(payload),
        }
    }

    /// `AddEdge` from `from` to `to` of `kind`, with `payload` or none.
    #[must_use]
    pub fn add_edge(
        from: impl Into<String>,
        to: impl Into<String>,
        kind: impl Into<String>,
        payload: Option<&[u8]>,
    ) -> Op {
        Op::AddEdge {
            from: from.into(),
            to: to.into(),
            kind: kind.into(),
            payload_b64: payload.map(base64),
        }
    }

    /// `RemoveNode` of `id`.
    #[must_use]
    pub fn remove_node(id: impl Into<String>) -> Op {
        Op::RemoveNode { id: id.into() }
    }

    /// `RemoveEdge` of `id`.
    #[must_use]
    pub fn remove_edge(id: impl Into<String>) -> Op {
        Op::RemoveEdge { id: id.into() }
    }

    /// The op as the JSON object the API takes.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("an op of plain strings serializes to JSON")
    }
}
