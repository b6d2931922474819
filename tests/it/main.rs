//! The workspace-level test binary: end to end against the real daemon (M1, M2, and M3's
//! collapse, conflicts and rebase over HTTP), the served schema's parity with the SDL, the
//! generated validators (golden vectors, limits, JSON Schema agreement) and the compile-pass
//! case of the resolver traits.

mod daemon;
mod e2e_jitosctl;
mod e2e_kernel;
mod e2e_m2;
mod e2e_m3;
mod e2e_m4;
mod e2e_serving;
mod input_vectors;
mod limits;
mod load_tool;
mod ops_jsonschema;
mod parity;
mod ui;
