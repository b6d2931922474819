//! The JITOS daemon: parses the command line, sets up logging, binds the address and serves the
//! GraphQL API through jitos-net until SIGINT or SIGTERM.
//!
//! The API is served by `jitos_kernel::Kernel`. By default its history is durable in a data
//! directory (`--data-dir`, default `./jitos-data`; see `store.rs`); `--in-memory` keeps it in
//! memory only.
//!
//! # Invariants
//! - Standard output carries exactly one line, [`LISTENING_PREFIX`] followed by
//!   `http://ADDR:PORT` with the port actually bound, written and flushed once the listener is
//!   bound. Logs go to standard error.
//! - The signal handlers are installed before that line is written: a SIGTERM sent as soon as
//!   the line is read is a graceful shutdown, never a kill.
//! - SIGINT or SIGTERM stops accepting, lets requests in flight finish within
//!   [`SHUTDOWN_GRACE`], and exits 0.
//! - The default address is loopback; every interface only when `--host` says so.
//! - The listening line is written only after the history is restored.
//! - When the kernel stops on a storage failure (fail-stop), the daemon stops serving and exits
//!   non-zero; after a signal it stops the kernel (making pending records durable) before
//!   exiting 0.

use std::future::Future;
use std::io::{self, IsTerminal as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, ValueEnum};
use jitos_kernel::CheckpointPlan;
use jitos_net::ServerConfig;
use jitos_schema::enums::FsyncPolicy;
use jitos_wal::Recover;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

mod store;

pub use store::{LOCK_FILE, Store, StoreConfig};

/// The start of the line printed once the daemon listens; the URL follows it.
pub const LISTENING_PREFIX: &str = "jitosd listening on ";

/// How long a shutdown waits for requests in flight before the daemon exits anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

const AFTER_HELP: &str = "\
Endpoints:
  POST /graphql      GraphQL over HTTP (JSON body: {\"query\": ..., \"variables\": ...})
  GET  /graphql      GraphiQL, an in-browser IDE for the API
  GET  /graphql/ws   subscriptions over WebSocket (graphql-transport-ws)
  GET  /healthz      200 \"ok\" while the daemon runs

Examples:
  jitosd                               serve on http://127.0.0.1:8080; history in ./jitos-data
  jitosd --port 0                      serve on a free port; the URL is printed on stdout
  jitosd --data-dir /var/lib/jitos     keep the history there
  jitosd --in-memory                   keep nothing: the log starts empty at every start
  RUST_LOG=debug jitosd --log-format json
                                       log every request, as JSON lines on stderr

Logs go to stderr; RUST_LOG filters them (default: info). SIGINT (Ctrl-C) or SIGTERM stops
the daemon gracefully with exit code 0.

Durability: a command is answered only once its event is in the write-ahead log (fsynced under
--fsync always, the default). A start replays the log; an incomplete last record (a crash in
the middle of a write) is cut off and reported; damage before that refuses the start, naming
the file and byte offset (`jitosctl verify --data-dir DIR` shows more; `--recover truncate`
keeps the valid prefix and drops the rest). If a write or fsync fails, the daemon stops
accepting writes and exits with status 1: it never answers a command it could not make
durable.";

/// The command line of `jitosd`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "jitosd",
    version,
    about = "The JITOS kernel daemon: serves the JITOS GraphQL API over HTTP and WebSocket.",
    after_help = AFTER_HELP
)]
pub struct Args {
    /// IP address to listen on. The default serves this machine only; 0.0.0.0 (or ::) serves
    /// every network interface.
    #[arg(long, value_name = "IP", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub host: IpAddr,
    /// TCP port to listen on; 0 picks a free port.
    #[arg(long, value_name = "PORT", default_value_t = ServerConfig::PORT_DEFAULT)]
    pub port: u16,
    /// Format of the logs written to stderr.
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Seconds a subscription's WebSocket write may stay blocked (its client reads nothing)
    /// before the server closes the connection.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = ServerConfig::WS_SEND_TIMEOUT_DEFAULT.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub ws_send_timeout: u64,
    /// Directory that holds the history (created if missing; one daemon per directory).
    #[arg(
        long,
        value_name = "DIR",
        default_value = "jitos-data",
        conflicts_with = "in_memory"
    )]
    pub data_dir: PathBuf,
    /// Keep the history in memory only: nothing is read or written on disk, and it ends with the
    /// process.
    #[arg(long)]
    pub in_memory: bool,
    /// When a write is answered: `always` once its record is fsynced (survives a power cut);
    /// `batch` once it is written to the operating system (survives a crash of the daemon; the
    /// fsync follows as soon as the command queue drains).
    #[arg(long, value_name = "POLICY", value_enum, default_value_t = Fsync::Always)]
    pub fsync: Fsync,
    /// What a start does with damage before the end of the log: by default it refuses;
    /// `truncate` keeps the valid prefix and deletes everything after the damage.
    #[arg(long, value_name = "MODE", value_enum)]
    pub recover: Option<RecoverMode>,
    /// Write a checkpoint of the state every N events (in the background), so a start replays
    /// at most about N events; a clean stop writes one more if N/16 events came since the last.
    #[arg(
        long,
        value_name = "N",
        default_value_t = CheckpointPlan::default().every_events,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub checkpoint_every: u64,
}

/// The `--fsync` policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Fsync {
    /// Answer after the fsync.
    Always,
    /// Answer after the write; fsync when the queue drains.
    Batch,
}

/// The `--recover` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RecoverMode {
    /// Keep the valid prefix of a damaged log, dropping the rest.
    Truncate,
}

impl Args {
    /// Where the history is kept, as the flags say.
    pub fn store_config(&self) -> StoreConfig {
        if self.in_memory {
            return StoreConfig::InMemory;
        }
        StoreConfig::Durable {
            data_dir: self.data_dir.clone(),
            fsync: match self.fsync {
                Fsync::Always => FsyncPolicy::Always,
                Fsync::Batch => FsyncPolicy::Batch,
            },
            recover: match self.recover {
                Some(RecoverMode::Truncate) => Recover::Truncate,
                None => Recover::CutTornTail,
            },
            checkpoints: CheckpointPlan {
                every_events: self.checkpoint_every,
                ..CheckpointPlan::default()
            },
        }
    }
}

/// Format of the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The whole program: parses the command line, runs the daemon, and turns the outcome into an
/// exit code (0 after a signal, 1 on error, 2 on a bad command line).
#[must_use]
pub fn main() -> ExitCode {
    let args = Args::parse();
    match run_blocking(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "jitosd failed");
            eprintln!("jitosd: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Sets up logging and a runtime, then [`run`]s the daemon to completion.
///
/// # Errors
/// As [`run`], or logging or the runtime cannot be set up.
pub fn run_blocking(args: &Args) -> anyhow::Result<()> {
    init_tracing(args.log_format)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run(args))
}

/// Installs the global logger: `format` on stderr, filtered by `RUST_LOG` (default `info`).
///
/// # Errors
/// `RUST_LOG` is not a valid filter, or a logger is already installed.
pub fn init_tracing(format: LogFormat) -> anyhow::Result<()> {
    let filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .from_env()
        .context("RUST_LOG is not a valid log filter")?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(io::stderr().is_terminal())
        .with_writer(io::stderr);
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    installed.map_err(|error| anyhow::anyhow!(error).context("installing the logger"))
}

/// Runs the daemon until SIGINT or SIGTERM.
///
/// # Errors
/// The signal handlers cannot be installed, the address cannot be bound, or serving fails.
pub async fn run(args: &Args) -> anyhow::Result<()> {
    let signals = Signals::install().context("installing the signal handlers")?;
    run_until(args, signals.recv()).await
}

/// Binds, prints the listening line, and serves until `stop` completes; then shuts down
/// gracefully within [`SHUTDOWN_GRACE`].
///
/// # Errors
/// The address cannot be bound, or serving fails.
pub async fn run_until(
    args: &Args,
    stop: impl Future<Output = &'static str> + Send,
) -> anyhow::Result<()> {
    let store = Store::open(&args.store_config())?;
    let kernel = store.kernel.clone();
    let config = ServerConfig::new(SocketAddr::new(args.host, args.port))
        .with_ws_send_timeout(Duration::from_secs(args.ws_send_timeout));
    let listener = config
        .bind()
        .await
        .with_context(|| format!("binding {}", config.addr))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    announce(addr);
    tracing::info!(%addr, "listening");

    let resolvers = Arc::new(kernel.clone());
    let (stop_server, server_stopped) = tokio::sync::oneshot::channel::<()>();
    let mut server = tokio::spawn(async move {
        let shutdown = async move {
            // A dropped sender also means stop.
            let _ = server_stopped.await;
        };
        jitos_net::serve(listener, &resolvers, &config, shutdown).await
    });
    let failed = tokio::select! {
        reason = stop => {
            tracing::info!(reason, "shutting down");
            None
        }
        Some(why) = kernel.failure() => {
            tracing::error!(%why, "the kernel stopped on a storage failure; shutting down");
            Some(why)
        }
        ended = &mut server => {
            ended.context("the server task failed")??;
            anyhow::bail!("the server stopped on its own");
        }
    };
    let _ = stop_server.send(());
    match tokio::time::timeout(SHUTDOWN_GRACE, server).await {
        Ok(ended) => ended.context("the server task failed")??,
        Err(_elapsed) => tracing::warn!(
            grace_s = SHUTDOWN_GRACE.as_secs(),
            "requests still in flight after the grace period; exiting anyway"
        ),
    }
    if let Some(why) = failed {
        anyhow::bail!("{why}; the log holds every acknowledged command, restart to recover");
    }
    kernel.stop().await;
    drop(store);
    tracing::info!("stopped");
    Ok(())
}

/// Writes the one line of standard output. A closed stdout is not worth dying for: the daemon
/// serves all the same, and the failure is logged.
fn announce(addr: SocketAddr) {
    let mut stdout = io::stdout().lock();
    let written = writeln!(stdout, "{LISTENING_PREFIX}http://{addr}").and_then(|()| stdout.flush());
    if let Err(error) = written {
        tracing::warn!(%error, "could not write the listening line to stdout");
    }
}

/// The shutdown signals, installed before anything can send one.
struct Signals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn install() -> io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    #[cfg(not(unix))]
    fn install() -> io::Result<Signals> {
        Ok(Signals {})
    }

    /// Waits for the first signal and names it.
    #[cfg(unix)]
    async fn recv(mut self) -> &'static str {
        tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "SIGINT",
        }
    }

    /// Waits for Ctrl-C.
    #[cfg(not(unix))]
    async fn recv(self) -> &'static str {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "Ctrl-C",
            Err(_) => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests;
