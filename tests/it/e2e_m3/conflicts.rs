//! One aborted collapse per conflict kind of `docs/spec/collapse.md`, each built over HTTP from
//! the kernel's own scenarios: the exact conflict list (kind, ids, subjects, changes, in the
//! documented order), System and the SWS left where they were, `commitStatus` ABORTED, and the
//! aborted COLLAPSE event recorded with its receipt.
//!
//! # Invariants
//! - The expected conflicts are built from ids computed on the test side.

use super::{
    add_demo, add_link, collapse, conflict, create_sws, demo, edge_end_removed,
    expect_aborted_collapse, link, seed_system,
};
use crate::daemon::Daemon;
use crate::e2e_m2::{apply, remove_edge, remove_node};

#[tokio::test]
async fn an_edge_to_a_node_system_removed_aborts_with_edge_end_removed() {
    let daemon = Daemon::start();
    let (sws, expected) = edge_end_removed(&daemon).await;
    expect_aborted_collapse(&daemon, sws, &[expected]).await;
    // The abort is history, not a lock: the SWS can still be written.
    apply(&daemon, sws, &[add_demo(9)]).await;
    daemon.stop();
}

#[tokio::test]
async fn removing_a_node_under_a_new_system_edge_aborts_with_node_removal_under_new_edge() {
    let daemon = Daemon::start();
    seed_system(&daemon, &[add_demo(1)]).await;
    let (remover, linker) = (create_sws(&daemon).await, create_sws(&daemon).await);
    apply(&daemon, linker, &[add_link(1, 1)]).await;
    apply(&daemon, remover, &[remove_node(&demo(1))]).await;
    assert_eq!(collapse(&daemon, linker).await["committed"], true);
    let expected = conflict(
        "NODE_REMOVAL_UNDER_NEW_EDGE",
        (&demo(1), "NODE"),
        (&link(1, 1), "EDGE"),
    );
    expect_aborted_collapse(&daemon, remover, &[expected]).await;
    daemon.stop();
}

#[tokio::test]
async fn removing_what_system_already_removed_aborts_with_already_removed_for_each_item() {
    let daemon = Daemon::start();
    seed_system(&daemon, &[add_demo(2), add_demo(3), add_link(2, 3)]).await;
    let (first, second) = (create_sws(&daemon).await, create_sws(&daemon).await);
    let removals = [remove_edge(&link(2, 3)), remove_node(&demo(2))];
    apply(&daemon, first, &removals).await;
    apply(&daemon, second, &removals).await;
    assert_eq!(collapse(&daemon, first).await["committed"], true);
    // Two conflicts of one kind: listed by id (hex order is byte order).
    let mut expected = vec![
        conflict(
            "ALREADY_REMOVED",
            (&link(2, 3), "EDGE"),
            (&link(2, 3), "EDGE"),
        ),
        conflict("ALREADY_REMOVED", (&demo(2), "NODE"), (&demo(2), "NODE")),
    ];
    expected.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    expect_aborted_collapse(&daemon, second, &expected).await;
    daemon.stop();
}

#[tokio::test]
async fn conflicts_of_several_kinds_are_listed_in_the_table_order() {
    let daemon = Daemon::start();
    // System: demo(0), demo(1), link(0, 1). The late SWS removes link(0, 1) and demo(1), and adds
    // demo(2) with link(2, 0); meanwhile System lost link(0, 1) and demo(0) and gained
    // link(1, 1).
    seed_system(&daemon, &[add_demo(0), add_demo(1), add_link(0, 1)]).await;
    let (late, early) = (create_sws(&daemon).await, create_sws(&daemon).await);
    let late_ops = [
        remove_edge(&link(0, 1)),
        remove_node(&demo(1)),
        add_demo(2),
        add_link(2, 0),
    ];
    apply(&daemon, late, &late_ops).await;
    let early_ops = [
        remove_edge(&link(0, 1)),
        remove_node(&demo(0)),
        add_link(1, 1),
    ];
    apply(&daemon, early, &early_ops).await;
    assert_eq!(collapse(&daemon, early).await["committed"], true);
    let expected = [
        conflict(
            "EDGE_END_REMOVED",
            (&link(2, 0), "EDGE"),
            (&demo(0), "NODE"),
        ),
        conflict(
            "NODE_REMOVAL_UNDER_NEW_EDGE",
            (&demo(1), "NODE"),
            (&link(1, 1), "EDGE"),
        ),
        conflict(
            "ALREADY_REMOVED",
            (&link(0, 1), "EDGE"),
            (&link(0, 1), "EDGE"),
        ),
    ];
    expect_aborted_collapse(&daemon, late, &expected).await;
    daemon.stop();
}
