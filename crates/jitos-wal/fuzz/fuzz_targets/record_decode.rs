//! Fuzz target: the WAL record decoder accepts exactly the bytes the encoder writes.
//!
//! Each input is decoded twice: as it is, and *sealed*: with its header check and (if its
//! length field fits the input) its record hash recomputed, so the fuzzer also reaches every
//! check behind the two hashes (flags, length limit, truncation, body) and the accept path.
//!
//! Run from `crates/jitos-wal`:
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run record_decode -- -max_total_time=20`.
//!
//! # Invariants
//! - `decode` never panics on any input.
//! - For every input `decode` accepts, `encode(decoded.record) == input[..decoded.len]` and
//!   `decoded.hash` is blake3 of the record without its trailer.
//! - A rejection for truncation names a length beyond the input.

#![no_main]

use jitos_wal::{DecodeError, RECORD_HEADER_LEN, decode, encode};
use libfuzzer_sys::fuzz_target;

fn check(data: &[u8]) {
    match decode(data) {
        Ok(decoded) => {
            assert!(decoded.len <= data.len());
            let encoded = encode(&decoded.record);
            assert_eq!(encoded, &data[..decoded.len], "decode accepted non-canonical bytes");
            let hashed = &data[..decoded.len - 32];
            assert_eq!(decoded.hash, jitos_core::hash_bytes(hashed));
        }
        Err(DecodeError::Truncated { need }) => assert!(need > data.len(), "{need} <= input"),
        Err(_) => {}
    }
}

/// `data` with a correct header check and, when the length field fits, a correct record hash.
fn sealed(data: &[u8]) -> Option<Vec<u8>> {
    if data.len() < RECORD_HEADER_LEN {
        return None;
    }
    let mut bytes = data.to_vec();
    let check = *blake3::hash(&bytes[..120]).as_bytes();
    bytes[120..128].copy_from_slice(&check[..8]);
    let body_len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    let end = RECORD_HEADER_LEN + usize::try_from(body_len).ok()?;
    if end + 32 <= bytes.len() {
        let hash = *blake3::hash(&bytes[..end]).as_bytes();
        bytes[end..end + 32].copy_from_slice(&hash);
    }
    Some(bytes)
}

fuzz_target!(|data: &[u8]| {
    check(data);
    if let Some(bytes) = sealed(data) {
        check(&bytes);
    }
});
