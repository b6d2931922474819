//! `hash_each` against `blake3::hash`, on every kernel this machine runs.

use jitos_blake3_many::{Kernel, LANES_MAX, hash_each, hash_each_end_to_end, hash_each_with};
use proptest::prelude::*;

/// Deterministic bytes: a different pattern per `seed`.
fn bytes(len: usize, seed: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from((i * 131 + seed * 7 + i / 251) % 256).expect("below 256"))
        .collect()
}

fn hashes(kernel: Kernel, inputs: &[Vec<u8>]) -> Vec<[u8; 32]> {
    let mut out = Vec::new();
    hash_each_with(kernel, inputs.iter().map(Vec::as_slice), |hash| {
        out.push(hash)
    });
    out
}

fn expected(inputs: &[Vec<u8>]) -> Vec<[u8; 32]> {
    inputs
        .iter()
        .map(|input| *blake3::hash(input).as_bytes())
        .collect()
}

#[test]
fn every_length_up_to_past_one_chunk_on_every_kernel() {
    // Lengths 0 to 1,100: empty, partial and full blocks, exactly one chunk (1,024), and
    // inputs past it (which take `blake3::hash`); a group holds eight or sixteen consecutive lengths.
    let inputs: Vec<Vec<u8>> = (0..=1100).map(|len| bytes(len, len)).collect();
    for kernel in Kernel::available() {
        assert_eq!(hashes(kernel, &inputs), expected(&inputs), "{kernel:?}");
    }
}

#[test]
fn equal_lengths_in_full_and_partial_groups() {
    for len in [0, 1, 31, 32, 63, 64, 65, 120, 128, 190, 350, 1023, 1024] {
        for count in [
            1,
            7,
            8,
            9,
            LANES_MAX - 1,
            LANES_MAX,
            LANES_MAX + 1,
            3 * LANES_MAX + 5,
        ] {
            let inputs: Vec<Vec<u8>> = (0..count).map(|seed| bytes(len, seed)).collect();
            for kernel in Kernel::available() {
                assert_eq!(
                    hashes(kernel, &inputs),
                    expected(&inputs),
                    "{kernel:?} {len} {count}"
                );
            }
        }
    }
}

#[test]
fn nothing_in_nothing_out() {
    for kernel in Kernel::available() {
        assert!(hashes(kernel, &[]).is_empty());
    }
}

#[test]
fn the_default_kernel_is_one_this_machine_runs() {
    let kernel = Kernel::detect();
    assert!(Kernel::available().contains(&kernel));
    let inputs = vec![bytes(100, 1), bytes(5, 2)];
    let mut out = Vec::new();
    hash_each(inputs.iter().map(Vec::as_slice), |hash| out.push(hash));
    assert_eq!(out, expected(&inputs));
}

#[test]
fn inputs_laid_end_to_end() {
    let inputs: Vec<Vec<u8>> = [0, 5, 64, 0, 130, 1100, 7]
        .iter()
        .map(|len| bytes(*len, *len))
        .collect();
    let all: Vec<u8> = inputs.concat();
    let ends: Vec<usize> = inputs
        .iter()
        .scan(0, |end, input| {
            *end += input.len();
            Some(*end)
        })
        .collect();
    let mut out = Vec::new();
    hash_each_end_to_end(&all, &ends, |hash| out.push(hash));
    assert_eq!(out, expected(&inputs));
}

proptest! {
    #[test]
    fn mixed_lengths_match_blake3(
        inputs in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..1200), 0..40),
    ) {
        for kernel in Kernel::available() {
            prop_assert_eq!(hashes(kernel, &inputs), expected(&inputs));
        }
    }
}
