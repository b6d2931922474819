//! placeholder

mod daemon;
mod e2e_placeholder;
mod ops_jsonschema;
mod parity;
mod ui;
