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

use std::sync::Arc;

use jitos_core::limits::COMMAND_QUEUE_MAX;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::error::KernelError;
use crate::event::Event;
use crate::state::{Command, State};

/// How many events a live subscriber may fall behind before it is cut off.
pub const SUBSCRIBER_LAG_MAX: usize = 1024;

struct Envelope {
    command: Command,
    reply: oneshot::Sender<Result<Arc<Event>, KernelError>>,
}

/// A handle to a running kernel. Cheap to clone; every clone talks to the same loop.
#[derive(Clone)]
pub struct Kernel {
    commands: mpsc::Sender<Envelope>,
    snapshots: watch::Receiver<Arc<State>>,
    events: broadcast::Sender<Arc<Event>>,
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
        let (commands, queue) = mpsc::channel(COMMAND_QUEUE_MAX);
        let (publish, snapshots) = watch::channel(Arc::new(State::new()));
        let (events, _) = broadcast::channel(SUBSCRIBER_LAG_MAX);
        tokio::spawn(run(State::new(), queue, publish, events.clone()));
        Kernel {
            commands,
            snapshots,
            events,
        }
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
        let result = state.apply(command);
        if let Ok(event) = &result {
            publish.send_replace(Arc::new(state.clone()));
            // No subscriber is not an error: the event is in the log either way.
            let _ = events.send(Arc::clone(event));
        }
        // The caller may have gone away; the command took effect regardless.
        let _ = reply.send(result);
    }
}
