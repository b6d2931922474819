//! stub
//!
//! # Invariants
//! - none yet
