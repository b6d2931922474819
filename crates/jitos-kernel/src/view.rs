//! Views: which graph a request reads or writes, parsed from the API's `ViewRefInput`.
//!
//! # Invariants
//! - A `ViewKey` is well formed: SYSTEM has no SWS id, SWS has one that fits u64.
//! - Parsing reports the first fault with the input path the contract asks for.

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
    /// Parses a validated view input found at `path` (e.g. `view`).
    ///
    /// # Errors
    /// `INVALID_INPUT` for SYSTEM with an SWS id, SWS without one, or an id beyond u64;
    /// `NOT_IMPLEMENTED` for a pinned `snapshotId` (milestone M2).
    pub fn parse(input: &ViewRefInput, path: &str) -> Result<ViewKey, KernelError> {
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
        if input.snapshot_id.is_some() {
            return Err(KernelError::not_implemented(
                format!("{path}.snapshotId"),
                "pinned snapshots arrive with milestone M2",
            ));
        }
        Ok(key)
    }

    /// The API form.
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
