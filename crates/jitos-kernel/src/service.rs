//! The single-writer command loop and the handle that talks to it.
//!
//! Writes travel through one bounded queue to one thread that owns the state. The thread takes
//! every command waiting (up to [`GROUP_COMMIT_MAX`]), applies them in order, makes the events
//! they appended durable with one write and one fsync (group commit, through the [`Sink`]), then
//! publishes an immutable snapshot, broadcasts the events and replies. Reads never enter the
//! queue: they take the latest snapshot.
//!
//! # Invariants
//! - Commands apply one at a time, in the order they entered the queue.
//! - A reply is sent only after the events of its batch are durable under the fsync policy and
//!   the snapshot that contains its effect is published, so a client that got an answer and then
//!   reads sees its own write, and a restart keeps it.
//! - Fail-stop: when the sink fails, no command of the batch is acknowledged (each gets
//!   `INTERNAL`), nothing of the batch is published or broadcast, the loop stops for good and
//!   [`Kernel::failure`] reports why. Readers never see an event the log does not hold.
//! - The queue holds at most `COMMAND_QUEUE_MAX` commands; senders wait for room.
//! - A snapshot is published and events broadcast only when a batch appended some; retries that
//!   returned earlier events publish nothing.
//! - The version cache holds rebuilt graphs of past versions, which never change, so an entry
//!   is valid in every snapshot; it is bounded and never reaches anything canonical.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use jitos_core::limits::COMMAND_QUEUE_MAX;
use jitos_graph::Graph;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::error::KernelError;
use crate::event::Event;
use crate::journal::{Sink, StorageStatus};
use crate::state::{Command, ResolvedView, State};
use crate::view::ViewKey;

/// How many events a live subscriber may fall behind before it is cut off.
pub const SUBSCRIBER_LAG_MAX: usize = 1024;

/// The most commands one batch (one fsync, one published snapshot) takes from the queue.
pub const GROUP_COMMIT_MAX: usize = 256;

type Reply = oneshot::Sender<Result<Arc<Event>, KernelError>>;

enum Envelope {
    Command {
        command: Command,
        reply: Reply,
    },
    /// Finish the batch, make everything durable, and end the loop.
    Stop {
        done: oneshot::Sender<()>,
    },
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
    storage: Arc<Mutex<StorageStatus>>,
    failure: watch::Receiver<Option<Arc<str>>>,
}

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kernel")
            .field("n_events", &self.snapshot().events().len())
            .finish()
    }
}

impl Kernel {
    /// Starts the command loop over an empty state, in memory.
    pub fn start() -> Kernel {
        Kernel::start_from(State::new())
    }

    /// Starts the command loop over `state` (for example one rebuilt by replaying a log), in
    /// memory: nothing is written anywhere.
    pub fn start_from(state: State) -> Kernel {
        Kernel::start_with(state, None, StorageStatus::in_memory())
    }

    /// Starts the command loop over `state`, making every event durable in `sink` before its
    /// command is acknowledged; `status` is what `kernelInfo.storage` reports.
    pub fn start_durable(state: State, sink: Box<dyn Sink>, status: StorageStatus) -> Kernel {
        Kernel::start_with(state, Some(sink), status)
    }

    fn start_with(state: State, sink: Option<Box<dyn Sink>>, status: StorageStatus) -> Kernel {
        let (commands, queue) = mpsc::channel(COMMAND_QUEUE_MAX);
        let (publish, snapshots) = watch::channel(Arc::new(state.clone()));
        let (events, _) = broadcast::channel(SUBSCRIBER_LAG_MAX);
        let (fail, failure) = watch::channel(None);
        let writer = Writer {
            state,
            sink,
            publish,
            events: events.clone(),
            fail,
        };
        // A thread, not a task: an fsync blocks, and must not stall the runtime's workers.
        std::thread::Builder::new()
            .name("jitos-kernel".to_owned())
            .spawn(move || writer.run(queue))
            .expect("the operating system refused to start the kernel thread");
        Kernel {
            commands,
            snapshots,
            events,
            versions: Arc::default(),
            storage: Arc::new(Mutex::new(status)),
            failure,
        }
    }

    /// How the kernel keeps its history.
    pub fn storage_status(&self) -> StorageStatus {
        lock(&self.storage).clone()
    }

    /// Waits until the loop ends: `Some(why)` when it stopped on a storage failure (fail-stop),
    /// `None` when it was stopped.
    pub async fn failure(&self) -> Option<Arc<str>> {
        let mut failure = self.failure.clone();
        // An error means the loop ended without failing (its sender is gone).
        failure.wait_for(Option::is_some).await.ok()?.clone()
    }

    /// Stops the loop after the commands already taken: their events are made durable
    /// (including the fsync the `BATCH` policy still owes) and answered; later commands get
    /// `INTERNAL`. Returns once the loop has ended.
    pub async fn stop(&self) {
        let (done, stopped) = oneshot::channel();
        if self.commands.send(Envelope::Stop { done }).await.is_ok() {
            let _ = stopped.await;
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
            .send(Envelope::Command { command, reply })
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

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The loop's side: the state and where its results go.
struct Writer {
    state: State,
    sink: Option<Box<dyn Sink>>,
    publish: watch::Sender<Arc<State>>,
    events: broadcast::Sender<Arc<Event>>,
    fail: watch::Sender<Option<Arc<str>>>,
}

impl Writer {
    fn run(mut self, mut queue: mpsc::Receiver<Envelope>) {
        let mut batch = Vec::new();
        while let Some(first) = queue.blocking_recv() {
            batch.push(first);
            while batch.len() < GROUP_COMMIT_MAX {
                match queue.try_recv() {
                    Ok(envelope) => batch.push(envelope),
                    Err(_) => break,
                }
            }
            let stop = match self.commit(&mut batch) {
                Ok(stop) => stop,
                Err(why) => return self.fail_stop(&why),
            };
            if (stop.is_some() || queue.is_empty())
                && let Some(Err(error)) = self.sink.as_mut().map(|sink| sink.idle())
            {
                return self.fail_stop(&format!("the write-ahead log failed: {error}"));
            }
            if let Some(done) = stop {
                if let Some(sink) = &mut self.sink {
                    sink.close(&self.publish.borrow().clone());
                }
                let _ = done.send(());
                return;
            }
        }
    }

    /// Applies the batch's commands, makes their events durable, publishes, and answers; returns
    /// the stop request the batch held, or why the sink failed (nothing was then answered Ok).
    fn commit(&mut self, batch: &mut Vec<Envelope>) -> Result<Option<oneshot::Sender<()>>, String> {
        let mut answers = Vec::with_capacity(batch.len());
        let mut appended = Vec::new();
        let mut stop = None;
        for envelope in batch.drain(..) {
            match envelope {
                // Commands queued behind a stop are dropped: their callers get INTERNAL.
                Envelope::Command { .. } if stop.is_some() => {}
                Envelope::Command { command, reply } => {
                    let n_events = self.state.events().len();
                    let result = self.state.apply(command);
                    if let (Ok(event), true) = (&result, self.state.events().len() > n_events) {
                        appended.push(Arc::clone(event));
                    }
                    answers.push((reply, result));
                }
                Envelope::Stop { done } => stop = Some(done),
            }
        }
        if !appended.is_empty() {
            if let Some(Err(error)) = self.sink.as_mut().map(|sink| sink.write(&appended)) {
                let why = format!("the write-ahead log failed: {error}");
                for (reply, _) in answers {
                    let _ = reply.send(Err(KernelError::internal(format!(
                        "{why}; the command was not made durable and the kernel stopped"
                    ))));
                }
                return Err(why);
            }
            let snapshot = Arc::new(self.state.clone());
            self.publish.send_replace(Arc::clone(&snapshot));
            if let Some(sink) = &mut self.sink {
                sink.published(&snapshot);
            }
            for event in appended {
                // No subscriber is not an error: the event is in the log either way.
                let _ = self.events.send(event);
            }
        }
        for (reply, result) in answers {
            // The caller may have gone away; the command took effect regardless.
            let _ = reply.send(result);
        }
        Ok(stop)
    }

    fn fail_stop(&mut self, why: &str) {
        self.fail.send_replace(Some(Arc::from(why)));
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.fail
                .send_replace(Some(Arc::from("the kernel loop panicked")));
        }
    }
}

#[cfg(test)]
mod tests;
