//! BLAKE3 of many short inputs at once, SIMD across inputs rather than within one.
//!
//! `blake3::hash` of an input shorter than one chunk (1,024 bytes) compresses its 64-byte
//! blocks one after another, each a chain of dependent vector operations: on the development
//! machine about 60 to 90 ns per block, bound by latency, not by the vector units. The start
//! of `jitosd` hashes a dozen or more such short inputs per event (record checks, event ids,
//! node ids, tree leaves). Hashing independent inputs side by side, one per 32-bit lane of a
//! vector register (eight with AVX2, sixteen with AVX-512), keeps the units busy: several
//! times the throughput per input.
//!
//! [`hash_each`] takes inputs in any number and of any lengths, mixed, and gives each one's
//! hash in input order. Lanes whose input has fewer blocks than the longest in its group keep
//! their chaining value from the block that ended them; inputs longer than one chunk, and
//! every input on a CPU without AVX2, go through `blake3::hash`.
//!
//! # Invariants
//! - `hash_each(inputs)` yields exactly `blake3::hash(input)` for every input, in input order,
//!   whatever the CPU and whichever [`Kernel`] runs (the tests compare every length from 0 to
//!   1,100 bytes and random mixed groups on every kernel the machine has).
//! - Nothing depends on the kernel but speed: the choice is made per call from the CPU's
//!   features, never from the data.
//! - `unsafe` is confined to two things: calling a kernel (a `#[target_feature]` function)
//!   right after `Kernel::available` confirmed its features with `is_x86_feature_detected!`,
//!   and the AVX-512 kernel's masked loads, which read exactly the bytes of a slice.

#[cfg(target_arch = "x86_64")]
mod x86;

/// Bytes of a BLAKE3 output.
pub const OUT_LEN: usize = 32;
/// Inputs of at most this many bytes (one BLAKE3 chunk) take the SIMD kernel.
pub const SIMD_INPUT_BYTES_MAX: usize = 1024;
/// The most inputs a kernel hashes side by side (the AVX-512 kernel's sixteen).
pub const LANES_MAX: usize = 16;

/// Bytes of a BLAKE3 block.
const BLOCK_LEN: usize = 64;
/// The BLAKE3 initialisation vector (the SHA-256 one).
const IV: [u32; 8] = [
    0x6A09_E667,
    0xBB67_AE85,
    0x3C6E_F372,
    0xA54F_F53A,
    0x510E_527F,
    0x9B05_688C,
    0x1F83_D9AB,
    0x5BE0_CD19,
];
/// Domain flags of the BLAKE3 compression function.
const CHUNK_START: u32 = 1;
const CHUNK_END: u32 = 2;
const ROOT: u32 = 8;

const _: () = assert!(SIMD_INPUT_BYTES_MAX == blake3::CHUNK_LEN);
const _: () = assert!(BLOCK_LEN == blake3::BLOCK_LEN && OUT_LEN == blake3::OUT_LEN);

/// How a batch is hashed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// One input at a time through `blake3::hash`: every CPU.
    Portable,
    /// Eight inputs at a time in 256-bit registers: x86-64 CPUs with AVX2.
    Avx2,
    /// Sixteen inputs at a time in 512-bit registers: x86-64 CPUs with AVX-512F and
    /// AVX-512BW.
    Avx512,
}

impl Kernel {
    /// The fastest kernel this CPU runs.
    #[must_use]
    pub fn detect() -> Kernel {
        Kernel::available()
            .last()
            .copied()
            .unwrap_or(Kernel::Portable)
    }

    /// Every kernel this CPU runs, slowest first: the portable one, then AVX2, then AVX-512.
    #[must_use]
    pub fn available() -> Vec<Kernel> {
        let mut kernels = vec![Kernel::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") {
                kernels.push(Kernel::Avx2);
            }
            if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512bw")
            {
                kernels.push(Kernel::Avx512);
            }
        }
        kernels
    }
}

/// Hashes every input and hands `sink` each hash, in input order.
pub fn hash_each<'a, I, F>(inputs: I, sink: F)
where
    I: IntoIterator<Item = &'a [u8]>,
    F: FnMut([u8; OUT_LEN]),
{
    hash_each_with(Kernel::detect(), inputs, sink);
}

/// [`hash_each`] of inputs laid end to end in `bytes`: input `i` ends at `ends[i]` and starts
/// where input `i - 1` ended (input 0 at 0). `ends` must not decrease nor pass `bytes.len()`.
pub fn hash_each_end_to_end<F>(bytes: &[u8], ends: &[usize], sink: F)
where
    F: FnMut([u8; OUT_LEN]),
{
    let starts = std::iter::once(0).chain(ends.iter().copied());
    let inputs = starts.zip(ends).map(|(start, end)| &bytes[start..*end]);
    hash_each(inputs, sink);
}

/// [`hash_each`] on the given kernel. Panics if this CPU cannot run it.
pub fn hash_each_with<'a, I, F>(kernel: Kernel, inputs: I, mut sink: F)
where
    I: IntoIterator<Item = &'a [u8]>,
    F: FnMut([u8; OUT_LEN]),
{
    if kernel == Kernel::Portable {
        for input in inputs {
            sink(*blake3::hash(input).as_bytes());
        }
        return;
    }
    assert!(
        Kernel::available().contains(&kernel),
        "this CPU cannot run {kernel:?}"
    );
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    match kernel {
        Kernel::Avx2 => in_groups(inputs, sink, |group, n_blocks| {
            // SAFETY: `Kernel::available()`, asserted above to hold `Avx2`, lists it only when
            // `is_x86_feature_detected!` found AVX2 on this CPU: the kernel's features.
            unsafe { x86::avx2::hash8(group, n_blocks) }
        }),
        Kernel::Avx512 => in_groups(inputs, sink, |group, n_blocks| {
            // SAFETY: `Kernel::available()`, asserted above to hold `Avx512`, lists it only
            // when `is_x86_feature_detected!` found AVX-512F and AVX-512BW on this CPU: the
            // kernel's features.
            unsafe { x86::avx512::hash16(group, n_blocks) }
        }),
        Kernel::Portable => unreachable!("handled above"),
    }
}

/// Hashes `inputs` `N` at a time with `kernel` (one of the SIMD kernels, given each lane's
/// input and block count, 0 to leave a lane out), and hands `sink` each hash in input order.
/// Inputs too long for one chunk go through `blake3::hash` instead.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
fn in_groups<'a, const N: usize>(
    inputs: impl IntoIterator<Item = &'a [u8]>,
    mut sink: impl FnMut([u8; OUT_LEN]),
    kernel: impl Fn(&[&'a [u8]; N], &[usize; N]) -> [[u8; OUT_LEN]; N],
) {
    let mut inputs = inputs.into_iter();
    loop {
        let mut group: [&[u8]; N] = [&[]; N];
        let mut n_blocks = [0usize; N];
        let mut n_inputs = 0;
        for (slot, input) in group.iter_mut().zip(inputs.by_ref()) {
            *slot = input;
            if input.len() <= SIMD_INPUT_BYTES_MAX {
                n_blocks[n_inputs] = input.len().div_ceil(BLOCK_LEN).max(1);
            }
            n_inputs += 1;
        }
        if n_inputs == 0 {
            return;
        }
        let mut hashes = kernel(&group, &n_blocks);
        for (lane, input) in group[..n_inputs].iter().enumerate() {
            if n_blocks[lane] == 0 {
                hashes[lane] = *blake3::hash(input).as_bytes();
            }
        }
        hashes[..n_inputs].iter().for_each(|hash| sink(*hash));
        if n_inputs < N {
            return;
        }
    }
}
