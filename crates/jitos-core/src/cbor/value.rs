//! `Value`, the data model of canonical CBOR, and `Map`, a map kept in canonical key order.
//!
//! # Invariants
//! - A [`Map`] holds its entries sorted strictly by the canonical encoding of their keys, so it
//!   never holds two keys that encode alike (`1` and `1.0` included). The only ways to build a
//!   non-empty `Map` are [`Map::from_entries`], which sorts and rejects duplicates, and the
//!   decoder, which rejects out-of-order and duplicate keys.
//! - Equality is structural, with floats compared by bit pattern: `NaN == NaN` for equal bits,
//!   `0.0 != -0.0`, and `Float(1.0) != Unsigned(1)` although both encode as `01`. Compare
//!   [`Value::to_canonical`] forms to compare what is on the wire.

use std::ops::Range;

use super::encode::{EncodeError, encode_into};
use super::float::{FloatForm, float_form};
use crate::hash::Hash;

/// A CBOR data item of the canonical profile.
#[derive(Debug, Clone)]
pub enum Value {
    /// Major type 0: the integer `n`.
    Unsigned(u64),
    /// Major type 1: the integer `-1 - n`, so `Negative(0)` is -1 and `Negative(u64::MAX)` is
    /// -2^64.
    Negative(u64),
    /// Major type 2: a byte string (hashes, payloads).
    Bytes(Vec<u8>),
    /// Major type 3: a UTF-8 text string.
    Text(String),
    /// Major type 4: an array.
    Array(Vec<Value>),
    /// Major type 5: a map, kept in canonical key order.
    Map(Map),
    /// `false` (`f4`) or `true` (`f5`).
    Bool(bool),
    /// `null` (`f6`).
    Null,
    /// A float. The encoder applies the float rule: an integral value in [-2^64, 2^64-1] is
    /// written as an integer (so it decodes as `Unsigned`/`Negative`), a NaN as the canonical
    /// NaN, anything else as float64. Decoded floats are never integral and NaNs always have
    /// [`CANONICAL_NAN_BITS`](super::CANONICAL_NAN_BITS).
    Float(f64),
}

/// A CBOR map whose entries are sorted strictly by the canonical encoding of their keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Map {
    entries: Vec<(Value, Value)>,
}

impl Map {
    /// The empty map.
    #[must_use]
    pub const fn new() -> Map {
        Map {
            entries: Vec::new(),
        }
    }

    /// Builds a map from entries in any order, sorting them by encoded key.
    ///
    /// # Errors
    /// [`EncodeError::DuplicateKey`] when two keys encode to the same bytes (for example
    /// `Value::Unsigned(1)` and `Value::Float(1.0)`), [`EncodeError::DepthExceeded`] when a key
    /// nests too deep to encode.
    pub fn from_entries(
        entries: impl IntoIterator<Item = (Value, Value)>,
    ) -> Result<Map, EncodeError> {
        let entries: Vec<(Value, Value)> = entries.into_iter().collect();
        if entries.iter().all(|(key, _)| matches!(key, Value::Text(_))) {
            return Map::from_text_entries(entries);
        }
        let mut key_bytes = Vec::new();
        let mut keyed: Vec<(Range<usize>, usize, (Value, Value))> = Vec::new();
        for (entry_idx, entry) in entries.into_iter().enumerate() {
            let start = key_bytes.len();
            encode_into(&entry.0, &mut key_bytes)?;
            keyed.push((start..key_bytes.len(), entry_idx, entry));
        }
        // Stable: equal keys stay in input order, so the reported indices are deterministic.
        keyed.sort_by(|left, right| key_bytes[left.0.clone()].cmp(&key_bytes[right.0.clone()]));
        for pair in keyed.windows(2) {
            if key_bytes[pair[0].0.clone()] == key_bytes[pair[1].0.clone()] {
                return Err(EncodeError::DuplicateKey {
                    first: pair[0].1,
                    second: pair[1].1,
                });
            }
        }
        let entries: Vec<(Value, Value)> = keyed.into_iter().map(|keyed| keyed.2).collect();
        Ok(Map { entries })
    }

    /// [`Map::from_entries`] when every key is text, the common case, without encoding keys: a
    /// text key's encoding is a head that grows with the length, then the UTF-8 bytes, so
    /// canonical order is by length, then bytes.
    fn from_text_entries(entries: Vec<(Value, Value)>) -> Result<Map, EncodeError> {
        fn text(value: &Value) -> (usize, &[u8]) {
            match value {
                Value::Text(text) => (text.len(), text.as_bytes()),
                _ => unreachable!("the caller checked every key is text"),
            }
        }
        let mut keyed: Vec<(usize, (Value, Value))> = entries.into_iter().enumerate().collect();
        // Stable: equal keys stay in input order, so the reported indices are deterministic.
        keyed.sort_by(|left, right| text(&left.1.0).cmp(&text(&right.1.0)));
        for pair in keyed.windows(2) {
            if text(&pair[0].1.0) == text(&pair[1].1.0) {
                return Err(EncodeError::DuplicateKey {
                    first: pair[0].0,
                    second: pair[1].0,
                });
            }
        }
        Ok(Map {
            entries: keyed.into_iter().map(|(_, entry)| entry).collect(),
        })
    }

    /// Wraps entries the decoder has already checked to be in strictly increasing key order.
    pub(crate) fn from_sorted(entries: Vec<(Value, Value)>) -> Map {
        Map { entries }
    }

    /// The entries, in canonical key order.
    #[must_use]
    pub fn entries(&self) -> &[(Value, Value)] {
        &self.entries
    }

    /// The entries, in canonical key order.
    #[must_use]
    pub fn into_entries(self) -> Vec<(Value, Value)> {
        self.entries
    }

    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map has no entries.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Iterates over the entries in canonical key order.
    pub fn iter(&self) -> std::slice::Iter<'_, (Value, Value)> {
        self.entries.iter()
    }

    /// The value stored under a key equal to `key` (structural equality, see [`Value`]).
    #[must_use]
    pub fn get(&self, key: &Value) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(entry_key, _)| entry_key == key)
            .map(|(_, value)| value)
    }

    /// The value stored under the text key `key`.
    #[must_use]
    pub fn get_text(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(entry_key, _)| entry_key.as_text() == Some(key))
            .map(|(_, value)| value)
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = &'a (Value, Value);
    type IntoIter = std::slice::Iter<'a, (Value, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

impl Value {
    /// A text string.
    #[must_use]
    pub fn text(text: impl Into<String>) -> Value {
        Value::Text(text.into())
    }

    /// A byte string.
    #[must_use]
    pub fn bytes(bytes: impl Into<Vec<u8>>) -> Value {
        Value::Bytes(bytes.into())
    }

    /// An array.
    #[must_use]
    pub fn array(items: impl IntoIterator<Item = Value>) -> Value {
        Value::Array(items.into_iter().collect())
    }

    /// A map, its entries sorted by encoded key.
    ///
    /// # Errors
    /// As [`Map::from_entries`].
    pub fn map(entries: impl IntoIterator<Item = (Value, Value)>) -> Result<Value, EncodeError> {
        Map::from_entries(entries).map(Value::Map)
    }

    /// The integer `integer`, or `None` outside [-2^64, 2^64-1].
    #[must_use]
    pub fn integer(integer: i128) -> Option<Value> {
        if integer >= 0 {
            u64::try_from(integer).ok().map(Value::Unsigned)
        } else {
            u64::try_from(-1 - integer).ok().map(Value::Negative)
        }
    }

    /// The float `value` in the form decoding its encoding gives back: an integer when the
    /// integer rule covers it, the canonical NaN for any NaN, otherwise `Float(value)`.
    #[must_use]
    pub fn float(value: f64) -> Value {
        match float_form(value) {
            FloatForm::Unsigned(n) => Value::Unsigned(n),
            FloatForm::Negative(n) => Value::Negative(n),
            FloatForm::Float64(bits) => Value::Float(f64::from_bits(bits)),
        }
    }

    /// The value `decode(encode(self))` returns: every float replaced by [`Value::float`].
    ///
    /// Map key order is unchanged, since a float and its canonical form encode alike.
    #[must_use]
    pub fn to_canonical(&self) -> Value {
        match self {
            Value::Float(value) => Value::float(*value),
            Value::Array(items) => Value::Array(items.iter().map(Value::to_canonical).collect()),
            Value::Map(map) => Value::Map(Map::from_sorted(
                map.iter()
                    .map(|(key, value)| (key.to_canonical(), value.to_canonical()))
                    .collect(),
            )),
            other => other.clone(),
        }
    }

    /// The integer value of `Unsigned` and `Negative`.
    #[must_use]
    pub fn as_integer(&self) -> Option<i128> {
        match self {
            Value::Unsigned(n) => Some(i128::from(*n)),
            Value::Negative(n) => Some(-1 - i128::from(*n)),
            _ => None,
        }
    }

    /// The text of a `Text`.
    #[must_use]
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The bytes of a `Bytes`.
    #[must_use]
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// The items of an `Array`.
    #[must_use]
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The map of a `Map`.
    #[must_use]
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    /// The boolean of a `Bool`.
    #[must_use]
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    /// Whether this is `Null`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Unsigned(left), Value::Unsigned(right))
            | (Value::Negative(left), Value::Negative(right)) => left == right,
            (Value::Bytes(left), Value::Bytes(right)) => left == right,
            (Value::Text(left), Value::Text(right)) => left == right,
            (Value::Array(left), Value::Array(right)) => left == right,
            (Value::Map(left), Value::Map(right)) => left == right,
            (Value::Bool(left), Value::Bool(right)) => left == right,
            (Value::Null, Value::Null) => true,
            (Value::Float(left), Value::Float(right)) => left.to_bits() == right.to_bits(),
            _ => false,
        }
    }
}

impl Eq for Value {}

impl From<u64> for Value {
    fn from(n: u64) -> Value {
        Value::Unsigned(n)
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Value {
        Value::Unsigned(u64::from(n))
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        match u64::try_from(n) {
            Ok(unsigned) => Value::Unsigned(unsigned),
            // n < 0, so -1 - n is in [0, i64::MAX].
            Err(_) => Value::Negative(n.unsigned_abs() - 1),
        }
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Value {
        Value::Bool(flag)
    }
}

impl From<f64> for Value {
    fn from(value: f64) -> Value {
        Value::float(value)
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Value {
        Value::Text(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Value {
        Value::Text(text)
    }
}

impl From<&[u8]> for Value {
    fn from(bytes: &[u8]) -> Value {
        Value::Bytes(bytes.to_vec())
    }
}

impl From<Vec<u8>> for Value {
    fn from(bytes: Vec<u8>) -> Value {
        Value::Bytes(bytes)
    }
}

impl From<Hash> for Value {
    /// A hash is a 32-byte byte string (`58 20` + 32 bytes), never an integer array.
    fn from(hash: Hash) -> Value {
        Value::Bytes(hash.as_bytes().to_vec())
    }
}

impl From<Map> for Value {
    fn from(map: Map) -> Value {
        Value::Map(map)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::Array(items)
    }
}
