//! A persistent, path-compressed (crit-bit) representation of the compact sparse Merkle tree of
//! contract §2.
//!
//! The digest is defined by the contract's recursive rule over 256 levels: the hash of the set
//! of leaves under a bit prefix of length `d` is 32 zero bytes when it is empty, the leaf hash
//! of its only leaf when it holds one (whatever `d` is), and `smt_inner(hash(0-half),
//! hash(1-half))` otherwise. This module is only a representation that computes the same hash
//! without visiting 256 levels:
//!
//! - A [`TreeNode::Branch`] stands for a set of at least two leaves that share their first
//!   `bit` bits and differ at bit `bit` (its critical bit): the 0-side goes to `children[0]`.
//!   It stores `hash`, the set's hash at depth `bit` (`smt_inner` of its children's hashes at
//!   depth `bit + 1`).
//! - The same set seen from a shallower depth `d < bit` still hashes as a chain of `bit - d`
//!   inner nodes with a zero sibling (every leaf goes the same way there), so
//!   [`TreeNode::hash_at`] extends `hash` by that chain, reading the direction at each level
//!   from any key in the set. A leaf needs no extension. For random keys the chains are short:
//!   a set of `k` leaves skips a level with probability about `2^(1 - k)`.
//! - Insertion and removal rehash only the path from the root to the changed leaf (about
//!   log2(n) `Arc` nodes). A node of that path that another version (a clone) shares is copied
//!   first, one this version alone holds is changed in place (`Arc::make_mut`): every other
//!   version stays valid, and a version that owns its path allocates and frees nothing.
//! - A leaf also carries the id its key was computed from (`node_key(id)` or `edge_key(id)`), so
//!   that [`Smt::diff`], which finds the leaves of two trees that differ by skipping every pair
//!   of subtrees that hold the same set, can name what it finds without a reverse index.
//!
//! # Invariants
//! - Along every root-to-leaf path the critical bits strictly increase, so a path has at most
//!   256 branches: recursion (bulk build, drop, diff) is at most 257 deep.
//! - Every key under `children[side]` of a branch has bit `bit` equal to `side`, and all keys
//!   under a branch agree on bits `0..bit`; keys are unique within a tree.
//! - A leaf's `id` is the one given with its key (`insert`, `from_sorted`); the tree never reads
//!   it, only reports it. The caller keys every id the same way, so equal keys mean equal ids.
//! - The shape of the tree is a function of its key set (the root's critical bit is the first
//!   bit at which the keys differ, and so on down), whatever order built it; [`Smt::diff`]
//!   relies on this to skip equal subtrees of trees that share no nodes.
//! - A branch is built only by `branch_with`, from its children's hashes at depth `bit + 1`,
//!   or by `branch_hashed` with that hash computed beforehand (the bulk build's `batched`,
//!   checked against `branch_with`'s rule in debug builds), so a stored hash always matches
//!   its children: the root hash equals the recursive
//!   definition (checked against an independent recomputation by the unit tests and by
//!   `Graph::digest_full`).

use std::collections::BTreeSet;
use triomphe::Arc;

use jitos_core::Hash;

use crate::digest::smt_inner;
use crate::parallel;

/// Number of key bits: the depth of the full tree.
pub(crate) const KEY_BITS: usize = 256;

/// Initial capacity of a recorded path: above the depth of a tree of random keys with 2^40
/// leaves, so the vector of a walk is allocated once.
const PATH_CAPACITY: usize = 64;

/// A node of the path-compressed tree: a shared handle to a leaf or a branch, each its own
/// allocation so that a branch, what a change copies most, takes 80 bytes and not the 128 of a
/// leaf-sized node with a `std` `Arc` (`triomphe::Arc` has no weak count). `Clone` is a
/// reference-count increment.
#[derive(Debug, Clone)]
pub(crate) enum TreeNode {
    /// One leaf.
    Leaf(Arc<LeafNode>),
    /// At least two leaves.
    Branch(Arc<BranchNode>),
}

/// One leaf: its key, `smt_leaf(key, value)` and the id the key was computed from.
#[derive(Debug, Clone)]
pub(crate) struct LeafNode {
    pub(crate) key: Hash,
    pub(crate) hash: Hash,
    pub(crate) id: Hash,
}

/// At least two leaves that agree on bits `0..bit` and differ at bit `bit`. `Clone` copies the
/// branch and shares its children: what `Arc::make_mut` does to a branch another version holds.
#[derive(Debug, Clone)]
pub(crate) struct BranchNode {
    /// The critical bit, 0..=255 (bit 0 is the most significant bit of byte 0).
    pub(crate) bit: u8,
    /// The hash of this set of leaves at depth `bit`.
    pub(crate) hash: Hash,
    /// The 0-side and the 1-side of bit `bit`, both non-empty.
    pub(crate) children: [TreeNode; 2],
}

/// One leaf's contents: what `insert` and `from_sorted` take and what [`Smt::diff`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct LeafEntry {
    /// The tree key: `node_key(id)` or `edge_key(id)`.
    pub(crate) key: Hash,
    /// The tree leaf hash `smt_leaf(key, value)`.
    pub(crate) hash: Hash,
    /// The node or edge id the key was computed from.
    pub(crate) id: Hash,
}

/// Which side of a diff a reported leaf is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Change {
    /// In the first tree (`self`) and not in the second.
    Removed,
    /// In the second tree and not in the first.
    Added,
}

/// Bit `idx` of `key` (0 is the most significant bit of byte 0) as an index: 0 or 1.
#[inline]
pub(crate) fn bit_at(key: &Hash, idx: usize) -> usize {
    let byte = key.as_bytes()[idx / 8];
    usize::from((byte >> (7 - idx % 8)) & 1)
}

/// The first bit at which `a` and `b` differ, `None` when they are equal.
pub(crate) fn crit_bit(a: &Hash, b: &Hash) -> Option<u8> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let byte_idx = (0..32).find(|&idx| a[idx] != b[idx])?;
    let lead = (a[byte_idx] ^ b[byte_idx]).leading_zeros();
    // byte_idx < 32 and lead < 8, so the bit index is below 256.
    u8::try_from(byte_idx * 8 + lead as usize).ok()
}

/// Extends `hash`, the hash of a set of at least two leaves at depth `from`, up to depth
/// `to <= from`: one `smt_inner` with a zero sibling per level, on the side `key` takes.
pub(crate) fn extend(mut hash: Hash, key: &Hash, from: usize, to: usize) -> Hash {
    debug_assert!(to <= from && from <= KEY_BITS, "extend from {from} to {to}");
    for level in (to..from).rev() {
        hash = if bit_at(key, level) == 0 {
            smt_inner(&hash, &Hash::ZERO)
        } else {
            smt_inner(&Hash::ZERO, &hash)
        };
    }
    hash
}

impl TreeNode {
    /// The key of the leftmost leaf: a representative of every key prefix this node shares.
    fn any_key(&self) -> &Hash {
        leftmost_key(self).0
    }

    /// The hash this node stores: a leaf's hash, or a branch's hash at depth `bit`.
    fn own_hash(&self) -> &Hash {
        match self {
            TreeNode::Leaf(leaf) => &leaf.hash,
            TreeNode::Branch(branch) => &branch.hash,
        }
    }

    /// The critical bit of a branch, `None` for a leaf.
    fn crit(&self) -> Option<u8> {
        match self {
            TreeNode::Leaf(_) => None,
            TreeNode::Branch(branch) => Some(branch.bit),
        }
    }

    /// Whether the two handles are the same allocation.
    fn same(&self, other: &TreeNode) -> bool {
        match (self, other) {
            (TreeNode::Leaf(a), TreeNode::Leaf(b)) => Arc::ptr_eq(a, b),
            (TreeNode::Branch(a), TreeNode::Branch(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// The address of the node's allocation, to count sharing.
    fn addr(&self) -> usize {
        match self {
            TreeNode::Leaf(leaf) => std::ptr::from_ref::<LeafNode>(leaf).addr(),
            TreeNode::Branch(branch) => std::ptr::from_ref::<BranchNode>(branch).addr(),
        }
    }

    /// The hash of this node's set of leaves as a subtree at `depth` (at most its critical bit).
    pub(crate) fn hash_at(&self, depth: usize) -> Hash {
        hash_from(*self.own_hash(), self.crit(), depth, || *self.any_key())
    }
}

/// The hash at `depth` of a node with stored hash `own` and critical bit `crit` (`None` for a
/// leaf). `rep` yields a key that agrees with the node's keys on the bits before `crit`; it is
/// only called when there is a zero-sibling chain to add.
fn hash_from(own: Hash, crit: Option<u8>, depth: usize, rep: impl FnOnce() -> Hash) -> Hash {
    match crit {
        None => own,
        Some(bit) => {
            let bit = usize::from(bit);
            debug_assert!(
                depth <= bit,
                "a branch at bit {bit} seen from depth {depth}"
            );
            if depth == bit {
                own
            } else {
                extend(own, &rep(), bit, depth)
            }
        }
    }
}

/// A branch at `bit` over `children` whose hash `hash` at depth `bit` is already known: `smt_inner`
/// of their hashes at depth `bit + 1` (`batched`, which hashes many at once; debug builds check).
fn branch_hashed(bit: u8, children: [TreeNode; 2], hash: Hash) -> TreeNode {
    debug_assert_eq!(
        hash,
        smt_inner(
            &children[0].hash_at(usize::from(bit) + 1),
            &children[1].hash_at(usize::from(bit) + 1)
        ),
        "a branch's hash is its children's at the next depth"
    );
    TreeNode::Branch(Arc::new(BranchNode {
        bit,
        hash,
        children,
    }))
}

/// A branch at `bit` over `children` whose hashes at depth `bit + 1` are already known.
fn branch_with(bit: u8, children: [TreeNode; 2], hashes: [Hash; 2]) -> TreeNode {
    TreeNode::Branch(Arc::new(BranchNode {
        bit,
        hash: smt_inner(&hashes[0], &hashes[1]),
        children,
    }))
}

fn leaf(entry: LeafEntry) -> TreeNode {
    let LeafEntry { key, hash, id } = entry;
    TreeNode::Leaf(Arc::new(LeafNode { key, hash, id }))
}

/// Walks from `root` along `key`'s bits to a leaf, recording the critical bit of every branch
/// passed.
fn walk<'a>(root: &'a TreeNode, key: &Hash, bits: &mut Vec<u8>) -> &'a TreeNode {
    let mut node = root;
    while let TreeNode::Branch(branch) = node {
        bits.push(branch.bit);
        let side = bit_at(key, usize::from(branch.bit));
        // Read the sibling's hash now, which the rehash on the way back up needs: the load does
        // not hold up the walk (it goes on through `side`), so the cache misses of the siblings
        // overlap with those of the path instead of coming one by one during the rehash.
        std::hint::black_box(branch.children[1 - side].own_hash().as_bytes()[0]);
        node = &branch.children[side];
    }
    node
}

/// Replaces the node `steps` branches below `node` along `key`'s bits by `replace(old)`, then
/// rehashes the branches passed, bottom-up. Each branch passed is changed in place when this
/// version alone holds it and copied first otherwise (`Arc::make_mut`), so a path another
/// version shares is copied once and a path this version owns is never reallocated.
///
/// The caller has walked the path: the `steps` nodes passed are branches.
fn replace_along(
    node: &mut TreeNode,
    key: &Hash,
    steps: usize,
    replace: impl FnOnce(TreeNode) -> TreeNode,
) {
    if steps == 0 {
        let old = node.clone();
        *node = replace(old);
        return;
    }
    let TreeNode::Branch(branch) = node else {
        debug_assert!(false, "a walked path passes branches only");
        return;
    };
    let BranchNode {
        bit,
        hash,
        children,
    } = Arc::make_mut(branch);
    let depth = usize::from(*bit) + 1;
    let side = bit_at(key, usize::from(*bit));
    replace_along(&mut children[side], key, steps - 1, replace);
    *hash = smt_inner(&children[0].hash_at(depth), &children[1].hash_at(depth));
}

/// One version of a tree; cloning is O(1) and shares every node.
#[derive(Clone, Debug, Default)]
pub(crate) struct Smt {
    root: Option<TreeNode>,
}

impl Smt {
    /// The root hash (the whole tree's hash at depth 0); 32 zero bytes when empty.
    pub(crate) fn root_hash(&self) -> Hash {
        self.root
            .as_ref()
            .map_or(Hash::ZERO, |root| root.hash_at(0))
    }

    /// The leaf stored under `key` (the graph reads its maps instead; tests read this).
    #[cfg(test)]
    pub(crate) fn get(&self, key: &Hash) -> Option<LeafEntry> {
        let mut node = self.root.as_ref()?;
        loop {
            match node {
                TreeNode::Leaf(leaf) => {
                    return (leaf.key == *key).then_some(entry_of(leaf));
                }
                TreeNode::Branch(branch) => {
                    node = &branch.children[bit_at(key, usize::from(branch.bit))];
                }
            }
        }
    }

    /// This tree with the leaf `entry` added, or the leaf under its key replaced if the key is
    /// present; `self` is left as it was.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn insert(&self, entry: LeafEntry) -> Smt {
        let mut tree = self.clone();
        tree.insert_in_place(entry);
        tree
    }

    /// Adds the leaf `entry`, or replaces the leaf under its key if the key is present.
    ///
    /// One walk down to find where the key goes, then one rehash per level on the way up:
    /// O(depth) `smt_inner` calls, and allocations only for the nodes other versions share.
    pub(crate) fn insert_in_place(&mut self, entry: LeafEntry) {
        let key = entry.key;
        let Some(root) = &mut self.root else {
            self.root = Some(leaf(entry));
            return;
        };
        let mut path = Vec::with_capacity(PATH_CAPACITY);
        // The leaf reached by following `key`'s bits shares the longest prefix with `key`.
        let nearest_key = *walk(root, &key, &mut path).any_key();
        let Some(crit) = crit_bit(&key, &nearest_key) else {
            let depth = path.len();
            drop(path);
            replace_along(root, &key, depth, |_| leaf(entry));
            return;
        };
        // The new branch goes above the first node on the path whose bit is past `crit`.
        let above = path.partition_point(|bit| *bit < crit);
        drop(path);
        replace_along(root, &key, above, |below| {
            let below_hash = below.hash_at(usize::from(crit) + 1);
            let new_leaf = leaf(entry);
            if bit_at(&key, usize::from(crit)) == 0 {
                branch_with(crit, [new_leaf, below], [entry.hash, below_hash])
            } else {
                branch_with(crit, [below, new_leaf], [below_hash, entry.hash])
            }
        });
    }

    /// This tree without the leaf under `key`, or `None` when there is no such leaf; `self` is
    /// left as it was.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn remove(&self, key: &Hash) -> Option<Smt> {
        let mut tree = self.clone();
        tree.remove_in_place(key).then_some(tree)
    }

    /// Removes the leaf under `key`; `false` (and no change) when there is none. The removed
    /// leaf's sibling takes its parent's place, and the branches above are rehashed.
    pub(crate) fn remove_in_place(&mut self, key: &Hash) -> bool {
        let Some(root) = &mut self.root else {
            return false;
        };
        let mut path = Vec::with_capacity(PATH_CAPACITY);
        if walk(root, key, &mut path).any_key() != key {
            return false;
        }
        let Some(parent_depth) = path.len().checked_sub(1) else {
            self.root = None;
            return true;
        };
        drop(path);
        replace_along(root, key, parent_depth, |parent| match &parent {
            TreeNode::Branch(branch) => {
                branch.children[1 - bit_at(key, usize::from(branch.bit))].clone()
            }
            TreeNode::Leaf(_) => parent,
        });
        true
    }

    /// The tree of `entries`, which must be sorted strictly ascending by key: about one
    /// `smt_inner` per entry, plus the zero-sibling chains.
    pub(crate) fn from_sorted(entries: &[LeafEntry]) -> Smt {
        debug_assert!(
            entries.windows(2).all(|pair| pair[0].key < pair[1].key),
            "entries sorted strictly by key"
        );
        if entries.is_empty() {
            return Smt::default();
        }
        Smt {
            root: Some(build(entries, parallel::n_threads())),
        }
    }

    /// Reports every leaf of `self` that `other` lacks as [`Change::Removed`] and every leaf of
    /// `other` that `self` lacks as [`Change::Added`], each list in ascending key order, and
    /// returns the number of tree nodes the walk read.
    ///
    /// Leaves are compared as whole entries: a key present in both trees with different leaf
    /// hashes is one removal and one addition (the graph never has this: a key fixes the id,
    /// and the id fixes the content).
    ///
    /// The walk goes down both trees at once, from the two roots, over pairs of subtrees whose
    /// keys all take the same sides at the bits split on so far:
    ///
    /// - A pair that is the same `Arc`, or whose two nodes have the same critical bit (a leaf
    ///   has none) and the same stored hash, holds the same set of leaves and is skipped. The
    ///   critical bit of a set is a function of the set (the first bit at which its keys
    ///   differ), so equal sets have equal critical bits, and two nodes with the same critical
    ///   bit store their hashes at the same depth. That hash commits to every leaf below it, and
    ///   each leaf hash `smt_leaf(key, value)` commits to the full key and value, so two
    ///   different sets with equal hashes at the same depth would be a BLAKE3 collision.
    ///   This holds as well for trees built separately that share no node.
    /// - Otherwise both sides are split at the smaller of the two critical bits: the node with
    ///   that bit gives its two children, and the other node (whose critical bit is larger, or
    ///   which is a leaf) goes wholly to the side its keys take at that bit, leaving nothing on
    ///   the other. The two halves are compared the same way. Two different leaves are one
    ///   removal and one addition, and a subtree against nothing is wholly removed or added.
    ///
    /// Cost: a pair is split only if its two sets differ, so the walk follows the paths to the
    /// `d` differing leaves and reads each equal sibling met along them once: O(d log n) node
    /// reads for random keys, plus the output. Two equal trees cost two reads, whatever their
    /// size. Placing a whole node at a bit above its own reads down to its leftmost leaf, a
    /// subtree below a difference, so short for random keys. The
    /// recursion is at most 257 calls deep, because the critical bit split on strictly
    /// increases from a call to the calls it makes (0..=255, then a pair of leaves).
    pub(crate) fn diff(&self, other: &Smt, report: &mut impl FnMut(Change, LeafEntry)) -> usize {
        let mut walk = DiffWalk {
            report,
            n_visited: 0,
        };
        walk.pair(self.root.as_ref(), other.root.as_ref());
        walk.n_visited
    }

    /// Number of tree nodes (leaves and branches) reachable from the root.
    pub(crate) fn n_tree_nodes(&self) -> usize {
        let mut n_nodes = 0;
        if let Some(root) = &self.root {
            count_unshared(root, &BTreeSet::new(), &mut n_nodes);
        }
        n_nodes
    }

    /// Adds the address of every node of this tree to `addresses`.
    pub(crate) fn collect_addresses(&self, addresses: &mut BTreeSet<usize>) {
        let mut stack: Vec<&TreeNode> = self.root.iter().collect();
        while let Some(node) = stack.pop() {
            if !addresses.insert(node.addr()) {
                continue;
            }
            if let TreeNode::Branch(branch) = node {
                stack.extend(branch.children.iter());
            }
        }
    }

    /// Number of nodes of this tree whose address is not in `shared` (a shared node's whole
    /// subtree is shared, so it is not visited).
    pub(crate) fn n_tree_nodes_not_in(&self, shared: &BTreeSet<usize>) -> usize {
        let mut n_nodes = 0;
        if let Some(root) = &self.root {
            count_unshared(root, shared, &mut n_nodes);
        }
        n_nodes
    }

    /// The root node, for structural checks in tests.
    #[cfg(test)]
    pub(crate) fn root(&self) -> Option<&TreeNode> {
        self.root.as_ref()
    }
}

/// The state of one [`Smt::diff`]: where to report leaves, and how many nodes were read.
struct DiffWalk<'r, F> {
    report: &'r mut F,
    n_visited: usize,
}

impl<F: FnMut(Change, LeafEntry)> DiffWalk<'_, F> {
    /// Compares the subtrees `from` (of the first tree) and `to` (of the second).
    fn pair(&mut self, from: Option<&TreeNode>, to: Option<&TreeNode>) {
        match (from, to) {
            (None, None) => {}
            (Some(from), None) => self.all(from, Change::Removed),
            (None, Some(to)) => self.all(to, Change::Added),
            (Some(from), Some(to)) => self.both(from, to),
        }
    }

    /// Compares two subtrees, skipping them when they hold the same set.
    fn both(&mut self, from: &TreeNode, to: &TreeNode) {
        self.n_visited += 2;
        if from.same(to) || (from.crit() == to.crit() && from.own_hash() == to.own_hash()) {
            return;
        }
        let bit = match (from, to) {
            (TreeNode::Leaf(from), TreeNode::Leaf(to)) => {
                // Two different leaves, reported in key order.
                let (from, to) = (entry_of(from), entry_of(to));
                if from.key <= to.key {
                    (self.report)(Change::Removed, from);
                    (self.report)(Change::Added, to);
                } else {
                    (self.report)(Change::Added, to);
                    (self.report)(Change::Removed, from);
                }
                return;
            }
            (TreeNode::Branch(branch), TreeNode::Leaf(_))
            | (TreeNode::Leaf(_), TreeNode::Branch(branch)) => branch.bit,
            (TreeNode::Branch(from), TreeNode::Branch(to)) => from.bit.min(to.bit),
        };
        let [from_zero, from_one] = self.split(from, bit);
        let [to_zero, to_one] = self.split(to, bit);
        self.pair(from_zero, to_zero);
        self.pair(from_one, to_one);
    }

    /// The 0-side and the 1-side of `node` at `bit`, which is at most its critical bit.
    fn split<'n>(&mut self, node: &'n TreeNode, bit: u8) -> [Option<&'n TreeNode>; 2] {
        match node {
            TreeNode::Branch(branch) if branch.bit == bit => {
                [Some(&branch.children[0]), Some(&branch.children[1])]
            }
            _ => {
                debug_assert!(node.crit().is_none_or(|own| own > bit), "split below {bit}");
                // Every key below agrees on the bits before the node's critical bit: any one
                // of them tells the side.
                let (key, n_read) = leftmost_key(node);
                self.n_visited += n_read;
                if bit_at(key, usize::from(bit)) == 0 {
                    [Some(node), None]
                } else {
                    [None, Some(node)]
                }
            }
        }
    }

    /// Reports every leaf of `node` as `change`, in key order.
    fn all(&mut self, node: &TreeNode, change: Change) {
        // Children are pushed 1-side first, so the 0-side is popped first: key order. The
        // stack holds at most one pending sibling per level: at most 257 entries.
        let mut stack = vec![node];
        while let Some(node) = stack.pop() {
            self.n_visited += 1;
            match node {
                TreeNode::Leaf(leaf) => (self.report)(change, entry_of(leaf)),
                TreeNode::Branch(branch) => {
                    stack.push(&branch.children[1]);
                    stack.push(&branch.children[0]);
                }
            }
        }
    }
}

/// The entry of a leaf.
fn entry_of(leaf: &LeafNode) -> LeafEntry {
    LeafEntry {
        key: leaf.key,
        hash: leaf.hash,
        id: leaf.id,
    }
}

/// The key of the leftmost leaf below `node`, and the number of nodes read to reach it.
fn leftmost_key(node: &TreeNode) -> (&Hash, usize) {
    let mut node = node;
    let mut n_read = 1;
    loop {
        match node {
            TreeNode::Leaf(leaf) => return (&leaf.key, n_read),
            TreeNode::Branch(branch) => node = &branch.children[0],
        }
        n_read += 1;
    }
}

/// The tree of a non-empty slice sorted strictly by key, built on up to `n_threads` threads
/// (the two halves of a large split side by side; the tree does not depend on how).
fn build(entries: &[LeafEntry], n_threads: usize) -> TreeNode {
    if entries.len() <= batched::BATCHED_BUILD_MAX {
        return batched::build_batched(entries);
    }
    let (first, last) = match entries {
        [] => unreachable!("build is never called on an empty slice"),
        [entry] => return leaf(*entry),
        [first, .., last] => (first, last),
    };
    // Sorted keys: all of them share the prefix that the first and the last share.
    let crit = crit_bit(&first.key, &last.key).expect("keys are unique");
    let split = entries.partition_point(|entry| bit_at(&entry.key, usize::from(crit)) == 0);
    let (zeros, ones) = entries.split_at(split);
    let (zeros_tree, ones_tree) = parallel::join_split(
        n_threads,
        entries.len(),
        |n| build(zeros, n),
        |n| build(ones, n),
    );
    let children = [zeros_tree, ones_tree];
    let depth = usize::from(crit) + 1;
    // The first key of each half agrees with every key of that half.
    let hashes = [
        hash_from(*children[0].own_hash(), children[0].crit(), depth, || {
            zeros[0].key
        }),
        hash_from(*children[1].own_hash(), children[1].crit(), depth, || {
            ones[0].key
        }),
    ];
    branch_with(crit, children, hashes)
}

/// The root hash of the entries (sorted strictly by key) computed without building nodes: the
/// independent recomputation behind `Graph::digest_full`.
pub(crate) fn root_hash_of_sorted(entries: &[(Hash, Hash)]) -> Hash {
    fn hash_at(entries: &[(Hash, Hash)], depth: usize) -> Hash {
        match entries {
            [] => Hash::ZERO,
            [(_, hash)] => *hash,
            [first, .., last] => {
                let crit = usize::from(crit_bit(&first.0, &last.0).expect("keys are unique"));
                let split = entries.partition_point(|(key, _)| bit_at(key, crit) == 0);
                let own = smt_inner(
                    &hash_at(&entries[..split], crit + 1),
                    &hash_at(&entries[split..], crit + 1),
                );
                extend(own, &first.0, crit, depth)
            }
        }
    }
    hash_at(entries, 0)
}

fn count_unshared(node: &TreeNode, shared: &BTreeSet<usize>, n_nodes: &mut usize) {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        if shared.contains(&node.addr()) {
            continue;
        }
        *n_nodes += 1;
        if let TreeNode::Branch(branch) = node {
            stack.extend(branch.children.iter());
        }
    }
}

mod batched;

#[cfg(test)]
mod tests;
