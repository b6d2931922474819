//! A start with checkpoints: it uses the newest one that belongs to the log and replays only
//! the events after it; a torn, foreign or too new checkpoint is skipped with the reason; the
//! journal writes checkpoints in the background and a last one at stop.

use std::sync::Arc;

use jitos_schema::enums::FsyncPolicy;
use jitos_schema::ops::{AddNode, Op};
use jitos_wal::{SimStorage, Storage, Wal, WalOptions};

use super::{boot_with_checkpoints, list_checkpoints, write_checkpoint};
use crate::journal::{BootReport, CheckpointCell, CheckpointPlan, Journal, StorageStatus};
use crate::persist::{append, boot};
use crate::service::Kernel;
use crate::state::{Command, State};
use crate::test_support::log;
use crate::view::ViewKey;

fn command(i: u64) -> Command {
    match i % 5 {
        0 => Command::CreateSws {
            meta: None,
            idempotency_key: None,
        },
        4 => Command::CollapseSws {
            id: i / 5,
            meta: None,
            idempotency_key: None,
        },
        _ => Command::ApplyRewrite {
            view: ViewKey::Sws(i / 5),
            ops: vec![Op::AddNode(AddNode {
                kind: "n".to_owned(),
                payload: i.to_be_bytes().to_vec(),
            })],
            meta: None,
            idempotency_key: None,
        },
    }
}

/// Runs commands `from..to`, appending each event durably.
fn run(state: &mut State, wal: &mut Wal<SimStorage>, from: u64, to: u64) {
    for i in from..to {
        let event = state.apply(command(i)).expect("accepted");
        append(wal, &[event]).expect("durable");
    }
}

fn checkpoint_now(state: &State, wal: &Wal<SimStorage>, checkpoints: &mut SimStorage) -> String {
    let bytes = state.checkpoint_bytes(wal.last_hash()).expect("encodes");
    write_checkpoint(checkpoints, state.events().len() as u64, &bytes, 2).expect("written")
}

/// A log of 30 events with checkpoints after 10 and 20.
fn written() -> (State, SimStorage, SimStorage) {
    let (storage, mut checkpoints) = (SimStorage::new(), SimStorage::new());
    let (mut state, mut wal, _) = boot(storage.clone(), WalOptions::default()).expect("boots");
    run(&mut state, &mut wal, 0, 10);
    checkpoint_now(&state, &wal, &mut checkpoints);
    run(&mut state, &mut wal, 10, 20);
    checkpoint_now(&state, &wal, &mut checkpoints);
    run(&mut state, &mut wal, 20, 30);
    (state, storage, checkpoints)
}

fn assert_same(booted: &State, original: &State) {
    assert_eq!(log(booted), log(original));
    for record in original.sws_after(None) {
        let view = ViewKey::Sws(record.id);
        let live = |state: &State| state.history(view).map(|h| h.live().digest());
        assert_eq!(live(booted), live(original), "{view}");
    }
    assert_eq!(booted.system().digest(), original.system().digest());
}

#[test]
fn a_start_replays_only_the_events_after_the_newest_checkpoint() {
    let (original, storage, checkpoints) = written();
    let booted =
        boot_with_checkpoints(storage, &checkpoints, WalOptions::default()).expect("boots");
    assert_eq!(booted.report.n_events, 30);
    assert_eq!(booted.report.checkpoint_idx, Some(19));
    assert_eq!(booted.report.n_replayed, 10);
    assert!(booted.skipped.is_empty(), "{:?}", booted.skipped);
    assert_same(&booted.state, &original);
}

#[test]
fn a_torn_checkpoint_is_skipped_for_the_one_before() {
    let (original, storage, checkpoints) = written();
    let newest = list_checkpoints(&checkpoints).expect("lists")[0].1.clone();
    let bytes = checkpoints.read(&newest).expect("reads");
    checkpoints.overwrite(&newest, bytes[..bytes.len() / 2].to_vec());
    let booted =
        boot_with_checkpoints(storage, &checkpoints, WalOptions::default()).expect("boots");
    assert_eq!(booted.report.checkpoint_idx, Some(9));
    assert_eq!(booted.report.n_replayed, 20);
    assert_eq!(booted.skipped.len(), 1);
    assert!(booted.skipped[0].1.contains("hash"), "{:?}", booted.skipped);
    assert_same(&booted.state, &original);
}

#[test]
fn an_interrupted_checkpoint_write_leaves_no_checkpoint_name_and_is_cleaned_up() {
    let (original, storage, mut checkpoints) = written();
    let before = list_checkpoints(&checkpoints).expect("lists");
    let (state, wal, _) = boot(storage.clone(), WalOptions::default()).expect("boots");
    let bytes = state.checkpoint_bytes(wal.last_hash()).expect("encodes");
    let count = state.events().len() as u64;
    // The fsync of the bytes fails: the write stops before the rename.
    checkpoints.fail_next_sync();
    write_checkpoint(&mut checkpoints, count, &bytes, 2).expect_err("the sync failed");
    assert_eq!(list_checkpoints(&checkpoints).expect("lists"), before);
    let leftover = format!("{}.tmp", super::checkpoint_name(count));
    assert!(checkpoints.list().expect("lists").contains(&leftover));
    // A power cut now loses the unsynced bytes; starts ignore the leftover either way.
    checkpoints.power_cut(3);
    let booted =
        boot_with_checkpoints(storage.clone(), &checkpoints, WalOptions::default()).expect("boots");
    assert!(booted.skipped.is_empty(), "{:?}", booted.skipped);
    assert_same(&booted.state, &original);
    // The next write removes the leftover and lands whole under its name.
    let name = write_checkpoint(&mut checkpoints, count, &bytes, 2).expect("written");
    assert!(!checkpoints.list().expect("lists").contains(&leftover));
    assert_eq!(checkpoints.read(&name).expect("reads"), bytes);
    checkpoints.power_cut(4);
    assert_eq!(checkpoints.read(&name).expect("durable"), bytes);
}

#[test]
fn checkpoints_of_a_longer_or_another_log_are_skipped() {
    let (_, _, checkpoints) = written();
    // A log of 15 events: the checkpoint of 20 is too new; the one of 10 belongs to it.
    let storage = SimStorage::new();
    let (mut state, mut wal, _) = boot(storage.clone(), WalOptions::default()).expect("boots");
    run(&mut state, &mut wal, 0, 15);
    let booted =
        boot_with_checkpoints(storage, &checkpoints, WalOptions::default()).expect("boots");
    assert_eq!(booted.report.checkpoint_idx, Some(9));
    assert!(
        booted.skipped[0].1.contains("the log holds 15"),
        "{:?}",
        booted.skipped
    );
    assert_same(&booted.state, &state);

    // Another log of 30 events (other payloads): no checkpoint belongs to it.
    let other = SimStorage::new();
    let (mut state, mut wal, _) = boot(other.clone(), WalOptions::default()).expect("boots");
    for i in 0..30 {
        let event = state.apply(command(i + 1000 * u64::from(i % 5 != 0))).ok();
        if let Some(event) = event {
            append(&mut wal, &[event]).expect("durable");
        }
    }
    let booted = boot_with_checkpoints(other, &checkpoints, WalOptions::default()).expect("boots");
    assert_eq!(booted.report.checkpoint_idx, None);
    assert_eq!(booted.report.n_replayed, booted.report.n_events);
    assert_eq!(booted.skipped.len(), 2, "{:?}", booted.skipped);
    assert_same(&booted.state, &state);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_writes_checkpoints_and_a_last_one_at_stop() {
    let (storage, checkpoints) = (SimStorage::new(), SimStorage::new());
    let (state, wal, _) = boot(storage.clone(), WalOptions::default()).expect("boots");
    let cell = CheckpointCell::default();
    let plan = CheckpointPlan {
        every_events: 5,
        keep: 2,
    };
    let journal = Journal::new(wal, FsyncPolicy::Always).with_checkpoints(
        checkpoints.clone(),
        plan,
        0,
        cell.clone(),
    );
    let status = StorageStatus::durable(FsyncPolicy::Always, BootReport::default(), cell.clone());
    let kernel = Kernel::start_durable(state, Box::new(journal), status);
    for i in 0..17 {
        kernel.submit(command(i)).await.expect("accepted");
    }
    kernel.stop().await;
    let news = cell.news();
    assert_eq!(news.newest_idx, Some(16), "{news:?}");
    assert!(news.n_written >= 2 && news.error.is_none(), "{news:?}");
    let kept = list_checkpoints(&checkpoints).expect("lists");
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert_eq!(kept[0].0, 17);

    let booted =
        boot_with_checkpoints(storage, &checkpoints, WalOptions::default()).expect("boots");
    assert_eq!(booted.report.n_replayed, 0);
    assert_same(&booted.state, &Arc::unwrap_or_clone(kernel.snapshot()));
}
