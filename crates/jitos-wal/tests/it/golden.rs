//! The golden WAL (`tests/golden/wal-v1/`, 300 records in one segment) and its per-record hashes
//! (`tests/golden/wal-v1.hashes`), and the damage tests run on it: truncation at every byte
//! offset, single bit flips, chain breaks.
//!
//! # Invariants
//! - The golden files are an old-format fixture: they are rewritten only under
//!   `UPDATE_EXPECT=1`, and today's writer must reproduce their records byte for byte. They
//!   were written before the writer preallocated: today's writer leaves zero padding after the
//!   records (`docs/spec/wal.md`, "Preallocation"), which the test requires to be all zeros and
//!   strips before comparing; the fixture itself has none and is never rewritten with any.
//! - Every damaged log either yields exactly a prefix of the golden records or a typed report;
//!   no test here accepts a record that differs from the golden one at its idx.

use std::path::PathBuf;

use jitos_core::{Hash, hash_bytes};
use jitos_wal::{
    DamageReason, DecodeError, OpenError, Recover, RecoveryAction, ScanEnd, SimStorage, SplitMix64,
    Storage, Wal, WalOptions, decode, encode, scan, segment_name,
};

use crate::support::{
    append_seeded_batches, assert_is_entry, entry_for, golden_dir, records, sim_with, update_expect,
};

const N_RECORDS: u64 = 300;
const FILE_HEADER_LEN: usize = 16;

fn segment_path() -> PathBuf {
    golden_dir().join("wal-v1").join(segment_name(0))
}

fn hashes_path() -> PathBuf {
    golden_dir().join("wal-v1.hashes")
}

/// Where one golden record lies in the segment, and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Span {
    offset: usize,
    len: usize,
    hash: Hash,
}

impl Span {
    fn end(&self) -> usize {
        self.offset + self.len
    }
}

/// The golden log as today's writer produces it: batches of 1 to 16 records, one sync each;
/// its zero padding (asserted all zero) cut off.
fn write_golden() -> Vec<u8> {
    let sim = SimStorage::new();
    let (mut wal, _) = Wal::open(sim.clone(), WalOptions::default()).unwrap();
    append_seeded_batches(&mut wal, N_RECORDS, 0x601d, 16);
    let files = sim.snapshot();
    assert_eq!(files.len(), 1, "the golden log fits one segment");
    let segment = &files[&segment_name(0)];
    let (_, scan) = records(&sim);
    assert_eq!(scan.end, ScanEnd::Clean);
    let records_len = usize::try_from(scan.segments[0].valid_len).unwrap();
    assert!(
        segment.len() > records_len,
        "today's writer preallocates: zero padding follows the records"
    );
    assert!(
        segment[records_len..].iter().all(|byte| *byte == 0),
        "the padding is zeros"
    );
    segment[..records_len].to_vec()
}

fn spans_text(spans: &[Span]) -> String {
    let mut text = String::from("# idx offset len record_hash (docs/spec/wal.md)\n");
    for (idx, span) in spans.iter().enumerate() {
        text.push_str(&format!(
            "{idx} {} {} {}\n",
            span.offset, span.len, span.hash
        ));
    }
    text
}

fn parse_spans(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields.len(), 4, "hash line {line:?}");
        assert_eq!(fields[0].parse::<usize>().unwrap(), spans.len());
        spans.push(Span {
            offset: fields[1].parse().unwrap(),
            len: fields[2].parse().unwrap(),
            hash: Hash::from_hex(fields[3]).unwrap(),
        });
    }
    spans
}

/// The checked-in golden segment and its spans.
fn golden() -> (Vec<u8>, Vec<Span>) {
    let bytes = std::fs::read(segment_path()).expect("golden segment present");
    let spans = parse_spans(&std::fs::read_to_string(hashes_path()).expect("hashes present"));
    assert_eq!(spans.len() as u64, N_RECORDS);
    (bytes, spans)
}

#[test]
fn golden_wal_decodes_to_its_recorded_hashes_and_the_writer_reproduces_it() {
    let written = write_golden();
    if update_expect() {
        let (decoded, _) = records(&sim_with(&[(&segment_name(0), &written)]));
        let spans: Vec<Span> = decoded
            .iter()
            .scan(FILE_HEADER_LEN, |offset, record| {
                let span = Span {
                    offset: *offset,
                    len: record.len,
                    hash: record.hash,
                };
                *offset += record.len;
                Some(span)
            })
            .collect();
        std::fs::create_dir_all(segment_path().parent().unwrap()).unwrap();
        std::fs::write(segment_path(), &written).unwrap();
        std::fs::write(hashes_path(), spans_text(&spans)).unwrap();
    }
    let (bytes, spans) = golden();
    assert!(
        bytes == written,
        "the writer no longer reproduces the records of the golden WAL byte for byte"
    );
    assert_eq!(
        std::fs::read_to_string(hashes_path()).unwrap(),
        spans_text(&spans)
    );
    assert_eq!(&bytes[..8], b"JITOSWAL");
    let mut offset = FILE_HEADER_LEN;
    let mut prev = Hash::ZERO;
    for (idx, span) in spans.iter().enumerate() {
        assert_eq!(span.offset, offset);
        let decoded = decode(&bytes[offset..]).unwrap();
        assert_eq!(decoded.record.idx, idx as u64);
        assert_eq!(decoded.record.prev, prev);
        assert_eq!(decoded.len, span.len);
        assert_eq!(decoded.hash, span.hash);
        assert_is_entry(&decoded.record);
        prev = decoded.hash;
        offset += decoded.len;
    }
    assert_eq!(offset, bytes.len());
}

fn golden_sim(bytes: &[u8]) -> SimStorage {
    sim_with(&[(&segment_name(0), bytes)])
}

/// Asserts that the valid prefix of `storage` is exactly the first `n` golden records; returns
/// how the log ends.
fn assert_golden_prefix<S: Storage>(storage: &S, spans: &[Span], n: usize) -> ScanEnd {
    let (seen, scan) = records(storage);
    assert_eq!(seen.len(), n);
    assert_eq!(scan.n_records, n as u64);
    for (decoded, span) in seen.iter().zip(spans) {
        assert_eq!(decoded.hash, span.hash, "record {}", decoded.record.idx);
    }
    let last = if n == 0 {
        Hash::ZERO
    } else {
        spans[n - 1].hash
    };
    assert_eq!(scan.last_hash, last);
    scan.end
}

#[test]
fn truncation_at_every_byte_offset_keeps_exactly_the_whole_records() {
    let (bytes, spans) = golden();
    for cut in 0..=bytes.len() {
        let n = spans.iter().filter(|span| span.end() <= cut).count();
        let at_boundary = cut == FILE_HEADER_LEN || spans.iter().any(|span| span.end() == cut);
        let sim = golden_sim(&bytes[..cut]);
        let mut seen = Vec::new();
        let (wal, recovery) = Wal::open_visit(sim.clone(), WalOptions::default(), &mut |d| {
            seen.push(d.hash)
        })
        .unwrap();
        let golden_hashes: Vec<Hash> = spans[..n].iter().map(|span| span.hash).collect();
        assert!(seen == golden_hashes, "cut at {cut}");
        assert_eq!(wal.next_idx(), n as u64);
        let found = recovery.scan.end.clone();
        if at_boundary {
            assert_eq!(found, ScanEnd::Clean, "cut at {cut}");
            assert_eq!(recovery.action, RecoveryAction::None);
            continue;
        }
        let (offset, reason) = if cut < FILE_HEADER_LEN {
            let reason = jitos_wal::segment::FileHeaderError::Truncated { len: cut };
            (0, DamageReason::FileHeader(reason))
        } else {
            let need = if cut - spans[n].offset < 128 {
                128
            } else {
                spans[n].len
            };
            (
                spans[n].offset,
                DamageReason::Record(DecodeError::Truncated { need }),
            )
        };
        let segment = segment_name(0);
        assert_eq!(
            found,
            ScanEnd::TornTail {
                segment: segment.clone(),
                offset: offset as u64,
                reason
            },
            "cut at {cut}"
        );
        assert!(
            matches!(recovery.action, RecoveryAction::Cut { offset: o, .. } if o == offset as u64)
        );
        // The cut is on disk: exactly the whole records remain (or nothing, for a torn header).
        let files = sim.snapshot();
        if offset == 0 {
            assert!(files.is_empty(), "cut at {cut}");
        } else {
            assert!(files[&segment] == bytes[..offset], "cut at {cut}");
        }
    }
}

/// The bits the flip test tries: every bit of the file header, the first and the last record,
/// and 3000 seeded positions elsewhere.
fn flip_positions(bytes_len: usize, spans: &[Span]) -> Vec<usize> {
    let first = &spans[0];
    let last = spans.last().unwrap();
    let mut bits: Vec<usize> = (0..first.end() * 8).collect();
    bits.extend(last.offset * 8..last.end() * 8);
    let mut rng = SplitMix64::new(0xb17f_11b5);
    let middle = (first.end() * 8)..(last.offset * 8);
    for _ in 0..3000 {
        bits.push(middle.start + rng.below_usize(middle.len()));
    }
    assert_eq!(last.end(), bytes_len);
    bits
}

#[test]
fn a_flipped_bit_is_a_torn_tail_in_the_last_record_and_corruption_elsewhere() {
    let (bytes, spans) = golden();
    let segment = segment_name(0);
    for bit in flip_positions(bytes.len(), &spans) {
        let mut damaged = bytes.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        let byte = bit / 8;
        let n = spans.iter().filter(|span| span.end() <= byte).count();
        let offset = if byte < FILE_HEADER_LEN {
            0
        } else {
            spans[n].offset as u64
        };
        let sim = golden_sim(&damaged);
        let end = assert_golden_prefix(&sim, &spans, n);
        let opened = Wal::open(sim.clone(), WalOptions::default());
        if n + 1 == spans.len() {
            assert!(
                matches!(&end, ScanEnd::TornTail { segment: s, offset: o, .. } if *s == segment && *o == offset),
                "bit {bit}: {end:?}"
            );
            let (wal, _) = opened.unwrap();
            assert_eq!(wal.next_idx(), n as u64);
        } else {
            assert!(
                matches!(&end, ScanEnd::Corrupt { segment: s, offset: o, .. } if *s == segment && *o == offset),
                "bit {bit}: {end:?}"
            );
            assert!(
                matches!(&opened, Err(OpenError::Corrupt { segment: s, offset: o, .. }) if *s == segment && *o == offset),
                "bit {bit}"
            );
            // Refusing changed nothing.
            assert_eq!(sim.snapshot()[&segment], damaged);
        }
    }
}

/// The golden log with record `idx` replaced by `replacement`'s encoding.
fn replace_record(bytes: &[u8], spans: &[Span], idx: usize, replacement: &[u8]) -> Vec<u8> {
    let span = &spans[idx];
    let mut out = bytes[..span.offset].to_vec();
    out.extend_from_slice(replacement);
    out.extend_from_slice(&bytes[span.end()..]);
    out
}

#[test]
fn a_valid_record_with_another_prev_is_a_chain_break() {
    let (bytes, spans) = golden();
    for idx in [0, 1, 150, 299] {
        let mut record = decode(&bytes[spans[idx].offset..]).unwrap().record;
        record.prev = hash_bytes(b"another history");
        let damaged = replace_record(&bytes, &spans, idx, &encode(&record));
        let end = assert_golden_prefix(&golden_sim(&damaged), &spans, idx);
        let expected = ScanEnd::Corrupt {
            segment: segment_name(0),
            offset: spans[idx].offset as u64,
            reason: DamageReason::ChainBreak { idx: idx as u64 },
        };
        assert_eq!(end, expected);
    }
}

#[test]
fn a_missing_record_is_an_idx_gap() {
    let (bytes, spans) = golden();
    let damaged = replace_record(&bytes, &spans, 42, &[]);
    let end = scan(&golden_sim(&damaged)).unwrap().end;
    let expected = ScanEnd::Corrupt {
        segment: segment_name(0),
        offset: spans[42].offset as u64,
        reason: DamageReason::IdxGap {
            expected: 42,
            found: 43,
        },
    };
    assert_eq!(end, expected);
}

#[test]
fn truncate_recovery_keeps_the_prefix_before_corruption() {
    let (bytes, spans) = golden();
    let mut damaged = bytes.clone();
    damaged[spans[100].offset + 140] ^= 0x10;
    let sim = golden_sim(&damaged);
    let options = WalOptions {
        recover: Recover::Truncate,
        ..WalOptions::default()
    };
    let (mut wal, recovery) = Wal::open(sim.clone(), options).unwrap();
    assert!(matches!(
        recovery.action,
        RecoveryAction::Cut { was_corrupt: true, offset, .. } if offset == spans[100].offset as u64
    ));
    assert_eq!(wal.next_idx(), 100);
    assert_golden_prefix(&sim, &spans, 100);
    // The log goes on from the cut: idx 100 chains to golden record 99, written at the cut
    // (over the zeros the writer extended the file with).
    let owned = entry_for(100);
    wal.append(owned.entry()).unwrap();
    wal.sync().unwrap();
    let after = &sim.snapshot()[&segment_name(0)];
    assert_eq!(after[..spans[100].end()], bytes[..spans[100].end()]);
    assert!(after[spans[100].end()..].iter().all(|byte| *byte == 0));
    assert_eq!(scan(&sim).unwrap().end, ScanEnd::Clean);
}
