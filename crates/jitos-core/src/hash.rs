//! `Hash`: a 32-byte BLAKE3 output and its one text form (contract §2).
//!
//! The text form is exactly 64 lowercase hexadecimal characters with no prefix. It is what
//! `Display` and `Debug` print and the only thing [`Hash::from_hex`] accepts.
//!
//! # Invariants
//! - `Hash::from_hex(&h.to_string()) == Ok(h)` for every `h`.
//! - `from_hex` accepts exactly the strings `Display` can produce: uppercase digits, a `0x`
//!   prefix, whitespace or any length other than 64 are errors, never normalised.
//! - Ordering is the lexicographic order of the 32 bytes (the ordering key of contract §6).

use std::fmt;
use std::str::FromStr;

/// Number of characters in the text form of a [`Hash`](struct@Hash).
pub const HASH_HEX_LEN: usize = 64;

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// A 32-byte BLAKE3 digest.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hash([u8; 32]);

/// Why a string is not the text form of a [`Hash`](struct@Hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HashParseError {
    /// The string is not exactly 64 bytes long.
    #[error("hash must be 64 lowercase hex characters, got {len} bytes")]
    Length {
        /// Length of the rejected input in bytes.
        len: usize,
    },
    /// A byte is not one of `0-9a-f` (uppercase hex and `0x` prefixes land here too).
    #[error("hash must be lowercase hex, byte {index} is not in 0-9a-f")]
    InvalidDigit {
        /// Byte index of the first offending character.
        index: usize,
    },
}

impl Hash {
    /// The all-zero hash (the empty subtree of the sparse Merkle tree, never a real digest).
    pub const ZERO: Hash = Hash([0; 32]);

    /// Wraps 32 raw bytes.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 32]) -> Hash {
        Hash(bytes)
    }

    /// The 32 raw bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Parses the text form: exactly 64 characters from `0-9a-f`.
    ///
    /// # Errors
    /// [`HashParseError::Length`] for any other length (including a `0x`-prefixed 66-character
    /// string), [`HashParseError::InvalidDigit`] for any character outside `0-9a-f`.
    pub fn from_hex(text: &str) -> Result<Hash, HashParseError> {
        let input = text.as_bytes();
        if input.len() != HASH_HEX_LEN {
            return Err(HashParseError::Length { len: input.len() });
        }
        let mut bytes = [0u8; 32];
        for (byte_idx, pair) in input.chunks_exact(2).enumerate() {
            let high = hex_value(pair[0]).ok_or(HashParseError::InvalidDigit {
                index: byte_idx * 2,
            })?;
            let low = hex_value(pair[1]).ok_or(HashParseError::InvalidDigit {
                index: byte_idx * 2 + 1,
            })?;
            bytes[byte_idx] = (high << 4) | low;
        }
        Ok(Hash(bytes))
    }

    /// The text form as 64 ASCII bytes, without allocating.
    #[must_use]
    pub fn to_hex_bytes(&self) -> [u8; HASH_HEX_LEN] {
        let mut text = [0u8; HASH_HEX_LEN];
        for (byte_idx, byte) in self.0.iter().enumerate() {
            text[byte_idx * 2] = HEX_DIGITS[usize::from(byte >> 4)];
            text[byte_idx * 2 + 1] = HEX_DIGITS[usize::from(byte & 0x0f)];
        }
        text
    }
}

/// The value of one lowercase hex digit; `None` for anything else, uppercase included.
fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

/// BLAKE3 of `bytes`.
#[must_use]
pub fn hash_bytes(bytes: &[u8]) -> Hash {
    Hash(*blake3::hash(bytes).as_bytes())
}

impl From<blake3::Hash> for Hash {
    fn from(hash: blake3::Hash) -> Hash {
        Hash(*hash.as_bytes())
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl FromStr for Hash {
    type Err = HashParseError;

    fn from_str(text: &str) -> Result<Hash, HashParseError> {
        Hash::from_hex(text)
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.to_hex_bytes();
        // Every byte comes from HEX_DIGITS, so this is always ASCII.
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests;
