//! Fuzz target: the canonical CBOR decoder accepts only canonical bytes.
//!
//! Run from `crates/jitos-core`:
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run cbor_decode -- -max_total_time=30`.
//!
//! # Invariants
//! - For every input `decode` accepts, `encode(decode(b)) == b` (contract §1).
//! - `decode` never panics, and a rejection's offset lies within the input.

#![no_main]

use jitos_core::cbor::{decode, encode, hash_canonical};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match decode(data) {
        Ok(value) => {
            let encoded = encode(&value).expect("a decoded value is shallow enough to encode");
            assert_eq!(encoded, data, "decode accepted non-canonical bytes");
            let hash = hash_canonical(&value).expect("encodes");
            assert_eq!(hash, jitos_core::hash_bytes(data));
        }
        Err(error) => assert!(error.offset() <= data.len(), "{error:?} beyond the input"),
    }
});
