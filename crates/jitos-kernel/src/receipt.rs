//! Collapse and rebase receipts (`docs/spec/collapse.md`, "Events and receipts").
//!
//! A receipt is computed from its event alone, so a retry, a later read of the log and a replay
//! all give the same receipt, with the same digest.
//!
//! # Invariants
//! - `Receipt::of` is `Some` exactly for COLLAPSE and REBASE events, which carry an outcome.
//! - `digest` is blake3 of the canonical CBOR of `to_cbor`, a pure function of the event.

use jitos_core::Hash;
use jitos_core::cbor::Value;
use jitos_schema::enums::EventKind;
use jitos_schema::ops::Op;

use crate::event::{Event, Outcome};
use crate::output::{POLICY_ID, rule_pack_id};
use crate::view::ViewKey;

/// Version of the receipt encoding, the `v` field.
pub const RECEIPT_FORMAT_VERSION: u64 = 0;

/// The receipt of one COLLAPSE or REBASE event.
#[derive(Debug, Clone, Copy)]
pub struct Receipt<'a> {
    /// The event.
    pub event: &'a Event,
    /// Its outcome.
    pub outcome: &'a Outcome,
}

/// How many merged ops of each kind a receipt counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpCounts {
    /// `AddNode` ops.
    pub nodes_added: u64,
    /// `RemoveNode` ops.
    pub nodes_removed: u64,
    /// `AddEdge` ops.
    pub edges_added: u64,
    /// `RemoveEdge` ops.
    pub edges_removed: u64,
}

impl<'a> Receipt<'a> {
    /// The receipt of `event`, if it is a COLLAPSE or REBASE.
    pub fn of(event: &'a Event) -> Option<Receipt<'a>> {
        let outcome = event.outcome.as_ref()?;
        matches!(event.kind, EventKind::Collapse | EventKind::Rebase)
            .then_some(Receipt { event, outcome })
    }

    /// The SWS merged.
    pub fn sws_id(&self) -> u64 {
        match self.event.view {
            ViewKey::Sws(id) => id,
            ViewKey::System => u64::MAX,
        }
    }

    /// The merged ops, counted by kind.
    pub fn counts(&self) -> OpCounts {
        let mut counts = OpCounts::default();
        for op in &self.event.ops {
            match op {
                Op::AddNode(_) => counts.nodes_added += 1,
                Op::RemoveNode(_) => counts.nodes_removed += 1,
                Op::AddEdge(_) => counts.edges_added += 1,
                Op::RemoveEdge(_) => counts.edges_removed += 1,
            }
        }
        counts
    }

    /// The canonical form the digest covers: the event's position, id and SWS, the outcome, the
    /// view digest, the policy pins and the op counts.
    pub fn to_cbor(&self) -> Value {
        let text = |t: &str| Value::text(t);
        let counts = self.counts();
        Value::map([
            (text("v"), Value::from(RECEIPT_FORMAT_VERSION)),
            (text("kind"), text(self.event.kind.as_str())),
            (text("event_idx"), Value::from(self.event.idx)),
            (text("event_id"), Value::from(self.event.id)),
            (text("sws_id"), Value::from(self.sws_id())),
            (text("outcome"), self.outcome.to_cbor()),
            (text("view_digest"), Value::from(self.event.view_digest)),
            (text("rule_pack_id"), Value::from(rule_pack_id())),
            (text("policy_id"), Value::from(u64::from(POLICY_ID))),
            (text("nodes_added"), Value::from(counts.nodes_added)),
            (text("nodes_removed"), Value::from(counts.nodes_removed)),
            (text("edges_added"), Value::from(counts.edges_added)),
            (text("edges_removed"), Value::from(counts.edges_removed)),
        ])
        .unwrap_or(Value::Null)
    }

    /// blake3 of the canonical encoding of [`Receipt::to_cbor`].
    pub fn digest(&self) -> Hash {
        jitos_core::hash_canonical(&self.to_cbor()).unwrap_or(Hash::ZERO)
    }
}
