//! Naming what a call reads or writes: a view (System or one SWS), optionally pinned to a
//! snapshot or to a point of the log; where a subscription starts; and the `U64` scalar.
//!
//! Text forms (contract §3): a view is `system` or `sws:N`, where `N` is the decimal form of a
//! u64 with no sign, no leading zero and no whitespace, exactly as the API spells SWS ids.
//!
//! # Invariants
//! - `View::from_str(&view.to_string()) == Ok(view)` for every view.
//! - A [`ViewRef`] names at most one pin, so the client never sends both `snapshotId` and
//!   `asOf`.
//! - [`U64`] is written as its decimal string and read from that string or a JSON integer.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A view: the committed System graph, or one shadow working set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum View {
    /// The committed System graph.
    System,
    /// The shadow working set with this id.
    Sws(u64),
}

/// Why a text is not a [`View`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a view: use `system` or `sws:N` with N a decimal id such as 0 or 17")]
pub struct ParseViewError {
    text: String,
}

/// The value of `text` if it is the canonical decimal form of a u64: `0`, or digits without a
/// leading zero, fitting u64.
fn parse_canonical_u64(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|byte| byte.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if canonical { text.parse().ok() } else { None }
}

/// Parses an SWS id in the API's text form: `0`, or a decimal without leading zero, fitting u64.
///
/// # Errors
/// [`ParseViewError`] for anything else (`01`, `+1`, ` 1`, `18446744073709551616`).
pub fn parse_sws_id(text: &str) -> Result<u64, ParseViewError> {
    parse_canonical_u64(text).ok_or_else(|| ParseViewError {
        text: text.to_owned(),
    })
}

impl FromStr for View {
    type Err = ParseViewError;

    fn from_str(text: &str) -> Result<View, ParseViewError> {
        if text.eq_ignore_ascii_case("system") {
            return Ok(View::System);
        }
        match text.split_once(':') {
            Some((kind, id)) if kind.eq_ignore_ascii_case("sws") => {
                parse_sws_id(id).map(View::Sws).map_err(|_| ParseViewError {
                    text: text.to_owned(),
                })
            }
            _ => Err(ParseViewError {
                text: text.to_owned(),
            }),
        }
    }
}

impl std::fmt::Display for View {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            View::System => f.write_str("system"),
            View::Sws(id) => write!(f, "sws:{id}"),
        }
    }
}

/// Which state of a view a read sees.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Pin {
    /// The view as it is now.
    #[default]
    Live,
    /// The immutable snapshot with this id, as returned by a graph read's `snapshotId`.
    Snapshot(String),
    /// The view as it stood right after the event with this idx.
    AsOf(u64),
}

/// A view and the state of it to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewRef {
    /// The view.
    pub view: View,
    /// Which state of it.
    pub pin: Pin,
}

impl ViewRef {
    /// The live `view`.
    #[must_use]
    pub fn live(view: View) -> ViewRef {
        ViewRef {
            view,
            pin: Pin::Live,
        }
    }

    /// `view` pinned to the snapshot `snapshot_id`.
    #[must_use]
    pub fn snapshot(view: View, snapshot_id: impl Into<String>) -> ViewRef {
        ViewRef {
            view,
            pin: Pin::Snapshot(snapshot_id.into()),
        }
    }

    /// `view` as it stood right after event `idx`.
    #[must_use]
    pub fn as_of(view: View, idx: u64) -> ViewRef {
        ViewRef {
            view,
            pin: Pin::AsOf(idx),
        }
    }

    /// `(swsId, snapshotId, asOf)` as the API's `ViewRefInput` spells them.
    pub(crate) fn wire_parts(&self) -> (Option<String>, Option<String>, Option<U64>) {
        let sws_id = match self.view {
            View::System => None,
            View::Sws(id) => Some(id.to_string()),
        };
        match &self.pin {
            Pin::Live => (sws_id, None, None),
            Pin::Snapshot(snapshot_id) => (sws_id, Some(snapshot_id.clone()), None),
            Pin::AsOf(idx) => (sws_id, None, Some(U64(*idx))),
        }
    }
}

impl From<View> for ViewRef {
    fn from(view: View) -> ViewRef {
        ViewRef::live(view)
    }
}

/// Where a subscription starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StreamStart {
    /// With the next event.
    #[default]
    Live,
    /// Replaying the events after this idx first.
    AfterIdx(u64),
    /// Replaying the whole history first.
    FromStart,
}

impl StreamStart {
    /// `(afterIdx, fromStart)` as the API spells them; `None` leaves the argument out.
    pub(crate) fn wire_parts(self) -> (Option<U64>, Option<bool>) {
        match self {
            StreamStart::Live => (None, None),
            StreamStart::AfterIdx(idx) => (Some(U64(idx)), None),
            StreamStart::FromStart => (None, Some(true)),
        }
    }
}

/// The API's `U64` scalar: an unsigned 64-bit integer, written as a decimal string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct U64(pub u64);

impl std::fmt::Display for U64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for U64 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for U64 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<U64, D::Error> {
        /// Either wire form of the scalar.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Text(String),
            Number(u64),
        }
        match Wire::deserialize(deserializer)? {
            Wire::Number(value) => Ok(U64(value)),
            Wire::Text(text) => parse_canonical_u64(&text)
                .map(U64)
                .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a U64"))),
        }
    }
}
