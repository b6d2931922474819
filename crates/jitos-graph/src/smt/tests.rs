//! Unit tests of the crit-bit tree: its structural invariants after every change, and its root
//! hash against the literal 256-level definition of contract §2.
//!
//! # Invariants
//! - `literal_root` below shares no code with the tree: it splits a `Vec` of leaves one level
//!   at a time, as the contract words it, and stops only at 0 or 1 leaves.
//! - Keys are BLAKE3 outputs of counters (uniform, like real keys) or hand-made keys that force
//!   long zero-sibling chains. Each leaf's id is derived from its key by a different hash, so a
//!   leaf reporting the wrong id is caught.
//! - The diff tests compare [`Smt::diff`] with set differences of plain sorted `Vec`s of leaf
//!   entries, computed without the tree.

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
        TreeNode::Leaf(leaf) => {
            assert_eq!(
                leaf.id,
                id_of(&leaf.key),
                "the leaf keeps the id it was given"
            );
            keys.push(leaf.key);
        }
        TreeNode::Branch(branch) => {
            let BranchNode {
                bit,
                hash,
                children,
            } = branch.as_ref();
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
fn check_tree(tree: &Smt, model: &[LeafEntry]) {
    let mut keys = Vec::new();
    if let Some(root) = tree.root() {
        check_node(root, 0, &mut keys);
    }
    let model_keys: Vec<Hash> = model.iter().map(|entry| entry.key).collect();
    assert_eq!(keys, model_keys, "in-order keys are the sorted model keys");
    for entry in model {
        assert_eq!(tree.get(&entry.key), Some(*entry));
    }
    let pairs = pairs(model);
    assert_eq!(tree.root_hash(), literal_root(&pairs));
    assert_eq!(tree.root_hash(), root_hash_of_sorted(&pairs));
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

/// The id a test leaf with `key` carries: any function of the key other than the identity.
fn id_of(key: &Hash) -> Hash {
    hash_bytes(&[key.as_bytes().as_slice(), b"id"].concat())
}

/// A leaf with `key` and leaf hash `hash`.
fn with_hash(key: Hash, hash: Hash) -> LeafEntry {
    LeafEntry {
        key,
        hash,
        id: id_of(&key),
    }
}

fn entry(key: Hash) -> LeafEntry {
    with_hash(key, smt_leaf(&key, &hash_bytes(key.as_bytes())))
}

/// The `(key, leaf hash)` pairs of `entries`, for the root computations that take them.
fn pairs(entries: &[LeafEntry]) -> Vec<(Hash, Hash)> {
    entries
        .iter()
        .map(|entry| (entry.key, entry.hash))
        .collect()
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
    let leaf = entry(random_key(1));
    let one = empty.insert(leaf);
    assert_eq!(
        one.root_hash(),
        leaf.hash,
        "one leaf hashes as its leaf at any depth"
    );
    assert_eq!(one.get(&leaf.key), Some(leaf));
    let back = one.remove(&leaf.key).expect("present");
    assert_eq!(back.root_hash(), Hash::ZERO);
    assert!(one.remove(&random_key(2)).is_none());
}

/// Keys that agree on their first 200 bits, then on 254, then on none: long zero-sibling chains.
fn chain_keys() -> [Hash; 6] {
    [
        Hash::ZERO,
        key_with_bit(200),
        key_with_bit(255),
        key_with_bit(254),
        key_with_bit(0),
        key_with_bit(1),
    ]
}

#[test]
fn zero_sibling_chains_follow_the_contract() {
    let keys = chain_keys();
    let mut tree = Smt::default();
    let mut model = Vec::new();
    for key in keys {
        tree = tree.insert(entry(key));
        model.push(entry(key));
        model.sort();
        check_tree(&tree, &model);
    }
    for key in keys {
        tree = tree.remove(&key).expect("present");
        model.retain(|entry| entry.key != key);
        check_tree(&tree, &model);
    }
}

#[test]
fn random_inserts_and_removes_keep_every_invariant() {
    let mut tree = Smt::default();
    let mut model: Vec<LeafEntry> = Vec::new();
    for step in 0..600u64 {
        let key = random_key(step % 97 + step / 300 * 1000);
        let pick = hash_bytes(&step.to_be_bytes()).as_bytes()[0];
        if pick < 96 && !model.is_empty() {
            let victim = model[usize::from(pick) % model.len()].key;
            tree = tree.remove(&victim).expect("present");
            model.retain(|entry| entry.key != victim);
        } else {
            tree = tree.insert(entry(key));
            if !model.iter().any(|entry| entry.key == key) {
                model.push(entry(key));
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
        tree = tree.insert(with_hash(*key, smt_leaf(key, &Hash::ZERO)));
    }
    let replaced = tree.insert(with_hash(keys[7], smt_leaf(&keys[7], &keys[7])));
    let mut model: Vec<LeafEntry> = keys
        .iter()
        .map(|key| {
            let value = if *key == keys[7] { *key } else { Hash::ZERO };
            with_hash(*key, smt_leaf(key, &value))
        })
        .collect();
    model.sort();
    check_tree(&replaced, &model);
    assert_ne!(replaced.root_hash(), tree.root_hash());
}

#[test]
fn bulk_build_equals_incremental_inserts() {
    for n_entries in [0usize, 1, 2, 3, 10, 257] {
        let mut model: Vec<LeafEntry> = (0..n_entries as u64)
            .map(|s| entry(random_key(s)))
            .collect();
        model.sort();
        let built = Smt::from_sorted(&model);
        check_tree(&built, &model);
        let incremental = model
            .iter()
            .rev()
            .fold(Smt::default(), |tree, entry| tree.insert(*entry));
        assert_eq!(
            built.root_hash(),
            incremental.root_hash(),
            "{n_entries} entries"
        );
    }
}

#[test]
fn bulk_build_climbs_zero_sibling_chains() {
    // Children whose hashes climb many levels, in the same rounds as children that climb
    // none (`batched::climb_all`).
    let more = [key_with_bits(&[0, 200]), key_with_bits(&[1, 7, 255])];
    let model = sorted_model(chain_keys().into_iter().chain(more));
    let built = Smt::from_sorted(&model);
    check_tree(&built, &model);
    let incremental = inserted_one_by_one(&model);
    assert_eq!(built.root_hash(), incremental.root_hash());
}

#[test]
fn a_large_build_on_several_threads_equals_the_build_on_one() {
    let n_entries = 3 * crate::parallel::PARALLEL_MIN as u64 + 5;
    let model = sorted_model((0..n_entries).map(random_key));
    let on_one = Smt {
        root: Some(super::build(&model, 1)),
    };
    let on_four = Smt {
        root: Some(super::build(&model, 4)),
    };
    check_tree(&on_four, &model);
    assert_eq!(on_four.root_hash(), on_one.root_hash());
    assert_eq!(on_four.n_tree_nodes(), on_one.n_tree_nodes());
    let (removed, added, _) = diff_of(&on_one, &on_four);
    assert!(removed.is_empty() && added.is_empty());
}

#[test]
fn old_versions_are_untouched_and_share_nodes() {
    let mut model: Vec<LeafEntry> = (0..1000).map(|s| entry(random_key(s))).collect();
    model.sort();
    let base = Smt::from_sorted(&model);
    let base_root = base.root_hash();
    let new_leaf = entry(random_key(5000));
    let key = new_leaf.key;
    let next = base.insert(new_leaf);
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
    // A branch is a bit, a hash and two handles (a tag and a pointer each): 72 bytes, 80 with
    // the `triomphe::Arc` count. A leaf is three hashes (key, leaf hash, id): 96, 104 with the
    // count, 112 with the allocator's rounding. (One enum for both in a `std` `Arc` took 128
    // bytes per node.)
    let sizes = (
        std::mem::size_of::<TreeNode>(),
        std::mem::size_of::<BranchNode>(),
        std::mem::size_of::<LeafNode>(),
    );
    assert_eq!(sizes, (16, 72, 96));
}

/// What `tree.diff(other)` reports, as (removed, added) in report order, and the nodes it read.
fn diff_of(tree: &Smt, other: &Smt) -> (Vec<LeafEntry>, Vec<LeafEntry>, usize) {
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    let n_visited = tree.diff(other, &mut |change, leaf| match change {
        Change::Removed => removed.push(leaf),
        Change::Added => added.push(leaf),
    });
    (removed, added, n_visited)
}

/// The entries of `from` that are not in `to` (both sorted), in order.
fn minus(from: &[LeafEntry], to: &[LeafEntry]) -> Vec<LeafEntry> {
    from.iter()
        .filter(|entry| to.binary_search(entry).is_err())
        .copied()
        .collect()
}

/// Checks both diffs of `a` and `b` against the set differences of their sorted models and
/// returns how many nodes the diff read.
fn check_diff(a: &Smt, a_model: &[LeafEntry], b: &Smt, b_model: &[LeafEntry]) -> usize {
    let (removed, added, n_visited) = diff_of(a, b);
    assert_eq!(removed, minus(a_model, b_model), "removed, in key order");
    assert_eq!(added, minus(b_model, a_model), "added, in key order");
    let (back_removed, back_added, back_visited) = diff_of(b, a);
    assert_eq!(
        (back_removed, back_added),
        (added, removed),
        "the reverse diff swaps the lists"
    );
    assert_eq!(back_visited, n_visited, "the walk is symmetric");
    n_visited
}

/// The tree of `model` (sorted) built leaf by leaf, in reverse order: the same shape and hashes
/// as `from_sorted`, but no node in common with any other tree.
fn inserted_one_by_one(model: &[LeafEntry]) -> Smt {
    model
        .iter()
        .rev()
        .fold(Smt::default(), |tree, entry| tree.insert(*entry))
}

/// The number of nodes on the longest root-to-leaf path.
fn height(tree: &Smt) -> usize {
    fn below(node: &TreeNode) -> usize {
        match node {
            TreeNode::Leaf(_) => 1,
            TreeNode::Branch(branch) => {
                1 + below(&branch.children[0]).max(below(&branch.children[1]))
            }
        }
    }
    tree.root().map_or(0, below)
}

/// A key of zeros with each bit of `idxs` set.
fn key_with_bits(idxs: &[usize]) -> Hash {
    let mut bytes = [0u8; 32];
    for idx in idxs {
        bytes[idx / 8] |= 0x80 >> (idx % 8);
    }
    Hash::from_bytes(bytes)
}

fn sorted_model(keys: impl IntoIterator<Item = Hash>) -> Vec<LeafEntry> {
    let mut model: Vec<LeafEntry> = keys.into_iter().map(entry).collect();
    model.sort();
    model.dedup();
    model
}

#[test]
fn diff_of_two_empty_trees_reads_nothing() {
    assert_eq!(check_diff(&Smt::default(), &[], &Smt::default(), &[]), 0);
}

#[test]
fn diff_against_an_empty_tree_lists_every_leaf_in_key_order() {
    let model = sorted_model((0..50).map(random_key));
    let tree = Smt::from_sorted(&model);
    let n_visited = check_diff(&tree, &model, &Smt::default(), &[]);
    assert_eq!(n_visited, 2 * model.len() - 1, "every node once");
    let (removed, added, _) = diff_of(&tree, &Smt::default());
    assert_eq!((removed, added), (model, Vec::new()));
}

#[test]
fn equal_trees_built_apart_are_skipped_at_the_root() {
    let model = sorted_model((0..1000).map(random_key));
    let built = Smt::from_sorted(&model);
    let inserted = inserted_one_by_one(&model);
    let mut shared = BTreeSet::new();
    built.collect_addresses(&mut shared);
    assert_eq!(
        inserted.n_tree_nodes_not_in(&shared),
        inserted.n_tree_nodes(),
        "the two trees share no node"
    );
    assert_eq!(check_diff(&built, &model, &inserted, &model), 2);
    assert_eq!(check_diff(&built, &model, &built.clone(), &model), 2);
}

#[test]
fn one_insert_or_remove_is_one_leaf_found_along_one_path() {
    let model = sorted_model((0..1000).map(random_key));
    let base = Smt::from_sorted(&model);
    let apart = inserted_one_by_one(&model);
    for seed in 5000..5020 {
        let new_leaf = entry(random_key(seed));
        let grown = base.insert(new_leaf);
        let grown_model = sorted_model(model.iter().map(|entry| entry.key).chain([new_leaf.key]));
        let victim = model[usize::try_from(seed).unwrap() % model.len()];
        let shrunk = base.remove(&victim.key).expect("present");
        let shrunk_model = minus(&model, &[victim]);
        // Per level of the path: the pair on it and the equal pair beside it (2 reads each),
        // plus the walk that places the subtree a new branch was put above.
        let bound = 5 * (height(&grown) + 1);
        for (tree, tree_model) in [(&grown, &grown_model), (&shrunk, &shrunk_model)] {
            for other in [&base, &apart] {
                let n_visited = check_diff(other, &model, tree, tree_model);
                assert!(n_visited <= bound, "{n_visited} reads, bound {bound}");
            }
        }
        let (removed, added, _) = diff_of(&base, &grown);
        assert_eq!((removed, added), (Vec::new(), vec![new_leaf]));
        let (removed, added, _) = diff_of(&base, &shrunk);
        assert_eq!((removed, added), (vec![victim], Vec::new()));
    }
}

#[test]
fn a_replaced_leaf_is_one_removal_and_one_addition() {
    let model = sorted_model((0..100).map(random_key));
    let base = Smt::from_sorted(&model);
    let old = model[40];
    let new = with_hash(old.key, smt_leaf(&old.key, &Hash::ZERO));
    let replaced = base.insert(new);
    let (removed, added, _) = diff_of(&base, &replaced);
    assert_eq!((removed, added), (vec![old], vec![new]));
    // A tree of one leaf against a tree of one other leaf.
    let one = Smt::default().insert(old);
    assert_eq!(diff_of(&one, &Smt::default().insert(new)).2, 2);
    check_diff(&one, &[old], &Smt::default().insert(new), &[new]);
}

#[test]
fn trees_with_different_prefixes_and_critical_bits_diff_as_sets() {
    // Critical bit 200 under prefix 0 on one side; critical bits 0, 100 and 101 on the other;
    // so the walk splits subtrees of one tree at bits the other tree never branches on.
    let left = sorted_model([Hash::ZERO, key_with_bit(200), key_with_bits(&[200, 255])]);
    let right = sorted_model([
        Hash::ZERO,
        key_with_bit(0),
        key_with_bits(&[0, 100]),
        key_with_bits(&[0, 101]),
        key_with_bits(&[200, 255]),
    ]);
    let (left_tree, right_tree) = (Smt::from_sorted(&left), Smt::from_sorted(&right));
    check_diff(&left_tree, &left, &right_tree, &right);
    check_diff(&left_tree, &left, &inserted_one_by_one(&right), &right);
    let disjoint = sorted_model([key_with_bit(0), key_with_bits(&[0, 7])]);
    check_diff(&left_tree, &left, &Smt::from_sorted(&disjoint), &disjoint);
}

#[test]
fn random_pairs_diff_as_their_set_differences() {
    // Keys from a universe of 300 random keys and 40 keys with long shared prefixes; each pair
    // is one set and a second derived from it by changes, or drawn independently.
    let universe: Vec<Hash> = (0..300)
        .map(random_key)
        .chain((0..40).map(|idx| key_with_bits(&[idx % 3, 150 + idx])))
        .collect();
    let pick =
        |seed: u64, idx: usize| hash_bytes(&[seed, idx as u64].map(u64::to_le_bytes).concat());
    for seed in 0..40u64 {
        let in_first = |idx: usize| pick(seed, idx).as_bytes()[0] < 128;
        let first = sorted_model(
            (0..universe.len())
                .filter(|&i| in_first(i))
                .map(|i| universe[i]),
        );
        let first_tree = Smt::from_sorted(&first);
        // Derived: flip membership of a few keys, one change at a time on the first tree.
        let mut derived = first_tree.clone();
        let mut derived_model = first.clone();
        let n_changes = usize::from(pick(seed, 9999).as_bytes()[1] % 40);
        for change in 0..n_changes {
            let key =
                universe[usize::from(pick(seed, 10_000 + change).as_bytes()[2]) % universe.len()];
            if let Some(without) = derived.remove(&key) {
                derived = without;
                derived_model.retain(|entry| entry.key != key);
            } else {
                derived = derived.insert(entry(key));
                derived_model.push(entry(key));
                derived_model.sort();
            }
        }
        check_tree(&derived, &derived_model);
        check_diff(&first_tree, &first, &derived, &derived_model);
        check_diff(
            &first_tree,
            &first,
            &inserted_one_by_one(&derived_model),
            &derived_model,
        );
        // Independent: another random half of the universe.
        let in_second = |idx: usize| pick(seed + 1000, idx).as_bytes()[0] < 128;
        let second = sorted_model(
            (0..universe.len())
                .filter(|&i| in_second(i))
                .map(|i| universe[i]),
        );
        check_diff(&first_tree, &first, &Smt::from_sorted(&second), &second);
    }
}
