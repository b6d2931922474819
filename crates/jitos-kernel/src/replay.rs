//! Rebuilding the state from its log: history is the system, so the events alone must give back
//! every view, digest, SWS and receipt (contract §4, §9). Boot from a write-ahead log (M4) and
//! offline verification both come down to this.
//!
//! Each event is turned back into the command that made it ([`Command::from_event`]) and applied
//! to the state rebuilt so far; the event that makes must equal the recorded one in every field,
//! its id included ([`State::replay_one`]). So a replay checks the whole log, not just its last
//! digest.
//!
//! A [`Replay`] does the same faster for runs of rewrites into one SWS (how logs mostly look):
//! within a run the SWS's graph changes without its Merkle trees, which are grown back once,
//! when the run ends, from the graph before it (`Graph::with_trees_from`); each version in
//! between takes the digest its event recorded, and the event is appended as recorded instead
//! of being made again. The ops are still checked one by one against the graph, so a refusal
//! is reported at its event, and the digest the trees give at the end of the run must be the
//! one the run's last event recorded. When it is not, the run is replayed again event by event
//! to name the first event whose digest differs. What a run does not check is each
//! intermediate digest: those are served as recorded, the way a version read from a
//! checkpoint kept without trees is (`jitosctl verify` recomputes every one). Two things make a
//! run cheaper still: the nodes of events that only add nodes (which nothing can refuse) wait
//! and go into the maps together when an event needs them or the run ends
//! ([`Graph::add_nodes`](jitos_graph::Graph::add_nodes)), and the run's history checkpoints are
//! deferred until a read needs one (`history.rs`).
//!
//! # Invariants
//! - `replay` of a state's own log gives a state whose log is equal, event for event, and whose
//!   views have the same digests, versions, checkpoints and counters as the state that wrote
//!   it; a log that the kernel could not have written is refused at the first event that
//!   differs, with its idx. The one difference a replay lets through is a digest recorded
//!   inside a run whose ops and last digest agree: it is served as recorded.
//! - A replay appends in idx order, from 0, with no gap.
//! - A bare run covers consecutive events into one SWS only: any other event ends it first, so
//!   every other view, and every view an event reads, has its trees.

use std::sync::Arc;

use jitos_core::Hash;
use jitos_graph::Graph;
use jitos_schema::enums::EventKind;

use crate::error::KernelError;
use crate::event::{Event, EventParts};
use crate::history::ViewHistory;
use crate::rewrite;
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
        let meta = event.meta.as_deref().cloned();
        let idempotency_key = event.idempotency_key.as_deref().map(str::to_owned);
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
                reason: event.reason.as_deref().map(str::to_owned),
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
    /// its command makes again (a [`Replay`]).
    ///
    /// # Errors
    /// The first event that is out of order, of an unknown kind, refused, or different.
    pub fn replay(events: impl IntoIterator<Item = Arc<Event>>) -> Result<State, ReplayError> {
        let mut replay = Replay::new(State::new());
        for event in events {
            replay.push(event)?;
        }
        replay.finish()
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

/// A replay in progress: the next events of a log go in one by one ([`Replay::push`]), the
/// state comes out at the end ([`Replay::finish`]).
#[derive(Debug)]
pub struct Replay {
    state: State,
    run: Option<Run>,
}

/// A bare run in progress.
#[derive(Debug)]
struct Run {
    /// The SWS its events write.
    view: ViewKey,
    /// The SWS's graph, with its trees, before the run.
    base: Graph,
    /// The idx of the run's first event.
    first_idx: u64,
}

impl Replay {
    /// A replay continuing `state` (empty, or restored from a checkpoint).
    pub fn new(state: State) -> Replay {
        Replay { state, run: None }
    }

    /// Replays `event`, the next event of the log.
    ///
    /// # Errors
    /// As [`State::replay`]; the replay is then to be discarded.
    pub fn push(&mut self, event: Arc<Event>) -> Result<(), ReplayError> {
        let position = self.state.events().len() as u64;
        if event.idx != position {
            return Err(ReplayError::OutOfOrder {
                position,
                idx: event.idx,
            });
        }
        if !self.state.replays_bare(&event) {
            self.end_run()?;
            return self.state.replay_one(&event);
        }
        if self.run.as_ref().is_some_and(|run| run.view != event.view) {
            self.end_run()?;
        }
        if self.run.is_none() {
            let base = self.history(event.view, event.idx)?.begin_bare();
            self.run = Some(Run {
                view: event.view,
                base,
                first_idx: event.idx,
            });
        }
        let idx = event.idx;
        self.state
            .replay_bare(event)
            .map_err(|error| ReplayError::Refused { idx, error })
    }

    /// The state the events replayed so far make.
    ///
    /// # Errors
    /// The last run's events do not give the digests they recorded.
    pub fn finish(mut self) -> Result<State, ReplayError> {
        self.end_run()?;
        Ok(self.state)
    }

    /// Ends the bare run, if one is in progress: the SWS's graph gets its trees back, and its
    /// digest must be the one the run's last event recorded.
    fn end_run(&mut self) -> Result<(), ReplayError> {
        let Some(Run {
            view,
            base,
            first_idx,
        }) = self.run.take()
        else {
            return Ok(());
        };
        let last_idx = self.state.events().len() as u64 - 1;
        let history = self.history(view, last_idx)?;
        history.live_bare().map_err(|error| ReplayError::Refused {
            idx: last_idx,
            error,
        })?;
        let Err(found) = history.end_bare(&base) else {
            return Ok(());
        };
        // Name the first event of the run whose recorded digest is not the one its ops give.
        let mut graph = base;
        for event in self.state.events().iter().skip(to_position(first_idx)) {
            let idx = event.idx;
            graph = rewrite::apply(&graph, &event.ops)
                .map_err(|error| ReplayError::Refused { idx, error })?;
            if graph.digest() != event.view_digest {
                return Err(diverged(event, graph.digest()));
            }
        }
        // Unreachable while the trees grown at the end give the digest of the ops' graph.
        let last = self.state.events().back().expect("a run has an event");
        Err(diverged(last, found))
    }

    fn history(&mut self, view: ViewKey, idx: u64) -> Result<&mut ViewHistory, ReplayError> {
        self.state
            .history_of(view)
            .map_err(|error| ReplayError::Refused { idx, error })
    }
}

/// `Diverged` for `event`, recorded with another digest than `found`, the one its ops give:
/// with the id the event would have had.
fn diverged(event: &Event, found: Hash) -> ReplayError {
    let parts = EventParts {
        kind: event.kind,
        view: event.view,
        ops: event.ops.clone(),
        meta: event.meta.as_deref().cloned(),
        reason: event.reason.as_deref().map(str::to_owned),
        idempotency_key: event.idempotency_key.as_deref().map(str::to_owned),
        outcome: event.outcome.as_deref().cloned(),
    };
    ReplayError::Diverged {
        idx: event.idx,
        expected: event.id,
        found: Event::new(event.idx, parts, found).map_or(found, |made| made.id),
    }
}

fn to_position(idx: u64) -> usize {
    usize::try_from(idx).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests;
