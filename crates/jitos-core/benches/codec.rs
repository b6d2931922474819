//! Benchmarks of the hot paths of jitos-core: node and edge ids, and the canonical codec on a
//! typical event-like value.
//!
//! Run: `cargo bench -p jitos-core --bench codec -- --warm-up-time 1 --measurement-time 2`.
//!
//! # Invariants
//! - Inputs are built once, outside the measured closures, and are fixed: runs compare.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_main};
use jitos_core::cbor::{self, Value};
use jitos_core::{Hash, edge_id, hash_bytes, node_id};

/// A rewrite event as the kernel logs it: index, view, one AddNode op, meta and receipt.
fn event_like_value() -> Value {
    let op = Value::map([
        (Value::text("op"), Value::text("AddNode")),
        (
            Value::text("data"),
            Value::map([
                (Value::text("kind"), Value::text("demo.note")),
                (
                    Value::text("payload"),
                    Value::bytes(b"hello, deterministic world".to_vec()),
                ),
            ])
            .expect("distinct keys"),
        ),
    ])
    .expect("distinct keys");
    let view = Value::map([
        (Value::text("kind"), Value::text("SWS")),
        (Value::text("sws_id"), Value::Unsigned(7)),
    ])
    .expect("distinct keys");
    let receipt = Value::map([
        (Value::text("rewrite_idx"), Value::Unsigned(123_456)),
        (
            Value::text("view_digest"),
            Value::from(hash_bytes(b"digest")),
        ),
    ])
    .expect("distinct keys");
    Value::map([
        (Value::text("idx"), Value::Unsigned(123_456)),
        (Value::text("kind"), Value::text("REWRITE_APPLIED")),
        (Value::text("view"), view),
        (Value::text("ops"), Value::array([op])),
        (Value::text("meta"), Value::Null),
        (Value::text("receipt"), receipt),
    ])
    .expect("distinct keys")
}

fn bench_ids(c: &mut Criterion) {
    let payload = br#"{"k":"A","n":1}"#;
    let from: Hash = node_id("demo.A", payload);
    let to: Hash = node_id("demo.B", payload);
    let mut group = c.benchmark_group("ids");
    group.throughput(Throughput::Elements(1));
    // Baseline: BLAKE3 alone over a preimage of the same size as node_id/16B (37 bytes).
    let preimage = [0x5au8; 37];
    group.bench_function("blake3_baseline/37B", |b| {
        b.iter(|| blake3::hash(black_box(&preimage)))
    });
    group.bench_function("node_id/16B", |b| {
        b.iter(|| node_id(black_box("demo.A"), black_box(payload)));
    });
    group.bench_function("edge_id/none", |b| {
        b.iter(|| {
            edge_id(
                black_box(&from),
                black_box(&to),
                black_box("demo.edge"),
                None,
            )
        });
    });
    group.bench_function("edge_id/16B", |b| {
        b.iter(|| {
            edge_id(
                black_box(&from),
                black_box(&to),
                black_box("demo.edge"),
                Some(payload),
            )
        });
    });
    let large = vec![0x42u8; 64 * 1024];
    group.throughput(Throughput::Bytes(large.len() as u64));
    group.bench_function("node_id/64KiB", |b| {
        b.iter(|| node_id(black_box("demo.blob"), black_box(&large)));
    });
    group.finish();
}

fn bench_codec(c: &mut Criterion) {
    let value = event_like_value();
    let bytes = cbor::encode(&value).expect("shallow value");
    let mut group = c.benchmark_group("codec");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("encode/event", |b| {
        b.iter(|| cbor::encode(black_box(&value)))
    });
    let mut reused = Vec::with_capacity(bytes.len());
    group.bench_function("encode_into/event", |b| {
        b.iter(|| {
            reused.clear();
            cbor::encode_into(black_box(&value), &mut reused)
        });
    });
    group.bench_function("decode/event", |b| {
        b.iter(|| cbor::decode(black_box(&bytes)))
    });
    group.bench_function("hash_canonical/event", |b| {
        b.iter(|| cbor::hash_canonical(black_box(&value)));
    });
    group.finish();
}

/// Private, so the undocumented `pub fn` that `criterion_group!` generates is not exported.
mod group {
    use super::{bench_codec, bench_ids};

    criterion::criterion_group!(benches, bench_ids, bench_codec);
}

criterion_main!(group::benches);
