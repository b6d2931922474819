//! The limits of `jitos_core::limits` and the limits the schema states (`@constraint` in the
//! SDL, `maxLength`/`x-jitos-max-bytes` in op schemas) are the same numbers: each is probed at
//! the boundary through the generated validators.

use base64::Engine as _;
use jitos_core::limits;
use jitos_schema::inputs::{PageInput, RewriteInput};
use jitos_schema::ops::Op;
use jitos_schema::{ErrorCode, Json, Parse};
use serde_json::json;

fn first_code<T: Parse>(input: &Json) -> Option<ErrorCode> {
    T::validate(input)
        .err()
        .and_then(|errors| errors.first().map(|e| e.code))
}

fn add_node(kind: &str, payload: &[u8]) -> Json {
    let payload_b64 = base64::engine::general_purpose::STANDARD.encode(payload);
    json!({ "op": "AddNode", "data": { "kind": kind, "payload_b64": payload_b64 } })
}

#[test]
fn page_first_limits_match() {
    let at_max = json!({ "first": limits::PAGE_FIRST_MAX });
    assert_eq!(first_code::<PageInput>(&at_max), None);
    let over = json!({ "first": limits::PAGE_FIRST_MAX + 1 });
    assert_eq!(
        first_code::<PageInput>(&over),
        Some(ErrorCode::LimitExceeded)
    );
    let defaulted = PageInput::validate(&json!({})).expect("an empty page is valid");
    assert_eq!(
        u32::try_from(defaulted.first).ok(),
        Some(limits::PAGE_FIRST_DEFAULT)
    );
}

#[test]
fn kind_length_limit_matches() {
    let at_max = add_node(&"k".repeat(limits::KIND_LEN_MAX), b"");
    assert_eq!(first_code::<Op>(&at_max), None);
    let over = add_node(&"k".repeat(limits::KIND_LEN_MAX + 1), b"");
    assert_eq!(first_code::<Op>(&over), Some(ErrorCode::InvalidInput));
}

#[test]
fn payload_limit_is_on_decoded_bytes() {
    let at_max = vec![7u8; limits::PAYLOAD_BYTES_MAX];
    assert_eq!(first_code::<Op>(&add_node("k", &at_max)), None);
    // One and two bytes more still fit the base64 text bound; the decoded-size bound refuses them.
    for extra in 1..=3 {
        let over = vec![7u8; limits::PAYLOAD_BYTES_MAX + extra];
        assert_eq!(
            first_code::<Op>(&add_node("k", &over)),
            Some(ErrorCode::LimitExceeded),
            "+{extra}"
        );
    }
}

/// The base64 text bound counts characters, as JSON Schema's `maxLength` does: a text of
/// non-ASCII characters that fits it in characters but not in bytes is refused for not being
/// base64 (`INVALID_INPUT`), not for its length.
#[test]
fn payload_text_bound_counts_characters() {
    let max_chars = limits::PAYLOAD_BYTES_MAX.div_ceil(3) * 4;
    let op =
        |text: String| json!({ "op": "AddNode", "data": { "kind": "k", "payload_b64": text } });
    let fits_in_chars = "é".repeat(max_chars / 2 + 1);
    assert!(fits_in_chars.len() > max_chars);
    assert_eq!(
        first_code::<Op>(&op(fits_in_chars)),
        Some(ErrorCode::InvalidInput)
    );
    let too_many_chars = "é".repeat(max_chars + 1);
    assert_eq!(
        first_code::<Op>(&op(too_many_chars)),
        Some(ErrorCode::LimitExceeded)
    );
}

#[test]
fn rewrite_ops_limit_matches() {
    let op = add_node("k", b"p");
    let at_max = json!({ "ops": vec![op.clone(); limits::REWRITE_OPS_MAX] });
    assert_eq!(first_code::<RewriteInput>(&at_max), None);
    let over = json!({ "ops": vec![op; limits::REWRITE_OPS_MAX + 1] });
    assert_eq!(
        first_code::<RewriteInput>(&over),
        Some(ErrorCode::LimitExceeded)
    );
}
