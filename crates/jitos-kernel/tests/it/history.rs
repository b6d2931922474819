//! Snapshots and time travel against a model: random scripts of creates, node and edge adds
//! and removes and discards; after the script, every view is read as of every event and at
//! every snapshot it ever had, and must equal the model's sets at that moment. Paging through
//! the API concatenates to the full sorted list, on live and pinned views alike.

use std::collections::{BTreeMap, BTreeSet};

use jitos_core::Hash;
use jitos_graph::{Edge, Graph, Node};
use jitos_kernel::{At, Command, State, ViewKey, ViewSpec};
use jitos_schema::ops::{AddEdge, AddNode, Op, RemoveEdge, RemoveNode};
use jitos_schema::resolvers::{Mutation as _, Query as _};
use proptest::prelude::*;
use serde_json::json;

use crate::support::args;

/// A model SWS: node numbers, (from, to) edges, and whether it is active.
#[derive(Debug, Clone, Default, PartialEq)]
struct Sets {
    nodes: BTreeSet<u8>,
    edges: BTreeSet<(u8, u8)>,
}

impl Sets {
    fn graph(&self) -> Graph {
        let mut graph = Graph::new();
        for n in &self.nodes {
            let _ = graph.add_node(node(*n)).expect("node");
        }
        for (a, b) in &self.edges {
            let _ = graph.add_edge(edge(*a, *b)).expect("edge");
        }
        graph
    }
}

fn node(n: u8) -> Node {
    Node::new("m", [n])
}

fn edge(a: u8, b: u8) -> Edge {
    Edge::new(node(a).id(), node(b).id(), "e", None)
}

#[derive(Debug, Clone)]
enum Step {
    Create,
    Discard(u64),
    Ops(u64, Vec<(u8, u8, u8)>),
}

fn step() -> impl Strategy<Value = Step> {
    let op = (0u8..4, 0u8..6, 0u8..6);
    prop_oneof![
        1 => Just(Step::Create),
        1 => (0u64..3).prop_map(Step::Discard),
        6 => (0u64..3, proptest::collection::vec(op, 1..4)).prop_map(|(s, ops)| Step::Ops(s, ops)),
    ]
}

fn op((what, a, b): (u8, u8, u8)) -> Op {
    match what {
        0 => Op::AddNode(AddNode {
            kind: "m".to_owned(),
            payload: vec![a],
        }),
        1 => Op::RemoveNode(RemoveNode {
            id: *node(a).id().as_bytes(),
        }),
        2 => Op::AddEdge(AddEdge {
            from: *node(a).id().as_bytes(),
            to: *node(b).id().as_bytes(),
            kind: "e".to_owned(),
            payload: None,
        }),
        _ => Op::RemoveEdge(RemoveEdge {
            id: *edge(a, b).id().as_bytes(),
        }),
    }
}

/// The model's verdict on a rewrite: the sets after it, or `None` when it is refused.
fn rewrite(sets: &Sets, ops: &[(u8, u8, u8)]) -> Option<Sets> {
    let mut next = sets.clone();
    for &(what, a, b) in ops {
        // Adds always succeed; a remove needs the item present at that point.
        let removed = match what {
            0 => {
                next.nodes.insert(a);
                true
            }
            1 => next.nodes.remove(&a),
            2 => {
                next.edges.insert((a, b));
                true
            }
            _ => next.edges.remove(&(a, b)),
        };
        if !removed {
            return None;
        }
    }
    let valid = next
        .edges
        .iter()
        .all(|(a, b)| next.nodes.contains(a) && next.nodes.contains(b));
    valid.then_some(next)
}

fn command(step: &Step) -> Command {
    match step {
        Step::Create => Command::CreateSws {
            meta: None,
            idempotency_key: None,
        },
        Step::Discard(id) => Command::DiscardSws {
            id: *id,
            reason: None,
            meta: None,
            idempotency_key: None,
        },
        Step::Ops(id, ops) => Command::ApplyRewrite {
            view: ViewKey::Sws(*id),
            ops: ops.iter().copied().map(op).collect(),
            meta: None,
            idempotency_key: None,
        },
    }
}

/// Runs `steps` on a kernel state and on the model; returns the state and, per accepted
/// event, every SWS's sets right after it.
fn run(steps: &[Step]) -> (State, Vec<BTreeMap<u64, Sets>>) {
    let mut state = State::new();
    let (mut sws, mut active) = (BTreeMap::<u64, Sets>::new(), BTreeSet::<u64>::new());
    let mut after_each = Vec::new();
    for step in steps {
        let expected = match step {
            Step::Create => Some(sws.len() as u64),
            Step::Discard(id) => active.contains(id).then_some(*id),
            Step::Ops(id, ops) => active
                .contains(id)
                .then(|| rewrite(&sws[id], ops))
                .flatten()
                .map(|next| {
                    sws.insert(*id, next);
                    *id
                }),
        };
        let accepted = state.apply(command(step)).is_ok();
        assert_eq!(accepted, expected.is_some(), "{step:?}");
        if !accepted {
            continue;
        }
        match step {
            Step::Create => {
                let id = sws.len() as u64;
                sws.insert(id, Sets::default());
                active.insert(id);
            }
            Step::Discard(id) => {
                active.remove(id);
            }
            Step::Ops(..) => {}
        }
        after_each.push(sws.clone());
    }
    (state, after_each)
}

fn read(state: &State, key: ViewKey, at: At) -> Option<Graph> {
    let view = state.resolve(ViewSpec { key, at }, "view").ok()?;
    let graph = state.graph_of(&view).expect("a resolved view rebuilds");
    assert_eq!(graph.digest(), view.digest);
    Some(graph)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn every_moment_reads_back_as_the_model_had_it(steps in proptest::collection::vec(step(), 1..60)) {
        let (state, after_each) = run(&steps);
        for (idx, sws) in after_each.iter().enumerate() {
            for id in 0..4u64 {
                let got = read(&state, ViewKey::Sws(id), At::AsOf(idx as u64));
                let expected = sws.get(&id).map(Sets::graph);
                prop_assert_eq!(got.as_ref().map(Graph::digest), expected.as_ref().map(Graph::digest), "SWS {} as of {}", id, idx);
                if let Some(graph) = got {
                    let ids: Vec<Hash> = graph.nodes_after(None).map(|(id, _)| *id).collect();
                    let mut want: Vec<Hash> = sws[&id].nodes.iter().map(|n| node(*n).id()).collect();
                    want.sort();
                    prop_assert_eq!(ids, want);
                    let by_snapshot = read(&state, ViewKey::Sws(id), At::Snapshot(graph.digest()));
                    prop_assert_eq!(by_snapshot.map(|g| g.digest()), Some(graph.digest()));
                }
            }
        }
    }
}

/// Pages of `first` nodes of `view`, following `endCursor` until `hasNextPage` is false.
async fn all_pages(
    kernel: &jitos_kernel::Kernel,
    view: &serde_json::Value,
    first: i32,
) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = kernel
            .graph(args(
                json!({ "view": view, "nodesPage": { "first": first, "after": after } }),
            ))
            .await
            .expect("a page");
        ids.extend(page.nodes.nodes.iter().map(|n| n.id.clone()));
        if !page.nodes.page_info.has_next_page {
            return ids;
        }
        after = page.nodes.page_info.end_cursor;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn pages_concatenate_to_the_sorted_list_even_while_writes_continue(
        n_nodes in 0u8..40,
        first in 1i32..12,
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            let kernel = crate::support::kernel();
            kernel.create_sws(args(json!({}))).await.expect("create");
            let add = |n: u8| json!({ "op": "AddNode", "data": { "kind": "m", "payload_b64": base64(&[n]) } });
            let sws0 = json!({ "kind": "SWS", "swsId": "0" });
            for n in 0..n_nodes {
                let rewrite = json!({ "ops": [add(n)] });
                kernel.apply_rewrite(args(json!({ "view": sws0, "rewrite": rewrite }))).await.expect("add");
            }
            let snapshot = kernel.graph(args(json!({ "view": sws0 }))).await.expect("graph").snapshot_id.expect("an id");
            let pinned = json!({ "kind": "SWS", "swsId": "0", "snapshotId": snapshot });
            let mut expected: Vec<String> = (0..n_nodes).map(|n| node(n).id().to_string()).collect();
            expected.sort();
            prop_assert_eq!(all_pages(&kernel, &sws0, first).await, expected.clone());
            // Writes between page requests: a pinned listing does not move.
            let mut ids = Vec::new();
            let mut after: Option<String> = None;
            for more in 100u8.. {
                let page = kernel
                    .graph(args(json!({ "view": pinned, "nodesPage": { "first": first, "after": after } })))
                    .await
                    .expect("a pinned page");
                ids.extend(page.nodes.nodes.iter().map(|n| n.id.clone()));
                let rewrite = json!({ "ops": [add(more)] });
                kernel.apply_rewrite(args(json!({ "view": sws0, "rewrite": rewrite }))).await.expect("add");
                if !page.nodes.page_info.has_next_page {
                    break;
                }
                after = page.nodes.page_info.end_cursor;
            }
            prop_assert_eq!(ids, expected);
            Ok(())
        })?;
    }
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// `diff` between any two moments of any two views is the set difference of the model's
    /// sets, paged in id order without duplicates or gaps.
    #[test]
    fn diff_is_the_set_difference(
        steps in proptest::collection::vec(step(), 1..40),
        first in 1i32..6,
        picks in proptest::collection::vec((0u64..3, any::<prop::sample::Index>()), 2),
    ) {
        // Start with an SWS, so that there is something to compare.
        let steps: Vec<Step> = std::iter::once(Step::Create).chain(steps).collect();
        let (state, after_each) = run(&steps);
        // Two (SWS, moment) pairs that exist.
        let moments: Vec<(u64, usize)> = picks
            .iter()
            .filter_map(|(id, at)| {
                let idx = at.index(after_each.len());
                after_each[idx].contains_key(id).then_some((*id, idx))
            })
            .collect();
        prop_assume!(moments.len() == 2);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let kernel = runtime.block_on(async { jitos_kernel::Kernel::start_from(state) });
        let view = |(id, idx): (u64, usize)| json!({ "kind": "SWS", "swsId": id.to_string(), "asOf": idx });
        let mut listed = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let args = json!({ "from": view(moments[0]), "to": view(moments[1]), "nodesPage": { "first": first, "after": after } });
            let page = runtime.block_on(kernel.diff(crate::support::args(args))).expect("diff");
            listed.extend(page.nodes.changes.iter().map(|c| (c.node.id.clone(), c.change)));
            if !page.nodes.page_info.has_next_page {
                break;
            }
            after = page.nodes.page_info.end_cursor;
        }
        let (a, b) = (&after_each[moments[0].1][&moments[0].0], &after_each[moments[1].1][&moments[1].0]);
        let mut expected: Vec<(String, jitos_schema::enums::ChangeKind)> = a
            .nodes
            .difference(&b.nodes)
            .map(|n| (node(*n).id().to_string(), jitos_schema::enums::ChangeKind::Removed))
            .chain(b.nodes.difference(&a.nodes).map(|n| (node(*n).id().to_string(), jitos_schema::enums::ChangeKind::Added)))
            .collect();
        expected.sort();
        prop_assert_eq!(listed, expected);
    }
}
