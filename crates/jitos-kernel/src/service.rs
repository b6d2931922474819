//! The single-writer command loop and the handle that talks to it.
//!
//! One [`Writer`] owns the state, behind one lock; whoever holds the lock is the only one
//! applying commands. Commands go into one bounded queue that the loop thread drains: it takes
//! every command waiting (up to [`GROUP_COMMIT_MAX`]), applies them in order, makes the events
//! they appended durable with one write and one fsync (group commit, through the [`Sink`]), then
//! publishes an immutable snapshot when one is wanted (below), broadcasts the events and
//! replies. Reads take the latest snapshot.
//!
//! **Lazy publication** (`publication.rs`). A published snapshot shares structure with the
//! writer's state, so a writer nobody reads from is better off not publishing: a commit
//! publishes only when a reader took a snapshot lately, the sink wants the state or many
//! acknowledged events wait. Otherwise the next reader publishes: between commits the writer's
//! state holds exactly the acknowledged commands, so that reader takes the writer's lock
//! (waiting for a commit under way to end) and publishes a copy of it. When the loop ends on a
//! failure or a panic, the acknowledged events not yet published are replayed onto the last
//! snapshot instead ([`State::replay_one`]): the writer's own state may hold a batch that was
//! never acknowledged.
//!
//! **Inline commits.** A light command (see [`runs_inline`]) submitted while no other submit is
//! under way, the lock is free and nothing is queued is committed by its caller, on the
//! caller's thread, exactly as a batch of one: no hand-off to the loop thread and no wake-up on
//! the way back, which is most of what a lone client waits for besides the flush. Commands that
//! arrive meanwhile see it under way and queue, so group commit is unchanged under load. When
//! the sink's writes wait for the device (`--fsync always`) that is every lone command; without
//! a flush on the path (in memory, or `--fsync batch`) only once [`ALONE_STREAK_MIN`] submits in
//! a row found no other under way: clients that overlap now and then are served better by the
//! loop thread, whose batches share one publication and leave the runtime's workers free
//! (`docs/PERFORMANCE.md`).
//!
//! # Invariants
//! - Commands apply one at a time. Queued commands apply in the order they were queued, and an
//!   inline command never overtakes a queued one (it runs only when the queue is empty).
//! - A reply is sent only after the events of its batch are durable under the fsync policy and
//!   counted as acknowledged in the [`Publication`], so a client that got an answer and then
//!   reads sees its own write (from a snapshot published by the commit or by its read), and a
//!   restart keeps it.
//! - A snapshot holds the acknowledged events up to some point and nothing else; a snapshot
//!   handed to a reader holds every event acknowledged before the read began.
//! - Fail-stop: when the sink fails, no command of the batch is acknowledged (each gets
//!   `INTERNAL`), nothing of the batch is published or broadcast, the writer is dropped for good,
//!   queued commands get `INTERNAL`, and [`Kernel::failure`] reports why. Readers never see an
//!   event the log does not hold. A panic while applying ends the loop the same way.
//! - Lock order: the writer's lock before the publication's; nobody waits for the writer's
//!   lock while holding the publication's.
//! - The queue holds at most `COMMAND_QUEUE_MAX` commands; senders wait for room.
//! - An inline commit blocks its caller's thread for one command (at most [`INLINE_OPS_MAX`]
//!   ops) and one durable write (in memory: and the end of the loop thread's last batch), and
//!   leaves `Sink::idle` nothing to do.
//! - A snapshot is published and events broadcast only when a batch appended some; retries that
//!   returned earlier events publish nothing.
//! - The version cache holds rebuilt graphs of past versions, which never change, so an entry
//!   is valid in every snapshot; it is bounded and never reaches anything canonical.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::thread::Thread;

use jitos_core::limits::COMMAND_QUEUE_MAX;
use jitos_graph::Graph;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast, oneshot, watch};

use crate::error::KernelError;
use crate::event::Event;
use crate::journal::{Sink, StorageStatus};
use crate::state::{Command, ResolvedView, State};
use crate::view::ViewKey;

mod publication;
use publication::Publication;

/// How many events a live subscriber may fall behind before it is cut off.
pub const SUBSCRIBER_LAG_MAX: usize = 1024;

/// The most commands one batch (one fsync, one published snapshot) takes from the queue.
pub const GROUP_COMMIT_MAX: usize = 256;

/// The most ops an `applyRewrite` may hold and still be committed on its caller's thread;
/// larger ones (up to `REWRITE_OPS_MAX`) go to the loop thread, so that no caller's thread (an
/// async runtime's worker, in the daemon) is blocked for long.
pub const INLINE_OPS_MAX: usize = 64;

/// Submits in a row that must find no other under way before a kernel whose writes do not
/// wait for a flush commits light commands on their callers' threads.
pub(crate) const ALONE_STREAK_MIN: usize = 64;

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

/// An envelope in the queue, with the room it takes there.
struct Queued {
    envelope: Envelope,
    _room: OwnedSemaphorePermit,
}

/// The commands waiting for the loop thread.
struct Queue {
    waiting: VecDeque<Queued>,
    /// Whether the loop still takes commands: false once it ended (stopped, failed) or every
    /// [`Kernel`] handle is gone.
    open: bool,
}

/// What the handles, inline callers and the loop thread share.
struct Shared {
    queue: Mutex<Queue>,
    /// One permit per command the queue may still take.
    room: Arc<Semaphore>,
    /// `None` once the loop ended. Whoever holds this lock is the only one applying commands.
    writer: Mutex<Option<Writer>>,
    /// What readers see. Taken after `writer` when both are held.
    publication: Mutex<Publication>,
    /// Which lone light commands are committed by their callers.
    inline: Inline,
    /// Calls to [`Kernel::submit`] under way.
    n_submitting: AtomicUsize,
    /// Submits in a row that found no other under way (saturating).
    alone_streak: AtomicUsize,
    /// Commands committed by their callers so far (for tests).
    n_inline: AtomicUsize,
}

impl Shared {
    /// Ends the loop for good: no command is taken any more, and the queued ones are dropped
    /// (their callers get `INTERNAL`).
    fn close(&self) {
        let dropped = {
            let mut queue = lock(&self.queue);
            queue.open = false;
            std::mem::take(&mut queue.waiting)
        };
        self.room.close();
        // Dropped outside the lock: a dropped reply wakes its caller.
        drop(dropped);
    }

    fn has_waiting(&self) -> bool {
        !lock(&self.queue).waiting.is_empty()
    }

    /// See [`Publication::publish_acknowledged`].
    fn publish_acknowledged(&self, writer: &Writer) -> Result<(), String> {
        lock(&self.publication).publish_acknowledged(writer.state.events())
    }
}

/// Which lone light commands are committed by their callers (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inline {
    /// Every one: the sink's writes wait for the device ([`Sink::write_is_durable`]).
    Alone,
    /// Those after [`ALONE_STREAK_MIN`] lone submits in a row: in memory, no sink.
    AfterStreak,
    /// None: the sink's writes leave a flush for `Sink::idle`, which the loop thread owes.
    Never,
}

/// The writer's lock, held. A panic while it is held (in `State::apply`, say) drops the writer,
/// which reports the panic as the loop's failure, and closes the queue.
struct Held<'a> {
    slot: MutexGuard<'a, Option<Writer>>,
    shared: &'a Shared,
}

impl Held<'_> {
    /// Ends the loop: drops the writer (a stop, or after its failure was reported) and closes
    /// the queue.
    fn end(&mut self) {
        self.slot.take();
        self.shared.close();
    }

    /// Fail-stop: reports `why` as the loop's failure, then ends the loop.
    fn fail(&mut self, why: &str) {
        if let Some(writer) = self.slot.as_mut() {
            let why = match self.shared.publish_acknowledged(writer) {
                Ok(()) => why.to_owned(),
                Err(also) => format!("{why}; {also}"),
            };
            writer.fail.send_replace(Some(Arc::from(why)));
        }
        self.end();
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() && self.slot.is_some() {
            if let Some(writer) = self.slot.as_ref() {
                // A second panic here would abort: the replay is given up if it panics too.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    self.shared.publish_acknowledged(writer)
                }));
            }
            self.end();
        }
    }
}

/// One call to [`Kernel::submit`], counted until it returns or its future is dropped.
struct Submitting<'a> {
    shared: &'a Shared,
    /// Whether no other call was under way when this one began: queued, being applied, or
    /// answered and not yet returned (its task not yet run again). Only then may the command
    /// run inline: when many clients were just answered by one batch, the first of them to
    /// come back must not commit alone ahead of the others (one fsync each, and, in the daemon,
    /// a runtime worker blocked in it while the others' requests wait).
    is_alone: bool,
}

impl Submitting<'_> {
    fn enter(shared: &Shared) -> Submitting<'_> {
        let n_others = shared.n_submitting.fetch_add(1, Ordering::AcqRel);
        let is_alone = n_others == 0;
        // A heuristic only: a lost update moves the switch to inline by a submit or two.
        let streak = if is_alone {
            shared
                .alone_streak
                .load(Ordering::Relaxed)
                .saturating_add(1)
                .min(ALONE_STREAK_MIN)
        } else {
            0
        };
        shared.alone_streak.store(streak, Ordering::Relaxed);
        Submitting { shared, is_alone }
    }
}

impl Drop for Submitting<'_> {
    fn drop(&mut self) {
        self.shared.n_submitting.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Ends the loop when the last [`Kernel`] handle is dropped.
struct Owner {
    shared: Arc<Shared>,
    thread: Thread,
}

impl Drop for Owner {
    fn drop(&mut self) {
        lock(&self.shared.queue).open = false;
        self.thread.unpark();
    }
}

/// How many rebuilt past versions the kernel keeps, most recently used first.
const VERSION_CACHE_ENTRIES_MAX: usize = 32;

/// Rebuilt past versions, so paging through a pinned snapshot replays once, not per page.
type VersionCache = VecDeque<((ViewKey, usize), Graph)>;

/// A handle to a running kernel. Cheap to clone; every clone talks to the same loop.
#[derive(Clone)]
pub struct Kernel {
    owner: Arc<Owner>,
    events: broadcast::Sender<Arc<Event>>,
    versions: Arc<Mutex<VersionCache>>,
    storage: Arc<Mutex<StorageStatus>>,
    failure: watch::Receiver<Option<Arc<str>>>,
}

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not `snapshot()`: printing must not publish.
        let n_acked = lock(&self.owner.shared.publication).n_acked();
        f.debug_struct("Kernel")
            .field("n_events", &n_acked)
            .finish()
    }
}

fn stopped() -> KernelError {
    KernelError::internal("the kernel loop has stopped")
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
        let (events, _) = broadcast::channel(SUBSCRIBER_LAG_MAX);
        let (fail, failure) = watch::channel(None);
        let inline = match &sink {
            None => Inline::AfterStreak,
            Some(sink) if sink.write_is_durable() => Inline::Alone,
            Some(_) => Inline::Never,
        };
        let publication = Publication::new(&state);
        let writer = Writer {
            state,
            sink,
            events: events.clone(),
            fail,
        };
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                waiting: VecDeque::new(),
                open: true,
            }),
            room: Arc::new(Semaphore::new(COMMAND_QUEUE_MAX)),
            writer: Mutex::new(Some(writer)),
            publication: Mutex::new(publication),
            inline,
            n_submitting: AtomicUsize::new(0),
            alone_streak: AtomicUsize::new(0),
            n_inline: AtomicUsize::new(0),
        });
        let loop_shared = Arc::clone(&shared);
        // A thread, not a task: an fsync blocks, and must not stall the runtime's workers.
        let thread = std::thread::Builder::new()
            .name("jitos-kernel".to_owned())
            .spawn(move || run(&loop_shared))
            .expect("the operating system refused to start the kernel thread")
            .thread()
            .clone();
        Kernel {
            owner: Arc::new(Owner { shared, thread }),
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

    /// Stops the loop after the commands already queued: their events are made durable
    /// (including the fsync the `BATCH` policy still owes) and answered; later commands get
    /// `INTERNAL`. Returns once the loop has ended.
    pub async fn stop(&self) {
        let (done, stopped) = oneshot::channel();
        if self.enqueue(Envelope::Stop { done }).await.is_ok() {
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
        let mut cache = lock(&self.versions);
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

    /// The latest state: it holds every command acknowledged before this call. Publishes it
    /// first when commands were acknowledged since the last publication (see the module doc),
    /// which waits for a commit under way.
    pub fn snapshot(&self) -> Arc<State> {
        let shared = &*self.owner.shared;
        if let Some(snapshot) = lock(&shared.publication).read() {
            return snapshot;
        }
        let slot = lock(&shared.writer);
        let (snapshot, replaced) = {
            let mut publication = lock(&shared.publication);
            // With the writer gone, the loop's end published every acknowledged event.
            let replaced = slot
                .as_ref()
                .and_then(|writer| publication.catch_up(&writer.state));
            (publication.last(), replaced)
        };
        drop(slot);
        // Dropping the last reference to an old state frees what only it held: outside locks.
        drop(replaced);
        snapshot
    }

    /// The last published state, which may lack commands acknowledged since: for checks that
    /// only a missing SWS can fail and that [`Kernel::snapshot`] repeats when they do, so that
    /// they do not make every write publish.
    pub(crate) fn last_published(&self) -> Arc<State> {
        lock(&self.owner.shared.publication).last()
    }

    /// Runs `command` and waits for its event: on this thread when writes wait for the flush,
    /// the command is light and nothing else is under way (see the module doc), otherwise in
    /// the loop thread.
    ///
    /// # Errors
    /// The command's refusal, or `INTERNAL` when the loop has stopped.
    pub async fn submit(&self, command: Command) -> Result<Arc<Event>, KernelError> {
        let submitting = Submitting::enter(&self.owner.shared);
        let command = if submitting.is_alone {
            match self.try_inline(command) {
                Ok(answer) => return answer,
                Err(command) => command,
            }
        } else {
            command
        };
        let (reply, answer) = oneshot::channel();
        self.enqueue(Envelope::Command { command, reply }).await?;
        answer
            .await
            .map_err(|_| KernelError::internal("the kernel loop dropped a command"))?
    }

    /// Commits `command` on this thread if it is light, the writer is free and no command is
    /// queued (a queued one goes first); gives it back otherwise.
    fn try_inline(&self, command: Command) -> Result<Result<Arc<Event>, KernelError>, Command> {
        let shared = &*self.owner.shared;
        if !runs_inline(&command) {
            return Err(command);
        }
        let slot = match shared.inline {
            Inline::Never => return Err(command),
            Inline::AfterStreak
                if shared.alone_streak.load(Ordering::Relaxed) < ALONE_STREAK_MIN =>
            {
                return Err(command);
            }
            // Alone for long and in memory, so the loop thread has at most the end of its last
            // batch to finish (it answers before it lets go of the lock): worth waiting for.
            Inline::AfterStreak => lock(&shared.writer),
            Inline::Alone => match shared.writer.try_lock() {
                Ok(slot) => slot,
                // The panic that poisoned the lock took the writer out (`Held`): it reads `None`.
                Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => return Err(command),
            },
        };
        let mut held = Held { slot, shared };
        let Some(writer) = held.slot.as_mut() else {
            return Ok(Err(stopped()));
        };
        if shared.has_waiting() {
            return Err(command);
        }
        shared.n_inline.fetch_add(1, Ordering::Relaxed);
        let (reply, mut answer) = oneshot::channel();
        // A durable write leaves `Sink::idle` nothing to do, and without a sink there is
        // nothing to do, so the loop thread is not needed.
        if let Err(why) = writer.commit(
            &mut vec![Envelope::Command { command, reply }],
            &shared.publication,
        ) {
            held.fail(&why);
            // Wakes the loop thread, which finds the writer gone and ends.
            self.owner.thread.unpark();
        }
        drop(held);
        Ok(answer
            .try_recv()
            .unwrap_or_else(|_| Err(KernelError::internal("the kernel dropped a command"))))
    }

    /// Puts `envelope` in the queue (waiting for room) and wakes the loop thread.
    async fn enqueue(&self, envelope: Envelope) -> Result<(), KernelError> {
        let shared = &self.owner.shared;
        let room = Arc::clone(&shared.room)
            .acquire_owned()
            .await
            .map_err(|_| stopped())?;
        {
            let mut queue = lock(&shared.queue);
            if !queue.open {
                return Err(stopped());
            }
            queue.waiting.push_back(Queued {
                envelope,
                _room: room,
            });
        }
        // Cheap when the thread is not parked: no system call.
        self.owner.thread.unpark();
        Ok(())
    }

    /// Every event appended from now on, in order.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.events.subscribe()
    }
}

/// Whether `command` is light enough to be committed on its caller's thread: creates, discards
/// and rewrites of at most [`INLINE_OPS_MAX`] ops. Collapses and rebases, whose cost grows with
/// an SWS's overlay, always go to the loop thread.
fn runs_inline(command: &Command) -> bool {
    match command {
        Command::CreateSws { .. } | Command::DiscardSws { .. } => true,
        Command::ApplyRewrite { ops, .. } => ops.len() <= INLINE_OPS_MAX,
        Command::CollapseSws { .. } | Command::RebaseSws { .. } => false,
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The loop thread: drains the queue in batches. Ends when the loop is stopped or fails, or
/// when every handle is gone and the queue is empty.
fn run(shared: &Shared) {
    loop {
        let (is_open, has_waiting) = {
            let queue = lock(&shared.queue);
            (queue.open, !queue.waiting.is_empty())
        };
        if !has_waiting {
            if !is_open {
                // Every handle is gone: nothing can be submitted any more.
                lock(&shared.writer).take();
                return;
            }
            // An `unpark` between the check and here makes this return at once.
            std::thread::park();
            continue;
        }
        let mut held = Held {
            slot: lock(&shared.writer),
            shared,
        };
        let Some(writer) = held.slot.as_mut() else {
            return;
        };
        let mut batch: Vec<Envelope> = {
            let mut queue = lock(&shared.queue);
            let n_taken = queue.waiting.len().min(GROUP_COMMIT_MAX);
            queue
                .waiting
                .drain(..n_taken)
                .map(|queued| queued.envelope)
                .collect()
        };
        let stop = match writer.commit(&mut batch, &shared.publication) {
            Ok(stop) => stop,
            Err(why) => return held.fail(&why),
        };
        if (stop.is_some() || !shared.has_waiting())
            && let Some(Err(error)) = writer.sink.as_mut().map(|sink| sink.idle())
        {
            return held.fail(&format!("the write-ahead log failed: {error}"));
        }
        if let Some(done) = stop {
            let (state, replaced) = {
                let mut publication = lock(&shared.publication);
                let replaced = publication.catch_up(&writer.state);
                (publication.last(), replaced)
            };
            drop(replaced);
            if let Some(sink) = &mut writer.sink {
                sink.close(&state);
            }
            held.end();
            let _ = done.send(());
            return;
        }
    }
}

/// The state and where its results go.
struct Writer {
    state: State,
    sink: Option<Box<dyn Sink>>,
    events: broadcast::Sender<Arc<Event>>,
    fail: watch::Sender<Option<Arc<str>>>,
}

impl Writer {
    /// Applies the batch's commands, makes their events durable, counts them as acknowledged
    /// in `publication` (publishing when wanted: see the module doc), and answers; returns the
    /// stop request the batch held, or why the sink failed (nothing was then answered Ok).
    fn commit(
        &mut self,
        batch: &mut Vec<Envelope>,
        publication: &Mutex<Publication>,
    ) -> Result<Option<oneshot::Sender<()>>, String> {
        let mut answers = Vec::with_capacity(batch.len());
        let mut appended = Vec::new();
        let mut stop = None;
        // The snapshot a publication replaces, dropped after the replies: freeing what only it
        // held is not the callers' wait.
        let mut replaced = None;
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
            let n_events = self.state.events().len();
            let sink_wants =
                (self.sink.as_ref()).is_some_and(|sink| sink.wants_state(n_events as u64));
            let published =
                lock(publication)
                    .committed(&self.state, sink_wants)
                    .map(|(snapshot, old)| {
                        replaced = Some(old);
                        snapshot
                    });
            if let (Some(sink), Some(snapshot)) = (&mut self.sink, published) {
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
        drop(replaced);
        Ok(stop)
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
