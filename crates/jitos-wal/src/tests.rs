//! Unit tests of the small pieces: SplitMix64 against its reference output, segment names and
//! file headers, the `SimStorage` durability model (appends, overwrites in place, renames),
//! `FsStorage`'s rename, `read_into` on both storages, and the sizes the writer extends a
//! segment file to.
//!
//! # Invariants
//! - The SplitMix64 vectors are the published reference output for seed 0, not this code's.

use std::io::ErrorKind;

use crate::segment::{
    FILE_HEADER, FileHeaderError, check_file_header, parse_segment_name, segment_name,
};
use crate::sim::{SimStorage, SplitMix64};
use crate::storage::Storage;
use crate::wal::{PREALLOCATE_BYTES_MAX, SEGMENT_BYTES_MAX_DEFAULT, extended_len};

#[test]
fn splitmix64_matches_the_reference_sequence() {
    let mut rng = SplitMix64::new(0);
    assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
    assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    assert_eq!(rng.next_u64(), 0x06c4_5d18_8009_454f);
    let mut bounded = SplitMix64::new(9);
    assert!((0..1000).all(|_| bounded.below(7) < 7));
}

#[test]
fn segment_names_are_twenty_digits_and_round_trip() {
    assert_eq!(segment_name(0), "00000000000000000000.wal");
    assert_eq!(segment_name(u64::MAX), "18446744073709551615.wal");
    for idx in [0, 1, 99, 1 << 40, u64::MAX] {
        assert_eq!(parse_segment_name(&segment_name(idx)), Some(idx));
    }
    for bad in [
        "0.wal",
        "0000000000000000000a.wal",
        "00000000000000000000.log",
        "99999999999999999999.wal",
        "+0000000000000000001.wal",
    ] {
        assert_eq!(parse_segment_name(bad), None, "{bad}");
    }
    assert!(
        segment_name(9) < segment_name(10),
        "name order is idx order"
    );
}

#[test]
fn file_header_is_checked_field_by_field() {
    assert_eq!(&FILE_HEADER, b"JITOSWAL\x01\x00\x00\x00\x00\x00\x00\x00");
    assert_eq!(check_file_header(&FILE_HEADER), Ok(()));
    assert_eq!(
        check_file_header(b"JITOS"),
        Err(FileHeaderError::Truncated { len: 5 })
    );
    assert_eq!(check_file_header(b"JITOX"), Err(FileHeaderError::BadMagic));
    let mut version = FILE_HEADER;
    version[8] = 2;
    assert_eq!(
        check_file_header(&version),
        Err(FileHeaderError::UnknownVersion { version: 2 })
    );
    let mut reserved = FILE_HEADER;
    reserved[15] = 1;
    assert_eq!(
        check_file_header(&reserved),
        Err(FileHeaderError::Reserved { reserved: 1 << 24 })
    );
}

#[test]
fn sim_power_cut_keeps_synced_bytes_and_drops_undurable_files() {
    let mut sim = SimStorage::new();
    sim.create("a").unwrap();
    sim.append("a", b"synced").unwrap();
    sim.sync("a").unwrap();
    sim.sync_dir().unwrap();
    sim.create("b").unwrap();
    sim.append("b", b"never in the directory").unwrap();
    sim.sync("b").unwrap();
    sim.append("a", b"-unsynced").unwrap();
    let mut other = sim.clone();
    other.truncate("a", 3).unwrap();
    let cut = sim.power_cut(1);
    assert_eq!(cut.vanished, vec!["b".to_owned()]);
    assert_eq!(
        cut.torn, None,
        "a truncate since the sync means no tearable tail"
    );
    assert_eq!(sim.read("a").unwrap(), b"synced");
    assert_eq!(sim.read("b").unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn sim_tears_only_the_last_unsynced_write_and_reproduces_it() {
    let images: Vec<Vec<u8>> = (0..2)
        .map(|_| {
            let mut sim = SimStorage::new();
            for name in ["x", "y"] {
                sim.create(name).unwrap();
                sim.append(name, b"durable|").unwrap();
                sim.sync(name).unwrap();
            }
            sim.sync_dir().unwrap();
            sim.append("x", b"lost entirely").unwrap();
            sim.append("y", b"0123456789abcdef").unwrap();
            let cut = sim.power_cut(0xfeed);
            let torn = cut.torn.unwrap();
            assert_eq!(torn.name, "y");
            assert_eq!(sim.read("x").unwrap(), b"durable|");
            let y = sim.read("y").unwrap();
            assert_eq!(y.len(), 8 + torn.kept_bytes);
            let kept = torn.kept_bytes - torn.zeroed_bytes;
            assert_eq!(&y[..8 + kept], &b"durable|0123456789abcdef"[..8 + kept]);
            assert!(y[8 + kept..].iter().all(|byte| *byte == 0));
            y
        })
        .collect();
    assert_eq!(images[0], images[1]);
}

#[test]
fn sim_rename_is_durable_only_after_sync_dir_and_never_replaces() {
    let mut sim = SimStorage::new();
    sim.create("a").unwrap();
    sim.append("a", b"whole").unwrap();
    sim.sync("a").unwrap();
    sim.sync_dir().unwrap();
    sim.create("b").unwrap();
    assert_eq!(
        sim.rename("a", "b").unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    sim.remove("b").unwrap();
    assert_eq!(
        sim.rename("missing", "c").unwrap_err().kind(),
        ErrorKind::NotFound
    );

    // Renamed but not yet durable in the directory: a power cut brings back the old name.
    sim.rename("a", "c").unwrap();
    assert_eq!(sim.list().unwrap(), ["c"]);
    assert_eq!(sim.read("c").unwrap(), b"whole");
    let cut = sim.power_cut(1);
    assert_eq!(cut.vanished, ["c"]);
    assert_eq!(sim.list().unwrap(), ["a"]);
    assert_eq!(sim.read("a").unwrap(), b"whole");

    // Made durable: only the new name survives, with the contents.
    sim.rename("a", "c").unwrap();
    sim.sync_dir().unwrap();
    sim.power_cut(2);
    assert_eq!(sim.list().unwrap(), ["c"]);
    assert_eq!(sim.read("c").unwrap(), b"whole");
}

#[test]
fn fs_storage_rename_moves_the_file_and_never_replaces() {
    let dir = std::env::temp_dir().join(format!("jitos-wal-rename-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut fs = crate::storage::FsStorage::open(&dir).unwrap();
    fs.create("x.tmp").unwrap();
    fs.append("x.tmp", b"bytes").unwrap();
    fs.create("y").unwrap();
    assert_eq!(
        fs.rename("x.tmp", "y").unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    fs.rename("x.tmp", "x").unwrap();
    fs.sync_dir().unwrap();
    assert_eq!(fs.list().unwrap(), ["x", "y"]);
    assert_eq!(fs.read("x").unwrap(), b"bytes");
    // The handle followed the file: a write through the new name lands in it.
    fs.append("x", b"+").unwrap();
    assert_eq!(fs.read("x").unwrap(), b"bytes+");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `read_into` replaces whatever the buffer held with the file's contents, longer or shorter,
/// and fails on a missing file as `read` does.
fn read_into_replaces_the_buffer(storage: &mut dyn Storage) {
    storage.create("long").unwrap();
    storage.append("long", &[7; 5000]).unwrap();
    storage.create("short").unwrap();
    storage.append("short", b"abc").unwrap();
    let mut buf = b"stale".to_vec();
    for name in ["long", "short", "long"] {
        storage.read_into(name, &mut buf).unwrap();
        assert_eq!(buf, storage.read(name).unwrap(), "{name}");
    }
    let missing = storage.read_into("missing", &mut buf).unwrap_err().kind();
    assert_eq!(missing, storage.read("missing").unwrap_err().kind());
}

#[test]
fn read_into_reads_as_read_on_both_storages() {
    read_into_replaces_the_buffer(&mut SimStorage::new());
    let dir = std::env::temp_dir().join(format!("jitos-wal-read-into-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    read_into_replaces_the_buffer(&mut crate::storage::FsStorage::open(&dir).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sim_faults_fail_once_and_disk_full_writes_what_fits() {
    let mut sim = SimStorage::new();
    sim.create("f").unwrap();
    sim.fail_next_write();
    assert!(sim.append("f", b"no").is_err());
    sim.append("f", b"ok").unwrap();
    sim.fail_next_sync();
    assert!(sim.sync("f").is_err());
    sim.sync("f").unwrap();
    sim.set_capacity(Some(5));
    let error = sim.append("f", b"12345").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::StorageFull);
    assert_eq!(sim.read("f").unwrap(), b"ok123");
}

#[test]
fn sim_write_at_overwrites_in_place_refuses_holes_and_takes_room_only_to_grow() {
    let mut sim = SimStorage::new();
    sim.create("f").unwrap();
    sim.append("f", &[0; 8]).unwrap();
    sim.write_at("f", 2, b"ab").unwrap();
    sim.write_at("f", 7, b"xyz").unwrap();
    assert_eq!(sim.read("f").unwrap(), b"\0\0ab\0\0\0xyz");
    let error = sim.write_at("f", 11, b"hole").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    sim.set_capacity(Some(12));
    sim.write_at("f", 0, b"0123456789").unwrap();
    let error = sim.write_at("f", 8, b"89ABCD").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::StorageFull);
    assert_eq!(sim.read("f").unwrap(), b"0123456789AB", "wrote what fits");
    sim.fail_next_write();
    assert!(sim.write_at("f", 0, b"no").is_err());
    assert_eq!(&sim.read("f").unwrap()[..2], b"01");
}

/// An unsynced overwrite in place is lost on a power cut, back to the synced bytes, except
/// for a seeded prefix of the last write: the file keeps its length and nothing but the
/// overwritten range changes. Over many seeds every outcome shows up: nothing kept, a torn
/// part, all of it, and a kept part whose end reads as zeros.
#[test]
fn sim_tears_an_unsynced_overwrite_back_to_the_synced_bytes() {
    let written = b"0123456789abcdef";
    let mut outcomes = std::collections::BTreeSet::new();
    for seed in 0..200 {
        let mut sim = SimStorage::new();
        sim.create("seg").unwrap();
        sim.append("seg", &[0; 64]).unwrap();
        sim.sync("seg").unwrap();
        sim.sync_dir().unwrap();
        sim.write_at("seg", 8, written).unwrap();
        let cut = sim.power_cut(seed);
        let image = sim.read("seg").unwrap();
        assert_eq!(image.len(), 64, "seed {seed}");
        let torn = cut.torn.clone().unwrap();
        assert_eq!(torn.name, "seg");
        let kept = torn.kept_bytes - torn.zeroed_bytes;
        assert_eq!(image[8..8 + kept], written[..kept], "seed {seed}");
        assert!(image[..8].iter().all(|byte| *byte == 0));
        assert!(
            image[8 + kept..].iter().all(|byte| *byte == 0),
            "seed {seed}"
        );
        let same = SimStorage::new();
        let mut again = same.clone();
        again.create("seg").unwrap();
        again.append("seg", &[0; 64]).unwrap();
        again.sync("seg").unwrap();
        again.sync_dir().unwrap();
        again.write_at("seg", 8, written).unwrap();
        assert_eq!(same.power_cut(seed), cut, "seed {seed} reproduces");
        assert_eq!(same.read("seg").unwrap(), image);
        outcomes.insert(match (torn.kept_bytes, torn.zeroed_bytes) {
            (0, _) => "none",
            (16, 0) => "all",
            (_, 0) => "part",
            _ => "zeroed",
        });
    }
    assert_eq!(outcomes.len(), 4, "{outcomes:?}");
}

/// Several unsynced writes tear as one stream in the order they were made: a cut keeps whole
/// earlier writes before it keeps any of a later one.
#[test]
fn sim_keeps_a_prefix_of_the_unsynced_writes_in_order() {
    for seed in 0..100 {
        let mut sim = SimStorage::new();
        sim.create("seg").unwrap();
        sim.append("seg", &[0; 8]).unwrap();
        sim.sync("seg").unwrap();
        sim.sync_dir().unwrap();
        sim.write_at("seg", 0, b"AAAA").unwrap();
        sim.write_at("seg", 4, b"BBBB").unwrap();
        sim.append("seg", b"CCCC").unwrap();
        let torn = sim.power_cut(seed).torn.unwrap();
        let image = sim.read("seg").unwrap();
        let kept = torn.kept_bytes - torn.zeroed_bytes;
        let stream = b"AAAABBBBCCCC";
        assert_eq!(image.len(), 8.max(torn.kept_bytes), "seed {seed}");
        assert_eq!(image[..kept], stream[..kept], "seed {seed}");
        assert!(image[kept..].iter().all(|byte| *byte == 0), "seed {seed}");
    }
}

#[test]
fn extensions_double_the_file_up_to_a_mib_and_stop_at_the_segment_limit() {
    let max = SEGMENT_BYTES_MAX_DEFAULT;
    let mib = PREALLOCATE_BYTES_MAX;
    // A new file gets what its first write needs; then each extension doubles the file...
    assert_eq!(extended_len(0, 16 + 350, max), 16 + 350);
    assert_eq!(extended_len(366, 716, max), 732);
    assert_eq!(extended_len(64 << 10, (64 << 10) + 1, max), 128 << 10);
    // ... until it adds a MiB at a time.
    assert_eq!(extended_len(mib, mib + 1, max), 2 * mib);
    assert_eq!(extended_len(2 * mib, 2 * mib + 1, max), 3 * mib);
    assert_eq!(extended_len(10 * mib, 10 * mib + 1, max), 11 * mib);
    // A write larger than that gets exactly what it needs.
    assert_eq!(extended_len(1000, 5000, max), 5000);
    assert_eq!(extended_len(10 * mib, 13 * mib, max), 13 * mib);
    // Never past the segment limit, unless the write itself is.
    assert_eq!(extended_len(600, 700, 1000), 1000);
    assert_eq!(extended_len(max - 10, max - 5, max), max);
    assert_eq!(extended_len(16, 5000, 1000), 5000);
    let mut rng = SplitMix64::new(0xe87e);
    for _ in 0..10_000 {
        let segment_max = 1 + rng.below(1 << 30);
        let file_len = rng.below(segment_max + 1);
        let end = file_len + 1 + rng.below(4 << 20);
        let len = extended_len(file_len, end, segment_max);
        assert!(len >= end && len <= end.max(segment_max));
        assert!(len <= end.max(file_len + file_len.min(mib)));
    }
}
