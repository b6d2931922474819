//! `hash_each` against `blake3::hash` one input at a time, per input length.
//!
//! Run: `cargo bench -p jitos-blake3-many`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_main};
use jitos_blake3_many::{Kernel, hash_each_with};

/// Inputs per iteration.
const N_INPUTS: usize = 4096;

fn many(c: &mut Criterion) {
    let mut group = c.benchmark_group("hash");
    for len in [49, 64, 82, 120, 190, 350] {
        let inputs: Vec<Vec<u8>> = (0..N_INPUTS)
            .map(|i| {
                (0..len)
                    .map(|j| u8::try_from((i * 7 + j) % 256).expect("below 256"))
                    .collect()
            })
            .collect();
        group.throughput(Throughput::Elements(N_INPUTS as u64));
        group.bench_function(BenchmarkId::new("blake3", len), |b| {
            b.iter(|| {
                let mut x = 0u8;
                for input in &inputs {
                    x ^= blake3::hash(input).as_bytes()[0];
                }
                x
            });
        });
        for kernel in Kernel::available() {
            let name = format!("{kernel:?}").to_lowercase();
            group.bench_function(BenchmarkId::new(name, len), |b| {
                b.iter(|| {
                    let mut x = 0u8;
                    hash_each_with(kernel, inputs.iter().map(Vec::as_slice), |hash| {
                        x ^= hash[0];
                    });
                    x
                });
            });
        }
    }
    group.finish();
}

/// Private, so the undocumented `pub fn` that `criterion_group!` generates is not exported.
mod group {
    criterion::criterion_group!(benches, super::many);
}

criterion_main!(group::benches);
