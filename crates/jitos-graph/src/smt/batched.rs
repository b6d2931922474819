//! The bulk build of a tree of at most [`BATCHED_BUILD_MAX`] leaves, hashing every branch of one
//! height together.
//!
//! `Smt::from_sorted` splits a large input in halves (side by side, one per core) down to
//! slices of this size; [`build_batched`] builds each in three passes: the shape (which branches,
//! at which critical bits, over which entries), then the hashes by height (a branch's children
//! are lower, so all branches of one height are ready together and are hashed many at a time,
//! `jitos_blake3_many`, as are the zero-sibling chains of their children), then the nodes,
//! children before parents. Hashed one branch at a time, as each recursion returned, these
//! inner hashes were the largest share of BLAKE3 left in a start.
//!
//! # Invariants
//! - The tree is the one the recursive build makes, node for node: the shape is a function of
//!   the key set, and every branch hash is `smt_inner` of its children's hashes at depth
//!   `bit + 1`, each extended through skipped levels as `super::extend` does (debug builds
//!   check every branch against `hash_at`).
//! - The shape pass recurses at most 257 deep: critical bits strictly increase downwards.

use jitos_core::Hash;

use super::{LeafEntry, TreeNode, bit_at, branch_hashed, crit_bit, leaf};
use crate::digest::{Preimages, SMT_INNER_DOMAIN};

/// Slices of at most this many entries are built by [`build_batched`].
pub(super) const BATCHED_BUILD_MAX: usize = 1 << 12;

/// One node of the tree to build: a leaf, or a branch over two earlier shapes.
struct Shape {
    /// Index of its leftmost entry (a leaf's own entry): a key of its set.
    first: usize,
    /// Its critical bit; `None` for a leaf.
    bit: Option<u8>,
    /// A branch's 0-side and 1-side, as indices of earlier shapes.
    children: [usize; 2],
    /// 0 for a leaf, one more than its higher child for a branch.
    height: usize,
}

/// A child's hash on its way up from its own depth to the depth its parent needs.
struct Climb {
    hash: Hash,
    /// A key of the child's set: the side each skipped level takes.
    key: Hash,
    /// The depth `hash` is at now.
    from: usize,
    /// The depth the parent needs: its critical bit plus one.
    to: usize,
}

/// The tree of `entries`, sorted strictly by key, non-empty.
pub(super) fn build_batched(entries: &[LeafEntry]) -> TreeNode {
    debug_assert!(!entries.is_empty() && entries.len() <= BATCHED_BUILD_MAX);
    let mut shapes = Vec::with_capacity(2 * entries.len());
    shape_of(entries, 0, &mut shapes);
    let own = hashes_by_height(entries, &shapes);
    let mut built: Vec<Option<TreeNode>> = Vec::with_capacity(shapes.len());
    for (shape, hash) in shapes.iter().zip(own) {
        let node = match shape.bit {
            None => leaf(entries[shape.first]),
            Some(bit) => {
                let children = shape
                    .children
                    .map(|child| built[child].take().expect("a child is built once, before"));
                branch_hashed(bit, children, hash)
            }
        };
        built.push(Some(node));
    }
    built
        .pop()
        .flatten()
        .expect("the root is the last shape and nothing took it")
}

/// Pushes the shapes of `entries` (whose first is entry `offset` of the whole input) in post
/// order, children before parents; returns the index of their root.
fn shape_of(entries: &[LeafEntry], offset: usize, shapes: &mut Vec<Shape>) -> usize {
    let shape = match entries {
        [] => unreachable!("a shape is never taken of no entries"),
        [_] => Shape {
            first: offset,
            bit: None,
            children: [0, 0],
            height: 0,
        },
        [first, .., last] => {
            let crit = crit_bit(&first.key, &last.key).expect("keys are unique");
            let split = entries.partition_point(|entry| bit_at(&entry.key, usize::from(crit)) == 0);
            let zeros = shape_of(&entries[..split], offset, shapes);
            let ones = shape_of(&entries[split..], offset + split, shapes);
            Shape {
                first: offset,
                bit: Some(crit),
                children: [zeros, ones],
                height: 1 + shapes[zeros].height.max(shapes[ones].height),
            }
        }
    };
    shapes.push(shape);
    shapes.len() - 1
}

/// The stored hash of every shape: a leaf's hash, or a branch's hash at depth `bit`.
fn hashes_by_height(entries: &[LeafEntry], shapes: &[Shape]) -> Vec<Hash> {
    let mut own: Vec<Hash> = shapes
        .iter()
        .map(|shape| match shape.bit {
            None => entries[shape.first].hash,
            Some(_) => Hash::ZERO,
        })
        .collect();
    let max_height = shapes.last().map_or(0, |root| root.height);
    let mut by_height = vec![Vec::new(); max_height + 1];
    for (idx, shape) in shapes.iter().enumerate() {
        if shape.bit.is_some() {
            by_height[shape.height].push(idx);
        }
    }
    let mut preimages = Preimages::with_capacity(2 * entries.len());
    for branches in &by_height[1..] {
        let mut climbs: Vec<Climb> = Vec::with_capacity(2 * branches.len());
        for &branch in branches {
            let to = usize::from(shapes[branch].bit.expect("a branch")) + 1;
            for child in shapes[branch].children {
                let shape = &shapes[child];
                climbs.push(Climb {
                    hash: own[child],
                    key: entries[shape.first].key,
                    from: shape.bit.map_or(to, usize::from),
                    to,
                });
            }
        }
        climb_all(&mut climbs, &mut preimages);
        for pair in climbs.chunks_exact(2) {
            let [zeros, ones] = [pair[0].hash, pair[1].hash];
            preimages.push(&[SMT_INNER_DOMAIN, zeros.as_bytes(), ones.as_bytes()]);
        }
        for (&branch, hash) in branches.iter().zip(preimages.hashes()) {
            own[branch] = hash;
        }
    }
    own
}

/// Brings every climb to its target depth, one level per round for all that still climb: at
/// each level `smt_inner` with a zero sibling, on the side the key takes (`super::extend`).
fn climb_all(climbs: &mut [Climb], preimages: &mut Preimages) {
    let zero = Hash::ZERO;
    loop {
        let climbing: Vec<usize> = (0..climbs.len())
            .filter(|&idx| climbs[idx].from > climbs[idx].to)
            .collect();
        if climbing.is_empty() {
            return;
        }
        for &idx in &climbing {
            let Climb {
                hash, key, from, ..
            } = &climbs[idx];
            let sides = match bit_at(key, from - 1) {
                0 => [hash, &zero],
                _ => [&zero, hash],
            };
            preimages.push(&[SMT_INNER_DOMAIN, sides[0].as_bytes(), sides[1].as_bytes()]);
        }
        for (&idx, hash) in climbing.iter().zip(preimages.hashes()) {
            climbs[idx].hash = hash;
            climbs[idx].from -= 1;
        }
    }
}
