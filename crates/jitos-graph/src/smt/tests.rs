//! Unit tests of the crit-bit tree: its structural invariants after every change, and its root
//! hash against the literal 256-level definition of contract §2.
//!
//! # Invariants
//! - `literal_root` below shares no code with the tree: it splits a `Vec` of leaves one level
//!   at a time, as the contract words it, and stops only at 0 or 1 leaves.
//! - Keys are BLAKE3 outputs of counters (uniform, like real keys) or hand-made keys that force
//!   long zero-sibling chains.

use jitos_core::{Hash, hash_bytes};

use super::*;
use crate::digest::smt_leaf;

/// The contract's rule, literally: split on the bit at `depth` until 0 or 1 leaves remain.
fn literal_hash(leaves: &[(Hash, Hash)], depth: usize) -> Hash {
    match leaves {
        [] => Hash::ZERO,
        [(_, hash)] => *hash,
        _ => {
            assert!(depth < KEY_BITS, "two leaves with equal keys");
            let byte = depth / 8;
            let mask = 0x80u8 >> (depth % 8);
            let (zeros, ones): (Vec<_>, Vec<_>) = leaves
                .iter()
                .partition(|(key, _)| key.as_bytes()[byte] & mask == 0);
            smt_inner(
                &literal_hash(&zeros, depth + 1),
                &literal_hash(&ones, depth + 1),
            )
        }
    }
}

fn literal_root(leaves: &[(Hash, Hash)]) -> Hash {
    literal_hash(leaves, 0)
}

/// Checks every invariant of the subtree at `node`, seen from `depth`, and returns its keys.
fn check_node(node: &TreeNode, depth: usize, keys: &mut Vec<Hash>) {
    match node {
        TreeNode::Leaf { key, .. } => keys.push(*key),
        TreeNode::Branch {
            bit,
            hash,
            children,
        } => {
            let bit = usize::from(*bit);
            assert!(bit >= depth, "critical bits increase along a path");
            let first = keys.len();
            for (side, child) in children.iter().enumerate() {
                let before = keys.len();
                check_node(child, bit + 1, keys);
                assert!(keys.len() > before, "both sides are non-empty");
                assert!(keys[before..].iter().all(|key| bit_at(key, bit) == side));
            }
            let all = &keys[first..];
            let agree = |key: &Hash| crit_bit(key, &all[0]).is_none_or(|c| usize::from(c) >= bit);
            assert!(
                all.iter().all(agree),
                "keys under a branch agree before its bit"
            );
            let expected = smt_inner(&children[0].hash_at(bit + 1), &children[1].hash_at(bit + 1));
            assert_eq!(*hash, expected, "stored hash matches the children");
        }
    }
}

/// Checks the whole tree against `model` (sorted by key) and returns nothing on success.
fn check_tree(tree: &Smt, model: &[(Hash, Hash)]) {
    let mut keys = Vec::new();
    if let Some(root) = tree.root() {
        check_node(root, 0, &mut keys);
    }
    let model_keys: Vec<Hash> = model.iter().map(|(key, _)| *key).collect();
    assert_eq!(keys, model_keys, "in-order keys are the sorted model keys");
    for (key, hash) in model {
        assert_eq!(tree.get(key), Some(*hash));
    }
    assert_eq!(tree.root_hash(), literal_root(model));
    assert_eq!(tree.root_hash(), root_hash_of_sorted(model));
    let expected_nodes = if model.is_empty() {
        0
    } else {
        2 * model.len() - 1
    };
    assert_eq!(tree.n_tree_nodes(), expected_nodes);
}

fn random_key(seed: u64) -> Hash {
    hash_bytes(&seed.to_le_bytes())
}

fn entry(key: Hash) -> (Hash, Hash) {
    (key, smt_leaf(&key, &hash_bytes(key.as_bytes())))
}

/// A key of zeros with bit `idx` set, so two such keys share a long prefix.
fn key_with_bit(idx: usize) -> Hash {
    let mut bytes = [0u8; 32];
    bytes[idx / 8] |= 0x80 >> (idx % 8);
    Hash::from_bytes(bytes)
}

#[test]
fn bits_and_critical_bits() {
    let zero = Hash::ZERO;
    assert_eq!(bit_at(&key_with_bit(0), 0), 1);
    assert_eq!(bit_at(&key_with_bit(0), 1), 0);
    assert_eq!(bit_at(&key_with_bit(255), 255), 1);
    assert_eq!(crit_bit(&zero, &zero), None);
    assert_eq!(crit_bit(&zero, &key_with_bit(0)), Some(0));
    assert_eq!(crit_bit(&zero, &key_with_bit(13)), Some(13));
    assert_eq!(crit_bit(&key_with_bit(200), &key_with_bit(255)), Some(200));
    assert_eq!(crit_bit(&zero, &key_with_bit(255)), Some(255));
}

#[test]
fn empty_and_single_leaf_roots() {
    let empty = Smt::default();
    assert_eq!(empty.root_hash(), Hash::ZERO);
    assert!(empty.remove(&Hash::ZERO).is_none());
    let (key, hash) = entry(random_key(1));
    let one = empty.insert(key, hash);
    assert_eq!(
        one.root_hash(),
        hash,
        "one leaf hashes as its leaf at any depth"
    );
    let back = one.remove(&key).expect("present");
    assert_eq!(back.root_hash(), Hash::ZERO);
    assert!(one.remove(&random_key(2)).is_none());
}

#[test]
fn zero_sibling_chains_follow_the_contract() {
    // Keys that agree on their first 200 bits, then on 254, then on none.
    let keys = [
        Hash::ZERO,
        key_with_bit(200),
        key_with_bit(255),
        key_with_bit(254),
        key_with_bit(0),
        key_with_bit(1),
    ];
    let mut tree = Smt::default();
    let mut model = Vec::new();
    for key in keys {
        let (key, hash) = entry(key);
        tree = tree.insert(key, hash);
        model.push((key, hash));
        model.sort();
        check_tree(&tree, &model);
    }
    for key in keys {
        tree = tree.remove(&key).expect("present");
        model.retain(|(k, _)| *k != key);
        check_tree(&tree, &model);
    }
}

#[test]
fn random_inserts_and_removes_keep_every_invariant() {
    let mut tree = Smt::default();
    let mut model: Vec<(Hash, Hash)> = Vec::new();
    for step in 0..600u64 {
        let key = random_key(step % 97 + step / 300 * 1000);
        let pick = hash_bytes(&step.to_be_bytes()).as_bytes()[0];
        if pick < 96 && !model.is_empty() {
            let victim = model[usize::from(pick) % model.len()].0;
            tree = tree.remove(&victim).expect("present");
            model.retain(|(k, _)| *k != victim);
        } else {
            let (key, hash) = entry(key);
            tree = tree.insert(key, hash);
            if !model.iter().any(|(k, _)| *k == key) {
                model.push((key, hash));
                model.sort();
            }
        }
        check_tree(&tree, &model);
    }
}

#[test]
fn insert_of_a_present_key_replaces_its_leaf() {
    let keys: Vec<Hash> = (0..20).map(random_key).collect();
    let mut tree = Smt::default();
    for key in &keys {
        tree = tree.insert(*key, smt_leaf(key, &Hash::ZERO));
    }
    let replaced = tree.insert(keys[7], smt_leaf(&keys[7], &keys[7]));
    let mut model: Vec<(Hash, Hash)> = keys
        .iter()
        .map(|key| {
            let value = if *key == keys[7] { *key } else { Hash::ZERO };
            (*key, smt_leaf(key, &value))
        })
        .collect();
    model.sort();
    check_tree(&replaced, &model);
    assert_ne!(replaced.root_hash(), tree.root_hash());
}

#[test]
fn bulk_build_equals_incremental_inserts() {
    for n_entries in [0usize, 1, 2, 3, 10, 257] {
        let mut model: Vec<(Hash, Hash)> = (0..n_entries as u64)
            .map(|s| entry(random_key(s)))
            .collect();
        model.sort();
        let built = Smt::from_sorted(&model);
        check_tree(&built, &model);
        let incremental = model
            .iter()
            .rev()
            .fold(Smt::default(), |tree, (key, hash)| tree.insert(*key, *hash));
        assert_eq!(
            built.root_hash(),
            incremental.root_hash(),
            "{n_entries} entries"
        );
    }
}

#[test]
fn old_versions_are_untouched_and_share_nodes() {
    let mut model: Vec<(Hash, Hash)> = (0..1000).map(|s| entry(random_key(s))).collect();
    model.sort();
    let base = Smt::from_sorted(&model);
    let base_root = base.root_hash();
    let (key, hash) = entry(random_key(5000));
    let next = base.insert(key, hash);
    assert_eq!(base.root_hash(), base_root);
    check_tree(&base, &model);
    let mut shared = BTreeSet::new();
    base.collect_addresses(&mut shared);
    let fresh = next.n_tree_nodes_not_in(&shared);
    // The new leaf, the new branch and the copied path (depth about log2(1000) = 10).
    assert!((3..=40).contains(&fresh), "{fresh} new nodes");
    let removed = next.remove(&key).expect("present");
    assert_eq!(removed.root_hash(), base_root);
    assert_eq!(
        removed.n_tree_nodes_not_in(&shared),
        fresh - 2,
        "the path copy stays"
    );
}

#[test]
fn tree_nodes_stay_small() {
    // A leaf is two hashes; a branch a bit, a hash and two pointers; plus the discriminant.
    // The `Arc` header adds 16 bytes: about 96 bytes per tree node with the allocator's rounding.
    assert!(
        std::mem::size_of::<TreeNode>() <= 72,
        "{}",
        std::mem::size_of::<TreeNode>()
    );
}
