//! M3, model-based: random interleavings of SWS creation, single-op writes, collapses, rebases
//! and discards, run on the kernel and on a deliberately simple reference model (plain sets, the
//! conflict table of `docs/spec/collapse.md` applied by full recomputation). Step by step they
//! must agree on acceptance and error code, on each collapse or rebase outcome and conflict
//! list, and on every digest (the model's recomputed from scratch). Afterwards the log is
//! scanned: System's digest changes only at committed COLLAPSE events, every past moment reads
//! back the digests the model had then, and `rewrites(view)` lists exactly the events that
//! concern the view. Finally every event decodes from its bytes, and the log alone, replayed,
//! rebuilds the same state.

use std::collections::{BTreeMap, BTreeSet};

use jitos_core::Hash;
use jitos_graph::{Edge, Graph, Node};
use jitos_kernel::{At, Command, ConflictKind, State, SwsState, ViewKey, ViewSpec, decode_event};
use jitos_schema::ErrorCode;
use jitos_schema::enums::EventKind;
use jitos_schema::ops::{AddEdge, AddNode, Op, RemoveEdge, RemoveNode};
use proptest::prelude::*;

/// Nodes are `demo:[i]` for i below this; edges `link` between two of them.
const POOL: u8 = 4;
/// Steps name an SWS by recency: 0 is the newest. Naming one that does not exist is part of
/// the test (NOT_FOUND).
const RECENT: u64 = 3;

/// One op of a rewrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    AddNode(u8),
    AddEdge(u8, u8),
    RemoveNode(u8),
    RemoveEdge(u8, u8),
}

/// What a step writes: one op as given (which may be refused), or a toggle the model turns
/// into a rewrite that always applies (so that merges meet interesting states often).
#[derive(Debug, Clone, Copy)]
enum Change {
    Op(Write),
    /// Remove the node with its edges if the SWS has it, else add it.
    ToggleNode(u8),
    /// Remove the edge if the SWS has it, else add it with any missing end.
    ToggleEdge(u8, u8),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Create,
    Write(u64, Vec<Write>),
    Collapse(u64),
    Rebase(u64),
    Discard(u64),
}

/// A step as generated: SWSs named by recency, changes not yet turned into ops.
#[derive(Debug, Clone, Copy)]
enum Plan {
    Create,
    Write(u64, Change),
    Collapse(u64),
    Rebase(u64),
    Discard(u64),
}

fn change() -> impl Strategy<Value = Change> {
    let op = prop_oneof![
        (0..POOL).prop_map(Write::AddNode),
        (0..POOL, 0..POOL).prop_map(|(a, b)| Write::AddEdge(a, b)),
        (0..POOL).prop_map(Write::RemoveNode),
        (0..POOL, 0..POOL).prop_map(|(a, b)| Write::RemoveEdge(a, b)),
    ];
    prop_oneof![
        2 => op.prop_map(Change::Op),
        3 => (0..POOL).prop_map(Change::ToggleNode),
        3 => (0..POOL, 0..POOL).prop_map(|(a, b)| Change::ToggleEdge(a, b)),
    ]
}

fn plan() -> impl Strategy<Value = Plan> {
    prop_oneof![
        2 => Just(Plan::Create),
        10 => (0..RECENT, change()).prop_map(|(sws, change)| Plan::Write(sws, change)),
        3 => (0..RECENT).prop_map(Plan::Collapse),
        2 => (0..RECENT).prop_map(Plan::Rebase),
        1 => (0..RECENT).prop_map(Plan::Discard),
    ]
}

/// A round of concurrent work: a few SWSs created over the same System, writes spread over
/// them, then each collapsed, rebased or discarded in some order, with stray steps mixed in.
/// Rounds make the merges meet concurrent System changes often.
fn round() -> impl Strategy<Value = Vec<Plan>> {
    (2..=RECENT).prop_flat_map(|n| {
        let writes = proptest::collection::vec((0..n, change()), 1..10);
        let endings = proptest::collection::vec((0..n, 0..6u8), 1..6);
        let strays = proptest::collection::vec(plan(), 0..3);
        (writes, endings, strays).prop_map(move |(writes, endings, strays)| {
            let mut plans: Vec<Plan> = (0..n).map(|_| Plan::Create).collect();
            plans.extend(
                writes
                    .into_iter()
                    .map(|(sws, change)| Plan::Write(sws, change)),
            );
            plans.extend(endings.into_iter().map(|(sws, how)| match how {
                0..=2 => Plan::Collapse(sws),
                3 | 4 => Plan::Rebase(sws),
                _ => Plan::Discard(sws),
            }));
            plans.extend(strays);
            plans
        })
    })
}

fn script() -> impl Strategy<Value = Vec<Plan>> {
    proptest::collection::vec(round(), 0..8).prop_map(|rounds| rounds.concat())
}

fn node_id(node: u8) -> Hash {
    Node::new("demo", [node].as_slice()).id()
}

fn edge_id((from, to): (u8, u8)) -> Hash {
    Edge::new(node_id(from), node_id(to), "link", None).id()
}

fn command(step: &Step) -> Command {
    let op = |write| match write {
        Write::AddNode(node) => Op::AddNode(AddNode {
            kind: "demo".to_owned(),
            payload: vec![node],
        }),
        Write::AddEdge(from, to) => Op::AddEdge(AddEdge {
            from: *node_id(from).as_bytes(),
            to: *node_id(to).as_bytes(),
            kind: "link".to_owned(),
            payload: None,
        }),
        Write::RemoveNode(node) => Op::RemoveNode(RemoveNode {
            id: *node_id(node).as_bytes(),
        }),
        Write::RemoveEdge(from, to) => Op::RemoveEdge(RemoveEdge {
            id: *edge_id((from, to)).as_bytes(),
        }),
    };
    match step {
        Step::Create => Command::CreateSws {
            meta: None,
            idempotency_key: None,
        },
        Step::Write(sws, writes) => Command::ApplyRewrite {
            view: ViewKey::Sws(*sws),
            ops: writes.iter().copied().map(op).collect(),
            meta: None,
            idempotency_key: None,
        },
        Step::Collapse(id) => Command::CollapseSws {
            id: *id,
            meta: None,
            idempotency_key: None,
        },
        Step::Rebase(id) => Command::RebaseSws {
            id: *id,
            meta: None,
            idempotency_key: None,
        },
        Step::Discard(id) => Command::DiscardSws {
            id: *id,
            reason: Some("model".to_owned()),
            meta: None,
            idempotency_key: None,
        },
    }
}

/// A graph as two plain sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Sets {
    nodes: BTreeSet<u8>,
    edges: BTreeSet<(u8, u8)>,
}

impl Sets {
    /// The digest, from scratch.
    fn digest(&self) -> Hash {
        let mut graph = Graph::new();
        for node in &self.nodes {
            let _ = graph.add_node(Node::new("demo", [*node].as_slice()));
        }
        for (from, to) in &self.edges {
            let _ = graph.add_edge(Edge::new(node_id(*from), node_id(*to), "link", None));
        }
        graph.digest_full()
    }

    /// `self` with `ours` (what an overlay did since a base) applied.
    fn with(&self, ours: &Changes) -> Sets {
        let mut sets = self.clone();
        sets.nodes.retain(|n| !ours.nodes_removed.contains(n));
        sets.edges.retain(|e| !ours.edges_removed.contains(e));
        sets.nodes.extend(&ours.nodes_added);
        sets.edges.extend(&ours.edges_added);
        sets
    }
}

/// What changed from one graph to another, as set differences.
struct Changes {
    nodes_added: BTreeSet<u8>,
    nodes_removed: BTreeSet<u8>,
    edges_added: BTreeSet<(u8, u8)>,
    edges_removed: BTreeSet<(u8, u8)>,
}

fn changes(from: &Sets, to: &Sets) -> Changes {
    Changes {
        nodes_added: to.nodes.difference(&from.nodes).copied().collect(),
        nodes_removed: from.nodes.difference(&to.nodes).copied().collect(),
        edges_added: to.edges.difference(&from.edges).copied().collect(),
        edges_removed: from.edges.difference(&to.edges).copied().collect(),
    }
}

/// A conflict as the model lists it: (kind, overlay item, System item).
type ModelConflict = (ConflictKind, Hash, Hash);

/// The conflict table of docs/spec/collapse.md, by brute force.
fn conflicts(base: &Sets, overlay: &Sets, system: &Sets) -> Vec<ModelConflict> {
    let ours = changes(base, overlay);
    let theirs = changes(base, system);
    let mut found = BTreeSet::new();
    for &(from, to) in &ours.edges_added {
        for end in [from, to] {
            if theirs.nodes_removed.contains(&end) {
                found.insert((
                    ConflictKind::EdgeEndRemoved,
                    edge_id((from, to)),
                    node_id(end),
                ));
            }
        }
    }
    for &node in &ours.nodes_removed {
        for &(from, to) in &theirs.edges_added {
            if from == node || to == node {
                let edge = edge_id((from, to));
                found.insert((ConflictKind::NodeRemovalUnderNewEdge, node_id(node), edge));
            }
        }
    }
    for node in ours.nodes_removed.intersection(&theirs.nodes_removed) {
        found.insert((ConflictKind::AlreadyRemoved, node_id(*node), node_id(*node)));
    }
    for edge in ours.edges_removed.intersection(&theirs.edges_removed) {
        found.insert((ConflictKind::AlreadyRemoved, edge_id(*edge), edge_id(*edge)));
    }
    found.into_iter().collect()
}

struct SwsModel {
    base: Sets,
    graph: Sets,
    state: SwsState,
}

/// What the model expects of one step.
#[derive(Debug, PartialEq, Eq)]
enum Expect {
    Refused(ErrorCode),
    Accepted,
    Merged {
        committed: bool,
        conflicts: Vec<ModelConflict>,
    },
}

#[derive(Default)]
struct Model {
    system: Sets,
    sws: BTreeMap<u64, SwsModel>,
}

impl Model {
    /// `plan` as a concrete step: the SWS by id (a recency beyond the SWSs names an id not yet
    /// allocated), toggles as the ops that achieve them on the SWS as it stands.
    fn concrete(&self, plan: Plan) -> Step {
        let n_sws = self.sws.len() as u64;
        let id = |recent: u64| n_sws.checked_sub(recent + 1).unwrap_or(n_sws + recent);
        match plan {
            Plan::Create => Step::Create,
            Plan::Write(recent, change) => {
                let id = id(recent);
                let empty = Sets::default();
                let graph = self.sws.get(&id).map_or(&empty, |sws| &sws.graph);
                Step::Write(id, toggle(graph, change))
            }
            Plan::Collapse(recent) => Step::Collapse(id(recent)),
            Plan::Rebase(recent) => Step::Rebase(id(recent)),
            Plan::Discard(recent) => Step::Discard(id(recent)),
        }
    }

    fn active(&mut self, id: u64) -> Result<&mut SwsModel, ErrorCode> {
        match self.sws.get_mut(&id) {
            None => Err(ErrorCode::NotFound),
            Some(sws) if sws.state != SwsState::Active => Err(ErrorCode::Conflict),
            Some(sws) => Ok(sws),
        }
    }

    fn apply(&mut self, step: &Step) -> Expect {
        match self.try_apply(step) {
            Ok(expect) => expect,
            Err(code) => Expect::Refused(code),
        }
    }

    fn try_apply(&mut self, step: &Step) -> Result<Expect, ErrorCode> {
        match step {
            Step::Create => {
                let id = self.sws.len() as u64;
                let sws = SwsModel {
                    base: self.system.clone(),
                    graph: self.system.clone(),
                    state: SwsState::Active,
                };
                self.sws.insert(id, sws);
                Ok(Expect::Accepted)
            }
            Step::Write(id, writes) => {
                let graph = &mut self.active(*id)?.graph;
                let mut after = graph.clone();
                for write in writes {
                    apply_write(&mut after, *write)?;
                }
                *graph = after;
                Ok(Expect::Accepted)
            }
            Step::Collapse(id) | Step::Rebase(id) => {
                let system = self.system.clone();
                let sws = self.active(*id)?;
                let conflicts = conflicts(&sws.base, &sws.graph, &system);
                let committed = conflicts.is_empty();
                if committed {
                    let merged = system.with(&changes(&sws.base, &sws.graph));
                    if matches!(step, Step::Collapse(_)) {
                        sws.state = SwsState::Collapsed;
                        self.system = merged;
                    } else {
                        sws.base = system;
                        sws.graph = merged;
                    }
                }
                Ok(Expect::Merged {
                    committed,
                    conflicts,
                })
            }
            Step::Discard(id) => {
                self.active(*id)?.state = SwsState::Discarded;
                Ok(Expect::Accepted)
            }
        }
    }
}

/// The ops that toggle `change` on `graph`, each valid in turn.
fn toggle(graph: &Sets, change: Change) -> Vec<Write> {
    match change {
        Change::Op(write) => vec![write],
        Change::ToggleNode(node) if graph.nodes.contains(&node) => {
            let touching = graph.edges.iter().filter(|&&(a, b)| a == node || b == node);
            let mut ops: Vec<Write> = touching.map(|&(a, b)| Write::RemoveEdge(a, b)).collect();
            ops.push(Write::RemoveNode(node));
            ops
        }
        Change::ToggleNode(node) => vec![Write::AddNode(node)],
        Change::ToggleEdge(from, to) if graph.edges.contains(&(from, to)) => {
            vec![Write::RemoveEdge(from, to)]
        }
        Change::ToggleEdge(from, to) => {
            let mut ops: Vec<Write> = [from, to]
                .into_iter()
                .filter(|end| !graph.nodes.contains(end))
                .map(Write::AddNode)
                .collect();
            ops.dedup();
            ops.push(Write::AddEdge(from, to));
            ops
        }
    }
}

/// One op on the model's sets, with the kernel's rules for a rewrite of that one op (valid in
/// turn is stricter than the set semantics of a whole rewrite, and toggles are built so).
fn apply_write(graph: &mut Sets, write: Write) -> Result<(), ErrorCode> {
    match write {
        Write::AddNode(node) => {
            graph.nodes.insert(node);
        }
        Write::AddEdge(from, to) => {
            if !graph.nodes.contains(&from) || !graph.nodes.contains(&to) {
                return Err(ErrorCode::NotFound);
            }
            graph.edges.insert((from, to));
        }
        Write::RemoveNode(node) => {
            if !graph.nodes.contains(&node) {
                return Err(ErrorCode::NotFound);
            }
            if graph.edges.iter().any(|&(a, b)| a == node || b == node) {
                return Err(ErrorCode::Conflict);
            }
            graph.nodes.remove(&node);
        }
        Write::RemoveEdge(from, to) => {
            if !graph.edges.remove(&(from, to)) {
                return Err(ErrorCode::NotFound);
            }
        }
    }
    Ok(())
}

/// Runs `steps` on a fresh kernel, checking each against the model; returns the state and,
/// per event, the model's (System digest, SWS digests) right after it.
fn run_checked(plans: &[Plan]) -> Result<State, TestCaseError> {
    let mut state = State::new();
    let mut model = Model::default();
    let mut after_event: Vec<(Hash, BTreeMap<u64, Hash>)> = Vec::new();
    for &plan in plans {
        let step = model.concrete(plan);
        let expected = model.apply(&step);
        let command = command(&step);
        let request = command.request().digest().expect("requests encode");
        let actual = match state.apply(command) {
            Err(error) => Expect::Refused(error.code),
            Ok(event) if event.request().digest().ok() != Some(request) => {
                return Err(TestCaseError::fail(format!(
                    "{step:?}: the event's request differs"
                )));
            }
            Ok(event) => match &event.outcome {
                None => Expect::Accepted,
                Some(outcome) => Expect::Merged {
                    committed: outcome.committed,
                    conflicts: outcome
                        .conflicts
                        .iter()
                        .map(|c| (c.kind, c.id, c.system_id))
                        .collect(),
                },
            },
        };
        prop_assert_eq!(&actual, &expected, "{:?}", step);
        prop_assert_eq!(state.system().digest(), model.system.digest(), "{:?}", step);
        let mut sws_digests = BTreeMap::new();
        for (id, sws) in &model.sws {
            let graph = state.graph(ViewKey::Sws(*id), "view").expect("graph");
            prop_assert_eq!(
                graph.digest(),
                sws.graph.digest(),
                "SWS {} after {:?}",
                id,
                step
            );
            let record = state.sws(*id).expect("record");
            prop_assert_eq!(record.state, sws.state);
            prop_assert_eq!(record.base_digest, sws.base.digest());
            sws_digests.insert(*id, sws.graph.digest());
        }
        if !matches!(expected, Expect::Refused(_)) {
            after_event.push((model.system.digest(), sws_digests));
        }
    }
    check_log(&state, &after_event)?;
    Ok(state)
}

/// The log scan: System moves only at committed collapses; time travel reproduces every
/// moment; each view's history lists exactly the events that concern it.
fn check_log(
    state: &State,
    after_event: &[(Hash, BTreeMap<u64, Hash>)],
) -> Result<(), TestCaseError> {
    prop_assert_eq!(state.events().len(), after_event.len());
    let mut system_before = Graph::new().digest();
    for (event, (system, sws)) in state.events().iter().zip(after_event) {
        let committed_collapse = event.kind == EventKind::Collapse
            && event.outcome.as_ref().is_some_and(|o| o.committed);
        if *system != system_before {
            prop_assert!(committed_collapse, "System moved at event {}", event.idx);
        }
        system_before = *system;
        let at = |key| {
            let spec = ViewSpec {
                key,
                at: At::AsOf(event.idx),
            };
            let view = state.resolve(spec, "view").expect("resolves");
            let graph = state.graph_of(&view).expect("rebuilds");
            prop_assert_eq!(view.digest, graph.digest());
            Ok(view.digest)
        };
        prop_assert_eq!(at(ViewKey::System)?, *system, "System as of {}", event.idx);
        for (id, digest) in sws {
            prop_assert_eq!(
                at(ViewKey::Sws(*id))?,
                *digest,
                "SWS {} as of {}",
                id,
                event.idx
            );
        }
    }
    let mut views = vec![ViewKey::System];
    views.extend(state.all_sws().map(|record| ViewKey::Sws(record.id)));
    for view in views {
        let listed: Vec<u64> = state
            .history(view)
            .expect("history")
            .event_idxs()
            .iter()
            .copied()
            .collect();
        let concerned: Vec<u64> = state
            .events()
            .iter()
            .filter(|event| event.concerns(view))
            .map(|event| event.idx)
            .collect();
        prop_assert_eq!(listed, concerned, "{}", view);
    }
    Ok(())
}

fn log_bytes(state: &State) -> Vec<Vec<u8>> {
    let events = state.events().iter();
    events
        .map(|event| event.encode().expect("encodes"))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn kernel_agrees_with_the_merge_model(steps in script()) {
        let first = run_checked(&steps)?;
        let again = run_checked(&steps)?;
        prop_assert_eq!(log_bytes(&first), log_bytes(&again));
        // History is the system: the log alone rebuilds the same state.
        let replayed = State::replay(first.events().iter().cloned());
        let replayed = replayed.map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(log_bytes(&replayed), log_bytes(&first));
        for (event, bytes) in first.events().iter().zip(log_bytes(&first)) {
            prop_assert_eq!(&decode_event(&bytes).expect("decodes"), &**event);
        }
        prop_assert_eq!(replayed.system().digest(), first.system().digest());
        // Every version of every view, with the counters and checkpoints a file records.
        prop_assert_eq!(
            replayed.checkpoint_bytes(Hash::ZERO).ok(),
            first.checkpoint_bytes(Hash::ZERO).ok()
        );
        let views = first.all_sws().map(|record| ViewKey::Sws(record.id));
        for view in std::iter::once(ViewKey::System).chain(views) {
            let (history, again) = (first.history(view), replayed.history(view));
            let (history, again) = (history.expect("a view"), again.expect("replayed view"));
            prop_assert_eq!(again.n_versions(), history.n_versions());
            for version in 0..history.n_versions() {
                prop_assert_eq!(again.version(version), history.version(version));
                let graph = again.graph(version, replayed.events());
                let graph = graph.map_err(|error| TestCaseError::fail(error.to_string()))?;
                prop_assert_eq!(
                    Some(graph.digest_full()),
                    history.version(version).map(|v| v.digest)
                );
            }
        }
        for record in first.all_sws() {
            let view = ViewKey::Sws(record.id);
            let digest = |state: &State| state.graph(view, "view").map(|graph| graph.digest());
            prop_assert_eq!(digest(&replayed).ok(), digest(&first).ok());
            let again = replayed.sws(record.id).expect("replayed SWS");
            prop_assert_eq!((again.state, again.base_digest), (record.state, record.base_digest));
        }
    }
}

/// The kernel and the model side by side, for hand-picked scripts.
#[derive(Default)]
struct Harness {
    state: State,
    model: Model,
}

impl Harness {
    /// Runs `steps` (all must be accepted, merges must agree with the model); returns the last
    /// merge's outcome.
    fn run(&mut self, steps: Vec<Step>) -> Option<Expect> {
        let mut last = None;
        for step in steps {
            let expected = self.model.apply(&step);
            let event = self.state.apply(command(&step));
            assert!(event.is_ok(), "{step:?}: {event:?}");
            if let Some(outcome) = event
                .ok()
                .and_then(|event| event.outcome.as_deref().cloned())
            {
                let conflicts = outcome.conflicts.iter();
                let actual = Expect::Merged {
                    committed: outcome.committed,
                    conflicts: conflicts.map(|c| (c.kind, c.id, c.system_id)).collect(),
                };
                assert_eq!(actual, expected, "{step:?}");
                last = Some(actual);
            }
        }
        last
    }
}

fn one(write: Write) -> Vec<Write> {
    vec![write]
}

fn aborted(conflict: ModelConflict) -> Option<Expect> {
    Some(Expect::Merged {
        committed: false,
        conflicts: vec![conflict],
    })
}

/// System gets node 0 through SWS 0; SWS 1 then adds the edge 0→1 while SWS 2 removes node 0
/// and lands first: SWS 1 now meets EDGE_END_REMOVED.
fn edge_end_removed_setup() -> Harness {
    use Step::{Collapse, Create, Write as W};
    let mut harness = Harness::default();
    harness.run(vec![
        Create,
        W(0, one(Write::AddNode(0))),
        Collapse(0),
        Create,
        Create,
    ]);
    let last = harness.run(vec![
        W(1, vec![Write::AddNode(1), Write::AddEdge(0, 1)]),
        W(2, one(Write::RemoveNode(0))),
        Collapse(2),
    ]);
    assert_eq!(
        last,
        Some(Expect::Merged {
            committed: true,
            conflicts: vec![]
        })
    );
    harness
}

#[test]
fn an_edge_to_a_node_system_removed_is_edge_end_removed() {
    use Step::Collapse;
    let mut harness = edge_end_removed_setup();
    let system = harness.state.system().digest();
    let last = harness.run(vec![Collapse(1)]);
    assert_eq!(
        last,
        aborted((ConflictKind::EdgeEndRemoved, edge_id((0, 1)), node_id(0)))
    );
    assert_eq!(
        harness.state.system().digest(),
        system,
        "System did not move"
    );
    assert_eq!(harness.state.sws(1).expect("sws").state, SwsState::Active);
}

#[test]
fn removing_a_node_under_a_new_system_edge_is_node_removal_under_new_edge() {
    use Step::{Collapse, Create, Write as W};
    let mut harness = Harness::default();
    harness.run(vec![
        Create,
        W(0, one(Write::AddNode(1))),
        Collapse(0),
        Create,
        Create,
    ]);
    let last = harness.run(vec![
        W(2, one(Write::AddEdge(1, 1))),
        W(1, one(Write::RemoveNode(1))),
        Collapse(2),
        Collapse(1),
    ]);
    let conflict = (
        ConflictKind::NodeRemovalUnderNewEdge,
        node_id(1),
        edge_id((1, 1)),
    );
    assert_eq!(last, aborted(conflict));
}

#[test]
fn removing_what_system_removed_is_already_removed_but_adding_twice_is_fine() {
    use Step::{Collapse, Create, Write as W};
    let mut harness = Harness::default();
    let both_add = harness.run(vec![
        Create,
        Create,
        W(0, one(Write::AddNode(3))),
        W(1, one(Write::AddNode(3))),
        Collapse(0),
        Collapse(1),
    ]);
    assert_eq!(
        both_add,
        Some(Expect::Merged {
            committed: true,
            conflicts: vec![]
        })
    );
    let both_remove = harness.run(vec![
        Create,
        Create,
        W(2, one(Write::RemoveNode(3))),
        W(3, one(Write::RemoveNode(3))),
        Collapse(2),
        Collapse(3),
    ]);
    assert_eq!(
        both_remove,
        aborted((ConflictKind::AlreadyRemoved, node_id(3), node_id(3)))
    );
}

#[test]
fn a_refused_rebase_changes_nothing_and_a_rebase_makes_the_collapse_go_through() {
    use Step::{Collapse, Rebase, Write as W};
    let mut harness = edge_end_removed_setup();
    let before = harness
        .state
        .graph(ViewKey::Sws(1), "view")
        .expect("graph")
        .digest();
    let refused = harness.run(vec![Rebase(1)]);
    assert_eq!(
        refused,
        aborted((ConflictKind::EdgeEndRemoved, edge_id((0, 1)), node_id(0)))
    );
    let after = harness
        .state
        .graph(ViewKey::Sws(1), "view")
        .expect("graph")
        .digest();
    assert_eq!(after, before);
    // Resolve by dropping the edge, rebase, collapse.
    let landed = harness.run(vec![
        W(1, one(Write::RemoveEdge(0, 1))),
        Rebase(1),
        Collapse(1),
    ]);
    assert_eq!(
        landed,
        Some(Expect::Merged {
            committed: true,
            conflicts: vec![]
        })
    );
    let system = harness.state.system();
    assert!(system.contains_node(&node_id(1)) && !system.contains_node(&node_id(0)));
}
