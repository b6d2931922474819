//! Structural sharing at scale: a clone of a 100k-node graph given 1,000 more nodes owns
//! O(1,000 × log n) new Merkle tree nodes, not O(n), and the original is untouched.
//!
//! Counting uses `Graph::tree_stats`, which walks both graphs' trees and compares node
//! addresses; it needs no global allocator hook (and so no `unsafe`). The id-ordered
//! maps (`critmap`) are shared the same way by construction (path copying), which this test
//! does not count.
//!
//! # Invariants
//! - The bound checked is `1,000 × (log2(n) + 2)`: per insert one new leaf, one new branch and
//!   a copied path of about log2(n) branches; paths of later inserts overwrite earlier copies,
//!   so the real count is lower. A copy of the whole tree would be about 2n = 200,000 nodes.

use jitos_graph::{Graph, Node};

const N_BASE: u64 = 100_000;
const N_ADDED: u64 = 1_000;

fn node(idx: u64) -> Node {
    Node::new("demo.bulk", idx.to_le_bytes())
}

#[test]
fn a_clone_with_1000_more_nodes_shares_the_rest() {
    let base = Graph::build((0..N_BASE).map(node), []).expect("valid nodes");
    let base_digest = base.digest();
    let mut view = base.clone();
    for idx in N_BASE..N_BASE + N_ADDED {
        let _ = view.add_node(node(idx)).expect("valid node");
    }
    assert_eq!(view.n_nodes() as u64, N_BASE + N_ADDED);
    assert_eq!(base.n_nodes() as u64, N_BASE, "the base is untouched");
    assert_eq!(base.digest(), base_digest);
    assert_ne!(view.digest(), base_digest);

    let stats = view.tree_stats(&base);
    let n_total = N_BASE + N_ADDED;
    // A crit-bit tree of n leaves has exactly 2n - 1 nodes.
    assert_eq!(stats.n_tree_nodes as u64, 2 * n_total - 1);
    let log2_n = u64::from(n_total.ilog2()) + 1;
    let bound = N_ADDED * (log2_n + 2);
    let fresh = stats.n_tree_nodes_not_in_base as u64;
    assert!(
        fresh >= 2 * N_ADDED,
        "each new node brings a leaf and a branch: {fresh}"
    );
    assert!(fresh <= bound, "{fresh} new tree nodes, bound {bound}");
    assert!(
        fresh * 10 < stats.n_tree_nodes as u64,
        "far from a copy: {fresh}"
    );

    // The digests after the detour equal a graph built from the final set.
    let rebuilt = Graph::build((0..N_BASE + N_ADDED).map(node), []).expect("valid nodes");
    assert_eq!(rebuilt.digest(), view.digest());
    assert_eq!(rebuilt.digest_full(), view.digest());
}

/// A view changed without its trees and given them back from its base's: the trees share all
/// but the changed paths with the base's, as if it had been changed with them.
#[test]
fn trees_grown_from_the_base_share_the_rest() {
    let base = Graph::build((0..N_BASE).map(node), []).expect("valid nodes");
    let mut bare = base.without_trees();
    for idx in N_BASE..N_BASE + N_ADDED {
        let _ = bare.add_node(node(idx)).expect("valid node");
    }
    let view = bare.with_trees_from(&base);
    let rebuilt = Graph::build((0..N_BASE + N_ADDED).map(node), []).expect("valid nodes");
    assert_eq!(view.digest(), rebuilt.digest());
    let stats = view.tree_stats(&base);
    let log2_n = u64::from((N_BASE + N_ADDED).ilog2()) + 1;
    let fresh = stats.n_tree_nodes_not_in_base as u64;
    assert!(
        fresh <= N_ADDED * (log2_n + 2),
        "{fresh} new tree nodes: updated, not rebuilt"
    );

    // Too many changes for an update: built from the maps, the same digest, nothing shared.
    let mut grown = base.without_trees();
    for idx in N_BASE..2 * N_BASE {
        let _ = grown.add_node(node(idx)).expect("valid node");
    }
    let built = grown.with_trees_from(&base);
    let expected = Graph::build((0..2 * N_BASE).map(node), []).expect("valid nodes");
    assert_eq!(built.digest(), expected.digest());
    assert_eq!(
        built.tree_stats(&base).n_tree_nodes_not_in_base,
        built.tree_stats(&base).n_tree_nodes,
        "built from scratch"
    );
}
