//! Boot benchmark: rebuilding the state from a WAL of n `AddNode` events (one SWS), in memory
//! (`SimStorage`, so the figure is the kernel's replay, not the disk): every record verified,
//! decoded, checked against its header and re-applied. Reported as time per boot, without
//! dropping the state afterwards (a start keeps it); divide n by it for events per second.
//! `boot-checkpoint/n` is the same log with a checkpoint covering all of it: records verified
//! and decoded, the checkpoint checked and restored, nothing replayed.
//! `boot/start/n` is the daemon's start on the log without a checkpoint: `boot_with_checkpoints`,
//! which decodes on every core while it replays (`boot/n` decodes and replays record by record).
//! `boot/process/n` is that start as the daemon makes it, once per process: each sample runs a
//! fresh process (this benchmark's own binary, re-run with `JITOS_BOOT_BENCH_CHILD` naming a
//! directory) that boots from the log written to disk (`FsStorage`, read from the page cache)
//! and reports the time of the boot alone. Within one process, each boot reuses the heap the
//! previous one freed (what mimalloc kept, and pages it returned to the OS faulted back in); a
//! daemon boots once, in a fresh process whose whole heap is new, and reads its log through
//! `read` from the page cache rather than from memory.
//!
//! Run: `cargo bench -p jitos-kernel --bench boot`; `JITOS_BOOT_BENCH_N=1000000` sets the size
//! of the large boots and of the checkpoint comparison (default 100,000).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkId, Criterion};
use jitos_kernel::{
    Command, State, ViewKey, append, boot, boot_with_checkpoints, write_checkpoint,
};
use jitos_schema::ops::{AddNode, Op};
use jitos_wal::{FsStorage, SimStorage, Storage, WalOptions};

/// The daemon's allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A WAL holding one SWS creation and `n` single-node rewrites, written in batches of 1,024.
fn wal_of(n: u64) -> SimStorage {
    let storage = SimStorage::new();
    let (mut state, mut wal, _) = boot(storage.clone(), WalOptions::default()).expect("boots");
    let mut events: Vec<Arc<jitos_kernel::Event>> = Vec::new();
    let create = Command::CreateSws {
        meta: None,
        idempotency_key: None,
    };
    events.push(state.apply(create).expect("create"));
    for i in 0..n {
        let op = Op::AddNode(AddNode {
            kind: "boot".to_owned(),
            payload: i.to_be_bytes().to_vec(),
        });
        let command = Command::ApplyRewrite {
            view: ViewKey::Sws(0),
            ops: vec![op],
            meta: None,
            idempotency_key: None,
        };
        events.push(state.apply(command).expect("add"));
        if events.len() == 1024 {
            append(&mut wal, &events).expect("durable");
            events.clear();
        }
    }
    append(&mut wal, &events).expect("durable");
    storage
}

/// `JITOS_BOOT_BENCH_N`, the size of the large runs (default 100,000).
fn large_n() -> u64 {
    std::env::var("JITOS_BOOT_BENCH_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}

fn boot_from_wal(c: &mut Criterion) {
    let mut group = c.benchmark_group("boot");
    group.sample_size(10);
    for n in [10_000u64, large_n()] {
        let storage = wal_of(n);
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter_with_large_drop(|| {
                boot(storage.clone(), WalOptions::default())
                    .expect("boots")
                    .0
            });
        });
        // The daemon's start: the same log, no checkpoint, records decoded on every core
        // while the replay runs.
        let no_checkpoints = SimStorage::new();
        group.bench_function(BenchmarkId::new("start", n), |b| {
            b.iter_with_large_drop(|| {
                boot_with_checkpoints(storage.clone(), &no_checkpoints, WalOptions::default())
                    .expect("boots")
                    .state
            });
        });
        if n == large_n() {
            let dir = on_disk(&storage, n);
            group.bench_function(BenchmarkId::new("process", n), |b| {
                b.iter_custom(|iters| (0..iters).map(|_| boot_in_child(&dir)).sum());
            });
            std::fs::remove_dir_all(&dir).expect("removed");
        }
        // What the daemon does in the background once started: the history checkpoints the
        // start deferred (every 64 ops of each replayed run).
        group.bench_function(BenchmarkId::new("deferred-checkpoints", n), |b| {
            b.iter_batched(
                || {
                    boot_with_checkpoints(storage.clone(), &no_checkpoints, WalOptions::default())
                        .expect("boots")
                        .state
                },
                |state| {
                    state.make_deferred_checkpoints().expect("made");
                    state
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

/// The environment variable that makes this binary a child of `boot/process`: it names the
/// directory of the log to boot from.
const CHILD_ENV: &str = "JITOS_BOOT_BENCH_CHILD";

/// The segments of `storage` written to a fresh directory under the system's temporary one.
fn on_disk(storage: &SimStorage, n: u64) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jitos-boot-bench-{n}-{}", std::process::id()));
    let _absent = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("created");
    for name in storage.list().expect("listed") {
        let bytes = storage.read(&name).expect("read");
        std::fs::write(dir.join(&name), bytes).expect("written");
    }
    dir
}

/// Runs this binary as a child that boots from the log in `dir`; returns the boot's time as the
/// child measured it.
fn boot_in_child(dir: &Path) -> Duration {
    let exe = std::env::current_exe().expect("own path");
    let output = std::process::Command::new(exe)
        .env(CHILD_ENV, dir)
        .output()
        .expect("child runs");
    assert!(output.status.success(), "child failed: {output:?}");
    let nanos: u64 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("the child prints nanoseconds");
    Duration::from_nanos(nanos)
}

/// The child's part: one boot from the log in `dir`, its time printed in nanoseconds.
#[allow(
    clippy::disallowed_methods,
    reason = "a benchmark reads the wall clock to time itself; nothing canonical sees it"
)]
fn child_boot(dir: &str) {
    let storage = FsStorage::open(dir).expect("opened");
    let start = Instant::now();
    let booted =
        boot_with_checkpoints(storage, &SimStorage::new(), WalOptions::default()).expect("boots");
    let elapsed = start.elapsed();
    assert!(booted.report.n_events > 0);
    // The process ends here: its state is not dropped (a daemon keeps it).
    std::mem::forget(booted);
    let mut out = std::io::stdout();
    std::io::Write::write_all(&mut out, format!("{}\n", elapsed.as_nanos()).as_bytes())
        .expect("printed");
}

/// Replay of the same log from memory, without the WAL: what verification and decoding add.
fn replay_from_memory(c: &mut Criterion) {
    let storage = wal_of(100_000);
    let (state, _, _) = boot(storage, WalOptions::default()).expect("boots");
    let events: Vec<_> = state.events().iter().cloned().collect();
    let mut group = c.benchmark_group("replay");
    group.sample_size(10);
    group.bench_function(BenchmarkId::from_parameter(100_000), |b| {
        b.iter_with_large_drop(|| State::replay(events.iter().cloned()).expect("replays"));
    });
    group.finish();
}

/// Boot of the same log with and without a checkpoint covering all of it.
fn boot_with_and_without_checkpoint(c: &mut Criterion) {
    let n = large_n();
    let storage = wal_of(n);
    let (state, wal, _) = boot(storage.clone(), WalOptions::default()).expect("boots");
    let mut checkpoints = SimStorage::new();
    let bytes = state.checkpoint_bytes(wal.last_hash()).expect("encodes");
    eprintln!("checkpoint of {n} events: {} bytes", bytes.len());
    let count = state.events().len() as u64;
    write_checkpoint(&mut checkpoints, count, &bytes, 2).expect("written");
    drop((state, wal));
    let mut group = c.benchmark_group("boot-checkpoint");
    group.sample_size(10);
    group.bench_function(BenchmarkId::from_parameter(n), |b| {
        b.iter_with_large_drop(|| {
            let booted =
                boot_with_checkpoints(storage.clone(), &checkpoints, WalOptions::default())
                    .expect("boots");
            assert_eq!(booted.report.n_replayed, 0);
            booted.state
        });
    });
    group.bench_function(BenchmarkId::new("write", n), |b| {
        let (state, wal, _) = boot(storage.clone(), WalOptions::default()).expect("boots");
        b.iter(|| {
            state
                .checkpoint_bytes(wal.last_hash())
                .expect("encodes")
                .len()
        });
    });
    group.finish();
}

/// Private, so the undocumented `pub fn` that `criterion_group!` generates is not exported.
mod group {
    use super::{boot_from_wal, boot_with_and_without_checkpoint, replay_from_memory};

    criterion::criterion_group!(
        benches,
        boot_from_wal,
        replay_from_memory,
        boot_with_and_without_checkpoint
    );
}

fn main() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child_boot(&dir);
        return;
    }
    group::benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}
