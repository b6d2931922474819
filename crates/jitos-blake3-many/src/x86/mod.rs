//! The x86-64 kernels: many inputs of at most one chunk each, one per 32-bit lane.
//!
//! Each lane runs the BLAKE3 compression function of its own input, exactly as `blake3::hash`
//! runs it for an input of one chunk: chaining value IV, counter 0, `CHUNK_START` on the
//! first block, `CHUNK_END | ROOT` on the last, the last block zero-padded and its true length
//! as the block length. The message words of the lanes' blocks are loaded lane by lane and
//! transposed so that register `w` holds word `w` of every lane.
//!
//! - [`avx2`]: eight lanes in 256-bit registers, for CPUs with AVX2.
//! - [`avx512`]: sixteen lanes in 512-bit registers, with AVX-512's rotate instruction and
//!   masked loads (a partial block is read as zero-padded in one instruction, not copied into
//!   a zeroed buffer first), for CPUs with AVX-512F and AVX-512BW.
//!
//! # Invariants
//! - A lane with `n_blocks` 0 is left out: its output is unspecified and its input unread.
//! - A lane whose input has ended keeps the chaining value of its last block (a blend on the
//!   lanes still running), so inputs of different lengths share a group.
//! - Every kernel computes the same function; only how many lanes and which instructions
//!   differ.

/// The compression function for one vector type, written once for every kernel: `compress`
/// (7 rounds, then the chaining values out), `one_round` and the quarter-round `g`, each
/// compiled for `$features`. `$vector` holds one 32-bit word per lane; `$zero`, `$splat`,
/// `$add`, `$xor` and the rotations right by 16, 12, 8 and 7 act lane by lane.
macro_rules! compression {
    (
        features: $features:literal,
        vector: $vector:ty,
        zero: $zero:expr,
        splat: $splat:expr,
        add: $add:expr,
        xor: $xor:expr,
        rotations: [$rotate_16:expr, $rotate_12:expr, $rotate_8:expr, $rotate_7:expr $(,)?] $(,)?
    ) => {
        /// The compression function on every lane; returns the new chaining values (the first
        /// half of the output, which is also the hash of a `ROOT` block).
        #[target_feature(enable = $features)]
        #[inline]
        fn compress(
            cv: &[$vector; 8],
            m: &[$vector; 16],
            block_len: $vector,
            flags: $vector,
        ) -> [$vector; 8] {
            let zero = $zero;
            let iv = |word: usize| ($splat)(crate::IV[word]);
            let mut v = [
                cv[0],
                cv[1],
                cv[2],
                cv[3],
                cv[4],
                cv[5],
                cv[6],
                cv[7],
                iv(0),
                iv(1),
                iv(2),
                iv(3),
                zero,
                zero,
                block_len,
                flags,
            ];
            // Spelled out so that every message index is a constant (a loop over the
            // schedule reads it, and bounds-checks it, at run time).
            one_round::<0>(&mut v, m);
            one_round::<1>(&mut v, m);
            one_round::<2>(&mut v, m);
            one_round::<3>(&mut v, m);
            one_round::<4>(&mut v, m);
            one_round::<5>(&mut v, m);
            one_round::<6>(&mut v, m);
            std::array::from_fn(|i| ($xor)(v[i], v[i + 8]))
        }

        /// Round `ROUND`: the columns, then the diagonals, reading the message words the
        /// schedule gives it.
        #[target_feature(enable = $features)]
        #[inline]
        fn one_round<const ROUND: usize>(v: &mut [$vector; 16], m: &[$vector; 16]) {
            let s = &super::SCHEDULE[ROUND];
            g(v, [0, 4, 8, 12], m[s[0]], m[s[1]]);
            g(v, [1, 5, 9, 13], m[s[2]], m[s[3]]);
            g(v, [2, 6, 10, 14], m[s[4]], m[s[5]]);
            g(v, [3, 7, 11, 15], m[s[6]], m[s[7]]);
            g(v, [0, 5, 10, 15], m[s[8]], m[s[9]]);
            g(v, [1, 6, 11, 12], m[s[10]], m[s[11]]);
            g(v, [2, 7, 8, 13], m[s[12]], m[s[13]]);
            g(v, [3, 4, 9, 14], m[s[14]], m[s[15]]);
        }

        /// The quarter-round G on state words `a, b, c, d` with message words `x, y`.
        #[target_feature(enable = $features)]
        #[inline]
        fn g(v: &mut [$vector; 16], [a, b, c, d]: [usize; 4], x: $vector, y: $vector) {
            v[a] = ($add)(($add)(v[a], v[b]), x);
            v[d] = ($rotate_16)(($xor)(v[d], v[a]));
            v[c] = ($add)(v[c], v[d]);
            v[b] = ($rotate_12)(($xor)(v[b], v[c]));
            v[a] = ($add)(($add)(v[a], v[b]), y);
            v[d] = ($rotate_8)(($xor)(v[d], v[a]));
            v[c] = ($add)(v[c], v[d]);
            v[b] = ($rotate_7)(($xor)(v[b], v[c]));
        }
    };
}

pub(crate) mod avx2;
pub(crate) mod avx512;

use crate::{CHUNK_END, CHUNK_START, ROOT};

/// BLAKE3's message permutation, applied between rounds.
const PERMUTATION: [usize; 16] = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];

/// Which message word each of the 7 rounds reads at each position: round 0 reads them in
/// order, round `r + 1` reads at position `i` the word round `r` read at `PERMUTATION[i]`.
/// The rounds index the block's words through this table instead of permuting them.
const SCHEDULE: [[usize; 16]; 7] = {
    let mut schedule = [[0; 16]; 7];
    let mut i = 0;
    while i < 16 {
        schedule[0][i] = i;
        i += 1;
    }
    let mut round = 1;
    while round < 7 {
        let mut i = 0;
        while i < 16 {
            schedule[round][i] = schedule[round - 1][PERMUTATION[i]];
            i += 1;
        }
        round += 1;
    }
    schedule
};

/// The domain flags of block `block` of an input of `n_blocks` blocks (one chunk at most).
fn block_flags(block: usize, n_blocks: usize) -> u32 {
    let start = if block == 0 { CHUNK_START } else { 0 };
    let end = if block + 1 == n_blocks {
        CHUNK_END | ROOT
    } else {
        0
    };
    start | end
}

/// Block `block` of `input`: 64 bytes, or fewer for a partial last block (none for the empty
/// input's one block).
fn block_of(input: &[u8], block: usize) -> &[u8] {
    let start = block * crate::BLOCK_LEN;
    &input[start..input.len().min(start + crate::BLOCK_LEN)]
}

#[cfg(test)]
mod tests {
    use super::SCHEDULE;

    #[test]
    fn the_schedule_is_blake3s() {
        // The reference implementation's table (BLAKE3 specification, section 2.2's
        // permutation applied round after round).
        assert_eq!(
            SCHEDULE[1],
            [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8]
        );
        assert_eq!(
            SCHEDULE[6],
            [11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13]
        );
    }
}
