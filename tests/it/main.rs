//! placeholder

mod ops_jsonschema;
mod parity;
mod ui;
