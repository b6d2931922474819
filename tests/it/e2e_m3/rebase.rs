//! `rebaseSws` over HTTP: refused on a conflict (nothing moves, the refusal is recorded with its
//! receipt), then, once the offending edge is removed, committed (the SWS's base becomes current
//! System and its view System plus the overlay), after which the collapse commits.
//!
//! # Invariants
//! - Expected graph content comes from ids computed here, never from the daemon.

use serde_json::{Value, json};

use super::{
    collapse, demo, edge_end_removed, expect_recorded, link, rebase, sws_digest, sws_record, system,
};
use crate::daemon::Daemon;
use crate::e2e_m2::{apply, event_count, graph_ids, remove_edge, sorted_hex, u64_of};

/// Rebases SWS `sws`, which must be refused with exactly `expected` and change nothing but
/// the log; returns System and the SWS's record as they stand.
async fn expect_refused_rebase(daemon: &Daemon, sws: u64, expected: &Value) -> (Value, Value) {
    let (system_before, record_before) = (system(daemon).await, sws_record(daemon, sws).await);
    let digest_before = sws_digest(daemon, sws).await;
    let idx = event_count(daemon).await;

    let refused = rebase(daemon, sws).await;
    let receipt = &refused["receipt"];
    assert_eq!(refused["rebased"], false, "{refused}");
    assert_eq!(receipt["committed"], false, "{refused}");
    assert_eq!(receipt["kind"], "REBASE", "{refused}");
    assert_eq!(receipt["conflicts"], json!([expected]), "{refused}");
    assert_eq!(u64_of(&receipt["eventIdx"]), idx);
    assert_eq!(refused["digest"], digest_before.as_str());
    assert_eq!(refused["sws"]["state"], "ACTIVE");
    assert_eq!(
        refused["sws"]["parentSnapshotId"],
        record_before["parentSnapshotId"]
    );
    assert_eq!(system(daemon).await, system_before, "System moved");
    assert_eq!(
        sws_record(daemon, sws).await,
        record_before,
        "the SWS moved"
    );
    assert_eq!(sws_digest(daemon, sws).await, digest_before);
    assert_eq!(
        event_count(daemon).await,
        idx + 1,
        "the refusal is recorded"
    );
    expect_recorded(daemon, sws, receipt).await;
    (system_before, record_before)
}

#[tokio::test]
async fn a_refused_rebase_changes_nothing_and_a_resolved_one_lets_the_collapse_commit() {
    let daemon = Daemon::start();
    let (sws, expected) = edge_end_removed(&daemon).await;
    let (system_before, record_before) = expect_refused_rebase(&daemon, sws, &expected).await;

    // Resolve: drop the edge to the node System removed; the rebase then commits.
    apply(&daemon, sws, &[remove_edge(&link(0, 1))]).await;
    let rebased = rebase(&daemon, sws).await;
    let receipt = &rebased["receipt"];
    assert_eq!(rebased["rebased"], true, "{rebased}");
    assert_eq!(receipt["committed"], true, "{rebased}");
    assert_eq!(receipt["conflicts"], json!([]), "{rebased}");
    assert_eq!(receipt["nodesAdded"], 1, "{rebased}");
    assert_eq!(receipt["baseSnapshotId"], record_before["parentSnapshotId"]);
    let now = system(&daemon).await;
    assert_eq!(now, system_before, "a rebase never moves System");
    assert_eq!(
        rebased["sws"]["parentSnapshotId"], now["snapshotId"],
        "{rebased}"
    );
    assert_ne!(
        rebased["sws"]["parentSnapshotId"],
        record_before["parentSnapshotId"]
    );
    assert_eq!(
        sws_record(&daemon, sws).await["parentSnapshotId"],
        now["snapshotId"]
    );
    assert_eq!(rebased["digest"], sws_digest(&daemon, sws).await.as_str());
    assert_eq!(receipt["viewDigest"], rebased["digest"]);
    let sws_view = format!(r#"{{kind: SWS, swsId: "{sws}"}}"#);
    let (nodes, edges) = graph_ids(&daemon, &sws_view).await;
    assert_eq!(
        nodes,
        sorted_hex(&[demo(1)]),
        "System's removal of demo(0) shows"
    );
    assert!(edges.is_empty(), "{edges:?}");
    expect_recorded(&daemon, sws, receipt).await;

    let collapsed = collapse(&daemon, sws).await;
    assert_eq!(collapsed["committed"], true, "{collapsed}");
    let base = &collapsed["collapseReceipt"]["baseSnapshotId"];
    assert_eq!(base, &rebased["sws"]["parentSnapshotId"]);
    let (nodes, edges) = graph_ids(&daemon, "{kind: SYSTEM}").await;
    assert_eq!(nodes, sorted_hex(&[demo(1)]));
    assert!(edges.is_empty(), "{edges:?}");
    assert_eq!(collapsed["systemDigest"], rebased["digest"]);
    daemon.stop();
}
