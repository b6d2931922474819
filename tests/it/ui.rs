//! Compile-time guarantees of the generated crate. The compile-fail cases live in their own
//! package, `tests/ui` (jitos-ui-tests), so that trybuild checks only jitos-schema.
//!
//! Compile-pass: `tests/ui/pass/full_resolvers.rs` is compiled into this test binary as a
//! module rather than through `TestCases::pass`. trybuild's pass mode switches every case and
//! every dev-dependency of this crate (the whole daemon included) from `cargo check` to
//! `cargo build` in its own target dir; as a module it costs one more file of this crate.
//!
//! # Invariants
//! - A kernel that implements every resolver trait compiles and is served by the glue.

#[path = "../ui/pass/full_resolvers.rs"]
mod full_resolvers;

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
