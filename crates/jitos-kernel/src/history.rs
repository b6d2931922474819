//! The history of one view: every version its graph has had, addressable by event idx (time
//! travel) and by digest (snapshots), and the idx of every event that targeted it.
//!
//! A version's graph is kept only at checkpoints, taken once [`CHECKPOINT_OPS`] ops have been
//! applied since the last one; any other version is rebuilt from the checkpoint before it by
//! replaying the ops of the events in between, fewer than `CHECKPOINT_OPS` of them. So reading a
//! version from long ago costs at most that replay, whatever its age.
//!
//! Memory: a checkpoint keeps alive the paths of the id-ordered maps its ops copied since the
//! previous one (node ids are hashes, so 64 ops touch 64 unrelated paths: about 0.8 KiB per op
//! at 1M nodes with the binary `CritMap`). It keeps no Merkle trees ([`Graph::without_trees`]):
//! a checkpoint is read and replayed from, never merged, so the live graph's trees are its own
//! and change in place, and the trees' paths (more than half of what a version used to cost)
//! are neither copied nor retained. Only the versions a merge diffs against keep their trees:
//! a view's first version (an SWS's base is System's graph) and System's versions pinned as
//! bases ([`ViewHistory::checkpoint_live`]). `docs/spec/snapshots.md`, `docs/PERFORMANCE.md`.
//!
//! A replay's bare run ([`ViewHistory::begin_bare`]) defers its checkpoints: it records where
//! they fall due and the graph it started from, and changes the live graph in place, so a
//! start pays neither the copied paths nor the memory they keep. The first read that needs
//! one of them makes all of the run's checkpoints, once, by replaying the run's ops from its
//! start graph in place and keeping a copy at each due version, exactly what the run would
//! have kept; every clone of the history shares what it made. A daemon makes them in the
//! background after it starts ([`State::make_deferred_checkpoints`](crate::State)), so reads
//! soon stop waiting for them.
//!
//! # Invariants
//! - `versions[0]` is the view's first version and is always a checkpoint; `live` is the graph
//!   of the last version.
//! - Versions are in event order: their `made_by` idx values strictly increase (`None`, System's
//!   genesis, comes first).
//! - Replaying the events from a checkpoint with trees reproduces each version's digest
//!   exactly; a mismatch is reported as `INTERNAL`, never served. A version replayed from a
//!   checkpoint without trees takes the digest recorded when it was made (computed then by the
//!   live graph's trees; debug builds recompute it from scratch while the graph is small).
//! - The live graph always has its trees; after a failed change it is rebuilt with them. The
//!   one exception is a replay's bare run ([`ViewHistory::begin_bare`] to
//!   [`ViewHistory::end_bare`]), which the replay ends before anything else reads the view.
//! - A deferred checkpoint's graph, once made, is the one the checkpoint would have had; until
//!   then its version counts as a checkpoint for `ops_since_checkpoint`, and a rebuild of a
//!   later version starts from it, never from further back.
//! - `first_version_of` is shared by the history's clones and only added to; a clone that goes
//!   another way takes its own (`digest_index`).
//! - A version made by a REBASE is always a checkpoint: its graph is System plus the merged
//!   ops, not the version before plus the ops, so it is never replayed from the version before.
//! - A history restored from a checkpoint file ([`ViewHistory::restore`]) keeps graphs only of
//!   the versions the file held; an older version is rebuilt from the nearest graph before it,
//!   or from an anchor: an SWS's first version or a REBASE version, which are System's graph
//!   at that event (plus the rebase's ops), supplied by the caller.

use std::sync::{Arc, OnceLock};

use imbl::{OrdMap, Vector};
use jitos_core::Hash;
use jitos_graph::{Graph, Node};
use jitos_schema::enums::EventKind;

use crate::error::KernelError;
use crate::event::Event;
use crate::rewrite;
use digest_index::DigestIndex;

/// Ops applied between two checkpoints at most: a version rebuild replays fewer than this.
pub const CHECKPOINT_OPS: usize = 64;

/// One version of a view's graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    /// The event that made it; `None` for System before any event.
    pub made_by: Option<u64>,
    /// Its digest.
    pub digest: Hash,
}

/// Every version of one view's graph, and the events that targeted it.
#[derive(Debug, Clone)]
pub struct ViewHistory {
    live: Graph,
    event_idxs: Vector<u64>,
    versions: Vector<Version>,
    checkpoints: OrdMap<usize, Graph>,
    deferred: OrdMap<usize, Arc<Deferred>>,
    bare: Option<BareRun>,
    ops_since_checkpoint: usize,
    first_version_of: DigestIndex,
}

/// The checkpoints a replay's bare run left to be made when first needed: their versions, and
/// the graph the run started from. Shared by every clone of the history, so whichever reader
/// needs one first makes all of them, once, for every snapshot (see the module doc).
#[derive(Debug)]
struct Deferred {
    /// The version the run started from.
    from: usize,
    /// Its graph, without trees.
    graph: Graph,
    /// The versions that are checkpoints, ascending, all after `from`.
    due: Vec<usize>,
    /// Their graphs, without trees, once made.
    made: OnceLock<Result<Vec<Graph>, KernelError>>,
}

/// A bare run in progress: where it started, the checkpoints it has deferred so far, and the
/// nodes its last events added that wait to go into the live graph together.
#[derive(Debug, Clone)]
struct BareRun {
    from: usize,
    graph: Graph,
    due: Vec<usize>,
    pending: Vec<Node>,
}

impl ViewHistory {
    /// A history whose first version is `graph`, made by event `made_by` (which targets the
    /// view) or by nothing (System's genesis).
    pub(crate) fn new(graph: Graph, made_by: Option<u64>) -> ViewHistory {
        let digest = graph.digest();
        ViewHistory {
            checkpoints: OrdMap::unit(0, graph.clone()),
            deferred: OrdMap::new(),
            bare: None,
            live: graph,
            event_idxs: made_by.into_iter().collect(),
            versions: Vector::unit(Version { made_by, digest }),
            ops_since_checkpoint: 0,
            first_version_of: DigestIndex::of(&Vector::unit(Version { made_by, digest })),
        }
    }

    /// A history restored from a checkpoint: its versions, the events that targeted it, and
    /// the graphs of some versions (`graphs`, which must include the last version: the live
    /// graph).
    ///
    /// # Errors
    /// `INTERNAL` when `versions` is empty, a graph's version does not exist or its digest is
    /// not the version's, or the last version has no graph.
    pub(crate) fn restore(
        event_idxs: Vector<u64>,
        versions: Vector<Version>,
        ops_since_checkpoint: usize,
        graphs: Vec<(usize, Graph)>,
    ) -> Result<ViewHistory, KernelError> {
        let last = versions
            .len()
            .checked_sub(1)
            .ok_or_else(|| KernelError::internal("a restored history has no version"))?;
        let mut checkpoints = OrdMap::new();
        for (version, graph) in graphs {
            let expected = versions.get(version).map(|v| v.digest);
            if expected != Some(graph.digest()) {
                return Err(KernelError::internal(format!(
                    "restored graph of version {version} has digest {}, not the version's",
                    graph.digest()
                )));
            }
            checkpoints.insert(version, graph);
        }
        let live = checkpoints
            .get(&last)
            .cloned()
            .ok_or_else(|| KernelError::internal("a restored history lacks its live graph"))?;
        // Indexed when first read, or by the daemon's history thread after the start.
        let first_version_of = DigestIndex::deferred(&versions);
        Ok(ViewHistory {
            live,
            event_idxs,
            versions,
            checkpoints,
            deferred: OrdMap::new(),
            bare: None,
            ops_since_checkpoint,
            first_version_of,
        })
    }

    /// Every version, oldest first.
    pub(crate) fn versions(&self) -> &Vector<Version> {
        &self.versions
    }

    /// Ops applied since the last checkpoint.
    pub(crate) fn ops_since_checkpoint(&self) -> usize {
        self.ops_since_checkpoint
    }

    /// The graph as it stands now.
    pub fn live(&self) -> &Graph {
        &self.live
    }

    /// The number of versions so far.
    pub fn n_versions(&self) -> usize {
        self.versions.len()
    }

    /// Version `version`, if it exists.
    pub fn version(&self, version: usize) -> Option<Version> {
        self.versions.get(version).copied()
    }

    /// Records event `idx`, which targeted the view without changing its graph.
    pub(crate) fn record_event(&mut self, idx: u64) {
        self.event_idxs.push_back(idx);
    }

    /// Makes the view's new version, made by event `idx` applying `n_ops` ops, by changing the
    /// live graph in place: `change` returns the event (or refuses), and the graph it leaves
    /// becomes the new version. In place, a change copies only the tree paths the live graph
    /// shares with checkpoints or published snapshots, and frees nothing they still hold.
    ///
    /// # Errors
    /// `change`'s error. The live graph, which it may have left half changed, is then rebuilt
    /// from the last checkpoint and `log` (the global log without event `idx`), so the history
    /// is as it was.
    pub(crate) fn apply_live<T>(
        &mut self,
        idx: u64,
        n_ops: usize,
        log: &Vector<Arc<Event>>,
        change: impl FnOnce(&mut Graph) -> Result<T, KernelError>,
    ) -> Result<T, KernelError> {
        match change(&mut self.live) {
            Ok(made) => {
                let digest = self.live.digest();
                self.push_version(idx, digest, n_ops, false);
                Ok(made)
            }
            Err(error) => {
                let rebuilt = self.rebuild(self.versions.len() - 1, log, &no_anchor)?;
                self.live = with_trees(&rebuilt)?;
                Err(error)
            }
        }
    }

    /// Records event `idx`, which made `graph` the view's new version some other way than
    /// applying its ops to the version before (a rebase): the version is a checkpoint.
    pub(crate) fn record_checkpoint(&mut self, idx: u64, graph: Graph) {
        let digest = graph.digest();
        self.live = graph;
        self.push_version(idx, digest, 0, true);
    }

    /// Makes the live version a checkpoint, so reading it stays O(1) after the view moves on
    /// (System's version an SWS is based on).
    pub(crate) fn checkpoint_live(&mut self) {
        let live = self.versions.len() - 1;
        if self.checkpoints.get(&live).is_some_and(Graph::has_trees) {
            return;
        }
        // With its trees (a periodic checkpoint here has none): merges diff against an
        // SWS's base.
        if self.checkpoints.insert(live, self.live.clone()).is_none() {
            self.ops_since_checkpoint = 0;
        }
    }

    /// Starts a bare run of a replay: the live graph goes on without its trees, changed in
    /// place by [`ViewHistory::apply_bare`] until [`ViewHistory::end_bare`] grows them back
    /// from the returned graph (the live graph as it was, with its trees). The run's
    /// checkpoints are deferred: made when a reader first needs one, not during the replay.
    pub(crate) fn begin_bare(&mut self) -> Graph {
        let base = self.live.clone();
        self.live = base.without_trees();
        self.bare = Some(BareRun {
            from: self.versions.len() - 1,
            graph: self.live.clone(),
            due: Vec::new(),
            pending: Vec::new(),
        });
        base
    }

    /// In a bare run, makes the view's new version, made by event `idx`, whose `n_ops` ops
    /// only add `nodes`, recorded with `digest`: the nodes wait with the run's other pending
    /// ones and go into the live graph together ([`Graph::add_nodes`]: one merge instead of
    /// a walk per node) when an event needs the graph ([`ViewHistory::live_bare`]) or the run
    /// ends.
    ///
    /// # Errors
    /// A node the graph would refuse (beyond the limits), as applying the ops would refuse it;
    /// no node is then pending that was not before.
    pub(crate) fn add_nodes_bare(
        &mut self,
        idx: u64,
        n_ops: usize,
        digest: Hash,
        nodes: impl IntoIterator<Item = Node>,
    ) -> Result<(), KernelError> {
        let run = self
            .bare
            .as_mut()
            .ok_or_else(|| KernelError::internal("nodes added in a bare run outside one"))?;
        let n_pending = run.pending.len();
        for node in nodes {
            if let Err(error) = Graph::check_node(&node) {
                run.pending.truncate(n_pending);
                return Err(rewrite::unapplied(&error));
            }
            run.pending.push(node);
        }
        self.push_version(idx, digest, n_ops, false);
        Ok(())
    }

    /// In a bare run, the live graph with every pending node in.
    ///
    /// # Errors
    /// `INTERNAL` if the graph refuses a pending node, which `add_nodes_bare` checked.
    pub(crate) fn live_bare(&mut self) -> Result<&Graph, KernelError> {
        if let Some(run) = &mut self.bare
            && !run.pending.is_empty()
        {
            let pending = std::mem::take(&mut run.pending);
            self.live
                .add_nodes(pending)
                .map_err(|error| rewrite::unapplied(&error))?;
        }
        Ok(&self.live)
    }

    /// In a bare run, makes the view's new version, made by event `idx` applying `n_ops` ops
    /// and recorded with `digest`: `change` changes the live graph's maps, and the version
    /// takes `digest` unchecked ([`ViewHistory::end_bare`] checks the last one). Checkpoints
    /// fall due exactly where [`ViewHistory::apply_live`] takes them.
    ///
    /// # Errors
    /// `change`'s error; the history is then left half changed, for a replay to discard.
    pub(crate) fn apply_bare(
        &mut self,
        idx: u64,
        n_ops: usize,
        digest: Hash,
        change: impl FnOnce(&mut Graph) -> Result<(), KernelError>,
    ) -> Result<(), KernelError> {
        debug_assert!(self.bare.is_some(), "apply_bare outside a bare run");
        change(&mut self.live)?;
        self.push_version(idx, digest, n_ops, false);
        Ok(())
    }

    /// Ends a bare run begun with `base` (after [`ViewHistory::live_bare`]: no node pending):
    /// the live graph gets its trees back, grown from `base`'s, its digest is computed, and
    /// the run's checkpoints are left to be made.
    ///
    /// # Errors
    /// The computed digest when it is not the one the last version recorded; the live graph
    /// is then left without its trees, for a replay to discard.
    pub(crate) fn end_bare(&mut self, base: &Graph) -> Result<(), Hash> {
        debug_assert!(self.bare.as_ref().is_none_or(|run| run.pending.is_empty()));
        let live = self.live.with_trees_from(base);
        let recorded = self.versions.back().map(|version| version.digest);
        if recorded != Some(live.digest()) {
            return Err(live.digest());
        }
        self.live = live;
        if let Some(run) = self.bare.take()
            && let Some(&first) = run.due.first()
        {
            let deferred = Deferred {
                from: run.from,
                graph: run.graph,
                due: run.due,
                made: OnceLock::new(),
            };
            self.deferred.insert(first, Arc::new(deferred));
        }
        Ok(())
    }

    /// Makes every checkpoint deferred so far, and indexes the digests of the versions a bare
    /// run recorded, so no later read waits for either: what a daemon does in the background
    /// once it has started.
    ///
    /// # Errors
    /// `INTERNAL` when the log does not reproduce a checkpoint (a kernel bug).
    pub fn make_deferred(&self, log: &Vector<Arc<Event>>) -> Result<(), KernelError> {
        self.first_version_of.catch_up(&self.versions);
        for deferred in self.deferred.values() {
            self.made(deferred, log)?;
        }
        Ok(())
    }

    /// The number of checkpoints deferred and not yet made.
    pub fn n_deferred(&self) -> usize {
        self.deferred
            .values()
            .filter(|deferred| deferred.made.get().is_none())
            .map(|deferred| deferred.due.len())
            .sum()
    }

    /// The graphs of `deferred`'s checkpoints, made now if no reader has made them: its ops
    /// replayed from its start, in place, a copy kept at each checkpoint (what the run
    /// would have kept as it went).
    fn made<'d>(
        &self,
        deferred: &'d Deferred,
        log: &Vector<Arc<Event>>,
    ) -> Result<&'d [Graph], KernelError> {
        let made = deferred.made.get_or_init(|| {
            let mut graph = deferred.graph.clone();
            let mut made = Vec::with_capacity(deferred.due.len());
            let mut version = deferred.from;
            for &due in &deferred.due {
                while version < due {
                    version += 1;
                    let event = self.event_of(version, log)?;
                    rewrite::check(&graph, &event.ops)?.apply_to(&mut graph)?;
                }
                made.push(graph.clone());
            }
            Ok(made)
        });
        made.as_deref().map_err(Clone::clone)
    }

    /// Records the live graph, just changed by event `idx`, as the view's new version.
    fn push_version(&mut self, idx: u64, digest: Hash, n_ops: usize, checkpoint: bool) {
        let version = self.versions.len();
        self.event_idxs.push_back(idx);
        self.versions.push_back(Version {
            made_by: Some(idx),
            digest,
        });
        // A replay's bare run leaves the index to the first lookup or the history thread.
        self.first_version_of
            .record_last(&self.versions, self.bare.is_some());
        self.ops_since_checkpoint += n_ops.max(1);
        if checkpoint || self.ops_since_checkpoint >= CHECKPOINT_OPS {
            if let Some(run) = &mut self.bare {
                run.due.push(version);
            } else {
                // Without its trees, so the live graph's trees stay its own and change in
                // place.
                self.checkpoints.insert(version, self.live.without_trees());
            }
            self.ops_since_checkpoint = 0;
        }
    }

    /// The last version made at or before event `idx`, if the view existed then.
    pub fn version_at(&self, idx: u64) -> Option<usize> {
        // Versions are sorted by `made_by`, and `None` sorts first.
        let n_at_or_before = self
            .versions
            .binary_search_by(|version| match version.made_by {
                Some(made_by) if made_by > idx => std::cmp::Ordering::Greater,
                _ => std::cmp::Ordering::Less,
            })
            .unwrap_or_else(|insert_at| insert_at);
        n_at_or_before.checked_sub(1)
    }

    /// The first version whose digest is `digest`, if the view ever had it.
    pub fn version_of(&self, digest: &Hash) -> Option<usize> {
        self.first_version_of.first(&self.versions, digest)
    }

    /// The idx of the events that targeted the view, ascending.
    pub fn event_idxs(&self) -> &Vector<u64> {
        &self.event_idxs
    }

    /// The graph of version `version`, rebuilt from the checkpoint before it with the ops of
    /// `log`, the global event log.
    ///
    /// # Errors
    /// `INTERNAL` when the version does not exist, needs an anchor (a view restored from a
    /// checkpoint), or the replay does not reproduce its digest.
    pub fn graph(&self, version: usize, log: &Vector<Arc<Event>>) -> Result<Graph, KernelError> {
        self.graph_anchored(version, log, &no_anchor)
    }

    /// As [`ViewHistory::graph`], with `anchor` giving the graph of a version that has none
    /// and cannot be rebuilt from the one before: made by an SWS's creation or a rebase.
    ///
    /// # Errors
    /// As [`ViewHistory::graph`], and `anchor`'s.
    pub(crate) fn graph_anchored(
        &self,
        version: usize,
        log: &Vector<Arc<Event>>,
        anchor: &dyn Fn(&Event) -> Result<Graph, KernelError>,
    ) -> Result<Graph, KernelError> {
        if version + 1 == self.versions.len() {
            return Ok(self.live.clone());
        }
        self.rebuild(version, log, anchor)
    }

    /// Version `version` rebuilt from the checkpoint or anchor at or before it.
    fn rebuild(
        &self,
        version: usize,
        log: &Vector<Arc<Event>>,
        anchor: &dyn Fn(&Event) -> Result<Graph, KernelError>,
    ) -> Result<Graph, KernelError> {
        if version >= self.versions.len() {
            return Err(KernelError::internal(format!("no version {version}")));
        }
        let (start, mut graph) = self.start_of(version, log, anchor)?;
        for replayed in start + 1..=version {
            let event = self.event_of(replayed, log)?;
            graph = rewrite::apply(&graph, &event.ops)?;
        }
        let expected = self.versions.get(version).map(|v| v.digest);
        if let (false, Some(expected)) = (graph.has_trees(), expected) {
            // Replayed from a version kept without trees: the digest is the recorded one.
            graph.assume_digest(expected);
        }
        if expected != Some(graph.digest()) {
            return Err(KernelError::internal(format!(
                "replaying to version {version} gave digest {}, not the recorded one",
                graph.digest()
            )));
        }
        Ok(graph)
    }

    /// The version a rebuild of `version` starts from, and its graph: the last version at or
    /// before it that is a checkpoint (made or deferred), made by a rebase, or the first.
    fn start_of(
        &self,
        version: usize,
        log: &Vector<Arc<Event>>,
        anchor: &dyn Fn(&Event) -> Result<Graph, KernelError>,
    ) -> Result<(usize, Graph), KernelError> {
        let checkpoint = self.checkpoints.range(..=version).next_back();
        let deferred = self
            .deferred
            .range(..=version)
            .next_back()
            .map(|(_, deferred)| {
                let n_due = deferred.due.partition_point(|&due| due <= version);
                (deferred.due[n_due - 1], n_due - 1, deferred)
            });
        let floor = checkpoint.map_or(0, |(at, _)| *at);
        let floor = deferred.map_or(floor, |(at, _, _)| floor.max(at));
        for at in (floor..=version).rev() {
            if let Some(graph) = self.checkpoints.get(&at) {
                return Ok((at, graph.clone()));
            }
            if let Some((due, i, deferred)) = deferred
                && due == at
            {
                return Ok((at, self.made(deferred, log)?[i].clone()));
            }
            let event = self.event_of(at, log)?;
            if at == 0 || event.kind == EventKind::Rebase {
                return Ok((at, anchor(&event)?));
            }
        }
        Err(KernelError::internal(format!(
            "no checkpoint before version {version}"
        )))
    }

    /// The event that made version `version`.
    fn event_of(
        &self,
        version: usize,
        log: &Vector<Arc<Event>>,
    ) -> Result<Arc<Event>, KernelError> {
        self.versions
            .get(version)
            .and_then(|v| v.made_by)
            .and_then(|idx| log.get(usize::try_from(idx).ok()?))
            .cloned()
            .ok_or_else(|| KernelError::internal(format!("version {version} has no event")))
    }
}

/// `graph` with its Merkle trees, rebuilt if it has none (a live graph restored after a failed
/// change from a checkpoint kept without trees: a path no request can take, since the kernel
/// checks a command before it changes a graph).
///
/// # Errors
/// `INTERNAL` if the rebuilt trees do not give the graph's recorded digest.
fn with_trees(graph: &Graph) -> Result<Graph, KernelError> {
    let built = graph.with_trees();
    if built.digest() != graph.digest() {
        return Err(KernelError::internal(format!(
            "rebuilt trees give digest {}, not the recorded {}",
            built.digest(),
            graph.digest()
        )));
    }
    Ok(built)
}

/// The anchor of a history that needs none: every version it may rebuild from is a checkpoint.
fn no_anchor(event: &Event) -> Result<Graph, KernelError> {
    Err(KernelError::internal(format!(
        "the version made by event {} has no graph and no anchor",
        event.idx
    )))
}

mod digest_index;
#[cfg(test)]
mod tests;
