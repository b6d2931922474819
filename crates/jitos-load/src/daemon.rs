//! `--spawn`: starts a `jitosd` on an ephemeral loopback port for the run, and stops it after.
//!
//! The daemon prints exactly one line on stdout, `jitosd listening on http://ADDR:PORT`, once it
//! listens (see jitosd's docs); the GraphQL endpoint is that URL plus `/graphql`.
//!
//! # Invariants
//! - Every wait is bounded: the listening line ([`STARTUP_TIMEOUT`]) and the exit after SIGTERM
//!   ([`STOP_TIMEOUT`]); past either the process is killed and the run fails.
//! - A spawned daemon is never left behind: [`SpawnedDaemon`] kills it on drop unless it was
//!   stopped.
//! - The daemon listens on 127.0.0.1 only.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::sync_channel;
use std::time::Duration;

use anyhow::{Context as _, bail};

/// The start of jitosd's one stdout line (`jitosd::LISTENING_PREFIX`; this tool talks to the
/// daemon as a process and does not link it).
const LISTENING_PREFIX: &str = "jitosd listening on ";

/// Longest wait for the listening line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest wait for the exit after SIGTERM; jitosd's own grace period is 10 s.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// Interval between two checks for the process's exit.
const EXIT_POLL_INTERVAL: Duration = Duration::from_millis(20);

/// A `jitosd` this tool started.
#[derive(Debug)]
pub(crate) struct SpawnedDaemon {
    child: Child,
    url: String,
    /// The daemon's data directory, removed after it stops; `None` when the daemon got one
    /// (or `--in-memory`) in its extra arguments.
    _data_dir: Option<tempfile::TempDir>,
}

impl SpawnedDaemon {
    /// Starts `path --host 127.0.0.1 --port 0 EXTRA...` and waits for its listening line. Unless
    /// `extra` names a `--data-dir` or `--in-memory`, the daemon persists to a fresh temporary
    /// directory. Its logs go to this process's stderr, at `warn` unless `RUST_LOG` says
    /// otherwise.
    pub(crate) fn spawn(path: &Path, extra: &[String]) -> anyhow::Result<SpawnedDaemon> {
        let names_storage = extra
            .iter()
            .any(|arg| arg.starts_with("--data-dir") || arg == "--in-memory");
        let data_dir = if names_storage {
            None
        } else {
            Some(tempfile::tempdir().context("creating a data directory for the daemon")?)
        };
        let mut command = Command::new(path);
        command.args(["--host", "127.0.0.1", "--port", "0"]);
        if let Some(dir) = &data_dir {
            command.arg("--data-dir").arg(dir.path());
        }
        command
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if std::env::var_os("RUST_LOG").is_none() {
            command.env("RUST_LOG", "warn");
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", path.display()))?;
        let stdout = child
            .stdout
            .take()
            .context("the daemon's stdout is piped")?;
        let (line_tx, line_rx) = sync_channel(1);
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
            // The receiver may have given up; nothing to do then.
            let _ = line_tx.send(read);
        });
        let mut daemon = SpawnedDaemon {
            child,
            url: String::new(),
            _data_dir: data_dir,
        };
        let line = match line_rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(Ok(line)) => line,
            Ok(Err(error)) => return Err(error).context("reading the daemon's listening line"),
            Err(_) => bail!(
                "{} printed no listening line within {STARTUP_TIMEOUT:?}",
                path.display()
            ),
        };
        daemon.url = format!("{}/graphql", parse_listening_line(&line)?);
        Ok(daemon)
    }

    /// The daemon's GraphQL endpoint.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Sends SIGTERM and waits for a clean exit (status 0).
    pub(crate) fn stop(mut self) -> anyhow::Result<()> {
        let pid = rustix::process::Pid::from_child(&self.child);
        rustix::process::kill_process(pid, rustix::process::Signal::TERM)
            .context("sending SIGTERM to the daemon")?;
        let n_polls = STOP_TIMEOUT.as_millis() / EXIT_POLL_INTERVAL.as_millis() + 1;
        for _ in 0..n_polls {
            if let Some(status) = self.child.try_wait().context("waiting for the daemon")? {
                if !status.success() {
                    bail!("the daemon exited with {status} after SIGTERM");
                }
                return Ok(());
            }
            std::thread::sleep(EXIT_POLL_INTERVAL);
        }
        // Drop kills it.
        bail!("the daemon did not exit within {STOP_TIMEOUT:?} of SIGTERM; killed")
    }
}

impl Drop for SpawnedDaemon {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `http://ADDR:PORT` from `jitosd listening on http://ADDR:PORT\n`.
fn parse_listening_line(line: &str) -> anyhow::Result<&str> {
    let Some(url) = line.strip_prefix(LISTENING_PREFIX) else {
        bail!("unexpected first line from the daemon: {line:?}");
    };
    let url = url.trim_end();
    if !url.starts_with("http://") {
        bail!("no http:// URL in the daemon's line {line:?}");
    }
    Ok(url)
}
