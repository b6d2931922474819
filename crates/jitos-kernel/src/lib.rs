//! jitos-kernel: the deterministic core. One single-writer command loop owns the state (System,
//! the SWS overlays, the global event log); reads are served from the immutable snapshots it
//! publishes. The kernel implements the resolver traits generated from `schema/`, so the API and
//! the kernel cannot drift apart.
//!
//! # Invariants
//! - History is the system: every accepted state-changing command appends exactly one event;
//!   a refused one appends nothing and changes nothing.
//! - Determinism: the same commands in the same order give byte-identical events, ids and
//!   digests. No wall clock, randomness or unordered iteration reaches an event.
//! - System is never written directly; writes go into SWS overlays, and System changes only by
//!   a committed collapse of one.

mod checkpoints;
mod decode;
mod error;
mod event;
mod history;
mod journal;
mod merge;
mod output;
mod page;
mod persist;
mod receipt;
mod replay;
mod resolvers;
mod rewrite;
mod service;
mod state;
mod subscribe;
#[cfg(test)]
mod test_support;
pub mod verify;
mod view;

pub use checkpoints::{
    Booted, boot_with_checkpoints, checkpoint_name, list_checkpoints, parse_checkpoint_name,
    write_checkpoint,
};
pub use decode::{EventDecodeError, decode_event};
pub use error::KernelError;
pub use event::{
    EVENT_FORMAT_VERSION, Event, EventEncodeError, EventParts, Outcome, Request, json_to_cbor,
    op_to_cbor,
};
pub use history::{CHECKPOINT_OPS, Version, ViewHistory};
pub use journal::{
    BootReport, CheckpointCell, CheckpointNews, CheckpointPlan, Journal, Sink, StorageStatus,
};
pub use merge::{Conflict, ConflictKind, ItemKind, Merge, merge};
pub use output::{KERNEL_VERSION, POLICY_ID, rule_pack_id};
pub use persist::{
    AppendError, BootError, CHECKPOINT_DIR, WAL_DIR, append, boot, changed_view_digest,
};
pub use receipt::{OpCounts, RECEIPT_FORMAT_VERSION, Receipt};
pub use replay::{Replay, ReplayError};
pub use service::{GROUP_COMMIT_MAX, INLINE_OPS_MAX, Kernel, SUBSCRIBER_LAG_MAX};
pub use state::{
    CHECKPOINT_FORMAT_VERSION, Checkpoint, CheckpointError, Command, ResolvedView, State,
    SwsRecord, SwsState, decode_checkpoint,
};
pub use view::{At, ViewKey, ViewSpec};
