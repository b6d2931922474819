//! Case conversion: every input shape, keywords escaped.

use super::*;

#[test]
fn snake_case_handles_every_input_shape() {
    let cases = [
        ("kernelInfo", "kernel_info"),
        ("KernelInfo", "kernel_info"),
        ("SWS_CREATE", "sws_create"),
        ("payload_b64", "payload_b64"),
        ("payloadB64", "payload_b64"),
        ("HTTPServer", "http_server"),
        ("swsId", "sws_id"),
        ("id", "id"),
        ("__typename", "typename"),
        ("a", "a"),
        ("ABC", "abc"),
        ("v2Thing", "v2_thing"),
    ];
    for (input, expected) in cases {
        assert_eq!(snake_case(input), expected, "{input}");
    }
}

#[test]
fn pascal_case_handles_every_input_shape() {
    let cases = [
        ("SWS_CREATE", "SwsCreate"),
        ("SYSTEM", "System"),
        ("kernelInfo", "KernelInfo"),
        ("ViewRefInput", "ViewRefInput"),
        ("Rust_2024", "Rust2024"),
        ("9lives", "N9lives"),
    ];
    for (input, expected) in cases {
        assert_eq!(pascal_case(input), expected, "{input}");
    }
}

#[test]
fn keywords_are_escaped() {
    assert_eq!(field_ident("type").to_string(), "r#type");
    assert_eq!(field_ident("self").to_string(), "self_");
    assert_eq!(type_ident("Self").to_string(), "Self_");
    assert_eq!(field_ident("kind").to_string(), "kind");
}
