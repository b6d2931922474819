//! Unit tests of the small pieces: SplitMix64 against its reference output, segment names and
//! file headers, and the `SimStorage` durability model.
//!
//! # Invariants
//! - The SplitMix64 vectors are the published reference output for seed 0, not this code's.

use std::io::ErrorKind;

use crate::segment::{
    FILE_HEADER, FileHeaderError, check_file_header, parse_segment_name, segment_name,
};
use crate::sim::{SimStorage, SplitMix64};
use crate::storage::Storage;

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
