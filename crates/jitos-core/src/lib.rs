//! jitos-core: the byte-level foundations every other JITOS crate builds on.
//!
//! - [`hash`]: [`Hash`](struct@Hash), a 32-byte BLAKE3 digest, and its one text form (64 lowercase hex).
//! - [`cbor`]: the canonical CBOR codec ([`cbor::encode`], [`cbor::decode`],
//!   [`cbor::hash_canonical`]) over [`cbor::Value`].
//! - [`ids`]: content-addressed [`node_id`] and [`edge_id`].
//! - [`limits`]: every limit of the kernel and its API, with compile-time checked relations.
//!
//! The frozen rules come from the contract (`shared/spec/CONTRACT.md` §1-§2); the choices it
//! left open are in `docs/spec/encoding.md`, pinned by the golden vectors under
//! `tests/vectors/`.
//!
//! # Invariants
//! - No I/O, no async, no clock, no randomness, no `unsafe`: every function here is a pure
//!   function of its arguments, so every id and digest is reproducible on replay.
//! - Anything hashed goes through the canonical encoding: `decode` accepts only bytes that
//!   `encode` would produce, so one value has exactly one byte form and one hash.

pub mod cbor;
pub mod hash;
pub mod ids;
pub mod limits;

pub use cbor::{DecodeError, EncodeError, Value, hash_canonical};
pub use hash::{Hash, HashParseError, hash_bytes};
pub use ids::{edge_id, node_id, node_ids_each};
