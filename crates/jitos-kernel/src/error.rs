//! The kernel's one error type: a code from the contract, the input path it concerns, a message.
//!
//! # Invariants
//! - Every error the kernel returns carries a contract code; `INTERNAL` means a broken invariant.
//! - The message names the input path when there is one, so a user can find the offending field.

use jitos_schema::{ErrorCode, FieldError};

/// Why a command or query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct KernelError {
    /// The contract code.
    pub code: ErrorCode,
    /// The offending input path, if any.
    pub field: Option<String>,
    /// What went wrong (prefixed with the path when there is one).
    pub message: String,
}

impl KernelError {
    /// An error about the input at `field`.
    pub fn new(code: ErrorCode, field: String, message: impl std::fmt::Display) -> KernelError {
        let message = format!("{field}: {message}");
        KernelError {
            code,
            field: Some(field),
            message,
        }
    }

    /// `INVALID_INPUT` at `field`.
    pub fn invalid(field: String, message: impl std::fmt::Display) -> KernelError {
        KernelError::new(ErrorCode::InvalidInput, field, message)
    }

    /// `NOT_FOUND` at `field`.
    pub fn not_found(field: String, message: impl std::fmt::Display) -> KernelError {
        KernelError::new(ErrorCode::NotFound, field, message)
    }

    /// `NOT_IMPLEMENTED` at `field`: a later milestone delivers it.
    pub fn not_implemented(field: String, message: impl std::fmt::Display) -> KernelError {
        KernelError::new(ErrorCode::NotImplemented, field, message)
    }

    /// `CONFLICT` at `field`.
    pub fn conflict(field: String, message: impl std::fmt::Display) -> KernelError {
        KernelError::new(ErrorCode::Conflict, field, message)
    }

    /// `LIMIT_EXCEEDED` at `field`.
    pub fn limit(field: String, message: impl std::fmt::Display) -> KernelError {
        KernelError::new(ErrorCode::LimitExceeded, field, message)
    }

    /// `INTERNAL`: a broken invariant or an unavailable kernel.
    pub fn internal(message: impl Into<String>) -> KernelError {
        KernelError {
            code: ErrorCode::Internal,
            field: None,
            message: message.into(),
        }
    }
}

impl From<KernelError> for FieldError {
    fn from(error: KernelError) -> FieldError {
        FieldError {
            code: error.code,
            field: error.field,
            message: error.message,
        }
    }
}

impl From<jitos_schema::ValidationErrors> for KernelError {
    fn from(errors: jitos_schema::ValidationErrors) -> KernelError {
        let error = FieldError::from(errors);
        KernelError {
            code: error.code,
            field: error.field,
            message: error.message,
        }
    }
}
