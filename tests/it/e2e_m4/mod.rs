//! Milestone M4 over the real daemon: a durable `jitosd` keeps its history across restarts.
//!
//! # Invariants
//! - Every daemon here persists to its own temporary directory, removed after the test.

mod restart;
