//! Reading an event back from its canonical bytes (`docs/spec/events.md`): what boot and
//! verification do with each record of a persisted log (M4).
//!
//! The decoder is strict: the bytes must be canonical CBOR (jitos-core's decoder), the map must
//! hold exactly the event's keys with values of the right shapes, and the decoded event must
//! encode back to the very same bytes. Its id is blake3 of those bytes.
//!
//! # Invariants
//! - `decode(&event.encode()?)` equals `event` for every event the kernel makes (meta is kept
//!   in its canonical form, `Event::new`), and `decode(b)` succeeding implies
//!   `decode(b)?.encode()? == b`.
//! - Decoding never panics, whatever the input.

use std::fmt::Display;

use jitos_core::cbor::{self, Map, Reader, Value};
use jitos_core::{DecodeError, Hash};
use jitos_schema::Json;
use jitos_schema::enums::{ConflictKind, EventKind, ItemKind};
use jitos_schema::ops::{AddEdge, AddNode, Op, RemoveEdge, RemoveNode};

use crate::event::{EVENT_FORMAT_VERSION, Event, EventParts, Outcome};
use crate::merge::Conflict;
use crate::view::ViewKey;

/// Why bytes are not an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventDecodeError {
    /// Not canonical CBOR.
    #[error("event: {0}")]
    Cbor(#[from] DecodeError),
    /// Canonical CBOR, but not an event: `field` names where (e.g. `ops[2].data.from`).
    #[error("event: {field}: {problem}")]
    Shape {
        /// Where in the event.
        field: String,
        /// What is wrong there.
        problem: &'static str,
    },
    /// An event of a format version this kernel does not read.
    #[error("event: format version {0} (this kernel reads {EVENT_FORMAT_VERSION})")]
    Version(u64),
    /// The decoded event does not encode back to the same bytes.
    #[error("event: the bytes are not the encoding of the event they decode to")]
    NotCanonical,
}

/// The keys of an event map, in canonical order.
const EVENT_KEYS: [&str; 10] = [
    "v",
    "idx",
    "ops",
    "kind",
    "meta",
    "view",
    "reason",
    "outcome",
    "view_digest",
    "idempotency_key",
];

pub(crate) fn shape(field: impl Display, problem: &'static str) -> EventDecodeError {
    EventDecodeError::Shape {
        field: field.to_string(),
        problem,
    }
}

/// The path `parent.key` of a field, written out only when an error names it: decoding a
/// record walks many fields, and formatting each path up front cost a fifth of the decode.
#[derive(Clone, Copy)]
pub(crate) struct Dotted<'a, P>(pub(crate) P, pub(crate) &'a str);

impl<P: Display> Display for Dotted<'_, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// The path `list[i]` of a list item, written out only when an error names it.
#[derive(Clone, Copy)]
pub(crate) struct Indexed<'a>(pub(crate) &'a str, pub(crate) usize);

impl Display for Indexed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}]", self.0, self.1)
    }
}

/// The event whose canonical encoding is `bytes`.
///
/// # Errors
/// See [`EventDecodeError`].
pub fn decode_event(bytes: &[u8]) -> Result<Event, EventDecodeError> {
    decode_event_hashed(bytes, None)
}

/// [`decode_event`], given `blake3(bytes)` if the caller computed it (the event's id, should
/// the bytes be an event): a start hashes the bodies of many records at once.
pub(crate) fn decode_event_hashed(
    bytes: &[u8],
    bytes_hash: Option<Hash>,
) -> Result<Event, EventDecodeError> {
    match read_event(bytes, bytes_hash) {
        Some(event) => Ok(event),
        None => decode_event_strictly(bytes),
    }
}

/// The event `bytes` encode, read in place (no `Value` tree): the path of every record a
/// start replays. `None` for anything but an event this kernel would write, whose error
/// [`decode_event_strictly`] then names. Only the meta and the outcome, which have no fixed
/// shape, become `Value`s. The fields are read in the order the encoder writes them, each in
/// its canonical form ([`Reader`]); an event with a meta or an outcome is also encoded again
/// and compared. So what this accepts is exactly what the strict decoder accepts
/// (`tests::reading_in_place_agrees_with_the_strict_decoder`).
fn read_event(bytes: &[u8], bytes_hash: Option<Hash>) -> Option<Event> {
    let mut reader = Reader::new(bytes);
    let r = &mut reader;
    expect(r.map_len()? == EVENT_KEYS.len() as u64)?;
    key(r, EVENT_KEYS[0])?;
    expect(r.unsigned()? == EVENT_FORMAT_VERSION)?;
    key(r, EVENT_KEYS[1])?;
    let idx = r.unsigned()?;
    key(r, EVENT_KEYS[2])?;
    let n_ops = r.array_len()?;
    let mut ops = Vec::with_capacity(usize::try_from(n_ops).ok()?.min(bytes.len()));
    for _ in 0..n_ops {
        ops.push(read_op(r)?);
    }
    key(r, EVENT_KEYS[3])?;
    let kind = EventKind::from_name(r.text()?)?;
    key(r, EVENT_KEYS[4])?;
    let meta = match r.null() {
        true => None,
        false => Some(cbor_to_json(&r.value(1)?, "meta").ok()?),
    };
    key(r, EVENT_KEYS[5])?;
    let view = read_view(r)?;
    key(r, EVENT_KEYS[6])?;
    let reason = read_optional_text(r)?;
    key(r, EVENT_KEYS[7])?;
    let outcome = match r.null() {
        true => None,
        false => Some(decode_outcome(&r.value(1)?).ok()?),
    };
    key(r, EVENT_KEYS[8])?;
    let view_digest = Hash::from_bytes(r.bytes()?.try_into().ok()?);
    key(r, EVENT_KEYS[9])?;
    let idempotency_key = read_optional_text(r)?;
    expect(r.is_at_end())?;
    let shapeless = meta.is_none() && outcome.is_none();
    let parts = EventParts {
        kind,
        view,
        ops,
        meta,
        reason,
        idempotency_key,
        outcome,
    };
    if shapeless {
        // Every byte was read in its one canonical form (shortest heads, the exact keys in
        // canonical order, nothing after): `bytes` are the encoding, no need to make it again.
        return Some(Event::from_canonical(
            idx,
            parts,
            view_digest,
            bytes,
            bytes_hash,
        ));
    }
    // A meta or an outcome went through `Value` and JSON: the encoding proves them canonical.
    let (event, encoded) = Event::new_encoded(idx, parts, view_digest).ok()?;
    expect(encoded == bytes)?;
    Some(event)
}

/// `Some` when `condition` holds: a `?`-able check.
fn expect(condition: bool) -> Option<()> {
    condition.then_some(())
}

/// Reads the text `name`: a map's next key.
fn key(r: &mut Reader<'_>, name: &str) -> Option<()> {
    r.expect_text(name)
}

/// An op, as `write_op` writes it.
fn read_op(r: &mut Reader<'_>) -> Option<Op> {
    expect(r.map_len()? == 2)?;
    key(r, "op")?;
    let name = r.text()?;
    key(r, "data")?;
    let data_len = r.map_len()?;
    let id = |r: &mut Reader<'_>| <[u8; 32]>::try_from(r.bytes()?).ok();
    Some(match (name, data_len) {
        ("AddNode", 2) => {
            key(r, "kind")?;
            let kind = r.text()?.to_owned();
            key(r, "payload")?;
            let payload = r.bytes()?.to_vec();
            Op::AddNode(AddNode { kind, payload })
        }
        ("AddEdge", 4) => {
            key(r, "to")?;
            let to = id(r)?;
            key(r, "from")?;
            let from = id(r)?;
            key(r, "kind")?;
            let kind = r.text()?.to_owned();
            key(r, "payload")?;
            let payload = match r.null() {
                true => None,
                false => Some(r.bytes()?.to_vec()),
            };
            Op::AddEdge(AddEdge {
                from,
                to,
                kind,
                payload,
            })
        }
        ("RemoveNode", 1) => {
            key(r, "id")?;
            Op::RemoveNode(RemoveNode { id: id(r)? })
        }
        ("RemoveEdge", 1) => {
            key(r, "id")?;
            Op::RemoveEdge(RemoveEdge { id: id(r)? })
        }
        _ => return None,
    })
}

/// A view, as `write_view` writes it.
fn read_view(r: &mut Reader<'_>) -> Option<ViewKey> {
    let len = r.map_len()?;
    key(r, "kind")?;
    match (r.text()?, len) {
        ("SYSTEM", 1) => Some(ViewKey::System),
        ("SWS", 2) => {
            key(r, "sws_id")?;
            Some(ViewKey::Sws(r.unsigned()?))
        }
        _ => None,
    }
}

/// `null` or a text.
fn read_optional_text(r: &mut Reader<'_>) -> Option<Option<String>> {
    match r.null() {
        true => Some(None),
        false => Some(Some(r.text()?.to_owned())),
    }
}

/// As [`decode_event`], through a `Value` tree: the decoder that names what is wrong.
fn decode_event_strictly(bytes: &[u8]) -> Result<Event, EventDecodeError> {
    let value = cbor::decode(bytes)?;
    let map = value.as_map().ok_or_else(|| shape("event", "not a map"))?;
    let expected_keys = EVENT_KEYS.iter().map(|key| Some(*key));
    if map.len() != EVENT_KEYS.len() || !map.iter().map(|(k, _)| k.as_text()).eq(expected_keys) {
        return Err(shape("event", "not exactly the keys of an event"));
    }
    let field = |key: &str| map.get_text(key).unwrap_or(&Value::Null);
    let version = unsigned(field("v"), "v")?;
    if version != EVENT_FORMAT_VERSION {
        return Err(EventDecodeError::Version(version));
    }
    let kind = field("kind")
        .as_text()
        .and_then(EventKind::from_name)
        .ok_or_else(|| shape("kind", "not an event kind"))?;
    let ops = field("ops")
        .as_array()
        .ok_or_else(|| shape("ops", "not an array"))?
        .iter()
        .enumerate()
        .map(|(i, op)| decode_op(op, Indexed("ops", i)))
        .collect::<Result<Vec<Op>, _>>()?;
    let parts = EventParts {
        kind,
        view: decode_view(field("view"))?,
        ops,
        meta: optional(field("meta"), |meta| cbor_to_json(meta, "meta"))?,
        reason: optional_text(field("reason"), "reason")?,
        idempotency_key: optional_text(field("idempotency_key"), "idempotency_key")?,
        outcome: optional(field("outcome"), decode_outcome)?,
    };
    let view_digest = hash(field("view_digest"), "view_digest")?;
    let (event, encoded) = Event::new_encoded(unsigned(field("idx"), "idx")?, parts, view_digest)
        .map_err(|_| shape("meta", "nests too deep"))?;
    if encoded != bytes {
        return Err(EventDecodeError::NotCanonical);
    }
    Ok(event)
}

pub(crate) fn unsigned(value: &Value, field: impl Display) -> Result<u64, EventDecodeError> {
    match value {
        Value::Unsigned(n) => Ok(*n),
        _ => Err(shape(field, "not an unsigned integer")),
    }
}

pub(crate) fn hash(value: &Value, field: impl Display) -> Result<Hash, EventDecodeError> {
    let bytes = value.as_bytes().ok_or_else(|| shape(&field, "not bytes"))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| shape(&field, "not 32 bytes"))?;
    Ok(Hash::from_bytes(bytes))
}

pub(crate) fn text(value: &Value, field: impl Display) -> Result<String, EventDecodeError> {
    value
        .as_text()
        .map(str::to_owned)
        .ok_or_else(|| shape(field, "not text"))
}

pub(crate) fn optional<T>(
    value: &Value,
    read: impl FnOnce(&Value) -> Result<T, EventDecodeError>,
) -> Result<Option<T>, EventDecodeError> {
    match value {
        Value::Null => Ok(None),
        value => read(value).map(Some),
    }
}

fn optional_text(value: &Value, field: impl Display) -> Result<Option<String>, EventDecodeError> {
    optional(value, |value| text(value, field))
}

pub(crate) fn map_at(value: &Value, field: impl Display) -> Result<&Map, EventDecodeError> {
    value.as_map().ok_or_else(|| shape(field, "not a map"))
}

pub(crate) fn entry<'v>(
    map: &'v Map,
    key: &str,
    field: impl Display,
) -> Result<&'v Value, EventDecodeError> {
    map.get_text(key)
        .ok_or_else(|| shape(Dotted(field, key), "missing"))
}

fn decode_view(value: &Value) -> Result<ViewKey, EventDecodeError> {
    let map = map_at(value, "view")?;
    let view = match entry(map, "kind", "view")?.as_text() {
        Some("SYSTEM") if map.len() == 1 => ViewKey::System,
        Some("SWS") if map.len() == 2 => {
            ViewKey::Sws(unsigned(entry(map, "sws_id", "view")?, "view.sws_id")?)
        }
        _ => return Err(shape("view", "not a view")),
    };
    Ok(view)
}

pub(crate) fn decode_op(value: &Value, field: impl Display + Copy) -> Result<Op, EventDecodeError> {
    let map = map_at(value, field)?;
    let data_field = Dotted(field, "data");
    let data = map_at(entry(map, "data", field)?, data_field)?;
    let get = |key: &str| entry(data, key, data_field);
    let id = |key: &str| {
        Ok::<_, EventDecodeError>(*hash(get(key)?, Dotted(data_field, key))?.as_bytes())
    };
    let op = match entry(map, "op", field)?.as_text() {
        Some("AddNode") => Op::AddNode(AddNode {
            kind: text(get("kind")?, Dotted(data_field, "kind"))?,
            payload: bytes(get("payload")?, Dotted(data_field, "payload"))?,
        }),
        Some("AddEdge") => Op::AddEdge(AddEdge {
            from: id("from")?,
            to: id("to")?,
            kind: text(get("kind")?, Dotted(data_field, "kind"))?,
            payload: optional(get("payload")?, |payload| {
                bytes(payload, Dotted(data_field, "payload"))
            })?,
        }),
        Some("RemoveNode") => Op::RemoveNode(RemoveNode { id: id("id")? }),
        Some("RemoveEdge") => Op::RemoveEdge(RemoveEdge { id: id("id")? }),
        _ => return Err(shape(Dotted(field, "op"), "not an op name")),
    };
    Ok(op)
}

pub(crate) fn bytes(value: &Value, field: impl Display) -> Result<Vec<u8>, EventDecodeError> {
    value
        .as_bytes()
        .map(<[u8]>::to_vec)
        .ok_or_else(|| shape(field, "not bytes"))
}

fn decode_outcome(value: &Value) -> Result<Outcome, EventDecodeError> {
    let map = map_at(value, "outcome")?;
    let committed = entry(map, "committed", "outcome")?
        .as_bool()
        .ok_or_else(|| shape("outcome.committed", "not a bool"))?;
    let conflicts = entry(map, "conflicts", "outcome")?
        .as_array()
        .ok_or_else(|| shape("outcome.conflicts", "not an array"))?
        .iter()
        .enumerate()
        .map(|(i, conflict)| decode_conflict(conflict, &format!("outcome.conflicts[{i}]")))
        .collect::<Result<Vec<Conflict>, _>>()?;
    Ok(Outcome {
        committed,
        conflicts,
        base_digest: hash(entry(map, "base_digest", "outcome")?, "outcome.base_digest")?,
        system_digest: hash(
            entry(map, "system_digest", "outcome")?,
            "outcome.system_digest",
        )?,
    })
}

fn decode_conflict(value: &Value, field: &str) -> Result<Conflict, EventDecodeError> {
    let map = map_at(value, field)?;
    let name = |key: &str| entry(map, key, field).map(Value::as_text);
    Ok(Conflict {
        kind: name("kind")?
            .and_then(ConflictKind::from_name)
            .ok_or_else(|| shape(format!("{field}.kind"), "not a conflict kind"))?,
        subject: name("subject")?
            .and_then(ItemKind::from_name)
            .ok_or_else(|| shape(format!("{field}.subject"), "not NODE or EDGE"))?,
        id: hash(entry(map, "id", field)?, format!("{field}.id"))?,
        system_id: hash(
            entry(map, "system_id", field)?,
            format!("{field}.system_id"),
        )?,
    })
}

/// Canonical CBOR to JSON, for meta: the inverse of `json_to_cbor` on every value that came
/// from JSON. An integer outside i64/u64 (from an integral float) becomes that float, which is
/// exact, since it came from one.
///
/// # Errors
/// For CBOR JSON cannot hold: byte strings, non-text map keys, NaN or infinite floats.
pub(crate) fn cbor_to_json(value: &Value, field: &str) -> Result<Json, EventDecodeError> {
    Ok(match value {
        Value::Null => Json::Null,
        Value::Bool(flag) => Json::Bool(*flag),
        Value::Unsigned(n) => Json::from(*n),
        Value::Negative(n) => match i64::try_from(*n).ok().and_then(|n| (-1i64).checked_sub(n)) {
            Some(signed) => Json::from(signed),
            // Exact: only an integral float below i64::MIN encodes to this.
            #[expect(clippy::cast_precision_loss, reason = "the value came from an f64")]
            None => float(-1.0 - *n as f64, field)?,
        },
        Value::Float(x) => float(*x, field)?,
        Value::Text(text) => Json::String(text.clone()),
        Value::Array(items) => Json::Array(
            items
                .iter()
                .map(|item| cbor_to_json(item, field))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(map) => Json::Object(
            map.iter()
                .map(|(key, value)| {
                    let key = key
                        .as_text()
                        .ok_or_else(|| shape(field, "a non-text key"))?;
                    Ok((key.to_owned(), cbor_to_json(value, field)?))
                })
                .collect::<Result<_, EventDecodeError>>()?,
        ),
        Value::Bytes(_) => return Err(shape(field, "bytes, which JSON cannot hold")),
    })
}

fn float(x: f64, field: &str) -> Result<Json, EventDecodeError> {
    serde_json::Number::from_f64(x)
        .map(Json::Number)
        .ok_or_else(|| shape(field, "a float JSON cannot hold"))
}

#[cfg(test)]
mod tests;
