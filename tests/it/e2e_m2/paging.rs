//! Paging that does not lie, case by case: cursors of the right form and of the wrong form,
//! cursors that name no item, `pageInfo`, and the node and edge filters. The random cases are in
//! `paging_props`.
//!
//! # Invariants
//! - Each test starts its own daemon and stops it with SIGTERM.
//! - Expected pages are computed on the test side from ids it derives itself.

use jitos_core::Hash;
use serde_json::{Value, json};

use super::{
    add_edge, add_node, apply, create_sws, edge_id, ids_of, list, node_id, sorted_hex, sws_literal,
    text, trace, u64_of,
};
use crate::daemon::Daemon;
use crate::e2e_kernel::{data, error};

/// One page of the nodes of `view` (a GraphQL literal): `page` and `filter` are GraphQL text
/// (`{first: 3, after: "..."}`, `, nodeFilter: {...}` or empty). Also selects the digest and the
/// echoed view, so pinned reads can be checked page by page.
pub(super) fn nodes_query(view: &str, page: &str, filter: &str) -> String {
    format!(
        "{{ graph(view: {view}, nodesPage: {page}{filter}) {{ digest view {{ snapshotId }}
            nodes {{ nodes {{ id kind }} pageInfo {{ endCursor hasNextPage }} }} }} }}"
    )
}

/// One page of the edges of `view`, as [`nodes_query`].
pub(super) fn edges_query(view: &str, page: &str, filter: &str) -> String {
    format!(
        "{{ graph(view: {view}, edgesPage: {page}{filter}) {{ digest view {{ snapshotId }}
            edges {{ edges {{ id kind from to }} pageInfo {{ endCursor hasNextPage }} }} }} }}"
    )
}

/// The ids of a node or edge connection and its page info.
pub(super) fn ids_and_info(connection: &Value, items: &str) -> (Vec<String>, Value) {
    (ids_of(&connection[items]), connection["pageInfo"].clone())
}

/// An edge of the fixture: (id, from, to, kind).
type FixtureEdge = (Hash, Hash, Hash, &'static str);

/// A fixture graph in SWS 0: nodes of kinds `a` and `b`, edges of kinds `x` and `y`.
struct Fixture {
    nodes_a: Vec<Hash>,
    nodes_b: Vec<Hash>,
    edges: Vec<FixtureEdge>,
}

async fn fixture(daemon: &Daemon) -> Fixture {
    assert_eq!(create_sws(daemon).await, 0);
    let mut ops = Vec::new();
    let mut nodes_a = Vec::new();
    let mut nodes_b = Vec::new();
    for n in 0..6_u8 {
        ops.push(add_node("a", &[n]));
        nodes_a.push(node_id("a", &[n]));
        ops.push(add_node("b", &[n]));
        nodes_b.push(node_id("b", &[n]));
    }
    let mut edges = Vec::new();
    for (n, from) in nodes_a.iter().enumerate() {
        for (to, kind) in [
            (nodes_b[n], "x"),
            (nodes_b[(n + 1) % 6], "y"),
            (nodes_a[0], "y"),
        ] {
            if *from == to {
                continue;
            }
            ops.push(add_edge(from, &to, kind, None));
            edges.push((edge_id(from, &to, kind, None), *from, to, kind));
        }
    }
    apply(daemon, 0, &ops).await;
    Fixture {
        nodes_a,
        nodes_b,
        edges,
    }
}

/// One page of SWS 0's nodes (`page` is GraphQL text): its ids and its page info.
async fn node_page(daemon: &Daemon, page: &str) -> (Vec<String>, Value) {
    let graph = data(daemon, &nodes_query(&sws_literal(0), page, "")).await;
    ids_and_info(&graph["graph"]["nodes"], "nodes")
}

/// The id one above `id`, as 256-bit big-endian numbers.
fn successor(id: &str) -> String {
    let mut bytes = *Hash::from_hex(id).expect("an id in hex").as_bytes();
    for byte in bytes.iter_mut().rev() {
        let (sum, carry) = byte.overflowing_add(1);
        *byte = sum;
        if !carry {
            break;
        }
    }
    Hash::from_bytes(bytes).to_string()
}

#[tokio::test]
async fn id_cursors_page_from_the_right_place_whether_or_not_they_name_an_item() {
    let daemon = Daemon::start();
    let fixture = fixture(&daemon).await;
    let all = sorted_hex(fixture.nodes_a.iter().chain(&fixture.nodes_b));
    assert_eq!(all.len(), 12);
    // A cursor that names a node: the page starts right after it.
    let (ids, info) = node_page(&daemon, &format!(r#"{{first: 3, after: "{}"}}"#, all[4])).await;
    assert_eq!(ids, all[5..8]);
    assert_eq!(info, json!({"endCursor": all[7], "hasNextPage": true}));
    // A cursor that names no node: one past an id, and the extremes.
    let between = successor(&all[4]);
    assert!(!all.contains(&between) && between > all[4] && between < all[5]);
    let (ids, _) = node_page(&daemon, &format!(r#"{{first: 3, after: "{between}"}}"#)).await;
    assert_eq!(ids, all[5..8]);
    let zero = "0".repeat(64);
    let (ids, info) = node_page(&daemon, &format!(r#"{{first: 12, after: "{zero}"}}"#)).await;
    assert_eq!(ids, all);
    assert_eq!(info, json!({"endCursor": all[11], "hasNextPage": false}));
    let top = "f".repeat(64);
    let (ids, info) = node_page(&daemon, &format!(r#"{{after: "{top}"}}"#)).await;
    assert_eq!(ids, Vec::<String>::new());
    assert_eq!(info, json!({"endCursor": null, "hasNextPage": false}));
    // The last item as cursor: an empty last page.
    let (ids, _) = node_page(&daemon, &format!(r#"{{after: "{}"}}"#, all[11])).await;
    assert_eq!(ids, Vec::<String>::new());
    daemon.stop();
}

/// The `idx` of every item of `query`'s list `field`.
async fn idxs(daemon: &Daemon, query: &str, field: &str) -> Vec<u64> {
    let listed = data(daemon, query).await;
    list(&listed[field])
        .iter()
        .map(|item| u64_of(&item["idx"]))
        .collect()
}

#[tokio::test]
async fn decimal_cursors_page_from_the_right_place_whether_or_not_they_name_an_item() {
    let daemon = Daemon::start();
    fixture(&daemon).await; // SWS 0, idx 0 and 1
    create_sws(&daemon).await; // SWS 1, idx 2
    create_sws(&daemon).await; // SWS 2, idx 3
    let events = |page: &str| format!("{{ events(page: {page}) {{ idx }} }}");
    let none = Vec::<u64>::new();
    assert_eq!(
        idxs(&daemon, &events(r#"{first: 2, after: "0"}"#), "events").await,
        [1, 2]
    );
    assert_eq!(
        idxs(&daemon, &events(r#"{after: "3"}"#), "events").await,
        none
    );
    assert_eq!(
        idxs(&daemon, &events(r#"{after: "99"}"#), "events").await,
        none
    );
    let max = format!(r#"{{after: "{}"}}"#, u64::MAX);
    assert_eq!(idxs(&daemon, &events(&max), "events").await, none);
    // SWS 0's events are 0 and 1; SWS 2's is 3: a cursor at an event of another view.
    let rewrites = |sws: u64, page: &str| {
        let view = sws_literal(sws);
        format!("{{ rewrites(view: {view}, page: {page}) {{ idx }} }}")
    };
    assert_eq!(
        idxs(&daemon, &rewrites(0, r#"{after: "0"}"#), "rewrites").await,
        [1]
    );
    assert_eq!(
        idxs(&daemon, &rewrites(2, r#"{after: "1"}"#), "rewrites").await,
        [3]
    );
    assert_eq!(
        idxs(&daemon, &rewrites(2, r#"{after: "3"}"#), "rewrites").await,
        none
    );
    let sws_ids = |page: &str| format!("{{ listSws(page: {page}) {{ id }} }}");
    let listed = data(&daemon, &sws_ids(r#"{first: 1, after: "0"}"#)).await;
    assert_eq!(listed["listSws"], json!([{ "id": "1" }]));
    let listed = data(&daemon, &sws_ids(r#"{after: "7"}"#)).await;
    assert_eq!(listed["listSws"], json!([]));
    daemon.stop();
}

#[tokio::test]
async fn a_malformed_cursor_is_invalid_input_at_its_after_field() {
    let daemon = Daemon::start();
    fixture(&daemon).await;
    let before = trace(&daemon).await;
    let id_cursors = ["x", "0x00", &"A".repeat(64), &"0".repeat(63), "1"];
    for cursor in id_cursors {
        let page = format!(r#"{{after: "{cursor}"}}"#);
        error(
            &daemon,
            &nodes_query(&sws_literal(0), &page, ""),
            "INVALID_INPUT",
            "nodesPage.after",
        )
        .await;
        error(
            &daemon,
            &edges_query(&sws_literal(0), &page, ""),
            "INVALID_INPUT",
            "edgesPage.after",
        )
        .await;
    }
    let long = format!(r#"{{after: "{}"}}"#, "0".repeat(65));
    error(
        &daemon,
        &nodes_query(&sws_literal(0), &long, ""),
        "LIMIT_EXCEEDED",
        "nodesPage.after",
    )
    .await;
    let idx_cursors = [
        "x",
        "-1",
        "01",
        "1.0",
        " 1",
        "18446744073709551616",
        &"0".repeat(64),
    ];
    for cursor in idx_cursors {
        let page = format!(r#"{{after: "{cursor}"}}"#);
        let queries = [
            format!("{{ events(page: {page}) {{ idx }} }}"),
            format!(
                "{{ rewrites(view: {}, page: {page}) {{ idx }} }}",
                sws_literal(0)
            ),
            format!("{{ listSws(page: {page}) {{ id }} }}"),
        ];
        for query in queries {
            error(&daemon, &query, "INVALID_INPUT", "page.after").await;
        }
    }
    assert_eq!(trace(&daemon).await, before);
    daemon.stop();
}

/// Pages through `query(after)`, whose connection is `graph.<items>` and `after` the text to
/// splice into the page input (empty, or `, after: "CURSOR"`); returns every page's ids with
/// the whole `graph` object it came in, checking that `endCursor` is the page's last id.
pub(super) async fn pages(
    daemon: &Daemon,
    query: impl Fn(&str) -> String,
    items: &str,
) -> Vec<(Vec<String>, Value)> {
    let mut pages = Vec::new();
    let mut after = String::new();
    for _ in 0..1000 {
        let graph = data(daemon, &query(&after)).await["graph"].clone();
        let (ids, info) = ids_and_info(&graph[items], items);
        let last = ids.last().map_or(Value::Null, |id| json!(id));
        assert_eq!(info["endCursor"], last, "{graph}");
        pages.push((ids, graph));
        if info["hasNextPage"] == false {
            return pages;
        }
        after = format!(r#", after: "{}""#, text(&info["endCursor"]));
    }
    panic!("more than 1000 pages");
}

/// The concatenated ids of [`pages`].
async fn page_through(daemon: &Daemon, query: impl Fn(&str) -> String, items: &str) -> Vec<String> {
    let pages = pages(daemon, query, items).await;
    pages.into_iter().flat_map(|(ids, _)| ids).collect()
}

#[tokio::test]
async fn filters_restrict_pages_by_kind_and_by_end() {
    let daemon = Daemon::start();
    let fixture = fixture(&daemon).await;
    let kinds_a = r#", nodeFilter: {kinds: ["a"]}"#;
    let query =
        |after: &str| nodes_query(&sws_literal(0), &format!("{{first: 4{after}}}"), kinds_a);
    assert_eq!(
        page_through(&daemon, query, "nodes").await,
        sorted_hex(&fixture.nodes_a)
    );
    let both = r#", nodeFilter: {kinds: ["b", "a", "c"]}"#;
    let query = |after: &str| nodes_query(&sws_literal(0), &format!("{{first: 5{after}}}"), both);
    let all = sorted_hex(fixture.nodes_a.iter().chain(&fixture.nodes_b));
    assert_eq!(page_through(&daemon, query, "nodes").await, all);
    let none = r#", nodeFilter: {kinds: []}"#;
    let query = |after: &str| nodes_query(&sws_literal(0), &format!("{{first: 5{after}}}"), none);
    assert_eq!(
        page_through(&daemon, query, "nodes").await,
        Vec::<String>::new()
    );

    let expect = |keep: &dyn Fn(&FixtureEdge) -> bool| {
        sorted_hex(
            fixture
                .edges
                .iter()
                .filter(|edge| keep(edge))
                .map(|(id, ..)| id),
        )
    };
    let a0 = fixture.nodes_a[0];
    let b1 = fixture.nodes_b[1];
    let cases: Vec<(String, Vec<String>)> = vec![
        (r#"kinds: ["y"]"#.to_owned(), expect(&|edge| edge.3 == "y")),
        (format!(r#"from: "{a0}""#), expect(&|edge| edge.1 == a0)),
        (format!(r#"to: "{a0}""#), expect(&|edge| edge.2 == a0)),
        (
            format!(r#"to: "{b1}", kinds: ["x"]"#),
            expect(&|edge| edge.2 == b1 && edge.3 == "x"),
        ),
        (
            format!(r#"from: "{}", to: "{b1}""#, fixture.nodes_a[1]),
            expect(&|edge| edge.1 == fixture.nodes_a[1] && edge.2 == b1),
        ),
        (format!(r#"from: "{b1}""#), vec![]),
        (r#"kinds: []"#.to_owned(), vec![]),
    ];
    for (filter, expected) in cases {
        let filter = format!(", edgeFilter: {{{filter}}}");
        let query =
            |after: &str| edges_query(&sws_literal(0), &format!("{{first: 2{after}}}"), &filter);
        assert_eq!(
            page_through(&daemon, query, "edges").await,
            expected,
            "{filter}"
        );
    }
    assert!(!expect(&|edge| edge.2 == a0).is_empty());
    let bad = r#", edgeFilter: {from: "A"}"#;
    error(
        &daemon,
        &edges_query(&sws_literal(0), "{first: 2}", bad),
        "INVALID_INPUT",
        "edgeFilter.from",
    )
    .await;
    daemon.stop();
}
