//! Helpers: validated arguments from JSON, and calls through the generated resolver traits.

use jitos_kernel::Kernel;
use jitos_schema::{ErrorCode, FieldError, Json, Parse, Valid};

/// `raw` validated as `T`; panics with the problems when it does not validate.
#[allow(
    clippy::needless_pass_by_value,
    reason = "callers pass `json!` literals"
)]
pub(crate) fn args<T: Parse>(raw: Json) -> Valid<T> {
    match T::validate(&raw) {
        Ok(valid) => valid,
        Err(errors) => panic!("test arguments do not validate: {errors}"),
    }
}

/// A kernel on the current runtime.
pub(crate) fn kernel() -> Kernel {
    Kernel::start()
}

/// Asserts `result` failed with `code` at `field`, and that the message names the field.
#[track_caller]
pub(crate) fn assert_error<T: std::fmt::Debug>(
    result: Result<T, FieldError>,
    code: ErrorCode,
    field: &str,
) {
    let error = result.expect_err("the request must be refused");
    assert_eq!(error.code, code, "{error}");
    assert_eq!(error.field.as_deref(), Some(field), "{error}");
    assert!(
        error.message.contains(field),
        "message `{}` does not name `{field}`",
        error.message
    );
}
