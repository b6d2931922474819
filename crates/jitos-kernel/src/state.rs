//! The kernel state and the one function that changes it, `State::apply`.
//!
//! The state is made of persistent structures (`Graph`, `imbl` maps and vectors), so a clone is
//! O(1) and shares everything: the command loop publishes a clone after every batch of
//! commands, and reads are served from those immutable snapshots. Each view keeps its whole
//! history ([`ViewHistory`]), so any snapshot or past moment can be read again. (One part is
//! shared and only added to rather than persistent: a history's digest → first version table,
//! which each snapshot reads only for the versions it has.)
//!
//! # Invariants
//! - `apply` either appends exactly one event and changes the state accordingly, or returns an
//!   error and leaves the state exactly as it was (a rewrite is atomic: all ops or none). The
//!   one exception is a retry: a command whose idempotency key and request match an earlier
//!   event returns that event and changes nothing.
//! - Event `idx` values are 0, 1, 2, ... with no gap; SWS ids are 0, 1, 2, ... in command order.
//! - System changes only at a committed COLLAPSE (`collapse_sws`); every other write targets an
//!   ACTIVE SWS.
//! - An SWS's graph is its base (System when it was created or last rebased) plus its overlay;
//!   its digest is the digest of that merged view. The base is a checkpoint of System's history,
//!   so a merge reads it in O(1).

use std::sync::Arc;

use imbl::{OrdMap, Vector};
use jitos_core::Hash;
use jitos_graph::Graph;
use jitos_schema::Json;
use jitos_schema::enums::EventKind;
use jitos_schema::ops::Op;

use crate::error::KernelError;
use crate::event::{Event, EventEncodeError, EventParts, Outcome, Request, check_meta};
use crate::history::ViewHistory;
use crate::merge::{self, Merge};
use crate::rewrite;
use crate::view::{At, ViewKey, ViewSpec};

mod checkpoint;

pub use checkpoint::{CHECKPOINT_FORMAT_VERSION, Checkpoint, CheckpointError, decode_checkpoint};

/// The lifecycle of an SWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwsState {
    /// Accepts writes.
    Active,
    /// Merged into System (M3).
    Collapsed,
    /// Abandoned; still readable.
    Discarded,
}

impl SwsState {
    /// The API form: `ACTIVE`, `COLLAPSED` or `DISCARDED`.
    pub fn as_str(self) -> &'static str {
        match self {
            SwsState::Active => "ACTIVE",
            SwsState::Collapsed => "COLLAPSED",
            SwsState::Discarded => "DISCARDED",
        }
    }
}

/// One shadow working set.
#[derive(Debug, Clone)]
pub struct SwsRecord {
    /// Its id.
    pub id: u64,
    /// System's digest at the SWS's base (when it was created or last rebased).
    pub base_digest: Hash,
    /// The version of System's history at the base.
    pub base_version: usize,
    /// The idx of its SWS_CREATE event.
    pub created_by: u64,
    /// Its lifecycle state.
    pub state: SwsState,
    /// The caller's meta at creation.
    pub meta: Option<Json>,
}

/// A command for the single-writer loop. Inputs are already validated and typed.
///
/// Every command may carry an idempotency key: a second command with the same key and the same
/// request returns the first one's event and appends nothing; a different request is CONFLICT.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Create an SWS over the current System.
    CreateSws {
        /// Caller meta.
        meta: Option<Json>,
        /// Makes a retry safe.
        idempotency_key: Option<String>,
    },
    /// Discard an SWS.
    DiscardSws {
        /// Which.
        id: u64,
        /// Why.
        reason: Option<String>,
        /// Caller meta.
        meta: Option<Json>,
        /// Makes a retry safe.
        idempotency_key: Option<String>,
    },
    /// Merge an SWS into System (`docs/spec/collapse.md`).
    CollapseSws {
        /// Which.
        id: u64,
        /// Caller meta.
        meta: Option<Json>,
        /// Makes a retry safe.
        idempotency_key: Option<String>,
    },
    /// Move an SWS onto current System, replaying its overlay.
    RebaseSws {
        /// Which.
        id: u64,
        /// Caller meta.
        meta: Option<Json>,
        /// Makes a retry safe.
        idempotency_key: Option<String>,
    },
    /// Apply ops to a view, atomically.
    ApplyRewrite {
        /// Which view.
        view: ViewKey,
        /// The ops, validated.
        ops: Vec<Op>,
        /// Caller meta.
        meta: Option<Json>,
        /// Makes a retry safe.
        idempotency_key: Option<String>,
    },
}

impl Command {
    /// What the caller asked for, as its event records it: `event.request()` of the event a
    /// command makes equals `command.request()`, so idempotency keys can be rebuilt from the log.
    pub fn request(&self) -> Request<'_> {
        match self {
            Command::CreateSws { meta, .. } => Request {
                kind: EventKind::SwsCreate,
                view: None,
                ops: &[],
                meta: meta.as_ref(),
                reason: None,
            },
            Command::DiscardSws {
                id, reason, meta, ..
            } => Request {
                kind: EventKind::Discard,
                view: Some(ViewKey::Sws(*id)),
                ops: &[],
                meta: meta.as_ref(),
                reason: reason.as_deref(),
            },
            Command::CollapseSws { id, meta, .. } | Command::RebaseSws { id, meta, .. } => {
                let kind = match self {
                    Command::CollapseSws { .. } => EventKind::Collapse,
                    _ => EventKind::Rebase,
                };
                Request {
                    kind,
                    view: Some(ViewKey::Sws(*id)),
                    ops: &[],
                    meta: meta.as_ref(),
                    reason: None,
                }
            }
            Command::ApplyRewrite {
                view, ops, meta, ..
            } => Request {
                kind: EventKind::RewriteApplied,
                view: Some(*view),
                ops,
                meta: meta.as_ref(),
                reason: None,
            },
        }
    }

    fn idempotency_key(&self) -> Option<&str> {
        match self {
            Command::CreateSws {
                idempotency_key, ..
            }
            | Command::DiscardSws {
                idempotency_key, ..
            }
            | Command::CollapseSws {
                idempotency_key, ..
            }
            | Command::RebaseSws {
                idempotency_key, ..
            }
            | Command::ApplyRewrite {
                idempotency_key, ..
            } => idempotency_key.as_deref(),
        }
    }

    /// The input argument that holds the command's meta and key.
    fn input_path(&self) -> &'static str {
        match self {
            Command::CreateSws { .. }
            | Command::DiscardSws { .. }
            | Command::CollapseSws { .. }
            | Command::RebaseSws { .. } => "input",
            Command::ApplyRewrite { .. } => "rewrite",
        }
    }
}

/// A view resolved against the state: which version of which graph a read sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedView {
    /// The view.
    pub key: ViewKey,
    /// The version read, an index into the view's history.
    pub version: usize,
    /// Its digest, which is also its snapshot id.
    pub digest: Hash,
    /// Whether the request pinned a moment (`snapshotId` or `asOf`) rather than reading live.
    pub pinned: bool,
    /// Events with an idx below this are visible; `None` when live (all of them).
    pub events_before: Option<u64>,
}

/// Everything the kernel knows: the views with their histories, the SWSs and the log.
#[derive(Debug, Clone)]
pub struct State {
    views: OrdMap<ViewKey, ViewHistory>,
    sws: OrdMap<u64, Arc<SwsRecord>>,
    events: Vector<Arc<Event>>,
    /// Idempotency key → the request digest and the idx of the event it produced.
    idempotency: OrdMap<String, (Hash, u64)>,
    /// Whether the last collapse committed; `None` before the first.
    last_collapse_committed: Option<bool>,
}

impl Default for State {
    fn default() -> State {
        State::new()
    }
}

impl State {
    /// The empty kernel: empty System, no SWS, empty log.
    pub fn new() -> State {
        State {
            views: OrdMap::unit(ViewKey::System, ViewHistory::new(Graph::new(), None)),
            sws: OrdMap::new(),
            events: Vector::new(),
            idempotency: OrdMap::new(),
            last_collapse_committed: None,
        }
    }

    /// Whether the last collapse committed; `None` before the first.
    pub fn last_collapse_committed(&self) -> Option<bool> {
        self.last_collapse_committed
    }

    /// The System graph.
    pub fn system(&self) -> &Graph {
        self.views
            .get(&ViewKey::System)
            .map(ViewHistory::live)
            .expect("System's history exists from the start")
    }

    /// The SWS with id `id`, if it was ever created.
    pub fn sws(&self, id: u64) -> Option<&Arc<SwsRecord>> {
        self.sws.get(&id)
    }

    /// Every SWS, in id order.
    pub fn all_sws(&self) -> impl DoubleEndedIterator<Item = &Arc<SwsRecord>> + '_ {
        self.sws.values()
    }

    /// The SWSs with an id above `after` (all for `None`), in id order.
    pub fn sws_after(&self, after: Option<u64>) -> impl Iterator<Item = &Arc<SwsRecord>> + '_ {
        let start = after.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
        self.sws
            .range((start, std::ops::Bound::Unbounded))
            .map(|(_, record)| record)
    }

    /// The log.
    pub fn events(&self) -> &Vector<Arc<Event>> {
        &self.events
    }

    /// The number of history checkpoints a replay deferred and no reader has made yet.
    pub fn n_deferred_checkpoints(&self) -> usize {
        self.views.values().map(ViewHistory::n_deferred).sum()
    }

    /// Makes every history checkpoint a replay deferred, for this state and every clone of
    /// it (they share them): until then, the first read of an old version inside a replayed
    /// run makes that run's checkpoints, and waits for them.
    ///
    /// # Errors
    /// `INTERNAL` when the log does not reproduce a checkpoint (a kernel bug).
    pub fn make_deferred_checkpoints(&self) -> Result<(), KernelError> {
        for history in self.views.values() {
            history.make_deferred(&self.events)?;
        }
        Ok(())
    }

    /// The history of `view`, if the view exists.
    pub fn history(&self, view: ViewKey) -> Option<&ViewHistory> {
        self.views.get(&view)
    }

    /// The history of `view`, to change it directly in unit tests.
    #[cfg(test)]
    pub(crate) fn history_mut(&mut self, view: ViewKey) -> Option<&mut ViewHistory> {
        self.views.get_mut(&view)
    }

    /// The live graph of `view`; `path` names the view input in errors.
    ///
    /// # Errors
    /// `NOT_FOUND` for an SWS that was never created.
    pub fn graph(&self, view: ViewKey, path: &str) -> Result<&Graph, KernelError> {
        self.history_at(view, path).map(ViewHistory::live)
    }

    fn history_at(&self, view: ViewKey, path: &str) -> Result<&ViewHistory, KernelError> {
        self.history(view).ok_or_else(|| match view {
            ViewKey::Sws(id) => unknown_sws(id, &format!("{path}.swsId")),
            ViewKey::System => KernelError::internal("System has no history"),
        })
    }

    /// Which version of which view `spec` names; `path` names the view input in errors.
    ///
    /// # Errors
    /// `NOT_FOUND` for an SWS never created, a snapshot the view never had, an `asOf` beyond
    /// the log or before the SWS existed.
    pub fn resolve(&self, spec: ViewSpec, path: &str) -> Result<ResolvedView, KernelError> {
        let history = self.history_at(spec.key, path)?;
        let version = match spec.at {
            At::Live => history.n_versions() - 1,
            At::Snapshot(digest) => history.version_of(&digest).ok_or_else(|| {
                let message = format!("{} never had the snapshot {digest}", spec.key);
                KernelError::not_found(format!("{path}.snapshotId"), message)
            })?,
            At::AsOf(idx) => self.version_as_of(history, spec.key, idx, path)?,
        };
        let made = history.version(version).ok_or_else(|| {
            KernelError::internal(format!("{} has no version {version}", spec.key))
        })?;
        let events_before = match spec.at {
            At::Live => None,
            At::Snapshot(_) => Some(made.made_by.map_or(0, |idx| idx + 1)),
            At::AsOf(idx) => Some(idx + 1),
        };
        Ok(ResolvedView {
            key: spec.key,
            version,
            digest: made.digest,
            pinned: spec.at != At::Live,
            events_before,
        })
    }

    fn version_as_of(
        &self,
        history: &ViewHistory,
        view: ViewKey,
        idx: u64,
        path: &str,
    ) -> Result<usize, KernelError> {
        let n_events = self.events.len() as u64;
        if idx >= n_events {
            let message = format!("no event {idx} yet: the log holds {n_events} events");
            return Err(KernelError::not_found(format!("{path}.asOf"), message));
        }
        history.version_at(idx).ok_or_else(|| {
            let message = format!("{view} did not exist yet right after event {idx}");
            KernelError::not_found(format!("{path}.asOf"), message)
        })
    }

    /// The graph `view` resolved to.
    ///
    /// # Errors
    /// `INTERNAL` if the history cannot rebuild the version (a broken invariant).
    pub fn graph_of(&self, view: &ResolvedView) -> Result<Graph, KernelError> {
        self.history_at(view.key, "view")?
            .graph_anchored(view.version, &self.events, &|event| self.anchor(event))
    }

    /// Applies one command: appends one event, or changes nothing and returns why. A retry
    /// (same idempotency key, same request) returns the original event and appends nothing.
    ///
    /// # Errors
    /// `NOT_FOUND` for an unknown SWS or an id a rewrite removes that the view lacks,
    /// `CONFLICT` for an SWS that is no longer ACTIVE, an idempotency key reused for another
    /// request or a node removed while an edge still touches it, `INVALID_INPUT` for a write
    /// to System or an unencodable meta.
    pub fn apply(&mut self, command: Command) -> Result<Arc<Event>, KernelError> {
        let retry = self.check_idempotency(&command)?;
        if let Some(event) = retry {
            return Ok(event);
        }
        let idx = self.events.len() as u64;
        let key = command.idempotency_key().map(str::to_owned);
        let request = match &key {
            Some(_) => Some(request_digest(&command)?),
            None => None,
        };
        let event = match command {
            Command::CreateSws {
                meta,
                idempotency_key,
            } => self.create_sws(idx, meta, idempotency_key)?,
            Command::DiscardSws {
                id,
                reason,
                meta,
                idempotency_key,
            } => self.discard_sws(idx, id, reason, meta, idempotency_key)?,
            Command::CollapseSws {
                id,
                meta,
                idempotency_key,
            } => self.collapse_sws(idx, id, meta, idempotency_key)?,
            Command::RebaseSws {
                id,
                meta,
                idempotency_key,
            } => self.rebase_sws(idx, id, meta, idempotency_key)?,
            Command::ApplyRewrite {
                view,
                ops,
                meta,
                idempotency_key,
            } => self.apply_rewrite(idx, view, ops, meta, idempotency_key)?,
        };
        let event = Arc::new(event);
        self.events.push_back(Arc::clone(&event));
        if let (Some(key), Some(request)) = (key, request) {
            self.idempotency.insert(key, (request, idx));
        }
        debug_assert_eq!(self.events.len() as u64, idx + 1);
        Ok(event)
    }

    /// The earlier event a retry of `command` returns, `None` for a new request.
    fn check_idempotency(&self, command: &Command) -> Result<Option<Arc<Event>>, KernelError> {
        let Some(key) = command.idempotency_key() else {
            return Ok(None);
        };
        let Some(&(seen, idx)) = self.idempotency.get(key) else {
            return Ok(None);
        };
        if seen != request_digest(command)? {
            let path = format!("{}.idempotencyKey", command.input_path());
            let message = format!("key already used by event {idx} for a different request");
            return Err(KernelError::conflict(path, message));
        }
        let event = usize::try_from(idx)
            .ok()
            .and_then(|idx| self.events.get(idx));
        event
            .cloned()
            .map(Some)
            .ok_or_else(|| KernelError::internal(format!("idempotency key names no event {idx}")))
    }

    fn create_sws(
        &mut self,
        idx: u64,
        meta: Option<Json>,
        idempotency_key: Option<String>,
    ) -> Result<Event, KernelError> {
        let id = self.sws.len() as u64;
        let base = self.system().clone();
        let parts = EventParts {
            kind: EventKind::SwsCreate,
            view: ViewKey::Sws(id),
            ops: Vec::new(),
            meta,
            reason: None,
            idempotency_key,
            outcome: None,
        };
        let event = new_event(idx, parts, base.digest(), "input")?;
        let record = SwsRecord {
            id,
            base_digest: base.digest(),
            base_version: self.pin_system_base(),
            created_by: idx,
            state: SwsState::Active,
            // In canonical form, as the event keeps it.
            meta: event.meta.as_deref().cloned(),
        };
        self.views
            .insert(ViewKey::Sws(id), ViewHistory::new(base, Some(idx)));
        self.sws.insert(id, Arc::new(record));
        Ok(event)
    }

    /// Makes System's live version a checkpoint and returns it: the base of an SWS.
    /// The graph an SWS version made by `event` started from when no checkpoint holds it (a
    /// history restored from a checkpoint file): System's graph at the event, plus the event's
    /// ops for a rebase.
    fn anchor(&self, event: &Event) -> Result<Graph, KernelError> {
        let system = self.history_at(ViewKey::System, "view")?;
        let version = system.version_at(event.idx).ok_or_else(|| {
            KernelError::internal(format!("System has no version at event {}", event.idx))
        })?;
        let base = system.graph(version, &self.events)?;
        match event.kind {
            EventKind::SwsCreate => Ok(base),
            EventKind::Rebase => rewrite::apply(&base, &event.ops),
            kind => Err(KernelError::internal(format!(
                "event {} ({}) is no anchor",
                event.idx,
                kind.as_str()
            ))),
        }
    }

    fn pin_system_base(&mut self) -> usize {
        let history = self.system_history_mut();
        history.checkpoint_live();
        history.n_versions() - 1
    }

    fn system_history_mut(&mut self) -> &mut ViewHistory {
        self.views
            .get_mut(&ViewKey::System)
            .expect("System's history exists from the start")
    }

    fn discard_sws(
        &mut self,
        idx: u64,
        id: u64,
        reason: Option<String>,
        meta: Option<Json>,
        idempotency_key: Option<String>,
    ) -> Result<Event, KernelError> {
        self.active_sws(id, "input.swsId")?;
        let view = ViewKey::Sws(id);
        let digest = self.graph(view, "input")?.digest();
        let parts = EventParts {
            kind: EventKind::Discard,
            view,
            ops: Vec::new(),
            meta,
            reason,
            idempotency_key,
            outcome: None,
        };
        let event = new_event(idx, parts, digest, "input")?;
        self.set_sws_state(id, SwsState::Discarded);
        if let Some(history) = self.views.get_mut(&view) {
            history.record_event(idx);
        }
        self.system_history_mut().record_event(idx);
        Ok(event)
    }

    /// The three-way merge of SWS `id` against current System, with the outcome an event
    /// records (System's digest in it is the current one).
    fn merge_sws(&self, id: u64) -> Result<MergeResult, KernelError> {
        let record = self.active_sws(id, "input.swsId")?;
        let system_history = self
            .history(ViewKey::System)
            .ok_or_else(|| KernelError::internal("System has no history"))?;
        let base = system_history.graph(record.base_version, &self.events)?;
        let overlay = self.graph(ViewKey::Sws(id), "input")?;
        let system = self.system();
        let Merge { ops, conflicts } = merge::merge(&base, overlay, system);
        let outcome = Outcome {
            committed: conflicts.is_empty(),
            conflicts,
            base_digest: record.base_digest,
            system_digest: system.digest(),
        };
        Ok(MergeResult {
            ops,
            outcome,
            overlay_digest: overlay.digest(),
        })
    }

    fn collapse_sws(
        &mut self,
        idx: u64,
        id: u64,
        meta: Option<Json>,
        idempotency_key: Option<String>,
    ) -> Result<Event, KernelError> {
        let MergeResult {
            ops,
            mut outcome,
            overlay_digest,
        } = self.merge_sws(id)?;
        // Before System changes: undoing a change in place is a rebuild.
        check_meta(meta.as_ref()).map_err(|error| meta_error("input", &error))?;
        let committed = outcome.committed;
        let change = if committed {
            Some(rewrite::check(self.system(), &ops).map_err(|e| unmergeable(id, &e))?)
        } else {
            None
        };
        let n_ops = ops.len();
        let mut parts = EventParts {
            kind: EventKind::Collapse,
            view: ViewKey::Sws(id),
            ops,
            meta,
            reason: None,
            idempotency_key,
            outcome: None,
        };
        let event = match change {
            Some(change) => {
                let system = self
                    .views
                    .get_mut(&ViewKey::System)
                    .ok_or_else(|| KernelError::internal("System has no history"))?;
                system.apply_live(idx, n_ops, &self.events, |graph| {
                    change.apply_to(graph).map_err(|e| unmergeable(id, &e))?;
                    outcome.system_digest = graph.digest();
                    parts.outcome = Some(outcome);
                    new_event(idx, parts, overlay_digest, "input")
                })?
            }
            None => {
                parts.outcome = Some(outcome);
                let event = new_event(idx, parts, overlay_digest, "input")?;
                self.system_history_mut().record_event(idx);
                event
            }
        };
        if let Some(history) = self.views.get_mut(&ViewKey::Sws(id)) {
            history.record_event(idx);
        }
        if committed {
            self.set_sws_state(id, SwsState::Collapsed);
        }
        self.last_collapse_committed = Some(committed);
        Ok(event)
    }

    fn rebase_sws(
        &mut self,
        idx: u64,
        id: u64,
        meta: Option<Json>,
        idempotency_key: Option<String>,
    ) -> Result<Event, KernelError> {
        let MergeResult {
            ops,
            outcome,
            overlay_digest,
        } = self.merge_sws(id)?;
        let merged = if outcome.committed {
            Some(rewrite::apply(self.system(), &ops).map_err(|e| unmergeable(id, &e))?)
        } else {
            None
        };
        let view_digest = merged.as_ref().map_or(overlay_digest, Graph::digest);
        let parts = EventParts {
            kind: EventKind::Rebase,
            view: ViewKey::Sws(id),
            ops,
            meta,
            reason: None,
            idempotency_key,
            outcome: Some(outcome),
        };
        let event = new_event(idx, parts, view_digest, "input")?;
        let sws_history = self
            .views
            .get_mut(&ViewKey::Sws(id))
            .ok_or_else(|| KernelError::internal(format!("SWS {id} has no history")))?;
        match merged {
            Some(merged) => {
                sws_history.record_checkpoint(idx, merged);
                let base_version = self.pin_system_base();
                let base_digest = self.system().digest();
                if let Some(record) = self.sws.get_mut(&id) {
                    let record = Arc::make_mut(record);
                    record.base_version = base_version;
                    record.base_digest = base_digest;
                }
            }
            None => sws_history.record_event(idx),
        }
        self.system_history_mut().record_event(idx);
        Ok(event)
    }

    fn set_sws_state(&mut self, id: u64, state: SwsState) {
        if let Some(record) = self.sws.get_mut(&id) {
            Arc::make_mut(record).state = state;
        }
    }

    fn apply_rewrite(
        &mut self,
        idx: u64,
        view: ViewKey,
        ops: Vec<Op>,
        meta: Option<Json>,
        idempotency_key: Option<String>,
    ) -> Result<Event, KernelError> {
        let ViewKey::Sws(id) = view else {
            return Err(KernelError::invalid(
                "view.kind".to_owned(),
                "System is never written directly: write into an SWS and collapse it",
            ));
        };
        self.active_sws(id, "view.swsId")?;
        let change = rewrite::check(self.graph(view, "view")?, &ops)?;
        // Before the graph changes: undoing a change in place is a rebuild.
        check_meta(meta.as_ref()).map_err(|error| meta_error("rewrite", &error))?;
        let n_ops = ops.len();
        let parts = EventParts {
            kind: EventKind::RewriteApplied,
            view,
            ops,
            meta,
            reason: None,
            idempotency_key,
            outcome: None,
        };
        let history = self
            .views
            .get_mut(&view)
            .ok_or_else(|| KernelError::internal(format!("{view} has no history")))?;
        history.apply_live(idx, n_ops, &self.events, |graph| {
            change.apply_to(graph)?;
            new_event(idx, parts, graph.digest(), "rewrite")
        })
    }

    /// Whether a replay may apply `event` in a bare run ([`State::replay_bare`]): a rewrite
    /// into an ACTIVE SWS without an idempotency key (a retry would answer an earlier event)
    /// and with a meta that encodes, so that only its ops can refuse it.
    pub(crate) fn replays_bare(&self, event: &Event) -> bool {
        event.kind == EventKind::RewriteApplied
            && event.idempotency_key.is_none()
            && matches!(event.view, ViewKey::Sws(id)
                if self.sws(id).is_some_and(|record| record.state == SwsState::Active))
            && check_meta(event.meta.as_deref()).is_ok()
    }

    /// Applies `event`, the next event of the log, for which [`State::replays_bare`] holds,
    /// in the bare run on its view: the ops change the graph's maps as `apply` would (and
    /// refuse as it would), the version takes the digest the event recorded, and the event
    /// is appended as it is, not made again.
    ///
    /// # Errors
    /// The ops' refusal; the state is then to be discarded.
    pub(crate) fn replay_bare(&mut self, event: Arc<Event>) -> Result<(), KernelError> {
        let history = self.history_of(event.view)?;
        if rewrite::only_adds_nodes(&event.ops) {
            let nodes = rewrite::nodes_added(&event.ops);
            history.add_nodes_bare(event.idx, event.ops.len(), event.view_digest, nodes)?;
        } else {
            let change = rewrite::check(history.live_bare()?, &event.ops)?;
            history.apply_bare(event.idx, event.ops.len(), event.view_digest, |graph| {
                change.apply_to(graph)
            })?;
        }
        self.events.push_back(event);
        Ok(())
    }

    /// The history of `view`, to change.
    ///
    /// # Errors
    /// `INTERNAL` when the view has none.
    pub(crate) fn history_of(&mut self, view: ViewKey) -> Result<&mut ViewHistory, KernelError> {
        self.views
            .get_mut(&view)
            .ok_or_else(|| KernelError::internal(format!("{view} has no history")))
    }

    fn active_sws(&self, id: u64, path: &str) -> Result<&Arc<SwsRecord>, KernelError> {
        let record = self.sws(id).ok_or_else(|| unknown_sws(id, path))?;
        if record.state != SwsState::Active {
            let state = record.state.as_str();
            return Err(KernelError::conflict(
                path.to_owned(),
                format!("SWS {id} is {state}; only an ACTIVE SWS can change"),
            ));
        }
        Ok(record)
    }
}

fn unknown_sws(id: u64, path: &str) -> KernelError {
    KernelError::not_found(path.to_owned(), format!("no SWS has id {id}"))
}

/// What merging an SWS decided, before anything changes.
struct MergeResult {
    /// The merged ops (empty with conflicts).
    ops: Vec<Op>,
    /// The outcome, with System's digest before the merge.
    outcome: Outcome,
    /// The SWS's digest before the merge.
    overlay_digest: Hash,
}

/// Merged ops that do not apply to System: the merge promised they would (a kernel bug).
fn unmergeable(id: u64, error: &KernelError) -> KernelError {
    KernelError::internal(format!("merged ops of SWS {id} do not apply: {error}"))
}

/// Builds event `idx`; `input_path` names the argument whose meta may fail to encode.
fn new_event(
    idx: u64,
    parts: EventParts,
    view_digest: Hash,
    input_path: &str,
) -> Result<Event, KernelError> {
    Event::new(idx, parts, view_digest).map_err(|error| meta_error(input_path, &error))
}

fn request_digest(command: &Command) -> Result<Hash, KernelError> {
    command
        .request()
        .digest()
        .map_err(|error| meta_error(command.input_path(), &error))
}

fn meta_error(input_path: &str, error: &EventEncodeError) -> KernelError {
    KernelError::invalid(format!("{input_path}.meta"), error)
}
