//! Reading a WAL back: [`scan`] walks every record in order across segments, verifies each one
//! and the chain between them, and classifies how the log ends ([`ScanEnd`]).
//!
//! The first problem found is the *damage*. It is a **torn tail** when nothing valid follows it:
//! no complete, self-consistent record starts at any later byte of its segment, nor anywhere in
//! a later segment. It is **corruption** when something valid does follow, or when two valid
//! records disagree (an idx gap or a broken prev-hash chain), since a crash can only lose the
//! end of what was written, never the middle.
//!
//! **Padding.** The writer preallocates with zeros and writes records over them, so a segment
//! may end, after its last record, in a run of zero bytes up to the end of the file: that is
//! the clean end of the segment, not damage. A record starts with the non-zero magic `JWAL`, so
//! zeros are never a record (nor the start of one). Zeros that stop before the end of the file
//! (anything non-zero after them) are not padding: the damage is where they start.
//!
//! # Invariants
//! - `scan` never writes and never panics on any file contents; unreadable files and stray
//!   `*.wal` names are typed [`ScanError`]s.
//! - The records handed to the visitor are exactly the valid prefix: idx 0, 1, 2, ... with each
//!   record's `prev` equal to the record hash of the one before (zero for idx 0), each segment
//!   named after the idx of its first record.
//! - `Scan::segments` lists exactly the segments that keep records or a valid file header before
//!   the damage, with the length of their valid prefix: what cutting at the damage leaves.
//! - Padding is only ever all-zero bytes from the end of a segment's last valid record to the
//!   end of its file; a segment holding damage has none.
//! - Hashing records ahead (`record::prehash_run`, many at a time) changes no outcome: every
//!   record is checked in the same order with the same hashes as one `decode` at a time.

use std::io;

use jitos_core::Hash;

use crate::record::{
    DecodeError, Decoded, Prehashed, RECORD_MAGIC, decode, decode_prehashed, prehash_run,
};
use crate::segment::{
    FILE_HEADER_LEN, FileHeaderError, SEGMENT_SUFFIX, check_file_header, parse_segment_name,
};
use crate::storage::Storage;

/// Records hashed ahead at a time: enough to fill the SIMD lanes many times over, few enough
/// that a run cut short by damage wastes little.
const PREHASHED_RECORDS_MAX: usize = 256;

/// One segment of the valid prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentSummary {
    /// File name, e.g. `00000000000000000000.wal`.
    pub name: String,
    /// Idx of its first record (the name's number).
    pub first_idx: u64,
    /// Valid records in it.
    pub n_records: u64,
    /// Bytes of its valid prefix: the file header and its valid records.
    pub valid_len: u64,
    /// Zero bytes after the valid prefix, up to the end of the file: the clean end of a segment
    /// the writer preallocated (0 when there are none, and in a segment holding damage).
    pub padding_len: u64,
}

/// What is wrong at the place a scan stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DamageReason {
    /// The segment file header is missing, short or wrong.
    #[error("bad segment file header: {0}")]
    FileHeader(FileHeaderError),
    /// The bytes at the offset are not a valid record.
    #[error("bad record: {0}")]
    Record(DecodeError),
    /// A segment is named after a different idx than the next one the log needs.
    #[error("segment starts at idx {found}, but the log continues at idx {expected}")]
    SegmentName {
        /// The idx the log continues at.
        expected: u64,
        /// The idx in the file name.
        found: u64,
    },
    /// A segment with no record is followed by another segment.
    #[error("segment holds no record but is not the last segment")]
    EmptySegment,
    /// A valid record with the wrong idx.
    #[error("record has idx {found}, expected {expected}")]
    IdxGap {
        /// The idx the log continues at.
        expected: u64,
        /// The idx the record carries.
        found: u64,
    },
    /// A valid record whose `prev` is not the previous record's hash.
    #[error("record {idx} does not chain to the record before it (prev hash mismatch)")]
    ChainBreak {
        /// The idx of the record that does not chain.
        idx: u64,
    },
}

/// How a scanned log ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanEnd {
    /// Every byte of every segment belongs to a valid file header, a valid record, or the zero
    /// padding after a segment's last record.
    Clean,
    /// Damage with nothing valid after it: an interrupted write, safe to cut off.
    TornTail {
        /// The segment file holding the damage.
        segment: String,
        /// Byte offset of the damage in that file (0: the whole file is unusable).
        offset: u64,
        /// What is wrong there.
        reason: DamageReason,
    },
    /// Damage followed by valid data, or a break between two valid records.
    Corrupt {
        /// The segment file holding the damage.
        segment: String,
        /// Byte offset of the damage in that file (0: the whole file is unusable).
        offset: u64,
        /// What is wrong there.
        reason: DamageReason,
    },
}

impl ScanEnd {
    /// The segment, offset and reason of the damage, unless the log is clean.
    #[must_use]
    pub fn damage(&self) -> Option<(&str, u64, &DamageReason)> {
        match self {
            ScanEnd::Clean => None,
            ScanEnd::TornTail {
                segment,
                offset,
                reason,
            }
            | ScanEnd::Corrupt {
                segment,
                offset,
                reason,
            } => Some((segment, *offset, reason)),
        }
    }
}

/// The result of a [`scan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// The segments of the valid prefix, in order (see the module invariants).
    pub segments: Vec<SegmentSummary>,
    /// Records in the valid prefix; also the idx the log continues at.
    pub n_records: u64,
    /// Record hash of the last valid record ([`Hash::ZERO`] if there is none).
    pub last_hash: Hash,
    /// How the log ends.
    pub end: ScanEnd,
}

/// Why a scan could not look at the log at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// Listing the directory or reading a segment failed.
    #[error("wal: cannot {op} {name}: {source}")]
    Io {
        /// What was being done (`list`, `read`).
        op: &'static str,
        /// The file (or the directory, `.`).
        name: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A `*.wal` file whose name is not 20 digits: not ours to interpret or delete.
    #[error("wal: unexpected file {name} (segment names are 20 digits and .wal)")]
    UnexpectedFile {
        /// The file name.
        name: String,
    },
}

/// The segment file names in `storage`, ascending (which is ascending first idx).
///
/// # Errors
/// Listing fails, or a `*.wal` name is not a segment name.
pub fn segment_names<S: Storage + ?Sized>(storage: &S) -> Result<Vec<(String, u64)>, ScanError> {
    let names = storage.list().map_err(|source| ScanError::Io {
        op: "list",
        name: ".".to_owned(),
        source,
    })?;
    let mut segments = Vec::new();
    for name in names {
        if let Some(first_idx) = parse_segment_name(&name) {
            segments.push((name, first_idx));
        } else if name.ends_with(SEGMENT_SUFFIX) {
            return Err(ScanError::UnexpectedFile { name });
        }
    }
    debug_assert!(segments.is_sorted_by_key(|(_, first_idx)| *first_idx));
    Ok(segments)
}

/// The contents of segment `name`, in `buf`.
fn read_into<S: Storage + ?Sized>(
    storage: &S,
    name: &str,
    buf: &mut Vec<u8>,
) -> Result<(), ScanError> {
    storage
        .read_into(name, buf)
        .map_err(|source| ScanError::Io {
            op: "read",
            name: name.to_owned(),
            source,
        })
}

/// Scans the log without looking at record contents (see [`scan_with`]).
///
/// # Errors
/// See [`scan_with`].
pub fn scan<S: Storage + ?Sized>(storage: &S) -> Result<Scan, ScanError> {
    scan_with(storage, &mut |_| {})
}

/// Scans the log, handing `visit` every record of the valid prefix, in order.
///
/// Damage is not an error: it is reported in [`Scan::end`]. The visitor has seen exactly the
/// `Scan::n_records` valid records when this returns.
///
/// # Errors
/// Listing or reading fails, or a stray `*.wal` file is present.
pub fn scan_with<S: Storage + ?Sized>(
    storage: &S,
    visit: &mut dyn FnMut(Decoded<&[u8]>),
) -> Result<Scan, ScanError> {
    let names = segment_names(storage)?;
    // One buffer for every segment read: its pages are mapped once, not once per segment.
    let mut bytes = Vec::new();
    let mut walk = Walk {
        segments: Vec::new(),
        n_records: 0,
        last_hash: Hash::ZERO,
    };
    for (segment_idx, (name, first_idx)) in names.iter().enumerate() {
        read_into(storage, name, &mut bytes)?;
        let is_last = segment_idx + 1 == names.len();
        let Some((offset, reason)) = walk.segment(name, *first_idx, &bytes, is_last, visit) else {
            continue;
        };
        let valid_follows = match reason {
            DamageReason::IdxGap { .. } | DamageReason::ChainBreak { .. } => true,
            _ => {
                valid_record_from(&bytes, offset + 1)
                    || later_has_valid_record(storage, &names[segment_idx + 1..])?
            }
        };
        let segment = name.clone();
        let offset = u64::try_from(offset).expect("offsets fit u64");
        let end = if valid_follows {
            ScanEnd::Corrupt {
                segment,
                offset,
                reason,
            }
        } else {
            ScanEnd::TornTail {
                segment,
                offset,
                reason,
            }
        };
        return Ok(walk.finish(end));
    }
    Ok(walk.finish(ScanEnd::Clean))
}

/// The state of a scan between segments.
struct Walk {
    segments: Vec<SegmentSummary>,
    n_records: u64,
    last_hash: Hash,
}

impl Walk {
    fn finish(self, end: ScanEnd) -> Scan {
        Scan {
            segments: self.segments,
            n_records: self.n_records,
            last_hash: self.last_hash,
            end,
        }
    }

    /// Walks one segment; returns the offset and reason of the first damage, if any.
    fn segment(
        &mut self,
        name: &str,
        first_idx: u64,
        bytes: &[u8],
        is_last: bool,
        visit: &mut dyn FnMut(Decoded<&[u8]>),
    ) -> Option<(usize, DamageReason)> {
        if first_idx != self.n_records {
            let expected = self.n_records;
            let found = first_idx;
            return Some((0, DamageReason::SegmentName { expected, found }));
        }
        if let Err(error) = check_file_header(bytes) {
            return Some((0, DamageReason::FileHeader(error)));
        }
        let mut summary = SegmentSummary {
            name: name.to_owned(),
            first_idx,
            n_records: 0,
            valid_len: FILE_HEADER_LEN as u64,
            padding_len: 0,
        };
        let mut offset = FILE_HEADER_LEN;
        // Hashes of the records ahead, computed a run at a time; `ahead[next]` belongs to the
        // record at `offset` as long as every record before it decoded.
        let mut ahead = Vec::new();
        let mut next = 0;
        let damage = loop {
            let rest = &bytes[offset..];
            if rest.is_empty() {
                break (summary.n_records == 0 && !is_last)
                    .then_some((0, DamageReason::EmptySegment));
            }
            if next == ahead.len() {
                ahead = prehash_run(rest, PREHASHED_RECORDS_MAX);
                next = 0;
            }
            let prehashed = ahead.get(next);
            next += 1;
            match self.record(rest, prehashed) {
                Ok(decoded) => {
                    offset += decoded.len;
                    visit(decoded);
                    summary.n_records += 1;
                    summary.valid_len = u64::try_from(offset).expect("offsets fit u64");
                }
                // Checked only once a record fails to decode: once per segment.
                Err(DamageReason::Record(_)) if is_padding(rest) => {
                    summary.padding_len = u64::try_from(rest.len()).expect("lengths fit u64");
                    break (summary.n_records == 0 && !is_last)
                        .then_some((0, DamageReason::EmptySegment));
                }
                Err(reason) => break Some((offset, reason)),
            }
        };
        // A segment whose header itself is the damage leaves nothing behind.
        if damage.as_ref().is_none_or(|(offset, _)| *offset > 0) {
            self.segments.push(summary);
        }
        damage
    }

    /// Decodes the record at the start of `bytes` (with its hashes from `prehashed`, if
    /// computed ahead) and checks that it continues the chain.
    fn record<'a>(
        &mut self,
        bytes: &'a [u8],
        prehashed: Option<&Prehashed>,
    ) -> Result<Decoded<&'a [u8]>, DamageReason> {
        let decoded = match prehashed {
            Some(prehashed) => decode_prehashed(bytes, prehashed),
            None => decode(bytes),
        }
        .map_err(DamageReason::Record)?;
        let idx = decoded.record.idx;
        if idx != self.n_records {
            let expected = self.n_records;
            return Err(DamageReason::IdxGap {
                expected,
                found: idx,
            });
        }
        if decoded.record.prev != self.last_hash {
            return Err(DamageReason::ChainBreak { idx });
        }
        self.n_records += 1;
        self.last_hash = decoded.hash;
        Ok(decoded)
    }
}

/// Whether `rest`, the bytes after a segment's last valid record up to the end of its file, is
/// zero padding: all zero (a record starts with the non-zero magic, so zeros hold none).
fn is_padding(rest: &[u8]) -> bool {
    const _: () = assert!(
        RECORD_MAGIC[0] != 0,
        "zeros are never the start of a record"
    );
    rest.iter().all(|byte| *byte == 0)
}

/// Whether a complete valid record starts at any offset `>= from` of `bytes`.
fn valid_record_from(bytes: &[u8], from: usize) -> bool {
    let Some(tail) = bytes.get(from..) else {
        return false;
    };
    tail.windows(RECORD_MAGIC.len())
        .enumerate()
        .filter(|(_, window)| *window == RECORD_MAGIC)
        .any(|(start, _)| decode(&tail[start..]).is_ok())
}

/// Whether any of the segments `later` holds a complete valid record anywhere.
fn later_has_valid_record<S: Storage + ?Sized>(
    storage: &S,
    later: &[(String, u64)],
) -> Result<bool, ScanError> {
    let mut bytes = Vec::new();
    for (name, _) in later {
        read_into(storage, name, &mut bytes)?;
        if valid_record_from(&bytes, 0) {
            return Ok(true);
        }
    }
    Ok(false)
}
