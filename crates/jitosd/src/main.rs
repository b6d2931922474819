//! `jitosd`: the JITOS daemon. Everything lives in the library; see `jitosd --help`.
//!
//! # Invariants
//! - This file only hands over to [`jitosd::main`], so tests can reach all the logic.

/// mimalloc instead of the system allocator: a request allocates often and from several
/// threads, and glibc's malloc spent about a fifth of the daemon's CPU under load, much of it
/// contending on its locks (`docs/PERFORMANCE.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    jitosd::main()
}
