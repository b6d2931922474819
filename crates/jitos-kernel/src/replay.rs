//! Rebuilding the state from its log: history is the system, so the events alone must give back
//! every view, digest, SWS and receipt (contract §4, §9). Boot from a write-ahead log (M4) and
//! offline verification both come down to this.
//!
//! Each event is turned back into the command that made it ([`Command::from_event`]) and applied
//! to the state rebuilt so far; the event that makes must equal the recorded one in every field,
//! its id included. So a replay checks the whole log, not just its last digest.
//!
//! # Invariants
//! - `replay` of a state's own log gives a state whose log is equal, event for event, and whose
//!   views have the same digests; a log that the kernel could not have written is refused at the
//!   first event that differs, with its idx.
//! - A replay appends in idx order, from 0, with no gap.

use jitos_core::Hash;
use jitos_schema::enums::EventKind;

use crate::error::KernelError;
use crate::event::Event;
use crate::state::{Command, State};
use crate::view::ViewKey;

/// Why a log could not be replayed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The events are not numbered 0, 1, 2, ... in order.
    #[error("event at position {position} has idx {idx}")]
    OutOfOrder {
        /// Where in the log it came.
        position: u64,
        /// The idx it carries.
        idx: u64,
    },
    /// An event of a kind no command makes (yet).
    #[error("event {idx}: no command makes a {kind} event")]
    UnknownKind {
        /// The event's idx.
        idx: u64,
        /// Its kind.
        kind: &'static str,
    },
    /// The command behind an event was refused when applied again.
    #[error("event {idx} does not apply again: {error}")]
    Refused {
        /// The event's idx.
        idx: u64,
        /// The kernel's answer.
        error: KernelError,
    },
    /// Applying the command again made a different event.
    #[error("event {idx} diverges: recorded id {expected}, replay made {found}")]
    Diverged {
        /// The event's idx.
        idx: u64,
        /// The recorded event's id.
        expected: Hash,
        /// The id of the event the replay made.
        found: Hash,
    },
}

impl Command {
    /// The command that made `event`, with everything the caller chose (meta, reason,
    /// idempotency key); `None` for a kind no command makes.
    pub fn from_event(event: &Event) -> Option<Command> {
        let meta = event.meta.clone();
        let idempotency_key = event.idempotency_key.clone();
        let sws_id = match event.view {
            ViewKey::Sws(id) => Some(id),
            ViewKey::System => None,
        };
        Some(match event.kind {
            EventKind::SwsCreate => Command::CreateSws {
                meta,
                idempotency_key,
            },
            EventKind::RewriteApplied => Command::ApplyRewrite {
                view: event.view,
                ops: event.ops.clone(),
                meta,
                idempotency_key,
            },
            EventKind::Discard => Command::DiscardSws {
                id: sws_id?,
                reason: event.reason.clone(),
                meta,
                idempotency_key,
            },
            EventKind::Collapse => Command::CollapseSws {
                id: sws_id?,
                meta,
                idempotency_key,
            },
            EventKind::Rebase => Command::RebaseSws {
                id: sws_id?,
                meta,
                idempotency_key,
            },
            EventKind::Tick
            | EventKind::TaskState
            | EventKind::WorkerInvocation
            | EventKind::WorkerResult => return None,
        })
    }
}

impl State {
    /// The state `events` (a whole log, from idx 0) make, each event checked against the one
    /// its command makes again.
    ///
    /// # Errors
    /// The first event that is out of order, of an unknown kind, refused, or different.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Result<State, ReplayError> {
        let mut state = State::new();
        for event in events {
            state.replay_one(event)?;
        }
        Ok(state)
    }

    /// Applies the command behind `event`, the next event of the log, and checks it made
    /// `event` exactly: the step of a streaming replay (a WAL read record by record).
    ///
    /// # Errors
    /// As [`State::replay`]. After `Diverged` the state holds the event the replay made, not
    /// the recorded one: a replay that fails is to be discarded, never served.
    pub fn replay_one(&mut self, event: &Event) -> Result<(), ReplayError> {
        let position = self.events().len() as u64;
        if event.idx != position {
            return Err(ReplayError::OutOfOrder {
                position,
                idx: event.idx,
            });
        }
        let command = Command::from_event(event).ok_or(ReplayError::UnknownKind {
            idx: event.idx,
            kind: event.kind.as_str(),
        })?;
        let made = self.apply(command).map_err(|error| ReplayError::Refused {
            idx: event.idx,
            error,
        })?;
        // A retry answers with an earlier event instead of appending: a log never holds one.
        if made.idx != event.idx || *made != *event {
            return Err(ReplayError::Diverged {
                idx: event.idx,
                expected: event.id,
                found: made.id,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
