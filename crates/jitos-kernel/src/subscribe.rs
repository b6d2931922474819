//! Event subscriptions that resume: replay the history asked for from a snapshot of the log,
//! then go live, with no gap and no duplicate across the switch.
//!
//! The stream subscribes to the live broadcast *before* it takes the snapshot it replays from,
//! so every event after the snapshot is waiting in the broadcast buffer; live events the
//! snapshot already holds are skipped by idx.
//!
//! # Invariants
//! - A stream yields events in strictly increasing idx order, each at most once, and every
//!   event of its view after its start until it ends.
//! - A subscriber that falls more than [`SUBSCRIBER_LAG_MAX`] events behind is ended with a
//!   `LIMIT_EXCEEDED` error naming the last idx it received; it never slows the kernel, which
//!   only ever writes to a bounded broadcast buffer.

use std::sync::Arc;

use futures_util::StreamExt as _;
use imbl::Vector;
use jitos_schema::outputs::RewriteEvent;
use jitos_schema::runtime::EventStream;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::error::KernelError;
use crate::event::Event;
use crate::output;
use crate::service::{Kernel, SUBSCRIBER_LAG_MAX};
use crate::state::State;
use crate::view::ViewKey;

/// Where a subscription starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// With the next event.
    Live,
    /// With the first event (of the view).
    Beginning,
    /// With the first event (of the view) after this idx.
    After(u64),
}

impl Start {
    /// # Errors
    /// `INVALID_INPUT` at `fromStart` when both are given.
    pub(crate) fn parse(after_idx: Option<u64>, from_start: bool) -> Result<Start, KernelError> {
        match (after_idx, from_start) {
            (None, false) => Ok(Start::Live),
            (None, true) => Ok(Start::Beginning),
            (Some(idx), false) => Ok(Start::After(idx)),
            (Some(_), true) => Err(KernelError::invalid(
                "fromStart".to_owned(),
                "give afterIdx or fromStart, not both",
            )),
        }
    }
}

/// Replays then follows the events of `view` (every event for `None`) from `start`.
///
/// # Errors
/// `NOT_FOUND` for an SWS never created (at `view.swsId`) or an `afterIdx` the log has not
/// reached (at `afterIdx`).
pub(crate) fn stream(
    kernel: &Kernel,
    view: Option<ViewKey>,
    start: Start,
) -> Result<EventStream<RewriteEvent>, KernelError> {
    let live = kernel.subscribe();
    let snapshot = kernel.snapshot();
    let n_events = snapshot.events().len() as u64;
    let first = match start {
        Start::Live => n_events,
        Start::Beginning => 0,
        Start::After(idx) if idx < n_events => idx + 1,
        Start::After(idx) => {
            let message = format!("no event {idx} yet: the log holds {n_events} events");
            return Err(KernelError::not_found("afterIdx".to_owned(), message));
        }
    };
    let replay = Replay::new(&snapshot, view, first)?;
    let feed = Feed {
        snapshot,
        replay,
        live,
        live_from: n_events,
        view,
        resume_after: first.checked_sub(1),
    };
    Ok(futures_util::stream::unfold(Some(feed), |feed| async move {
        let mut feed = feed?;
        match feed.next().await? {
            Ok(event) => Some((Ok(event), Some(feed))),
            Err(error) => Some((Err(error.into()), None)),
        }
    })
    .boxed())
}

/// The idx of the events to replay, produced one at a time: replaying a long log never holds
/// more than the snapshot it reads from.
enum Replay {
    /// Every event from `next` up to `end` (exclusive).
    All { next: u64, end: u64 },
    /// The view's events, from position `next` of its list.
    View { idxs: Vector<u64>, next: usize },
}

impl Replay {
    /// The events of `view` (all for `None`) at or after `first` in `snapshot`.
    fn new(snapshot: &State, view: Option<ViewKey>, first: u64) -> Result<Replay, KernelError> {
        let Some(view) = view else {
            let end = snapshot.events().len() as u64;
            return Ok(Replay::All { next: first, end });
        };
        let history = snapshot.history(view).ok_or_else(|| match view {
            ViewKey::Sws(id) => {
                KernelError::not_found("view.swsId".to_owned(), format!("no SWS has id {id}"))
            }
            ViewKey::System => KernelError::internal("System has no history"),
        })?;
        let idxs = history.event_idxs().clone();
        let next = idxs.binary_search(&first).unwrap_or_else(|at| at);
        Ok(Replay::View { idxs, next })
    }

    fn next(&mut self) -> Option<u64> {
        match self {
            Replay::All { next, end } => (*next < *end).then(|| {
                *next += 1;
                *next - 1
            }),
            Replay::View { idxs, next } => {
                let idx = idxs.get(*next).copied()?;
                *next += 1;
                Some(idx)
            }
        }
    }
}

/// The state of one subscription.
struct Feed {
    snapshot: Arc<State>,
    replay: Replay,
    live: broadcast::Receiver<Arc<Event>>,
    /// Live events below this idx are in the snapshot: replayed or before the start.
    live_from: u64,
    view: Option<ViewKey>,
    /// Every event of the view up to this idx has been delivered.
    resume_after: Option<u64>,
}

impl Feed {
    /// The next event, an error that ends the stream, or `None` when the kernel stopped.
    async fn next(&mut self) -> Option<Result<RewriteEvent, KernelError>> {
        if let Some(idx) = self.replay.next() {
            let event = self.snapshot.events().get(usize::try_from(idx).ok()?)?;
            self.resume_after = Some(idx);
            return Some(Ok(output::event(event)));
        }
        loop {
            match self.live.recv().await {
                Ok(event) if event.idx < self.live_from => {}
                Ok(event) => {
                    self.resume_after = Some(event.idx);
                    if self.view.is_none_or(|view| event.concerns(view)) {
                        return Some(Ok(output::event(&event)));
                    }
                }
                Err(RecvError::Lagged(n_missed)) => return Some(Err(self.lagged(n_missed))),
                Err(RecvError::Closed) => return None,
            }
        }
    }

    fn lagged(&self, n_missed: u64) -> KernelError {
        let resume = match self.resume_after {
            Some(idx) => format!("resubscribe with afterIdx: {idx}"),
            None => "resubscribe with fromStart: true".to_owned(),
        };
        let message = format!(
            "the subscriber fell behind by {n_missed} events (more than {SUBSCRIBER_LAG_MAX}) \
             and was cut off; {resume}"
        );
        KernelError::limit("Subscription".to_owned(), message)
    }
}
