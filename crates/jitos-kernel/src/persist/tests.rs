//! The log on (simulated) disk: boot gives back the state that wrote it; after a power cut it
//! gives back exactly a prefix holding every acknowledged event; a failed sync acknowledges
//! nothing and poisons the log; a record that disagrees with its event stops the boot.

use std::sync::Arc;

use jitos_graph::Node;
use jitos_schema::ops::{AddNode, Op, RemoveNode};
use jitos_wal::{Entry, SimStorage, SplitMix64, Wal, WalError, WalOptions};

use super::{AppendError, BootError, append, boot};
use crate::output::{POLICY_ID, rule_pack_id};
use crate::state::{Command, State};
use crate::test_support::log;
use crate::view::ViewKey;

fn add(sws: u64, payload: u64) -> Command {
    Command::ApplyRewrite {
        view: ViewKey::Sws(sws),
        ops: vec![Op::AddNode(AddNode {
            kind: "p".to_owned(),
            payload: payload.to_be_bytes().to_vec(),
        })],
        meta: None,
        idempotency_key: None,
    }
}

fn create() -> Command {
    Command::CreateSws {
        meta: None,
        idempotency_key: None,
    }
}

fn collapse(id: u64) -> Command {
    Command::CollapseSws {
        id,
        meta: None,
        idempotency_key: None,
    }
}

/// `rounds` rounds of: SWSs A and B add the same node; A lands; C (over the new System)
/// removes it while B still adds it: B's collapse commits (adding what System has is no
/// conflict), then C's does; a fourth SWS D removes the node too and lands after C: ALREADY_REMOVED.
fn script(rounds: u64) -> Vec<Command> {
    let mut commands = Vec::new();
    for round in 0..rounds {
        let (a, b, c, d) = (4 * round, 4 * round + 1, 4 * round + 2, 4 * round + 3);
        let payload = 1000 + round;
        let remove = |sws: u64| Command::ApplyRewrite {
            view: ViewKey::Sws(sws),
            ops: vec![Op::RemoveNode(RemoveNode {
                id: *Node::new("p", payload.to_be_bytes()).id().as_bytes(),
            })],
            meta: None,
            idempotency_key: None,
        };
        commands.extend([
            create(),
            create(),
            add(a, payload),
            add(b, payload),
            collapse(a),
        ]);
        commands.extend([create(), create(), remove(c), remove(d)]);
        commands.extend([collapse(b), collapse(c), collapse(d)]);
    }
    commands
}

/// Runs `commands`, appending each accepted event with its own sync.
fn run_durably(storage: &SimStorage, commands: Vec<Command>) -> State {
    let (mut state, mut wal, _) = boot(storage.clone(), WalOptions::default()).expect("boots");
    for command in commands {
        if let Ok(event) = state.apply(command) {
            append(&mut wal, &[event]).expect("durable");
        }
    }
    state
}

#[test]
fn boot_gives_back_the_state_that_wrote_the_log() {
    let storage = SimStorage::new();
    let written = run_durably(&storage, script(4));
    assert!(written.events().len() > 20);
    let outcomes = written.events().iter().filter_map(|e| e.outcome.as_ref());
    let aborted = outcomes.filter(|outcome| !outcome.committed).count();
    assert_eq!(aborted, 4, "one ALREADY_REMOVED per round");
    let (booted, wal, _) = boot(storage, WalOptions::default()).expect("boots");
    assert_eq!(log(&booted), log(&written));
    assert_eq!(booted.system().digest(), written.system().digest());
    assert_eq!(wal.next_idx(), written.events().len() as u64);
}

#[test]
fn after_a_power_cut_boot_gives_a_prefix_with_every_acknowledged_event() {
    let reference = run_durably(&SimStorage::new(), script(3));
    let all = log(&reference);
    for seed in 0..200u64 {
        let storage = SimStorage::new();
        let (mut state, mut wal, _) = boot(storage.clone(), WalOptions::default()).expect("boot");
        let mut rng = SplitMix64::new(seed);
        let acknowledged = rng.below(all.len() as u64);
        for command in script(3) {
            let Ok(event) = state.apply(command) else {
                continue;
            };
            if event.idx < acknowledged {
                append(&mut wal, &[event]).expect("durable");
            } else {
                // Written but never synced: not acknowledged.
                let body = event.encode().expect("encodes");
                let entry = Entry {
                    rule_pack_id: rule_pack_id(),
                    policy_id: POLICY_ID,
                    view_digest: super::changed_view_digest(&event),
                    body: &body,
                };
                wal.append(entry).expect("buffered");
            }
        }
        drop(wal);
        storage.power_cut(seed);
        let (booted, _, _) = boot(storage, WalOptions::default()).expect("boots after a cut");
        let booted = log(&booted);
        assert!(
            booted.len() as u64 >= acknowledged,
            "seed {seed}: lost an acknowledged event"
        );
        assert_eq!(booted[..], all[..booted.len()], "seed {seed}: not a prefix");
    }
}

#[test]
fn a_failed_sync_acknowledges_nothing_and_poisons_the_log() {
    let storage = SimStorage::new();
    let (mut state, mut wal, _) = boot(storage.clone(), WalOptions::default()).expect("boots");
    let first = state.apply(create()).expect("create");
    append(&mut wal, &[first]).expect("durable");
    storage.fail_next_sync();
    let second = state.apply(add(0, 1)).expect("add");
    let failed = append(&mut wal, &[Arc::clone(&second)]);
    assert!(
        matches!(failed, Err(AppendError::Wal(WalError::Io { .. }))),
        "{failed:?}"
    );
    let third = state.apply(add(0, 2)).expect("add");
    let poisoned = append(&mut wal, &[third]);
    assert!(
        matches!(poisoned, Err(AppendError::Wal(WalError::Poisoned))),
        "{poisoned:?}"
    );
    drop(wal);
    storage.power_cut(7);
    let (booted, _, _) = boot(storage, WalOptions::default()).expect("boots");
    assert_eq!(
        booted.events().len(),
        1,
        "only the acknowledged event is certain to be there"
    );
}

#[test]
fn records_that_disagree_with_their_events_stop_the_boot() {
    let state = run_durably(&SimStorage::new(), script(1));
    let event = &state.events()[0];
    let body = event.encode().expect("encodes");
    let cases = [
        (POLICY_ID + 1, event.view_digest),
        (POLICY_ID, jitos_core::Hash::ZERO),
    ];
    for (policy, digest) in cases {
        let storage = SimStorage::new();
        let (mut wal, _) = Wal::open(storage.clone(), WalOptions::default()).expect("opens");
        let entry = Entry {
            rule_pack_id: rule_pack_id(),
            policy_id: policy,
            view_digest: digest,
            body: &body,
        };
        wal.append_batch(&[entry]).expect("durable");
        let error = boot(storage, WalOptions::default()).expect_err("refused");
        if policy == POLICY_ID {
            assert!(
                matches!(
                    error,
                    BootError::Header {
                        idx: 0,
                        what: "view digest"
                    }
                ),
                "{error}"
            );
        } else {
            assert!(
                matches!(
                    error,
                    BootError::Pins {
                        idx: 0,
                        policy_id: 1,
                        ..
                    }
                ),
                "{error}"
            );
        }
    }
}
