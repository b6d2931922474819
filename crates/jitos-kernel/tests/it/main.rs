//! Integration tests of the kernel, in process: the M1 smoke sequence through the resolver
//! traits, the error rows with their codes and paths, determinism across fresh kernels, and a
//! property test against a simple model; snapshots, time travel and paging against a model;
//! collapse, rebase and their conflicts against a reference model; the golden WAL fixture
//! (`wal_golden`: replay to its recorded digests, cuts at every offset, bit flips).

mod api;
mod collapse;
mod history;
mod idempotency;
mod model;
mod support;
mod vectors;
mod wal_golden;
