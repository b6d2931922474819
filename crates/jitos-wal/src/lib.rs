//! jitos-wal: the write-ahead log that makes the kernel's event log durable
//! (`docs/spec/wal.md`).
//!
//! - [`record`]: one record's byte layout, [`encode`] and the strict [`decode`].
//! - [`segment`]: segment file names and the 16-byte segment file header.
//! - [`storage`]: the [`Storage`] trait and [`FsStorage`]; [`sim`]: [`SimStorage`], the
//!   deterministic in-memory storage with power cuts and fault injection.
//! - [`scan`](mod@scan): reading the log back and classifying its end ([`ScanEnd`]).
//! - [`wal`]: the writer [`Wal`]: open with recovery, append over preallocated zeros, group
//!   commit, fail-stop.
//!
//! Records are opaque: a body (the event's canonical CBOR) and header fields. This crate knows
//! nothing about events, graphs or the kernel.
//!
//! # Invariants
//! - Depends only on jitos-core: no kernel, no async, no clock, no randomness beyond the seeded
//!   [`SplitMix64`] of the simulation.
//! - All I/O goes through [`Storage`], so the same code runs on disk and in simulation.
//! - Every record is verified on read (header check, record hash, idx, prev chain); a reader
//!   never hands out a record that failed a check.
//! - Every multi-byte integer is little-endian, written with `to_le_bytes`.

pub mod record;
pub mod scan;
pub mod segment;
pub mod sim;
pub mod storage;
pub mod wal;

#[cfg(test)]
mod tests;

pub use record::{
    DecodeError, Decoded, RECORD_BODY_BYTES_MAX, RECORD_HEADER_LEN, RECORD_OVERHEAD_LEN, Record,
    decode, encode,
};
pub use scan::{DamageReason, Scan, ScanEnd, ScanError, SegmentSummary, scan, scan_with};
pub use segment::{FILE_HEADER_LEN, segment_name};
pub use sim::{PowerCut, SimStorage, SplitMix64};
pub use storage::{FsStorage, Storage};
pub use wal::{
    Appended, Entry, OpenError, Opening, PREALLOCATE_BYTES_MAX, Recover, Recovery, RecoveryAction,
    Wal, WalError, WalOptions,
};
