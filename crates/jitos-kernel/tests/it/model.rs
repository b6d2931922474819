//! Determinism and a reference model: random scripts of creates, adds and discards, run on two
//! fresh kernels, give byte-identical events; and every digest equals a from-scratch
//! recomputation of a model kept in plain sets.

use std::collections::{BTreeMap, BTreeSet};

use jitos_core::Hash;
use jitos_kernel::{Command, State, ViewKey};
use jitos_schema::ops::{AddNode, Op};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Create,
    Add {
        sws: u64,
        kind: u8,
        payload: Vec<u8>,
    },
    Discard {
        sws: u64,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => Just(Step::Create),
        4 => (0u64..4, 0u8..3, proptest::collection::vec(any::<u8>(), 0..4)).prop_map(|(sws, kind, payload)| Step::Add { sws, kind, payload }),
        1 => (0u64..4).prop_map(|sws| Step::Discard { sws }),
    ]
}

fn command(step: &Step) -> Command {
    match step {
        Step::Create => Command::CreateSws {
            meta: None,
            idempotency_key: None,
        },
        Step::Add { sws, kind, payload } => Command::ApplyRewrite {
            view: ViewKey::Sws(*sws),
            ops: vec![Op::AddNode(AddNode {
                kind: format!("kind{kind}"),
                payload: payload.clone(),
            })],
            meta: Some(serde_json::json!({ "step": "add" })),
            idempotency_key: None,
        },
        Step::Discard { sws } => Command::DiscardSws {
            id: *sws,
            reason: None,
            meta: None,
            idempotency_key: None,
        },
    }
}

/// The nodes of one SWS, as (kind, payload), and whether it is active.
type SwsModel = (BTreeSet<(String, Vec<u8>)>, bool);

/// The model: per SWS, its node set and whether it is active.
#[derive(Default)]
struct Model {
    sws: BTreeMap<u64, SwsModel>,
}

impl Model {
    /// What the kernel must do with `step`: `true` if it is accepted.
    fn apply(&mut self, step: &Step) -> bool {
        match step {
            Step::Create => {
                let id = self.sws.len() as u64;
                self.sws.insert(id, (BTreeSet::new(), true));
                true
            }
            Step::Add { sws, kind, payload } => match self.sws.get_mut(sws) {
                Some((nodes, true)) => {
                    nodes.insert((format!("kind{kind}"), payload.clone()));
                    true
                }
                _ => false,
            },
            Step::Discard { sws } => match self.sws.get_mut(sws) {
                Some((_, active @ true)) => {
                    *active = false;
                    true
                }
                _ => false,
            },
        }
    }

    /// The digest of SWS `id`, rebuilt from scratch.
    fn digest(&self, id: u64) -> Hash {
        let mut graph = jitos_graph::Graph::new();
        for (kind, payload) in &self.sws[&id].0 {
            let _ = graph.add_node(jitos_graph::Node::new(kind.as_str(), payload.as_slice()));
        }
        graph.digest_full()
    }
}

fn run(steps: &[Step]) -> Vec<Vec<u8>> {
    let mut state = State::new();
    steps
        .iter()
        .filter_map(|step| state.apply(command(step)).ok())
        .map(|event| event.encode().expect("events encode"))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn same_script_same_bytes(steps in proptest::collection::vec(step(), 0..40)) {
        prop_assert_eq!(run(&steps), run(&steps));
    }

    #[test]
    fn kernel_agrees_with_the_model(steps in proptest::collection::vec(step(), 0..40)) {
        let mut state = State::new();
        let mut model = Model::default();
        for step in &steps {
            let n_events = state.events().len();
            let accepted = state.apply(command(step)).is_ok();
            prop_assert_eq!(accepted, model.apply(step), "{:?}", step);
            prop_assert_eq!(state.events().len(), n_events + usize::from(accepted));
            prop_assert_eq!(state.system().n_nodes(), 0);
        }
        for (id, (_, active)) in &model.sws {
            let record = state.sws(*id).expect("every SWS of the model exists");
            prop_assert_eq!(state.graph(jitos_kernel::ViewKey::Sws(*id), "view").expect("graph").digest(), model.digest(*id));
            prop_assert_eq!(record.state == jitos_kernel::SwsState::Active, *active);
        }
        let idxs: Vec<u64> = state.events().iter().map(|event| event.idx).collect();
        prop_assert_eq!(idxs, (0..state.events().len() as u64).collect::<Vec<_>>());
    }
}
