//! The loop over a simulated disk: concurrent commands share fsyncs and survive a power cut
//! once answered; a failed fsync answers nothing Ok, publishes nothing and stops the loop;
//! `stop` makes the `BATCH` policy's pending records durable.

use jitos_schema::enums::FsyncPolicy;
use jitos_wal::{SimStorage, WalOptions};

use super::Kernel;
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
    let syncs_before = storage.n_syncs();
    let answers = submit_concurrently(&kernel, 200).await;
    let mut idxs: Vec<u64> = answers.into_iter().map(|a| a.expect("accepted")).collect();
    idxs.sort_unstable();
    assert_eq!(idxs, (0..200).collect::<Vec<_>>());
    let n_syncs = storage.n_syncs() - syncs_before;
    assert!(
        n_syncs < 200,
        "200 concurrent commands took {n_syncs} fsyncs"
    );

    // Power goes right after the last answer: every answered command is on disk.
    storage.power_cut(7);
    let (booted, _, _) = boot(storage, WalOptions::default()).expect("boots");
    assert_eq!(log(&booted), log(&kernel.snapshot()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_fsync_acknowledges_nothing_publishes_nothing_and_stops_the_loop() {
    let storage = SimStorage::new();
    let kernel = durable_kernel(&storage, FsyncPolicy::Always);
    kernel.submit(create()).await.expect("the first is durable");
    storage.fail_next_sync();
    let error = kernel.submit(create()).await.expect_err("not durable");
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
    assert_eq!(
        kernel.snapshot().events().len(),
        1,
        "the failed batch is never published"
    );
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
    assert_eq!(booted.events().len(), 1);
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
