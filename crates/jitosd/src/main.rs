//! `jitosd`: the JITOS daemon. Everything lives in the library; see `jitosd --help`.
//!
//! # Invariants
//! - This file only hands over to [`jitosd::main`], so tests can reach all the logic.

fn main() -> std::process::ExitCode {
    jitosd::main()
}
