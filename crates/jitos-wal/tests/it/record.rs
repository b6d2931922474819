//! The record codec: the byte layout against hand-assembled bytes, every decode error, and
//! properties (round trip, prefixes are `Truncated`, arbitrary bytes never panic).
//!
//! # Invariants
//! - The hand-assembled layout here is written from `docs/spec/wal.md`, not from the encoder.

use jitos_core::{Hash, hash_bytes};
use jitos_wal::{
    DecodeError, RECORD_BODY_BYTES_MAX, RECORD_HEADER_LEN, RECORD_OVERHEAD_LEN, Record, decode,
    encode,
};
use proptest::prelude::*;

fn sample() -> Record {
    Record {
        idx: 0x0102_0304_0506_0708,
        prev: hash_bytes(b"prev"),
        rule_pack_id: hash_bytes(b"rules"),
        policy_id: 0xa1b2_c3d4,
        view_digest: hash_bytes(b"view"),
        body: vec![0xa1, 0x61, 0x76, 0x00],
    }
}

#[test]
fn layout_matches_the_spec_byte_for_byte() {
    let record = sample();
    let mut expected = Vec::new();
    expected.extend_from_slice(b"JWAL");
    expected.extend_from_slice(&[1, 0]); // version 1, LE
    expected.extend_from_slice(&[0, 0]); // flags
    expected.extend_from_slice(&[4, 0, 0, 0]); // body length
    expected.extend_from_slice(&[8, 7, 6, 5, 4, 3, 2, 1]); // idx, LE
    expected.extend_from_slice(record.prev.as_bytes());
    expected.extend_from_slice(record.rule_pack_id.as_bytes());
    expected.extend_from_slice(&[0xd4, 0xc3, 0xb2, 0xa1]); // policy_id, LE
    expected.extend_from_slice(record.view_digest.as_bytes());
    assert_eq!(expected.len(), 120);
    let check = *blake3::hash(&expected).as_bytes();
    expected.extend_from_slice(&check[..8]);
    assert_eq!(expected.len(), RECORD_HEADER_LEN);
    expected.extend_from_slice(&record.body);
    let record_hash = *blake3::hash(&expected).as_bytes();
    expected.extend_from_slice(&record_hash);

    let encoded = encode(&record);
    assert_eq!(encoded, expected);
    let decoded = decode(&encoded).unwrap();
    assert_eq!(decoded.record.into_owned(), record);
    assert_eq!(decoded.hash, Hash::from_bytes(record_hash));
    assert_eq!(decoded.len, RECORD_OVERHEAD_LEN + 4);
}

/// Re-seals a hand-edited header: recomputes the header check and the record hash.
fn reseal(bytes: &mut [u8]) {
    let check = *blake3::hash(&bytes[..120]).as_bytes();
    bytes[120..128].copy_from_slice(&check[..8]);
    let end = bytes.len() - 32;
    let hash = *blake3::hash(&bytes[..end]).as_bytes();
    bytes[end..].copy_from_slice(&hash);
}

#[test]
fn every_decode_error_is_reachable_and_typed() {
    let good = encode(&sample());

    let mut bad_magic = good.clone();
    bad_magic[0] = b'X';
    assert_eq!(decode(&bad_magic), Err(DecodeError::BadMagic));
    assert_eq!(decode(b"JW"), Err(DecodeError::Truncated { need: 128 }));
    assert_eq!(decode(b"JX"), Err(DecodeError::BadMagic));
    assert_eq!(decode(b""), Err(DecodeError::Truncated { need: 128 }));

    let mut version = good.clone();
    version[4] = 2;
    assert_eq!(
        decode(&version),
        Err(DecodeError::UnknownVersion { version: 2 })
    );
    assert_eq!(
        decode(&version[..6]),
        Err(DecodeError::UnknownVersion { version: 2 })
    );

    let mut header = good.clone();
    header[30] ^= 1;
    assert_eq!(decode(&header), Err(DecodeError::HeaderCheck));

    let mut flags = good.clone();
    flags[6] = 0x80;
    reseal(&mut flags);
    assert_eq!(
        decode(&flags),
        Err(DecodeError::ReservedFlags { flags: 0x80 })
    );

    let mut huge = good.clone();
    let too_long = u32::try_from(RECORD_BODY_BYTES_MAX + 1).unwrap();
    huge[8..12].copy_from_slice(&too_long.to_le_bytes());
    reseal(&mut huge);
    assert_eq!(
        decode(&huge),
        Err(DecodeError::LengthTooLarge { len: too_long })
    );

    assert_eq!(
        decode(&good[..good.len() - 1]),
        Err(DecodeError::Truncated { need: good.len() })
    );

    let mut body = good.clone();
    body[RECORD_HEADER_LEN] ^= 0x40;
    assert_eq!(decode(&body), Err(DecodeError::RecordHash));
}

#[test]
fn decode_ignores_bytes_after_the_record() {
    let mut bytes = encode(&sample());
    let len = bytes.len();
    bytes.extend_from_slice(b"JWAL and more");
    let decoded = decode(&bytes).unwrap();
    assert_eq!(decoded.len, len);
    assert_eq!(decoded.record.into_owned(), sample());
}

fn any_hash() -> impl Strategy<Value = Hash> {
    any::<[u8; 32]>().prop_map(Hash::from_bytes)
}

prop_compose! {
    fn any_record()(
        idx in any::<u64>(),
        prev in any_hash(),
        rule_pack_id in any_hash(),
        policy_id in any::<u32>(),
        view_digest in any_hash(),
        body in proptest::collection::vec(any::<u8>(), 0..600),
    ) -> Record {
        Record { idx, prev, rule_pack_id, policy_id, view_digest, body }
    }
}

proptest! {
    #[test]
    fn round_trip(record in any_record()) {
        let bytes = encode(&record);
        prop_assert_eq!(bytes.len(), RECORD_OVERHEAD_LEN + record.body.len());
        let decoded = decode(&bytes).unwrap();
        prop_assert_eq!(decoded.len, bytes.len());
        prop_assert_eq!(decoded.hash, jitos_core::hash_bytes(&bytes[..bytes.len() - 32]));
        prop_assert_eq!(decoded.record.into_owned(), record);
    }

    #[test]
    fn every_proper_prefix_is_truncated(record in any_record(), cut in any::<prop::sample::Index>()) {
        let bytes = encode(&record);
        let cut = cut.index(bytes.len());
        let need = if cut < RECORD_HEADER_LEN { RECORD_HEADER_LEN } else { bytes.len() };
        prop_assert_eq!(decode(&bytes[..cut]), Err(DecodeError::Truncated { need }));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_accepted_bytes_reencode(
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        if let Ok(decoded) = decode(&bytes) {
            prop_assert_eq!(encode(&decoded.record), bytes[..decoded.len].to_vec());
        }
    }

    #[test]
    fn a_flipped_bit_is_always_rejected(record in any_record(), bit in any::<prop::sample::Index>()) {
        let mut bytes = encode(&record);
        let bit = bit.index(bytes.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(decode(&bytes).is_err());
    }
}
