//! A full disk stops the daemon: with its data directory on a small tmpfs, the daemon
//! acknowledges writes until one does not fit, answers that one with `INTERNAL` naming the
//! write-ahead log and the full disk, acknowledges nothing after it, and exits 1 with a clear
//! error. A copy of the directory on a roomy disk then starts with every acknowledged event, and
//! so does the full tmpfs itself.
//!
//! The test mounts a tmpfs, which needs root (CI runs as root); it fails, saying so, when the
//! mount is refused.
//!
//! # Invariants
//! - The tmpfs is unmounted when the test ends, pass or fail ([`Tmpfs`] is a drop guard, and
//!   every daemon on it is dropped first).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{
    copy_data_dir, expect_no_more_acknowledgements, expect_start_holds, expect_stderr_names,
    write_until_refused,
};
use crate::daemon::{Daemon, Launch};
use crate::e2e_m2::{add_node, apply_body, create_sws};

/// The tmpfs's size: a few dozen writes of [`PAYLOAD_BYTES`].
const TMPFS_SIZE: &str = "256k";
/// Bytes of each node payload written.
const PAYLOAD_BYTES: usize = 8 * 1024;
/// Most writes tried before the disk must be full (256 KiB / 8 KiB, with room to spare).
const WRITES_MAX: u64 = 64;

/// A tmpfs mounted for the test's life.
struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` on the existing directory `path`.
    fn mount(path: &Path, size: &str) -> Tmpfs {
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .output();
        assert!(
            matches!(&mounted, Ok(output) if output.status.success()),
            "mounting a tmpfs on {} failed ({mounted:?}): this test fills a small file system \
             and must run as root (as CI does)",
            path.display()
        );
        Tmpfs {
            path: path.to_owned(),
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount").arg(&self.path).status();
        if !matches!(unmounted, Ok(status) if status.success()) {
            // Still busy: detach it now; the kernel frees it once unused.
            let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        }
    }
}

/// The `applyRewrite` request of write `n` to SWS `sws`: one node of [`PAYLOAD_BYTES`].
fn big_write(sws: u64, n: u64) -> serde_json::Value {
    let mut payload = vec![0_u8; PAYLOAD_BYTES];
    payload[..8].copy_from_slice(&n.to_le_bytes());
    apply_body(sws, &[add_node("doc", &payload)])
}

#[tokio::test]
async fn a_full_disk_stops_the_daemon_and_nothing_after_it_is_acknowledged() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (mount, stderr_path) = (dir.path().join("tmpfs"), dir.path().join("stderr"));
    std::fs::create_dir(&mount).expect("creating the mount point");
    let tmpfs = Tmpfs::mount(&mount, TMPFS_SIZE);
    let data_dir = tmpfs.path.join("data");
    let launch = Launch {
        wrapper: &[],
        stderr_file: Some(&stderr_path),
    };
    let data_arg = data_dir.to_str().expect("a UTF-8 temp path");
    let mut daemon = Daemon::launch(&["--data-dir", data_arg], &launch);

    let sws = create_sws(&daemon).await;
    let unrefused = format!("they fit in {TMPFS_SIZE}, {PAYLOAD_BYTES} bytes each");
    let (acked, failure) =
        write_until_refused(&daemon, WRITES_MAX, &unrefused, |n| big_write(sws, n)).await;
    assert!(
        acked.len() > 4,
        "the disk was full after {} writes: {failure}",
        acked.len()
    );
    assert_eq!(failure["extensions"]["code"], "INTERNAL", "{failure}");
    let message = failure["message"].as_str().unwrap_or_default();
    for needle in ["write-ahead log", "No space left"] {
        assert!(message.contains(needle), "no {needle:?} in {failure}");
    }
    let status = expect_no_more_acknowledgements(&mut daemon, sws).await;
    assert_eq!(status.code(), Some(1), "{status}");
    expect_stderr_names(
        &stderr_path,
        &["jitosd: error", "write-ahead log", "No space left"],
    );
    drop(daemon);

    let copy = dir.path().join("copy");
    copy_data_dir(&data_dir, &copy);
    expect_start_holds(&copy, sws, &acked).await;
    expect_start_holds(&data_dir, sws, &acked).await;
    drop(tmpfs);
}
