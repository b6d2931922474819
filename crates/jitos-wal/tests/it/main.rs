//! The one integration test binary of jitos-wal.
//!
//! - `record`: the record codec (round trip, every error, hand-assembled layout).
//! - `golden`: the checked-in golden WAL, truncation at every byte offset, bit flips, chain
//!   breaks. `tests/golden/` is rewritten only under `UPDATE_EXPECT=1`.
//! - `writer`: open, append, sync, rotation, fail-stop, recovery policies, `FsStorage`.
//! - `padding`: preallocation: the padded golden WAL (`UPDATE_EXPECT=1` rewrites it), zero
//!   padding as the clean end, truncation and bit flips over a padded segment, damage across
//!   padding, the writer's steady state, extension failures, `FsStorage::write_at`.
//! - `power`: seeded power cuts on `SimStorage`, tearing records written in place.
//!
//! # Invariants
//! - Without `UPDATE_EXPECT=1`, no test writes outside its own temporary directory.
//! - Every random choice comes from a seeded `SplitMix64`: every run tests the same cases.

#![allow(
    clippy::unwrap_used,
    reason = "a test binary: a failed unwrap is a failed test"
)]

mod golden;
mod padding;
mod power;
mod record;
mod support;
mod writer;
