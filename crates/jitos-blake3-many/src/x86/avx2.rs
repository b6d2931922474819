//! Eight lanes in AVX2's 256-bit registers.
//!
//! # Invariants
//! - `hash8` gives, for every lane with a non-zero block count, exactly `blake3::hash` of the
//!   lane's input (an input of at most one chunk); lanes with none are left out, unread.
//! - Partial blocks are copied into a zeroed buffer (AVX2 has no byte-masked load); whole
//!   blocks are loaded straight from the input.

use core::arch::x86_64::{
    __m256i, _mm256_add_epi32, _mm256_blendv_epi8, _mm256_or_si256, _mm256_permute2x128_si256,
    _mm256_set1_epi32, _mm256_setr_epi8, _mm256_setzero_si256, _mm256_shuffle_epi8,
    _mm256_slli_epi32, _mm256_srli_epi32, _mm256_unpackhi_epi32, _mm256_unpackhi_epi64,
    _mm256_unpacklo_epi32, _mm256_unpacklo_epi64, _mm256_xor_si256,
};

use super::{block_flags, block_of};
use crate::{BLOCK_LEN, IV, OUT_LEN};

/// Inputs hashed side by side.
pub(crate) const LANES: usize = 8;

/// Hashes `inputs[lane]` for every lane with `n_blocks[lane] > 0`, which must be the input's
/// block count (`len.div_ceil(64).max(1)`, at most 16).
#[target_feature(enable = "avx2")]
pub(crate) fn hash8(inputs: &[&[u8]; LANES], n_blocks: &[usize; LANES]) -> [[u8; OUT_LEN]; LANES] {
    let mut cv: [__m256i; 8] = IV.map(|word| splat(word));
    let blocks_max = n_blocks.iter().copied().max().unwrap_or(0);
    for block in 0..blocks_max {
        let mut low_halves = [_mm256_setzero_si256(); LANES];
        let mut high_halves = [_mm256_setzero_si256(); LANES];
        let mut block_lens = [0u32; LANES];
        let mut flags = [0u32; LANES];
        let mut running = [0u32; LANES];
        for lane in 0..LANES {
            if block >= n_blocks[lane] {
                continue;
            }
            let bytes = block_of(inputs[lane], block);
            let (low, high) = load_block(bytes);
            low_halves[lane] = low;
            high_halves[lane] = high;
            // At most 64, so the cast is exact.
            #[allow(clippy::cast_possible_truncation)]
            let len = bytes.len() as u32;
            block_lens[lane] = len;
            flags[lane] = block_flags(block, n_blocks[lane]);
            running[lane] = u32::MAX;
        }
        let low = transpose(low_halves);
        let high = transpose(high_halves);
        let words = [
            low[0], low[1], low[2], low[3], low[4], low[5], low[6], low[7], high[0], high[1],
            high[2], high[3], high[4], high[5], high[6], high[7],
        ];
        let next = compress(&cv, &words, cast(block_lens), cast(flags));
        let running = cast(running);
        for (word, next) in cv.iter_mut().zip(next) {
            *word = _mm256_blendv_epi8(*word, next, running);
        }
    }
    transpose(cv).map(bytemuck::cast::<__m256i, [u8; OUT_LEN]>)
}

/// `bytes` (at most one block) as its first and last 32 bytes, zero-padded.
#[target_feature(enable = "avx2")]
#[inline]
fn load_block(bytes: &[u8]) -> (__m256i, __m256i) {
    if let Some((low, high)) = bytes.split_at_checked(32)
        && high.len() == 32
    {
        // A whole block: two loads straight from the input.
        return (half(low), half(high));
    }
    let mut padded = [0u8; BLOCK_LEN];
    padded[..bytes.len()].copy_from_slice(bytes);
    let (low, high) = padded.split_at(32);
    (half(low), half(high))
}

/// 32 bytes as a vector.
#[target_feature(enable = "avx2")]
#[inline]
fn half(bytes: &[u8]) -> __m256i {
    let mut half = [0u8; 32];
    half.copy_from_slice(bytes);
    bytemuck::cast(half)
}

#[target_feature(enable = "avx2")]
#[inline]
fn cast(words: [u32; LANES]) -> __m256i {
    bytemuck::cast(words)
}

#[target_feature(enable = "avx2")]
#[inline]
fn splat(word: u32) -> __m256i {
    // The same 32 bits, read as signed: the intrinsic takes an `i32`.
    _mm256_set1_epi32(i32::from_le_bytes(word.to_le_bytes()))
}

/// An 8x8 transpose of 32-bit words: `out[w]` holds word `w` of every `rows[lane]`.
#[target_feature(enable = "avx2")]
#[inline]
fn transpose(rows: [__m256i; 8]) -> [__m256i; 8] {
    let [r0, r1, r2, r3, r4, r5, r6, r7] = rows;
    // Pairs of rows interleaved word by word, then pairs of pairs by 64-bit halves: each
    // 128-bit half then holds one column of four rows; the last step joins the halves.
    let (t0, t1) = (_mm256_unpacklo_epi32(r0, r1), _mm256_unpackhi_epi32(r0, r1));
    let (t2, t3) = (_mm256_unpacklo_epi32(r2, r3), _mm256_unpackhi_epi32(r2, r3));
    let (t4, t5) = (_mm256_unpacklo_epi32(r4, r5), _mm256_unpackhi_epi32(r4, r5));
    let (t6, t7) = (_mm256_unpacklo_epi32(r6, r7), _mm256_unpackhi_epi32(r6, r7));
    let (u0, u1) = (_mm256_unpacklo_epi64(t0, t2), _mm256_unpackhi_epi64(t0, t2));
    let (u2, u3) = (_mm256_unpacklo_epi64(t1, t3), _mm256_unpackhi_epi64(t1, t3));
    let (u4, u5) = (_mm256_unpacklo_epi64(t4, t6), _mm256_unpackhi_epi64(t4, t6));
    let (u6, u7) = (_mm256_unpacklo_epi64(t5, t7), _mm256_unpackhi_epi64(t5, t7));
    [
        _mm256_permute2x128_si256::<0x20>(u0, u4),
        _mm256_permute2x128_si256::<0x20>(u1, u5),
        _mm256_permute2x128_si256::<0x20>(u2, u6),
        _mm256_permute2x128_si256::<0x20>(u3, u7),
        _mm256_permute2x128_si256::<0x31>(u0, u4),
        _mm256_permute2x128_si256::<0x31>(u1, u5),
        _mm256_permute2x128_si256::<0x31>(u2, u6),
        _mm256_permute2x128_si256::<0x31>(u3, u7),
    ]
}

compression! {
    features: "avx2",
    vector: __m256i,
    zero: _mm256_setzero_si256(),
    splat: splat,
    add: _mm256_add_epi32,
    xor: _mm256_xor_si256,
    rotations: [rotate_16, rotate_12, rotate_8, rotate_7],
}

// Rotations right. By 16 and 8 they move whole bytes, so one byte shuffle does them; by 12 and
// 7 they take two shifts and an or.

#[target_feature(enable = "avx2")]
#[inline]
fn rotate_16(x: __m256i) -> __m256i {
    _mm256_shuffle_epi8(
        x,
        _mm256_setr_epi8(
            2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11,
            8, 9, 14, 15, 12, 13,
        ),
    )
}

#[target_feature(enable = "avx2")]
#[inline]
fn rotate_8(x: __m256i) -> __m256i {
    _mm256_shuffle_epi8(
        x,
        _mm256_setr_epi8(
            1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10,
            11, 8, 13, 14, 15, 12,
        ),
    )
}

#[target_feature(enable = "avx2")]
#[inline]
fn rotate_12(x: __m256i) -> __m256i {
    _mm256_or_si256(_mm256_srli_epi32::<12>(x), _mm256_slli_epi32::<20>(x))
}

#[target_feature(enable = "avx2")]
#[inline]
fn rotate_7(x: __m256i) -> __m256i {
    _mm256_or_si256(_mm256_srli_epi32::<7>(x), _mm256_slli_epi32::<25>(x))
}
