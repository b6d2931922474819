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

/// The length of block `block` of `input` (64 but for a partial last block; 0 for the empty
/// input's one block) and where it starts.
fn block_range(input: &[u8], block: usize) -> (usize, usize) {
    let start = block * crate::BLOCK_LEN;
    (start, (input.len() - start).min(crate::BLOCK_LEN))
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
