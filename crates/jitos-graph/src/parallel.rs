//! Work on every core for large inputs, with results that do not depend on scheduling.
//!
//! # Invariants
//! - [`map_batches_in_order`] returns exactly what a sequential pass over the batches would, in
//!   input order: each thread takes one contiguous slice, cuts it into batches in order, and
//!   the slices are joined back in order.
//! - [`sort_unstable_by`] returns the items sorted by `compare`, as `slice::sort_unstable_by`
//!   would: equal items in an order that depends on the input and the core count only. Every
//!   caller keeps one of each equal run (equal ids mean equal content), so ties reach nothing.
//!   `compare` must order items as their keys' bits.
//! - Inputs below [`PARALLEL_MIN`] items stay on the calling thread.

use crate::critmap::CritKey;

/// Below this many items work stays on the calling thread: a thread costs tens of
/// microseconds to start, about what 100 items cost to hash.
pub(crate) const PARALLEL_MIN: usize = 1 << 14;

/// The threads large inputs are split between: one per core.
pub(crate) fn n_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// What `f` makes of consecutive batches of at most `batch_max` items (for work that is
/// cheaper done for many items at once), joined in input order; `f` appends to the vector it
/// is given. On one thread per core when there are at least [`PARALLEL_MIN`] items.
pub(crate) fn map_batches_in_order<T: Sync, U: Send>(
    items: &[T],
    batch_max: usize,
    f: impl Fn(&[T], &mut Vec<U>) + Sync,
) -> Vec<U> {
    let map_slice = |slice: &[T]| {
        let mut out = Vec::with_capacity(slice.len());
        slice.chunks(batch_max).for_each(|batch| f(batch, &mut out));
        out
    };
    let n_threads = n_threads();
    if items.len() < PARALLEL_MIN || n_threads == 1 {
        return map_slice(items);
    }
    let chunk_len = items.len().div_ceil(n_threads);
    let map_slice = &map_slice;
    std::thread::scope(|scope| {
        let threads: Vec<_> = items
            .chunks(chunk_len)
            .map(|chunk| scope.spawn(move || map_slice(chunk)))
            .collect();
        let mut parts = threads.into_iter().map(|thread| {
            thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        // The first slice's output grows to take the others, reserved once: one copy of the
        // later slices' items, not a copy of all of them into a vector grown by doubling.
        let mut out = parts.next().unwrap_or_default();
        let rest: Vec<Vec<U>> = parts.collect();
        out.reserve_exact(rest.iter().map(Vec::len).sum());
        rest.into_iter().for_each(|part| out.extend(part));
        out
    })
}

/// `items` sorted by `compare`, as `slice::sort_unstable_by` would, where `compare` orders
/// items as their keys' bits (`key`, a [`CritKey`]: its `Ord` is its bit order), ties in any
/// order. For at least [`PARALLEL_MIN`] items, on every core: the items are partitioned in
/// place by their keys' first bit, and the two sides, which then need no merge, are sorted
/// side by side (recursively, by the next bit, while there are threads to spare). Keys are
/// hashes, so the sides are about even; uneven ones cost parallelism, never order.
pub(crate) fn sort_unstable_by<T: Send, K: CritKey>(
    mut items: Vec<T>,
    key: &(impl Fn(&T) -> &K + Sync),
    compare: &(impl Fn(&T, &T) -> std::cmp::Ordering + Sync),
) -> Vec<T> {
    sort_from_bit(&mut items, key, compare, 0, n_threads());
    items
}

fn sort_from_bit<T: Send, K: CritKey>(
    items: &mut [T],
    key: &(impl Fn(&T) -> &K + Sync),
    compare: &(impl Fn(&T, &T) -> std::cmp::Ordering + Sync),
    bit: u16,
    n_threads: usize,
) {
    if n_threads < 2 || items.len() < PARALLEL_MIN || usize::from(bit) >= K::BITS {
        items.sort_unstable_by(compare);
        return;
    }
    let n_items = items.len();
    let n_zeros = partition_in_place(items, |item| key(item).bit(bit) == 0);
    let (zeros, ones) = items.split_at_mut(n_zeros);
    join_split(
        n_threads,
        n_items,
        |n| sort_from_bit(ones, key, compare, bit + 1, n),
        |n| sort_from_bit(zeros, key, compare, bit + 1, n),
    );
}

/// Moves the items for which `is_first` holds before the others; returns how many there are.
fn partition_in_place<T>(items: &mut [T], is_first: impl Fn(&T) -> bool) -> usize {
    let (mut lo, mut hi) = (0, items.len());
    loop {
        while lo < hi && is_first(&items[lo]) {
            lo += 1;
        }
        while lo < hi && !is_first(&items[hi - 1]) {
            hi -= 1;
        }
        if lo == hi {
            return lo;
        }
        // `items[lo]` belongs after, `items[hi - 1]` before (so they are two items): swap.
        items.swap(lo, hi - 1);
        lo += 1;
        hi -= 1;
    }
}

/// `(a(n), b(m))` for work on `n_items` items split in two and given `n_threads` threads: side
/// by side (`n + m = n_threads`) when there are threads to spare and at least [`PARALLEL_MIN`]
/// items, else one after the other; either side may split again with the threads it got.
pub(crate) fn join_split<A: Send, B>(
    n_threads: usize,
    n_items: usize,
    a: impl FnOnce(usize) -> A + Send,
    b: impl FnOnce(usize) -> B,
) -> (A, B) {
    let half = n_threads / 2;
    let parallel = half > 0 && n_items >= PARALLEL_MIN;
    join(parallel, || a(half.max(1)), || b(n_threads - half))
}

/// `(a(), b())`, side by side when `parallel`: `a` on a new thread, `b` on this one.
fn join<A: Send, B>(parallel: bool, a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    if !parallel {
        return (a(), b());
    }
    std::thread::scope(|scope| {
        let a = scope.spawn(a);
        let b = b();
        let a = a
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (a, b)
    })
}

#[cfg(test)]
mod tests {
    use jitos_core::Hash;

    use super::{PARALLEL_MIN, join, map_batches_in_order, partition_in_place, sort_from_bit};

    #[test]
    fn large_maps_keep_their_order() {
        let items: Vec<u64> = (0..(3 * PARALLEL_MIN as u64 + 7)).collect();
        let expected: Vec<u64> = items.iter().map(|x| x * x).collect();
        for batch_max in [1, 7, 64] {
            let squares = map_batches_in_order(&items, batch_max, |batch, out| {
                assert!(!batch.is_empty() && batch.len() <= batch_max);
                out.extend(batch.iter().map(|x| x * x));
            });
            assert_eq!(squares, expected, "batches of {batch_max}");
        }
    }

    #[test]
    fn a_sort_on_several_threads_is_the_sort_on_one() {
        let hash = |i: u64| jitos_core::hash_bytes(&i.to_be_bytes());
        let n = 4 * PARALLEL_MIN as u64 + 3;
        // Even keys; keys with their first bit forced (one side empty); many ties.
        let even: Vec<(Hash, u64)> = (0..n).map(|i| (hash(i), i)).collect();
        let one_sided: Vec<(Hash, u64)> = (0..n)
            .map(|i| {
                let mut bytes = *hash(i).as_bytes();
                bytes[0] |= 0x80;
                (Hash::from_bytes(bytes), i)
            })
            .collect();
        let ties: Vec<(Hash, u64)> = (0..n).map(|i| (hash(i % 1_000), i)).collect();
        let by_key = |a: &(Hash, u64), b: &(Hash, u64)| a.0.cmp(&b.0);
        for items in [even, one_sided, ties] {
            for n_threads in [1, 2, 3, 4] {
                let mut sorted = items.clone();
                sort_from_bit(&mut sorted, &|item| &item.0, &by_key, 0, n_threads);
                assert!(
                    sorted.is_sorted_by(|a, b| a.0 <= b.0),
                    "{n_threads} threads"
                );
                let (mut same, mut all) = (sorted.clone(), items.clone());
                same.sort_unstable();
                all.sort_unstable();
                assert_eq!(same, all, "{n_threads} threads keep every item once");
            }
        }
    }

    #[test]
    fn a_partition_puts_the_first_before_the_others() {
        for n in 0..40u32 {
            for modulus in 1..5 {
                let mut items: Vec<u32> = (0..n).collect();
                let is_first = |x: &u32| x.is_multiple_of(modulus);
                let split = partition_in_place(&mut items, is_first);
                assert!(items[..split].iter().all(is_first));
                assert!(!items[split..].iter().any(is_first));
                items.sort_unstable();
                assert_eq!(items, (0..n).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn join_gives_both_results_either_way() {
        for parallel in [false, true] {
            assert_eq!(join(parallel, || 1, || "two"), (1, "two"));
        }
    }
}
