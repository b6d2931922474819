//! The M1 surface through the resolver traits: the roadmap's smoke sequence, every error row of
//! the M1 mapping, and byte-identical results across fresh kernels.

use jitos_kernel::{Kernel, rule_pack_id};
use jitos_schema::resolvers::{Mutation as _, Query as _};
use jitos_schema::{ErrorCode, Parse as _};
use serde_json::json;

use crate::support::{args, assert_error, kernel};

/// The digest of the empty graph (GraphRootV1 of two empty trees).
fn h0() -> [u8; 32] {
    let mut preimage = b"jitos:graph-root:v1".to_vec();
    preimage.extend([0u8; 64]);
    *blake3::hash(&preimage).as_bytes()
}

async fn add_node(
    kernel: &Kernel,
    sws: &str,
    kind: &str,
    payload_b64: &str,
) -> jitos_schema::outputs::ApplyRewritePayload {
    let raw = json!({
        "view": { "kind": "SWS", "swsId": sws },
        "rewrite": { "ops": [{ "op": "AddNode", "data": { "kind": kind, "payload_b64": payload_b64 } }] },
    });
    kernel
        .apply_rewrite(args(raw))
        .await
        .expect("AddNode is accepted")
}

async fn digest(kernel: &Kernel, view: serde_json::Value) -> [u8; 32] {
    kernel
        .graph(args(json!({ "view": view })))
        .await
        .expect("the view exists")
        .digest
}

#[tokio::test]
async fn smoke_sequence_of_the_roadmap() {
    let kernel = kernel();
    assert_eq!(digest(&kernel, json!({ "kind": "SYSTEM" })).await, h0());
    let created = kernel.create_sws(args(json!({}))).await.expect("createSws");
    assert_eq!(created.sws.id, "0");
    assert_eq!(created.sws.state, "ACTIVE");
    let applied = add_node(&kernel, "0", "demo", "aGVsbG8=").await;
    assert!(applied.accepted);
    assert_eq!(applied.receipt.rewrite_idx, 1);
    assert!(applied.tick_receipt.is_none());
    let sws_digest = digest(&kernel, json!({ "kind": "SWS", "swsId": "0" })).await;
    assert_ne!(sws_digest, h0());
    assert_eq!(sws_digest, applied.receipt.view_digest);
    assert_eq!(digest(&kernel, json!({ "kind": "SYSTEM" })).await, h0());
    let rewrites = kernel
        .rewrites(args(
            json!({ "view": { "kind": "SWS", "swsId": "0" }, "page": { "first": 100 } }),
        ))
        .await
        .expect("rewrites");
    let idxs: Vec<u64> = rewrites.iter().map(|event| event.idx).collect();
    assert_eq!(idxs, [0, 1]);
    assert_eq!(
        rewrites[1].ops,
        [json!({ "op": "AddNode", "data": { "kind": "demo", "payload_b64": "aGVsbG8=" } })]
    );
}

#[tokio::test]
async fn sws_ids_are_sequential_and_listed_in_order() {
    let kernel = kernel();
    for expected in ["0", "1", "2"] {
        assert_eq!(
            kernel
                .create_sws(args(json!({})))
                .await
                .expect("createSws")
                .sws
                .id,
            expected
        );
    }
    kernel
        .discard_sws(args(json!({ "input": { "swsId": "1", "reason": "done" } })))
        .await
        .expect("discard");
    let listed = kernel.list_sws(args(json!({}))).await.expect("listSws");
    let states: Vec<(&str, &str)> = listed
        .iter()
        .map(|s| (s.id.as_str(), s.state.as_str()))
        .collect();
    assert_eq!(
        states,
        [("0", "ACTIVE"), ("1", "DISCARDED"), ("2", "ACTIVE")]
    );
    let events = kernel.events(args(json!({}))).await.expect("events");
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["SWS_CREATE", "SWS_CREATE", "SWS_CREATE", "DISCARD"]);
}

#[tokio::test]
async fn the_same_content_has_the_same_node_id_in_every_sws() {
    let kernel = kernel();
    kernel.create_sws(args(json!({}))).await.expect("createSws");
    kernel.create_sws(args(json!({}))).await.expect("createSws");
    let first = add_node(&kernel, "0", "demo", "aGVsbG8=").await;
    let second = add_node(&kernel, "1", "demo", "aGVsbG8=").await;
    assert_eq!(first.receipt.view_digest, second.receipt.view_digest);
    let graph = kernel
        .graph(args(json!({ "view": { "kind": "SWS", "swsId": "1" } })))
        .await
        .expect("graph");
    let expected = jitos_core::node_id("demo", b"hello").to_string();
    assert_eq!(graph.nodes.nodes[0].id, expected);
    assert_eq!(graph.nodes.nodes[0].payload_b64, "aGVsbG8=");
    // Adding it again is accepted and recorded, and leaves the digest unchanged.
    let again = add_node(&kernel, "1", "demo", "aGVsbG8=").await;
    assert_eq!(again.receipt.view_digest, second.receipt.view_digest);
    assert_eq!(again.receipt.rewrite_idx, 4);
}

/// Every refused request: its code, its field, and no trace in the log or any digest.
#[tokio::test]
#[allow(
    clippy::too_many_lines,
    reason = "a table of error rows, one call each"
)]
async fn error_rows_of_the_m1_mapping_leave_no_trace() {
    let kernel = kernel();
    kernel.create_sws(args(json!({}))).await.expect("createSws");
    kernel.create_sws(args(json!({}))).await.expect("createSws");
    kernel
        .discard_sws(args(json!({ "input": { "swsId": "1" } })))
        .await
        .expect("discard");
    let before = kernel.snapshot();
    let rewrite =
        json!({ "ops": [{ "op": "AddNode", "data": { "kind": "k", "payload_b64": "" } }] });
    let apply = |view: serde_json::Value, rewrite: serde_json::Value| {
        kernel.apply_rewrite(args(json!({ "view": view, "rewrite": rewrite })))
    };
    assert_error(
        apply(json!({ "kind": "SYSTEM" }), rewrite.clone()).await,
        ErrorCode::InvalidInput,
        "view.kind",
    );
    assert_error(
        apply(json!({ "kind": "SYSTEM", "swsId": "0" }), rewrite.clone()).await,
        ErrorCode::InvalidInput,
        "view.swsId",
    );
    assert_error(
        apply(json!({ "kind": "SWS" }), rewrite.clone()).await,
        ErrorCode::InvalidInput,
        "view.swsId",
    );
    assert_error(
        apply(json!({ "kind": "SWS", "swsId": "9" }), rewrite.clone()).await,
        ErrorCode::NotFound,
        "view.swsId",
    );
    assert_error(
        apply(
            json!({ "kind": "SWS", "swsId": "18446744073709551616" }),
            rewrite.clone(),
        )
        .await,
        ErrorCode::InvalidInput,
        "view.swsId",
    );
    assert_error(
        apply(json!({ "kind": "SWS", "swsId": "1" }), rewrite.clone()).await,
        ErrorCode::Conflict,
        "view.swsId",
    );
    assert_error(
        apply(
            json!({ "kind": "SWS", "swsId": "0", "asOf": 0 }),
            rewrite.clone(),
        )
        .await,
        ErrorCode::InvalidInput,
        "view.asOf",
    );
    let sws0 = json!({ "kind": "SWS", "swsId": "0" });
    let op = |op: serde_json::Value| json!({ "ops": [op] });
    assert_error(
        apply(sws0.clone(), op(json!({ "op": "Frobnicate", "data": {} }))).await,
        ErrorCode::NotImplemented,
        "rewrite.ops[0].op",
    );
    assert_error(
        apply(sws0.clone(), op(json!({ "op": "AddEdge", "data": {} }))).await,
        ErrorCode::InvalidInput,
        "rewrite.ops[0].data.from",
    );
    assert_error(
        apply(
            sws0.clone(),
            op(json!({ "op": "AddNode", "data": { "kind": "k", "payload_b64": "", "x": 1 } })),
        )
        .await,
        ErrorCode::InvalidInput,
        "rewrite.ops[0].data.x",
    );
    assert_error(
        apply(
            sws0.clone(),
            op(json!({ "op": "AddNode", "data": { "kind": "a b", "payload_b64": "" } })),
        )
        .await,
        ErrorCode::InvalidInput,
        "rewrite.ops[0].data.kind",
    );
    assert_error(
        apply(
            sws0.clone(),
            op(json!({ "op": "AddNode", "data": { "kind": "k", "payload_b64": "!!" } })),
        )
        .await,
        ErrorCode::InvalidInput,
        "rewrite.ops[0].data.payload_b64",
    );
    assert_error(
        apply(sws0.clone(), op(json!(["AddNode"]))).await,
        ErrorCode::InvalidInput,
        "rewrite.ops[0]",
    );
    // One bad op refuses the whole rewrite, at the bad op's index.
    let missing = "0".repeat(64);
    let second_bad = json!({ "ops": [
        rewrite["ops"][0].clone(),
        { "op": "RemoveNode", "data": { "id": missing } },
    ] });
    assert_error(
        apply(sws0.clone(), second_bad).await,
        ErrorCode::NotFound,
        "rewrite.ops[1].data.id",
    );
    assert_error(
        kernel
            .discard_sws(args(json!({ "input": { "swsId": "1" } })))
            .await,
        ErrorCode::Conflict,
        "input.swsId",
    );
    assert_error(
        kernel
            .discard_sws(args(json!({ "input": { "swsId": "5" } })))
            .await,
        ErrorCode::NotFound,
        "input.swsId",
    );
    assert_error(
        kernel
            .graph(args(json!({ "view": { "kind": "SWS", "swsId": "7" } })))
            .await,
        ErrorCode::NotFound,
        "view.swsId",
    );
    assert_error(
        kernel
            .events(args(json!({ "page": { "first": 5, "after": "03" } })))
            .await,
        ErrorCode::InvalidInput,
        "page.after",
    );
    assert_error(
        kernel
            .node(args(json!({
                "view": { "kind": "SYSTEM", "snapshotId": "ab".repeat(32) },
                "id": "cd".repeat(32),
            })))
            .await,
        ErrorCode::NotFound,
        "view.snapshotId",
    );
    let after = kernel.snapshot();
    assert_eq!(after.events().len(), before.events().len());
    assert_eq!(after.system().digest(), before.system().digest());
    for (old, new) in before.all_sws().zip(after.all_sws()) {
        let view = jitos_kernel::ViewKey::Sws(old.id);
        let digest =
            |state: &jitos_kernel::State| state.graph(view, "view").expect("graph").digest();
        assert_eq!(digest(&before), digest(&after));
        assert_eq!(old.state, new.state);
    }
}

#[tokio::test]
async fn kernel_info_reports_the_pins() {
    let info = kernel().kernel_info().await.expect("kernelInfo");
    assert_eq!(info.rule_pack_id, Some(*rule_pack_id().as_bytes()));
    assert_eq!(info.policy_id, Some(0));
    assert!(info.version.contains("jitos-kernel"));
}

/// Contract §5: with several faults, the view decides before the page and the ops, even when
/// the later faults are format faults caught by the generated validators.
#[tokio::test]
async fn an_unknown_view_outranks_later_format_faults() {
    use jitos_schema::resolvers::ArgumentErrors as _;
    let kernel = kernel();
    let raw = json!({ "view": { "kind": "SWS", "swsId": "4" }, "page": { "first": 0 } });
    let errors = jitos_schema::inputs::QueryRewritesArgs::validate(&raw)
        .expect_err("page.first 0 is invalid");
    assert_eq!(errors.first().map(|e| e.path.as_str()), Some("page.first"));
    let error = kernel.argument_errors("Query.rewrites", &raw, errors.clone());
    assert_eq!(
        (error.code, error.field.as_deref()),
        (ErrorCode::NotFound, Some("view.swsId"))
    );
    kernel.create_sws(args(json!({}))).await.expect("createSws");
    let known = json!({ "view": { "kind": "SWS", "swsId": "0" }, "page": { "first": 0 } });
    let error = kernel.argument_errors("Query.rewrites", &known, errors);
    assert_eq!(
        (error.code, error.field.as_deref()),
        (ErrorCode::InvalidInput, Some("page.first"))
    );
}
