//! Fuzz target: the event decoder accepts exactly the bytes the encoder writes.
//!
//! Run from `crates/jitos-kernel`:
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run event_decode -- -max_total_time=20`.
//!
//! # Invariants
//! - `decode_event` never panics on any input.
//! - Every event it accepts encodes back to exactly the input, and its id is blake3 of it.

#![no_main]

use jitos_kernel::decode_event;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = decode_event(data) {
        assert_eq!(event.encode().expect("a decoded event encodes"), data);
        assert_eq!(event.id, jitos_core::hash_bytes(data));
    }
});
