//! The strict decoder: canonical bytes to `Value`, anything else to a typed error.
//!
//! # Invariants
//! - One left-to-right pass; the error returned is the first rule broken in that order, and its
//!   `offset` is the first byte of the data item that broke it (for a missing item, the end of
//!   input; for trailing bytes, the first extra byte; for a map key, the key's first byte).
//! - Recursion depth is bounded by `CBOR_DEPTH_MAX`: a container at that depth is an error
//!   before any of its items is read.
//! - Preallocation never trusts a declared length beyond the bytes actually left in the input.
//! - Map keys are compared as byte slices of the input, without re-encoding or allocating.

use std::cmp::Ordering;

use super::float::{CANONICAL_NAN_BITS, FloatForm, float_form};
use super::value::{Map, Value};
use super::{MAJOR_ARRAY, MAJOR_BYTES, MAJOR_NEGATIVE, MAJOR_SIMPLE, MAJOR_TAG, MAJOR_TEXT};
use super::{MAJOR_MAP, MAJOR_UNSIGNED};
use crate::limits::CBOR_DEPTH_MAX;

/// Why bytes are not the canonical encoding of a value. `offset` is a byte index into the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ends inside a data item, or a data item is missing.
    #[error("input ends inside the data item at byte {offset}")]
    Incomplete {
        /// First byte of the unfinished item (the input length when the item is missing).
        offset: usize,
    },
    /// Bytes follow the top-level data item.
    #[error("trailing bytes after the data item, from byte {offset}")]
    Trailing {
        /// First trailing byte.
        offset: usize,
    },
    /// A tag (major type 6).
    #[error("tag at byte {offset}: tags are not allowed")]
    Tag {
        /// The tag's head.
        offset: usize,
    },
    /// An indefinite-length byte string, text, array or map.
    #[error("indefinite length at byte {offset}: only definite lengths are allowed")]
    Indefinite {
        /// The item's head.
        offset: usize,
    },
    /// An integer, length or count head that is longer than needed.
    #[error("head at byte {offset} is not the shortest form of its argument")]
    NonCanonicalInt {
        /// The item's head.
        offset: usize,
    },
    /// A float16 or float32, or a NaN other than `fb 7ff8000000000000`.
    #[error("float at byte {offset} is not canonical (float16/float32 or a non-canonical NaN)")]
    NonCanonicalFloat {
        /// The float's head.
        offset: usize,
    },
    /// A float64 whose value the integer rule covers (integral, in [-2^64, 2^64-1], or -0.0).
    #[error("float at byte {offset} holds an integral value and must be written as an integer")]
    FloatShouldBeInt {
        /// The float's head.
        offset: usize,
    },
    /// A map key that sorts before the previous key.
    #[error("map key at byte {offset} is out of order")]
    MapKeyOrder {
        /// The out-of-order key's head.
        offset: usize,
    },
    /// A map key equal to the previous key.
    #[error("map key at byte {offset} repeats the previous key")]
    DuplicateKey {
        /// The repeated key's head.
        offset: usize,
    },
    /// A simple value other than `false`, `true`, `null` (`undefined` included), or `f8 xx`.
    #[error("simple value at byte {offset} is not false, true or null")]
    UndefinedOrUnknownSimple {
        /// The simple value's head.
        offset: usize,
    },
    /// An array or map nested deeper than `CBOR_DEPTH_MAX`.
    #[error("container at byte {offset} nests deeper than {max}", max = CBOR_DEPTH_MAX)]
    DepthExceeded {
        /// Head of the first container beyond the limit.
        offset: usize,
    },
    /// A text string that is not valid UTF-8.
    #[error("text at byte {offset} is not valid UTF-8")]
    InvalidUtf8 {
        /// The text's head.
        offset: usize,
    },
    /// Additional information 28-30 (reserved), or 31 on an integer (not well-formed).
    #[error("head at byte {offset} has reserved or invalid additional information")]
    InvalidAdditionalInfo {
        /// The item's head.
        offset: usize,
    },
    /// A break byte `ff` where a data item should start.
    #[error("break byte at {offset} outside an indefinite-length item")]
    UnexpectedBreak {
        /// The break byte.
        offset: usize,
    },
}

impl DecodeError {
    /// Byte offset in the input where the error was found.
    #[must_use]
    pub fn offset(&self) -> usize {
        match *self {
            DecodeError::Incomplete { offset }
            | DecodeError::Trailing { offset }
            | DecodeError::Tag { offset }
            | DecodeError::Indefinite { offset }
            | DecodeError::NonCanonicalInt { offset }
            | DecodeError::NonCanonicalFloat { offset }
            | DecodeError::FloatShouldBeInt { offset }
            | DecodeError::MapKeyOrder { offset }
            | DecodeError::DuplicateKey { offset }
            | DecodeError::UndefinedOrUnknownSimple { offset }
            | DecodeError::DepthExceeded { offset }
            | DecodeError::InvalidUtf8 { offset }
            | DecodeError::InvalidAdditionalInfo { offset }
            | DecodeError::UnexpectedBreak { offset } => offset,
        }
    }

    /// The variant's name, as written in the golden vectors (`"NonCanonicalInt"`, ...).
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            DecodeError::Incomplete { .. } => "Incomplete",
            DecodeError::Trailing { .. } => "Trailing",
            DecodeError::Tag { .. } => "Tag",
            DecodeError::Indefinite { .. } => "Indefinite",
            DecodeError::NonCanonicalInt { .. } => "NonCanonicalInt",
            DecodeError::NonCanonicalFloat { .. } => "NonCanonicalFloat",
            DecodeError::FloatShouldBeInt { .. } => "FloatShouldBeInt",
            DecodeError::MapKeyOrder { .. } => "MapKeyOrder",
            DecodeError::DuplicateKey { .. } => "DuplicateKey",
            DecodeError::UndefinedOrUnknownSimple { .. } => "UndefinedOrUnknownSimple",
            DecodeError::DepthExceeded { .. } => "DepthExceeded",
            DecodeError::InvalidUtf8 { .. } => "InvalidUtf8",
            DecodeError::InvalidAdditionalInfo { .. } => "InvalidAdditionalInfo",
            DecodeError::UnexpectedBreak { .. } => "UnexpectedBreak",
        }
    }
}

/// Decodes exactly one canonical data item that spans all of `input`.
///
/// # Errors
/// The first rule of the canonical profile that `input` breaks, see [`DecodeError`].
pub fn decode(input: &[u8]) -> Result<Value, DecodeError> {
    let mut decoder = Decoder { input, pos: 0 };
    let value = decoder.item(0)?;
    if decoder.pos != input.len() {
        return Err(DecodeError::Trailing {
            offset: decoder.pos,
        });
    }
    // Pair assertion (O(n), debug builds only): what was accepted is exactly what encode writes.
    debug_assert!(
        super::encode(&value).is_ok_and(|bytes| bytes == input),
        "decode accepted non-canonical bytes"
    );
    Ok(value)
}

/// A cursor over the input. `pos <= input.len()` always.
#[derive(Debug, Clone)]
struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    /// Decodes the item at `pos`; `depth` is the number of containers enclosing it.
    fn item(&mut self, depth: usize) -> Result<Value, DecodeError> {
        let start = self.pos;
        let initial = *self
            .input
            .get(start)
            .ok_or(DecodeError::Incomplete { offset: start })?;
        self.pos += 1;
        let major = initial >> 5;
        let info = initial & 0x1f;
        if major == MAJOR_SIMPLE {
            return self.simple(info, start);
        }
        if major == MAJOR_TAG {
            return Err(DecodeError::Tag { offset: start });
        }
        let argument = self.argument(major, info, start)?;
        match major {
            MAJOR_UNSIGNED => Ok(Value::Unsigned(argument)),
            MAJOR_NEGATIVE => Ok(Value::Negative(argument)),
            MAJOR_BYTES => Ok(Value::Bytes(self.take(argument, start)?.to_vec())),
            MAJOR_TEXT => {
                let bytes = self.take(argument, start)?;
                let text = std::str::from_utf8(bytes)
                    .map_err(|_| DecodeError::InvalidUtf8 { offset: start })?;
                Ok(Value::Text(text.to_owned()))
            }
            MAJOR_ARRAY => self.array(argument, depth, start),
            _ => {
                debug_assert_eq!(major, MAJOR_MAP);
                self.map(argument, depth, start)
            }
        }
    }

    /// Reads the argument of a head of major type 0-5 whose first byte was at `start`.
    fn argument(&mut self, major: u8, info: u8, start: usize) -> Result<u64, DecodeError> {
        let (n_bytes, argument_min): (usize, u64) = match info {
            0..=23 => return Ok(u64::from(info)),
            24 => (1, 24),
            25 => (2, 0x100),
            26 => (4, 0x1_0000),
            27 => (8, 0x1_0000_0000),
            31 if major >= MAJOR_BYTES => return Err(DecodeError::Indefinite { offset: start }),
            _ => return Err(DecodeError::InvalidAdditionalInfo { offset: start }),
        };
        let bytes = self.take_n(n_bytes, start)?;
        let argument = bytes
            .iter()
            .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte));
        if argument < argument_min {
            return Err(DecodeError::NonCanonicalInt { offset: start });
        }
        Ok(argument)
    }

    /// Decodes the rest of a major type 7 item whose head byte was at `start`.
    fn simple(&mut self, info: u8, start: usize) -> Result<Value, DecodeError> {
        match info {
            20 => Ok(Value::Bool(false)),
            21 => Ok(Value::Bool(true)),
            22 => Ok(Value::Null),
            25 | 26 => Err(DecodeError::NonCanonicalFloat { offset: start }),
            27 => {
                let bytes = self.take_n(8, start)?;
                let bits = bytes
                    .iter()
                    .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte));
                let value = f64::from_bits(bits);
                match float_form(value) {
                    FloatForm::Float64(canonical_bits) if canonical_bits == bits => {
                        Ok(Value::Float(value))
                    }
                    FloatForm::Float64(canonical_bits) => {
                        debug_assert_eq!(canonical_bits, CANONICAL_NAN_BITS);
                        Err(DecodeError::NonCanonicalFloat { offset: start })
                    }
                    FloatForm::Unsigned(_) | FloatForm::Negative(_) => {
                        Err(DecodeError::FloatShouldBeInt { offset: start })
                    }
                }
            }
            28..=30 => Err(DecodeError::InvalidAdditionalInfo { offset: start }),
            31 => Err(DecodeError::UnexpectedBreak { offset: start }),
            // 0..=19 unassigned, 23 undefined, 24 one-byte simple value.
            _ => Err(DecodeError::UndefinedOrUnknownSimple { offset: start }),
        }
    }

    fn array(&mut self, n_items: u64, depth: usize, start: usize) -> Result<Value, DecodeError> {
        if depth >= CBOR_DEPTH_MAX {
            return Err(DecodeError::DepthExceeded { offset: start });
        }
        // Every item takes at least one byte.
        let mut items = Vec::with_capacity(self.capacity_for(n_items, 1));
        for _ in 0..n_items {
            items.push(self.item(depth + 1)?);
        }
        Ok(Value::Array(items))
    }

    fn map(&mut self, n_entries: u64, depth: usize, start: usize) -> Result<Value, DecodeError> {
        if depth >= CBOR_DEPTH_MAX {
            return Err(DecodeError::DepthExceeded { offset: start });
        }
        // Every entry takes at least two bytes.
        let mut entries = Vec::with_capacity(self.capacity_for(n_entries, 2));
        let mut previous_key = 0..0;
        for entry_idx in 0..n_entries {
            let key_start = self.pos;
            let key = self.item(depth + 1)?;
            let key_bytes = &self.input[key_start..self.pos];
            if entry_idx > 0 {
                match self.input[previous_key].cmp(key_bytes) {
                    Ordering::Less => {}
                    Ordering::Equal => return Err(DecodeError::DuplicateKey { offset: key_start }),
                    Ordering::Greater => {
                        return Err(DecodeError::MapKeyOrder { offset: key_start });
                    }
                }
            }
            previous_key = key_start..self.pos;
            let value = self.item(depth + 1)?;
            entries.push((key, value));
        }
        Ok(Value::Map(Map::from_sorted(entries)))
    }

    /// A preallocation for `n_items` items of at least `item_bytes_min` bytes each, capped by
    /// what the remaining input could hold.
    fn capacity_for(&self, n_items: u64, item_bytes_min: usize) -> usize {
        let n_items_possible = (self.input.len() - self.pos) / item_bytes_min;
        usize::try_from(n_items).map_or(n_items_possible, |n| n.min(n_items_possible))
    }

    /// Takes `len` bytes of content for the item whose head is at `start`.
    fn take(&mut self, len: u64, start: usize) -> Result<&'a [u8], DecodeError> {
        let len = usize::try_from(len).map_err(|_| DecodeError::Incomplete { offset: start })?;
        self.take_n(len, start)
    }

    /// Takes `len` bytes for the item whose head is at `start`.
    fn take_n(&mut self, len: usize, start: usize) -> Result<&'a [u8], DecodeError> {
        let input: &'a [u8] = self.input;
        let end = self.pos.checked_add(len).filter(|end| *end <= input.len());
        let end = end.ok_or(DecodeError::Incomplete { offset: start })?;
        let bytes = &input[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }
}

/// A cursor over canonical CBOR for decoders that know the shape they read (an event, a
/// checkpoint): typed reads in place, without building a [`Value`] tree.
///
/// Each read checks what it reads the way [`decode`] does (shortest heads, definite lengths,
/// valid UTF-8, bounds) and answers `None` on anything else, including an item of another
/// type; the cursor is then somewhere inside the input and the decode is to be abandoned.
/// What a reader cannot see is a rule across items (map key order, duplicate keys): a decoder
/// built on it must either expect exact keys in canonical order or prove the whole canonical
/// by re-encoding, and should leave naming an error to [`decode`].
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    decoder: Decoder<'a>,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `input`.
    pub fn new(input: &'a [u8]) -> Reader<'a> {
        Reader {
            decoder: Decoder { input, pos: 0 },
        }
    }

    /// Whether every byte has been read.
    pub fn is_at_end(&self) -> bool {
        self.decoder.pos == self.decoder.input.len()
    }

    /// The head of the next item, of major type 0 to 5: its major type and argument.
    fn head(&mut self) -> Option<(u8, u64)> {
        let start = self.decoder.pos;
        let initial = *self.decoder.input.get(start)?;
        let (major, info) = (initial >> 5, initial & 0x1f);
        if major > MAJOR_MAP {
            return None;
        }
        self.decoder.pos += 1;
        let argument = self.decoder.argument(major, info, start).ok()?;
        Some((major, argument))
    }

    /// The argument of the next item's head if it is of major type `major`.
    fn argument_of(&mut self, major: u8) -> Option<u64> {
        match self.head()? {
            (found, argument) if found == major => Some(argument),
            _ => None,
        }
    }

    /// The number of entries of the next item, a map.
    pub fn map_len(&mut self) -> Option<u64> {
        self.argument_of(MAJOR_MAP)
    }

    /// The number of items of the next item, an array.
    pub fn array_len(&mut self) -> Option<u64> {
        self.argument_of(MAJOR_ARRAY)
    }

    /// The next item, an unsigned integer.
    pub fn unsigned(&mut self) -> Option<u64> {
        self.argument_of(MAJOR_UNSIGNED)
    }

    /// The next item, a byte string, borrowed from the input.
    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        let start = self.decoder.pos;
        let len = self.argument_of(MAJOR_BYTES)?;
        self.decoder.take(len, start).ok()
    }

    /// The next item, a text string, borrowed from the input.
    pub fn text(&mut self) -> Option<&'a str> {
        let start = self.decoder.pos;
        let len = self.argument_of(MAJOR_TEXT)?;
        std::str::from_utf8(self.decoder.take(len, start).ok()?).ok()
    }

    /// Reads the next item, which must be the text `expected` (a map key the decoder knows):
    /// its bytes are compared as they stand, without a UTF-8 check, which bytes equal to a
    /// `str` pass anyway.
    pub fn expect_text(&mut self, expected: &str) -> Option<()> {
        let start = self.decoder.pos;
        let len = self.argument_of(MAJOR_TEXT)?;
        let found = self.decoder.take(len, start).ok()?;
        // Keys are a few bytes: an inline comparison, not a call to `memcmp` per key.
        let differing = found.len() != expected.len()
            || found
                .iter()
                .zip(expected.as_bytes())
                .fold(0, |diff, (a, b)| diff | (a ^ b))
                != 0;
        (!differing).then_some(())
    }

    /// Reads the next item if it is `null`; says whether it was (and reads nothing if not).
    pub fn null(&mut self) -> bool {
        let is_null = self.decoder.input.get(self.decoder.pos) == Some(&NULL);
        if is_null {
            self.decoder.pos += 1;
        }
        is_null
    }

    /// The next item as a [`Value`], decoded as [`decode`] does, `depth` containers deep (for
    /// the depth limit).
    pub fn value(&mut self, depth: usize) -> Option<Value> {
        self.decoder.item(depth).ok()
    }
}

/// The encoding of `null`.
const NULL: u8 = (MAJOR_SIMPLE << 5) | 22;
