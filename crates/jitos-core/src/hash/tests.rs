//! Unit tests for `Hash` and its text form.
//!
//! # Invariants
//! - Every rejection rule of contract §2 (uppercase, prefix, length) has a case here.

use super::{HASH_HEX_LEN, Hash, HashParseError, hash_bytes};

const EMPTY_BLAKE3: &str = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";

#[test]
fn blake3_of_empty_input_is_the_published_value() {
    assert_eq!(hash_bytes(b"").to_string(), EMPTY_BLAKE3);
}

#[test]
fn display_and_debug_are_64_lowercase_hex() {
    let hash = Hash::from_bytes([0xab; 32]);
    assert_eq!(hash.to_string(), "ab".repeat(32));
    assert_eq!(format!("{hash:?}"), "ab".repeat(32));
    assert_eq!(Hash::ZERO.to_string(), "0".repeat(HASH_HEX_LEN));
}

#[test]
fn from_hex_round_trips() {
    let hash = hash_bytes(b"jitos");
    assert_eq!(Hash::from_hex(&hash.to_string()), Ok(hash));
    assert_eq!(
        EMPTY_BLAKE3
            .parse::<Hash>()
            .map(|h| h.to_string())
            .as_deref(),
        Ok(EMPTY_BLAKE3)
    );
    let mut bytes = [0u8; 32];
    for (idx, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::try_from(idx * 8).unwrap();
    }
    let all_digits = Hash::from_bytes(bytes);
    assert_eq!(Hash::from_hex(&all_digits.to_string()), Ok(all_digits));
}

#[test]
fn from_hex_rejects_uppercase() {
    let upper = EMPTY_BLAKE3.to_uppercase();
    assert_eq!(
        Hash::from_hex(&upper),
        Err(HashParseError::InvalidDigit { index: 0 })
    );
    let mut one_upper = EMPTY_BLAKE3.to_owned();
    one_upper.replace_range(63..64, "F");
    assert_eq!(
        Hash::from_hex(&one_upper),
        Err(HashParseError::InvalidDigit { index: 63 })
    );
}

#[test]
fn from_hex_rejects_prefixes_and_other_lengths() {
    let prefixed = format!("0x{EMPTY_BLAKE3}");
    assert_eq!(
        Hash::from_hex(&prefixed),
        Err(HashParseError::Length { len: 66 })
    );
    let prefixed_short = format!("0x{}", &EMPTY_BLAKE3[2..]);
    assert_eq!(
        Hash::from_hex(&prefixed_short),
        Err(HashParseError::InvalidDigit { index: 1 })
    );
    assert_eq!(Hash::from_hex(""), Err(HashParseError::Length { len: 0 }));
    assert_eq!(
        Hash::from_hex(&EMPTY_BLAKE3[1..]),
        Err(HashParseError::Length { len: 63 })
    );
    let long = format!("{EMPTY_BLAKE3}0");
    assert_eq!(
        Hash::from_hex(&long),
        Err(HashParseError::Length { len: 65 })
    );
    let spaced = format!(" {}", &EMPTY_BLAKE3[1..]);
    assert_eq!(
        Hash::from_hex(&spaced),
        Err(HashParseError::InvalidDigit { index: 0 })
    );
    // 64 bytes of UTF-8 that are not 64 characters: still a byte-length check, then a digit one.
    let multibyte = format!("é{}", &EMPTY_BLAKE3[2..]);
    assert_eq!(
        Hash::from_hex(&multibyte),
        Err(HashParseError::InvalidDigit { index: 0 })
    );
    let non_hex = "g".repeat(HASH_HEX_LEN);
    assert_eq!(
        Hash::from_hex(&non_hex),
        Err(HashParseError::InvalidDigit { index: 0 })
    );
}

#[test]
fn ordering_is_byte_order() {
    let low = Hash::from_bytes([0x00; 32]);
    let mut high_bytes = [0x00; 32];
    high_bytes[0] = 0x01;
    let high = Hash::from_bytes(high_bytes);
    assert!(low < high);
    assert!(low.to_string() < high.to_string());
}
