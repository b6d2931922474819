//! Runs the real `jitosd` binary for end-to-end tests: on an ephemeral loopback port, read from
//! the one line it prints, stopped with SIGTERM.
//!
//! Cargo builds only the library of a dependency, never its binaries, so the binary is built
//! here, once per test process, with the cargo that built this test, into the same target
//! directory and profile (`<target>/<profile>/deps/it-*` → `<target>/<profile>/jitosd`). An
//! up-to-date binary makes that a no-op; a stale one is rebuilt, so a test never runs old code.
//!
//! # Invariants
//! - Every wait is bounded: startup, shutdown and the build report a failure instead of
//!   hanging.
//! - A daemon is never left behind: [`Daemon`] kills its process on drop if a test did not
//!   stop it.
//! - The daemon listens on 127.0.0.1 only.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::sync_channel;
use std::time::Duration;

/// Longest wait for the listening line once the process runs.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Interval between two checks for the process's exit.
const EXIT_POLL_INTERVAL: Duration = Duration::from_millis(20);

/// A running `jitosd` process.
pub(crate) struct Daemon {
    child: Child,
    addr: SocketAddr,
}

impl Daemon {
    /// Starts `jitosd --port 0 --in-memory` and waits for its listening line.
    pub(crate) fn start() -> Daemon {
        Daemon::start_with(&[])
    }

    /// Starts `jitosd --port 0 --in-memory` with `args` appended to its command line (e.g.
    /// `["--ws-send-timeout", "1"]`) and waits for its listening line.
    pub(crate) fn start_with(args: &[&str]) -> Daemon {
        Daemon::start_raw(&[&["--in-memory"], args].concat())
    }

    /// Starts a durable `jitosd --port 0 --data-dir DIR` with `args` appended, and waits for
    /// its listening line.
    pub(crate) fn start_durable(data_dir: &Path, args: &[&str]) -> Daemon {
        let data_dir = data_dir.to_str().expect("a UTF-8 temp path");
        Daemon::start_raw(&[&["--data-dir", data_dir], args].concat())
    }

    /// Starts `jitosd --port 0` with exactly `args` appended and waits for its listening line.
    pub(crate) fn start_raw(args: &[&str]) -> Daemon {
        let mut child = Command::new(jitosd_path())
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawning jitosd");
        let stdout = child.stdout.take().expect("jitosd stdout is piped");
        let (line_tx, line_rx) = sync_channel(1);
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
            // The receiver may have given up; nothing to do then.
            let _ = line_tx.send(read);
        });
        let line = match line_rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(Ok(line)) if line.is_empty() => {
                let status = child.wait().expect("waiting for jitosd");
                panic!(
                    "jitosd {args:?} exited with {status} before listening (its stderr is above)"
                );
            }
            Ok(Ok(line)) => line,
            Ok(Err(error)) => panic!("reading the jitosd listening line: {error}"),
            Err(_) => {
                let _ = child.kill();
                panic!("jitosd printed no listening line within {STARTUP_TIMEOUT:?}");
            }
        };
        let addr = parse_listening_line(&line);
        assert!(addr.ip().is_loopback(), "{line}");
        assert_ne!(addr.port(), 0, "{line}");
        Daemon { child, addr }
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `ws://127.0.0.1:PORT` followed by `path`.
    pub(crate) fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    /// Whether the process still runs.
    pub(crate) fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("polling jitosd").is_none()
    }

    /// Sends SIGTERM and waits up to `timeout` for the process to exit.
    pub(crate) fn terminate(mut self, timeout: Duration) -> ExitStatus {
        let pid = rustix::process::Pid::from_child(&self.child);
        rustix::process::kill_process(pid, rustix::process::Signal::TERM)
            .expect("sending SIGTERM to jitosd");
        let n_polls = timeout.as_millis() / EXIT_POLL_INTERVAL.as_millis() + 1;
        for _ in 0..n_polls {
            if let Some(status) = self.child.try_wait().expect("polling jitosd") {
                return status;
            }
            std::thread::sleep(EXIT_POLL_INTERVAL);
        }
        panic!("jitosd did not exit within {timeout:?} of SIGTERM");
    }

    /// Stops the daemon as an operator would and checks that it exits 0.
    pub(crate) fn stop(self) {
        let status = self.terminate(Duration::from_secs(5));
        assert!(status.success(), "jitosd exited with {status}");
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The address in `jitosd listening on http://ADDR:PORT\n`.
fn parse_listening_line(line: &str) -> SocketAddr {
    let rest = line
        .strip_prefix(jitosd::LISTENING_PREFIX)
        .unwrap_or_else(|| panic!("unexpected first line from jitosd: {line:?}"));
    let addr = rest
        .trim_end_matches('\n')
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("no http:// URL in {line:?}"));
    addr.parse()
        .unwrap_or_else(|error| panic!("bad address in {line:?}: {error}"))
}

/// The `jitosd` binary of this build, built or refreshed on first use.
pub(crate) fn jitosd_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| build_binary("jitosd"))
}

/// The `jitosctl` binary of this build, built or refreshed on first use.
pub(crate) fn jitosctl_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| build_binary("jitosctl"))
}

/// Builds binary `name` (of the package of the same name) with the cargo, target directory and
/// profile of this test binary.
pub(crate) fn build_binary(name: &str) -> PathBuf {
    let test_exe = std::env::current_exe().expect("locating the test binary");
    let deps_dir = test_exe.parent().expect("the test binary lives in deps/");
    let profile_dir = deps_dir
        .parent()
        .expect("deps/ lives in a profile directory");
    let target_dir = profile_dir
        .parent()
        .expect("a profile directory lives in a target dir");
    let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
        Some("debug") => "dev",
        Some(name) => name,
        None => panic!("unreadable profile directory {}", profile_dir.display()),
    };
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--package", name, "--bin", name])
        .arg("--profile")
        .arg(profile)
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .status()
        .expect("running cargo build");
    assert!(status.success(), "cargo build -p {name} failed: {status}");
    let binary = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(binary.is_file(), "no {name} binary at {}", binary.display());
    binary
}

#[test]
fn listening_line_parses() {
    let addr = parse_listening_line("jitosd listening on http://127.0.0.1:40123\n");
    assert_eq!(addr, "127.0.0.1:40123".parse().unwrap());
    let addr = parse_listening_line("jitosd listening on http://[::1]:8080\n");
    assert_eq!(addr, "[::1]:8080".parse().unwrap());
}
