//! The canonical encoder: `Value` to bytes.
//!
//! # Invariants
//! - Heads are always the shortest form for their argument ([`head`] is the only writer).
//! - Map entries are written in the order [`Map`](super::Map) keeps, which is canonical.
//! - A value nesting deeper than `CBOR_DEPTH_MAX` containers is refused rather than written,
//!   because the decoder would refuse it; nothing is left in the output buffer on error.

use super::float::{FloatForm, float_form};
use super::value::Value;
use super::{
    FALSE, FLOAT64, MAJOR_ARRAY, MAJOR_BYTES, MAJOR_MAP, MAJOR_NEGATIVE, MAJOR_TEXT,
    MAJOR_UNSIGNED, NULL, TRUE,
};
use crate::limits::CBOR_DEPTH_MAX;

/// Why a value has no canonical encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// Two map entries have keys that encode to the same bytes.
    #[error("map entries {first} and {second} have the same encoded key")]
    DuplicateKey {
        /// Index of the earlier entry, in the order given.
        first: usize,
        /// Index of the later entry, in the order given.
        second: usize,
    },
    /// The value nests more than `CBOR_DEPTH_MAX` arrays and maps.
    #[error("value nests deeper than {max} arrays and maps", max = CBOR_DEPTH_MAX)]
    DepthExceeded,
}

/// The canonical encoding of `value`.
///
/// # Errors
/// [`EncodeError::DepthExceeded`] when `value` nests more than `CBOR_DEPTH_MAX` containers.
pub fn encode(value: &Value) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(64);
    encode_into(value, &mut out)?;
    Ok(out)
}

/// Appends the canonical encoding of `value` to `out`.
///
/// # Errors
/// As [`encode`]; on error `out` is left as it was.
pub fn encode_into(value: &Value, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let len_before = out.len();
    let result = encode_item(value, out, 0);
    if result.is_err() {
        out.truncate(len_before);
    }
    result
}

/// Appends the canonical encoding of `value` as an item inside `depth` enclosing containers
/// that the caller writes itself (a streaming writer, [`write`](mod@write)): the depth limit counts them.
///
/// # Errors
/// As [`encode`]; on error `out` is left as it was.
pub fn encode_nested_into(
    value: &Value,
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<(), EncodeError> {
    let len_before = out.len();
    let result = encode_item(value, out, depth);
    if result.is_err() {
        out.truncate(len_before);
    }
    result
}

/// Writers of single canonical items and container heads, for encoders that stream a fixed
/// shape without building a [`Value`] (the kernel's events). The caller owns the canonical
/// rules these cannot check: map keys in canonical order, lengths that match what follows,
/// and the depth limit (see [`encode_nested_into`]).
pub mod write {
    use super::{MAJOR_ARRAY, MAJOR_BYTES, MAJOR_MAP, MAJOR_TEXT, MAJOR_UNSIGNED, NULL};
    use super::{len_u64, write_head};

    /// An unsigned integer.
    pub fn uint(out: &mut Vec<u8>, n: u64) {
        write_head(out, MAJOR_UNSIGNED, n);
    }

    /// A text string.
    pub fn text(out: &mut Vec<u8>, text: &str) {
        write_head(out, MAJOR_TEXT, len_u64(text.len()));
        out.extend_from_slice(text.as_bytes());
    }

    /// A byte string.
    pub fn bytes(out: &mut Vec<u8>, bytes: &[u8]) {
        write_head(out, MAJOR_BYTES, len_u64(bytes.len()));
        out.extend_from_slice(bytes);
    }

    /// `null`.
    pub fn null(out: &mut Vec<u8>) {
        out.push(NULL);
    }

    /// The head of an array of `len` items.
    pub fn array_head(out: &mut Vec<u8>, len: usize) {
        write_head(out, MAJOR_ARRAY, len_u64(len));
    }

    /// The head of a map of `len` entries.
    pub fn map_head(out: &mut Vec<u8>, len: usize) {
        write_head(out, MAJOR_MAP, len_u64(len));
    }
}

/// Writes one item; `depth` is the number of containers enclosing it.
fn encode_item(value: &Value, out: &mut Vec<u8>, depth: usize) -> Result<(), EncodeError> {
    match value {
        Value::Unsigned(n) => write::uint(out, *n),
        Value::Negative(n) => write_head(out, MAJOR_NEGATIVE, *n),
        Value::Bytes(bytes) => write::bytes(out, bytes),
        Value::Text(text) => write::text(out, text),
        Value::Array(items) => {
            let depth_inner = enter(depth)?;
            write_head(out, MAJOR_ARRAY, len_u64(items.len()));
            for item in items {
                encode_item(item, out, depth_inner)?;
            }
        }
        Value::Map(map) => {
            let depth_inner = enter(depth)?;
            write_head(out, MAJOR_MAP, len_u64(map.len()));
            for (key, value) in map {
                encode_item(key, out, depth_inner)?;
                encode_item(value, out, depth_inner)?;
            }
        }
        Value::Bool(false) => out.push(FALSE),
        Value::Bool(true) => out.push(TRUE),
        Value::Null => write::null(out),
        Value::Float(float) => match float_form(*float) {
            FloatForm::Unsigned(n) => write_head(out, MAJOR_UNSIGNED, n),
            FloatForm::Negative(n) => write_head(out, MAJOR_NEGATIVE, n),
            FloatForm::Float64(bits) => {
                out.push(FLOAT64);
                out.extend_from_slice(&bits.to_be_bytes());
            }
        },
    }
    Ok(())
}

/// The depth of the items inside a container at `depth`, if that container is allowed.
fn enter(depth: usize) -> Result<usize, EncodeError> {
    if depth >= CBOR_DEPTH_MAX {
        Err(EncodeError::DepthExceeded)
    } else {
        Ok(depth + 1)
    }
}

/// A length as a CBOR argument; `usize` is at most 64 bits on every supported target.
pub(crate) fn len_u64(len: usize) -> u64 {
    len as u64
}

fn write_head(out: &mut Vec<u8>, major: u8, argument: u64) {
    let (bytes, len) = head(major, argument);
    out.extend_from_slice(&bytes[..len]);
}

/// The shortest head for `major` and `argument`: the bytes (first `len` used) and `len`.
#[inline]
pub(crate) fn head(major: u8, argument: u64) -> ([u8; 9], usize) {
    debug_assert!(major <= 7, "major type {major} does not fit three bits");
    let initial = major << 5;
    let be = argument.to_be_bytes();
    let mut bytes = [0u8; 9];
    let len = if argument < 24 {
        bytes[0] = initial | be[7];
        1
    } else if argument <= 0xff {
        bytes[0] = initial | 24;
        bytes[1] = be[7];
        2
    } else if argument <= 0xffff {
        bytes[0] = initial | 25;
        bytes[1..3].copy_from_slice(&be[6..]);
        3
    } else if argument <= 0xffff_ffff {
        bytes[0] = initial | 26;
        bytes[1..5].copy_from_slice(&be[4..]);
        5
    } else {
        bytes[0] = initial | 27;
        bytes[1..9].copy_from_slice(&be);
        9
    };
    (bytes, len)
}
