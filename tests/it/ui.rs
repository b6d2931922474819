//! Compile-time guarantees of the generated crate.
//!
//! Compile-fail: trybuild compiles each `tests/ui/*.rs` and requires the error recorded in its
//! `.stderr` file. Refresh those with `TRYBUILD=overwrite` after a deliberate change of rustc or
//! of the generated code, and read the diff. trybuild normalises paths (`$WORKSPACE`, `$DIR`)
//! and blanks line numbers outside the case file, so the snapshots do not move when generated
//! files are edited elsewhere.
//!
//! Compile-pass: `tests/ui/pass/full_resolvers.rs` is compiled into this test binary as a
//! module rather than through `TestCases::pass`. trybuild's pass mode switches every case and
//! every dev-dependency of this crate (the whole daemon included) from `cargo check` to
//! `cargo build` in its own target dir; as a module it costs one more file of this crate.
//!
//! # Invariants
//! - A resolver that misses a method, a `Valid<T>` built without its validator, a
//!   non-exhaustive `match` on `NodeKind` and an outside `impl Parse` are compile errors.
//! - A kernel that implements every resolver trait compiles and is served by the glue.
//! - trybuild builds the cases in its own target dir, `$CARGO_TARGET_DIR/tests/trybuild`.

#[path = "../ui/pass/full_resolvers.rs"]
mod full_resolvers;

#[test]
fn compile_fail_cases() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}

#[test]
fn full_resolver_compiles_and_is_served() {
    let schema = full_resolvers::schema();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime starts");
    let response = runtime.block_on(schema.execute("{ kernelInfo { version commitStatus } }"));
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().expect("the data is JSON");
    assert_eq!(
        data,
        serde_json::json!({"kernelInfo": {"version": "0.0.0", "commitStatus": "COMMITTED"}})
    );
}
