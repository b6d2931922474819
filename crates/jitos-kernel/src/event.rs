//! Events: the entries of the global log, and their canonical encoding.
//!
//! An event records what a command did: its kind, the view it targeted, its validated ops in
//! canonical form, the caller's meta, the discard reason when there is one, the outcome of a
//! collapse or rebase, and the digest of the view right after it. Its id is blake3 of its
//! canonical CBOR (`docs/spec/events.md`, `docs/spec/collapse.md`).
//!
//! # Invariants
//! - `encode` is a pure function of the event; equal events have equal bytes and equal ids.
//! - Every byte string (payloads, digests) is a CBOR byte string, never text or an int array.

use base64::Engine as _;
use jitos_core::cbor::{self, Value, write};
use jitos_core::{EncodeError, Hash};
use jitos_schema::Json;
use jitos_schema::enums::EventKind;
use jitos_schema::ops::{Op, RemoveEdge, RemoveNode};

use crate::merge::Conflict;
use crate::view::ViewKey;

/// Version of the event encoding, the `v` field.
pub const EVENT_FORMAT_VERSION: u64 = 0;

/// One entry of the global log.
///
/// The four fields most events lack (meta, reason, idempotency key, outcome) are held out of
/// line: a log holds millions of events, nearly all rewrites without them, and each pays only
/// a pointer for them (168 bytes in all, not 296).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Position in the log, from 0.
    pub idx: u64,
    /// What happened.
    pub kind: EventKind,
    /// The view the event targets.
    pub view: ViewKey,
    /// The validated ops (empty for events other than rewrites).
    pub ops: Vec<Op>,
    /// The caller's meta, in canonical form: as it reads back from the encoding (an integral
    /// float such as `2.0` is the integer `2`), so it is the same before and after a restart.
    pub meta: Option<Box<Json>>,
    /// Why an SWS was discarded (DISCARD events only).
    pub reason: Option<Box<str>>,
    /// The caller's idempotency key, if it gave one.
    pub idempotency_key: Option<Box<str>>,
    /// What a COLLAPSE or REBASE event's merge decided (`None` for other kinds).
    pub outcome: Option<Box<Outcome>>,
    /// The digest of `view` right after the event.
    pub view_digest: Hash,
    /// blake3 of the canonical encoding of everything above.
    pub id: Hash,
}

/// Everything an event records but its position, its view digest and its id.
#[derive(Debug, Clone, PartialEq)]
pub struct EventParts {
    /// What happened.
    pub kind: EventKind,
    /// The view the event targets.
    pub view: ViewKey,
    /// The validated ops.
    pub ops: Vec<Op>,
    /// The caller's meta.
    pub meta: Option<Json>,
    /// The discard reason.
    pub reason: Option<String>,
    /// The caller's idempotency key.
    pub idempotency_key: Option<String>,
    /// The merge outcome of a COLLAPSE or REBASE.
    pub outcome: Option<Outcome>,
}

/// What the merge of a COLLAPSE or REBASE event decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Whether the merge happened: no conflict.
    pub committed: bool,
    /// Every conflict, sorted; empty when committed.
    pub conflicts: Vec<Conflict>,
    /// System's digest at the SWS's base when the merge started.
    pub base_digest: Hash,
    /// System's digest right after the event.
    pub system_digest: Hash,
}

impl Outcome {
    /// `{committed, conflicts, base_digest, system_digest}`, each conflict as
    /// `{kind, subject, id, system_id}` with kind and subject as their API names.
    pub fn to_cbor(&self) -> Value {
        let text = |t: &str| Value::text(t);
        let conflicts = self.conflicts.iter().map(|conflict| {
            Value::map([
                (text("kind"), text(conflict.kind.as_str())),
                (text("subject"), text(conflict.subject.as_str())),
                (text("id"), Value::from(conflict.id)),
                (text("system_id"), Value::from(conflict.system_id)),
            ])
            .unwrap_or(Value::Null)
        });
        Value::map([
            (text("committed"), Value::from(self.committed)),
            (text("conflicts"), Value::array(conflicts)),
            (text("base_digest"), Value::from(self.base_digest)),
            (text("system_digest"), Value::from(self.system_digest)),
        ])
        .unwrap_or(Value::Null)
    }
}

/// Why an event could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventEncodeError {
    /// The meta nests deeper than the canonical encoding allows.
    #[error("meta: {0}")]
    Meta(EncodeError),
}

impl Event {
    /// Builds event `idx` and computes its id.
    ///
    /// # Errors
    /// When the meta cannot be encoded canonically (too deep).
    pub fn new(idx: u64, parts: EventParts, view_digest: Hash) -> Result<Event, EventEncodeError> {
        Event::new_encoded(idx, parts, view_digest).map(|(event, _)| event)
    }

    /// As [`Event::new`], also returning the event's canonical bytes (whose hash is its id).
    ///
    /// # Errors
    /// As [`Event::new`].
    pub(crate) fn new_encoded(
        idx: u64,
        parts: EventParts,
        view_digest: Hash,
    ) -> Result<(Event, Vec<u8>), EventEncodeError> {
        let meta = parts.meta.as_ref().map(canonical_meta).transpose()?;
        let parts = EventParts { meta, ..parts };
        let mut event = Event::with_parts(idx, parts, view_digest, Hash::ZERO);
        let bytes = event.encode()?;
        event.id = jitos_core::hash_bytes(&bytes);
        Ok((event, bytes))
    }

    /// The event that `bytes` encode, made from the fields a strict reader took from them:
    /// its id is the hash of `bytes`, which are not encoded again. The caller answers for
    /// `bytes` being the event's one encoding (`decode::read_event`, which takes this path
    /// only for an event without meta or outcome, every byte of which its reader checks);
    /// debug builds encode it again and compare. `bytes_hash`, if given, is `blake3(bytes)`.
    pub(crate) fn from_canonical(
        idx: u64,
        parts: EventParts,
        view_digest: Hash,
        bytes: &[u8],
        bytes_hash: Option<Hash>,
    ) -> Event {
        debug_assert!(bytes_hash.is_none_or(|hash| hash == jitos_core::hash_bytes(bytes)));
        let id = bytes_hash.unwrap_or_else(|| jitos_core::hash_bytes(bytes));
        let event = Event::with_parts(idx, parts, view_digest, id);
        debug_assert!(
            event.encode().is_ok_and(|encoded| encoded == bytes),
            "from_canonical given bytes that are not the event's encoding"
        );
        event
    }

    /// Event `idx` of `parts`, with `view_digest` and `id` as given.
    fn with_parts(idx: u64, parts: EventParts, view_digest: Hash, id: Hash) -> Event {
        let EventParts {
            kind,
            view,
            ops,
            meta,
            reason,
            idempotency_key,
            outcome,
        } = parts;
        Event {
            idx,
            kind,
            view,
            ops,
            meta: meta.map(Box::new),
            reason: reason.map(String::into_boxed_str),
            idempotency_key: idempotency_key.map(String::into_boxed_str),
            outcome: outcome.map(Box::new),
            view_digest,
            id,
        }
    }

    /// The canonical CBOR of the event (without its id, which is the hash of these bytes).
    ///
    /// Written straight into the buffer in canonical key order, without building a `Value`
    /// tree (the hot path of every write); the meta and the outcome, which have no fixed
    /// shape, go through `Value`. `tests::streamed_encoding_is_the_value_encoding` checks the
    /// bytes against encoding the same event as a `Value` map, which sorts its keys itself.
    ///
    /// # Errors
    /// When the meta cannot be encoded canonically (too deep).
    pub fn encode(&self) -> Result<Vec<u8>, EventEncodeError> {
        let payload_bytes: usize = self.ops.iter().map(op_payload_len).sum();
        let mut out = Vec::with_capacity(192 + payload_bytes);
        write::map_head(&mut out, 10);
        write::text(&mut out, "v");
        write::uint(&mut out, EVENT_FORMAT_VERSION);
        write::text(&mut out, "idx");
        write::uint(&mut out, self.idx);
        write::text(&mut out, "ops");
        write::array_head(&mut out, self.ops.len());
        for op in &self.ops {
            write_op(&mut out, op);
        }
        write::text(&mut out, "kind");
        write::text(&mut out, self.kind.as_str());
        write::text(&mut out, "meta");
        // Inside the event map: one container deep, as the depth limit counts it.
        cbor::encode_nested_into(&meta_to_cbor(self.meta.as_deref())?, &mut out, 1)
            .map_err(EventEncodeError::Meta)?;
        write::text(&mut out, "view");
        write_view(&mut out, self.view);
        write::text(&mut out, "reason");
        write_optional_text(&mut out, self.reason.as_deref());
        write::text(&mut out, "outcome");
        match &self.outcome {
            Some(outcome) => cbor::encode_nested_into(&outcome.to_cbor(), &mut out, 1)
                .map_err(EventEncodeError::Meta)?,
            None => write::null(&mut out),
        }
        write::text(&mut out, "view_digest");
        write::bytes(&mut out, self.view_digest.as_bytes());
        write::text(&mut out, "idempotency_key");
        write_optional_text(&mut out, self.idempotency_key.as_deref());
        Ok(out)
    }

    /// Whether the event belongs to `view`'s history, as `rewrites(view)` lists it: the view it
    /// targets, and System for every commit boundary (COLLAPSE, REBASE, DISCARD).
    pub fn concerns(&self, view: ViewKey) -> bool {
        self.view == view
            || (view == ViewKey::System
                && matches!(
                    self.kind,
                    EventKind::Collapse | EventKind::Rebase | EventKind::Discard
                ))
    }

    /// What the caller asked for (see [`Request`]).
    pub fn request(&self) -> Request<'_> {
        Request {
            kind: self.kind,
            // A creation's view is its outcome, not part of the request; so are a merge's ops.
            view: (self.kind != EventKind::SwsCreate).then_some(self.view),
            ops: match self.kind {
                EventKind::Collapse | EventKind::Rebase => &[],
                _ => &self.ops,
            },
            meta: self.meta.as_deref(),
            reason: self.reason.as_deref(),
        }
    }
}

/// The request behind an event: what a retry must repeat exactly to count as the same request
/// (`docs/spec/events.md`, "Idempotency").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Request<'a> {
    /// The kind of event it asks for.
    pub kind: EventKind,
    /// The view it names, if it names one.
    pub view: Option<ViewKey>,
    /// Its ops.
    pub ops: &'a [Op],
    /// Its meta.
    pub meta: Option<&'a Json>,
    /// Its discard reason.
    pub reason: Option<&'a str>,
}

impl Request<'_> {
    /// blake3 of the canonical CBOR map `{kind, view, ops, meta, reason}` (`view` null when
    /// the request names none).
    ///
    /// # Errors
    /// When the meta cannot be encoded canonically (too deep).
    pub fn digest(&self) -> Result<Hash, EventEncodeError> {
        let text = |t: &str| Value::text(t);
        let entries = vec![
            (text("kind"), text(self.kind.as_str())),
            (
                text("view"),
                self.view.map_or(Value::Null, ViewKey::to_cbor),
            ),
            (text("ops"), Value::array(self.ops.iter().map(op_to_cbor))),
            (text("meta"), meta_to_cbor(self.meta)?),
            (text("reason"), optional_text(self.reason)),
        ];
        let value = Value::map(entries).map_err(EventEncodeError::Meta)?;
        let bytes = cbor::encode(&value).map_err(EventEncodeError::Meta)?;
        Ok(jitos_core::hash_bytes(&bytes))
    }
}

/// `meta` as it reads back from its canonical encoding (see [`Event::meta`]).
fn canonical_meta(meta: &Json) -> Result<Json, EventEncodeError> {
    let value = json_to_cbor(meta).map_err(EventEncodeError::Meta)?;
    // Every CBOR value made from JSON converts back; the fallback is unreachable.
    Ok(crate::decode::cbor_to_json(&value, "meta").unwrap_or_else(|_| meta.clone()))
}

/// The payload bytes an op carries, to size an encoding buffer.
fn op_payload_len(op: &Op) -> usize {
    match op {
        Op::AddNode(add) => add.payload.len(),
        Op::AddEdge(add) => add.payload.as_ref().map_or(0, Vec::len),
        Op::RemoveNode(_) | Op::RemoveEdge(_) => 0,
    }
}

/// Writes [`op_to_cbor`]'s encoding: `{"op": name, "data": {...}}`, keys in canonical order
/// (shorter first: "op" before "data"; "to", "from", "kind", "payload").
fn write_op(out: &mut Vec<u8>, op: &Op) {
    write::map_head(out, 2);
    write::text(out, "op");
    write::text(out, op.name());
    write::text(out, "data");
    match op {
        Op::AddNode(add) => {
            write::map_head(out, 2);
            write::text(out, "kind");
            write::text(out, &add.kind);
            write::text(out, "payload");
            write::bytes(out, &add.payload);
        }
        Op::AddEdge(add) => {
            write::map_head(out, 4);
            write::text(out, "to");
            write::bytes(out, &add.to);
            write::text(out, "from");
            write::bytes(out, &add.from);
            write::text(out, "kind");
            write::text(out, &add.kind);
            write::text(out, "payload");
            match &add.payload {
                Some(payload) => write::bytes(out, payload),
                None => write::null(out),
            }
        }
        Op::RemoveNode(RemoveNode { id }) | Op::RemoveEdge(RemoveEdge { id }) => {
            write::map_head(out, 1);
            write::text(out, "id");
            write::bytes(out, id);
        }
    }
}

/// Writes [`ViewKey::to_cbor`]'s encoding.
fn write_view(out: &mut Vec<u8>, view: ViewKey) {
    match view {
        ViewKey::System => {
            write::map_head(out, 1);
            write::text(out, "kind");
            write::text(out, "SYSTEM");
        }
        ViewKey::Sws(id) => {
            write::map_head(out, 2);
            write::text(out, "kind");
            write::text(out, "SWS");
            write::text(out, "sws_id");
            write::uint(out, id);
        }
    }
}

fn write_optional_text(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(text) => write::text(out, text),
        None => write::null(out),
    }
}

/// Whether an event holding `meta` encodes, checked before a command changes anything: the
/// meta is encoded nested in a map, one level deep, as an event holds it, so this fails
/// exactly when [`Event::new`] would.
///
/// # Errors
/// As [`Event::new`].
pub(crate) fn check_meta(meta: Option<&Json>) -> Result<(), EventEncodeError> {
    let Some(meta) = meta else {
        return Ok(());
    };
    let held = Value::map(vec![(Value::text("meta"), meta_to_cbor(Some(meta))?)])
        .map_err(EventEncodeError::Meta)?;
    cbor::encode(&held)
        .map(drop)
        .map_err(EventEncodeError::Meta)
}

fn meta_to_cbor(meta: Option<&Json>) -> Result<Value, EventEncodeError> {
    meta.map_or(Ok(Value::Null), |meta| {
        json_to_cbor(meta).map_err(EventEncodeError::Meta)
    })
}

fn optional_text(text: Option<&str>) -> Value {
    text.map_or(Value::Null, Value::text)
}

/// The canonical CBOR of an op: `{"op": NAME, "data": {...}}`, payloads as byte strings.
pub fn op_to_cbor(op: &Op) -> Value {
    let hash = |bytes: &[u8; 32]| Value::from(Hash::from_bytes(*bytes));
    let data = match op {
        Op::AddNode(add) => vec![
            (Value::text("kind"), Value::text(add.kind.as_str())),
            (Value::text("payload"), Value::bytes(add.payload.clone())),
        ],
        Op::AddEdge(add) => vec![
            (Value::text("from"), hash(&add.from)),
            (Value::text("to"), hash(&add.to)),
            (Value::text("kind"), Value::text(add.kind.as_str())),
            (
                Value::text("payload"),
                add.payload.clone().map_or(Value::Null, Value::bytes),
            ),
        ],
        Op::RemoveNode(remove) => vec![(Value::text("id"), hash(&remove.id))],
        Op::RemoveEdge(remove) => vec![(Value::text("id"), hash(&remove.id))],
    };
    let data = Value::map(data).unwrap_or(Value::Null);
    Value::map([
        (Value::text("op"), Value::text(op.name())),
        (Value::text("data"), data),
    ])
    .unwrap_or(Value::Null)
}

/// JSON to canonical CBOR: integers stay integers, other numbers follow the float rules of
/// contract §1, objects become maps with keys sorted by their encoded bytes.
///
/// # Errors
/// When the value nests deeper than the encoding allows.
pub fn json_to_cbor(json: &Json) -> Result<Value, EncodeError> {
    json_to_cbor_at(json, 0)
}

fn json_to_cbor_at(json: &Json, depth: usize) -> Result<Value, EncodeError> {
    if depth > jitos_core::limits::CBOR_DEPTH_MAX {
        return Err(EncodeError::DepthExceeded);
    }
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(flag) => Value::from(*flag),
        Json::Number(number) => match (number.as_u64(), number.as_i64(), number.as_f64()) {
            (Some(unsigned), _, _) => Value::from(unsigned),
            (None, Some(signed), _) => Value::from(signed),
            (None, None, Some(float)) => Value::float(float),
            (None, None, None) => Value::Null,
        },
        Json::String(text) => Value::text(text.as_str()),
        Json::Array(items) => Value::array(
            items
                .iter()
                .map(|item| json_to_cbor_at(item, depth + 1))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Json::Object(map) => {
            let entries = map
                .iter()
                .map(|(key, value)| {
                    Ok((
                        Value::text(key.as_str()),
                        json_to_cbor_at(value, depth + 1)?,
                    ))
                })
                .collect::<Result<Vec<_>, EncodeError>>()?;
            Value::map(entries)?
        }
    })
}

/// Standard base64 with padding, the API's text form of bytes.
pub(crate) fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests;
