//! Integration tests of the kernel, in process: the M1 smoke sequence through the resolver
//! traits, the error rows with their codes and paths, determinism across fresh kernels, and a
//! property test against a simple model.

mod api;
mod model;
mod support;
mod vectors;
