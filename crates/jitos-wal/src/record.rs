//! One WAL record: its byte layout, [`encode`] and the strict [`decode`] (`docs/spec/wal.md`).
//!
//! ```text
//! offset  size  field
//!      0     4  magic "JWAL"
//!      4     2  format version, u16 LE (= 1)
//!      6     2  flags, u16 LE (= 0)
//!      8     4  body length L, u32 LE (<= RECORD_BODY_BYTES_MAX)
//!     12     8  idx, u64 LE
//!     20    32  prev: record hash of record idx-1 (all zero for idx 0)
//!     52    32  rule_pack_id
//!     84     4  policy_id, u32 LE
//!     88    32  view_digest
//!    120     8  header_check: blake3(bytes 0..120)[..8]
//!    128     L  body: the event's canonical CBOR
//!  128+L    32  record_hash: blake3(bytes 0..128+L)
//! ```
//!
//! # Invariants
//! - `decode` never panics and never reads past its input: it returns a typed [`DecodeError`]
//!   for anything that is not exactly one well-formed record at the start of the input.
//! - For every input `decode` accepts, `encode(&decoded.record) == input[..decoded.len]` and
//!   `decoded.hash` is blake3 of `input[..decoded.len - 32]`: one record, one byte form.
//! - `decode` checks the header check before trusting the length, so a damaged length never
//!   makes it wait for (or hash) bytes that are not part of the record.
//! - `decode_prehashed` with hashes from `prehash_run` returns exactly what `decode`
//!   returns: the hashes are only computed earlier, eight records at a time
//!   (`jitos_blake3_many`), over the byte ranges `decode` would hash, and each is used only
//!   where `decode` would compute it (after the same earlier checks).

use jitos_core::Hash;

/// The four bytes every record starts with.
pub const RECORD_MAGIC: [u8; 4] = *b"JWAL";

/// The record format version this crate writes and reads.
pub const RECORD_VERSION: u16 = 1;

/// Bytes of the fixed header, from the magic through the header check.
pub const RECORD_HEADER_LEN: usize = 128;

/// Bytes of the trailing record hash.
pub const RECORD_TRAILER_LEN: usize = 32;

/// Bytes a record takes beyond its body.
pub const RECORD_OVERHEAD_LEN: usize = RECORD_HEADER_LEN + RECORD_TRAILER_LEN;

/// Largest body a record may carry: 16 MiB.
pub const RECORD_BODY_BYTES_MAX: usize = 16 << 20;

/// Bytes of the header covered by the header check (everything before it).
const HEADER_CHECKED_LEN: usize = 120;

/// Bytes of the truncated blake3 the header check keeps.
const HEADER_CHECK_LEN: usize = 8;

const _: () = assert!(HEADER_CHECKED_LEN + HEADER_CHECK_LEN == RECORD_HEADER_LEN);
const _: () = assert!(4 + 2 + 2 + 4 + 8 + 32 + 32 + 4 + 32 == HEADER_CHECKED_LEN);
const _: () = assert!(RECORD_BODY_BYTES_MAX <= u32::MAX as usize);
const _: () = assert!(
    RECORD_BODY_BYTES_MAX >= jitos_core::limits::REQUEST_BODY_BYTES_MAX,
    "an event built from one maximal request fits a record"
);

/// One record: the header fields and the event's canonical CBOR body.
///
/// The header check and the record hash are not stored: [`encode`] computes them. The body is
/// owned by default; a scan hands out records that borrow it from the segment it read
/// (`Record<&[u8]>`, [`Record::into_owned`] to keep one), and a caller may carry a body in any
/// form of its own ([`Record::map_body`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<B = Vec<u8>> {
    /// Position in the log: 0, 1, 2, ... with no gap.
    pub idx: u64,
    /// Record hash of the previous record ([`Hash::ZERO`] for idx 0).
    pub prev: Hash,
    /// The rule pack the event was decided under.
    pub rule_pack_id: Hash,
    /// The policy the event was decided under.
    pub policy_id: u32,
    /// Digest of the view the event changed, as it stands after the event.
    pub view_digest: Hash,
    /// The event, canonical CBOR (opaque to this crate).
    pub body: B,
}

impl<B> Record<B> {
    /// The same record with its body turned into `f(body)`.
    pub fn map_body<C>(self, f: impl FnOnce(B) -> C) -> Record<C> {
        Record {
            idx: self.idx,
            prev: self.prev,
            rule_pack_id: self.rule_pack_id,
            policy_id: self.policy_id,
            view_digest: self.view_digest,
            body: f(self.body),
        }
    }
}

impl Record<&[u8]> {
    /// The record with a body of its own.
    #[must_use]
    pub fn into_owned(self) -> Record {
        self.map_body(<[u8]>::to_vec)
    }
}

/// A record [`decode`] accepted, with its hash and its length in bytes; its body borrowed from
/// the bytes it was decoded from unless made owned ([`Decoded::into_owned`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<B = Vec<u8>> {
    /// The record.
    pub record: Record<B>,
    /// Its record hash (the trailing 32 bytes).
    pub hash: Hash,
    /// Bytes it took: `RECORD_OVERHEAD_LEN + body.len()`.
    pub len: usize,
}

impl Decoded<&[u8]> {
    /// The decoded record with a body of its own.
    #[must_use]
    pub fn into_owned(self) -> Decoded {
        Decoded {
            record: self.record.into_owned(),
            hash: self.hash,
            len: self.len,
        }
    }
}

/// Why bytes are not a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes do not start with `JWAL`.
    #[error("record does not start with the magic \"JWAL\"")]
    BadMagic,
    /// A format version this build does not read.
    #[error("record format version {version} is not supported (this build reads 1)")]
    UnknownVersion {
        /// The version found.
        version: u16,
    },
    /// The header check does not match the header bytes.
    #[error("record header check mismatch")]
    HeaderCheck,
    /// A flag bit is set; every flag is reserved and zero in version 1.
    #[error("record flags {flags:#06x} use reserved bits")]
    ReservedFlags {
        /// The flags found.
        flags: u16,
    },
    /// The body length exceeds `RECORD_BODY_BYTES_MAX`.
    #[error("record body of {len} bytes exceeds RECORD_BODY_BYTES_MAX")]
    LengthTooLarge {
        /// The length found.
        len: u32,
    },
    /// The input ends before the record does.
    #[error("record truncated: {need} bytes needed")]
    Truncated {
        /// Bytes the input would need (at least) to hold the record.
        need: usize,
    },
    /// The record hash does not match the record bytes.
    #[error("record hash mismatch")]
    RecordHash,
}

/// Encodes `record` (header, body, record hash) into a fresh vector.
///
/// # Panics
/// If the body exceeds [`RECORD_BODY_BYTES_MAX`]: callers check (the writer refuses such a body
/// with a typed error before it gets here).
#[must_use]
pub fn encode<B: AsRef<[u8]>>(record: &Record<B>) -> Vec<u8> {
    let mut out = Vec::with_capacity(RECORD_OVERHEAD_LEN + record.body.as_ref().len());
    encode_into(&mut out, record.idx, record.prev, &fields_of(record));
    out
}

/// The fields of a record the caller chooses (everything but idx and prev).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields<'a> {
    pub(crate) rule_pack_id: Hash,
    pub(crate) policy_id: u32,
    pub(crate) view_digest: Hash,
    pub(crate) body: &'a [u8],
}

fn fields_of<B: AsRef<[u8]>>(record: &Record<B>) -> Fields<'_> {
    Fields {
        rule_pack_id: record.rule_pack_id,
        policy_id: record.policy_id,
        view_digest: record.view_digest,
        body: record.body.as_ref(),
    }
}

/// Appends the encoding of one record to `out`; returns its record hash.
///
/// # Panics
/// If the body exceeds [`RECORD_BODY_BYTES_MAX`].
pub(crate) fn encode_into(out: &mut Vec<u8>, idx: u64, prev: Hash, fields: &Fields<'_>) -> Hash {
    assert!(
        fields.body.len() <= RECORD_BODY_BYTES_MAX,
        "record body exceeds RECORD_BODY_BYTES_MAX"
    );
    let body_len = u32::try_from(fields.body.len()).expect("bounded by RECORD_BODY_BYTES_MAX");
    let start = out.len();
    out.extend_from_slice(&RECORD_MAGIC);
    out.extend_from_slice(&RECORD_VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&body_len.to_le_bytes());
    out.extend_from_slice(&idx.to_le_bytes());
    out.extend_from_slice(prev.as_bytes());
    out.extend_from_slice(fields.rule_pack_id.as_bytes());
    out.extend_from_slice(&fields.policy_id.to_le_bytes());
    out.extend_from_slice(fields.view_digest.as_bytes());
    debug_assert_eq!(out.len() - start, HEADER_CHECKED_LEN);
    let check = header_check(&out[start..]);
    out.extend_from_slice(&check);
    out.extend_from_slice(fields.body);
    let hash = Hash::from(blake3::hash(&out[start..]));
    out.extend_from_slice(hash.as_bytes());
    debug_assert_eq!(out.len() - start, RECORD_OVERHEAD_LEN + fields.body.len());
    hash
}

fn header_check(checked: &[u8]) -> [u8; HEADER_CHECK_LEN] {
    truncated_check(*blake3::hash(checked).as_bytes())
}

fn truncated_check(digest: [u8; 32]) -> [u8; HEADER_CHECK_LEN] {
    let mut check = [0u8; HEADER_CHECK_LEN];
    check.copy_from_slice(&digest[..HEADER_CHECK_LEN]);
    check
}

/// The two hashes [`decode`] computes for one record, computed ahead by [`prehash_run`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prehashed {
    /// The header check of the record's first 120 bytes.
    header_check: [u8; HEADER_CHECK_LEN],
    /// BLAKE3 of the record up to its trailer, as its length field gives it.
    record_hash: Hash,
}

/// Hashes ahead the records that appear to follow one another from the start of `bytes`, at
/// most `n_max` of them: each record's length field is trusted without its header check, so
/// the run ends before the first record whose magic is wrong, whose length field exceeds the
/// limit or whose bytes run past `bytes`. Entry `i` holds the hashes [`decode`] would compute
/// for the `i`-th record, provided every record before it decodes (then their offsets agree).
pub(crate) fn prehash_run(bytes: &[u8], n_max: usize) -> Vec<Prehashed> {
    let mut records: Vec<&[u8]> = Vec::with_capacity(n_max);
    let mut rest = bytes;
    while records.len() < n_max {
        let Some(len) = apparent_len(rest) else { break };
        let (record, after) = rest.split_at(len);
        records.push(record);
        rest = after;
    }
    let mut checks = Vec::with_capacity(records.len());
    jitos_blake3_many::hash_each(
        records.iter().map(|record| &record[..HEADER_CHECKED_LEN]),
        |digest| checks.push(truncated_check(digest)),
    );
    let mut prehashed = Vec::with_capacity(records.len());
    jitos_blake3_many::hash_each(
        records
            .iter()
            .map(|record| &record[..record.len() - RECORD_TRAILER_LEN]),
        |digest| {
            prehashed.push(Prehashed {
                header_check: checks[prehashed.len()],
                record_hash: Hash::from_bytes(digest),
            });
        },
    );
    prehashed
}

/// The length of the record at the start of `bytes` by its magic and length field alone, if
/// it is within the limit and `bytes` holds all of it.
fn apparent_len(bytes: &[u8]) -> Option<usize> {
    let header = bytes.get(..RECORD_HEADER_LEN)?;
    if header[..RECORD_MAGIC.len()] != RECORD_MAGIC {
        return None;
    }
    let body_len = usize::try_from(u32::from_le_bytes(array_at(header, 8))).ok()?;
    if body_len > RECORD_BODY_BYTES_MAX {
        return None;
    }
    let len = RECORD_OVERHEAD_LEN + body_len;
    (len <= bytes.len()).then_some(len)
}

/// Decodes the one record at the start of `bytes`; bytes after it are ignored.
///
/// Checks, in order: magic, version, that the header is complete, the header check, flags, the
/// body length limit, that the whole record is present, the record hash.
///
/// # Errors
/// The first check that fails, as a [`DecodeError`].
pub fn decode(bytes: &[u8]) -> Result<Decoded<&[u8]>, DecodeError> {
    decode_using(bytes, None)
}

/// [`decode`] with the hashes [`prehash_run`] computed for this record.
pub(crate) fn decode_prehashed<'a>(
    bytes: &'a [u8],
    prehashed: &Prehashed,
) -> Result<Decoded<&'a [u8]>, DecodeError> {
    decode_using(bytes, Some(prehashed))
}

fn decode_using<'a>(
    bytes: &'a [u8],
    prehashed: Option<&Prehashed>,
) -> Result<Decoded<&'a [u8]>, DecodeError> {
    let body_len = check_header(bytes, prehashed)?;
    let len = RECORD_OVERHEAD_LEN + body_len;
    let Some(record_bytes) = bytes.get(..len) else {
        return Err(DecodeError::Truncated { need: len });
    };
    let (hashed, trailer) = record_bytes.split_at(len - RECORD_TRAILER_LEN);
    let hash = match prehashed {
        Some(prehashed) => prehashed.record_hash,
        None => Hash::from(blake3::hash(hashed)),
    };
    if hash.as_bytes().as_slice() != trailer {
        return Err(DecodeError::RecordHash);
    }
    let record = Record {
        idx: u64::from_le_bytes(array_at(hashed, 12)),
        prev: Hash::from_bytes(array_at(hashed, 20)),
        rule_pack_id: Hash::from_bytes(array_at(hashed, 52)),
        policy_id: u32::from_le_bytes(array_at(hashed, 84)),
        view_digest: Hash::from_bytes(array_at(hashed, 88)),
        body: &hashed[RECORD_HEADER_LEN..],
    };
    Ok(Decoded { record, hash, len })
}

/// Validates the fixed header at the start of `bytes`; returns the body length.
fn check_header(bytes: &[u8], prehashed: Option<&Prehashed>) -> Result<usize, DecodeError> {
    let magic_seen = &bytes[..bytes.len().min(RECORD_MAGIC.len())];
    if magic_seen != &RECORD_MAGIC[..magic_seen.len()] {
        return Err(DecodeError::BadMagic);
    }
    let Some(header) = bytes.get(..RECORD_HEADER_LEN) else {
        if let Some(version) = bytes.get(4..6) {
            let version = u16::from_le_bytes([version[0], version[1]]);
            if version != RECORD_VERSION {
                return Err(DecodeError::UnknownVersion { version });
            }
        }
        return Err(DecodeError::Truncated {
            need: RECORD_HEADER_LEN,
        });
    };
    let version = u16::from_le_bytes(array_at(header, 4));
    if version != RECORD_VERSION {
        return Err(DecodeError::UnknownVersion { version });
    }
    let (checked, check) = header.split_at(HEADER_CHECKED_LEN);
    let expected = match prehashed {
        Some(prehashed) => prehashed.header_check,
        None => header_check(checked),
    };
    if expected != check {
        return Err(DecodeError::HeaderCheck);
    }
    let flags = u16::from_le_bytes(array_at(header, 6));
    if flags != 0 {
        return Err(DecodeError::ReservedFlags { flags });
    }
    let body_len = u32::from_le_bytes(array_at(header, 8));
    let body_len_usize = usize::try_from(body_len).unwrap_or(usize::MAX);
    if body_len_usize > RECORD_BODY_BYTES_MAX {
        return Err(DecodeError::LengthTooLarge { len: body_len });
    }
    Ok(body_len_usize)
}

/// The `N` bytes of `bytes` at `offset`; callers pass offsets inside the checked header.
fn array_at<const N: usize>(bytes: &[u8], offset: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[offset..offset + N]);
    out
}
