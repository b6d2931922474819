//! Views: which graph a request reads or writes, parsed from the API's `ViewRefInput`.
//!
//! A view is a [`ViewKey`] (System or one SWS) read at a moment ([`At`]): live, at a snapshot
//! (named by its digest), or as of an event idx.
//!
//! # Invariants
//! - A `ViewKey` is well formed: SYSTEM has no SWS id, SWS has one that fits u64.
//! - Parsing reports the first fault with the input path the contract asks for.
//! - Writes name live views only: [`ViewKey::parse_live`] refuses `snapshotId` and `asOf`.

use jitos_core::Hash;
use jitos_core::cbor::Value;
use jitos_schema::enums::ViewKind;
use jitos_schema::inputs::ViewRefInput;
use jitos_schema::outputs::ViewRef;

use crate::error::KernelError;

/// A view the kernel knows how to resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ViewKey {
    /// The committed System graph.
    System,
    /// One shadow working set.
    Sws(u64),
}

impl ViewKey {
    /// Parses a validated view input found at `path` (e.g. `view`) that a write targets.
    ///
    /// # Errors
    /// As [`ViewSpec::parse`], and `INVALID_INPUT` for a `snapshotId` or `asOf`: the past is
    /// read-only.
    pub fn parse_live(input: &ViewRefInput, path: &str) -> Result<ViewKey, KernelError> {
        let spec = ViewSpec::parse(input, path)?;
        let field = match spec.at {
            At::Live => return Ok(spec.key),
            At::Snapshot(_) => "snapshotId",
            At::AsOf(_) => "asOf",
        };
        Err(KernelError::invalid(
            format!("{path}.{field}"),
            "writes go to the live view; a snapshot or a past moment is read-only",
        ))
    }

    fn parse_key(input: &ViewRefInput, path: &str) -> Result<ViewKey, KernelError> {
        let key = match (input.kind, &input.sws_id) {
            (ViewKind::System, None) => ViewKey::System,
            (ViewKind::System, Some(_)) => {
                return Err(KernelError::invalid(
                    format!("{path}.swsId"),
                    "a SYSTEM view takes no swsId",
                ));
            }
            (ViewKind::Sws, None) => {
                return Err(KernelError::invalid(
                    format!("{path}.swsId"),
                    "an SWS view needs a swsId",
                ));
            }
            (ViewKind::Sws, Some(id)) => ViewKey::Sws(parse_sws_id(id, &format!("{path}.swsId"))?),
        };
        Ok(key)
    }

    /// The API form of the live view.
    pub fn to_output(self) -> ViewRef {
        match self {
            ViewKey::System => ViewRef {
                kind: ViewKind::System,
                sws_id: None,
                snapshot_id: None,
            },
            ViewKey::Sws(id) => ViewRef {
                kind: ViewKind::Sws,
                sws_id: Some(id.to_string()),
                snapshot_id: None,
            },
        }
    }

    /// The canonical CBOR form: `{"kind": "SYSTEM"}` or `{"kind": "SWS", "sws_id": N}`.
    pub fn to_cbor(self) -> Value {
        let entries = match self {
            ViewKey::System => vec![(Value::text("kind"), Value::text("SYSTEM"))],
            ViewKey::Sws(id) => vec![
                (Value::text("kind"), Value::text("SWS")),
                (Value::text("sws_id"), Value::from(id)),
            ],
        };
        Value::map(entries).unwrap_or(Value::Null)
    }
}

impl std::fmt::Display for ViewKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ViewKey::System => f.write_str("SYSTEM"),
            ViewKey::Sws(id) => write!(f, "SWS {id}"),
        }
    }
}

/// The moment a read looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// Now.
    Live,
    /// The snapshot with this digest.
    Snapshot(Hash),
    /// Right after the event with this idx.
    AsOf(u64),
}

/// A view and the moment to read it at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewSpec {
    /// Which view.
    pub key: ViewKey,
    /// When.
    pub at: At,
}

impl ViewSpec {
    /// Parses a validated view input found at `path` (e.g. `view`).
    ///
    /// # Errors
    /// `INVALID_INPUT` for SYSTEM with an SWS id, SWS without one, an id beyond u64, a
    /// `snapshotId` that is not a digest in hex, or both `snapshotId` and `asOf`.
    pub fn parse(input: &ViewRefInput, path: &str) -> Result<ViewSpec, KernelError> {
        let key = ViewKey::parse_key(input, path)?;
        let at = match (&input.snapshot_id, input.as_of) {
            (None, None) => At::Live,
            (Some(id), None) => At::Snapshot(Hash::from_hex(id).map_err(|_| {
                KernelError::invalid(
                    format!("{path}.snapshotId"),
                    "a snapshot id is a digest: 64 lowercase hex characters",
                )
            })?),
            (None, Some(idx)) => At::AsOf(idx),
            (Some(_), Some(_)) => {
                return Err(KernelError::invalid(
                    format!("{path}.asOf"),
                    "give snapshotId or asOf, not both",
                ));
            }
        };
        Ok(ViewSpec { key, at })
    }
}

/// Parses an SWS id: the decimal form of a u64 (contract §3). The schema's pattern has already
/// refused signs, leading zeros and non-digits; what is left to refuse is overflow.
///
/// # Errors
/// `INVALID_INPUT` at `path` when the id does not fit u64.
pub(crate) fn parse_sws_id(text: &str, path: &str) -> Result<u64, KernelError> {
    let well_formed = text == "0"
        || (!text.starts_with('0') && !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()));
    match text.parse::<u64>() {
        Ok(id) if well_formed => Ok(id),
        _ => Err(KernelError::invalid(
            path.to_owned(),
            "an SWS id is the decimal form of a u64",
        )),
    }
}
