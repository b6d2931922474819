//! Property tests: the codec round-trips every value, and every input either fails to decode
//! or re-encodes to itself byte for byte; the id fast path equals the `Value` encoding.
//!
//! # Invariants
//! - Generated values stay within `CBOR_DEPTH_MAX`, so encoding them must succeed.
//! - Floats are drawn from all 2^64 bit patterns (non-canonical NaNs and subnormals included)
//!   and from integral values, so both sides of the float rule are exercised.

use std::collections::BTreeSet;

use jitos_core::cbor::{Map, Value, decode, encode, hash_canonical};
use jitos_core::{Hash, edge_id, node_id};
use proptest::prelude::*;

fn float_strategy() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<u64>().prop_map(f64::from_bits),
        any::<i64>().prop_map(|n| n as f64),
        any::<u64>().prop_map(|n| n as f64),
        prop::sample::select(vec![
            0.0,
            -0.0,
            0.5,
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            f64::from_bits(1),
            18_446_744_073_709_551_616.0,
            -18_446_744_073_709_551_616.0,
            18_446_744_073_709_549_568.0,
        ]),
    ]
}

fn leaf_strategy() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u64>().prop_map(Value::Unsigned),
        any::<u64>().prop_map(Value::Negative),
        (0u64..30).prop_map(Value::Unsigned),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
        any::<String>().prop_map(Value::Text),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        float_strategy().prop_map(Value::Float),
    ]
}

/// A map from arbitrary entries, keeping the first of any keys that encode alike.
fn map_keeping_first(entries: Vec<(Value, Value)>) -> Value {
    let mut seen = BTreeSet::new();
    let unique = entries
        .into_iter()
        .filter(|(key, _)| seen.insert(encode(key).expect("generated values are shallow")));
    Value::Map(Map::from_entries(unique).expect("keys deduplicated above"))
}

fn value_strategy() -> impl Strategy<Value = Value> {
    leaf_strategy().prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((inner.clone(), inner), 0..8).prop_map(map_keeping_first),
        ]
    })
}

/// Checks the decoder contract on arbitrary input: reject, or round-trip byte for byte.
fn assert_decode_contract(bytes: &[u8]) -> Result<(), TestCaseError> {
    match decode(bytes) {
        Ok(value) => prop_assert_eq!(encode(&value).expect("decoded values re-encode"), bytes),
        Err(error) => prop_assert!(error.offset() <= bytes.len(), "{error:?}"),
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { position: usize, mask: u8 },
    Set { position: usize, byte: u8 },
    Insert { position: usize, byte: u8 },
    Remove { position: usize },
    Truncate { len: usize },
}

fn mutation_strategy() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..).prop_map(|(position, mask)| Mutation::Flip { position, mask }),
        (any::<usize>(), any::<u8>()).prop_map(|(position, byte)| Mutation::Set { position, byte }),
        (any::<usize>(), any::<u8>())
            .prop_map(|(position, byte)| Mutation::Insert { position, byte }),
        any::<usize>().prop_map(|position| Mutation::Remove { position }),
        any::<usize>().prop_map(|len| Mutation::Truncate { len }),
    ]
}

fn apply(mutation: &Mutation, bytes: &mut Vec<u8>) {
    let len = bytes.len();
    match *mutation {
        Mutation::Flip { position, mask } if len > 0 => bytes[position % len] ^= mask,
        Mutation::Set { position, byte } if len > 0 => bytes[position % len] = byte,
        Mutation::Insert { position, byte } => bytes.insert(position % (len + 1), byte),
        Mutation::Remove { position } if len > 0 => {
            bytes.remove(position % len);
        }
        Mutation::Truncate { len: new_len } => bytes.truncate(new_len % (len + 1)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn value_round_trips(value in value_strategy()) {
        let bytes = encode(&value).unwrap();
        let decoded = decode(&bytes).unwrap();
        prop_assert_eq!(&decoded, &value.to_canonical());
        prop_assert_eq!(encode(&decoded).unwrap(), bytes);
    }

    #[test]
    fn arbitrary_bytes_reject_or_round_trip(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        assert_decode_contract(&bytes)?;
    }

    #[test]
    fn mutated_encodings_reject_or_round_trip(
        value in value_strategy(),
        mutations in prop::collection::vec(mutation_strategy(), 1..4),
    ) {
        let mut bytes = encode(&value).unwrap();
        for mutation in &mutations {
            apply(mutation, &mut bytes);
        }
        assert_decode_contract(&bytes)?;
    }

    #[test]
    fn map_encoding_ignores_entry_order(
        entries in prop::collection::vec((leaf_strategy(), leaf_strategy()), 0..12),
        seed in any::<u64>(),
    ) {
        let forward = map_keeping_first(entries.clone());
        let Value::Map(forward_map) = &forward else { unreachable!("a map") };
        let mut shuffled = forward_map.entries().to_vec();
        // A deterministic rotation and reversal; any permutation must give the same bytes.
        if !shuffled.is_empty() {
            let len = shuffled.len();
            shuffled.rotate_left(usize::try_from(seed % len as u64).unwrap());
        }
        shuffled.reverse();
        let backward = Value::map(shuffled).unwrap();
        prop_assert_eq!(encode(&forward).unwrap(), encode(&backward).unwrap());
    }

    #[test]
    fn text_keyed_maps_sort_by_encoded_key(
        keys in prop::collection::vec("[a-c]{0,3}|[a-z]{20,30}|\\PC{0,300}", 0..12),
    ) {
        // The all-text fast path must order exactly as the encoded keys do, and report the same
        // duplicates.
        let entries: Vec<(Value, Value)> =
            keys.iter().map(|key| (Value::text(key.as_str()), Value::Null)).collect();
        let unique: BTreeSet<&String> = keys.iter().collect();
        match Map::from_entries(entries) {
            Ok(map) => {
                prop_assert_eq!(unique.len(), keys.len());
                let encoded: Vec<Vec<u8>> =
                    map.entries().iter().map(|(key, _)| encode(key).unwrap()).collect();
                prop_assert!(encoded.windows(2).all(|pair| pair[0] < pair[1]), "{:?}", encoded);
                prop_assert_eq!(decode(&encode(&Value::Map(map.clone())).unwrap()).unwrap(), Value::Map(map));
            }
            Err(_) => prop_assert!(unique.len() < keys.len()),
        }
    }

    #[test]
    fn node_id_fast_path_equals_value_encoding(
        kind in any::<String>(),
        payload in prop::collection::vec(any::<u8>(), 0..3000),
    ) {
        let value = Value::array([
            Value::text("warp-node-v0"),
            Value::text(kind.clone()),
            Value::bytes(payload.clone()),
        ]);
        prop_assert_eq!(node_id(&kind, &payload), hash_canonical(&value).unwrap());
    }

    #[test]
    fn edge_id_fast_path_equals_value_encoding(
        from in any::<[u8; 32]>(),
        to in any::<[u8; 32]>(),
        kind in any::<String>(),
        payload in prop::option::of(prop::collection::vec(any::<u8>(), 0..3000)),
    ) {
        let (from, to) = (Hash::from_bytes(from), Hash::from_bytes(to));
        let value = Value::array([
            Value::text("warp-edge-v0"),
            Value::from(from),
            Value::from(to),
            Value::text(kind.clone()),
            payload.clone().map_or(Value::Null, Value::Bytes),
        ]);
        let fast = edge_id(&from, &to, &kind, payload.as_deref());
        prop_assert_eq!(fast, hash_canonical(&value).unwrap());
    }

    #[test]
    fn hash_text_form_round_trips(bytes in any::<[u8; 32]>()) {
        let hash = Hash::from_bytes(bytes);
        prop_assert_eq!(Hash::from_hex(&hash.to_string()), Ok(hash));
    }

    #[test]
    fn hash_parse_accepts_only_lowercase_hex(text in "[0-9a-fA-FxX ]{62,66}") {
        let lowercase_hex = text.len() == 64
            && text.bytes().all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
        prop_assert_eq!(Hash::from_hex(&text).is_ok(), lowercase_hex);
    }
}
