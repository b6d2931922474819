//! Segment files: their names (the idx of their first record) and their 16-byte file header.
//!
//! ```text
//! offset  size  field
//!      0     8  magic "JITOSWAL"
//!      8     4  segment format version, u32 LE (= 1)
//!     12     4  reserved, u32 LE (= 0)
//!     16     .  records, back to back
//! ```
//!
//! # Invariants
//! - `segment_name(idx)` is exactly 20 decimal digits and `.wal`, so the lexicographic order of
//!   names is the numeric order of first idx; `parse_segment_name` accepts exactly those names.
//! - `check_file_header` accepts exactly [`FILE_HEADER`].

/// Bytes of the segment file header.
pub const FILE_HEADER_LEN: usize = 16;

/// The magic every segment file starts with.
pub const FILE_MAGIC: [u8; 8] = *b"JITOSWAL";

/// The segment format version this crate writes and reads.
pub const SEGMENT_VERSION: u32 = 1;

/// The complete file header this crate writes.
pub const FILE_HEADER: [u8; FILE_HEADER_LEN] = file_header();

/// Suffix of every segment file name.
pub const SEGMENT_SUFFIX: &str = ".wal";

/// Digits in a segment file name (enough for any u64).
const NAME_DIGITS: usize = 20;

const _: () = assert!(u64::MAX.ilog10() + 1 == 20 && NAME_DIGITS == 20);

const fn file_header() -> [u8; FILE_HEADER_LEN] {
    let mut header = [0u8; FILE_HEADER_LEN];
    let version = SEGMENT_VERSION.to_le_bytes();
    let mut i = 0;
    while i < FILE_MAGIC.len() {
        header[i] = FILE_MAGIC[i];
        i += 1;
    }
    let mut j = 0;
    while j < version.len() {
        header[FILE_MAGIC.len() + j] = version[j];
        j += 1;
    }
    header
}

/// Why the start of a segment file is not a valid file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FileHeaderError {
    /// The file is shorter than the header.
    #[error("segment file header truncated at {len} of 16 bytes")]
    Truncated {
        /// Bytes present.
        len: usize,
    },
    /// The file does not start with `JITOSWAL`.
    #[error("segment file does not start with the magic \"JITOSWAL\"")]
    BadMagic,
    /// A segment format version this build does not read.
    #[error("segment format version {version} is not supported (this build reads 1)")]
    UnknownVersion {
        /// The version found.
        version: u32,
    },
    /// The reserved word is not zero.
    #[error("segment file header reserved word is {reserved:#x}, not 0")]
    Reserved {
        /// The reserved word found.
        reserved: u32,
    },
}

/// The file name of the segment whose first record is `first_idx`.
#[must_use]
pub fn segment_name(first_idx: u64) -> String {
    format!("{first_idx:020}{SEGMENT_SUFFIX}")
}

/// The first idx a segment file name stands for, or `None` if it is not a segment name.
#[must_use]
pub fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(SEGMENT_SUFFIX)?;
    if digits.len() != NAME_DIGITS || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Checks the file header at the start of a segment's bytes.
///
/// # Errors
/// The first problem found, in field order; a short file is [`FileHeaderError::Truncated`] only
/// if what is there agrees with the header so far.
pub fn check_file_header(bytes: &[u8]) -> Result<(), FileHeaderError> {
    let magic_seen = &bytes[..bytes.len().min(FILE_MAGIC.len())];
    if magic_seen != &FILE_MAGIC[..magic_seen.len()] {
        return Err(FileHeaderError::BadMagic);
    }
    let Some(header) = bytes.get(..FILE_HEADER_LEN) else {
        return Err(FileHeaderError::Truncated { len: bytes.len() });
    };
    let word = |offset: usize| {
        u32::from_le_bytes([
            header[offset],
            header[offset + 1],
            header[offset + 2],
            header[offset + 3],
        ])
    };
    let version = word(8);
    if version != SEGMENT_VERSION {
        return Err(FileHeaderError::UnknownVersion { version });
    }
    let reserved = word(12);
    if reserved != 0 {
        return Err(FileHeaderError::Reserved { reserved });
    }
    debug_assert_eq!(header, FILE_HEADER);
    Ok(())
}
