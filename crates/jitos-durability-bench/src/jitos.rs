//! The jitos side: a durable kernel on a real WAL, clients as tokio tasks, and a profile of the
//! single writer (batches per fsync, time in the sink, the loop thread's CPU).
//!
//! The kernel is started exactly as the daemon starts it (`boot` over [`FsStorage`],
//! `Kernel::start_durable` with a [`Journal`] under `FsyncPolicy::Always`), except that the
//! journal is wrapped in [`CountingSink`], which times each `write` (the batch's records
//! written and fsynced) and counts its events. No kernel code is changed or bypassed. Unlike
//! the daemon, the journal writes no checkpoints (`Journal::with_checkpoints`): this measures
//! the commit path alone.
//!
//! # Invariants
//! - Each client writes only its own SWS, created before the window starts, and no two
//!   submitted payloads are equal, so every submit appends exactly one event.
//! - The kernel is stopped (and its failure checked) before the run returns, so everything it
//!   acknowledged is in the WAL on disk.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jitos_kernel::{
    BootReport, CheckpointCell, Command, Journal, Kernel, Sink, State, StorageStatus, ViewKey,
    WAL_DIR,
};
use jitos_schema::enums::FsyncPolicy;
use jitos_schema::ops::{AddNode, Op};
use jitos_wal::{FsStorage, WalOptions};

use crate::Bench;
use crate::error::BenchError;
use crate::machine::DiskCounters;
use crate::report::Slice;
use crate::window::{Samples, Window, now};

/// The kind of the nodes the jitos clients add.
pub const NODE_KIND: &str = "bench";

/// Linux's `USER_HZ`: the unit of a thread's CPU times in `/proc/self/task/*/stat`.
const CLOCK_TICKS_PER_S: f64 = 100.0;

/// What the kernel's single writer did during the measured windows.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct WriterProfile {
    /// Sink writes (each one write and one fsync of a batch's records).
    pub n_fsyncs: u64,
    /// Events made durable.
    pub n_events: u64,
    /// `n_events / n_fsyncs`: the mean group-commit batch.
    pub events_per_fsync: f64,
    /// The largest batch (warmups included).
    pub batch_max: u64,
    /// Mean wall time of one sink write (write and fsync), in microseconds.
    pub fsync_us_mean: f64,
    /// Share of the windows the writer spent in the sink.
    pub sink_share: f64,
    /// Share of the windows the kernel's loop thread was on a CPU (apply, encode, publish, and
    /// the CPU side of the writes), from `/proc`; `None` where it cannot be read. Commands
    /// committed inline, on a client's thread (a lone client's), are not in it.
    pub writer_cpu_share: Option<f64>,
}

/// The raw counts behind a [`WriterProfile`], summed over windows.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WriterCounters {
    n_fsyncs: u64,
    n_events: u64,
    sink_ns: u64,
    batch_max: u64,
    /// `None` once any window could not read it.
    cpu_ticks: Option<u64>,
    /// Windows added.
    n_windows: u64,
}

impl WriterCounters {
    /// Adds another window's counts.
    pub(crate) fn add(&mut self, other: &WriterCounters) {
        self.n_fsyncs += other.n_fsyncs;
        self.n_events += other.n_events;
        self.sink_ns += other.sink_ns;
        self.batch_max = self.batch_max.max(other.batch_max);
        self.cpu_ticks = match (self.n_windows, self.cpu_ticks, other.cpu_ticks) {
            (0, _, theirs) => theirs,
            (_, Some(ours), Some(theirs)) => Some(ours + theirs),
            _ => None,
        };
        self.n_windows += other.n_windows;
    }

    /// The profile of windows that lasted `window_total` together.
    pub(crate) fn profile(&self, window_total: Duration) -> WriterProfile {
        let window_s = window_total.as_secs_f64();
        let sink_s = Duration::from_nanos(self.sink_ns).as_secs_f64();
        let n_fsyncs = self.n_fsyncs.max(1) as f64;
        WriterProfile {
            n_fsyncs: self.n_fsyncs,
            n_events: self.n_events,
            events_per_fsync: self.n_events as f64 / n_fsyncs,
            batch_max: self.batch_max,
            fsync_us_mean: sink_s * 1e6 / n_fsyncs,
            sink_share: sink_s / window_s,
            writer_cpu_share: self
                .cpu_ticks
                .map(|ticks| ticks as f64 / CLOCK_TICKS_PER_S / window_s),
        }
    }
}

/// Counters the sink keeps and the run reads.
#[derive(Debug, Default)]
struct SinkStats {
    n_writes: AtomicU64,
    n_events: AtomicU64,
    write_ns: AtomicU64,
    batch_max: AtomicU64,
}

impl SinkStats {
    fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.n_writes.load(Ordering::Relaxed),
            self.n_events.load(Ordering::Relaxed),
            self.write_ns.load(Ordering::Relaxed),
        )
    }
}

/// A [`Journal`] that counts and times its writes.
struct CountingSink {
    journal: Journal<FsStorage>,
    stats: Arc<SinkStats>,
}

impl Sink for CountingSink {
    fn write(
        &mut self,
        events: &[Arc<jitos_kernel::Event>],
    ) -> Result<(), jitos_kernel::AppendError> {
        let started = now();
        let result = self.journal.write(events);
        let write_ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let n_events = events.len() as u64;
        self.stats.n_writes.fetch_add(1, Ordering::Relaxed);
        self.stats.n_events.fetch_add(n_events, Ordering::Relaxed);
        self.stats.write_ns.fetch_add(write_ns, Ordering::Relaxed);
        self.stats.batch_max.fetch_max(n_events, Ordering::Relaxed);
        result
    }

    fn idle(&mut self) -> Result<(), jitos_kernel::AppendError> {
        self.journal.idle()
    }

    fn write_is_durable(&self) -> bool {
        self.journal.write_is_durable()
    }

    fn wants_state(&self, n_events: u64) -> bool {
        self.journal.wants_state(n_events)
    }

    fn published(&mut self, state: &Arc<State>) {
        self.journal.published(state);
    }

    fn close(&mut self, state: &Arc<State>) {
        self.journal.close(state);
    }
}

/// The command a client submits: one `AddNode` with an 8-byte payload into `sws`.
fn add_node(sws: u64, payload: u64) -> Command {
    Command::ApplyRewrite {
        view: ViewKey::Sws(sws),
        ops: vec![Op::AddNode(AddNode {
            kind: NODE_KIND.to_owned(),
            payload: payload.to_be_bytes().to_vec(),
        })],
        meta: None,
        idempotency_key: None,
    }
}

fn create_sws() -> Command {
    Command::CreateSws {
        meta: None,
        idempotency_key: None,
    }
}

/// The body of the WAL record of a representative client commit: the canonical CBOR of the
/// event of one `AddNode` (8-byte payload) into a fresh SWS.
///
/// # Errors
/// The kernel refused the commands or could not encode the event (both bugs).
pub fn event_template() -> Result<Vec<u8>, BenchError> {
    let mut state = State::new();
    let created = state.apply(create_sws())?;
    let ViewKey::Sws(sws) = created.view else {
        return Err(BenchError::KernelFailed("createSws made no SWS".to_owned()));
    };
    let event = state.apply(add_node(sws, u64::MAX))?;
    Ok(event.encode()?)
}

/// The payload of client `client_idx`'s `seq`-th commit, distinct across clients and commits.
pub(crate) fn key_of(client_idx: usize, seq: u64) -> u64 {
    debug_assert!(seq < 1 << 40, "a client commits fewer than 2^40 times");
    ((client_idx as u64) << 40) | seq
}

/// Measures the durable kernel with `n_clients` clients; its WAL goes to `path/wal`.
pub(crate) fn run(path: &Path, n_clients: usize, bench: Bench<'_>) -> Result<Slice, BenchError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("bench-client")
        .build()?;
    runtime.block_on(run_async(path, n_clients, bench))
}

async fn run_async(path: &Path, n_clients: usize, bench: Bench<'_>) -> Result<Slice, BenchError> {
    let storage = FsStorage::open(path.join(WAL_DIR))?;
    let (state, wal, _) = jitos_kernel::boot(storage, WalOptions::default())?;
    let stats = Arc::new(SinkStats::default());
    let sink = CountingSink {
        journal: Journal::new(wal, FsyncPolicy::Always),
        stats: Arc::clone(&stats),
    };
    let status = StorageStatus::durable(
        FsyncPolicy::Always,
        BootReport::default(),
        CheckpointCell::default(),
    );
    let kernel = Kernel::start_durable(state, Box::new(sink), status);
    let mut sws_ids = Vec::with_capacity(n_clients);
    for _ in 0..n_clients {
        let created = kernel.submit(create_sws()).await?;
        let ViewKey::Sws(sws) = created.view else {
            return Err(BenchError::KernelFailed("createSws made no SWS".to_owned()));
        };
        sws_ids.push(sws);
    }
    let window = Window::starting_now(bench.timing);
    let clients: Vec<_> = sws_ids
        .into_iter()
        .enumerate()
        .map(|(client_idx, sws)| tokio::spawn(client(kernel.clone(), window, client_idx, sws)))
        .collect();
    let (writer, disk) = profile(&stats, &window, bench.device).await;
    let mut samples = Vec::with_capacity(n_clients);
    for client in clients {
        samples.push(client.await.map_err(|_| BenchError::ClientPanicked)??);
    }
    kernel.stop().await;
    if let Some(why) = kernel.failure().await {
        return Err(BenchError::KernelFailed(why.to_string()));
    }
    Ok(Slice {
        samples,
        data_path: path.to_owned(),
        writer: Some(writer),
        disk,
    })
}

async fn client(
    kernel: Kernel,
    window: Window,
    client_idx: usize,
    sws: u64,
) -> Result<Samples, BenchError> {
    let mut samples = Samples::default();
    for seq in 0.. {
        let command = add_node(sws, key_of(client_idx, seq));
        let started = now();
        kernel.submit(command).await?;
        if !samples.take(&window, started, now()) {
            break;
        }
    }
    Ok(samples)
}

/// Reads the sink counters, the writer's CPU and the disk's counters at the window's start and
/// end.
async fn profile(
    stats: &SinkStats,
    window: &Window,
    device: Option<&str>,
) -> (WriterCounters, Option<DiskCounters>) {
    sleep_until(window.measured_from).await;
    let (writes_0, events_0, ns_0) = stats.snapshot();
    let cpu_0 = writer_cpu_ticks();
    let disk_0 = device.and_then(DiskCounters::read);
    sleep_until(window.end).await;
    let (writes_1, events_1, ns_1) = stats.snapshot();
    let cpu_1 = writer_cpu_ticks();
    let disk_1 = device.and_then(DiskCounters::read);
    let disk = disk_0
        .zip(disk_1)
        .map(|(disk_0, disk_1)| disk_1.since(disk_0));
    let writer = WriterCounters {
        n_fsyncs: writes_1 - writes_0,
        n_events: events_1 - events_0,
        sink_ns: ns_1 - ns_0,
        batch_max: stats.batch_max.load(Ordering::Relaxed),
        cpu_ticks: cpu_0.zip(cpu_1).map(|(ticks_0, ticks_1)| ticks_1 - ticks_0),
        n_windows: 1,
    };
    (writer, disk)
}

async fn sleep_until(deadline: Instant) {
    tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)).await;
}

/// User plus system CPU ticks of the kernel's writer thread (named `jitos-kernel`), or `None`
/// when `/proc` does not tell.
fn writer_cpu_ticks() -> Option<u64> {
    let mut total = None;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let task = task.ok()?.path();
        let name = std::fs::read_to_string(task.join("comm")).unwrap_or_default();
        if name.trim_end() != "jitos-kernel" {
            continue;
        }
        let stat = std::fs::read_to_string(task.join("stat")).ok()?;
        let ticks = cpu_ticks_of_stat(&stat)?;
        total = Some(total.unwrap_or(0) + ticks);
    }
    total
}

/// `utime + stime` of a `/proc/*/stat` line (fields 14 and 15, after the parenthesised name).
pub(crate) fn cpu_ticks_of_stat(stat: &str) -> Option<u64> {
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}
