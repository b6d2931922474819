//! [`DigestIndex`]: digest → the first version of a view with that digest, for `snapshotId`
//! lookups, shared by every clone of a view's history and only ever added to.
//!
//! Why not a persistent map like the rest of the state: the index gains one entry per version,
//! with random keys, so a persistent map pays a cold walk of its depth and, while a published
//! snapshot shares it, a copied path, on every command (measured: 14% of an AddNode at 1M
//! versions with a crit-bit map). A version's first digest never changes once recorded, so one
//! shared, append-only hash table serves the writer and every snapshot of it.
//!
//! A replay's bare run records its versions without indexing them (`record_last` with `defer`),
//! and a history restored from a checkpoint starts unindexed (`deferred`): a random insert into
//! a table of a million entries is a cache miss, 5 to 8% of a start. The first lookup indexes
//! what is missing, and `jitosd` does so on its `jitos-history` thread right
//! after the start (`catch_up`, with the deferred history checkpoints); so does the first
//! version recorded without `defer`.
//!
//! # Invariants
//! - The table describes one line of versions: `n_recorded` versions, recorded in order; the
//!   first `n_indexed` of them are in the table, each entry `digest → v` the first of them with
//!   that digest (indexing goes in version order). Entries are only added. A lookup indexes up
//!   to the asker's versions before it reads, so it answers as if nothing had been deferred.
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
    /// Versions `0..n_indexed` of the line are in `table`; at most `n_recorded`.
    n_indexed: usize,
}

impl Line {
    /// Indexes the line's versions up to the end of `versions`, a prefix of the line.
    fn catch_up(&mut self, versions: &Vector<Version>) {
        let until = versions.len().min(self.n_recorded);
        if until <= self.n_indexed {
            return;
        }
        let missing = versions.skip(self.n_indexed).take(until - self.n_indexed);
        for (version, v) in (self.n_indexed..).zip(missing.iter()) {
            self.table.entry(v.digest).or_insert(version);
        }
        self.n_indexed = until;
    }
}

/// The shared index (see the module doc). `Clone` shares it.
#[derive(Debug, Clone, Default)]
pub(super) struct DigestIndex {
    line: Arc<RwLock<Line>>,
}

impl DigestIndex {
    /// An index of `versions`, shared with no other history.
    pub(super) fn of(versions: &Vector<Version>) -> DigestIndex {
        let index = DigestIndex::deferred(versions);
        index.catch_up(versions);
        index
    }

    /// An index of `versions` that indexes them when first read (a lookup, `catch_up`, or the
    /// next version recorded without `defer`), not now: a history restored from a checkpoint.
    pub(super) fn deferred(versions: &Vector<Version>) -> DigestIndex {
        let line = Line {
            n_recorded: versions.len(),
            ..Line::default()
        };
        DigestIndex {
            line: Arc::new(RwLock::new(line)),
        }
    }

    /// Records the last of `versions`, which the history just pushed; indexes it (and any
    /// versions deferred before it) unless `defer`.
    pub(super) fn record_last(&mut self, versions: &Vector<Version>, defer: bool) {
        let Some(version) = versions.len().checked_sub(1) else {
            return;
        };
        {
            let mut line = self.line.write().unwrap_or_else(PoisonError::into_inner);
            if line.n_recorded == version {
                line.n_recorded += 1;
                if !defer {
                    line.catch_up(versions);
                }
                return;
            }
        }
        // Another clone moved the line on: this history goes its own way.
        *self = DigestIndex::of(versions);
    }

    /// Indexes every version of `versions` (a prefix of the line) recorded with `defer`.
    pub(super) fn catch_up(&self, versions: &Vector<Version>) {
        let behind = {
            let line = self.line.read().unwrap_or_else(PoisonError::into_inner);
            line.n_indexed < versions.len().min(line.n_recorded)
        };
        if behind {
            let mut line = self.line.write().unwrap_or_else(PoisonError::into_inner);
            line.catch_up(versions);
        }
    }

    /// The first of `versions` whose digest is `digest`.
    pub(super) fn first(&self, versions: &Vector<Version>, digest: &Hash) -> Option<usize> {
        self.catch_up(versions);
        let line = self.line.read().unwrap_or_else(PoisonError::into_inner);
        let found = line.table.get(digest).copied()?;
        debug_assert!(
            versions.get(found).is_none_or(|v| v.digest == *digest),
            "the index's line has the asker's versions as a prefix"
        );
        (found < versions.len()).then_some(found)
    }
}
