//! The single-writer command loop and the handle that talks to it.
//!
//! Writes travel through one bounded queue to one task that owns the state; after each command
//! the task publishes an immutable snapshot and broadcasts the new event, then replies. Reads
//! never enter the queue: they take the latest snapshot.
//!
//! # Invariants
//! - Commands apply one at a time, in the order they entered the queue.
//! - A reply is sent only after the snapshot that contains its effect is published, so a client
//!   that got an answer and then reads sees its own write.
//! - The queue holds at most `COMMAND_QUEUE_MAX` commands; senders wait for room.
//! - A snapshot is published and an event broadcast only when a command appended one; a retry
//!   that returned an earlier event publishes nothing.
//! - The version cache holds rebuilt graphs of past versions, which never change, so an entry
//!   is valid in every snapshot; it is bounded and never reaches anything canonical.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use jitos_core::limits::COMMAND_QUEUE_MAX;
use jitos_graph::Graph;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::error::KernelError;
use crate::event::Event;
use crate::state::{Command, ResolvedView, State};
use crate::view::ViewKey;

/// How many events a live subscriber may fall behind before it is cut off.
pub const SUBSCRIBER_LAG_MAX: usize = 1024;

struct Envelope {
    command: Command,
    reply: oneshot::Sender<Result<Arc<Event>, KernelError>>,
}

/// How many rebuilt past versions the kernel keeps, most recently used first.
const VERSION_CACHE_ENTRIES_MAX: usize = 32;

/// Rebuilt past versions, so paging through a pinned snapshot replays once, not per page.
type VersionCache = VecDeque<((ViewKey, usize), Graph)>;

/// A handle to a running kernel. Cheap to clone; every clone talks to the same loop.
#[derive(Clone)]
pub struct Kernel {
    commands: mpsc::Sender<Envelope>,
    snapshots: watch::Receiver<Arc<State>>,
    events: broadcast::Sender<Arc<Event>>,
    versions: Arc<Mutex<VersionCache>>,
}

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kernel")
            .field("n_events", &self.snapshot().events().len())
            .finish()
    }
}

impl Kernel {
    /// Starts the command loop on the current tokio runtime, over an empty state.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn start() -> Kernel {
        Kernel::start_from(State::new())
    }

    /// Starts the command loop on the current tokio runtime, over `state` (for example one
    /// rebuilt by replaying a log).
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn start_from(state: State) -> Kernel {
        let (commands, queue) = mpsc::channel(COMMAND_QUEUE_MAX);
        let (publish, snapshots) = watch::channel(Arc::new(state.clone()));
        let (events, _) = broadcast::channel(SUBSCRIBER_LAG_MAX);
        tokio::spawn(run(state, queue, publish, events.clone()));
        Kernel {
            commands,
            snapshots,
            events,
            versions: Arc::default(),
        }
    }

    /// The graph `view` resolved to in `state`, from the version cache when it was rebuilt
    /// before.
    ///
    /// # Errors
    /// `INTERNAL` if the history cannot rebuild the version (a broken invariant).
    pub fn graph_of(&self, state: &State, view: &ResolvedView) -> Result<Graph, KernelError> {
        let is_live = state
            .history(view.key)
            .is_some_and(|history| history.n_versions() == view.version + 1);
        if is_live {
            return state.graph_of(view);
        }
        let key = (view.key, view.version);
        let mut cache = self
            .versions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(at) = cache.iter().position(|(cached, _)| *cached == key) {
            let entry = cache.remove(at).expect("position is in range");
            let graph = entry.1.clone();
            cache.push_front(entry);
            return Ok(graph);
        }
        // Rebuilding holds the lock: concurrent readers of the same version wait for one
        // rebuild instead of repeating it.
        let graph = state.graph_of(view)?;
        cache.push_front((key, graph.clone()));
        cache.truncate(VERSION_CACHE_ENTRIES_MAX);
        Ok(graph)
    }

    /// The latest published state.
    pub fn snapshot(&self) -> Arc<State> {
        Arc::clone(&self.snapshots.borrow())
    }

    /// Runs `command` in the loop and waits for its event.
    ///
    /// # Errors
    /// The command's refusal, or `INTERNAL` when the loop has stopped.
    pub async fn submit(&self, command: Command) -> Result<Arc<Event>, KernelError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Envelope { command, reply })
            .await
            .map_err(|_| KernelError::internal("the kernel loop has stopped"))?;
        answer
            .await
            .map_err(|_| KernelError::internal("the kernel loop dropped a command"))?
    }

    /// Every event appended from now on, in order.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.events.subscribe()
    }
}

async fn run(
    mut state: State,
    mut queue: mpsc::Receiver<Envelope>,
    publish: watch::Sender<Arc<State>>,
    events: broadcast::Sender<Arc<Event>>,
) {
    while let Some(Envelope { command, reply }) = queue.recv().await {
        let n_events = state.events().len();
        let result = state.apply(command);
        let appended = state.events().len() > n_events;
        if let (Ok(event), true) = (&result, appended) {
            publish.send_replace(Arc::new(state.clone()));
            // No subscriber is not an error: the event is in the log either way.
            let _ = events.send(Arc::clone(event));
        }
        // The caller may have gone away; the command took effect regardless.
        let _ = reply.send(result);
    }
}
