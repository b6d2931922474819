//! Helpers the unit tests of several modules share.
//!
//! # Invariants
//! - Test-only (`cfg(test)`); nothing here reaches the kernel's behaviour.

use crate::event::Event;
use crate::state::{Command, State};

/// A fresh state after `commands`, every one of which must be accepted.
pub(crate) fn run(commands: impl IntoIterator<Item = Command>) -> State {
    let mut state = State::new();
    for command in commands {
        state.apply(command).expect("the script is valid");
    }
    state
}

/// The log of `state`, as owned events.
pub(crate) fn log(state: &State) -> Vec<Event> {
    state
        .events()
        .iter()
        .map(|event| Event::clone(event))
        .collect()
}
