//! Work on every core for large inputs, with results that do not depend on scheduling.
//!
//! # Invariants
//! - [`map_in_order`] returns exactly what a sequential map would, in input order: each
//!   thread takes one contiguous slice and the slices are joined back in order.
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

/// `(a(), b())`, side by side when `parallel`: `a` on a new thread, `b` on this one.
pub(crate) fn join<A: Send, B>(
    parallel: bool,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B,
) -> (A, B) {
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
    use super::{PARALLEL_MIN, join, map_in_order};

    #[test]
    fn large_maps_keep_their_order() {
        let items: Vec<u64> = (0..(3 * PARALLEL_MIN as u64 + 7)).collect();
        let squares = map_in_order(&items, |x| x * x);
        let expected: Vec<u64> = items.iter().map(|x| x * x).collect();
        assert_eq!(squares, expected);
    }

    #[test]
    fn join_gives_both_results_either_way() {
        for parallel in [false, true] {
            assert_eq!(join(parallel, || 1, || "two"), (1, "two"));
        }
    }
}
