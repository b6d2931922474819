//! The one integration test binary of jitos-graph: golden vectors, property tests against an
//! independent reference, structural sharing at scale, and the diff of two graphs.
//!
//! Golden vector files live in `tests/vectors/`. They are only ever rewritten by running the
//! tests with `UPDATE_EXPECT=1`, which replaces the expected values with what the code computes
//! (after checking the crate against the reference) instead of asserting; review the diff
//! before committing it.
//!
//! # Invariants
//! - Without `UPDATE_EXPECT`, no test writes any file.
//! - `reference.rs` never calls into jitos-graph: it is the oracle, not a second copy.

mod diff;
mod props;
mod reference;
mod sharing;
mod support;
mod vectors;
