//! Canonical CBOR: the one byte encoding of everything hashed or persisted (contract §1).
//!
//! The codec is the RFC 8949 deterministic profile, narrowed: definite lengths, shortest heads,
//! no tags, only `false`/`true`/`null` among the simple values, map keys strictly increasing by
//! their encoded bytes, nesting depth at most [`CBOR_DEPTH_MAX`](crate::limits::CBOR_DEPTH_MAX),
//! and one form per float (integral values in [-2^64, 2^64-1] as integers, everything else as
//! float64, NaN as `fb 7ff8000000000000`). The choices the contract left open are written down
//! in `docs/spec/encoding.md` and pinned by `tests/vectors/canonical.json`.
//!
//! ```
//! use jitos_core::cbor::{self, Value};
//!
//! let value = Value::map([(Value::text("b"), Value::from(2u64)), (Value::text("aa"), 1u64.into())])?;
//! let bytes = cbor::encode(&value)?;
//! assert_eq!(bytes, [0xa2, 0x61, 0x62, 0x02, 0x62, 0x61, 0x61, 0x01]);
//! assert_eq!(cbor::decode(&bytes)?, value);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Invariants
//! - `decode` accepts only canonical bytes: for every `b` it accepts, `encode(&decode(b)?)`
//!   returns exactly `b` (fuzzed by `fuzz/fuzz_targets/cbor_decode.rs`, property-tested).
//! - `encode` only produces bytes that `decode` accepts, and `decode(encode(v)) ==
//!   v.to_canonical()`.
//! - Decoding never panics and never recurses deeper than `CBOR_DEPTH_MAX` containers, so
//!   untrusted input cannot exhaust the stack; allocations are bounded by the input length.
//! - Errors are found by one left-to-right scan and report the first rule broken, with the byte
//!   offset of the data item that broke it.

mod decode;
mod encode;
mod float;
mod value;

pub use decode::{DecodeError, Reader, decode};
pub use encode::{EncodeError, encode, encode_into, encode_nested_into, write};
pub use float::CANONICAL_NAN_BITS;
pub use value::{Map, Value};

pub(crate) use encode::{head, len_u64};

use crate::hash::{Hash, hash_bytes};

/// Major type 0: unsigned integer.
pub(crate) const MAJOR_UNSIGNED: u8 = 0;
/// Major type 1: negative integer `-1 - n`.
pub(crate) const MAJOR_NEGATIVE: u8 = 1;
/// Major type 2: byte string.
pub(crate) const MAJOR_BYTES: u8 = 2;
/// Major type 3: UTF-8 text string.
pub(crate) const MAJOR_TEXT: u8 = 3;
/// Major type 4: array.
pub(crate) const MAJOR_ARRAY: u8 = 4;
/// Major type 5: map.
pub(crate) const MAJOR_MAP: u8 = 5;
/// Major type 6: tag (always rejected).
pub(crate) const MAJOR_TAG: u8 = 6;
/// Major type 7: simple values and floats.
pub(crate) const MAJOR_SIMPLE: u8 = 7;

/// The encoded `false`.
pub(crate) const FALSE: u8 = 0xf4;
/// The encoded `true`.
pub(crate) const TRUE: u8 = 0xf5;
/// The encoded `null`.
pub(crate) const NULL: u8 = 0xf6;
/// The head byte of a float64.
pub(crate) const FLOAT64: u8 = 0xfb;

/// BLAKE3 of the canonical encoding of `value`.
///
/// # Errors
/// [`EncodeError::DepthExceeded`] when `value` nests deeper than `CBOR_DEPTH_MAX`.
pub fn hash_canonical(value: &Value) -> Result<Hash, EncodeError> {
    let bytes = encode(value)?;
    Ok(hash_bytes(&bytes))
}

#[cfg(test)]
mod tests;
