//! Compile-time guarantees of the generated crate: trybuild compiles each `fail/*.rs` and
//! requires the error recorded in its `.stderr` file. Refresh those with `TRYBUILD=overwrite`
//! after a deliberate change of rustc or of the generated code, and read the diff.
//!
//! This is a package of its own because trybuild type-checks every dev-dependency of the package
//! that runs it: here that is only jitos-schema, not the daemon and its HTTP stack.
//!
//! # Invariants
//! - A resolver that misses a method, a `Valid<T>` built without its validator, a
//!   non-exhaustive `match` on `NodeKind` and an outside `impl Parse` are compile errors.

#[test]
fn compile_fail_cases() {
    trybuild::TestCases::new().compile_fail("fail/*.rs");
}
