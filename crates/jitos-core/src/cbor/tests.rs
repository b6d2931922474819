//! Unit tests for the codec: rules the golden vectors cannot show compactly (long strings,
//! huge declared lengths, encoder-side errors, the `Value` helpers).
//!
//! # Invariants
//! - Every test that decodes also re-encodes and compares bytes when decoding succeeds.

use super::float::{FloatForm, float_form};
use super::{
    DecodeError, EncodeError, Map, Reader, Value, decode, encode, encode_into, hash_canonical,
};
use crate::limits::CBOR_DEPTH_MAX;

const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

fn round_trip(bytes: &[u8]) -> Value {
    let value = decode(bytes).unwrap();
    assert_eq!(encode(&value).unwrap(), bytes);
    value
}

fn nested_arrays(n_levels: usize) -> Value {
    let mut value = Value::Unsigned(1);
    for _ in 0..n_levels {
        value = Value::Array(vec![value]);
    }
    value
}

#[test]
fn float_form_boundaries() {
    assert_eq!(float_form(0.0), FloatForm::Unsigned(0));
    assert_eq!(float_form(-0.0), FloatForm::Unsigned(0));
    assert_eq!(float_form(1.0), FloatForm::Unsigned(1));
    assert_eq!(float_form(-1.0), FloatForm::Negative(0));
    assert_eq!(
        float_form(TWO_POW_64 - 2048.0),
        FloatForm::Unsigned(u64::MAX - 2047)
    );
    assert_eq!(
        float_form(TWO_POW_64),
        FloatForm::Float64(TWO_POW_64.to_bits())
    );
    assert_eq!(float_form(-TWO_POW_64), FloatForm::Negative(u64::MAX));
    let below = -TWO_POW_64 - 4096.0;
    assert_eq!(float_form(below), FloatForm::Float64(below.to_bits()));
    assert_eq!(float_form(0.5), FloatForm::Float64(0.5f64.to_bits()));
    assert_eq!(
        float_form(f64::INFINITY),
        FloatForm::Float64(f64::INFINITY.to_bits())
    );
    assert_eq!(
        float_form(-f64::NAN),
        FloatForm::Float64(super::CANONICAL_NAN_BITS)
    );
    assert_eq!(float_form(f64::from_bits(1)), FloatForm::Float64(1));
    assert_eq!(
        float_form(-f64::MIN_POSITIVE),
        FloatForm::Float64((-f64::MIN_POSITIVE).to_bits())
    );
}

#[test]
fn long_strings_use_two_and_four_byte_length_heads() {
    for (len, head) in [
        (65_535usize, vec![0x79, 0xff, 0xff]),
        (65_536, vec![0x7a, 0x00, 0x01, 0x00, 0x00]),
    ] {
        let text = "x".repeat(len);
        let bytes = encode(&Value::text(text.clone())).unwrap();
        assert_eq!(&bytes[..head.len()], head.as_slice());
        assert_eq!(round_trip(&bytes), Value::Text(text));
        let mut bytes_form = bytes.clone();
        bytes_form[0] = (bytes_form[0] & 0x1f) | 0x40;
        assert_eq!(round_trip(&bytes_form), Value::Bytes(vec![b'x'; len]));
    }
}

#[test]
fn huge_declared_lengths_are_incomplete_without_allocating() {
    let cases: [&[u8]; 6] = [
        &[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        &[0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        &[0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        &[0x9a, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02],
        &[0x5a, 0x00, 0x01, 0x00, 0x00, 0x00],
    ];
    for bytes in cases {
        assert!(
            matches!(decode(bytes), Err(DecodeError::Incomplete { .. })),
            "{bytes:02x?}"
        );
    }
    assert_eq!(decode(cases[4]), Err(DecodeError::Incomplete { offset: 7 }));
    assert_eq!(decode(cases[5]), Err(DecodeError::Incomplete { offset: 0 }));
}

#[test]
fn encoder_refuses_values_deeper_than_the_limit() {
    assert!(encode(&nested_arrays(CBOR_DEPTH_MAX)).is_ok());
    assert_eq!(
        encode(&nested_arrays(CBOR_DEPTH_MAX + 1)),
        Err(EncodeError::DepthExceeded)
    );
    let mut out = vec![0xaa];
    let result = encode_into(&nested_arrays(CBOR_DEPTH_MAX + 1), &mut out);
    assert_eq!(result, Err(EncodeError::DepthExceeded));
    assert_eq!(out, [0xaa], "nothing is left behind on error");
    let deep_in_map = Value::map([(Value::Null, nested_arrays(CBOR_DEPTH_MAX))]).unwrap();
    assert_eq!(encode(&deep_in_map), Err(EncodeError::DepthExceeded));
    assert_eq!(
        hash_canonical(&deep_in_map),
        Err(EncodeError::DepthExceeded)
    );
}

#[test]
fn decoder_depth_limit_is_the_encoder_depth_limit() {
    let accepted = encode(&nested_arrays(CBOR_DEPTH_MAX)).unwrap();
    assert_eq!(round_trip(&accepted), nested_arrays(CBOR_DEPTH_MAX));
    let mut rejected = vec![0x81];
    rejected.extend_from_slice(&accepted);
    assert_eq!(
        decode(&rejected),
        Err(DecodeError::DepthExceeded {
            offset: CBOR_DEPTH_MAX
        })
    );
    // A very deep input is refused at the limit, long before the stack could suffer.
    let hostile = vec![0x81; 1_000_000];
    assert_eq!(
        decode(&hostile),
        Err(DecodeError::DepthExceeded {
            offset: CBOR_DEPTH_MAX
        })
    );
}

#[test]
fn map_from_entries_sorts_by_encoded_key() {
    let map = Map::from_entries([
        (Value::text("b"), Value::from(2u64)),
        (Value::text("aa"), Value::from(1u64)),
        (Value::from(-1i64), Value::Null),
        (Value::from(10u64), Value::Null),
        (Value::bytes(vec![0]), Value::Null),
    ])
    .unwrap();
    let keys: Vec<&Value> = map.iter().map(|(key, _)| key).collect();
    assert_eq!(
        keys,
        [
            &Value::Unsigned(10),
            &Value::Negative(0),
            &Value::Bytes(vec![0]),
            &Value::text("b"),
            &Value::text("aa")
        ]
    );
    assert_eq!(map.get_text("aa"), Some(&Value::Unsigned(1)));
    assert_eq!(map.get(&Value::Unsigned(10)), Some(&Value::Null));
    assert_eq!(map.get(&Value::text("zz")), None);
}

#[test]
fn map_from_entries_rejects_keys_that_encode_alike() {
    let duplicate = Map::from_entries([
        (Value::text("x"), Value::Null),
        (Value::Unsigned(1), Value::Null),
        (Value::Float(1.0), Value::Null),
    ]);
    assert_eq!(
        duplicate,
        Err(EncodeError::DuplicateKey {
            first: 1,
            second: 2
        })
    );
    let nan_twice = Value::map([
        (Value::Float(f64::NAN), Value::Null),
        (Value::Float(-f64::NAN), Value::Null),
    ]);
    assert_eq!(
        nan_twice,
        Err(EncodeError::DuplicateKey {
            first: 0,
            second: 1
        })
    );
}

#[test]
fn to_canonical_is_what_decoding_returns() {
    let value = Value::array([
        Value::Float(2.0),
        Value::Float(-0.0),
        Value::Float(-f64::NAN),
        Value::Float(0.25),
        Value::map([(Value::Float(3.0), Value::Float(-5.0))]).unwrap(),
    ]);
    let canonical = value.to_canonical();
    assert_eq!(decode(&encode(&value).unwrap()).unwrap(), canonical);
    assert_ne!(value, canonical, "structural equality tells 2.0 from 2");
    assert_eq!(canonical.to_canonical(), canonical);
}

#[test]
fn value_helpers() {
    assert_eq!(Value::integer(-1), Some(Value::Negative(0)));
    assert_eq!(
        Value::integer(-(1i128 << 64)),
        Some(Value::Negative(u64::MAX))
    );
    assert_eq!(Value::integer(-(1i128 << 64) - 1), None);
    assert_eq!(Value::integer(1i128 << 64), None);
    assert_eq!(
        Value::from(i64::MIN).as_integer(),
        Some(i128::from(i64::MIN))
    );
    assert_eq!(
        Value::from(i64::MAX),
        Value::Unsigned(u64::try_from(i64::MAX).unwrap())
    );
    assert_eq!(Value::Negative(u64::MAX).as_integer(), Some(-(1i128 << 64)));
    assert_eq!(Value::from(1.5), Value::Float(1.5));
    assert_eq!(Value::from(-3.0), Value::Negative(2));
    assert_eq!(Value::from("t").as_text(), Some("t"));
    assert_eq!(Value::from(true).as_bool(), Some(true));
    assert!(Value::Null.is_null());
    assert_eq!(Value::Float(f64::NAN), Value::Float(f64::NAN));
    assert_ne!(Value::Float(0.0), Value::Float(-0.0));
}

#[test]
fn hash_is_a_32_byte_byte_string() {
    let hash = crate::hash::hash_bytes(b"x");
    let bytes = encode(&Value::from(hash)).unwrap();
    assert_eq!(&bytes[..2], [0x58, 0x20]);
    assert_eq!(&bytes[2..], hash.as_bytes());
}

#[test]
fn error_offsets_point_at_the_offending_item() {
    let cases: [(&[u8], DecodeError); 8] = [
        (&[0x82, 0x01], DecodeError::Incomplete { offset: 2 }),
        (&[0x82, 0x01, 0x18], DecodeError::Incomplete { offset: 2 }),
        (
            &[0x82, 0x01, 0x18, 0x05],
            DecodeError::NonCanonicalInt { offset: 2 },
        ),
        (
            &[0xa2, 0x01, 0x00, 0x00, 0x00],
            DecodeError::MapKeyOrder { offset: 3 },
        ),
        (
            &[0xa2, 0x61, 0x61, 0x00, 0x61, 0x61, 0x00],
            DecodeError::DuplicateKey { offset: 4 },
        ),
        (
            &[0x81, 0x62, 0xc3, 0x28],
            DecodeError::InvalidUtf8 { offset: 1 },
        ),
        (&[0x01, 0x02, 0x03], DecodeError::Trailing { offset: 1 }),
        (
            &[0x82, 0xf6, 0xf7],
            DecodeError::UndefinedOrUnknownSimple { offset: 2 },
        ),
    ];
    for (bytes, error) in cases {
        assert_eq!(decode(bytes), Err(error), "{bytes:02x?}");
        assert_eq!(decode(bytes).unwrap_err().offset(), error.offset());
    }
}

#[test]
fn first_rule_broken_left_to_right_wins() {
    // The array announces three items but the first one is already invalid.
    assert_eq!(
        decode(&[0x83, 0xf7]),
        Err(DecodeError::UndefinedOrUnknownSimple { offset: 1 })
    );
    // A non-canonical head inside an otherwise duplicate key reports the head.
    assert_eq!(
        decode(&[0xa2, 0x00, 0x00, 0x18, 0x00, 0x00]),
        Err(DecodeError::NonCanonicalInt { offset: 3 })
    );
}

#[test]
fn error_messages_are_lowercase_without_trailing_dot() {
    let errors = [
        DecodeError::Tag { offset: 0 }.to_string(),
        DecodeError::DepthExceeded { offset: 64 }.to_string(),
        EncodeError::DepthExceeded.to_string(),
        EncodeError::DuplicateKey {
            first: 0,
            second: 1,
        }
        .to_string(),
    ];
    for message in errors {
        assert!(!message.ends_with('.'), "{message}");
        assert!(
            message.chars().next().is_some_and(|c| !c.is_uppercase()),
            "{message}"
        );
    }
    assert_eq!(
        DecodeError::DepthExceeded { offset: 64 }.name(),
        "DepthExceeded"
    );
}

#[test]
fn a_reader_expects_a_text_by_its_exact_bytes() {
    let long = "k".repeat(300);
    let texts = ["", "op", "kind", "payload", long.as_str()];
    let bytes = encode(&Value::Array(
        texts
            .iter()
            .map(|text| Value::Text((*text).to_owned()))
            .collect(),
    ))
    .unwrap();
    let mut reader = Reader::new(&bytes);
    assert_eq!(reader.array_len(), Some(texts.len() as u64));
    for text in texts {
        assert_eq!(reader.clone().expect_text(&format!("{text}x")), None);
        if let Some(shorter) = text.get(..text.len().wrapping_sub(1)) {
            assert_eq!(reader.clone().expect_text(shorter), None);
        }
        assert_eq!(reader.expect_text(text), Some(()), "{text:?}");
    }
    assert!(reader.is_at_end());
    // A byte string with the same bytes is not the text.
    let bytes = encode(&Value::Bytes(b"op".to_vec())).unwrap();
    assert_eq!(Reader::new(&bytes).expect_text("op"), None);
}
