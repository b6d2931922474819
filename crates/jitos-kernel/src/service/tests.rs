//! The loop over a simulated disk: concurrent commands share fsyncs and survive a power cut
//! once answered; a failed fsync answers nothing Ok, publishes nothing and stops the loop,
//! whether the command ran inline or in the loop thread; `stop` makes the `BATCH` policy's
//! pending records durable; a lone client's light commands run on its own thread when writes
//! are durable (without a flush, once it has been alone for a while), and everything else in
//! the loop thread; a writer nobody reads from publishes nothing until a reader, the sink or
//! the bound on unpublished events asks, and a failure or a panic publishes exactly what was
//! acknowledged; under concurrent writers and readers every read holds every write answered
//! before it began.

use std::sync::atomic::Ordering;
use std::time::Duration;

use jitos_schema::enums::FsyncPolicy;
use jitos_wal::{SimStorage, WalOptions};

use super::Kernel;
use super::publication::{COMMITS_PUBLISHED_AFTER_READ, UNPUBLISHED_EVENTS_MAX};
use crate::error::KernelError;
use crate::journal::{BootReport, CheckpointCell, Journal, StorageStatus};
use crate::persist::boot;
use crate::state::Command;
use crate::test_support::log;

fn create() -> Command {
    Command::CreateSws {
        meta: None,
        idempotency_key: None,
    }
}

fn durable_kernel(storage: &SimStorage, fsync: FsyncPolicy) -> Kernel {
    let (state, wal, _) = boot(storage.clone(), WalOptions::default()).expect("boots");
    let status = StorageStatus::durable(fsync, BootReport::default(), CheckpointCell::default());
    Kernel::start_durable(state, Box::new(Journal::new(wal, fsync)), status)
}

async fn submit_concurrently(kernel: &Kernel, n: usize) -> Vec<Result<u64, KernelError>> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let kernel = kernel.clone();
            tokio::spawn(async move { kernel.submit(create()).await.map(|event| event.idx) })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("the task ran"));
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_commands_survive_a_power_cut_and_share_fsyncs() {
    let storage = SimStorage::new();
    let kernel = durable_kernel(&storage, FsyncPolicy::Always);
    // As on a disk: commands arriving during an fsync queue behind it.
    storage.set_sync_latency(Some(Duration::from_millis(2)));
    let syncs_before = storage.n_syncs();
    let answers = submit_concurrently(&kernel, 200).await;
    let mut idxs: Vec<u64> = answers.into_iter().map(|a| a.expect("accepted")).collect();
    idxs.sort_unstable();
    assert_eq!(idxs, (0..200).collect::<Vec<_>>());
    let n_syncs = storage.n_syncs() - syncs_before;
    assert!(
        n_syncs <= 50,
        "200 concurrent commands took {n_syncs} fsyncs"
    );

    // Power goes right after the last answer: every answered command is on disk.
    storage.power_cut(7);
    let (booted, _, _) = boot(storage, WalOptions::default()).expect("boots");
    assert_eq!(log(&booted), log(&kernel.snapshot()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_fsync_acknowledges_nothing_publishes_nothing_and_stops_the_loop() {
    // Committed by its caller, then by the loop thread.
    fail_stop_on(create()).await;
    fail_stop_on(rewrite(0, super::INLINE_OPS_MAX + 1, 0)).await;
}

/// Creates SWS 0 durably, then fails the fsync of `command`.
async fn fail_stop_on(command: Command) {
    let storage = SimStorage::new();
    let kernel = durable_kernel(&storage, FsyncPolicy::Always);
    kernel.submit(create()).await.expect("the first is durable");
    kernel
        .submit(rewrite(0, 2, 0))
        .await
        .expect("the second is durable");
    assert_eq!(
        kernel.last_published().events().len(),
        0,
        "nobody read: nothing was published"
    );
    storage.fail_next_sync();
    let error = kernel.submit(command).await.expect_err("not durable");
    assert_eq!(error.code, jitos_schema::runtime::ErrorCode::Internal);
    assert!(
        error.to_string().contains("write-ahead log failed"),
        "{error}"
    );
    let why = kernel
        .failure()
        .await
        .expect("the loop reports its failure");
    assert!(why.contains("fsync"), "{why}");
    // The acknowledged events, replayed onto the last publication; never the failed batch.
    let after = kernel.snapshot();
    assert_eq!(
        after.events().len(),
        2,
        "the failed batch is never published"
    );
    let (acknowledged, _, _) = boot(storage.clone(), WalOptions::default()).expect("boots");
    assert_eq!(log(&after), log(&acknowledged));
    let later = kernel
        .submit(create())
        .await
        .expect_err("the loop has stopped");
    assert_eq!(later.code, jitos_schema::runtime::ErrorCode::Internal);

    // The next start sees the acknowledged event; the failed one at most as written bytes,
    // gone after a power cut.
    storage.clear_faults();
    storage.power_cut(3);
    let (booted, _, _) = boot(storage, WalOptions::default()).expect("boots");
    assert_eq!(booted.events().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_policy_answers_before_the_fsync_and_stop_makes_everything_durable() {
    let storage = SimStorage::new();
    let kernel = durable_kernel(&storage, FsyncPolicy::Batch);
    for _ in 0..10 {
        kernel.submit(create()).await.expect("accepted");
    }
    kernel.stop().await;
    assert!(kernel.failure().await.is_none(), "a stop is no failure");
    let refused = kernel.submit(create()).await.expect_err("stopped");
    assert_eq!(refused.code, jitos_schema::runtime::ErrorCode::Internal);
    storage.power_cut(11);
    let (booted, _, _) = boot(storage, WalOptions::default()).expect("boots");
    assert_eq!(booted.events().len(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_kernels_report_no_storage_and_stop_cleanly() {
    let kernel = Kernel::start();
    kernel.submit(create()).await.expect("accepted");
    let status = kernel.storage_status();
    assert_eq!(status.mode, jitos_schema::enums::StorageMode::InMemory);
    assert!(status.fsync.is_none());
    kernel.stop().await;
    assert!(kernel.failure().await.is_none());
    assert_eq!(kernel.snapshot().events().len(), 1);
}

/// A sink that records the name of the thread of each write, and says its writes are durable
/// or not.
#[derive(Clone)]
struct WriterThreads {
    names: std::sync::Arc<std::sync::Mutex<Vec<Option<String>>>>,
    durable: bool,
}

impl WriterThreads {
    fn new(durable: bool) -> WriterThreads {
        WriterThreads {
            names: std::sync::Arc::default(),
            durable,
        }
    }

    fn names(&self) -> Vec<Option<String>> {
        self.names.lock().expect("not poisoned").clone()
    }
}

impl crate::journal::Sink for WriterThreads {
    fn write(&mut self, _: &[std::sync::Arc<crate::Event>]) -> Result<(), crate::AppendError> {
        let name = std::thread::current().name().map(str::to_owned);
        self.names.lock().expect("not poisoned").push(name);
        Ok(())
    }

    fn idle(&mut self) -> Result<(), crate::AppendError> {
        Ok(())
    }

    fn write_is_durable(&self) -> bool {
        self.durable
    }
}

fn rewrite(sws: u64, n_ops: usize, salt: usize) -> Command {
    let ops = (0..n_ops)
        .map(|i| {
            jitos_schema::ops::Op::AddNode(jitos_schema::ops::AddNode {
                kind: "thread-test".to_owned(),
                payload: format!("{salt}/{i}").into_bytes(),
            })
        })
        .collect();
    Command::ApplyRewrite {
        view: crate::ViewKey::Sws(sws),
        ops,
        meta: None,
        idempotency_key: None,
    }
}

/// Create, a rewrite of `INLINE_OPS_MAX` ops, one of one more, and a collapse, one at a time;
/// the threads of their sink writes.
async fn threads_of_four_commands(sink: WriterThreads) -> Vec<Option<String>> {
    let kernel = Kernel::start_durable(
        crate::State::new(),
        Box::new(sink.clone()),
        StorageStatus::in_memory(),
    );
    kernel.submit(create()).await.expect("created");
    kernel
        .submit(rewrite(0, super::INLINE_OPS_MAX, 0))
        .await
        .expect("light rewrite");
    kernel
        .submit(rewrite(0, super::INLINE_OPS_MAX + 1, 1))
        .await
        .expect("heavy rewrite");
    kernel
        .submit(Command::CollapseSws {
            id: 0,
            meta: None,
            idempotency_key: None,
        })
        .await
        .expect("collapsed");
    assert_eq!(kernel.snapshot().events().len(), 4);
    let names = sink.names();
    assert_eq!(names.len(), 4, "one sink write per command: {names:?}");
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lone_client_commits_light_commands_on_its_own_thread_when_writes_are_durable() {
    let loop_thread = Some("jitos-kernel".to_owned());
    let names = threads_of_four_commands(WriterThreads::new(true)).await;
    assert!(
        names[..2].iter().all(|name| *name != loop_thread),
        "{names:?}"
    );
    assert_eq!(names[2..], [loop_thread.clone(), loop_thread], "{names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_flush_every_command_goes_through_the_loop_thread() {
    let names = threads_of_four_commands(WriterThreads::new(false)).await;
    let loop_thread = Some("jitos-kernel".to_owned());
    assert!(names.iter().all(|name| *name == loop_thread), "{names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_every_handle_ends_the_loop_thread() {
    let kernel = Kernel::start();
    kernel.submit(create()).await.expect("accepted");
    let shared = std::sync::Arc::downgrade(&kernel.owner.shared);
    drop(kernel);
    // At most ten seconds: the thread ends at once, but a loaded machine may be slow to run it.
    for _ in 0..10_000 {
        if shared.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("the loop thread outlived its last handle");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_and_queued_commands_interleave_into_one_gapless_log() {
    let storage = SimStorage::new();
    let kernel = durable_kernel(&storage, FsyncPolicy::Always);
    const N_PER_CLIENT: usize = 20;
    let n_clients: u64 = 8;
    for _ in 0..n_clients {
        kernel.submit(create()).await.expect("created");
    }
    let clients: Vec<_> = (0..n_clients)
        .map(|client| {
            let kernel = kernel.clone();
            tokio::spawn(async move {
                let mut idxs = Vec::new();
                for i in 0..N_PER_CLIENT {
                    // Every third command is too large to run inline: the two paths interleave.
                    let n_ops = if i % 3 == 0 {
                        super::INLINE_OPS_MAX + 1
                    } else {
                        1
                    };
                    let command = rewrite(client, n_ops, i);
                    idxs.push(kernel.submit(command).await.expect("accepted").idx);
                }
                idxs
            })
        })
        .collect();
    let mut idxs = Vec::new();
    for client in clients {
        let client_idxs = client.await.expect("the task ran");
        assert!(
            client_idxs.is_sorted(),
            "one client's commands apply in its order"
        );
        idxs.extend(client_idxs);
    }
    idxs.sort_unstable();
    let n_events = n_clients + n_clients * N_PER_CLIENT as u64;
    assert_eq!(idxs, (n_clients..n_events).collect::<Vec<_>>());
    assert_eq!(kernel.snapshot().events().len() as u64, n_events);

    storage.power_cut(13);
    let (booted, _, _) = boot(storage, WalOptions::default()).expect("boots");
    assert_eq!(log(&booted), log(&kernel.snapshot()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_a_client_alone_for_long_commits_on_its_own_thread() {
    let kernel = Kernel::start();
    let n_inline = || kernel.owner.shared.n_inline.load(Ordering::Relaxed);
    kernel.submit(create()).await.expect("created");
    for salt in 0..super::ALONE_STREAK_MIN + 8 {
        kernel.submit(rewrite(0, 1, salt)).await.expect("accepted");
    }
    // The streak counts the create: the 64th submit and every later one run inline.
    assert_eq!(n_inline(), 10);
    // A submit that starts while another is under way (a rewrite too large to run inline,
    // waiting for the loop thread) ends the streak.
    let (heavy, light) = tokio::join!(
        kernel.submit(rewrite(0, super::INLINE_OPS_MAX + 1, 1000)),
        kernel.submit(rewrite(0, 1, 1001))
    );
    heavy.expect("accepted");
    light.expect("accepted");
    kernel.submit(rewrite(0, 1, 1002)).await.expect("accepted");
    assert_eq!(n_inline(), 10);
    assert_eq!(
        kernel.snapshot().events().len(),
        super::ALONE_STREAK_MIN + 12
    );
}

/// A sink that wants the state at `wanted_at` events and records what it was given.
#[derive(Clone, Default)]
struct WantsState {
    wanted_at: u64,
    published: std::sync::Arc<std::sync::Mutex<Vec<usize>>>,
}

impl crate::journal::Sink for WantsState {
    fn write(&mut self, _: &[std::sync::Arc<crate::Event>]) -> Result<(), crate::AppendError> {
        Ok(())
    }

    fn idle(&mut self) -> Result<(), crate::AppendError> {
        Ok(())
    }

    fn write_is_durable(&self) -> bool {
        true
    }

    fn wants_state(&self, n_events: u64) -> bool {
        n_events == self.wanted_at
    }

    fn published(&mut self, state: &std::sync::Arc<crate::State>) {
        let mut published = self.published.lock().expect("not poisoned");
        published.push(state.events().len());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_publishes_when_a_reader_the_sink_or_the_bound_asks() {
    let sink = WantsState {
        wanted_at: 3,
        ..WantsState::default()
    };
    let kernel = Kernel::start_durable(
        crate::State::new(),
        Box::new(sink.clone()),
        StorageStatus::in_memory(),
    );
    let published = || kernel.last_published().events().len();
    kernel.submit(create()).await.expect("created");
    kernel.submit(rewrite(0, 1, 0)).await.expect("accepted");
    assert_eq!(published(), 0, "nobody asked");

    // The sink asks at 3 events; nobody reads, so 4 stays unpublished.
    kernel.submit(rewrite(0, 1, 1)).await.expect("accepted");
    kernel.submit(rewrite(0, 1, 2)).await.expect("accepted");
    assert_eq!(published(), 3);
    assert_eq!(*sink.published.lock().expect("not poisoned"), [3]);

    // A reader sees every acknowledged command, and the next commits publish at once, until
    // COMMITS_PUBLISHED_AFTER_READ have gone by without a read.
    let read = kernel.snapshot();
    assert_eq!(read.events().len(), 4);
    let mut salt = 3;
    let mut submit = async || {
        kernel.submit(rewrite(0, 1, salt)).await.expect("accepted");
        salt += 1;
    };
    submit().await;
    assert_eq!(published(), 5);
    assert_eq!(*sink.published.lock().expect("not poisoned"), [3, 5]);
    assert_eq!(read.events().len(), 4, "a snapshot never changes");
    for _ in 1..COMMITS_PUBLISHED_AFTER_READ {
        submit().await;
    }
    let read_lately = 4 + COMMITS_PUBLISHED_AFTER_READ;
    assert_eq!(published(), read_lately);
    submit().await;
    assert_eq!(published(), read_lately, "no read for a while");

    // Without readers, at most UNPUBLISHED_EVENTS_MAX acknowledged events wait.
    let n_events = read_lately + UNPUBLISHED_EVENTS_MAX + 10;
    for _ in read_lately + 1..n_events {
        submit().await;
    }
    assert_eq!(published(), read_lately + UNPUBLISHED_EVENTS_MAX);
    let read = kernel.snapshot();
    assert_eq!(read.events().len(), n_events);
    // The state a reader got is the one its log makes.
    let replayed = crate::State::replay(read.events().iter().cloned()).expect("replays");
    let digest = |state: &crate::State| {
        let graph = state.graph(crate::ViewKey::Sws(0), "view").expect("SWS 0");
        graph.digest()
    };
    assert_eq!(digest(&replayed), digest(&read));
}

/// A sink whose `n`th write panics (a bug in the loop's path, simulated); it flushes nothing, so
/// every command goes through the loop thread.
struct PanicsOnWrite {
    n_left: usize,
}

impl crate::journal::Sink for PanicsOnWrite {
    fn write(&mut self, _: &[std::sync::Arc<crate::Event>]) -> Result<(), crate::AppendError> {
        self.n_left -= 1;
        assert!(self.n_left > 0, "the simulated bug");
        Ok(())
    }

    fn idle(&mut self) -> Result<(), crate::AppendError> {
        Ok(())
    }

    fn write_is_durable(&self) -> bool {
        false
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_publishes_what_was_acknowledged_and_stops_the_loop() {
    let kernel = Kernel::start_durable(
        crate::State::new(),
        Box::new(PanicsOnWrite { n_left: 3 }),
        StorageStatus::in_memory(),
    );
    kernel.submit(create()).await.expect("acknowledged");
    kernel.submit(rewrite(0, 1, 0)).await.expect("acknowledged");
    assert_eq!(kernel.last_published().events().len(), 0, "nobody read");
    let error = kernel
        .submit(rewrite(0, 1, 1))
        .await
        .expect_err("its write panicked");
    assert_eq!(error.code, jitos_schema::runtime::ErrorCode::Internal);
    let why = kernel.failure().await.expect("the loop reports the panic");
    assert!(why.contains("panicked"), "{why}");
    // The two acknowledged events, replayed onto the last publication; not the third, which
    // was applied to the writer's state but never acknowledged.
    let after = kernel.snapshot();
    assert_eq!(after.events().len(), 2);
    let replayed = crate::State::replay(after.events().iter().cloned()).expect("replays");
    assert_eq!(
        replayed
            .graph(crate::ViewKey::Sws(0), "view")
            .expect("SWS 0")
            .digest(),
        after
            .graph(crate::ViewKey::Sws(0), "view")
            .expect("SWS 0")
            .digest()
    );
}

/// Writers that read after every answer, and readers that only read, at once: every read sees
/// every command answered before it began, and nothing else. `kernel` starts empty.
async fn reads_see_every_answered_write(kernel: Kernel) {
    const N_WRITERS: usize = 6;
    const N_PER_WRITER: usize = 60;
    const N_EVENTS: usize = N_WRITERS * (1 + N_PER_WRITER);
    let sws_ids = 0..u64::try_from(N_WRITERS).expect("small");
    for _ in sws_ids.clone() {
        kernel.submit(create()).await.expect("created");
    }
    // The highest idx answered so far: a read that begins after it must hold it.
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let writers: Vec<_> = sws_ids
        .clone()
        .map(|sws| {
            let (kernel, answered) = (kernel.clone(), std::sync::Arc::clone(&answered));
            tokio::spawn(async move {
                for salt in 0..N_PER_WRITER {
                    // Some too large to run inline: both paths, and batches, mix.
                    let n_ops = if salt % 10 == 0 {
                        super::INLINE_OPS_MAX + 1
                    } else {
                        1
                    };
                    let event = kernel
                        .submit(rewrite(sws, n_ops, salt))
                        .await
                        .expect("accepted");
                    answered.fetch_max(event.idx, Ordering::SeqCst);
                    let read = kernel.snapshot();
                    let seen = read
                        .events()
                        .get(usize::try_from(event.idx).expect("small"));
                    assert_eq!(seen.map(|seen| seen.id), Some(event.id), "its own write");
                    // Every few writes, let the writer go unread for a while.
                    if salt % 7 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (kernel, answered) = (kernel.clone(), std::sync::Arc::clone(&answered));
            tokio::spawn(async move {
                let mut last_len = 0;
                while last_len < N_EVENTS {
                    let floor = answered.load(Ordering::SeqCst);
                    let read = kernel.snapshot();
                    let len = read.events().len();
                    assert!(len as u64 > floor, "a read misses an answered write");
                    assert!(len >= last_len, "reads never go back");
                    last_len = len;
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    for task in writers.into_iter().chain(readers) {
        task.await.expect("no assertion failed");
    }
    let replayed =
        crate::State::replay(kernel.snapshot().events().iter().cloned()).expect("replays");
    for sws in sws_ids {
        let view = crate::ViewKey::Sws(sws);
        assert_eq!(
            replayed.graph(view, "view").expect("SWS").digest(),
            kernel.snapshot().graph(view, "view").expect("SWS").digest()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_memory_reads_see_every_answered_write() {
    reads_see_every_answered_write(Kernel::start()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn durable_reads_see_every_answered_write() {
    let storage = SimStorage::new();
    reads_see_every_answered_write(durable_kernel(&storage, FsyncPolicy::Always)).await;
}
