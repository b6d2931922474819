//! The kernel state and the one function that changes it, `State::apply`.
//!
//! The state is made of persistent structures (`Graph`, `imbl` maps and vectors), so a clone is
//! O(1) and shares everything: the command loop publishes a clone after every command, and reads
//! are served from those immutable snapshots.
//!
//! # Invariants
//! - `apply` either appends exactly one event and changes the state accordingly, or returns an
//!   error and leaves the state exactly as it was (a rewrite is atomic: all ops or none).
//! - Event `idx` values are 0, 1, 2, ... with no gap; SWS ids are 0, 1, 2, ... in command order.
//! - System is never written by `apply` in M1: every write targets an ACTIVE SWS.
//! - An SWS's graph is its base (System when it was created) plus its overlay; its digest is
//!   the digest of that merged view.

use std::sync::Arc;

use imbl::{OrdMap, Vector};
use jitos_core::Hash;
use jitos_graph::{Graph, Node};
use jitos_schema::Json;
use jitos_schema::enums::EventKind;
use jitos_schema::ops::Op;

use crate::error::KernelError;
use crate::event::Event;
use crate::view::ViewKey;

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
    /// System's digest when the SWS was created.
    pub base_digest: Hash,
    /// The merged view: base plus overlay.
    pub graph: Graph,
    /// Its lifecycle state.
    pub state: SwsState,
    /// The caller's meta at creation.
    pub meta: Option<Json>,
}

/// A command for the single-writer loop. Inputs are already validated and typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Create an SWS over the current System.
    CreateSws {
        /// Caller meta.
        meta: Option<Json>,
    },
    /// Discard an SWS.
    DiscardSws {
        /// Which.
        id: u64,
        /// Why.
        reason: Option<String>,
        /// Caller meta.
        meta: Option<Json>,
    },
    /// Apply ops to a view, atomically.
    ApplyRewrite {
        /// Which view.
        view: ViewKey,
        /// The ops, validated.
        ops: Vec<Op>,
        /// Caller meta.
        meta: Option<Json>,
    },
}

/// Everything the kernel knows: System, the SWSs and the log.
#[derive(Debug, Clone, Default)]
pub struct State {
    system: Graph,
    sws: OrdMap<u64, Arc<SwsRecord>>,
    events: Vector<Arc<Event>>,
}

impl State {
    /// The empty kernel: empty System, no SWS, empty log.
    pub fn new() -> State {
        State::default()
    }

    /// The System graph.
    pub fn system(&self) -> &Graph {
        &self.system
    }

    /// The SWS with id `id`, if it was ever created.
    pub fn sws(&self, id: u64) -> Option<&Arc<SwsRecord>> {
        self.sws.get(&id)
    }

    /// Every SWS, in id order.
    pub fn all_sws(&self) -> impl Iterator<Item = &Arc<SwsRecord>> + '_ {
        self.sws.values()
    }

    /// The log.
    pub fn events(&self) -> &Vector<Arc<Event>> {
        &self.events
    }

    /// The graph of `view`; `path` names the view input in errors.
    ///
    /// # Errors
    /// `NOT_FOUND` for an SWS that was never created.
    pub fn graph(&self, view: ViewKey, path: &str) -> Result<&Graph, KernelError> {
        match view {
            ViewKey::System => Ok(&self.system),
            ViewKey::Sws(id) => self
                .sws(id)
                .map(|record| &record.graph)
                .ok_or_else(|| unknown_sws(id, &format!("{path}.swsId"))),
        }
    }

    /// Applies one command: appends one event, or changes nothing and returns why.
    ///
    /// # Errors
    /// `NOT_FOUND` for an unknown SWS, `CONFLICT` for one that is no longer ACTIVE,
    /// `INVALID_INPUT` for a write to System or an op the view refuses or an unencodable meta.
    pub fn apply(&mut self, command: Command) -> Result<Arc<Event>, KernelError> {
        let idx = self.events.len() as u64;
        let event = match command {
            Command::CreateSws { meta } => self.create_sws(idx, meta)?,
            Command::DiscardSws { id, reason, meta } => self.discard_sws(idx, id, reason, meta)?,
            Command::ApplyRewrite { view, ops, meta } => {
                self.apply_rewrite(idx, view, ops, meta)?
            }
        };
        let event = Arc::new(event);
        self.events.push_back(Arc::clone(&event));
        debug_assert_eq!(self.events.len() as u64, idx + 1);
        Ok(event)
    }

    fn create_sws(&mut self, idx: u64, meta: Option<Json>) -> Result<Event, KernelError> {
        let id = self.sws.len() as u64;
        let record = SwsRecord {
            id,
            base_digest: self.system.digest(),
            graph: self.system.clone(),
            state: SwsState::Active,
            meta: meta.clone(),
        };
        let event = new_event(
            idx,
            EventKind::SwsCreate,
            ViewKey::Sws(id),
            Vec::new(),
            meta,
            None,
            record.graph.digest(),
            "input.meta",
        )?;
        self.sws.insert(id, Arc::new(record));
        Ok(event)
    }

    fn discard_sws(
        &mut self,
        idx: u64,
        id: u64,
        reason: Option<String>,
        meta: Option<Json>,
    ) -> Result<Event, KernelError> {
        let record = self.active_sws(id, "input.swsId")?;
        let mut discarded = SwsRecord::clone(record);
        discarded.state = SwsState::Discarded;
        let event = new_event(
            idx,
            EventKind::Discard,
            ViewKey::Sws(id),
            Vec::new(),
            meta,
            reason,
            discarded.graph.digest(),
            "input.meta",
        )?;
        self.sws.insert(id, Arc::new(discarded));
        Ok(event)
    }

    fn apply_rewrite(
        &mut self,
        idx: u64,
        view: ViewKey,
        ops: Vec<Op>,
        meta: Option<Json>,
    ) -> Result<Event, KernelError> {
        let ViewKey::Sws(id) = view else {
            return Err(KernelError::invalid(
                "view.kind".to_owned(),
                "System is never written directly: write into an SWS and collapse it",
            ));
        };
        let record = self.active_sws(id, "view.swsId")?;
        let mut graph = record.graph.clone();
        for (op_idx, op) in ops.iter().enumerate() {
            apply_op(&mut graph, op).map_err(|message| {
                KernelError::invalid(format!("rewrite.ops[{op_idx}].data"), message)
            })?;
        }
        let event = new_event(
            idx,
            EventKind::RewriteApplied,
            view,
            ops,
            meta,
            None,
            graph.digest(),
            "rewrite.meta",
        )?;
        let mut written = SwsRecord::clone(record);
        written.graph = graph;
        self.sws.insert(id, Arc::new(written));
        Ok(event)
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

#[expect(
    clippy::too_many_arguments,
    reason = "an event has this many parts; all are needed"
)]
fn new_event(
    idx: u64,
    kind: EventKind,
    view: ViewKey,
    ops: Vec<Op>,
    meta: Option<Json>,
    reason: Option<String>,
    view_digest: Hash,
    meta_path: &str,
) -> Result<Event, KernelError> {
    Event::new(idx, kind, view, ops, meta, reason, view_digest)
        .map_err(|error| KernelError::invalid(meta_path.to_owned(), error))
}

/// Applies one op to `graph`. The kernel's exhaustive match over ops: a new op in
/// `schema/ops/` does not compile until it is handled here.
fn apply_op(graph: &mut Graph, op: &Op) -> Result<(), String> {
    match op {
        Op::AddNode(add) => {
            let node = Node::new(add.kind.as_str(), add.payload.as_slice());
            graph
                .add_node(node)
                .map(|_outcome| ())
                .map_err(|error| error.to_string())
        }
    }
}
