//! [`SimStorage`]: an in-memory, deterministic [`Storage`] with power cuts and injected faults,
//! and [`SplitMix64`], the tiny seeded generator it (and the tests) draw from.
//!
//! Each file keeps two images: what is *written* (what reads see) and what is *durable* (what
//! survives a power cut), and the writes made since its last sync, in order. `sync(name)`
//! copies the first image to the second; `sync_dir` makes the directory's entries durable.
//! [`SimStorage::power_cut`] models a crash: every file goes back to its durable image, files
//! whose creation was never made durable by `sync_dir` vanish, and the most recently written
//! file keeps a seeded prefix of its unsynced writes, in the order they were made, the last
//! bytes of that prefix possibly read back as zeros: a torn last write. An append and an
//! overwrite in place (`write_at` inside the file) are modelled alike: what the cut does not
//! keep reverts to the durable bytes there (the zeros the WAL preallocated), or is gone where
//! the write had grown the file.
//!
//! Handles are cheap clones sharing one state, so a test (or the later simulation) can keep a
//! handle to cut power or inject faults while a `Wal` owns another.
//!
//! # Invariants
//! - Determinism: the state after any sequence of calls, power cuts included, is a pure
//!   function of that sequence and the seeds passed to `power_cut`. Nothing reads a clock, the
//!   environment or an unseeded random source, and every map is a `BTreeMap`.
//! - After `sync(name)` returned `Ok`, the bytes of `name` at that moment survive every later
//!   power cut unless the file is later truncated or removed and that is made durable.
//! - A torn write only ever changes bytes that were written after the last sync, in a file not
//!   truncated since that sync; nothing synced is ever damaged. For appends only, the model is
//!   the same as keeping a prefix of the bytes appended since the sync.
//! - `write_at` past the end of a file (a hole) is refused with `InvalidInput`.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::storage::Storage;

/// The SplitMix64 generator (Steele, Lea, Flood 2014): 64 bits of state, one add and a mix.
///
/// Not cryptographic; just small, fast, well distributed and exactly reproducible.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose whole future output is determined by `seed`.
    #[must_use]
    pub const fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `0..bound` (`bound > 0`), by multiply-shift (bias below 2^-32 for small bounds).
    ///
    /// # Panics
    /// If `bound` is 0.
    pub fn below(&mut self, bound: u64) -> u64 {
        assert!(bound > 0, "below(0) has no value to return");
        let wide = u128::from(self.next_u64()) * u128::from(bound);
        u64::try_from(wide >> 64).expect("the high half of a u64*u64 product fits a u64")
    }

    /// A value in `0..bound` as a `usize`.
    ///
    /// # Panics
    /// If `bound` is 0.
    pub fn below_usize(&mut self, bound: usize) -> usize {
        let bound_u64 = u64::try_from(bound).expect("usize fits u64");
        usize::try_from(self.below(bound_u64)).expect("below a usize bound")
    }

    /// `true` with probability `1 / n` (`n > 0`).
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

/// What one simulated power cut did, for reports and assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerCut {
    /// Files that vanished because their creation was never made durable.
    pub vanished: Vec<String>,
    /// The file whose last write was torn, with the unsynced bytes kept and how many of those
    /// (at the end) were replaced by zeros.
    pub torn: Option<TornWrite>,
}

/// The torn write of a [`PowerCut`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornWrite {
    /// The file.
    pub name: String,
    /// Unsynced bytes that survived: the first `kept_bytes` bytes of the writes made since the
    /// last sync, taken in the order they were made, applied over the durable image.
    pub kept_bytes: usize,
    /// How many of the kept bytes (the last ones) read as zeros instead of what was written.
    pub zeroed_bytes: usize,
}

/// One write made since the last sync of its file.
#[derive(Debug, Clone)]
struct PendingWrite {
    offset: usize,
    bytes: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
struct SimFile {
    written: Vec<u8>,
    durable: Vec<u8>,
    /// The writes since the last sync, in order: what a power cut keeps a prefix of.
    pending: Vec<PendingWrite>,
    /// Whether the file was truncated since the last sync: then a power cut tears none of its
    /// writes and it goes back to its durable image.
    truncated: bool,
    /// Whether the name is in the directory now.
    linked: bool,
    /// Whether the name is in the directory durably (as of the last `sync_dir`).
    dir_durable: bool,
}

#[derive(Debug, Default)]
struct SimState {
    files: BTreeMap<String, SimFile>,
    last_written: Option<String>,
    fail_next_sync: bool,
    fail_next_write: bool,
    capacity_bytes: Option<usize>,
    n_syncs: u64,
    sync_latency: Option<Duration>,
}

/// An in-memory [`Storage`] with durable and written images, power cuts and fault injection.
#[derive(Debug, Clone, Default)]
pub struct SimStorage {
    state: Arc<Mutex<SimState>>,
}

fn not_found(name: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{name}: no such file"))
}

fn injected(what: &str) -> io::Error {
    io::Error::other(format!("simulated {what} failure"))
}

impl SimStorage {
    /// An empty directory with no capacity limit and no pending faults.
    #[must_use]
    pub fn new() -> SimStorage {
        SimStorage::default()
    }

    fn state(&self) -> MutexGuard<'_, SimState> {
        // A panic while holding the lock leaves a consistent state: every method mutates only
        // after its checks, so a poisoned lock is safe to keep using.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes the next `sync` or `sync_dir` fail with an I/O error (nothing becomes durable).
    pub fn fail_next_sync(&self) {
        self.state().fail_next_sync = true;
    }

    /// Makes the next `append` or `write_at` fail with an I/O error before writing anything.
    pub fn fail_next_write(&self) {
        self.state().fail_next_write = true;
    }

    /// Limits the total written bytes (file lengths) of all files; a write that would grow them
    /// past it writes what fits and fails with `StorageFull` (an overwrite inside a file takes
    /// no room). `None` removes the limit.
    pub fn set_capacity(&self, capacity_bytes: Option<usize>) {
        self.state().capacity_bytes = capacity_bytes;
    }

    /// Makes every `sync` take at least `latency` of wall time, slept before it takes the lock, as
    /// a disk's flush does: tests of group commit then see commands queue behind an fsync.
    /// `None` (the default) syncs at once. What becomes durable does not change.
    pub fn set_sync_latency(&self, latency: Option<Duration>) {
        self.state().sync_latency = latency;
    }

    /// Cancels pending injected faults and removes the capacity limit.
    pub fn clear_faults(&self) {
        let mut state = self.state();
        state.fail_next_sync = false;
        state.fail_next_write = false;
        state.capacity_bytes = None;
    }

    /// How many `sync` and `sync_dir` calls succeeded so far.
    #[must_use]
    pub fn n_syncs(&self) -> u64 {
        self.state().n_syncs
    }

    /// The written image of every linked file, by name: what a reader sees now.
    #[must_use]
    pub fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        let state = self.state();
        state
            .files
            .iter()
            .filter(|(_, file)| file.linked)
            .map(|(name, file)| (name.clone(), file.written.clone()))
            .collect()
    }

    /// Replaces the written image of `name` (creating it, durably, if missing) and makes it
    /// durable: for tests that damage files on purpose.
    pub fn overwrite(&self, name: &str, bytes: Vec<u8>) {
        let mut state = self.state();
        let file = state.files.entry(name.to_owned()).or_default();
        file.pending.clear();
        file.truncated = false;
        file.durable.clone_from(&bytes);
        file.written = bytes;
        file.linked = true;
        file.dir_durable = true;
    }

    /// Simulates losing power: see the module doc. The same state and seed give the same
    /// result, byte for byte.
    pub fn power_cut(&self, seed: u64) -> PowerCut {
        let mut rng = SplitMix64::new(seed);
        let mut state = self.state();
        let last_written = state.last_written.take();
        let mut cut = PowerCut {
            vanished: Vec::new(),
            torn: None,
        };
        let names: Vec<String> = state.files.keys().cloned().collect();
        for name in names {
            let Some(file) = state.files.get_mut(&name) else {
                continue;
            };
            if !file.dir_durable {
                if file.linked {
                    cut.vanished.push(name.clone());
                }
                state.files.remove(&name);
                continue;
            }
            let mut image = file.durable.clone();
            let unsynced_bytes: usize = file.pending.iter().map(|write| write.bytes.len()).sum();
            let tearable = last_written.as_deref() == Some(name.as_str())
                && !file.truncated
                && unsynced_bytes > 0;
            if tearable {
                let kept_bytes = rng.below_usize(unsynced_bytes + 1);
                let zeroed_bytes = if rng.one_in(2) {
                    rng.below_usize(kept_bytes + 1)
                } else {
                    0
                };
                apply_prefix(&mut image, &file.pending, kept_bytes, zeroed_bytes);
                cut.torn = Some(TornWrite {
                    name: name.clone(),
                    kept_bytes,
                    zeroed_bytes,
                });
            }
            file.pending.clear();
            file.truncated = false;
            file.durable.clone_from(&image);
            file.written = image;
            file.linked = true;
        }
        cut
    }

    /// Writes `bytes` into `name` at `offset`, or at its end for `None`: `append` and
    /// `write_at` under one lock.
    fn write(&self, name: &str, offset: Option<u64>, bytes: &[u8]) -> io::Result<()> {
        let mut state = self.state();
        if std::mem::take(&mut state.fail_next_write) {
            return Err(injected("write"));
        }
        let room = state.capacity_bytes.map_or(usize::MAX, |capacity| {
            capacity.saturating_sub(SimStorage::written_total(&state))
        });
        let file = linked_mut(&mut state, name)?;
        let len = file.written.len();
        let offset = match offset {
            None => len,
            Some(at) => match usize::try_from(at) {
                Ok(at) if at <= len => at,
                _ => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("{name}: a write at byte {at} would leave a hole after byte {len}"),
                    ));
                }
            },
        };
        let growth = (offset + bytes.len()).saturating_sub(len);
        let fits = bytes.len() - growth.saturating_sub(room);
        let end = offset + fits;
        if len < end {
            file.written.resize(end, 0);
        }
        file.written[offset..end].copy_from_slice(&bytes[..fits]);
        if fits > 0 {
            file.pending.push(PendingWrite {
                offset,
                bytes: bytes[..fits].to_vec(),
            });
        }
        state.last_written = Some(name.to_owned());
        if fits < bytes.len() {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "simulated disk full",
            ));
        }
        Ok(())
    }

    fn written_total(state: &SimState) -> usize {
        state
            .files
            .values()
            .filter(|file| file.linked)
            .map(|file| file.written.len())
            .sum()
    }
}

/// Applies the first `kept_bytes` bytes of `writes` (in order) to `image`, the last
/// `zeroed_bytes` of them as zeros.
fn apply_prefix(
    image: &mut Vec<u8>,
    writes: &[PendingWrite],
    kept_bytes: usize,
    zeroed_bytes: usize,
) {
    assert!(zeroed_bytes <= kept_bytes);
    let data_end = kept_bytes - zeroed_bytes;
    let mut stream_pos = 0;
    for write in writes {
        if stream_pos >= kept_bytes {
            break;
        }
        // Every earlier write was applied whole, so the image is as long as the file was
        // when this write was made: no hole.
        assert!(write.offset <= image.len(), "a pending write past the end");
        let n = write.bytes.len().min(kept_bytes - stream_pos);
        let n_data = n.min(data_end.saturating_sub(stream_pos));
        let end = write.offset + n;
        if image.len() < end {
            image.resize(end, 0);
        }
        image[write.offset..write.offset + n_data].copy_from_slice(&write.bytes[..n_data]);
        image[write.offset + n_data..end].fill(0);
        stream_pos += n;
    }
}

fn linked_mut<'a>(state: &'a mut SimState, name: &str) -> io::Result<&'a mut SimFile> {
    match state.files.get_mut(name) {
        Some(file) if file.linked => Ok(file),
        _ => Err(not_found(name)),
    }
}

impl Storage for SimStorage {
    fn list(&self) -> io::Result<Vec<String>> {
        let state = self.state();
        Ok(state
            .files
            .iter()
            .filter(|(_, file)| file.linked)
            .map(|(name, _)| name.clone())
            .collect())
    }

    fn create(&mut self, name: &str) -> io::Result<()> {
        let mut state = self.state();
        if state.files.get(name).is_some_and(|file| file.linked) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{name}: exists"),
            ));
        }
        // Replacing an unlinked entry forgets it: the model keeps one file per name.
        state.files.insert(
            name.to_owned(),
            SimFile {
                linked: true,
                ..SimFile::default()
            },
        );
        Ok(())
    }

    fn append(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.write(name, None, bytes)
    }

    fn write_at(&mut self, name: &str, offset: u64, bytes: &[u8]) -> io::Result<()> {
        self.write(name, Some(offset), bytes)
    }

    fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        let mut state = self.state();
        Ok(linked_mut(&mut state, name)?.written.clone())
    }

    fn read_into(&self, name: &str, buf: &mut Vec<u8>) -> io::Result<()> {
        let mut state = self.state();
        let written = &linked_mut(&mut state, name)?.written;
        buf.clear();
        buf.extend_from_slice(written);
        Ok(())
    }

    fn truncate(&mut self, name: &str, len_bytes: u64) -> io::Result<()> {
        let mut state = self.state();
        let file = linked_mut(&mut state, name)?;
        let len = usize::try_from(len_bytes).unwrap_or(usize::MAX);
        file.written.resize(len, 0);
        file.truncated = true;
        Ok(())
    }

    fn sync(&mut self, name: &str) -> io::Result<()> {
        let latency = self.state().sync_latency;
        if let Some(latency) = latency {
            std::thread::sleep(latency);
        }
        let mut state = self.state();
        linked_mut(&mut state, name)?;
        if std::mem::take(&mut state.fail_next_sync) {
            return Err(injected("fsync"));
        }
        state.n_syncs += 1;
        let file = linked_mut(&mut state, name)?;
        file.durable.clone_from(&file.written);
        file.pending.clear();
        file.truncated = false;
        if state.last_written.as_deref() == Some(name) {
            state.last_written = None;
        }
        Ok(())
    }

    fn sync_dir(&mut self) -> io::Result<()> {
        let mut state = self.state();
        if std::mem::take(&mut state.fail_next_sync) {
            return Err(injected("directory fsync"));
        }
        state.n_syncs += 1;
        state.files.retain(|_, file| file.linked);
        for file in state.files.values_mut() {
            file.dir_durable = true;
        }
        Ok(())
    }

    fn remove(&mut self, name: &str) -> io::Result<()> {
        let mut state = self.state();
        let file = linked_mut(&mut state, name)?;
        file.linked = false;
        if !file.dir_durable {
            state.files.remove(name);
        }
        if state.last_written.as_deref() == Some(name) {
            state.last_written = None;
        }
        Ok(())
    }

    fn rename(&mut self, from: &str, to: &str) -> io::Result<()> {
        let mut state = self.state();
        if state.files.get(to).is_some_and(|file| file.linked) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{to}: exists"),
            ));
        }
        let file = linked_mut(&mut state, from)?;
        // The new name holds the same contents (durable, written and pending alike: the same
        // file) and is in the directory only once `sync_dir` says so; until then the old name
        // is what a power cut brings back, if it was durable itself.
        let moved = SimFile {
            linked: true,
            dir_durable: false,
            ..file.clone()
        };
        file.linked = false;
        if !file.dir_durable {
            state.files.remove(from);
        }
        state.files.insert(to.to_owned(), moved);
        if state.last_written.as_deref() == Some(from) {
            state.last_written = Some(to.to_owned());
        }
        Ok(())
    }
}
