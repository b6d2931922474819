//! The streamed event encoding against the `Value` encoding it replaced, which sorts its map
//! keys itself: random events of every shape (each op kind, metas of any JSON, reasons, keys,
//! outcomes with conflicts) must give the same bytes.

use jitos_schema::enums::{ConflictKind, EventKind, ItemKind};
use jitos_schema::ops::{AddEdge, AddNode, RemoveEdge, RemoveNode};
use proptest::prelude::*;

use super::*;
use crate::merge::Conflict;

/// The event as a `Value` map, encoded: the oracle.
fn value_encoding(event: &Event) -> Result<Vec<u8>, EventEncodeError> {
    let text = |t: &str| Value::text(t);
    let entries = vec![
        (text("v"), Value::from(EVENT_FORMAT_VERSION)),
        (text("idx"), Value::from(event.idx)),
        (text("kind"), text(event.kind.as_str())),
        (text("view"), event.view.to_cbor()),
        (text("ops"), Value::array(event.ops.iter().map(op_to_cbor))),
        (text("meta"), meta_to_cbor(event.meta.as_deref())?),
        (text("reason"), optional_text(event.reason.as_deref())),
        (
            text("idempotency_key"),
            optional_text(event.idempotency_key.as_deref()),
        ),
        (
            text("outcome"),
            event
                .outcome
                .as_deref()
                .map_or(Value::Null, Outcome::to_cbor),
        ),
        (text("view_digest"), Value::from(event.view_digest)),
    ];
    let value = Value::map(entries).map_err(EventEncodeError::Meta)?;
    cbor::encode(&value).map_err(EventEncodeError::Meta)
}

fn hash() -> impl Strategy<Value = [u8; 32]> {
    any::<[u8; 32]>()
}

fn op() -> impl Strategy<Value = Op> {
    let kind = "[a-z.]{1,12}";
    let payload = proptest::collection::vec(any::<u8>(), 0..40);
    prop_oneof![
        (kind, payload.clone()).prop_map(|(kind, payload)| Op::AddNode(AddNode { kind, payload })),
        (hash(), hash(), kind, proptest::option::of(payload)).prop_map(
            |(from, to, kind, payload)| Op::AddEdge(AddEdge {
                from,
                to,
                kind,
                payload
            })
        ),
        hash().prop_map(|id| Op::RemoveNode(RemoveNode { id })),
        hash().prop_map(|id| Op::RemoveEdge(RemoveEdge { id })),
    ]
}

fn json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(Json::from),
        (-1e6..1e6f64).prop_map(Json::from),
        "[a-z]{0,8}".prop_map(Json::String),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            proptest::collection::btree_map("[a-z]{0,6}", inner, 0..4)
                .prop_map(|map| Json::Object(map.into_iter().collect())),
        ]
    })
}

fn outcome() -> impl Strategy<Value = Outcome> {
    let conflict = (any::<bool>(), hash(), hash()).prop_map(|(edge, id, system_id)| Conflict {
        kind: if edge {
            ConflictKind::EdgeEndRemoved
        } else {
            ConflictKind::NodeRemovalUnderNewEdge
        },
        id: Hash::from_bytes(id),
        system_id: Hash::from_bytes(system_id),
        subject: if edge { ItemKind::Edge } else { ItemKind::Node },
    });
    (proptest::collection::vec(conflict, 0..3), hash(), hash()).prop_map(
        |(conflicts, base, system)| Outcome {
            committed: conflicts.is_empty(),
            conflicts,
            base_digest: Hash::from_bytes(base),
            system_digest: Hash::from_bytes(system),
        },
    )
}

fn event() -> impl Strategy<Value = Event> {
    let kind = prop_oneof![
        Just(EventKind::SwsCreate),
        Just(EventKind::RewriteApplied),
        Just(EventKind::Collapse),
        Just(EventKind::Rebase),
        Just(EventKind::Discard),
    ];
    let view = prop_oneof![Just(ViewKey::System), any::<u64>().prop_map(ViewKey::Sws)];
    (
        (any::<u64>(), kind, view),
        proptest::collection::vec(op(), 0..4),
        proptest::option::of(json()),
        proptest::option::of("[ -~]{0,20}"),
        proptest::option::of("[a-z0-9-]{1,20}"),
        proptest::option::of(outcome()),
        hash(),
    )
        .prop_map(
            |((idx, kind, view), ops, meta, reason, idempotency_key, outcome, digest)| Event {
                idx,
                kind,
                view,
                ops,
                meta: meta.map(Box::new),
                reason: reason.map(String::into_boxed_str),
                idempotency_key: idempotency_key.map(String::into_boxed_str),
                outcome: outcome.map(Box::new),
                view_digest: Hash::from_bytes(digest),
                id: Hash::ZERO,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(512) })]

    #[test]
    fn streamed_encoding_is_the_value_encoding(event in event()) {
        prop_assert_eq!(event.encode(), value_encoding(&event));
    }
}

/// A meta nested `depth` arrays deep.
fn nested(depth: usize) -> Json {
    (0..depth).fold(Json::Null, |inner, _| Json::Array(vec![inner]))
}

#[test]
fn the_depth_limit_falls_where_the_value_encoding_puts_it() {
    let limit = jitos_core::limits::CBOR_DEPTH_MAX;
    for depth in limit - 2..=limit + 2 {
        let event = Event {
            idx: 1,
            kind: EventKind::RewriteApplied,
            view: ViewKey::Sws(0),
            ops: Vec::new(),
            meta: Some(Box::new(nested(depth))),
            reason: None,
            idempotency_key: None,
            outcome: None,
            view_digest: Hash::ZERO,
            id: Hash::ZERO,
        };
        assert_eq!(event.encode(), value_encoding(&event), "depth {depth}");
        assert_eq!(
            check_meta(event.meta.as_deref()).is_ok(),
            event.encode().is_ok(),
            "depth {depth}"
        );
    }
}

/// A log holds millions of events, most of them a rewrite without meta or outcome: the rare
/// fields are boxed so that each event costs what the common one needs (296 bytes before).
#[test]
fn an_event_holds_its_rare_fields_out_of_line() {
    let size = std::mem::size_of::<Event>();
    assert!(size <= 168, "Event is {size} bytes");
}
