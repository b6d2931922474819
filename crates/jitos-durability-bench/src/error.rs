//! Why a benchmark run failed.
//!
//! # Invariants
//! - A run that returns an error measured nothing that could be mistaken for a result: every
//!   commit error of any system ends the whole run.

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// The options make no sense.
    #[error("bad options: {0}")]
    Options(String),
    /// The file system refused.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The kernel refused a command or stopped.
    #[error("jitos: {0}")]
    Kernel(#[from] jitos_kernel::KernelError),
    /// The kernel's log could not be opened.
    #[error("jitos boot: {0}")]
    Boot(#[from] jitos_kernel::BootError),
    /// The kernel's loop failed (fail-stop).
    #[error("jitos kernel failed: {0}")]
    KernelFailed(String),
    /// The representative event could not be encoded.
    #[error("jitos event: {0}")]
    Encode(#[from] jitos_kernel::EventEncodeError),
    /// SQLite failed.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// SQLite is not configured as the benchmark requires.
    #[error("sqlite: {0}")]
    SqliteSetup(String),
    /// redb failed.
    #[error("redb: {0}")]
    Redb(#[from] redb::Error),
    /// A client thread panicked.
    #[error("a client panicked")]
    ClientPanicked,
}

impl BenchError {
    /// A redb error of any of its per-operation kinds.
    pub(crate) fn redb(error: impl Into<redb::Error>) -> BenchError {
        BenchError::Redb(error.into())
    }
}
