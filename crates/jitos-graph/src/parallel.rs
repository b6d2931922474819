//! Work on every core for large inputs, with results that do not depend on scheduling.
//!
//! # Invariants
//! - [`map_in_order`] returns exactly what a sequential map would, in input order: each
//!   thread takes one contiguous slice and the slices are joined back in order.
//! - [`sort_unstable_by`] returns the items sorted by `compare`, as `slice::sort_unstable_by`
//!   would: equal items in an order that depends on the input and the core count only. Every
//!   caller keeps one of each equal run (equal ids mean equal content), so ties reach nothing.
//! - Inputs below [`PARALLEL_MIN`] items stay on the calling thread.

/// Below this many items work stays on the calling thread: a thread costs tens of
/// microseconds to start, about what 100 items cost to hash.
pub(crate) const PARALLEL_MIN: usize = 1 << 14;

/// The threads large inputs are split between: one per core.
pub(crate) fn n_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// `items.iter().map(f).collect()`, on one thread per core when there are at least
/// [`PARALLEL_MIN`] items.
pub(crate) fn map_in_order<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let n_threads = n_threads();
    if items.len() < PARALLEL_MIN || n_threads == 1 {
        return items.iter().map(f).collect();
    }
    let chunk_len = items.len().div_ceil(n_threads);
    let f = &f;
    std::thread::scope(|scope| {
        let threads: Vec<_> = items
            .chunks(chunk_len)
            .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<U>>()))
            .collect();
        threads
            .into_iter()
            .flat_map(|thread| {
                thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// `items` sorted by `compare`: halves sorted side by side (one per core, recursively) and
/// merged, for at least [`PARALLEL_MIN`] items; in place on this thread below that.
pub(crate) fn sort_unstable_by<T: Send>(
    items: Vec<T>,
    compare: &(impl Fn(&T, &T) -> std::cmp::Ordering + Sync),
) -> Vec<T> {
    sort_on(items, compare, n_threads())
}

fn sort_on<T: Send>(
    mut items: Vec<T>,
    compare: &(impl Fn(&T, &T) -> std::cmp::Ordering + Sync),
    n_threads: usize,
) -> Vec<T> {
    if n_threads < 2 || items.len() < PARALLEL_MIN {
        items.sort_unstable_by(compare);
        return items;
    }
    let (n_items, right) = (items.len(), items.split_off(items.len() / 2));
    let (right, left) = join_split(
        n_threads,
        n_items,
        |n| sort_on(right, compare, n),
        |n| sort_on(items, compare, n),
    );
    let mut merged = Vec::with_capacity(left.len() + right.len());
    let (mut left, mut right) = (left.into_iter().peekable(), right.into_iter().peekable());
    while let (Some(l), Some(r)) = (left.peek(), right.peek()) {
        let next = if compare(r, l).is_lt() {
            right.next()
        } else {
            left.next()
        };
        merged.extend(next);
    }
    merged.extend(left);
    merged.extend(right);
    merged
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
    use super::{PARALLEL_MIN, join, map_in_order, sort_on};

    #[test]
    fn large_maps_keep_their_order() {
        let items: Vec<u64> = (0..(3 * PARALLEL_MIN as u64 + 7)).collect();
        let squares = map_in_order(&items, |x| x * x);
        let expected: Vec<u64> = items.iter().map(|x| x * x).collect();
        assert_eq!(squares, expected);
    }

    #[test]
    fn a_sort_on_several_threads_is_the_sort_on_one() {
        // Pseudo-random keys with many ties, so merging must interleave and keep every item.
        let items: Vec<(u64, u64)> = (0..(4 * PARALLEL_MIN as u64 + 3))
            .map(|i| ((i * 2_654_435_761) % 1_000, i))
            .collect();
        let by_key = |a: &(u64, u64), b: &(u64, u64)| a.0.cmp(&b.0);
        let mut expected = items.clone();
        expected.sort_by(by_key);
        for n_threads in [1, 2, 3, 4] {
            let sorted = sort_on(items.clone(), &by_key, n_threads);
            assert!(
                sorted.is_sorted_by(|a, b| a.0 <= b.0),
                "{n_threads} threads"
            );
            let mut same = sorted.clone();
            same.sort_unstable();
            let mut all = expected.clone();
            all.sort_unstable();
            assert_eq!(same, all, "{n_threads} threads keep every item once");
        }
    }

    #[test]
    fn join_gives_both_results_either_way() {
        for parallel in [false, true] {
            assert_eq!(join(parallel, || 1, || "two"), (1, "two"));
        }
    }
}
