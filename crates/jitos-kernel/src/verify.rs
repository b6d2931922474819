//! Offline verification of a data directory (being written).
//!
//! # Invariants
//! - Reads only; never changes the directory.
