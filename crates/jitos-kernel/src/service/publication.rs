//! [`Publication`]: the snapshot readers take, and when the writer makes a new one.
//!
//! A snapshot shares structure with the writer's state, so every command after a publication
//! copies the paths it changes (the persistent maps and Merkle trees), and dropping the
//! previous snapshot frees the old ones; a writer nobody reads from can change its state in
//! place. So publishing is lazy: a commit publishes only when a reader took a snapshot within
//! the last [`COMMITS_PUBLISHED_AFTER_READ`] commits (a load that reads now and then publishes
//! per batch), when the sink wants the state (a checkpoint is due), or when
//! [`UNPUBLISHED_EVENTS_MAX`] acknowledged events wait. Otherwise the next reader publishes,
//! from the writer's state between two commits (`Kernel::snapshot`).
//!
//! # Invariants
//! - `state` holds the acknowledged events up to some point and nothing else; `n_acked` counts
//!   every acknowledged event, and is counted before the commands are answered.
//! - Between commits the writer's state holds exactly `n_acked` events: only then is it
//!   published ([`Publication::publish`]). When the loop ends on a failure or a panic, the
//!   writer's state may hold a batch never acknowledged, so the acknowledged events are
//!   replayed onto `state` instead ([`Publication::publish_acknowledged`]).
//! - A replaced snapshot is handed back to the caller, to be dropped outside every lock.

use std::sync::Arc;

use imbl::Vector;

use crate::event::Event;
use crate::state::State;

/// The most acknowledged events a commit leaves unpublished: it bounds the replay a failure
/// costs and the copy a reader after a write-only stretch makes.
pub(crate) const UNPUBLISHED_EVENTS_MAX: usize = 4096;

/// Commits that publish after a read: a load that reads now and then keeps its snapshots
/// fresh, so its reads seldom wait for a commit; a writer nobody has read from for this many
/// commits stops publishing.
pub(crate) const COMMITS_PUBLISHED_AFTER_READ: usize = 16;

/// The snapshot readers take, and what the writer acknowledged since it was made.
pub(super) struct Publication {
    /// The last published state.
    state: Arc<State>,
    /// Events acknowledged so far.
    n_acked: usize,
    /// Commits since a reader last took a snapshot, saturating at
    /// [`COMMITS_PUBLISHED_AFTER_READ`].
    commits_since_read: usize,
}

impl Publication {
    /// The publication of `state`, the writer's at the start: nobody has read yet.
    pub(super) fn new(state: &State) -> Publication {
        Publication {
            state: Arc::new(state.clone()),
            n_acked: state.events().len(),
            commits_since_read: COMMITS_PUBLISHED_AFTER_READ,
        }
    }

    /// The last published state, which may lack events acknowledged since.
    pub(super) fn last(&self) -> Arc<State> {
        Arc::clone(&self.state)
    }

    /// Events acknowledged so far.
    pub(super) fn n_acked(&self) -> usize {
        self.n_acked
    }

    /// A reader's snapshot when it holds every acknowledged event; the read counts either way.
    pub(super) fn read(&mut self) -> Option<Arc<State>> {
        self.commits_since_read = 0;
        self.is_current().then(|| self.last())
    }

    /// Whether the last published state holds every acknowledged event.
    fn is_current(&self) -> bool {
        self.state.events().len() == self.n_acked
    }

    /// A commit acknowledged the events of `state`, the writer's (so `n_acked` becomes its
    /// event count); publishes it if wanted (see the module doc), the sink wanting it as
    /// `sink_wants`. Returns the new snapshot and the one it replaced.
    pub(super) fn committed(
        &mut self,
        state: &State,
        sink_wants: bool,
    ) -> Option<(Arc<State>, Arc<State>)> {
        self.n_acked = state.events().len();
        let read_lately = self.commits_since_read < COMMITS_PUBLISHED_AFTER_READ;
        self.commits_since_read = (self.commits_since_read + 1).min(COMMITS_PUBLISHED_AFTER_READ);
        let n_unpublished = self.n_acked - self.state.events().len();
        let wanted = read_lately || sink_wants || n_unpublished >= UNPUBLISHED_EVENTS_MAX;
        wanted.then(|| {
            let replaced = self.publish(state);
            (self.last(), replaced)
        })
    }

    /// Publishes `state`, the writer's between commits, if the last published state lacks
    /// acknowledged events; returns the state it replaces.
    pub(super) fn catch_up(&mut self, state: &State) -> Option<Arc<State>> {
        (!self.is_current()).then(|| self.publish(state))
    }

    /// Publishes `state`, the writer's between commits (every acknowledged event, no other);
    /// returns the state it replaces.
    fn publish(&mut self, state: &State) -> Arc<State> {
        debug_assert_eq!(state.events().len(), self.n_acked);
        std::mem::replace(&mut self.state, Arc::new(state.clone()))
    }

    /// The loop ends on a failure or a panic: publishes the acknowledged events of `events`
    /// (the writer's log, which may hold events of a batch never acknowledged) by replaying them
    /// onto the last snapshot. Never publishes an event that was not acknowledged.
    ///
    /// # Errors
    /// The replay failed (a broken invariant); the last snapshot stays.
    pub(super) fn publish_acknowledged(
        &mut self,
        events: &Vector<Arc<Event>>,
    ) -> Result<(), String> {
        let from = self.state.events().len();
        if from >= self.n_acked {
            return Ok(());
        }
        let mut state = (*self.state).clone();
        events
            .clone()
            .slice(from..self.n_acked)
            .iter()
            .try_for_each(|event| state.replay_one(event))
            .map_err(|error| format!("the acknowledged events could not be published: {error}"))?;
        self.state = Arc::new(state);
        Ok(())
    }
}
