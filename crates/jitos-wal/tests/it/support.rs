//! Shared helpers: deterministic entries, temporary directories, the `UPDATE_EXPECT` switch.
//!
//! # Invariants
//! - `entry_for(idx)` is a pure function of `idx`: any test can tell what record `idx` must
//!   hold without remembering what it appended.

use std::path::PathBuf;

use jitos_core::cbor::{self, Value};
use jitos_core::{Hash, hash_bytes};
use jitos_wal::{Decoded, Entry, Record, SimStorage, SplitMix64, Storage, Wal, scan_with};

/// The directory of the golden logs.
pub(crate) fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

/// Appends `entry_for(idx)` for every idx up to `n_records`, in batches of 1 to `batch_max`
/// records drawn from `seed`, one `append_batch` (one sync) each: how the golden logs are made.
pub(crate) fn append_seeded_batches<S: Storage>(
    wal: &mut Wal<S>,
    n_records: u64,
    seed: u64,
    batch_max: u64,
) {
    let mut rng = SplitMix64::new(seed);
    while wal.next_idx() < n_records {
        let first = wal.next_idx();
        let n = (1 + rng.below(batch_max)).min(n_records - first);
        let owned: Vec<_> = (first..first + n).map(entry_for).collect();
        let entries: Vec<_> = owned.iter().map(|entry| entry.entry()).collect();
        wal.append_batch(&entries).unwrap();
    }
}

/// Whether the run should rewrite golden files instead of asserting them.
pub(crate) fn update_expect() -> bool {
    std::env::var_os("UPDATE_EXPECT").is_some_and(|value| value == "1")
}

/// The rule pack every test record is pinned to.
pub(crate) fn rule_pack() -> Hash {
    hash_bytes(b"jitos-wal test rule pack")
}

/// The canonical CBOR body of test record `idx`: `{"idx": idx, "note": "x" * (idx % 41)}`.
pub(crate) fn body_for(idx: u64) -> Vec<u8> {
    let note_len = usize::try_from(idx % 41).unwrap();
    let value = Value::map([
        (Value::text("idx"), Value::Unsigned(idx)),
        (Value::text("note"), Value::text("x".repeat(note_len))),
    ])
    .unwrap();
    cbor::encode(&value).unwrap()
}

/// Owned parts of the entry for record `idx`.
pub(crate) struct OwnedEntry {
    pub(crate) view_digest: Hash,
    pub(crate) policy_id: u32,
    pub(crate) body: Vec<u8>,
}

impl OwnedEntry {
    pub(crate) fn entry(&self) -> Entry<'_> {
        Entry {
            rule_pack_id: rule_pack(),
            policy_id: self.policy_id,
            view_digest: self.view_digest,
            body: &self.body,
        }
    }
}

/// The entry test code appends as record `idx`.
pub(crate) fn entry_for(idx: u64) -> OwnedEntry {
    OwnedEntry {
        view_digest: hash_bytes(format!("view after {idx}").as_bytes()),
        policy_id: u32::try_from(idx % 3).unwrap(),
        body: body_for(idx),
    }
}

/// Asserts that `record` is what `entry_for(record.idx)` describes.
pub(crate) fn assert_is_entry<B: AsRef<[u8]>>(record: &Record<B>) {
    let expected = entry_for(record.idx);
    assert_eq!(
        record.body.as_ref(),
        expected.body.as_slice(),
        "body of record {}",
        record.idx
    );
    assert_eq!(record.view_digest, expected.view_digest);
    assert_eq!(record.policy_id, expected.policy_id);
    assert_eq!(record.rule_pack_id, rule_pack());
}

/// Every record of the valid prefix of `storage`, with the scan.
pub(crate) fn records<S: Storage>(storage: &S) -> (Vec<Decoded>, jitos_wal::Scan) {
    let mut seen = Vec::new();
    let scan = scan_with(storage, &mut |decoded| seen.push(decoded.into_owned())).unwrap();
    (seen, scan)
}

/// A `SimStorage` holding exactly `files`, all durable.
pub(crate) fn sim_with(files: &[(&str, &[u8])]) -> SimStorage {
    let sim = SimStorage::new();
    for (name, bytes) in files {
        sim.overwrite(name, bytes.to_vec());
    }
    sim
}

/// A fresh, empty temporary directory for one test (removed by [`TempDir`]'s drop).
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(test_name: &str) -> TempDir {
        let path =
            std::env::temp_dir().join(format!("jitos-wal-{}-{test_name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
