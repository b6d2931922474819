//! Sixteen lanes in AVX-512's 512-bit registers.
//!
//! # Invariants
//! - `hash16` gives, for every lane with a non-zero block count, exactly `blake3::hash` of the
//!   lane's input (an input of at most one chunk); lanes with none are left out, unread.
//! - A block is read with one masked load whose mask covers exactly the block's bytes in its
//!   input: nothing outside the input is read, not even for the empty input.

use core::arch::x86_64::{
    __m512i, __mmask16, _mm512_add_epi32, _mm512_mask_mov_epi32, _mm512_maskz_loadu_epi8,
    _mm512_ror_epi32, _mm512_set1_epi32, _mm512_setzero_si512, _mm512_shuffle_i32x4,
    _mm512_unpackhi_epi32, _mm512_unpackhi_epi64, _mm512_unpacklo_epi32, _mm512_unpacklo_epi64,
    _mm512_xor_si512,
};

use super::{block_flags, block_of};
use crate::{IV, OUT_LEN};

/// Inputs hashed side by side.
pub(crate) const LANES: usize = crate::LANES_MAX;

/// Hashes `inputs[lane]` for every lane with `n_blocks[lane] > 0`, which must be the input's
/// block count (`len.div_ceil(64).max(1)`, at most 16).
#[target_feature(enable = "avx512f,avx512bw")]
pub(crate) fn hash16(inputs: &[&[u8]; LANES], n_blocks: &[usize; LANES]) -> [[u8; OUT_LEN]; LANES] {
    let mut cv: [__m512i; 8] = IV.map(|word| splat(word));
    let blocks_max = n_blocks.iter().copied().max().unwrap_or(0);
    for block in 0..blocks_max {
        let mut rows = [_mm512_setzero_si512(); LANES];
        let mut block_lens = [0u32; LANES];
        let mut flags = [0u32; LANES];
        let mut running: __mmask16 = 0;
        for lane in 0..LANES {
            if block >= n_blocks[lane] {
                continue;
            }
            let bytes = block_of(inputs[lane], block);
            rows[lane] = load_block(bytes);
            // At most 64, so the cast is exact.
            #[allow(clippy::cast_possible_truncation)]
            let len = bytes.len() as u32;
            block_lens[lane] = len;
            flags[lane] = block_flags(block, n_blocks[lane]);
            running |= 1 << lane;
        }
        let words = transpose(rows);
        let next = compress(&cv, &words, cast(block_lens), cast(flags));
        for (word, next) in cv.iter_mut().zip(next) {
            *word = _mm512_mask_mov_epi32(*word, running, next);
        }
    }
    // Row `lane` of the transpose holds the lane's eight chaining words, then zeros. (A loop,
    // not a closure: a closure is compiled without this function's features, and moving
    // 512-bit vectors into it goes through memory.)
    let zero = _mm512_setzero_si512();
    let rows = [
        cv[0], cv[1], cv[2], cv[3], cv[4], cv[5], cv[6], cv[7], zero, zero, zero, zero, zero, zero,
        zero, zero,
    ];
    let mut hashes = [[0u8; OUT_LEN]; LANES];
    for (hash, row) in hashes.iter_mut().zip(transpose(rows)) {
        let bytes: [u8; 64] = bytemuck::cast(row);
        hash.copy_from_slice(&bytes[..OUT_LEN]);
    }
    hashes
}

/// `bytes` (at most one block) as a vector, zero-padded to 64 bytes: one masked load, which
/// reads exactly these bytes.
#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
#[allow(unsafe_code)]
fn load_block(bytes: &[u8]) -> __m512i {
    debug_assert!(bytes.len() <= 64);
    // The low `len` bits (none for an empty slice: a shift by 64 is no shift).
    let mask = u64::MAX
        .checked_shr(u32::try_from(64 - bytes.len()).unwrap_or(64))
        .unwrap_or(0);
    // SAFETY: the mask's set bits are exactly the first `bytes.len()` bytes from
    // `bytes.as_ptr()`, all inside `bytes`; a masked load neither reads nor faults on the
    // bytes its mask leaves out (Intel SDM, "VMOVDQU8": memory fault suppression), so nothing
    // outside the slice is touched, not even for an empty one. The features the intrinsic
    // needs (AVX-512BW) are enabled on this function.
    unsafe { _mm512_maskz_loadu_epi8(mask, bytes.as_ptr().cast()) }
}

#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
fn cast(words: [u32; LANES]) -> __m512i {
    bytemuck::cast(words)
}

#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
fn splat(word: u32) -> __m512i {
    // The same 32 bits, read as signed: the intrinsic takes an `i32`.
    _mm512_set1_epi32(i32::from_le_bytes(word.to_le_bytes()))
}

/// A 16x16 transpose of 32-bit words: `out[w]` holds word `w` of every `rows[lane]`.
#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
fn transpose(rows: [__m512i; 16]) -> [__m512i; 16] {
    // Within each 128-bit part, rows interleaved in pairs word by word, then pairs of pairs by
    // 64-bit halves: part `p` of `quad[g][j]` holds word `4p + j` of rows `4g..4g + 4`.
    let quad: [[__m512i; 4]; 4] = std::array::from_fn(|g| {
        let [r0, r1, r2, r3] = [
            rows[4 * g],
            rows[4 * g + 1],
            rows[4 * g + 2],
            rows[4 * g + 3],
        ];
        let (t0, t1) = (_mm512_unpacklo_epi32(r0, r1), _mm512_unpackhi_epi32(r0, r1));
        let (t2, t3) = (_mm512_unpacklo_epi32(r2, r3), _mm512_unpackhi_epi32(r2, r3));
        [
            _mm512_unpacklo_epi64(t0, t2),
            _mm512_unpackhi_epi64(t0, t2),
            _mm512_unpacklo_epi64(t1, t3),
            _mm512_unpackhi_epi64(t1, t3),
        ]
    });
    // Then, for each `j`, a 4x4 transpose of 128-bit parts across `quad[0..4][j]`: word
    // `4p + j` gathers part `p` of each group, in group order.
    let mut out = [_mm512_setzero_si512(); 16];
    for j in 0..4 {
        // Parts 0 and 1, and parts 2 and 3, of groups 0 and 1, and of groups 2 and 3.
        let low_01 = _mm512_shuffle_i32x4::<0x44>(quad[0][j], quad[1][j]);
        let high_01 = _mm512_shuffle_i32x4::<0xEE>(quad[0][j], quad[1][j]);
        let low_23 = _mm512_shuffle_i32x4::<0x44>(quad[2][j], quad[3][j]);
        let high_23 = _mm512_shuffle_i32x4::<0xEE>(quad[2][j], quad[3][j]);
        out[j] = _mm512_shuffle_i32x4::<0x88>(low_01, low_23);
        out[4 + j] = _mm512_shuffle_i32x4::<0xDD>(low_01, low_23);
        out[8 + j] = _mm512_shuffle_i32x4::<0x88>(high_01, high_23);
        out[12 + j] = _mm512_shuffle_i32x4::<0xDD>(high_01, high_23);
    }
    out
}

compression! {
    features: "avx512f,avx512bw",
    vector: __m512i,
    zero: _mm512_setzero_si512(),
    splat: splat,
    add: _mm512_add_epi32,
    xor: _mm512_xor_si512,
    rotations: [
        _mm512_ror_epi32::<16>,
        _mm512_ror_epi32::<12>,
        _mm512_ror_epi32::<8>,
        _mm512_ror_epi32::<7>,
    ],
}
