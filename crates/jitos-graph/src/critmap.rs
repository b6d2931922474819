//! [`CritMap`]: a persistent ordered map over fixed-width byte keys, as a binary crit-bit tree
//! whose nodes are `Arc`-shared, so that a clone is O(1) and a change copies only its path.
//!
//! Why not a B-tree (`imbl::OrdMap`): a view's history keeps old versions alive, so every
//! change's copied path is retained, and what a path costs decides the kernel's memory and,
//! through fresh pages, its speed. A B-tree of 16-wide nodes copies a leaf of 16 entries and
//! its branches, about 3 KiB per insert at 1M entries; this tree copies the branches on the way
//! down, 48 bytes each (a `triomphe::Arc`, which has no weak count, saves 8 of them), and one
//! leaf: about 0.8 KiB at the same size.
//!
//! Keys are bit strings ([`CritKey`]); a `Branch` holds the first bit at which the keys under
//! it differ (its critical bit) and sends keys with that bit 0 left. So an in-order walk visits
//! keys in ascending bit-string order, which is the byte order `Ord` of every implementor.
//!
//! # Invariants
//! - Along every root-to-leaf path the critical bits strictly increase; every key under
//!   `children[side]` of a branch has bit `bit` equal to `side`, and all keys under a branch
//!   agree on the bits before `bit`. Keys are unique.
//! - `len` is the number of leaves.
//! - A change copies a node another clone shares (`Arc::make_mut`) and changes a node it alone
//!   holds where it is; no other clone ever sees it.
//! - The shape is a function of the key set, whatever order built it.

use std::marker::PhantomData;
use std::ops::Bound;
use triomphe::Arc;

use jitos_core::Hash;

use crate::parallel;

/// A key of a [`CritMap`]: a fixed-width bit string whose `Ord` is the order of its bits,
/// most significant first.
pub trait CritKey: Copy + Ord {
    /// The number of bits.
    const BITS: usize;
    /// Bit `idx` (0 is the most significant bit of the first byte), as 0 or 1.
    fn bit(&self, idx: u16) -> usize;
    /// The first bit at which `self` and `other` differ, `None` when they are equal.
    fn crit_bit(&self, other: &Self) -> Option<u16>;
}

/// The first bit at which two byte strings of the same length differ.
fn crit_bit_of(a: &[u8], b: &[u8]) -> Option<u16> {
    let byte_idx = a.iter().zip(b).position(|(x, y)| x != y)?;
    let lead = (a[byte_idx] ^ b[byte_idx]).leading_zeros() as usize;
    u16::try_from(byte_idx * 8 + lead).ok()
}

fn bit_of(bytes: &[u8], idx: u16) -> usize {
    let idx = usize::from(idx);
    usize::from((bytes[idx / 8] >> (7 - idx % 8)) & 1)
}

impl CritKey for Hash {
    const BITS: usize = 256;

    #[inline]
    fn bit(&self, idx: u16) -> usize {
        bit_of(self.as_bytes(), idx)
    }

    fn crit_bit(&self, other: &Hash) -> Option<u16> {
        crit_bit_of(self.as_bytes(), other.as_bytes())
    }
}

/// A pair orders as its two hashes' 64 bytes, the first hash first.
impl CritKey for (Hash, Hash) {
    const BITS: usize = 512;

    #[inline]
    fn bit(&self, idx: u16) -> usize {
        if idx < 256 {
            self.0.bit(idx)
        } else {
            self.1.bit(idx - 256)
        }
    }

    fn crit_bit(&self, other: &(Hash, Hash)) -> Option<u16> {
        self.0
            .crit_bit(&other.0)
            .or_else(|| self.1.crit_bit(&other.1).map(|bit| bit + 256))
    }
}

/// A persistent ordered map (see the module doc). `Clone` is O(1).
pub struct CritMap<K, V> {
    root: Option<Child<K, V>>,
    len: usize,
}

enum Child<K, V> {
    Leaf(Arc<Leaf<K, V>>),
    Branch(Arc<Branch<K, V>>),
}

#[derive(Clone)]
struct Leaf<K, V> {
    key: K,
    value: V,
}

struct Branch<K, V> {
    /// The critical bit.
    bit: u16,
    /// The keys with bit `bit` 0, then those with 1; neither is empty.
    children: [Child<K, V>; 2],
}

impl<K, V> Clone for Child<K, V> {
    fn clone(&self) -> Child<K, V> {
        match self {
            Child::Leaf(leaf) => Child::Leaf(Arc::clone(leaf)),
            Child::Branch(branch) => Child::Branch(Arc::clone(branch)),
        }
    }
}

/// Copying a branch another clone shares: its children are shared, not copied.
impl<K, V> Clone for Branch<K, V> {
    fn clone(&self) -> Branch<K, V> {
        Branch {
            bit: self.bit,
            children: self.children.clone(),
        }
    }
}

impl<K, V> Clone for CritMap<K, V> {
    fn clone(&self) -> CritMap<K, V> {
        CritMap {
            root: self.root.clone(),
            len: self.len,
        }
    }
}

impl<K, V> Default for CritMap<K, V> {
    fn default() -> CritMap<K, V> {
        CritMap { root: None, len: 0 }
    }
}

impl<K: CritKey + std::fmt::Debug, V: std::fmt::Debug> std::fmt::Debug for CritMap<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

fn leaf<K, V>(key: K, value: V) -> Child<K, V> {
    Child::Leaf(Arc::new(Leaf { key, value }))
}

impl<K: CritKey, V> CritMap<K, V> {
    /// The empty map.
    pub fn new() -> CritMap<K, V> {
        CritMap::default()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value of `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        let leaf = nearest(self.root.as_ref()?, key);
        (leaf.key == *key).then_some(&leaf.value)
    }

    /// Whether the map holds `key`.
    pub fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    /// The entries in ascending key order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        self.range_from(Bound::Unbounded)
    }

    /// The values in ascending key order.
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.iter().map(|(_, value)| value)
    }

    /// The entries whose key is at or after `from`, in ascending key order: O(log n) to the
    /// first, O(1) amortised for each next.
    pub fn range_from(&self, from: Bound<&K>) -> Iter<'_, K, V> {
        let mut pending = Vec::new();
        let Some(root) = &self.root else {
            return Iter { pending };
        };
        let (key, inclusive) = match from {
            Bound::Unbounded => {
                pending.push(root);
                return Iter { pending };
            }
            Bound::Included(key) => (key, true),
            Bound::Excluded(key) => (key, false),
        };
        let crit = key.crit_bit(&nearest(root, key).key);
        // Walk the key's path down to where it leaves the tree; every right subtree passed on
        // the way (where the key went left) comes after it.
        let mut node = root;
        while let Child::Branch(branch) = node {
            if crit.is_some_and(|crit| branch.bit > crit) {
                break;
            }
            let side = key.bit(branch.bit);
            if side == 0 {
                pending.push(&branch.children[1]);
            }
            node = &branch.children[side];
        }
        let node_after_key = match crit {
            // `node` is the key's own leaf.
            None => inclusive,
            // Every key under `node` differs from `key` first at `crit`.
            Some(crit) => key.bit(crit) == 0,
        };
        if node_after_key {
            pending.push(node);
        }
        Iter { pending }
    }
}

/// Entries per batch of [`CritMap::map_in_order`]'s walk.
const MAP_BATCH_MAX: usize = 64;

impl<K: Send + Sync, V: Send + Sync> CritMap<K, V> {
    /// `f` of every entry, in ascending key order (as `iter().map` gives them); for large maps
    /// the two sides of the top branches are walked side by side (one per core), since a walk
    /// of a large map is mostly cache misses.
    pub fn map_in_order<U: Send>(&self, f: &(impl Fn(&K, &V) -> U + Sync)) -> Vec<U> {
        self.map_batches_in_order(MAP_BATCH_MAX, &|entries, out| {
            out.extend(entries.iter().map(|(key, value)| f(key, value)));
        })
    }

    /// As [`CritMap::map_in_order`], handing `f` the entries in batches of at most
    /// `batch_max` consecutive ones (in key order), for work that is cheaper done for many
    /// entries at once; `f` appends whatever it makes of a batch to the given vector.
    pub fn map_batches_in_order<U: Send>(
        &self,
        batch_max: usize,
        f: &(impl Fn(&[(&K, &V)], &mut Vec<U>) + Sync),
    ) -> Vec<U> {
        assert!(batch_max > 0, "batches hold at least one entry");
        let mut out = Vec::with_capacity(self.len);
        if let Some(root) = &self.root {
            map_under(
                root,
                self.len,
                parallel::n_threads(),
                batch_max,
                f,
                &mut out,
            );
        }
        out
    }
}

impl<K: CritKey + Send + Sync, V: Clone + Send + Sync> CritMap<K, V> {
    /// The map of `entries`, which must be sorted by key with no key twice: each branch splits
    /// its slice at its critical bit by binary search, O(n log n) bit tests in all, the two
    /// sides of large slices built side by side (one per core). (A one-pass build along the
    /// right edge, one comparison per neighbouring pair, measured 12% slower at 1M entries.)
    pub fn from_sorted(entries: &[(K, V)]) -> CritMap<K, V> {
        debug_assert!(entries.windows(2).all(|pair| pair[0].0 < pair[1].0));
        CritMap {
            root: (!entries.is_empty()).then(|| build(entries, parallel::n_threads())),
            len: entries.len(),
        }
    }
}

impl<K: CritKey, V: Clone> CritMap<K, V> {
    /// Inserts `key` with `value`; returns the value it replaces.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Found::Empty => self.insert_first(key, value),
            Found::At => {
                let root = self.root.as_mut()?;
                let leaf = Arc::make_mut(leaf_mut(root, &key));
                return Some(std::mem::replace(&mut leaf.value, value));
            }
            Found::Differs(crit) => self.insert_new(key, value, crit),
        }
        None
    }

    /// Inserts `key` with `value` unless the map holds `key`, in which case nothing changes
    /// and nothing is copied. Returns whether it inserted: one walk down where
    /// `contains_key` then `insert` would take two.
    pub fn insert_absent(&mut self, key: K, value: V) -> bool {
        match self.find(&key) {
            Found::Empty => self.insert_first(key, value),
            Found::At => return false,
            Found::Differs(crit) => self.insert_new(key, value, crit),
        }
        true
    }

    /// Where `key` stands against the tree.
    fn find(&self, key: &K) -> Found {
        match &self.root {
            None => Found::Empty,
            Some(root) => match key.crit_bit(&nearest(root, key).key) {
                None => Found::At,
                Some(crit) => Found::Differs(crit),
            },
        }
    }

    fn insert_first(&mut self, key: K, value: V) {
        self.root = Some(leaf(key, value));
        self.len = 1;
    }

    /// Inserts `key`, absent, which first differs at `crit` from the leaf its bits lead to.
    fn insert_new(&mut self, key: K, value: V, crit: u16) {
        let Some(root) = &mut self.root else {
            return self.insert_first(key, value);
        };
        // The new branch goes above the first node on the key's path whose critical bit is
        // beyond `crit` (or the leaf): every key under that node differs from `key` at `crit`.
        let mut slot = root;
        while matches!(slot, Child::Branch(branch) if branch.bit < crit) {
            let Child::Branch(branch) = slot else { break };
            let branch = Arc::make_mut(branch);
            slot = &mut branch.children[key.bit(branch.bit)];
        }
        let existing = slot.clone();
        let children = if key.bit(crit) == 0 {
            [leaf(key, value), existing]
        } else {
            [existing, leaf(key, value)]
        };
        *slot = Child::Branch(Arc::new(Branch {
            bit: crit,
            children,
        }));
        self.len += 1;
    }

    /// Removes `key`; returns its value. A key the map lacks copies nothing.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        if !self.contains_key(key) {
            return None;
        }
        let root = self.root.as_mut()?;
        let value = match root {
            Child::Leaf(_) => match self.root.take() {
                Some(Child::Leaf(leaf)) => value_of(leaf),
                _ => return None,
            },
            Child::Branch(_) => remove_under(root, key)?,
        };
        self.len -= 1;
        Some(value)
    }
}

impl<K: CritKey, V> CritMap<K, V> {
    /// Reports every key of `self` that `other` lacks as [`DiffSide::Removed`] and every key of
    /// `other` that `self` lacks as [`DiffSide::Added`], in ascending key order, and returns the
    /// number of tree nodes read. Values are not compared: a key in both maps is no difference
    /// (the graph's keys are content-addressed ids).
    ///
    /// The two trees are walked together as `Smt::diff` walks two Merkle trees, split at the
    /// smaller critical bit of each pair, but a pair of subtrees is skipped only when it is the
    /// same allocation (there is no hash to compare). So two maps derived from a common one cost
    /// O(d log n) reads for d differences, and two maps built apart are read whole.
    pub fn diff_keys<'a>(
        &'a self,
        other: &'a CritMap<K, V>,
        report: &mut impl FnMut(DiffSide, &'a K),
    ) -> usize {
        let mut walk = KeyDiff {
            report,
            n_visited: 0,
            trees: PhantomData,
        };
        walk.pair(self.root.as_ref(), other.root.as_ref());
        walk.n_visited
    }
}

/// The side of a [`CritMap::diff_keys`] difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffSide {
    /// In the first map only.
    Removed,
    /// In the second map only.
    Added,
}

/// The state of one [`CritMap::diff_keys`] walk over trees borrowed for `'a`.
struct KeyDiff<'r, 'a, K, V, F> {
    report: &'r mut F,
    n_visited: usize,
    trees: PhantomData<&'a Child<K, V>>,
}

impl<'a, K: CritKey, V, F: FnMut(DiffSide, &'a K)> KeyDiff<'_, 'a, K, V, F> {
    fn pair(&mut self, from: Option<&'a Child<K, V>>, to: Option<&'a Child<K, V>>) {
        match (from, to) {
            (None, None) => {}
            (Some(from), None) => self.all(from, DiffSide::Removed),
            (None, Some(to)) => self.all(to, DiffSide::Added),
            (Some(from), Some(to)) => self.both(from, to),
        }
    }

    fn both(&mut self, from: &'a Child<K, V>, to: &'a Child<K, V>) {
        self.n_visited += 2;
        let bit = match (from, to) {
            (Child::Leaf(a), Child::Leaf(b)) if Arc::ptr_eq(a, b) => return,
            (Child::Branch(a), Child::Branch(b)) if Arc::ptr_eq(a, b) => return,
            (Child::Leaf(a), Child::Leaf(b)) => {
                if a.key != b.key {
                    let (removed, added) = ((DiffSide::Removed, &a.key), (DiffSide::Added, &b.key));
                    let (first, second) = if a.key < b.key {
                        (removed, added)
                    } else {
                        (added, removed)
                    };
                    (self.report)(first.0, first.1);
                    (self.report)(second.0, second.1);
                }
                return;
            }
            (Child::Branch(branch), Child::Leaf(_)) | (Child::Leaf(_), Child::Branch(branch)) => {
                branch.bit
            }
            (Child::Branch(a), Child::Branch(b)) => a.bit.min(b.bit),
        };
        let [from_zero, from_one] = self.split(from, bit);
        let [to_zero, to_one] = self.split(to, bit);
        self.pair(from_zero, to_zero);
        self.pair(from_one, to_one);
    }

    /// The 0-side and the 1-side of `node` at `bit`, which is at most its critical bit.
    fn split(&mut self, node: &'a Child<K, V>, bit: u16) -> [Option<&'a Child<K, V>>; 2] {
        if let Child::Branch(branch) = node
            && branch.bit == bit
        {
            return [Some(&branch.children[0]), Some(&branch.children[1])];
        }
        // Every key below agrees on the bits before the node's critical bit: any one of them
        // tells the side.
        let mut leftmost = node;
        while let Child::Branch(branch) = leftmost {
            self.n_visited += 1;
            leftmost = &branch.children[0];
        }
        let side = match leftmost {
            Child::Leaf(leaf) => leaf.key.bit(bit),
            Child::Branch(_) => 0,
        };
        if side == 0 {
            [Some(node), None]
        } else {
            [None, Some(node)]
        }
    }

    fn all(&mut self, node: &'a Child<K, V>, side: DiffSide) {
        let mut pending = vec![node];
        while let Some(node) = pending.pop() {
            self.n_visited += 1;
            match node {
                Child::Leaf(leaf) => (self.report)(side, &leaf.key),
                Child::Branch(branch) => {
                    pending.push(&branch.children[1]);
                    pending.push(&branch.children[0]);
                }
            }
        }
    }
}

/// Where a key stands against a tree.
enum Found {
    /// The tree is empty.
    Empty,
    /// The tree holds the key.
    At,
    /// The leaf the key's bits lead to first differs from it at this bit.
    Differs(u16),
}

/// The leaf `key`'s bits lead to: the one sharing the longest prefix with it.
fn nearest<'a, K: CritKey, V>(mut node: &'a Child<K, V>, key: &K) -> &'a Leaf<K, V> {
    loop {
        match node {
            Child::Branch(branch) => node = &branch.children[key.bit(branch.bit)],
            Child::Leaf(leaf) => return leaf,
        }
    }
}

/// The leaf `key`'s bits lead to, copying the branches on the way that other clones share.
fn leaf_mut<'a, K: CritKey, V>(mut node: &'a mut Child<K, V>, key: &K) -> &'a mut Arc<Leaf<K, V>> {
    loop {
        match node {
            Child::Branch(branch) => {
                let branch = Arc::make_mut(branch);
                node = &mut branch.children[key.bit(branch.bit)];
            }
            Child::Leaf(leaf) => return leaf,
        }
    }
}

/// Removes `key`, which the subtree at `slot` (a branch) holds, and returns its value.
fn remove_under<K: CritKey, V: Clone>(slot: &mut Child<K, V>, key: &K) -> Option<V> {
    let Child::Branch(branch) = slot else {
        return None;
    };
    let side = key.bit(branch.bit);
    if let Child::Leaf(leaf) = &branch.children[side] {
        if leaf.key != *key {
            return None;
        }
        let (leaf, sibling) = (Arc::clone(leaf), branch.children[1 - side].clone());
        // The branch goes: its other child takes its place.
        *slot = sibling;
        return Some(value_of(leaf));
    }
    remove_under(&mut Arc::make_mut(branch).children[side], key)
}

/// The value of a leaf taken out of the tree: moved out when no other clone holds the leaf.
fn value_of<K: Clone, V: Clone>(leaf: Arc<Leaf<K, V>>) -> V {
    Arc::try_unwrap(leaf).map_or_else(|shared| shared.value.clone(), |leaf| leaf.value)
}

/// The tree of sorted, unique, non-empty `entries`, built on `n_threads` threads.
fn build<K: CritKey + Send + Sync, V: Clone + Send + Sync>(
    entries: &[(K, V)],
    n_threads: usize,
) -> Child<K, V> {
    let (first, last) = (&entries[0], &entries[entries.len() - 1]);
    let Some(bit) = first.0.crit_bit(&last.0) else {
        return leaf(first.0, first.1.clone());
    };
    let split = entries.partition_point(|(key, _)| key.bit(bit) == 0);
    let (left, right) = entries.split_at(split);
    let (left, right) = parallel::join_split(
        n_threads,
        entries.len(),
        |n| build(left, n),
        |n| build(right, n),
    );
    Child::Branch(Arc::new(Branch {
        bit,
        children: [left, right],
    }))
}

/// Appends what `f` makes of the entries under `node`, about `n_under` of them, in batches of
/// at most `batch_max`, to `out` in key order, on `n_threads` threads. Splits are taken as
/// even: keys are hashes, so a large subtree's two sides hold about half each (an uneven one
/// costs parallelism, never correctness).
fn map_under<K: Send + Sync, V: Send + Sync, U: Send>(
    node: &Child<K, V>,
    n_under: usize,
    n_threads: usize,
    batch_max: usize,
    f: &(impl Fn(&[(&K, &V)], &mut Vec<U>) + Sync),
    out: &mut Vec<U>,
) {
    if let Child::Branch(branch) = node
        && n_threads > 1
        && n_under >= parallel::PARALLEL_MIN
    {
        let [left, right] = &branch.children;
        let n_half = n_under / 2;
        let (right_entries, ()) = parallel::join_split(
            n_threads,
            n_under,
            |n| {
                let mut part = Vec::with_capacity(n_half);
                map_under(right, n_half, n, batch_max, f, &mut part);
                part
            },
            |n| map_under(left, n_half, n, batch_max, f, out),
        );
        out.extend(right_entries);
        return;
    }
    let mut walk = Iter {
        pending: vec![node],
    };
    let mut batch = Vec::with_capacity(batch_max.min(n_under.max(1)));
    loop {
        batch.extend(walk.by_ref().take(batch_max));
        if batch.is_empty() {
            return;
        }
        f(&batch, out);
        batch.clear();
    }
}

/// An in-order walk over a [`CritMap`].
pub struct Iter<'a, K, V> {
    /// Subtrees still to visit, the next one last.
    pending: Vec<&'a Child<K, V>>,
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<(&'a K, &'a V)> {
        loop {
            match self.pending.pop()? {
                Child::Leaf(leaf) => return Some((&leaf.key, &leaf.value)),
                Child::Branch(branch) => {
                    self.pending.push(&branch.children[1]);
                    self.pending.push(&branch.children[0]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
