//! Unit tests of [`CritMap`] against `std`'s `BTreeMap` as the oracle, after every change of
//! random scripts, and of persistence: a clone never sees a later change.
//!
//! # Invariants
//! - Keys are hashes with one random byte at one random position and zeros elsewhere, so the
//!   critical bits land anywhere in the key (the first byte, the last, between) and keys
//!   collide often; pair keys also share their first hash often.
//! - `check` walks the tree itself for the structural invariants of the module doc.

use std::collections::BTreeMap;
use std::ops::Bound;

use proptest::prelude::*;

use super::*;

fn key(position: usize, byte: u8) -> Hash {
    let mut bytes = [0u8; 32];
    bytes[position] = byte;
    Hash::from_bytes(bytes)
}

fn hash_key() -> impl Strategy<Value = Hash> + Clone {
    (prop_oneof![Just(0usize), Just(31), 0..32usize], any::<u8>())
        .prop_map(|(position, byte)| key(position, byte))
}

fn pair_key() -> impl Strategy<Value = (Hash, Hash)> + Clone {
    (0..4u8, hash_key()).prop_map(|(first, second)| (key(0, first), second))
}

#[derive(Debug, Clone)]
enum Step<K> {
    Insert(K, u32),
    InsertAbsent(K, u32),
    Remove(K),
    Snapshot,
}

fn steps<K: std::fmt::Debug + Clone>(
    key: impl Strategy<Value = K> + Clone,
) -> impl Strategy<Value = Vec<Step<K>>> {
    let step = prop_oneof![
        3 => (key.clone(), any::<u32>()).prop_map(|(k, v)| Step::Insert(k, v)),
        2 => (key.clone(), any::<u32>()).prop_map(|(k, v)| Step::InsertAbsent(k, v)),
        2 => key.prop_map(Step::Remove),
        1 => Just(Step::Snapshot),
    ];
    proptest::collection::vec(step, 0..120)
}

/// The structural invariants; returns the keys in walk order.
fn check<K: CritKey + std::fmt::Debug, V>(map: &CritMap<K, V>) -> Vec<K> {
    fn walk<K: CritKey + std::fmt::Debug, V>(
        node: &Child<K, V>,
        above: Option<u16>,
        keys: &mut Vec<K>,
    ) {
        match node {
            Child::Leaf(leaf) => keys.push(leaf.key),
            Child::Branch(branch) => {
                assert!(
                    above.is_none_or(|above| branch.bit > above),
                    "bits increase"
                );
                for (side, child) in branch.children.iter().enumerate() {
                    let start = keys.len();
                    walk(child, Some(branch.bit), keys);
                    for key in &keys[start..] {
                        assert_eq!(key.bit(branch.bit), side, "{key:?} on side {side}");
                    }
                }
            }
        }
    }
    let mut keys = Vec::new();
    if let Some(root) = &map.root {
        walk(root, None, &mut keys);
    }
    assert_eq!(keys.len(), map.len());
    keys
}

/// Runs `script` on a map and on the oracle, checking every read after every step, and that
/// the snapshots taken on the way still read as they did.
fn run<K: CritKey + Send + Sync + std::fmt::Debug>(script: Vec<Step<K>>, probes: &[K]) {
    let mut map = CritMap::new();
    let mut oracle = BTreeMap::new();
    let mut snapshots = Vec::new();
    for step in script {
        match step {
            Step::Insert(key, value) => {
                assert_eq!(map.insert(key, value), oracle.insert(key, value));
            }
            Step::InsertAbsent(key, value) => {
                let absent = !oracle.contains_key(&key);
                if absent {
                    oracle.insert(key, value);
                }
                assert_eq!(map.insert_absent(key, value), absent);
            }
            Step::Remove(key) => assert_eq!(map.remove(&key), oracle.remove(&key)),
            Step::Snapshot => snapshots.push((map.clone(), oracle.clone())),
        }
        agree(&map, &oracle, probes);
    }
    for (map, oracle) in &snapshots {
        agree(map, oracle, probes);
    }
}

fn agree<K: CritKey + Send + Sync + std::fmt::Debug>(
    map: &CritMap<K, u32>,
    oracle: &BTreeMap<K, u32>,
    probes: &[K],
) {
    let keys = check(map);
    let expected: Vec<(K, u32)> = oracle.iter().map(|(k, v)| (*k, *v)).collect();
    let got: Vec<(K, u32)> = map.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(got, expected);
    assert_eq!(map.map_in_order(&|k, v| (*k, *v)), expected);
    assert_eq!(keys, oracle.keys().copied().collect::<Vec<_>>());
    for probe in probes.iter().chain(oracle.keys()) {
        assert_eq!(map.get(probe), oracle.get(probe));
        for bound in [Bound::Included(probe), Bound::Excluded(probe)] {
            let got: Vec<K> = map.range_from(bound).map(|(k, _)| *k).collect();
            let expected: Vec<K> = oracle
                .range((bound, Bound::Unbounded))
                .map(|(k, _)| *k)
                .collect();
            assert_eq!(got, expected, "range from {bound:?}");
        }
    }
    let sorted: Vec<(K, u32)> = expected;
    let built = CritMap::from_sorted(&sorted);
    assert_eq!(check(&built), keys, "from_sorted builds the same tree");
}

proptest! {
    #[test]
    fn hash_keys_behave_as_a_btreemap(
        script in steps(hash_key()),
        probes in proptest::collection::vec(hash_key(), 0..8),
    ) {
        run(script, &probes);
    }

    #[test]
    fn pair_keys_behave_as_a_btreemap(
        script in steps(pair_key()),
        probes in proptest::collection::vec(pair_key(), 0..8),
    ) {
        run(script, &probes);
    }
}

#[test]
fn a_build_on_every_core_is_the_map_of_inserts_one_by_one() {
    let n = u32::try_from(crate::parallel::PARALLEL_MIN * 3 + 5).expect("small");
    let mut sorted: Vec<(Hash, u32)> = (0..n)
        .map(|i| (jitos_core::hash_bytes(&i.to_be_bytes()), i))
        .collect();
    sorted.sort_unstable();
    let built = CritMap::from_sorted(&sorted);
    let mut inserted = CritMap::new();
    for (key, value) in &sorted {
        inserted.insert(*key, *value);
    }
    let keys: Vec<Hash> = sorted.iter().map(|(key, _)| *key).collect();
    assert_eq!(check(&built), keys);
    let mut differences = 0;
    built.diff_keys(&inserted, &mut |_, _| differences += 1);
    assert_eq!(differences, 0);
    assert!(
        built
            .iter()
            .map(|(_, v)| *v)
            .eq(sorted.iter().map(|(_, v)| *v))
    );
    assert_eq!(built.map_in_order(&|key, value| (*key, *value)), sorted);
}

#[test]
fn a_walk_on_every_core_of_an_uneven_map_is_the_walk_in_order() {
    // All but three keys have their first bit set: the root's sides are 3 and n - 3.
    let n = u32::try_from(crate::parallel::PARALLEL_MIN * 3).expect("small");
    let mut sorted: Vec<(Hash, u32)> = (0..n)
        .map(|i| {
            let mut bytes = *jitos_core::hash_bytes(&i.to_be_bytes()).as_bytes();
            bytes[0] = if i < 3 {
                bytes[0] & 0x7f
            } else {
                bytes[0] | 0x80
            };
            (Hash::from_bytes(bytes), i)
        })
        .collect();
    sorted.sort_unstable();
    let map = CritMap::from_sorted(&sorted);
    assert_eq!(map.map_in_order(&|key, value| (*key, *value)), sorted);
    assert!(
        CritMap::<Hash, u32>::new()
            .map_in_order(&|_, value| *value)
            .is_empty()
    );
}

#[test]
fn a_change_copies_only_its_path_and_leaves_clones_alone() {
    let keys: Vec<Hash> = (0u32..1000)
        .map(|n| jitos_core::hash_bytes(&n.to_be_bytes()))
        .collect();
    let mut sorted: Vec<(Hash, u32)> = keys.iter().copied().zip(0..).collect();
    sorted.sort_unstable();
    let base = CritMap::from_sorted(&sorted);
    let mut changed = base.clone();
    let extra = jitos_core::hash_bytes(b"extra");
    assert_eq!(changed.insert(extra, 7), None);
    assert_eq!(changed.remove(&keys[0]), Some(0));
    assert_eq!((base.len(), changed.len()), (1000, 1000));
    assert_eq!(base.get(&keys[0]), Some(&0));
    assert_eq!(base.get(&extra), None);
    assert_eq!(changed.get(&keys[0]), None);
    assert_eq!(changed.get(&extra), Some(&7));
    // A missing key copies nothing: the root is still the one the clone shares.
    let mut unchanged = base.clone();
    assert_eq!(unchanged.remove(&extra), None);
    let same_root = match (&base.root, &unchanged.root) {
        (Some(Child::Branch(a)), Some(Child::Branch(b))) => Arc::ptr_eq(a, b),
        _ => false,
    };
    assert!(same_root);
}

#[test]
fn nodes_stay_small() {
    // A branch is a bit and two handles (a tag and a pointer each), 40 bytes, 48 with the
    // `triomphe::Arc` count: what a change copies per level.
    assert_eq!(std::mem::size_of::<Branch<Hash, ()>>(), 40);
    assert_eq!(std::mem::size_of::<Child<Hash, ()>>(), 16);
}

#[test]
fn one_entry_maps_insert_replace_and_remove() {
    let mut map = CritMap::new();
    let k = key(3, 9);
    assert_eq!(map.insert(k, 1u32), None);
    assert_eq!(map.insert(k, 2), Some(1));
    assert_eq!(map.get(&k), Some(&2));
    assert_eq!(map.remove(&key(3, 8)), None);
    assert_eq!(map.remove(&k), Some(2));
    assert_eq!((map.len(), map.iter().count()), (0, 0));
    assert_eq!(map.range_from(Bound::Included(&k)).count(), 0);
}
