//! The float rule of contract §1: which form a given `f64` takes on the wire.
//!
//! Encoder and decoder both ask [`float_form`], so the bytes the encoder writes for a float are
//! exactly the float bytes the decoder accepts.
//!
//! # Invariants
//! - Every `f64` has exactly one form: an integer when it is finite, integral and in
//!   [-2^64, 2^64-1] (`-0.0` included, as `0`), otherwise float64 bits, with every NaN mapped to
//!   [`CANONICAL_NAN_BITS`].
//! - Subnormals are not integral, so they stay float64, bit for bit: the contract
//!   writes "any other float as float64" and no flushing happens (`docs/spec/encoding.md`).

/// The only NaN on the wire: `fb 7ff8000000000000` (quiet NaN, positive, zero payload).
pub const CANONICAL_NAN_BITS: u64 = 0x7ff8_0000_0000_0000;

/// 2^64 as an `f64` (exact). The largest integral float below it is 2^64 - 2048.
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

/// How a float is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FloatForm {
    /// Major type 0 with this argument.
    Unsigned(u64),
    /// Major type 1 with this argument (the value is `-1 - n`).
    Negative(u64),
    /// `fb` followed by these bits, big-endian.
    Float64(u64),
}

/// The wire form of `value`.
pub(crate) fn float_form(value: f64) -> FloatForm {
    if value.is_nan() {
        return FloatForm::Float64(CANONICAL_NAN_BITS);
    }
    integral_form(value).unwrap_or(FloatForm::Float64(value.to_bits()))
}

/// The integer form of `value`, when the integer rule covers it.
fn integral_form(value: f64) -> Option<FloatForm> {
    // NaN fails `trunc() == value`; the infinities fail the range check.
    let covered = value.trunc() == value && (-TWO_POW_64..TWO_POW_64).contains(&value);
    if !covered {
        return None;
    }
    let integer = integral_to_i128(value);
    if integer >= 0 {
        u64::try_from(integer).ok().map(FloatForm::Unsigned)
    } else {
        u64::try_from(-1 - integer).ok().map(FloatForm::Negative)
    }
}

/// `value` as an `i128`; exact because the caller checked it is integral and |value| <= 2^64.
#[expect(
    clippy::cast_possible_truncation,
    reason = "value is integral and within [-2^64, 2^64): the cast is exact"
)]
fn integral_to_i128(value: f64) -> i128 {
    value as i128
}
