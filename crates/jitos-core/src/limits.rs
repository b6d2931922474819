//! Every limit of the kernel and its API, in one place (contract §5 "Limits are constants").
//!
//! Exceeding a limit at the API is `LIMIT_EXCEEDED`; the mapping lives in jitos-net. The CBOR
//! depth limit is enforced by [`crate::cbor`] itself.
//!
//! # Invariants
//! - The relations between these constants are checked at compile time below: changing one
//!   constant so that another can no longer be honoured fails the build, not a test.
//! - Every limit is a plain constant: nothing here is configurable at run time.

/// Largest `first` a page request may ask for (contract §5).
pub const PAGE_FIRST_MAX: u32 = 1000;

/// `first` used when a page request gives none (SPEC-NET-0001 `PageInput.first = 200`).
pub const PAGE_FIRST_DEFAULT: u32 = 200;

/// Most ops one `applyRewrite` may carry once batches are enabled (contract §5).
pub const REWRITE_OPS_MAX: usize = 1024;

/// Ops per rewrite accepted in milestone M1: exactly one.
pub const REWRITE_OPS_MAX_M1: usize = 1;

/// Largest node or edge payload, in decoded bytes: 1 MiB (contract §5).
pub const PAYLOAD_BYTES_MAX: usize = 1 << 20;

/// Longest node or edge `kind`, in bytes (`^[A-Za-z0-9_.:-]{1,128}$`, contract §2).
pub const KIND_LEN_MAX: usize = 128;

/// Deepest nesting of CBOR arrays and maps accepted or produced (contract §1).
///
/// Depth counts containers: a scalar alone has depth 0, `[]` has depth 1, `[[1]]` depth 2.
/// See `docs/spec/encoding.md`.
pub const CBOR_DEPTH_MAX: usize = 64;

/// Largest HTTP request body the API reads: 2 MiB.
pub const REQUEST_BODY_BYTES_MAX: usize = 2 << 20;

/// Deepest GraphQL query the API executes.
pub const QUERY_DEPTH_MAX: usize = 16;

/// Highest GraphQL query complexity (async-graphql's field count measure) the API executes.
pub const QUERY_COMPLEXITY_MAX: usize = 2000;

/// Most commands waiting for the single-writer loop; a full queue refuses new work.
pub const COMMAND_QUEUE_MAX: usize = 1024;

/// Length of the padded standard base64 text of `n_bytes` bytes (RFC 4648).
#[must_use]
pub const fn base64_len(n_bytes: usize) -> usize {
    n_bytes.div_ceil(3) * 4
}

const _: () = assert!(PAGE_FIRST_DEFAULT >= 1);
const _: () = assert!(PAGE_FIRST_DEFAULT <= PAGE_FIRST_MAX);
const _: () = assert!(
    PAGE_FIRST_MAX <= i32::MAX as u32,
    "GraphQL Int is a signed 32-bit value"
);
const _: () = assert!(REWRITE_OPS_MAX_M1 >= 1);
const _: () = assert!(REWRITE_OPS_MAX_M1 <= REWRITE_OPS_MAX);
const _: () = assert!(KIND_LEN_MAX >= 1);
const _: () = assert!(KIND_LEN_MAX < PAYLOAD_BYTES_MAX);
const _: () = assert!(
    PAYLOAD_BYTES_MAX <= u32::MAX as usize,
    "payload lengths fit a u32 head"
);
const _: () = assert!(base64_len(PAYLOAD_BYTES_MAX) == 1_398_104);
// One maximal AddNode (payload as base64 plus the kind and the JSON around them) fits a body.
const _: () = assert!(
    REQUEST_BODY_BYTES_MAX > base64_len(PAYLOAD_BYTES_MAX) + KIND_LEN_MAX + 4096,
    "a request body must hold the base64 of the largest payload"
);
const _: () = assert!(
    CBOR_DEPTH_MAX >= 2,
    "id preimages and events nest at least two levels"
);
const _: () = assert!(QUERY_DEPTH_MAX >= 4);
const _: () = assert!(QUERY_COMPLEXITY_MAX >= PAGE_FIRST_MAX as usize);
const _: () = assert!(COMMAND_QUEUE_MAX >= 1);
