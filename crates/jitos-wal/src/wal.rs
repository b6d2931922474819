//! The writer: [`Wal::open`] recovers a log and [`Wal::append`] / [`Wal::sync`] extend it.
//! An open can be split in two ([`Wal::read`], then [`Opening::open`]) so that a caller checks
//! the records before anything on disk is repaired.
//!
//! Appends are encoded into an in-memory buffer that is written out when it fills, when a
//! segment rotates, and on [`Wal::sync`], which then fsyncs every segment written since the last
//! sync. The caller decides when to sync, so concurrent commands can share one fsync
//! ([`Wal::append_batch`] is append-all-then-sync-once).
//!
//! **Preallocation.** Records are not appended: they overwrite zeros. Before a write would run
//! past the end of the active segment's file, the writer extends the file with real zero
//! bytes (written, not `fallocate`d: an unwritten extent still costs a journal commit when it is
//! first written) and fsyncs them; the records then go into bytes that already exist, so the
//! fsync that makes them durable changes no file size and allocates no block, and ext4 commits
//! no journal transaction for it: one device write fewer per commit (`docs/spec/wal.md`,
//! "Preallocation"). Each extension grows the file by its current length (at least what the
//! write needs, at most [`PREALLOCATE_BYTES_MAX`]), so a busy segment extends about once per
//! MiB and a small log stays small. When a segment is sealed (rotation) its unused padding is
//! cut off, so only the active segment ends in zeros.
//!
//! # Invariants
//! - Fail-stop: after any write or sync error the `Wal` is poisoned and every later call returns
//!   [`WalError::Poisoned`]. A failed fsync is never retried as if it had succeeded.
//! - A record is durable once a `sync` that began after its `append` returned `Ok`; nothing
//!   else makes durability promises, and dropping a `Wal` does not sync.
//! - A segment is fsynced before the first byte is written to the next one, and a created
//!   segment's directory entry is fsynced before anything is written to it, so a crash can only
//!   lose the end of the last segment: recovery sees a torn tail, never false corruption.
//! - Segment files never exceed `segment_bytes_max`, padding included, unless a single record
//!   alone does; such a file holds exactly its header and that record, no padding.
//! - A record is only ever written over bytes that are already in the file and durable (the
//!   zeros of an extension, synced before the record's write); an extension that fails, to
//!   write or to sync, poisons the `Wal` like any write error.
//! - A sealed segment (not the last) holds exactly its file header and records: its padding was
//!   cut off, durably, before the next segment was created.
//! - [`Wal::read`] never writes; only [`Opening::open`] repairs.
//! - `open` fsyncs the last segment it keeps (and the directory), so every record it reports
//!   is durable, even one a crashed writer left unsynced in the page cache.

use std::io;

use jitos_core::Hash;

use crate::record::{Decoded, Fields, RECORD_BODY_BYTES_MAX, RECORD_OVERHEAD_LEN, encode_into};
use crate::scan::{
    DamageReason, Scan, ScanEnd, ScanError, SegmentSummary, scan_with, segment_names,
};
use crate::segment::{FILE_HEADER, FILE_HEADER_LEN, segment_name};
use crate::storage::Storage;

/// Default size at which a segment rotates: 64 MiB.
pub const SEGMENT_BYTES_MAX_DEFAULT: u64 = 64 << 20;

/// Default size of the write buffer: 1 MiB.
pub const WRITE_BUFFER_BYTES_DEFAULT: usize = 1 << 20;

/// The largest extension of a segment file: 1 MiB. An extension costs one write of that many
/// zeros and one fsync with a journal commit; at 1 MiB it comes once per about 3,000 records of
/// the daemon's typical 350 bytes, so its cost spread over them is well under 1 µs each.
/// Smaller files grow by their own length (see `extended_len`).
pub const PREALLOCATE_BYTES_MAX: u64 = 1 << 20;

const _: () = assert!(PREALLOCATE_BYTES_MAX.is_power_of_two());
const _: () = assert!(PREALLOCATE_BYTES_MAX <= SEGMENT_BYTES_MAX_DEFAULT);

/// What [`Wal::open`] does with damage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Recover {
    /// Cut a torn tail off (and report it); refuse corruption with [`OpenError::Corrupt`].
    #[default]
    CutTornTail,
    /// Keep the valid prefix whatever follows it: cut at the damage and delete later segments
    /// (`--recover=truncate`). Loses data after corruption; only on explicit request.
    Truncate,
}

/// How a [`Wal`] writes and recovers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalOptions {
    /// A segment that would grow past this many bytes rotates before the next record.
    pub segment_bytes_max: u64,
    /// Buffered bytes that trigger a write without waiting for `sync`.
    pub write_buffer_bytes: usize,
    /// What `open` does with damage.
    pub recover: Recover,
}

impl Default for WalOptions {
    fn default() -> WalOptions {
        WalOptions {
            segment_bytes_max: SEGMENT_BYTES_MAX_DEFAULT,
            write_buffer_bytes: WRITE_BUFFER_BYTES_DEFAULT,
            recover: Recover::default(),
        }
    }
}

/// What [`Wal::open`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The scan before any repair: the valid prefix and how the log ended.
    pub scan: Scan,
    /// What open changed on disk.
    pub action: RecoveryAction,
}

/// A repair [`Wal::open`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecoveryAction {
    /// The log was clean; nothing was changed.
    None,
    /// The log was cut back to its valid prefix at `segment`/`offset`.
    Cut {
        /// The segment cut (removed entirely when `offset` is 0).
        segment: String,
        /// Where it was cut.
        offset: u64,
        /// Bytes dropped from that segment.
        dropped_bytes: u64,
        /// Later segments deleted, in order.
        removed_segments: Vec<String>,
        /// Whether the damage was corruption (only under [`Recover::Truncate`]).
        was_corrupt: bool,
    },
}

/// Why [`Wal::open`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The log could not be read.
    #[error(transparent)]
    Scan(#[from] ScanError),
    /// Damage before the tail; refused under [`Recover::CutTornTail`].
    #[error(
        "wal corrupt in {segment} at byte {offset}: {reason}; \
         start with --recover=truncate to keep the valid prefix"
    )]
    Corrupt {
        /// The segment file holding the damage.
        segment: String,
        /// Byte offset of the damage in that file.
        offset: u64,
        /// What is wrong there.
        reason: DamageReason,
    },
    /// A repair step failed.
    #[error("wal recovery: cannot {op} {name}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file (or `.` for the directory).
        name: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// Why an append or sync failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalError {
    /// The body exceeds `RECORD_BODY_BYTES_MAX`. Nothing was written; the `Wal` stays usable.
    #[error("record body of {len} bytes exceeds RECORD_BODY_BYTES_MAX")]
    BodyTooLarge {
        /// The body length.
        len: usize,
    },
    /// An earlier write or sync failed; restart to recover.
    #[error("wal poisoned by an earlier write or fsync failure; restart to recover")]
    Poisoned,
    /// A write or sync failed now; the `Wal` is poisoned from here on.
    #[error("wal: cannot {op} {name}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file (or `.` for the directory).
        name: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// What the caller chooses for one record; the `Wal` adds idx and prev.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The rule pack the event was decided under.
    pub rule_pack_id: Hash,
    /// The policy the event was decided under.
    pub policy_id: u32,
    /// Digest of the changed view after the event.
    pub view_digest: Hash,
    /// The event, canonical CBOR.
    pub body: &'a [u8],
}

/// Where an appended record went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// Its idx.
    pub idx: u64,
    /// Its record hash (the next record's prev).
    pub hash: Hash,
}

/// The segment being appended to.
#[derive(Debug)]
struct Tail {
    name: String,
    /// Bytes of the segment's header and records, buffered ones included; where the next
    /// record goes.
    len_bytes: u64,
    /// Bytes of its file: the header and the records written so far, then zero padding (the
    /// buffered records go over it). The padding is durable: an extension is synced before
    /// anything is written into it, and `open` syncs what it keeps.
    file_len: u64,
    n_records: u64,
}

/// An open write-ahead log over a [`Storage`].
#[derive(Debug)]
pub struct Wal<S: Storage> {
    storage: S,
    options: WalOptions,
    next_idx: u64,
    last_hash: Hash,
    n_durable: u64,
    tail: Option<Tail>,
    buffer: Vec<u8>,
    /// Segments written to since the last sync, in order.
    unsynced: Vec<String>,
    poisoned: bool,
}

/// A log [`Wal::read`] has read and checked but not changed yet.
#[derive(Debug)]
#[must_use = "an Opening changes nothing until `open`"]
pub struct Opening<S: Storage> {
    storage: S,
    options: WalOptions,
    scan: Scan,
}

impl<S: Storage> Opening<S> {
    /// What the read found: the valid prefix and how the log ends.
    pub fn scan(&self) -> &Scan {
        &self.scan
    }

    /// Repairs what the read found (cuts a torn tail, or corruption under
    /// [`Recover::Truncate`]), makes the records kept durable, and opens the log for appending.
    ///
    /// # Errors
    /// A repair or sync failed.
    pub fn open(self) -> Result<(Wal<S>, Recovery), OpenError> {
        let Opening {
            mut storage,
            options,
            scan,
        } = self;
        let action = match &scan.end {
            ScanEnd::Clean => RecoveryAction::None,
            ScanEnd::TornTail {
                segment, offset, ..
            } => cut(&mut storage, segment, *offset, false)?,
            // Refused by `Wal::read` unless `options.recover` is `Truncate`.
            ScanEnd::Corrupt {
                segment, offset, ..
            } => cut(&mut storage, segment, *offset, true)?,
        };
        // A cut segment lost its padding with the damage (it is re-extended when written to);
        // a clean one keeps it, and the next record overwrites the first zeros.
        let tail = scan.segments.last().map(|summary: &SegmentSummary| Tail {
            name: summary.name.clone(),
            len_bytes: summary.valid_len,
            file_len: summary.valid_len + summary.padding_len,
            n_records: summary.n_records,
        });
        // What a crashed process wrote but never synced may still be only in the page cache:
        // the records kept are made durable before anyone counts them as such (or builds on
        // them, which a later power cut would turn into damage before valid records).
        if let Some(tail) = &tail {
            storage
                .sync(&tail.name)
                .map_err(open_io("fsync", &tail.name))?;
            storage.sync_dir().map_err(open_io("fsync", "."))?;
        }
        let wal = Wal {
            storage,
            buffer: Vec::with_capacity(options.write_buffer_bytes.min(WRITE_BUFFER_BYTES_DEFAULT)),
            options,
            next_idx: scan.n_records,
            last_hash: scan.last_hash,
            n_durable: scan.n_records,
            tail,
            unsynced: Vec::new(),
            poisoned: false,
        };
        Ok((wal, Recovery { scan, action }))
    }
}

fn open_io(op: &'static str, name: &str) -> impl FnOnce(io::Error) -> OpenError {
    let name = name.to_owned();
    move |source| OpenError::Io { op, name, source }
}

impl<S: Storage> Wal<S> {
    /// Opens (recovering if needed) the log in `storage`.
    ///
    /// # Errors
    /// See [`Wal::open_visit`].
    pub fn open(storage: S, options: WalOptions) -> Result<(Wal<S>, Recovery), OpenError> {
        Wal::open_visit(storage, options, &mut |_| {})
    }

    /// Opens the log, handing `visit` every record of the valid prefix in order (replay):
    /// [`Wal::read`], then [`Opening::open`].
    ///
    /// A torn tail is cut off. Corruption is refused unless `options.recover` is
    /// [`Recover::Truncate`], which cuts it off too and deletes later segments. The visitor may
    /// have seen records before a refusal; it has seen exactly the kept records on success.
    ///
    /// # Errors
    /// The log cannot be read or repaired, or it is corrupt under [`Recover::CutTornTail`].
    pub fn open_visit(
        storage: S,
        options: WalOptions,
        visit: &mut dyn FnMut(Decoded<&[u8]>),
    ) -> Result<(Wal<S>, Recovery), OpenError> {
        Wal::read(storage, options, visit)?.open()
    }

    /// Reads the log without changing anything, handing `visit` every record of the valid
    /// prefix in order: the first half of an open, for a caller that checks the records (a
    /// boot replaying them) before anything on disk changes. Corruption is refused here, as by
    /// [`Wal::open_visit`]; repairs wait for [`Opening::open`], so a caller that refuses the
    /// records drops the [`Opening`] and leaves every file as it was.
    ///
    /// # Errors
    /// The log cannot be read, or it is corrupt under [`Recover::CutTornTail`].
    pub fn read(
        storage: S,
        options: WalOptions,
        visit: &mut dyn FnMut(Decoded<&[u8]>),
    ) -> Result<Opening<S>, OpenError> {
        let scan = scan_with(&storage, visit)?;
        if let ScanEnd::Corrupt {
            segment,
            offset,
            reason,
        } = &scan.end
            && options.recover != Recover::Truncate
        {
            return Err(OpenError::Corrupt {
                segment: segment.clone(),
                offset: *offset,
                reason: reason.clone(),
            });
        }
        Ok(Opening {
            storage,
            options,
            scan,
        })
    }

    /// The idx the next append gets (= records in the log, durable or not).
    #[must_use]
    pub fn next_idx(&self) -> u64 {
        self.next_idx
    }

    /// Records known durable: every idx below this survived a successful sync (or recovery).
    #[must_use]
    pub fn n_durable(&self) -> u64 {
        self.n_durable
    }

    /// Record hash of the last appended record ([`Hash::ZERO`] before the first).
    #[must_use]
    pub fn last_hash(&self) -> Hash {
        self.last_hash
    }

    /// Whether an earlier error stopped all writes.
    #[must_use]
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// The storage (for inspection; writing to it behind the `Wal`'s back breaks the log).
    #[must_use]
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// Gives the storage back without syncing: unsynced appends stay unsynced.
    #[must_use]
    pub fn into_storage(self) -> S {
        self.storage
    }

    /// Appends one record (buffered; durable after the next successful [`Wal::sync`]).
    ///
    /// # Errors
    /// [`WalError::BodyTooLarge`] (the `Wal` stays usable), [`WalError::Poisoned`], or
    /// [`WalError::Io`] from a write, a rotation's fsync or a segment creation (poisons).
    pub fn append(&mut self, entry: Entry<'_>) -> Result<Appended, WalError> {
        self.check_usable()?;
        check_body(&entry)?;
        self.guard(|wal| wal.append_unchecked(entry))
    }

    /// Appends every entry, then syncs once: group commit.
    ///
    /// Bodies are all checked before anything is appended, so an oversized body refuses the
    /// whole batch without writing.
    ///
    /// # Errors
    /// As [`Wal::append`] and [`Wal::sync`].
    pub fn append_batch(&mut self, entries: &[Entry<'_>]) -> Result<Vec<Appended>, WalError> {
        self.append_all(entries, Wal::sync_unchecked)
    }

    /// Writes out the buffer and fsyncs every segment written since the last sync; returns the
    /// number of durable records.
    ///
    /// # Errors
    /// [`WalError::Poisoned`], or [`WalError::Io`] (poisons: the appends since the last
    /// successful sync may or may not be on disk, and are never acknowledged).
    pub fn sync(&mut self) -> Result<u64, WalError> {
        self.check_usable()?;
        self.guard(Wal::sync_unchecked)?;
        Ok(self.n_durable)
    }

    /// Appends every entry and writes them out to the storage without syncing: they survive a
    /// crash of this process (they are in the operating system's cache) but not a power cut
    /// until the next [`Wal::sync`]. The `--fsync batch` policy acknowledges at this point.
    ///
    /// # Errors
    /// As [`Wal::append`], and [`WalError::Io`] from the write (poisons).
    pub fn append_batch_unsynced(
        &mut self,
        entries: &[Entry<'_>],
    ) -> Result<Vec<Appended>, WalError> {
        self.append_all(entries, Wal::flush)
    }

    /// Checks every entry (refusing the batch without writing), appends them all, then
    /// `finish`es (writes out, or writes out and syncs); an I/O error poisons.
    fn append_all(
        &mut self,
        entries: &[Entry<'_>],
        finish: fn(&mut Wal<S>) -> Result<(), WalError>,
    ) -> Result<Vec<Appended>, WalError> {
        self.check_usable()?;
        for entry in entries {
            check_body(entry)?;
        }
        self.guard(|wal| {
            let appended = entries
                .iter()
                .map(|entry| wal.append_unchecked(*entry))
                .collect::<Result<Vec<_>, _>>()?;
            finish(wal)?;
            Ok(appended)
        })
    }

    /// Whether records were appended since the last successful sync.
    pub fn has_unsynced(&self) -> bool {
        self.n_durable < self.next_idx
    }

    fn check_usable(&self) -> Result<(), WalError> {
        if self.poisoned {
            Err(WalError::Poisoned)
        } else {
            Ok(())
        }
    }

    /// Runs `step`, poisoning the `Wal` if it fails.
    fn guard<T>(
        &mut self,
        step: impl FnOnce(&mut Wal<S>) -> Result<T, WalError>,
    ) -> Result<T, WalError> {
        let result = step(self);
        if result.is_err() {
            self.poisoned = true;
            self.buffer.clear();
        }
        result
    }

    fn append_unchecked(&mut self, entry: Entry<'_>) -> Result<Appended, WalError> {
        let record_len = (RECORD_OVERHEAD_LEN + entry.body.len()) as u64;
        let rotate = match &self.tail {
            None => true,
            Some(tail) => {
                tail.n_records > 0
                    && tail.len_bytes.saturating_add(record_len) > self.options.segment_bytes_max
            }
        };
        if rotate {
            self.start_segment()?;
        }
        let idx = self.next_idx;
        let fields = Fields {
            rule_pack_id: entry.rule_pack_id,
            policy_id: entry.policy_id,
            view_digest: entry.view_digest,
            body: entry.body,
        };
        let hash = encode_into(&mut self.buffer, idx, self.last_hash, &fields);
        let tail = self.tail.as_mut().expect("a segment was started above");
        tail.len_bytes += record_len;
        tail.n_records += 1;
        self.next_idx += 1;
        self.last_hash = hash;
        if self.buffer.len() >= self.options.write_buffer_bytes {
            self.flush()?;
        }
        Ok(Appended { idx, hash })
    }

    /// Ends the current segment (sealed, see [`Wal::seal_tail`]) and creates the next, named
    /// `next_idx`.
    fn start_segment(&mut self) -> Result<(), WalError> {
        if self.tail.is_some() {
            self.seal_tail()?;
        }
        debug_assert!(self.buffer.is_empty() && self.unsynced.is_empty());
        let name = segment_name(self.next_idx);
        self.storage
            .create(&name)
            .map_err(write_io("create", &name))?;
        self.storage.sync_dir().map_err(write_io("fsync", "."))?;
        self.buffer.extend_from_slice(&FILE_HEADER);
        self.tail = Some(Tail {
            name,
            len_bytes: FILE_HEADER_LEN as u64,
            file_len: 0,
            n_records: 0,
        });
        Ok(())
    }

    /// Writes out the current segment, cuts its unused padding off and makes it durable: a
    /// sealed segment holds exactly its header and records.
    fn seal_tail(&mut self) -> Result<(), WalError> {
        self.flush()?;
        let tail = self.tail.as_mut().expect("a segment to seal");
        if tail.file_len > tail.len_bytes {
            self.storage
                .truncate(&tail.name, tail.len_bytes)
                .map_err(write_io("truncate", &tail.name))?;
            tail.file_len = tail.len_bytes;
            if self.unsynced.last() != Some(&tail.name) {
                self.unsynced.push(tail.name.clone());
            }
        }
        self.sync_unchecked()
    }

    /// Writes the buffer to the current segment, over its padding (extended first if the
    /// buffer runs past it).
    fn flush(&mut self) -> Result<(), WalError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let tail = self
            .tail
            .as_ref()
            .expect("buffered bytes belong to a segment");
        let end = tail.len_bytes;
        let start = end - self.buffer.len() as u64;
        if end > tail.file_len {
            self.extend(end)?;
        }
        let tail = self.tail.as_ref().expect("still there");
        debug_assert!(start <= tail.file_len && end <= tail.file_len);
        self.storage
            .write_at(&tail.name, start, &self.buffer)
            .map_err(write_io("write", &tail.name))?;
        self.buffer.clear();
        if self.unsynced.last() != Some(&tail.name) {
            self.unsynced.push(tail.name.clone());
        }
        Ok(())
    }

    /// Extends the current segment's file with durable zeros to hold at least `end` bytes
    /// (see [`extended_len`]).
    fn extend(&mut self, end: u64) -> Result<(), WalError> {
        let tail = self.tail.as_mut().expect("a segment to extend");
        let new_len = extended_len(tail.file_len, end, self.options.segment_bytes_max);
        assert!(new_len >= end && new_len > tail.file_len);
        let zeros = vec![0; usize::try_from(new_len - tail.file_len).expect("an extension fits")];
        self.storage
            .write_at(&tail.name, tail.file_len, &zeros)
            .map_err(write_io("extend", &tail.name))?;
        self.storage
            .sync(&tail.name)
            .map_err(write_io("fsync", &tail.name))?;
        tail.file_len = new_len;
        Ok(())
    }

    fn sync_unchecked(&mut self) -> Result<(), WalError> {
        self.flush()?;
        for name in &self.unsynced {
            self.storage.sync(name).map_err(write_io("fsync", name))?;
        }
        self.unsynced.clear();
        self.n_durable = self.next_idx;
        Ok(())
    }
}

/// The file length an extension of a segment file of `file_len` bytes, which must then hold
/// `end` bytes, grows it to: as much again as it holds, at most [`PREALLOCATE_BYTES_MAX`] more,
/// and at least `end`; never past `segment_bytes_max` unless `end` itself is (a single record
/// larger than a segment), and then exactly to `end`.
///
/// Doubling keeps the number of extensions logarithmic in a segment's first MiB (about a dozen
/// for 350-byte records) and then one per MiB; a new or small file gets no more padding than it
/// has records, so a tiny log stays tiny and a nearly full disk is filled before it fails.
pub(crate) fn extended_len(file_len: u64, end: u64, segment_bytes_max: u64) -> u64 {
    let grown = file_len + file_len.min(PREALLOCATE_BYTES_MAX);
    grown.min(segment_bytes_max).max(end)
}

fn check_body(entry: &Entry<'_>) -> Result<(), WalError> {
    let len = entry.body.len();
    if len > RECORD_BODY_BYTES_MAX {
        return Err(WalError::BodyTooLarge { len });
    }
    Ok(())
}

fn write_io(op: &'static str, name: &str) -> impl FnOnce(io::Error) -> WalError {
    let name = name.to_owned();
    move |source| WalError::Io { op, name, source }
}

/// Cuts the log at `segment`/`offset`: deletes later segments first (so a crash midway leaves
/// a log whose only damage is at its end), then truncates or removes `segment`.
fn cut<S: Storage>(
    storage: &mut S,
    segment: &str,
    offset: u64,
    was_corrupt: bool,
) -> Result<RecoveryAction, OpenError> {
    let names = segment_names(storage)?;
    let later: Vec<String> = names
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| name.as_str() > segment)
        .collect();
    for name in later.iter().rev() {
        storage.remove(name).map_err(open_io("remove", name))?;
    }
    if !later.is_empty() {
        storage.sync_dir().map_err(open_io("fsync", "."))?;
    }
    let len = storage
        .read(segment)
        .map_err(open_io("read", segment))?
        .len() as u64;
    assert!(
        offset <= len,
        "damage offset {offset} beyond {segment} ({len} bytes)"
    );
    if offset == 0 {
        storage
            .remove(segment)
            .map_err(open_io("remove", segment))?;
        storage.sync_dir().map_err(open_io("fsync", "."))?;
    } else {
        assert!(
            offset >= FILE_HEADER_LEN as u64,
            "a kept segment keeps its header"
        );
        storage
            .truncate(segment, offset)
            .map_err(open_io("truncate", segment))?;
        storage.sync(segment).map_err(open_io("fsync", segment))?;
    }
    Ok(RecoveryAction::Cut {
        segment: segment.to_owned(),
        offset,
        dropped_bytes: len - offset,
        removed_segments: later,
        was_corrupt,
    })
}
