//! The few canonical CBOR heads the registry digest needs (RFC 8949 deterministic profile).
//!
//! codegen may not depend on hand-written crates, so it cannot use jitos-core's codec; a test
//! in jitos-core cross-checks the generated digest constants against the full codec.
//!
//! # Invariants
//! - Heads are always the shortest form; lengths are always definite.

fn head(out: &mut Vec<u8>, major: u8, value: u64) {
    let major = major << 5;
    match value {
        0..=23 => out.push(major | u8::try_from(value).unwrap_or(0)),
        24..=0xff => out.extend([major | 24, u8::try_from(value).unwrap_or(0)]),
        0x100..=0xffff => {
            out.push(major | 25);
            out.extend(u16::try_from(value).unwrap_or(0).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(major | 26);
            out.extend(u32::try_from(value).unwrap_or(0).to_be_bytes());
        }
        _ => {
            out.push(major | 27);
            out.extend(value.to_be_bytes());
        }
    }
}

/// An unsigned integer.
pub(crate) fn uint(out: &mut Vec<u8>, value: u64) {
    head(out, 0, value);
}

/// A text string.
pub(crate) fn text(out: &mut Vec<u8>, value: &str) {
    head(out, 3, value.len() as u64);
    out.extend(value.as_bytes());
}

/// The head of an array of `len` items.
pub(crate) fn array_head(out: &mut Vec<u8>, len: usize) {
    head(out, 4, len as u64);
}

/// `null`.
pub(crate) fn null(out: &mut Vec<u8>) {
    out.push(0xf6);
}
