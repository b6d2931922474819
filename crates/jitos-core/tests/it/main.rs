//! The one integration test binary of jitos-core: golden vectors and property tests.
//!
//! Golden vector files live in `tests/vectors/`. They are only ever rewritten by running the
//! tests with `UPDATE_EXPECT=1`, which replaces the expected hex, errors and ids with what the
//! code computes instead of asserting; review the diff before committing it.
//!
//! # Invariants
//! - Without `UPDATE_EXPECT`, no test writes any file.
//! - Every vector file is pretty JSON with a trailing newline, exactly as `to_string_pretty`
//!   writes it: a hand edit that changes formatting fails the test.

mod canonical;
mod ids;
mod props;
mod support;
