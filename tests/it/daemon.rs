//! Runs the real `jitosd` binary for end-to-end tests: on an ephemeral loopback port, read from
//! the one line it prints, stopped with SIGTERM (or killed with SIGKILL, to simulate a crash).
//! [`Launch`] runs it under a wrapper command (e.g. `strace` injecting faults) or with its stderr
//! in a file; [`Daemon::start_failing`] runs one whose start must be refused and returns its exit
//! status and stderr.
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
//!   stop it, and a wrapped daemon along with its wrapper.
//! - The daemon listens on 127.0.0.1 only.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
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
    /// Whether `child` is a wrapper command whose child is the daemon.
    wrapped: bool,
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
        Daemon::launch(args, &Launch::default())
    }

    /// Starts `jitosd --port 0` with exactly `args` appended, as `launch` says (under a wrapper
    /// command, its stderr to a file), and waits for its listening line.
    pub(crate) fn launch(args: &[&str], launch: &Launch<'_>) -> Daemon {
        let mut command = launch.command(args);
        command.stdout(Stdio::piped());
        let mut child = command.spawn().expect("spawning jitosd");
        let stdout = child.stdout.take().expect("jitosd stdout is piped");
        let line = match read_first_line(stdout) {
            Some(Ok(line)) if line.is_empty() => {
                let status = child.wait().expect("waiting for jitosd");
                panic!(
                    "jitosd {args:?} exited with {status} before listening (its stderr is {})",
                    launch.stderr_file.map_or_else(
                        || "above".to_owned(),
                        |path| format!("in {}", path.display())
                    )
                );
            }
            Some(Ok(line)) => line,
            Some(Err(error)) => panic!("reading the jitosd listening line: {error}"),
            None => {
                kill_all(&mut child, !launch.wrapper.is_empty());
                panic!("jitosd printed no listening line within {STARTUP_TIMEOUT:?}");
            }
        };
        let addr = parse_listening_line(&line);
        assert!(addr.ip().is_loopback(), "{line}");
        assert_ne!(addr.port(), 0, "{line}");
        Daemon {
            child,
            addr,
            wrapped: !launch.wrapper.is_empty(),
        }
    }

    /// Runs `jitosd --port 0` with exactly `args` appended, which must exit before it listens
    /// (a start refused); how it ended. Panics at once if it prints a listening line instead.
    pub(crate) fn start_failing(args: &[&str]) -> StartFailure {
        let mut command = Launch::default().command(args);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawning jitosd");
        let stdout = child.stdout.take().expect("jitosd stdout is piped");
        let mut stderr = child.stderr.take().expect("jitosd stderr is piped");
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            // A read error leaves what was read: the assertions on it then fail visibly.
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
            text
        });
        let stdout = match read_first_line(stdout) {
            Some(Ok(line)) if line.is_empty() => line,
            Some(Ok(line)) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("jitosd {args:?} started ({line:?}) where it had to refuse to start");
            }
            Some(Err(error)) => panic!("reading the jitosd stdout: {error}"),
            None => {
                let _ = child.kill();
                panic!("jitosd {args:?} neither listened nor exited within {STARTUP_TIMEOUT:?}");
            }
        };
        let Some(status) = wait_for_exit(&mut child, STARTUP_TIMEOUT) else {
            let _ = child.kill();
            panic!("jitosd {args:?} closed its stdout but did not exit");
        };
        let stderr = stderr.join().expect("the stderr reader does not panic");
        StartFailure {
            status,
            stdout,
            stderr,
        }
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
        self.signal(rustix::process::Signal::TERM);
        wait_for_exit(&mut self.child, timeout)
            .unwrap_or_else(|| panic!("jitosd did not exit within {timeout:?} of SIGTERM"))
    }

    /// Kills the process with SIGKILL (a crash: nothing is flushed or finished) and reaps it.
    pub(crate) fn kill(mut self) -> ExitStatus {
        self.kill_all();
        self.child.wait().expect("reaping jitosd")
    }

    /// Sends `signal` to the daemon: the child, or the wrapper's children when it is wrapped
    /// (a wrapper such as strace does not pass signals on).
    fn signal(&self, signal: rustix::process::Signal) {
        signal_daemon(&self.child, self.wrapped, signal);
    }

    /// SIGKILLs the daemon and its wrapper, if any.
    fn kill_all(&mut self) {
        kill_all(&mut self.child, self.wrapped);
    }

    /// Waits up to `timeout` for the process to exit on its own (no signal sent): its status,
    /// or `None` if it still runs (it is then killed when dropped).
    pub(crate) fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        wait_for_exit(&mut self.child, timeout)
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
            self.kill_all();
            let _ = self.child.wait();
        }
    }
}

/// Sends `signal` to the daemon `child` runs: `child` itself, or its children when it is a
/// wrapper command.
fn signal_daemon(child: &Child, wrapped: bool, signal: rustix::process::Signal) {
    let pids = if wrapped {
        children_of(child.id())
    } else {
        vec![rustix::process::Pid::from_child(child)]
    };
    for pid in pids {
        // The process may have exited meanwhile; waiting on it tells.
        let _ = rustix::process::kill_process(pid, signal);
    }
}

/// SIGKILLs the daemon `child` runs and `child` itself: killing only a wrapper would leave the
/// daemon running.
fn kill_all(child: &mut Child, wrapped: bool) {
    if wrapped {
        signal_daemon(child, wrapped, rustix::process::Signal::KILL);
    }
    // `Child::kill` sends SIGKILL on Unix; an error means it has exited already.
    let _ = child.kill();
}

/// The children of process `pid` (every thread's), from `/proc`.
fn children_of(pid: u32) -> Vec<rustix::process::Pid> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|children| {
            children
                .split_whitespace()
                .filter_map(|child| child.parse().ok())
                .collect::<Vec<i32>>()
        })
        .filter_map(rustix::process::Pid::from_raw)
        .collect()
}

/// How to run `jitosd` beyond its arguments. The default runs it directly, stderr inherited.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Launch<'a> {
    /// A command and its arguments to run `jitosd` under, its path and arguments appended (e.g.
    /// `["strace", "-f", ...]`); empty runs it directly. The wrapper must pass stdout through
    /// and exit with the daemon's status.
    pub(crate) wrapper: &'a [&'a str],
    /// A file that receives the daemon's stderr (created or truncated); `None` inherits the
    /// test's.
    pub(crate) stderr_file: Option<&'a Path>,
}

impl Launch<'_> {
    /// The command line: `[wrapper...] jitosd --host 127.0.0.1 --port 0 args...`.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = match self.wrapper.split_first() {
            None => Command::new(jitosd_path()),
            Some((program, wrapper_args)) => {
                let mut command = Command::new(program);
                command.args(wrapper_args).arg(jitosd_path());
                command
            }
        };
        command
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null());
        match self.stderr_file {
            None => command.stderr(Stdio::inherit()),
            Some(path) => {
                let file = std::fs::File::create(path)
                    .unwrap_or_else(|error| panic!("creating {}: {error}", path.display()));
                command.stderr(file)
            }
        };
        command
    }
}

/// How a `jitosd` that had to refuse to start ended.
#[derive(Debug)]
pub(crate) struct StartFailure {
    /// Its exit status.
    pub(crate) status: ExitStatus,
    /// Everything it wrote to stdout (no listening line, so nothing).
    pub(crate) stdout: String,
    /// Everything it wrote to stderr.
    pub(crate) stderr: String,
}

/// The first line of `stdout` (empty at end of file), or `None` if none came within
/// [`STARTUP_TIMEOUT`].
fn read_first_line(stdout: ChildStdout) -> Option<std::io::Result<String>> {
    let (line_tx, line_rx) = sync_channel(1);
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
        // The receiver may have given up; nothing to do then.
        let _ = line_tx.send(read);
    });
    line_rx.recv_timeout(STARTUP_TIMEOUT).ok()
}

/// Polls `child` until it exits, for up to `timeout`.
fn wait_for_exit(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let n_polls = timeout.as_millis() / EXIT_POLL_INTERVAL.as_millis() + 1;
    for _ in 0..n_polls {
        if let Some(status) = child.try_wait().expect("polling jitosd") {
            return Some(status);
        }
        std::thread::sleep(EXIT_POLL_INTERVAL);
    }
    None
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
