//! Unit tests of everything the client does without a server: error decoding, view and scalar
//! text forms, the wire form of variables and ops, the graphql-transport-ws message handling,
//! and the paging loops driven by fake fetches.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::error::{Error, ErrorCode, decode_http};
use crate::input::{EdgeFilter, GraphFilter, NodeFilter, Op, Page, WriteOptions};
use crate::paging::{follow_diff, follow_graph, follow_idx};
use crate::subscription::{Step, connection_init_message, on_text, subscribe_message, ws_url_of};
use crate::types::{
    ChangeKind, ConflictKind, Edge, EdgeChange, EdgeChangePage, EdgePage, EventKind, GraphDiff,
    GraphSnapshot, ItemKind, Node, NodeChange, NodeChangePage, NodePage, PageInfo, RewriteEvent,
    ViewKind, ViewRefOut,
};
use crate::view::{Pin, StreamStart, U64, View, ViewRef, parse_sws_id};
use crate::{convert, operations};

// ---- errors -------------------------------------------------------------------------------

#[test]
fn every_error_code_round_trips_through_its_wire_form() {
    for code in ErrorCode::ALL {
        assert_eq!(ErrorCode::from_wire(code.as_str()), Some(code));
    }
    assert_eq!(ErrorCode::from_wire("invalid_input"), None);
    assert_eq!(ErrorCode::from_wire("BAD_REQUEST"), None);
}

fn server_error(result: Result<Value, Error>) -> crate::ServerError {
    match result {
        Err(Error::Server(error)) => error,
        other => panic!("expected a server error, got {other:?}"),
    }
}

#[test]
fn a_graphql_error_carries_code_field_message_and_every_extension() {
    let body = json!({"data": null, "errors": [
        {"message": "view.kind: write into an SWS", "extensions":
            {"code": "INVALID_INPUT", "field": "view.kind", "limit": "X"}},
        {"message": "second", "extensions": {"code": "INTERNAL"}},
    ]});
    let error = server_error(decode_http(200, &body.to_string()));
    assert_eq!(error.code, ErrorCode::InvalidInput);
    assert_eq!(error.field.as_deref(), Some("view.kind"));
    assert_eq!(error.message, "view.kind: write into an SWS");
    assert_eq!(error.extensions["limit"], "X");
    assert_eq!(
        error.to_string(),
        "INVALID_INPUT: view.kind: write into an SWS (field: view.kind)"
    );
}

#[test]
fn errors_win_over_partial_data_and_over_the_http_status() {
    let partial = json!({"data": {"a": 1}, "errors": [{"message": "m",
        "extensions": {"code": "NOT_FOUND"}}]});
    assert_eq!(
        server_error(decode_http(200, &partial.to_string())).code,
        ErrorCode::NotFound
    );
    let too_large = json!({"errors": [{"message": "body too large",
        "extensions": {"code": "LIMIT_EXCEEDED"}}]});
    assert_eq!(
        server_error(decode_http(413, &too_large.to_string())).code,
        ErrorCode::LimitExceeded
    );
}

#[test]
fn a_missing_or_unknown_code_is_internal() {
    let body = json!({"errors": [{"message": "no extensions"}]});
    assert_eq!(
        server_error(decode_http(200, &body.to_string())).code,
        ErrorCode::Internal
    );
    let body = json!({"errors": [{"message": "m", "extensions": {"code": "TEAPOT"}}]});
    let error = server_error(decode_http(200, &body.to_string()));
    assert_eq!(error.code, ErrorCode::Internal);
    assert_eq!(error.extensions["code"], "TEAPOT");
}

#[test]
fn non_graphql_answers_are_status_or_decode_errors() {
    let status = decode_http::<Value>(502, "<html>bad gateway</html>");
    assert!(
        matches!(&status, Err(Error::Status { status: 502, body }) if body.contains("bad gateway")),
        "{status:?}"
    );
    let empty_errors = decode_http::<Value>(500, r#"{"errors": []}"#);
    assert!(
        matches!(empty_errors, Err(Error::Status { status: 500, .. })),
        "{empty_errors:?}"
    );
    assert!(matches!(
        decode_http::<Value>(200, "not json"),
        Err(Error::Decode(_))
    ));
    assert!(matches!(
        decode_http::<Value>(200, r#"{"data": null}"#),
        Err(Error::Decode(_))
    ));
    let long = "x".repeat(10_000);
    let excerpted = decode_http::<Value>(503, &long);
    assert!(
        matches!(&excerpted, Err(Error::Status { body, .. }) if body.len() == 512),
        "{excerpted:?}"
    );
}

#[test]
fn data_of_the_wrong_shape_is_a_decode_error() {
    let body = json!({"data": {"kernelInfo": {"version": 7}}});
    let result = decode_http::<operations::kernel_info::ResponseData>(200, &body.to_string());
    assert!(matches!(result, Err(Error::Decode(_))), "{result:?}");
}

// ---- views and scalars ----------------------------------------------------------------------

#[test]
fn views_parse_in_the_api_text_form_and_round_trip() {
    for (text, view) in [
        ("system", View::System),
        ("SYSTEM", View::System),
        ("sws:0", View::Sws(0)),
        ("sws:17", View::Sws(17)),
        ("SWS:3", View::Sws(3)),
        ("sws:18446744073709551615", View::Sws(u64::MAX)),
    ] {
        assert_eq!(text.parse::<View>(), Ok(view), "{text}");
        assert_eq!(view.to_string().parse::<View>(), Ok(view));
    }
    for text in [
        "",
        "sws",
        "sws:",
        "sws:01",
        "sws:+1",
        "sws:-1",
        "sws: 1",
        "sws:1 ",
        "sws:18446744073709551616",
        "node:1",
        "system:0",
    ] {
        let error = text.parse::<View>().expect_err(text);
        assert!(error.to_string().contains("sws:N"), "{error}");
    }
    assert_eq!(parse_sws_id("42"), Ok(42));
    assert!(parse_sws_id("042").is_err());
}

#[test]
fn u64_is_written_as_a_string_and_read_from_a_string_or_an_integer() {
    assert_eq!(serde_json::to_value(U64(7)).unwrap(), json!("7"));
    assert_eq!(serde_json::from_value::<U64>(json!("7")).unwrap(), U64(7));
    assert_eq!(serde_json::from_value::<U64>(json!(7)).unwrap(), U64(7));
    let max = u64::MAX.to_string();
    assert_eq!(
        serde_json::from_value::<U64>(json!(max)).unwrap(),
        U64(u64::MAX)
    );
    for bad in [json!("07"), json!("-1"), json!(-1), json!("x"), json!(1.5)] {
        assert!(serde_json::from_value::<U64>(bad.clone()).is_err(), "{bad}");
    }
}

#[test]
fn the_subscriptions_url_follows_the_graphql_url() {
    for (url, ws) in [
        (
            "http://127.0.0.1:8080/graphql",
            "ws://127.0.0.1:8080/graphql/ws",
        ),
        (
            "http://127.0.0.1:8080/graphql/",
            "ws://127.0.0.1:8080/graphql/ws",
        ),
        (
            "HTTPS://example.org/api/graphql",
            "wss://example.org/api/graphql/ws",
        ),
    ] {
        assert_eq!(ws_url_of(url).unwrap(), ws, "{url}");
    }
    for bad in [
        "127.0.0.1:8080/graphql",
        "ftp://x/graphql",
        "http://",
        "http:///graphql",
    ] {
        assert!(matches!(ws_url_of(bad), Err(Error::Url { .. })), "{bad}");
    }
}

// ---- wire form of variables and ops ---------------------------------------------------------

#[test]
fn absent_inputs_are_left_out_and_pins_are_spelled_as_the_schema_says() {
    let live = convert::graph_variables(
        &ViewRef::live(View::System),
        &Page::default(),
        &Page::first(5).after("ab"),
        None,
        None,
    );
    assert_eq!(
        serde_json::to_value(&live).unwrap(),
        json!({"view": {"kind": "SYSTEM"}, "nodesPage": {},
               "edgesPage": {"first": 5, "after": "ab"}})
    );
    let filter = GraphFilter {
        nodes: Some(NodeFilter {
            kinds: Some(vec!["demo".into()]),
            has_keys: None,
        }),
        edges: Some(EdgeFilter {
            kinds: Some(vec![]),
            from: Some("f".into()),
            to: None,
        }),
    };
    let pinned = convert::graph_variables(
        &ViewRef::as_of(View::Sws(3), 7),
        &Page::first(1),
        &Page::first(1),
        filter.nodes.as_ref(),
        filter.edges.as_ref(),
    );
    let pinned = serde_json::to_value(&pinned).unwrap();
    assert_eq!(
        pinned["view"],
        json!({"kind": "SWS", "swsId": "3", "asOf": "7"})
    );
    assert_eq!(pinned["nodeFilter"], json!({"kinds": ["demo"]}));
    assert_eq!(pinned["edgeFilter"], json!({"kinds": [], "from": "f"}));
    let snapshot = convert::node_variables(&ViewRef::snapshot(View::System, "s9"), "00");
    assert_eq!(
        serde_json::to_value(&snapshot).unwrap(),
        json!({"view": {"kind": "SYSTEM", "snapshotId": "s9"}, "id": "00"})
    );
}

#[test]
fn stream_starts_are_spelled_as_the_schema_says() {
    let variables = |start| serde_json::to_value(convert::watch_events_variables(start)).unwrap();
    assert_eq!(variables(StreamStart::Live), json!({}));
    assert_eq!(
        variables(StreamStart::AfterIdx(4)),
        json!({"afterIdx": "4"})
    );
    assert_eq!(
        variables(StreamStart::FromStart),
        json!({"fromStart": true})
    );
    let rewrites = convert::watch_rewrites_variables(View::Sws(0), StreamStart::FromStart);
    assert_eq!(
        serde_json::to_value(rewrites).unwrap(),
        json!({"view": {"kind": "SWS", "swsId": "0"}, "fromStart": true})
    );
}

#[test]
fn ops_serialize_to_the_op_schemas_shape() {
    let id = "a".repeat(64);
    assert_eq!(
        Op::add_node("demo", b"hello").to_json(),
        json!({"op": "AddNode", "data": {"kind": "demo", "payload_b64": "aGVsbG8="}})
    );
    assert_eq!(
        Op::add_edge(&id, &id, "link", None).to_json(),
        json!({"op": "AddEdge", "data": {"from": id, "to": id, "kind": "link"}})
    );
    assert_eq!(
        Op::add_edge(&id, &id, "link", Some(b"")).to_json(),
        json!({"op": "AddEdge", "data": {"from": id, "to": id, "kind": "link", "payload_b64": ""}})
    );
    assert_eq!(
        Op::remove_node(&id).to_json(),
        json!({"op": "RemoveNode", "data": {"id": id}})
    );
    assert_eq!(
        Op::remove_edge(&id).to_json(),
        json!({"op": "RemoveEdge", "data": {"id": id}})
    );
}

#[test]
fn output_types_serialize_with_the_api_names() {
    let event = event_at(3);
    assert_eq!(
        serde_json::to_value(&event).unwrap(),
        json!({"id": "e3", "idx": "3", "kind": "REWRITE_APPLIED",
               "view": {"kind": "SWS", "swsId": "0", "snapshotId": null},
               "ops": [], "meta": null, "reason": null, "viewDigest": "d", "receipt": null})
    );
    assert_eq!(event.view.to_string(), "sws:0");
    assert_eq!(EventKind::Other("NEW".into()).to_string(), "NEW");
}

#[test]
fn diff_variables_spell_both_views_and_both_pages() {
    let variables = convert::diff_variables(
        &ViewRef::snapshot(View::Sws(2), "s1"),
        &ViewRef::as_of(View::System, 4),
        &Page::first(3),
        &Page::first(5).after("ab"),
    );
    assert_eq!(
        serde_json::to_value(&variables).unwrap(),
        json!({"from": {"kind": "SWS", "swsId": "2", "snapshotId": "s1"},
               "to": {"kind": "SYSTEM", "asOf": "4"},
               "nodesPage": {"first": 3}, "edgesPage": {"first": 5, "after": "ab"}})
    );
}

#[test]
fn a_diff_converts_every_change_kind_and_serializes_with_the_api_names() {
    let wire = json!({"diff": {
        "from": {"kind": "SWS", "swsId": "0", "snapshotId": "s0"},
        "to": {"kind": "SYSTEM", "swsId": null, "snapshotId": null},
        "fromSnapshotId": "s0", "toSnapshotId": "s1",
        "nodes": {"changes": [
            {"change": "REMOVED", "node": {"id": "01", "kind": "k",
                "data": {"payload_b64": "YQ=="}, "payloadB64": "YQ=="}},
            {"change": "ADDED", "node": {"id": "02", "kind": "k",
                "data": {"payload_b64": ""}, "payloadB64": ""}},
            {"change": "MOVED", "node": {"id": "03", "kind": "k",
                "data": {"payload_b64": ""}, "payloadB64": ""}},
        ], "pageInfo": {"endCursor": "03", "hasNextPage": true}},
        "edges": {"changes": [
            {"change": "ADDED", "edge": {"id": "0e", "kind": "link", "from": "01", "to": "02",
                "data": null}},
        ], "pageInfo": {"endCursor": "0e", "hasNextPage": false}},
    }});
    let data: operations::diff::ResponseData = serde_json::from_value(wire.clone()).unwrap();
    let diff = convert::diff(data);
    let kinds: Vec<ChangeKind> = diff
        .nodes
        .changes
        .iter()
        .map(|c| c.change.clone())
        .collect();
    assert_eq!(
        kinds,
        [
            ChangeKind::Removed,
            ChangeKind::Added,
            ChangeKind::Other("MOVED".into())
        ]
    );
    assert_eq!(diff.nodes.changes[0].node.payload_b64, "YQ==");
    assert_eq!(diff.edges.changes[0].edge.from, "01");
    assert_eq!(diff.from.to_string(), "sws:0");
    assert!(diff.nodes.page_info.has_next_page);
    // Serializing gives back what the server sent.
    assert_eq!(serde_json::to_value(&diff).unwrap(), wire["diff"]);
}

// ---- collapse and rebase -------------------------------------------------------------------

#[test]
fn merge_and_discard_variables_spell_their_inputs_as_the_schema_says() {
    let plain = convert::collapse_variables(3, None, &WriteOptions::default());
    assert_eq!(variables(&plain), json!({"input": {"swsId": "3"}}));
    let full = WriteOptions {
        meta: Some(json!({"by": "test"})),
        idempotency_key: Some("k".into()),
    };
    let pinned = convert::collapse_variables(3, Some(0), &full);
    assert_eq!(
        variables(&pinned),
        json!({"input": {"swsId": "3", "policyId": 0, "meta": {"by": "test"},
               "idempotencyKey": "k"}})
    );
    let rebase = convert::rebase_variables(1, &WriteOptions::idempotent("r"));
    assert_eq!(
        variables(&rebase),
        json!({"input": {"swsId": "1", "idempotencyKey": "r"}})
    );
    let discard = convert::discard_variables(2, Some("done"), &WriteOptions::default());
    assert_eq!(
        variables(&discard),
        json!({"input": {"swsId": "2", "reason": "done"}})
    );
    let silent = convert::discard_variables(2, None, &WriteOptions::default());
    assert_eq!(variables(&silent), json!({"input": {"swsId": "2"}}));
}

/// The JSON form of some operation's variables.
fn variables<T: serde::Serialize>(variables: &T) -> Value {
    serde_json::to_value(variables).unwrap()
}

/// A `MergeReceipt` as the server sends it, with `conflicts`.
fn receipt_wire(kind: &str, committed: bool, conflicts: &Value) -> Value {
    json!({
        "kind": kind, "eventIdx": "7", "eventId": "e7", "swsId": "1", "committed": committed,
        "baseSnapshotId": "b", "systemSnapshotId": "s", "viewDigest": "v", "rulePackId": "r",
        "policyId": 0, "conflicts": conflicts,
        "nodesAdded": 2, "nodesRemoved": 0, "edgesAdded": 1, "edgesRemoved": 3, "digest": "dd"
    })
}

/// One conflict of each kind the schema has, and one of a kind it does not know yet.
fn conflicts_wire() -> Value {
    json!([
        {"kind": "EDGE_END_REMOVED", "id": "e1", "subject": "EDGE", "overlayChange": "ADDED",
         "systemId": "n1", "systemSubject": "NODE", "systemChange": "REMOVED"},
        {"kind": "NODE_REMOVAL_UNDER_NEW_EDGE", "id": "n2", "subject": "NODE",
         "overlayChange": "REMOVED", "systemId": "e2", "systemSubject": "EDGE",
         "systemChange": "ADDED"},
        {"kind": "ALREADY_REMOVED", "id": "n3", "subject": "NODE", "overlayChange": "REMOVED",
         "systemId": "n3", "systemSubject": "NODE", "systemChange": "REMOVED"},
        {"kind": "FUTURE_KIND", "id": "x", "subject": "HYPEREDGE", "overlayChange": "MOVED",
         "systemId": "y", "systemSubject": "NODE", "systemChange": "REMOVED"},
    ])
}

#[test]
fn an_aborted_collapse_keeps_every_conflict_and_serializes_back_to_the_wire() {
    let wire = json!({"collapseSws": {
        "committed": false, "systemSnapshotId": "s", "systemDigest": "sd",
        "receipt": {"tickId": null, "rulePackId": "r", "policyId": 0, "events": [
            {"id": "e7", "kind": "COLLAPSE", "at": null, "meta": {"why": "test"}}]},
        "collapseReceipt": receipt_wire("COLLAPSE", false, &conflicts_wire()),
    }});
    let data: operations::collapse_sws::ResponseData =
        serde_json::from_value(wire.clone()).unwrap();
    let collapsed = convert::collapsed(data);
    assert!(!collapsed.committed);
    let receipt = &collapsed.collapse_receipt;
    assert_eq!(receipt.kind, EventKind::Collapse);
    assert_eq!(receipt.event_idx, U64(7));
    assert_eq!((receipt.nodes_added, receipt.edges_removed), (2, 3));
    let kinds: Vec<&ConflictKind> = receipt.conflicts.iter().map(|c| &c.kind).collect();
    assert_eq!(
        kinds,
        [
            &ConflictKind::EdgeEndRemoved,
            &ConflictKind::NodeRemovalUnderNewEdge,
            &ConflictKind::AlreadyRemoved,
            &ConflictKind::Other("FUTURE_KIND".into()),
        ]
    );
    let first = &receipt.conflicts[0];
    assert_eq!(
        (&first.subject, &first.overlay_change),
        (&ItemKind::Edge, &ChangeKind::Added)
    );
    assert_eq!(
        (&first.system_subject, &first.system_change),
        (&ItemKind::Node, &ChangeKind::Removed)
    );
    assert_eq!(
        receipt.conflicts[3].subject,
        ItemKind::Other("HYPEREDGE".into())
    );
    let events = &collapsed.receipt.as_ref().expect("a tick receipt").events;
    assert_eq!(events[0].kind, EventKind::Collapse);
    assert_eq!(
        serde_json::to_value(&collapsed).unwrap(),
        wire["collapseSws"]
    );
}

#[test]
fn a_rebase_converts_and_serializes_back_to_the_wire() {
    let wire = json!({"rebaseSws": {
        "rebased": true,
        "sws": {"id": "1", "parentSnapshotId": "s", "state": "ACTIVE", "meta": null},
        "digest": "v",
        "receipt": receipt_wire("REBASE", true, &json!([])),
    }});
    let data: operations::rebase_sws::ResponseData = serde_json::from_value(wire.clone()).unwrap();
    let rebased = convert::rebased(data);
    assert!(rebased.rebased && rebased.receipt.committed);
    assert_eq!(rebased.receipt.kind, EventKind::Rebase);
    assert_eq!(rebased.sws.parent_snapshot_id.as_deref(), Some("s"));
    assert_eq!(serde_json::to_value(&rebased).unwrap(), wire["rebaseSws"]);
}

#[test]
fn events_carry_their_reason_digest_and_merge_receipt() {
    let view = json!({"kind": "SWS", "swsId": "1", "snapshotId": null});
    let wire = json!({"rewrites": [
        {"id": "e6", "idx": "6", "kind": "DISCARD", "view": view, "ops": [], "meta": null,
         "reason": "done", "viewDigest": "v6", "receipt": null},
        {"id": "e7", "idx": "7", "kind": "COLLAPSE", "view": view, "ops": [], "meta": null,
         "reason": null, "viewDigest": "v",
         "receipt": receipt_wire("COLLAPSE", false, &conflicts_wire())},
    ]});
    let data: operations::rewrites::ResponseData = serde_json::from_value(wire.clone()).unwrap();
    let events = convert::rewrites(data);
    assert_eq!(events[0].reason.as_deref(), Some("done"));
    assert_eq!(events[0].view_digest, "v6");
    assert!(events[0].receipt.is_none());
    let receipt = events[1]
        .receipt
        .as_ref()
        .expect("a COLLAPSE event has a receipt");
    assert!(!receipt.committed);
    assert_eq!(receipt.conflicts.len(), 4);
    assert_eq!(serde_json::to_value(&events).unwrap(), wire["rewrites"]);
    // The other event-returning operations share the conversion.
    let data: operations::watch_events::ResponseData =
        serde_json::from_value(json!({"events": wire["rewrites"][1]})).unwrap();
    assert_eq!(convert::watched_event(data), events[1]);
}

// ---- graphql-transport-ws -------------------------------------------------------------------

type Data = BTreeMap<String, Value>;

#[test]
fn next_yields_data_and_complete_ends() {
    let next = json!({"id": "1", "type": "next", "payload": {"data": {"events": {"idx": "1"}}}});
    let step = on_text::<Data>(&next.to_string(), "1");
    assert!(
        matches!(&step, Step::Item(data) if data["events"]["idx"] == "1"),
        "{step:?}"
    );
    let complete = json!({"id": "1", "type": "complete"}).to_string();
    assert!(matches!(on_text::<Data>(&complete, "1"), Step::End));
}

#[test]
fn an_error_message_or_a_next_with_errors_fails_with_the_server_error() {
    let lagging = json!({"id": "1", "type": "error", "payload": [{"message":
        "fell behind after idx 41", "extensions": {"code": "LIMIT_EXCEEDED", "lastIdx": "41"}}]});
    let step = on_text::<Data>(&lagging.to_string(), "1");
    assert!(
        matches!(&step, Step::Fail(Error::Server(error))
            if error.code == ErrorCode::LimitExceeded && error.extensions["lastIdx"] == "41"),
        "{step:?}"
    );
    let next_error = json!({"id": "1", "type": "next", "payload": {"errors": [{"message": "m",
        "extensions": {"code": "NOT_FOUND", "field": "view.swsId"}}]}});
    let step = on_text::<Data>(&next_error.to_string(), "1");
    assert!(
        matches!(&step, Step::Fail(Error::Server(error))
            if error.code == ErrorCode::NotFound
                && error.field.as_deref() == Some("view.swsId")),
        "{step:?}"
    );
    let empty = json!({"id": "1", "type": "error", "payload": []}).to_string();
    assert!(matches!(
        on_text::<Data>(&empty, "1"),
        Step::Fail(Error::Protocol(_))
    ));
}

#[test]
fn pings_are_answered_and_foreign_messages_skipped() {
    let step = on_text::<Data>(r#"{"type": "ping", "payload": {"x": 1}}"#, "1");
    assert!(
        matches!(&step, Step::Reply(reply) if serde_json::from_str::<Value>(reply).unwrap()
            == json!({"type": "pong"})),
        "{step:?}"
    );
    for skipped in [
        json!({"type": "pong"}),
        json!({"type": "connection_ack"}),
        json!({"id": "2", "type": "complete"}),
        json!({"id": "2", "type": "next", "payload": {"data": {}}}),
    ] {
        let step = on_text::<Data>(&skipped.to_string(), "1");
        assert!(matches!(step, Step::Skip), "{skipped}: {step:?}");
    }
    for broken in ["{}", "nope", r#"{"type": "next", "id": "1"}"#] {
        let step = on_text::<Data>(broken, "1");
        assert!(matches!(step, Step::Fail(Error::Protocol(_))), "{broken}");
    }
}

#[test]
fn client_messages_follow_the_protocol() {
    let init: Value = serde_json::from_str(&connection_init_message()).unwrap();
    assert_eq!(init, json!({"type": "connection_init"}));
    let subscribe: Value =
        serde_json::from_str(&subscribe_message("1", &json!({"query": "q"}))).unwrap();
    assert_eq!(
        subscribe,
        json!({"id": "1", "type": "subscribe", "payload": {"query": "q"}})
    );
}

// ---- paging ---------------------------------------------------------------------------------

fn event_at(idx: u64) -> RewriteEvent {
    RewriteEvent {
        id: format!("e{idx}"),
        idx: U64(idx),
        kind: EventKind::RewriteApplied,
        view: ViewRefOut {
            kind: ViewKind::Sws,
            sws_id: Some("0".into()),
            snapshot_id: None,
        },
        ops: vec![],
        meta: None,
        reason: None,
        view_digest: "d".into(),
        receipt: None,
    }
}

/// Serves `idxs` as an idx-cursored list, recording every `after` asked for.
fn serve_idxs(idxs: &[u64], page: &Page, asked: &mut Vec<Option<String>>) -> Vec<RewriteEvent> {
    asked.push(page.after.clone());
    let after: Option<u64> = page.after.as_deref().map(|a| a.parse().unwrap());
    let first = usize::try_from(page.first.unwrap()).unwrap();
    idxs.iter()
        .filter(|idx| after.is_none_or(|after| **idx > after))
        .take(first)
        .map(|idx| event_at(*idx))
        .collect()
}

fn run<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

#[test]
fn idx_paging_follows_the_last_idx_until_a_short_page() {
    let idxs = [0, 2, 3, 7, 9];
    let mut asked = Vec::new();
    let all = run(follow_idx(&Page::first(2), async |page| {
        Ok(serve_idxs(&idxs, &page, &mut asked))
    }))
    .unwrap();
    let got: Vec<u64> = all.iter().map(|event| event.idx.0).collect();
    assert_eq!(got, idxs);
    assert_eq!(asked, [None, Some("2".into()), Some("7".into())]);

    // A list that ends on a full page takes one more, empty, request.
    let mut asked = Vec::new();
    let all = run(follow_idx(&Page::first(2).after("0"), async |page| {
        Ok(serve_idxs(&idxs[..3], &page, &mut asked))
    }))
    .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(asked, [Some("0".into()), Some("3".into())]);
}

#[test]
fn idx_paging_rejects_a_list_that_does_not_ascend() {
    let result = run(follow_idx(&Page::first(2), async |page| {
        Ok(match page.after {
            None => vec![event_at(4), event_at(5)],
            Some(_) => vec![event_at(5)],
        })
    }));
    assert!(matches!(result, Err(Error::Protocol(_))), "{result:?}");
}

/// A fake graph server: one snapshot `s1` of `n_nodes` nodes and `n_edges` edges.
struct FakeGraph {
    n_nodes: usize,
    n_edges: usize,
    views: Vec<ViewRef>,
}

impl FakeGraph {
    fn page<T>(items: Vec<T>, id: impl Fn(&T) -> String, page: &Page) -> (Vec<T>, PageInfo) {
        let first = usize::try_from(page.first.unwrap_or(200)).unwrap();
        let after = page.after.clone();
        let mut rest: Vec<T> = items
            .into_iter()
            .filter(|item| after.as_ref().is_none_or(|after| id(item) > *after))
            .collect();
        let has_next_page = rest.len() > first;
        rest.truncate(first);
        let end_cursor = rest.last().map(&id);
        (
            rest,
            PageInfo {
                end_cursor,
                has_next_page,
            },
        )
    }

    fn serve(&mut self, view: &ViewRef, nodes: &Page, edges: &Page) -> GraphSnapshot {
        self.views.push(view.clone());
        let all_nodes = (0..self.n_nodes).map(|i| Node {
            id: format!("{i:064x}"),
            kind: "k".into(),
            data: json!({}),
            payload_b64: String::new(),
        });
        let all_edges = (0..self.n_edges).map(|i| Edge {
            id: format!("{i:064x}"),
            kind: "e".into(),
            from: String::new(),
            to: String::new(),
            data: None,
        });
        let (nodes, nodes_info) = Self::page(all_nodes.collect(), |n| n.id.clone(), nodes);
        let (edges, edges_info) = Self::page(all_edges.collect(), |e| e.id.clone(), edges);
        GraphSnapshot {
            view: ViewRefOut {
                kind: ViewKind::System,
                sws_id: None,
                snapshot_id: None,
            },
            digest: "d".into(),
            commit_digest: "c".into(),
            snapshot_id: Some("s1".into()),
            nodes: NodePage {
                nodes,
                page_info: nodes_info,
            },
            edges: EdgePage {
                edges,
                page_info: edges_info,
            },
        }
    }
}

#[test]
fn graph_paging_pins_every_later_page_to_the_first_snapshot() {
    let mut fake = FakeGraph {
        n_nodes: 7,
        n_edges: 2,
        views: Vec::new(),
    };
    let view = ViewRef::as_of(View::Sws(1), 5);
    let listing = run(follow_graph(
        &view,
        &Page::first(3),
        &Page::first(3),
        async |v, n, e| Ok(fake.serve(v, &n, &e)),
    ))
    .unwrap();
    let node_ids: Vec<String> = listing.nodes.nodes.iter().map(|n| n.id.clone()).collect();
    let expected: Vec<String> = (0..7).map(|i| format!("{i:064x}")).collect();
    assert_eq!(node_ids, expected);
    assert_eq!(listing.edges.edges.len(), 2);
    assert!(!listing.nodes.page_info.has_next_page);
    assert_eq!(fake.views.len(), 3, "{:?}", fake.views);
    assert_eq!(fake.views[0], view);
    for later in &fake.views[1..] {
        assert_eq!(later.view, View::Sws(1));
        assert_eq!(later.pin, Pin::Snapshot("s1".into()));
    }
}

#[test]
fn graph_paging_needs_a_snapshot_id_and_a_stable_digest() {
    let mut fake = FakeGraph {
        n_nodes: 3,
        n_edges: 0,
        views: Vec::new(),
    };
    let view = ViewRef::live(View::System);
    let unpinnable = run(follow_graph(
        &view,
        &Page::first(1),
        &Page::first(1),
        async |v, n, e| {
            let mut page = fake.serve(v, &n, &e);
            page.snapshot_id = None;
            Ok(page)
        },
    ));
    assert!(
        matches!(unpinnable, Err(Error::Protocol(_))),
        "{unpinnable:?}"
    );

    let mut n_calls = 0;
    let drifting = run(follow_graph(
        &view,
        &Page::first(1),
        &Page::first(1),
        async |v, n, e| {
            let mut page = fake.serve(v, &n, &e);
            n_calls += 1;
            page.digest = format!("d{n_calls}");
            Ok(page)
        },
    ));
    assert!(matches!(drifting, Err(Error::Protocol(_))), "{drifting:?}");

    let stuck = run(follow_graph(
        &view,
        &Page::first(1),
        &Page::first(1),
        async |v, _n, e| Ok(fake.serve(v, &Page::first(1), &e)),
    ));
    assert!(matches!(stuck, Err(Error::Protocol(_))), "{stuck:?}");
}

/// A fake diff server: `n_nodes` node changes and `n_edges` edge changes between snapshots
/// `s0` and `s1`, alternating ADDED and REMOVED; records every pair of pages asked for.
struct FakeDiff {
    n_nodes: usize,
    n_edges: usize,
    asked: Vec<(Page, Page)>,
}

impl FakeDiff {
    fn serve(&mut self, nodes: &Page, edges: &Page) -> GraphDiff {
        self.asked.push((nodes.clone(), edges.clone()));
        let change = |i: usize| {
            if i.is_multiple_of(2) {
                ChangeKind::Added
            } else {
                ChangeKind::Removed
            }
        };
        let all_nodes = (0..self.n_nodes).map(|i| NodeChange {
            change: change(i),
            node: Node {
                id: format!("{i:064x}"),
                kind: "k".into(),
                data: json!({}),
                payload_b64: String::new(),
            },
        });
        let all_edges = (0..self.n_edges).map(|i| EdgeChange {
            change: change(i),
            edge: Edge {
                id: format!("{i:064x}"),
                kind: "e".into(),
                from: String::new(),
                to: String::new(),
                data: None,
            },
        });
        let (nodes, nodes_info) =
            FakeGraph::page(all_nodes.collect(), |c| c.node.id.clone(), nodes);
        let (edges, edges_info) =
            FakeGraph::page(all_edges.collect(), |c| c.edge.id.clone(), edges);
        let view = ViewRefOut {
            kind: ViewKind::System,
            sws_id: None,
            snapshot_id: None,
        };
        GraphDiff {
            from: view.clone(),
            to: view,
            from_snapshot_id: "s0".into(),
            to_snapshot_id: "s1".into(),
            nodes: NodeChangePage {
                changes: nodes,
                page_info: nodes_info,
            },
            edges: EdgeChangePage {
                changes: edges,
                page_info: edges_info,
            },
        }
    }
}

#[test]
fn diff_paging_follows_both_cursors_to_the_end() {
    let mut fake = FakeDiff {
        n_nodes: 5,
        n_edges: 2,
        asked: Vec::new(),
    };
    let diff = run(follow_diff(2, async |n, e| Ok(fake.serve(&n, &e)))).unwrap();
    let node_ids: Vec<String> = diff
        .nodes
        .changes
        .iter()
        .map(|c| c.node.id.clone())
        .collect();
    let expected: Vec<String> = (0..5).map(|i| format!("{i:064x}")).collect();
    assert_eq!(node_ids, expected);
    assert_eq!(diff.edges.changes.len(), 2);
    assert_eq!(diff.nodes.changes[1].change, ChangeKind::Removed);
    assert!(!diff.nodes.page_info.has_next_page);
    assert!(!diff.edges.page_info.has_next_page);
    // Three rounds: nodes 0-1 and edges 0-1, nodes 2-3, nodes 4; the edge list, finished after
    // the first round, is only asked one item past its end.
    assert_eq!(fake.asked.len(), 3, "{:?}", fake.asked);
    assert_eq!(fake.asked[0], (Page::first(2), Page::first(2)));
    assert_eq!(fake.asked[1].0, Page::first(2).after(format!("{:064x}", 1)));
    assert_eq!(fake.asked[1].1, Page::first(1).after(format!("{:064x}", 1)));
    assert_eq!(fake.asked[2].0, Page::first(2).after(format!("{:064x}", 3)));

    let mut empty = FakeDiff {
        n_nodes: 0,
        n_edges: 0,
        asked: Vec::new(),
    };
    let diff = run(follow_diff(2, async |n, e| Ok(empty.serve(&n, &e)))).unwrap();
    assert!(diff.nodes.changes.is_empty() && diff.edges.changes.is_empty());
    assert_eq!(empty.asked.len(), 1);
}

#[test]
fn diff_paging_fails_when_a_view_moves_or_a_cursor_sticks() {
    let mut fake = FakeDiff {
        n_nodes: 3,
        n_edges: 0,
        asked: Vec::new(),
    };
    let mut n_calls = 0;
    let moving = run(follow_diff(1, async |n, e| {
        let mut page = fake.serve(&n, &e);
        n_calls += 1;
        page.to_snapshot_id = format!("s{n_calls}");
        Ok(page)
    }));
    assert!(
        matches!(&moving, Err(Error::Protocol(message)) if message.contains("pin")),
        "{moving:?}"
    );

    let stuck = run(follow_diff(1, async |_n, e| {
        Ok(fake.serve(&Page::first(1), &e))
    }));
    assert!(matches!(stuck, Err(Error::Protocol(_))), "{stuck:?}");

    let descending = run(follow_diff(3, async |n, e| {
        let mut page = fake.serve(&n, &e);
        page.nodes.changes.reverse();
        Ok(page)
    }));
    assert!(
        matches!(descending, Err(Error::Protocol(_))),
        "{descending:?}"
    );
}

// ---- the operations document ----------------------------------------------------------------

/// graphql_client checks selected fields and variable types, not argument names. This checks
/// that every argument an operation passes exists on its field in the schema.
#[test]
fn every_argument_of_every_operation_exists_in_the_schema() {
    use graphql_parser::query::{
        Definition, OperationDefinition, Selection, SelectionSet, TypeCondition,
    };
    use graphql_parser::schema::{self, Type, TypeDefinition};

    let schema_text = include_str!("../../../schema/jitos.graphql");
    let schema = schema::parse_schema::<String>(schema_text).unwrap();
    // Type name -> field name -> (argument names, type name of the field).
    let mut fields: BTreeMap<String, BTreeMap<String, (Vec<String>, String)>> = BTreeMap::new();
    for definition in schema.definitions {
        if let schema::Definition::TypeDefinition(TypeDefinition::Object(object)) = definition {
            let of_type = object.fields.into_iter().map(|field| {
                let mut field_type = field.field_type;
                let name = loop {
                    match field_type {
                        Type::NamedType(name) => break name,
                        Type::ListType(inner) | Type::NonNullType(inner) => field_type = *inner,
                    }
                };
                let arguments = field.arguments.into_iter().map(|a| a.name).collect();
                (field.name, (arguments, name))
            });
            fields.insert(object.name, of_type.collect());
        }
    }

    fn check(
        fields: &BTreeMap<String, BTreeMap<String, (Vec<String>, String)>>,
        on: &str,
        set: &SelectionSet<'_, String>,
        n_checked: &mut usize,
    ) {
        for selection in &set.items {
            let field = match selection {
                Selection::Field(field) => field,
                // The fragment's own definition is checked where it is defined.
                Selection::FragmentSpread(_) => continue,
                Selection::InlineFragment(_) => panic!("operations use no inline fragment"),
            };
            let (arguments, field_type) = &fields[on][&field.name];
            for (argument, _) in &field.arguments {
                assert!(
                    arguments.contains(argument),
                    "{on}.{}({argument})",
                    field.name
                );
                *n_checked += 1;
            }
            check(fields, field_type, &field.selection_set, n_checked);
        }
    }

    let operations = include_str!("../graphql/operations.graphql");
    let document = graphql_parser::parse_query::<String>(operations).unwrap();
    let mut n_checked = 0;
    for definition in &document.definitions {
        let (root, set) = match definition {
            Definition::Operation(OperationDefinition::Query(q)) => ("Query", &q.selection_set),
            Definition::Operation(OperationDefinition::Mutation(m)) => {
                ("Mutation", &m.selection_set)
            }
            Definition::Operation(OperationDefinition::Subscription(s)) => {
                ("Subscription", &s.selection_set)
            }
            Definition::Fragment(fragment) => {
                let TypeCondition::On(on) = &fragment.type_condition;
                (on.as_str(), &fragment.selection_set)
            }
            other => panic!("unexpected definition {other:?}"),
        };
        check(&fields, root, set, &mut n_checked);
    }
    assert!(n_checked >= 20, "only {n_checked} arguments checked");
}
