//! A failed fsync stops the daemon: run under `strace`, which makes each daemon thread's
//! [`INJECT_AT`]-th `fdatasync` (the call `FsStorage::sync` issues, through
//! `File::sync_data`; directory syncs are `fsync` and unaffected) fail with EIO once, the daemon
//! acknowledges writes until then, answers the write whose fsync failed with `INTERNAL` naming
//! the write-ahead log, acknowledges nothing after it (the next fsync would succeed, and must
//! not be taken as proof), and exits 1 with a clear error; the next start, without `strace`,
//! holds every acknowledged event.
//!
//! The test needs `strace` (`apt-get install -y strace`; `.ci/run` installs it) and fails,
//! saying so, when it is missing.
//!
//! # Invariants
//! - Writes are sent one at a time under `--fsync always`, so each acknowledged write had an
//!   `fdatasync` of its own after its record. strace counts calls per thread, and the WAL is
//!   synced by the kernel's loop thread or, for a lone client's write committed inline, by the
//!   runtime worker serving it: fewer than `INJECT_AT` times [`n_syncing_threads`] writes can be
//!   acknowledged before the first injected failure, which stops the daemon.

use std::process::Command;

use super::{
    expect_no_more_acknowledgements, expect_start_holds, expect_stderr_names, write_until_refused,
};
use crate::daemon::{Daemon, Launch};
use crate::e2e_m2::{add_node, apply_body, create_sws};

/// Which `fdatasync` of the daemon fails.
const INJECT_AT: u64 = 6;

/// The daemon's threads that may call `fdatasync` on the WAL: the kernel's loop thread and the
/// async runtime's workers (one per core, on this machine as on the daemon's).
fn n_syncing_threads() -> u64 {
    let n_workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    1 + n_workers as u64
}

/// Fails the test, saying what to install, when `strace` cannot run.
fn require_strace() {
    let version = Command::new("strace").arg("-V").output();
    assert!(
        matches!(&version, Ok(output) if output.status.success()),
        "strace is not installed ({version:?}): this test injects EIO into fdatasync with it; \
         install it (`apt-get install -y strace`, as .ci/run does)"
    );
}

#[tokio::test]
async fn a_failed_fsync_stops_the_daemon_and_nothing_after_it_is_acknowledged() {
    require_strace();
    let dir = tempfile::tempdir().expect("a temp dir");
    let (data_dir, stderr_path) = (dir.path().join("data"), dir.path().join("stderr"));
    let inject = format!("inject=fdatasync:error=EIO:when={INJECT_AT}");
    // `-e trace=fdatasync`, not `trace=none`: strace (6.1) tampers only with traced calls.
    let wrapper = [
        "strace",
        "-f",
        "-qq",
        "-o",
        "/dev/null",
        "-e",
        "trace=fdatasync",
        "-e",
        &inject,
    ];
    let launch = Launch {
        wrapper: &wrapper,
        stderr_file: Some(&stderr_path),
    };
    let data_arg = data_dir.to_str().expect("a UTF-8 temp path");
    let mut daemon = Daemon::launch(&["--data-dir", data_arg], &launch);

    let sws = create_sws(&daemon).await;
    // Fewer than INJECT_AT per syncing thread can be acknowledged (see the module doc).
    let writes_max = INJECT_AT * n_syncing_threads();
    let unrefused = "no write failed: is fdatasync still the sync call?";
    let (acked, failure) = write_until_refused(&daemon, writes_max, unrefused, |n| {
        apply_body(sws, &[add_node("doc", &n.to_le_bytes())])
    })
    .await;
    // The creation and each write had an fdatasync of their own.
    assert!(
        !acked.is_empty(),
        "the failure came before any write: {failure}"
    );
    let n_acked = acked.len() as u64 + 1;
    assert!(
        n_acked < writes_max,
        "{n_acked} writes acknowledged by {INJECT_AT} fdatasyncs on each of {} threads",
        n_syncing_threads()
    );
    assert_eq!(failure["extensions"]["code"], "INTERNAL", "{failure}");
    let message = failure["message"].as_str().unwrap_or_default();
    assert!(message.contains("write-ahead log"), "{failure}");
    let status = expect_no_more_acknowledgements(&mut daemon, sws).await;
    assert_eq!(status.code(), Some(1), "{status}");
    expect_stderr_names(
        &stderr_path,
        &["jitosd: error", "write-ahead log", "Input/output error"],
    );
    drop(daemon);
    expect_start_holds(&data_dir, sws, &acked).await;
}
