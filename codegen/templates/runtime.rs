//! Runtime support for the generated code: `Valid<T>`, input paths, validation and field errors,
//! lazy fields, and the parse helpers the validators call.
//!
//! # Invariants
//! - `Valid<T>` can be built only inside this crate, and this crate builds it only in
//!   `Parse::validate_at`, after a parse that recorded no error.
//! - A validator records every problem it finds, in the order it checks them, before it returns;
//!   the first problem decides the error code of the request.
//! - Parsing never panics, whatever JSON it is given.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A JSON value: the raw form of every input.
pub type Json = serde_json::Value;

/// The error codes of contract §5, carried as `extensions.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorCode {
    /// The input breaks a format or schema rule.
    InvalidInput,
    /// The input names something that does not exist.
    NotFound,
    /// The capability arrives in a later milestone.
    NotImplemented,
    /// The request contradicts the current state.
    Conflict,
    /// The input exceeds a documented limit.
    LimitExceeded,
    /// The caller lacks the capability the request needs.
    Forbidden,
    /// Something unexpected; a bug or a broken invariant.
    Internal,
}

impl ErrorCode {
    /// Every code, in declaration order.
    pub const ALL: [ErrorCode; 7] = [
        ErrorCode::InvalidInput,
        ErrorCode::NotFound,
        ErrorCode::NotImplemented,
        ErrorCode::Conflict,
        ErrorCode::LimitExceeded,
        ErrorCode::Forbidden,
        ErrorCode::Internal,
    ];

    /// The wire form, e.g. `INVALID_INPUT`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "INVALID_INPUT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::NotImplemented => "NOT_IMPLEMENTED",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::LimitExceeded => "LIMIT_EXCEEDED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// The code whose wire form is `text` (e.g. `INVALID_INPUT`), if any.
    #[must_use]
    pub fn from_wire(text: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|code| code.as_str() == text)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value that passed its generated validator. Only the validator can build one.
#[derive(Debug, Clone, PartialEq)]
pub struct Valid<T>(T);

impl<T> Valid<T> {
    pub(crate) fn new(value: T) -> Valid<T> {
        Valid(value)
    }

    /// The validated value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Valid<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Where in the input a problem is, e.g. `rewrite.ops[0].data.kind`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InputPath(String);

impl InputPath {
    /// The empty path: the input itself.
    pub fn root() -> InputPath {
        InputPath(String::new())
    }

    /// The path of field `name` below `self`.
    pub fn field(&self, name: &str) -> InputPath {
        if self.0.is_empty() { InputPath(name.to_owned()) } else { InputPath(format!("{}.{name}", self.0)) }
    }

    /// The path of list item `index` below `self`.
    pub fn index(&self, index: usize) -> InputPath {
        InputPath(format!("{}[{index}]", self.0))
    }

    /// The dotted text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InputPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One problem with an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// The error code it maps to.
    pub code: ErrorCode,
    /// Where it is.
    pub path: InputPath,
    /// What is wrong, lowercase, no trailing dot.
    pub message: String,
}

/// Every problem a validator found, in the order it checked them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors(Vec<ValidationError>);

impl ValidationErrors {
    /// Records a problem.
    pub fn push(&mut self, code: ErrorCode, path: &InputPath, message: impl Into<String>) {
        self.0.push(ValidationError { code, path: path.clone(), message: message.into() });
    }

    /// Whether no problem was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many problems were recorded.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The problems, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, ValidationError> {
        self.0.iter()
    }

    /// The first problem, which decides the error code.
    pub fn first(&self) -> Option<&ValidationError> {
        self.0.first()
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (error_idx, error) in self.0.iter().enumerate() {
            if error_idx > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", error.path, error.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

/// The error a resolver returns; the GraphQL glue turns it into an error with
/// `extensions.code` and `extensions.field`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The error code.
    pub code: ErrorCode,
    /// The offending input path, if the error is about an input.
    pub field: Option<String>,
    /// What went wrong; names the field when there is one.
    pub message: String,
}

impl FieldError {
    /// An error about the input at `field`.
    pub fn new(code: ErrorCode, field: &str, message: impl fmt::Display) -> FieldError {
        FieldError { code, field: Some(field.to_owned()), message: format!("{field}: {message}") }
    }

    /// An error that concerns no input in particular.
    pub fn general(code: ErrorCode, message: impl Into<String>) -> FieldError {
        FieldError { code, field: None, message: message.into() }
    }

    /// The answer of a capability that a later milestone delivers.
    pub fn not_implemented(operation: &str) -> FieldError {
        FieldError::new(ErrorCode::NotImplemented, operation, "not implemented yet")
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for FieldError {}

impl From<ValidationErrors> for FieldError {
    fn from(errors: ValidationErrors) -> FieldError {
        match errors.first() {
            Some(first) => FieldError {
                code: first.code,
                field: Some(first.path.to_string()),
                message: errors.to_string(),
            },
            None => FieldError::general(ErrorCode::Internal, "validation failed without a reason"),
        }
    }
}

/// A boxed future, as resolvers of fields with arguments return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The stream a subscription resolver returns.
pub type EventStream<T> = Pin<Box<dyn futures_core::Stream<Item = Result<T, FieldError>> + Send>>;

/// A field computed only when a query selects it (`@lazy`).
#[derive(Clone)]
pub struct Lazy<T>(LazyInner<T>);

#[derive(Clone)]
enum LazyInner<T> {
    Ready(T),
    Deferred(Arc<dyn Fn() -> Result<T, FieldError> + Send + Sync>),
}

impl<T: Clone> Lazy<T> {
    /// A value already known.
    pub fn ready(value: T) -> Lazy<T> {
        Lazy(LazyInner::Ready(value))
    }

    /// A value computed by `compute` each time a query selects it.
    pub fn deferred(compute: impl Fn() -> Result<T, FieldError> + Send + Sync + 'static) -> Lazy<T> {
        Lazy(LazyInner::Deferred(Arc::new(compute)))
    }

    /// The value, computing it if needed.
    pub fn resolve(&self) -> Result<T, FieldError> {
        match &self.0 {
            LazyInner::Ready(value) => Ok(value.clone()),
            LazyInner::Deferred(compute) => compute(),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Lazy<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            LazyInner::Ready(value) => f.debug_tuple("Lazy::Ready").field(value).finish(),
            LazyInner::Deferred(_) => f.write_str("Lazy::Deferred"),
        }
    }
}

type ResolveFn<A, T> = dyn Fn(Valid<A>) -> BoxFuture<'static, Result<T, FieldError>> + Send + Sync;

/// A field with arguments: resolved on demand from its validated arguments.
pub struct Resolver<A, T>(Arc<ResolveFn<A, T>>);

impl<A, T> Clone for Resolver<A, T> {
    fn clone(&self) -> Self {
        Resolver(Arc::clone(&self.0))
    }
}

impl<A, T> fmt::Debug for Resolver<A, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Resolver")
    }
}

impl<A, T> Resolver<A, T> {
    /// A resolver that runs `resolve` with the field's arguments.
    pub fn new<F, Fut>(resolve: F) -> Resolver<A, T>
    where
        F: Fn(Valid<A>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, FieldError>> + Send + 'static,
    {
        Resolver(Arc::new(move |args| Box::pin(resolve(args))))
    }

    /// Resolves the field.
    pub fn call(&self, args: Valid<A>) -> BoxFuture<'static, Result<T, FieldError>> {
        (self.0)(args)
    }
}

mod sealed {
    pub trait Sealed {}
}

pub(crate) use sealed::Sealed;

/// Input types with a generated validator.
pub trait Parse: Sized + sealed::Sealed {
    /// Parses `raw` at `path`, recording every problem; `None` when any was found here.
    #[doc(hidden)]
    fn parse(raw: &Json, path: &InputPath, errors: &mut ValidationErrors) -> Option<Self>;

    /// Validates `raw` as a whole input.
    fn validate(raw: &Json) -> Result<Valid<Self>, ValidationErrors> {
        Self::validate_at(raw, &InputPath::root())
    }

    /// Validates `raw`, naming problems below `path`.
    fn validate_at(raw: &Json, path: &InputPath) -> Result<Valid<Self>, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        match Self::parse(raw, path, &mut errors) {
            Some(value) if errors.is_empty() => Ok(Valid::new(value)),
            _ => Err(errors),
        }
    }
}

/// Lowercase hex of 32 bytes.
pub fn hex32_to_string(bytes: &[u8; 32]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(64);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// The parse helpers generated validators call. Each records a problem and returns `None`
/// when the value does not fit.
#[doc(hidden)]
pub mod parse {
    use super::{ErrorCode, InputPath, Json, ValidationErrors};

    fn wrong(errors: &mut ValidationErrors, path: &InputPath, expected: &str, raw: &Json) {
        let found = match raw {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "a list",
            Json::Object(_) => "an object",
        };
        errors.push(ErrorCode::InvalidInput, path, format!("expected {expected}, found {found}"));
    }

    /// A required value: null or absent is a problem.
    pub fn required<T>(raw: Option<&Json>, path: &InputPath, errors: &mut ValidationErrors, parse: impl FnOnce(&Json, &InputPath, &mut ValidationErrors) -> Option<T>) -> Option<T> {
        match raw {
            None | Some(Json::Null) => {
                errors.push(ErrorCode::InvalidInput, path, "is required");
                None
            }
            Some(raw) => parse(raw, path, errors),
        }
    }

    /// A nullable value: null or absent is `Some(None)`.
    pub fn nullable<T>(raw: Option<&Json>, path: &InputPath, errors: &mut ValidationErrors, parse: impl FnOnce(&Json, &InputPath, &mut ValidationErrors) -> Option<T>) -> Option<Option<T>> {
        match raw {
            None | Some(Json::Null) => Some(None),
            Some(raw) => parse(raw, path, errors).map(Some),
        }
    }

    /// A list; a single non-list value stands for a list of one (GraphQL input coercion).
    pub fn list<T>(raw: &Json, path: &InputPath, errors: &mut ValidationErrors, mut parse: impl FnMut(Option<&Json>, &InputPath, &mut ValidationErrors) -> Option<T>) -> Option<Vec<T>> {
        let Json::Array(items) = raw else {
            return parse(Some(raw), path, errors).map(|item| vec![item]);
        };
        let mut parsed = Vec::with_capacity(items.len());
        let mut ok = true;
        for (item_idx, item) in items.iter().enumerate() {
            match parse(Some(item), &path.index(item_idx), errors) {
                Some(value) => parsed.push(value),
                None => ok = false,
            }
        }
        ok.then_some(parsed)
    }

    /// The fields of an input object. Unknown fields are recorded as problems, and the map is
    /// still returned so that the known fields get checked too.
    pub fn object<'a>(raw: &'a Json, path: &InputPath, errors: &mut ValidationErrors, known: &[&str]) -> Option<&'a serde_json::Map<String, Json>> {
        let Json::Object(map) = raw else {
            wrong(errors, path, "an object", raw);
            return None;
        };
        for key in map.keys() {
            if !known.contains(&key.as_str()) {
                errors.push(ErrorCode::InvalidInput, &path.field(key), "unknown field");
            }
        }
        Some(map)
    }

    /// GraphQL `Int`: a 32-bit signed integer.
    pub fn int(raw: &Json, path: &InputPath, errors: &mut ValidationErrors) -> Option<i32> {
        match raw.as_i64().map(i32::try_from) {
            Some(Ok(value)) => Some(value),
            _ => {
                wrong(errors, path, "a 32-bit integer", raw);
                None
            }
        }
    }

    /// GraphQL `Float`.
    pub fn float(raw: &Json, path: &InputPath, errors: &mut ValidationErrors) -> Option<f64> {
        match raw.as_f64() {
            Some(value) => Some(value),
            None => {
                wrong(errors, path, "a number", raw);
                None
            }
        }
    }

    /// GraphQL `String`.
    pub fn string(raw: &Json, path: &InputPath, errors: &mut ValidationErrors) -> Option<String> {
        match raw {
            Json::String(text) => Some(text.clone()),
            _ => {
                wrong(errors, path, "a string", raw);
                None
            }
        }
    }

    /// GraphQL `Boolean`.
    pub fn boolean(raw: &Json, path: &InputPath, errors: &mut ValidationErrors) -> Option<bool> {
        match raw {
            Json::Bool(flag) => Some(*flag),
            _ => {
                wrong(errors, path, "a boolean", raw);
                None
            }
        }
    }

    /// GraphQL `ID`: a string, or an integer taken as its decimal form.
    pub fn id(raw: &Json, path: &InputPath, errors: &mut ValidationErrors) -> Option<String> {
        match raw {
            Json::String(text) => Some(text.clone()),
            Json::Number(number) if number.is_i64() || number.is_u64() => Some(number.to_string()),
            _ => {
                wrong(errors, path, "an ID (string or integer)", raw);
                None
            }
        }
    }

    /// 64 lowercase hex characters, no prefix.
    pub fn hex32(raw: &Json, path: &InputPath, errors: &mut ValidationErrors) -> Option<[u8; 32]> {
        let Json::String(text) = raw else {
            wrong(errors, path, "64 lowercase hex characters", raw);
            return None;
        };
        let digit = |byte: u8| match byte {
            b'0'..=b'9' => Some(byte - b'0'),
            b'a'..=b'f' => Some(byte - b'a' + 10),
            _ => None,
        };
        let mut bytes = [0u8; 32];
        let digits = text.as_bytes();
        let fits = digits.len() == 64
            && bytes.iter_mut().zip(digits.chunks_exact(2)).all(|(out, pair)| match (digit(pair[0]), digit(pair[1])) {
                (Some(high), Some(low)) => {
                    *out = high << 4 | low;
                    true
                }
                _ => false,
            });
        if fits {
            Some(bytes)
        } else {
            errors.push(ErrorCode::InvalidInput, path, "expected 64 lowercase hex characters with no prefix");
            None
        }
    }

    /// An unsigned 64-bit integer: a decimal string, or a JSON integer in [0, 2^53-1].
    pub fn u64(raw: &Json, path: &InputPath, errors: &mut ValidationErrors) -> Option<u64> {
        const JSON_SAFE_MAX: u64 = (1 << 53) - 1;
        let parsed = match raw {
            Json::String(text) if text == "0" || (!text.starts_with('0') && text.bytes().all(|b| b.is_ascii_digit())) => text.parse().ok(),
            Json::Number(number) => number.as_u64().filter(|n| *n <= JSON_SAFE_MAX),
            _ => None,
        };
        if parsed.is_none() {
            errors.push(ErrorCode::InvalidInput, path, "expected a decimal u64 string or an integer in [0, 2^53-1]");
        }
        parsed
    }

    /// An unsigned 32-bit integer.
    pub fn u32(raw: &Json, path: &InputPath, errors: &mut ValidationErrors) -> Option<u32> {
        match raw.as_u64().map(u32::try_from) {
            Some(Ok(value)) => Some(value),
            _ => {
                wrong(errors, path, "an integer in [0, 2^32-1]", raw);
                None
            }
        }
    }

    /// Any JSON value.
    pub fn json(raw: &Json, _path: &InputPath, _errors: &mut ValidationErrors) -> Option<Json> {
        Some(raw.clone())
    }

    /// `min`/`max` on an integer.
    pub fn int_range(value: i128, min: Option<i64>, max: Option<i64>, path: &InputPath, errors: &mut ValidationErrors) -> bool {
        if let Some(min) = min
            && value < i128::from(min)
        {
            errors.push(ErrorCode::InvalidInput, path, format!("must be at least {min}"));
            return false;
        }
        if let Some(max) = max
            && value > i128::from(max)
        {
            errors.push(ErrorCode::LimitExceeded, path, format!("must be at most {max}"));
            return false;
        }
        true
    }

    /// `min`/`max` on a float.
    #[expect(clippy::cast_precision_loss, reason = "constraint bounds are small integers, exact in f64")]
    pub fn float_range(value: f64, min: Option<i64>, max: Option<i64>, path: &InputPath, errors: &mut ValidationErrors) -> bool {
        if let Some(min) = min
            && value < min as f64
        {
            errors.push(ErrorCode::InvalidInput, path, format!("must be at least {min}"));
            return false;
        }
        if let Some(max) = max
            && value > max as f64
        {
            errors.push(ErrorCode::LimitExceeded, path, format!("must be at most {max}"));
            return false;
        }
        true
    }

    /// `minLength`/`maxLength`/`pattern` on a string; lengths count Unicode scalar values. Too
    /// long is `LIMIT_EXCEEDED`.
    pub fn text(value: &str, min_length: Option<usize>, max_length: Option<usize>, pattern: Option<(&regex::Regex, &str)>, path: &InputPath, errors: &mut ValidationErrors) -> bool {
        text_with(value, min_length, max_length, pattern, ErrorCode::LimitExceeded, path, errors)
    }

    /// Like [`text`], with the code for a string that is too long.
    pub fn text_with(value: &str, min_length: Option<usize>, max_length: Option<usize>, pattern: Option<(&regex::Regex, &str)>, too_long: ErrorCode, path: &InputPath, errors: &mut ValidationErrors) -> bool {
        let length = value.chars().count();
        if let Some(min_length) = min_length
            && length < min_length
        {
            errors.push(ErrorCode::InvalidInput, path, format!("must be at least {min_length} characters long"));
            return false;
        }
        if let Some(max_length) = max_length
            && length > max_length
        {
            errors.push(too_long, path, format!("must be at most {max_length} characters long"));
            return false;
        }
        if let Some((regex, source)) = pattern
            && !regex.is_match(value)
        {
            errors.push(ErrorCode::InvalidInput, path, format!("must match {source}"));
            return false;
        }
        true
    }

    /// RFC 4648 standard base64 with padding and no whitespace; more than `max_length`
    /// characters or `max_bytes` decoded bytes is `LIMIT_EXCEEDED`.
    pub fn base64(raw: &Json, max_length: Option<usize>, max_bytes: Option<usize>, path: &InputPath, errors: &mut ValidationErrors) -> Option<Vec<u8>> {
        use base64::Engine as _;
        let text = string(raw, path, errors)?;
        // JSON Schema's maxLength counts characters; only a text of more bytes than that can
        // have more characters, so the count is taken only then.
        if let Some(max_length) = max_length
            && text.len() > max_length
            && text.chars().count() > max_length
        {
            errors.push(ErrorCode::LimitExceeded, path, format!("must be at most {max_length} base64 characters"));
            return None;
        }
        match base64::engine::general_purpose::STANDARD.decode(text.as_bytes()) {
            Ok(bytes) if max_bytes.is_some_and(|max_bytes| bytes.len() > max_bytes) => {
                let max_bytes = max_bytes.unwrap_or_default();
                errors.push(ErrorCode::LimitExceeded, path, format!("must decode to at most {max_bytes} bytes"));
                None
            }
            Ok(bytes) => Some(bytes),
            Err(error) => {
                errors.push(ErrorCode::InvalidInput, path, format!("invalid base64 (standard alphabet, padded): {error}"));
                None
            }
        }
    }

    /// An optional op field: absent is `Some(None)`; present (even null) must parse.
    pub fn optional<T>(raw: Option<&Json>, path: &InputPath, errors: &mut ValidationErrors, parse: impl FnOnce(&Json, &InputPath, &mut ValidationErrors) -> Option<T>) -> Option<Option<T>> {
        match raw {
            None => Some(None),
            Some(raw) => parse(raw, path, errors).map(Some),
        }
    }

    /// A JSON Schema integer.
    pub fn integer(raw: &Json, path: &InputPath, errors: &mut ValidationErrors) -> Option<i64> {
        match raw.as_i64() {
            Some(value) => Some(value),
            None => {
                wrong(errors, path, "an integer", raw);
                None
            }
        }
    }

    /// `minItems`/`maxItems` on a list.
    pub fn items(count: usize, min_items: Option<usize>, max_items: Option<usize>, path: &InputPath, errors: &mut ValidationErrors) -> bool {
        if let Some(min_items) = min_items
            && count < min_items
        {
            errors.push(ErrorCode::InvalidInput, path, format!("must have at least {min_items} items"));
            return false;
        }
        if let Some(max_items) = max_items
            && count > max_items
        {
            errors.push(ErrorCode::LimitExceeded, path, format!("must have at most {max_items} items"));
            return false;
        }
        true
    }
}
