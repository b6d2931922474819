//! Benchmarks of the WAL on a real file system (`FsStorage` in the system temp dir, so set
//! `TMPDIR` to the disk you mean to measure):
//!
//! - `append_sync/batch_N`: `append_batch` of N records with ~150-byte bodies, one fsync each
//!   (throughput in records per second, so group commit shows as N records per fsync).
//! - `scan/1M`: a full verifying `scan` of a 1,000,000-record log (records per second).
//!
//! Run: `cargo bench -p jitos-wal --bench append`.
//!
//! # Invariants
//! - Inputs are built outside the measured closures and are fixed: runs compare.
//! - Every directory the bench creates is removed when it ends.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_main};
use jitos_core::{Hash, hash_bytes};
use jitos_wal::{Entry, FsStorage, Wal, WalOptions, scan};

/// Records in the scanned log.
const N_SCAN_RECORDS: u64 = 1_000_000;

/// Body bytes of every record: about an AddNode event's canonical CBOR.
const BODY_LEN: usize = 150;

/// A directory under the temp dir that is removed on drop.
struct BenchDir(PathBuf);

impl BenchDir {
    fn new(name: &str) -> BenchDir {
        let path =
            std::env::temp_dir().join(format!("jitos-wal-bench-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        BenchDir(path)
    }
}

impl Drop for BenchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn body() -> Vec<u8> {
    (0..BODY_LEN)
        .map(|i| u8::try_from(i % 251).expect("below 251"))
        .collect()
}

fn entry<'a>(body: &'a [u8], view_digest: Hash) -> Entry<'a> {
    Entry {
        rule_pack_id: hash_bytes(b"bench rule pack"),
        policy_id: 0,
        view_digest,
        body,
    }
}

fn bench_append_sync(c: &mut Criterion) {
    let body = body();
    let view_digest = hash_bytes(b"view");
    let mut group = c.benchmark_group("append_sync");
    for batch in [1_usize, 8, 64] {
        let dir = BenchDir::new(&format!("append-{batch}"));
        let storage = FsStorage::open(&dir.0).expect("bench dir");
        let (mut wal, _) = Wal::open(storage, WalOptions::default()).expect("empty log");
        let entries = vec![entry(&body, view_digest); batch];
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_function(format!("batch_{batch}"), |b| {
            b.iter(|| wal.append_batch(black_box(&entries)).expect("append"));
        });
    }
    group.finish();
}

fn bench_scan(c: &mut Criterion) {
    let body = body();
    let dir = BenchDir::new("scan");
    let storage = FsStorage::open(&dir.0).expect("bench dir");
    let (mut wal, _) = Wal::open(storage, WalOptions::default()).expect("empty log");
    for idx in 0..N_SCAN_RECORDS {
        let view_digest = hash_bytes(&idx.to_le_bytes());
        wal.append(entry(&body, view_digest)).expect("append");
    }
    wal.sync().expect("sync");
    let storage = wal.into_storage();
    let mut group = c.benchmark_group("scan");
    group.sample_size(10);
    group.throughput(Throughput::Elements(N_SCAN_RECORDS));
    group.bench_function("1M", |b| {
        b.iter(|| {
            let scanned = scan(black_box(&storage)).expect("scan");
            assert_eq!(scanned.n_records, N_SCAN_RECORDS);
        });
    });
    group.finish();
}

/// Private, so the undocumented `pub fn` that `criterion_group!` generates is not exported.
mod group {
    use super::{bench_append_sync, bench_scan};

    criterion::criterion_group!(benches, bench_append_sync, bench_scan);
}

criterion_main!(group::benches);
