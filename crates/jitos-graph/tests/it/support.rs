//! Shared helpers: hex, vector file loading and the `UPDATE_EXPECT` switch.
//!
//! # Invariants
//! - `save` is the only function that writes, and it is only reached when `update_expect()`.

use std::path::PathBuf;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Whether the run should rewrite expectations instead of asserting them.
pub(crate) fn update_expect() -> bool {
    std::env::var_os("UPDATE_EXPECT").is_some_and(|value| value == "1")
}

fn vector_path(file_name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("vectors")
        .join(file_name)
}

fn pretty<T: Serialize>(cases: &T) -> String {
    let mut text = serde_json::to_string_pretty(cases).expect("vectors serialise");
    text.push('\n');
    text
}

/// Loads `tests/vectors/<file_name>` and checks it is in canonical pretty form.
pub(crate) fn load<T: Serialize + DeserializeOwned>(file_name: &str) -> T {
    let path = vector_path(file_name);
    let text = std::fs::read_to_string(&path).expect("vector file readable");
    let cases: T = serde_json::from_str(&text).expect("vector file is valid JSON");
    if !update_expect() {
        assert!(
            pretty(&cases) == text,
            "{file_name} is not in canonical pretty form; run with UPDATE_EXPECT=1 to reformat"
        );
    }
    cases
}

/// Writes `cases` back to `tests/vectors/<file_name>` (only under `UPDATE_EXPECT=1`).
pub(crate) fn save<T: Serialize>(file_name: &str, cases: &T) {
    assert!(
        update_expect(),
        "vector files are only rewritten under UPDATE_EXPECT=1"
    );
    std::fs::write(vector_path(file_name), pretty(cases)).expect("vector file writable");
}

/// Lowercase hex of `bytes`.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut text, byte| {
            write!(text, "{byte:02x}").expect("writing to a String cannot fail");
            text
        })
}

/// The bytes of lowercase hex `text`; panics on anything else.
pub(crate) fn from_hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex length in {text:?}");
    (0..text.len())
        .step_by(2)
        .map(|idx| u8::from_str_radix(&text[idx..idx + 2], 16).expect("hex digit"))
        .collect()
}
