//! [`DigestIndex`]: digest → the first version of a view with that digest, for `snapshotId`
//! lookups, shared by every clone of a view's history and only ever added to.
//!
//! Why not a persistent map like the rest of the state: the index gains one entry per version,
//! with random keys, so a persistent map pays a cold walk of its depth and, while a published
//! snapshot shares it, a copied path, on every command (measured: 14% of an AddNode at 1M
//! versions with a crit-bit map). A version's first digest never changes once recorded, so one
//! shared, append-only hash table serves the writer and every snapshot of it.
//!
//! # Invariants
//! - The table describes one line of versions: `n_recorded` versions, recorded in order, each
//!   entry `digest → v` the first of them with that digest. Entries are only added.
//! - Every history sharing a table has a prefix of that line as its versions (a snapshot, or a
//!   clone that has not moved since). A clone that records a version the table did not expect
//!   next (it went another way than the table's line) first takes a table of its own, built
//!   from its versions. So a lookup needs no check beyond "is the version mine": one below the
//!   asker's version count.
//! - The table is only read by point lookups, never iterated, so its order (hashing) reaches
//!   nothing: not a response, not a digest, not the log.

#![expect(
    clippy::disallowed_types,
    reason = "point lookups only, never iterated (see the module invariants)"
)]

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, DefaultHasher};
use std::sync::{Arc, PoisonError, RwLock};

use imbl::Vector;
use jitos_core::Hash;

use super::Version;

/// SipHash with fixed keys: the same table layout in every run.
type Table = HashMap<Hash, usize, BuildHasherDefault<DefaultHasher>>;

#[derive(Debug, Default)]
struct Line {
    table: Table,
    n_recorded: usize,
}

/// The shared index (see the module doc). `Clone` shares it.
#[derive(Debug, Clone, Default)]
pub(super) struct DigestIndex {
    line: Arc<RwLock<Line>>,
}

impl DigestIndex {
    /// An index of `versions`, shared with no other history.
    pub(super) fn of(versions: &Vector<Version>) -> DigestIndex {
        let mut line = Line::default();
        for v in versions {
            line.table.entry(v.digest).or_insert(line.n_recorded);
            line.n_recorded += 1;
        }
        DigestIndex {
            line: Arc::new(RwLock::new(line)),
        }
    }

    /// Records the last of `versions`, which the history just pushed.
    pub(super) fn record_last(&mut self, versions: &Vector<Version>) {
        let (Some(last), version) = (versions.last(), versions.len() - 1) else {
            return;
        };
        {
            let mut line = self.line.write().unwrap_or_else(PoisonError::into_inner);
            if line.n_recorded == version {
                line.table.entry(last.digest).or_insert(version);
                line.n_recorded += 1;
                return;
            }
        }
        // Another clone moved the line on: this history goes its own way.
        *self = DigestIndex::of(versions);
    }

    /// The first of `versions` whose digest is `digest`.
    pub(super) fn first(&self, versions: &Vector<Version>, digest: &Hash) -> Option<usize> {
        let line = self.line.read().unwrap_or_else(PoisonError::into_inner);
        let found = line.table.get(digest).copied()?;
        debug_assert!(
            versions.get(found).is_none_or(|v| v.digest == *digest),
            "the index's line has the asker's versions as a prefix"
        );
        (found < versions.len()).then_some(found)
    }
}
