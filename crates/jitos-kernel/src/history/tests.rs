//! Every version of a view can be read back, with its digest, whether or not it is a
//! checkpoint; lookups by idx and by digest find the right version.

use jitos_core::Hash;
use jitos_schema::ops::{AddNode, Op, RemoveNode};

use super::{CHECKPOINT_OPS, Version};
use crate::error::KernelError;
use crate::state::{Command, State};
use crate::view::{At, ViewKey, ViewSpec};

fn add(n: u64) -> Op {
    Op::AddNode(AddNode {
        kind: "h".to_owned(),
        payload: n.to_be_bytes().to_vec(),
    })
}

fn rewrite(ops: Vec<Op>) -> Command {
    Command::ApplyRewrite {
        view: ViewKey::Sws(0),
        ops,
        meta: None,
        idempotency_key: None,
    }
}

/// SWS 0 after `n_rewrites` rewrites, each of `ops_each` nodes, with the digest after each.
fn state_with(n_rewrites: u64, ops_each: u64) -> (State, Vec<Hash>) {
    let mut state = State::new();
    let create = Command::CreateSws {
        meta: None,
        idempotency_key: None,
    };
    let mut digests = vec![state.apply(create).expect("create").view_digest];
    for r in 0..n_rewrites {
        let ops = (0..ops_each).map(|o| add(r * ops_each + o)).collect();
        digests.push(state.apply(rewrite(ops)).expect("rewrite").view_digest);
    }
    (state, digests)
}

fn read(state: &State, at: At) -> Hash {
    let view = state
        .resolve(
            ViewSpec {
                key: ViewKey::Sws(0),
                at,
            },
            "view",
        )
        .expect("resolves");
    let graph = state.graph_of(&view).expect("rebuilds");
    assert_eq!(
        graph.digest(),
        view.digest,
        "the resolved digest is the graph's"
    );
    graph.digest()
}

#[test]
fn every_version_reads_back_by_idx_and_by_digest() {
    // Several checkpoints, and versions on both sides of each.
    let n_rewrites = (CHECKPOINT_OPS as u64) * 3 + 5;
    let (state, digests) = state_with(n_rewrites, 1);
    for (idx, digest) in digests.iter().enumerate() {
        assert_eq!(read(&state, At::AsOf(idx as u64)), *digest, "asOf {idx}");
        assert_eq!(
            read(&state, At::Snapshot(*digest)),
            *digest,
            "snapshot at {idx}"
        );
    }
}

#[test]
fn large_rewrites_take_a_checkpoint_each() {
    let (state, digests) = state_with(4, CHECKPOINT_OPS as u64 * 2);
    for (idx, digest) in digests.iter().enumerate() {
        assert_eq!(read(&state, At::AsOf(idx as u64)), *digest);
    }
}

#[test]
fn as_of_an_event_of_another_view_reads_the_version_before_it() {
    let (mut state, digests) = state_with(2, 1);
    let other = Command::CreateSws {
        meta: None,
        idempotency_key: None,
    };
    let other_idx = state.apply(other).expect("create SWS 1").idx;
    assert_eq!(read(&state, At::AsOf(other_idx)), digests[2]);
}

#[test]
fn a_digest_seen_twice_resolves_to_its_first_version() {
    let (mut state, digests) = state_with(1, 1);
    let remove = Op::RemoveNode(RemoveNode {
        id: *jitos_graph::Node::new("h", 0u64.to_be_bytes())
            .id()
            .as_bytes(),
    });
    let back = state
        .apply(rewrite(vec![remove]))
        .expect("remove")
        .view_digest;
    assert_eq!(
        back, digests[0],
        "removing the only node gives the base back"
    );
    let view = state
        .resolve(
            ViewSpec {
                key: ViewKey::Sws(0),
                at: At::Snapshot(back),
            },
            "view",
        )
        .expect("resolves");
    assert_eq!(view.version, 0);
    assert_eq!(
        view.events_before,
        Some(1),
        "pinned to the SWS_CREATE event"
    );
}

#[test]
fn moments_the_view_never_had_are_not_found_at_their_field() {
    let (state, _) = state_with(1, 1);
    let resolve = |key, at| {
        state
            .resolve(ViewSpec { key, at }, "view")
            .expect_err("refused")
    };
    let error = resolve(ViewKey::Sws(0), At::AsOf(2));
    assert_eq!(error.field.as_deref(), Some("view.asOf"));
    assert_eq!(error.code, jitos_schema::ErrorCode::NotFound);
    let error = resolve(ViewKey::Sws(0), At::Snapshot(Hash::ZERO));
    assert_eq!(error.field.as_deref(), Some("view.snapshotId"));
    let error = resolve(ViewKey::Sws(1), At::Live);
    assert_eq!(error.field.as_deref(), Some("view.swsId"));
}

#[test]
fn an_sws_did_not_exist_before_its_creation() {
    let (mut state, _) = state_with(1, 1);
    let create = Command::CreateSws {
        meta: None,
        idempotency_key: None,
    };
    let created = state.apply(create).expect("create").idx;
    let before = ViewSpec {
        key: ViewKey::Sws(1),
        at: At::AsOf(created - 1),
    };
    let error = state.resolve(before, "view").expect_err("refused");
    assert_eq!(error.field.as_deref(), Some("view.asOf"));
    // System existed from the start: as of event 0 it is the empty graph.
    let system = ViewSpec {
        key: ViewKey::System,
        at: At::AsOf(0),
    };
    let view = state.resolve(system, "view").expect("System as of 0");
    assert_eq!(view.digest, jitos_graph::Graph::new().digest());
}

/// A change that fails after mutating the live graph in place leaves the history as it was:
/// the live graph is rebuilt from the last checkpoint and the log, at any distance from it.
#[test]
fn a_failed_change_in_place_restores_the_live_graph() {
    for n_rewrites in [0, 1, 5, CHECKPOINT_OPS as u64 + 3] {
        let (mut state, digests) = state_with(n_rewrites, 1);
        let before = *digests.last().expect("a digest");
        let n_events = state.events().len();
        let log = state.events().clone();
        let history = state.history_mut(ViewKey::Sws(0)).expect("history");
        let n_versions = history.n_versions();
        let refused = history.apply_live(99, 1, &log, |graph| -> Result<(), KernelError> {
            let _added = graph.add_node(jitos_graph::Node::new("h", b"half-way"));
            Err(KernelError::internal("refused after changing the graph"))
        });
        assert!(refused.is_err());
        assert_eq!(
            history.live().digest(),
            before,
            "after {n_rewrites} rewrites"
        );
        assert!(history.live().has_trees(), "rebuilt with its trees");
        assert_eq!(history.n_versions(), n_versions);
        assert_eq!(state.events().len(), n_events);
        // The next rewrite applies to the restored graph.
        let next = state.apply(rewrite(vec![add(10_000)])).expect("rewrite");
        assert_ne!(next.view_digest, before);
    }
}

fn remove(n: u64) -> Op {
    Op::RemoveNode(RemoveNode {
        id: *jitos_graph::Node::new("h", n.to_be_bytes()).id().as_bytes(),
    })
}

fn version_of(state: &State, digest: Hash) -> Option<usize> {
    state.history(ViewKey::Sws(0))?.version_of(&digest)
}

#[test]
fn clones_that_go_different_ways_each_find_their_own_first_versions() {
    // The digest index is shared by clones (snapshots); one that moves another way than the
    // index's line takes its own.
    let (mut a, _) = state_with(1, 1);
    let mut b = a.clone();
    let snapshot = a.clone();
    let x = a
        .apply(rewrite(vec![add(5)]))
        .expect("a: add 5")
        .view_digest;
    let y = b
        .apply(rewrite(vec![add(6)]))
        .expect("b: add 6")
        .view_digest;
    b.apply(rewrite(vec![add(5)])).expect("b: add 5");
    let x_again = b.apply(rewrite(vec![remove(6)])).expect("b: remove 6");
    assert_eq!(
        x_again.view_digest, x,
        "b reaches a's version 2 as its version 4"
    );
    assert_eq!(version_of(&a, x), Some(2));
    assert_eq!(version_of(&b, x), Some(4));
    assert_eq!(version_of(&b, y), Some(2));
    assert_eq!(version_of(&a, y), None, "b's own digest is not a's");
    assert_eq!(version_of(&snapshot, x), None, "made after the snapshot");
    assert_eq!(read(&b, At::Snapshot(x)), x);
    // A moves on, and still finds its versions.
    let z = a
        .apply(rewrite(vec![add(7)]))
        .expect("a: add 7")
        .view_digest;
    assert_eq!((version_of(&a, z), version_of(&b, z)), (Some(3), None));
}

#[test]
fn periodic_checkpoints_keep_no_trees() {
    let n_rewrites = 3 * CHECKPOINT_OPS as u64;
    let (state, digests) = state_with(n_rewrites, 1);
    let history = state.history(ViewKey::Sws(0)).expect("history");
    let with_trees: Vec<usize> = history
        .checkpoints
        .iter()
        .filter(|(_, graph)| graph.has_trees())
        .map(|(version, _)| *version)
        .collect();
    // Only the SWS's first version (its base, shared with System) keeps its trees; the live
    // graph's are its own.
    assert_eq!(with_trees, vec![0]);
    assert!(history.checkpoints.len() >= 4);
    assert!(history.live().has_trees());
    // Versions rebuilt from checkpoints without trees read back with their digests.
    for (version, digest) in digests.iter().enumerate() {
        let graph = history.graph(version, state.events()).expect("rebuilds");
        assert_eq!(graph.digest(), *digest, "version {version}");
        assert_eq!(
            graph.digest_full(),
            *digest,
            "version {version}, recomputed"
        );
    }
}

/// A JSON value nested `depth` arrays deep.
fn nested(depth: usize) -> jitos_schema::Json {
    (0..depth).fold(jitos_schema::Json::Null, |inner, _| {
        jitos_schema::Json::Array(vec![inner])
    })
}

#[test]
fn a_meta_too_deep_to_encode_is_refused_before_the_graph_changes() {
    let (mut state, digests) = state_with(3, 1);
    let n_events = state.events().len();
    let n_versions = state.history(ViewKey::Sws(0)).expect("sws").n_versions();
    let limit = jitos_core::limits::CBOR_DEPTH_MAX;
    let mut refused_at = None;
    for depth in limit.saturating_sub(3)..=limit + 2 {
        let meta = Some(nested(depth));
        // The early check agrees with encoding the event itself.
        let parts = crate::event::EventParts {
            kind: jitos_schema::enums::EventKind::RewriteApplied,
            view: ViewKey::Sws(0),
            ops: vec![add(1)],
            meta: meta.clone(),
            reason: None,
            idempotency_key: None,
            outcome: None,
        };
        let encodes = crate::event::Event::new(99, parts, Hash::ZERO).is_ok();
        assert_eq!(
            crate::event::check_meta(meta.as_ref()).is_ok(),
            encodes,
            "depth {depth}"
        );
        if !encodes && refused_at.is_none() {
            refused_at = Some(depth);
            let command = Command::ApplyRewrite {
                view: ViewKey::Sws(0),
                ops: vec![add(10_000)],
                meta,
                idempotency_key: None,
            };
            let error = state.apply(command).expect_err("too deep");
            assert_eq!(error.field.as_deref(), Some("rewrite.meta"));
            assert_eq!(error.code, jitos_schema::ErrorCode::InvalidInput);
        }
    }
    assert!(
        refused_at.is_some(),
        "some depth up to the limit + 2 is refused"
    );
    let history = state.history(ViewKey::Sws(0)).expect("sws");
    assert_eq!(history.live().digest(), *digests.last().expect("digests"));
    assert_eq!(
        (history.n_versions(), state.events().len()),
        (n_versions, n_events)
    );
}

#[test]
fn a_deferred_digest_index_answers_as_an_eager_one() {
    use super::digest_index::DigestIndex;
    // Digests with repeats: a lookup must find the first version of each.
    let digest = |v: u64| jitos_core::hash_bytes(&(v % 5).to_be_bytes());
    let mut versions = imbl::Vector::new();
    let mut deferred = DigestIndex::default();
    let mut eager = DigestIndex::default();
    for v in 0..40u64 {
        versions.push_back(Version {
            made_by: Some(v),
            digest: digest(v),
        });
        deferred.record_last(&versions, v < 30);
        eager.record_last(&versions, false);
        // A snapshot taken now shares the table and sees only its prefix.
        let snapshot = versions.clone();
        for probe in 0..6u64 {
            let asked = jitos_core::hash_bytes(&probe.to_be_bytes());
            assert_eq!(
                deferred.first(&snapshot, &asked),
                eager.first(&snapshot, &asked),
                "after version {v}, digest {probe}"
            );
        }
    }
    // Deferred to the end, then caught up by the history thread.
    let mut late = DigestIndex::default();
    let mut prefix = imbl::Vector::new();
    for version in &versions {
        prefix.push_back(*version);
        late.record_last(&prefix, true);
    }
    late.catch_up(&versions);
    assert_eq!(late.first(&versions, &digest(3)), Some(3));
    assert_eq!(late.first(&versions.take(2), &digest(3)), None);
    // Restored unindexed: the first lookup, even of a prefix, indexes what it needs.
    let restored = DigestIndex::deferred(&versions);
    let whole = DigestIndex::of(&versions);
    for probe in 0..6u64 {
        let asked = jitos_core::hash_bytes(&probe.to_be_bytes());
        for n in [0, 2, 7, versions.len()] {
            let prefix = versions.take(n);
            assert_eq!(
                restored.first(&prefix, &asked),
                whole.first(&prefix, &asked)
            );
        }
    }
    // Recording on after a restore indexes the restored versions first.
    let mut recorded = DigestIndex::deferred(&versions);
    let mut more = versions.clone();
    more.push_back(Version {
        made_by: Some(40),
        digest: digest(40),
    });
    recorded.record_last(&more, false);
    assert_eq!(recorded.first(&more, &digest(40)), Some(0));
}
