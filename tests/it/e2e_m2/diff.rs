//! `diff(from, to)` over HTTP: the nodes and edges added and removed between two views (live,
//! pinned, as of an event), in id order, paged, with each item as the view holding it has it.

use serde_json::{Value, json};

use super::{
    add_edge, add_node, apply, call, create_sws, edge_id, expect_data, expect_refused, node_id,
    remove_node, sws_variable,
};
use crate::daemon::Daemon;

const DIFF: &str =
    "query Diff($from: ViewRefInput!, $to: ViewRefInput!, $first: Int, $after: String) {
    diff(from: $from, to: $to, nodesPage: {first: $first, after: $after}) {
        from { kind swsId snapshotId } to { kind swsId snapshotId }
        fromSnapshotId toSnapshotId
        nodes { changes { change node { id kind payloadB64 } } pageInfo { endCursor hasNextPage } }
        edges { changes { change edge { id from to kind } } pageInfo { endCursor hasNextPage } }
    }
}";

/// Every node change from `from` to `to`, one page of `first` at a time, as `(change, id)`.
async fn all_node_changes(
    daemon: &Daemon,
    from: &Value,
    to: &Value,
    first: u64,
) -> Vec<(String, String)> {
    let mut changes = Vec::new();
    let mut after = Value::Null;
    loop {
        let variables = json!({ "from": from, "to": to, "first": first, "after": after });
        let diff = expect_data(&call(daemon, DIFF, &variables).await)["diff"].clone();
        for change in diff["nodes"]["changes"].as_array().expect("a list") {
            let kind = change["change"].as_str().expect("a change").to_owned();
            changes.push((
                kind,
                change["node"]["id"].as_str().expect("an id").to_owned(),
            ));
        }
        if diff["nodes"]["pageInfo"]["hasNextPage"] == false {
            return changes;
        }
        after = diff["nodes"]["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn diff_lists_what_changed_between_two_moments() {
    let daemon = Daemon::start();
    let sws = create_sws(&daemon).await;
    let (a, b, c) = (node_id("n", b"a"), node_id("n", b"b"), node_id("n", b"c"));
    let before = apply(&daemon, sws, &[add_node("n", b"a"), add_node("n", b"b")]).await;
    apply(
        &daemon,
        sws,
        &[
            remove_node(&a),
            add_node("n", b"c"),
            add_edge(&b, &c, "link", None),
        ],
    )
    .await;
    let pinned = json!({ "kind": "SWS", "swsId": sws.to_string(), "snapshotId": before.digest });
    let live = sws_variable(sws);
    let variables = json!({ "from": pinned, "to": live, "first": 10 });
    let diff = expect_data(&call(&daemon, DIFF, &variables).await)["diff"].clone();
    assert_eq!(diff["fromSnapshotId"], before.digest.as_str());
    assert_eq!(diff["from"]["snapshotId"], before.digest.as_str());
    assert_eq!(
        diff["to"]["snapshotId"],
        Value::Null,
        "a live view is echoed unpinned"
    );
    let mut expected = vec![
        ("REMOVED".to_owned(), a.to_string()),
        ("ADDED".to_owned(), c.to_string()),
    ];
    expected.sort_by(|x, y| x.1.cmp(&y.1));
    assert_eq!(
        all_node_changes(&daemon, &pinned, &live, 10).await,
        expected
    );
    assert_eq!(
        all_node_changes(&daemon, &pinned, &live, 1).await,
        expected,
        "paged one by one"
    );
    let removed = diff["nodes"]["changes"]
        .as_array()
        .and_then(|changes| changes.iter().find(|change| change["change"] == "REMOVED"))
        .expect("a removed node");
    assert_eq!(
        removed["node"]["payloadB64"], "YQ==",
        "a removed node as `from` has it"
    );
    let edges = diff["edges"]["changes"].as_array().expect("a list");
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["change"], "ADDED");
    assert_eq!(
        edges[0]["edge"]["id"],
        edge_id(&b, &c, "link", None).to_string().as_str()
    );
    // The other way round, every change flips; a view against itself has none.
    let back = all_node_changes(&daemon, &live, &pinned, 10).await;
    let flipped: Vec<(String, String)> = expected
        .iter()
        .map(|(change, id)| {
            let other = if change == "ADDED" {
                "REMOVED"
            } else {
                "ADDED"
            };
            (other.to_owned(), id.clone())
        })
        .collect();
    assert_eq!(back, flipped);
    assert!(all_node_changes(&daemon, &live, &live, 10).await.is_empty());
    daemon.stop();
}

#[tokio::test]
async fn diff_refuses_unknown_views_at_their_argument() {
    let daemon = Daemon::start();
    let sws = create_sws(&daemon).await;
    let variables = json!({ "from": sws_variable(sws), "to": sws_variable(9), "first": 10 });
    expect_refused(
        &call(&daemon, DIFF, &variables).await,
        "NOT_FOUND",
        "to.swsId",
    );
    let variables =
        json!({ "from": { "kind": "SYSTEM", "asOf": 5 }, "to": sws_variable(sws), "first": 10 });
    expect_refused(
        &call(&daemon, DIFF, &variables).await,
        "NOT_FOUND",
        "from.asOf",
    );
    daemon.stop();
}
