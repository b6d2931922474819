//! Preallocation and zero padding (`docs/spec/wal.md`, "Preallocation"): the padded golden log
//! (`tests/golden/wal-v1-padded/`, two segments, the last one ending in zeros) and its
//! per-record hashes (`tests/golden/wal-v1-padded.hashes`); truncation at every byte offset and
//! bit flips over it; padding read as the clean end; damage before, inside and across padding;
//! the writer's steady state (records overwrite preallocated zeros, the file does not grow);
//! extension failures; `FsStorage`'s positioned writes.
//!
//! # Invariants
//! - The padded golden files are rewritten only under `UPDATE_EXPECT=1`, and today's writer
//!   must reproduce them byte for byte, padding included.
//! - Every damaged log either yields exactly a prefix of the golden records or a typed report;
//!   no test here accepts a record that differs from the golden one at its idx.

use std::collections::BTreeMap;
use std::path::PathBuf;

use jitos_core::Hash;
use jitos_wal::{
    DamageReason, DecodeError, FsStorage, OpenError, RecoveryAction, ScanEnd, SimStorage,
    SplitMix64, Storage, Wal, WalError, WalOptions, decode, encode, scan, segment_name,
};

use crate::support::{
    TempDir, append_seeded_batches, assert_is_entry, entry_for, golden_dir, records, update_expect,
};

const FILE_HEADER_LEN: usize = 16;
/// Records in the padded golden log.
const N_RECORDS: u64 = 30;
/// Its segment size: small, so the log has a sealed segment and a padded one, and the padding
/// (up to this size) stays small.
const SEGMENT_BYTES_MAX: u64 = 4096;

fn options() -> WalOptions {
    WalOptions {
        segment_bytes_max: SEGMENT_BYTES_MAX,
        ..WalOptions::default()
    }
}

fn segments_dir() -> PathBuf {
    golden_dir().join("wal-v1-padded")
}

fn hashes_path() -> PathBuf {
    golden_dir().join("wal-v1-padded.hashes")
}

/// Where one golden record lies, and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Span {
    segment: String,
    offset: usize,
    len: usize,
    hash: Hash,
}

impl Span {
    fn end(&self) -> usize {
        self.offset + self.len
    }
}

/// The padded golden log as today's writer leaves it: batches of 1 to 8 records, one sync
/// each, the writer still open (so nothing trimmed the last segment).
fn write_padded() -> BTreeMap<String, Vec<u8>> {
    let sim = SimStorage::new();
    let (mut wal, _) = Wal::open(sim.clone(), options()).unwrap();
    append_seeded_batches(&mut wal, N_RECORDS, 0x09ad_d1e5, 8);
    sim.snapshot()
}

/// The spans of every record of `files`, by decoding them in order.
fn spans_of(files: &BTreeMap<String, Vec<u8>>) -> Vec<Span> {
    let sim = sim_of(files);
    let (decoded, scan) = records(&sim);
    assert_eq!(scan.end, ScanEnd::Clean);
    let mut spans = Vec::new();
    let mut decoded = decoded.iter();
    for summary in &scan.segments {
        let mut offset = FILE_HEADER_LEN;
        for record in decoded
            .by_ref()
            .take(usize::try_from(summary.n_records).unwrap())
        {
            spans.push(Span {
                segment: summary.name.clone(),
                offset,
                len: record.len,
                hash: record.hash,
            });
            offset += record.len;
        }
    }
    spans
}

fn spans_text(spans: &[Span]) -> String {
    let mut text = String::from("# idx segment offset len record_hash (docs/spec/wal.md)\n");
    for (idx, span) in spans.iter().enumerate() {
        text.push_str(&format!(
            "{idx} {} {} {} {}\n",
            span.segment, span.offset, span.len, span.hash
        ));
    }
    text
}

fn parse_spans(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields.len(), 5, "hash line {line:?}");
        assert_eq!(fields[0].parse::<usize>().unwrap(), spans.len());
        spans.push(Span {
            segment: fields[1].to_owned(),
            offset: fields[2].parse().unwrap(),
            len: fields[3].parse().unwrap(),
            hash: Hash::from_hex(fields[4]).unwrap(),
        });
    }
    spans
}

/// The checked-in padded golden segments and spans.
fn golden() -> (BTreeMap<String, Vec<u8>>, Vec<Span>) {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(segments_dir()).expect("padded golden segments present") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        files.insert(name, std::fs::read(&path).unwrap());
    }
    let spans = parse_spans(&std::fs::read_to_string(hashes_path()).expect("hashes present"));
    assert_eq!(spans.len() as u64, N_RECORDS);
    (files, spans)
}

fn sim_of(files: &BTreeMap<String, Vec<u8>>) -> SimStorage {
    let sim = SimStorage::new();
    for (name, bytes) in files {
        sim.overwrite(name, bytes.clone());
    }
    sim
}

/// The last segment's name and bytes.
fn last_segment(files: &BTreeMap<String, Vec<u8>>) -> (String, Vec<u8>) {
    let (name, bytes) = files.last_key_value().unwrap();
    (name.clone(), bytes.clone())
}

#[test]
fn padded_golden_wal_decodes_and_todays_writer_reproduces_it_padding_included() {
    let written = write_padded();
    if update_expect() {
        let _ = std::fs::remove_dir_all(segments_dir());
        std::fs::create_dir_all(segments_dir()).unwrap();
        for (name, bytes) in &written {
            std::fs::write(segments_dir().join(name), bytes).unwrap();
        }
        std::fs::write(hashes_path(), spans_text(&spans_of(&written))).unwrap();
    }
    let (files, spans) = golden();
    assert!(
        files == written,
        "the writer no longer reproduces the padded golden WAL byte for byte"
    );
    assert_eq!(
        std::fs::read_to_string(hashes_path()).unwrap(),
        spans_text(&spans_of(&files))
    );
    // Two segments: the first sealed (exactly its records), the last padded with zeros (as
    // far as its last extension went, within the segment size).
    let names: Vec<&String> = files.keys().collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let (_, scan) = records(&sim_of(&files));
    assert_eq!(scan.end, ScanEnd::Clean);
    let (sealed, last) = (&scan.segments[0], &scan.segments[1]);
    assert_eq!(sealed.padding_len, 0);
    assert_eq!(files[&sealed.name].len() as u64, sealed.valid_len);
    let file_len = files[&last.name].len() as u64;
    assert!(file_len <= SEGMENT_BYTES_MAX);
    assert!(last.padding_len > 0);
    assert_eq!(last.valid_len + last.padding_len, file_len);
    let valid_len = usize::try_from(last.valid_len).unwrap();
    assert!(files[&last.name][valid_len..].iter().all(|byte| *byte == 0));
    // Every record where its span says, with its recorded hash, chained.
    let mut prev = Hash::ZERO;
    for (idx, span) in spans.iter().enumerate() {
        let decoded = decode(&files[&span.segment][span.offset..]).unwrap();
        assert_eq!(decoded.record.idx, idx as u64);
        assert_eq!(decoded.record.prev, prev);
        assert_eq!((decoded.len, decoded.hash), (span.len, span.hash));
        assert_is_entry(&decoded.record);
        prev = decoded.hash;
    }
}

/// Asserts that the valid prefix of `storage` is exactly the first `n` golden records.
fn assert_golden_prefix<S: Storage>(storage: &S, spans: &[Span], n: usize, at: &str) -> ScanEnd {
    let (seen, scan) = records(storage);
    assert_eq!(seen.len(), n, "{at}");
    for (decoded, span) in seen.iter().zip(spans) {
        assert_eq!(
            decoded.hash, span.hash,
            "{at}: record {}",
            decoded.record.idx
        );
    }
    scan.end
}

/// Appends the next record to an opened log and checks that it lands at the end of the valid
/// prefix (the records before it untouched) and that the log is clean with it.
fn assert_goes_on(wal: &mut Wal<SimStorage>, sim: &SimStorage, spans: &[Span], at: &str) {
    let n = wal.next_idx();
    let before = records(sim).1;
    let owned = entry_for(n);
    wal.append(owned.entry()).unwrap();
    wal.sync().unwrap();
    let (seen, scan) = records(sim);
    assert_eq!(scan.end, ScanEnd::Clean, "{at}");
    assert_eq!(seen.len() as u64, n + 1, "{at}");
    let kept = usize::try_from(n).unwrap();
    for (decoded, span) in seen.iter().zip(&spans[..kept]) {
        assert_eq!(decoded.hash, span.hash, "{at}");
    }
    assert_is_entry(&seen[kept].record);
    // Where the new record went: right after the valid prefix of the last segment (or in a
    // new segment, when that one is full).
    let last = scan.segments.last().unwrap();
    let previous = before
        .segments
        .last()
        .map_or(0, |summary| summary.valid_len);
    let record_len = seen[kept].len as u64;
    if before.segments.last().map(|summary| &summary.name) == Some(&last.name) {
        assert_eq!(last.valid_len, previous + record_len, "{at}");
    } else {
        assert_eq!(last.valid_len, FILE_HEADER_LEN as u64 + record_len, "{at}");
    }
}

/// Cuts the last (padded) segment at every byte offset: in the file header (torn header, the
/// segment goes), inside a record (torn tail at its start, `Truncated`), at a record boundary
/// or anywhere in the padding (clean: less padding). After every open the log takes its next
/// record at the end of the valid prefix.
#[test]
fn truncation_at_every_byte_offset_of_a_padded_segment() {
    let (files, spans) = golden();
    let (name, bytes) = last_segment(&files);
    let first_of_last = spans.iter().position(|span| span.segment == name).unwrap();
    let last_spans = &spans[first_of_last..];
    let valid_len = last_spans.last().unwrap().end();
    let mut n_clean_in_padding = 0;
    for cut in 0..=bytes.len() {
        let at = format!("cut at {cut}");
        let mut damaged = files.clone();
        damaged.insert(name.clone(), bytes[..cut].to_vec());
        let sim = sim_of(&damaged);
        let n = first_of_last + last_spans.iter().filter(|span| span.end() <= cut).count();
        let (mut wal, recovery) = Wal::open(sim.clone(), options()).unwrap();
        assert_eq!(wal.next_idx(), n as u64, "{at}");
        assert_golden_prefix(&sim, &spans, n, &at);
        let boundary = cut == FILE_HEADER_LEN || last_spans.iter().any(|span| span.end() == cut);
        if cut >= valid_len || boundary {
            assert_eq!(recovery.scan.end, ScanEnd::Clean, "{at}");
            assert_eq!(recovery.action, RecoveryAction::None, "{at}");
            let summary = recovery.scan.segments.last().unwrap();
            let padding = cut.saturating_sub(valid_len) as u64;
            assert_eq!(summary.padding_len, padding, "{at}");
            n_clean_in_padding += usize::from(cut > valid_len);
        } else {
            let (offset, reason) = if cut < FILE_HEADER_LEN {
                let header = jitos_wal::segment::FileHeaderError::Truncated { len: cut };
                (0, DamageReason::FileHeader(header))
            } else {
                let span = &spans[n];
                let need = if cut - span.offset < 128 {
                    128
                } else {
                    span.len
                };
                (
                    span.offset,
                    DamageReason::Record(DecodeError::Truncated { need }),
                )
            };
            let expected = ScanEnd::TornTail {
                segment: name.clone(),
                offset: offset as u64,
                reason,
            };
            assert_eq!(recovery.scan.end, expected, "{at}");
            let files_now = sim.snapshot();
            if offset == 0 {
                assert!(!files_now.contains_key(&name), "{at}");
            } else {
                assert!(
                    files_now[&name] == bytes[..offset],
                    "{at}: cut to the record"
                );
            }
        }
        assert_goes_on(&mut wal, &sim, &spans, &at);
    }
    assert_eq!(n_clean_in_padding, bytes.len() - valid_len);
}

/// The bits the flip test tries in the last segment: every bit of its file header, its last
/// record and the first and last 64 bytes of its padding, and 2000 seeded positions.
fn flip_bits(bytes_len: usize, valid_len: usize, last: &Span) -> Vec<usize> {
    let mut bits: Vec<usize> = (0..FILE_HEADER_LEN * 8).collect();
    bits.extend(last.offset * 8..(valid_len + 64) * 8);
    bits.extend((bytes_len - 64) * 8..bytes_len * 8);
    let mut rng = SplitMix64::new(0xf11b_0a0d);
    bits.extend((0..2000).map(|_| rng.below_usize(bytes_len * 8)));
    bits
}

/// A flipped bit in the last segment: in its file header or a record followed by valid ones,
/// corruption at that record (or 0); in its last record, a torn tail at that record; anywhere
/// in the padding, a torn tail at the end of the last record (the non-zero byte is not a
/// record, nothing valid follows), which open cuts, and the log goes on from there.
#[test]
fn a_flipped_bit_in_a_padded_segment() {
    let (files, spans) = golden();
    let (name, bytes) = last_segment(&files);
    let first_of_last = spans.iter().position(|span| span.segment == name).unwrap();
    let last = spans.last().unwrap();
    let valid_len = last.end();
    let (mut n_torn, mut n_corrupt) = (0, 0);
    for bit in flip_bits(bytes.len(), valid_len, last) {
        let at = format!("bit {bit}");
        let byte = bit / 8;
        let mut damaged = bytes.clone();
        damaged[byte] ^= 1 << (bit % 8);
        let mut damaged_files = files.clone();
        damaged_files.insert(name.clone(), damaged.clone());
        let sim = sim_of(&damaged_files);
        let (n, offset) = if byte < FILE_HEADER_LEN {
            (first_of_last, 0)
        } else if byte >= valid_len {
            (spans.len(), valid_len)
        } else {
            let n = spans
                .iter()
                .filter(|span| span.segment < name || span.end() <= byte);
            let n = n.count();
            (n, spans[n].offset)
        };
        let end = assert_golden_prefix(&sim, &spans, n, &at);
        let opened = Wal::open(sim.clone(), options());
        if n + 1 >= spans.len() && byte >= FILE_HEADER_LEN {
            n_torn += 1;
            assert!(matches!(&end, ScanEnd::TornTail { .. }), "{at}: {end:?}");
            let damage = end.damage().map(|(segment, o, _)| (segment.to_owned(), o));
            assert_eq!(damage, Some((name.clone(), offset as u64)), "{at}");
            let (mut wal, recovery) = opened.unwrap();
            assert!(
                matches!(&recovery.action, RecoveryAction::Cut { offset: o, dropped_bytes, .. }
                    if *o == offset as u64 && *dropped_bytes == (bytes.len() - offset) as u64),
                "{at}: {recovery:?}"
            );
            assert!(sim.snapshot()[&name] == bytes[..offset], "{at}");
            assert_goes_on(&mut wal, &sim, &spans, &at);
        } else {
            n_corrupt += 1;
            assert!(matches!(&end, ScanEnd::Corrupt { .. }), "{at}: {end:?}");
            let damage = end.damage().map(|(segment, o, _)| (segment.to_owned(), o));
            assert_eq!(damage, Some((name.clone(), offset as u64)), "{at}");
            assert!(
                matches!(&opened, Err(OpenError::Corrupt { segment, offset: o, .. })
                    if *segment == name && *o == offset as u64),
                "{at}"
            );
            assert_eq!(
                sim.snapshot()[&name],
                damaged,
                "{at}: refusing changed nothing"
            );
        }
    }
    assert!(
        n_torn > 1000 && n_corrupt > 100,
        "{n_torn} torn, {n_corrupt} corrupt"
    );
}

/// `count` records from `first` on, chained after `prev`, encoded back to back.
fn encoded_records(first: u64, count: u64, mut prev: Hash) -> (Vec<u8>, Vec<usize>, Hash) {
    let mut bytes = Vec::new();
    let mut starts = Vec::new();
    for idx in first..first + count {
        let owned = entry_for(idx);
        let record = jitos_wal::Record {
            idx,
            prev,
            rule_pack_id: crate::support::rule_pack(),
            policy_id: owned.policy_id,
            view_digest: owned.view_digest,
            body: owned.body.clone(),
        };
        let encoded = encode(&record);
        prev = decode(&encoded).unwrap().hash;
        starts.push(bytes.len());
        bytes.extend_from_slice(&encoded);
    }
    (bytes, starts, prev)
}

/// A segment file: the header, `records`, then `padding_len` zeros.
fn segment_with(records: &[u8], padding_len: usize) -> Vec<u8> {
    let mut bytes = jitos_wal::segment::FILE_HEADER.to_vec();
    bytes.extend_from_slice(records);
    bytes.resize(bytes.len() + padding_len, 0);
    bytes
}

#[test]
fn zero_padding_after_the_last_record_is_the_clean_end_of_any_segment() {
    let (first, _, prev) = encoded_records(0, 5, Hash::ZERO);
    let (second, _, _) = encoded_records(5, 3, prev);
    for padding_len in [0, 1, 3, 4, 127, 128, 129, 4000] {
        let at = format!("{padding_len} zeros");
        let sim = sim_of(&BTreeMap::from([
            (segment_name(0), segment_with(&first, padding_len)),
            (segment_name(5), segment_with(&second, padding_len)),
        ]));
        let (seen, scan) = records(&sim);
        assert_eq!(scan.end, ScanEnd::Clean, "{at}");
        assert_eq!(seen.len(), 8, "{at}");
        for summary in &scan.segments {
            assert_eq!(summary.padding_len, padding_len as u64, "{at}");
        }
        let (mut wal, recovery) = Wal::open(sim.clone(), WalOptions::default()).unwrap();
        assert_eq!(recovery.action, RecoveryAction::None, "{at}");
        let file_len = sim.snapshot()[&segment_name(5)].len();
        wal.append(entry_for(8).entry()).unwrap();
        wal.sync().unwrap();
        let (seen, scan) = records(&sim);
        assert_eq!((seen.len(), scan.end), (9, ScanEnd::Clean), "{at}");
        let grown = sim.snapshot()[&segment_name(5)].len();
        // The record went over the padding when it fitted; else the file was extended.
        let record_len = seen[8].len;
        if padding_len >= record_len {
            assert_eq!(grown, file_len, "{at}: written in place");
        } else {
            assert!(grown >= file_len + record_len - padding_len, "{at}");
        }
    }
    // A last segment holding only its header and zeros is an empty log tail, not damage.
    let sim = sim_of(&BTreeMap::from([
        (segment_name(0), segment_with(&first, 0)),
        (segment_name(5), segment_with(&[], 100)),
    ]));
    assert_eq!(scan(&sim).unwrap().end, ScanEnd::Clean);
    // ... but a segment of zeros only, header included, is a torn creation.
    let sim = sim_of(&BTreeMap::from([
        (segment_name(0), segment_with(&first, 0)),
        (segment_name(5), vec![0; 100]),
    ]));
    assert!(matches!(
        scan(&sim).unwrap().end,
        ScanEnd::TornTail {
            offset: 0,
            reason: DamageReason::FileHeader(_),
            ..
        }
    ));
}

#[test]
fn a_torn_record_followed_by_padding_is_a_torn_tail() {
    let (whole, starts, _) = encoded_records(0, 6, Hash::ZERO);
    let last = starts[5];
    let record_len = whole.len() - last;
    // Kept prefixes of the last record, the rest of it (and a padding after it) zeros: what a
    // power cut leaves of an overwrite in place.
    for kept in [1, 3, 4, 60, 127, 128, 129, record_len - 33, record_len - 1] {
        let mut records_bytes = whole.clone();
        records_bytes[last + kept..].fill(0);
        let sim = sim_of(&BTreeMap::from([(
            segment_name(0),
            segment_with(&records_bytes, 1000),
        )]));
        let end = scan(&sim).unwrap().end;
        assert!(
            matches!(&end, ScanEnd::TornTail { offset, .. }
                if *offset == (FILE_HEADER_LEN + last) as u64),
            "{kept} bytes kept: {end:?}"
        );
        let (wal, recovery) = Wal::open(sim.clone(), WalOptions::default()).unwrap();
        assert_eq!(wal.next_idx(), 5);
        assert!(matches!(recovery.action, RecoveryAction::Cut { .. }));
        assert_eq!(
            sim.snapshot()[&segment_name(0)].len(),
            FILE_HEADER_LEN + last
        );
    }
}

#[test]
fn a_valid_record_after_damage_is_corruption_even_across_padding() {
    let (whole, starts, prev) = encoded_records(0, 6, Hash::ZERO);
    let (later, _, _) = encoded_records(6, 2, prev);
    let lost = FILE_HEADER_LEN + starts[4];
    // Record 4 lost (zeros), record 5 intact after it, zeros after that: a hole before a
    // valid record.
    let mut hole = segment_with(&whole, 500);
    hole[lost..FILE_HEADER_LEN + starts[5]].fill(0);
    // Record 5 damaged, then padding, then a later segment with valid records.
    let mut flipped = segment_with(&whole, 500);
    flipped[FILE_HEADER_LEN + starts[5] + 140] ^= 0x04;
    // Records 0..=5, zeros, then records 6 and 7 after them in the same file, then zeros.
    let mut after_padding = segment_with(&whole, 300);
    after_padding.extend_from_slice(&later);
    after_padding.resize(after_padding.len() + 200, 0);
    let cases = [
        (
            "a lost record",
            vec![(segment_name(0), hole)],
            lost,
            DamageReason::Record(DecodeError::BadMagic),
        ),
        (
            "a later segment",
            vec![
                (segment_name(0), flipped),
                (segment_name(6), segment_with(&later, 100)),
            ],
            FILE_HEADER_LEN + starts[5],
            DamageReason::Record(DecodeError::RecordHash),
        ),
        (
            "the same segment",
            vec![(segment_name(0), after_padding)],
            FILE_HEADER_LEN + whole.len(),
            DamageReason::Record(DecodeError::BadMagic),
        ),
    ];
    for (what, files, offset, reason) in cases {
        let sim = sim_of(&files.into_iter().collect());
        let expected = ScanEnd::Corrupt {
            segment: segment_name(0),
            offset: offset as u64,
            reason,
        };
        assert_eq!(scan(&sim).unwrap().end, expected, "{what}");
        let error = Wal::open(sim.clone(), WalOptions::default()).unwrap_err();
        assert!(
            matches!(error, OpenError::Corrupt { .. }),
            "{what}: {error}"
        );
    }
}

/// Appends `n` records one by one, each synced; returns the storage's successful sync count
/// before and after.
fn append_synced_counting(wal: &mut Wal<SimStorage>, sim: &SimStorage, n: u64) -> (u64, u64) {
    let before = sim.n_syncs();
    for _ in 0..n {
        let owned = entry_for(wal.next_idx());
        wal.append(owned.entry()).unwrap();
        wal.sync().unwrap();
    }
    (before, sim.n_syncs())
}

/// Appends records one by one, each synced, until one makes the file (whose length
/// `file_len` reads) grow; returns the length before and after.
fn append_until_extended<S: Storage>(wal: &mut Wal<S>, file_len: &dyn Fn() -> u64) -> (u64, u64) {
    let before = file_len();
    for _ in 0..100_000 {
        let owned = entry_for(wal.next_idx());
        wal.append(owned.entry()).unwrap();
        wal.sync().unwrap();
        let after = file_len();
        if after != before {
            return (before, after);
        }
    }
    panic!("100,000 records and the file never grew");
}

/// An upper bound on the length of a test record: 160 bytes of overhead and a body
/// (`support::body_for`) of at most 64 bytes.
const RECORD_BYTES_MAX_HERE: u64 = 160 + 64;

/// The point of preallocation: records overwrite zeros written ahead of them. Right after an
/// extension a run of appends, each synced, leaves the file's length unchanged and costs one
/// sync each (no extension, no size change); when the zeros run out the file grows once, by as
/// much as it holds, at the cost of one more sync (the extension's).
#[test]
fn steady_state_appends_overwrite_preallocated_zeros_and_never_grow_the_file() {
    let sim = SimStorage::new();
    let (mut wal, _) = Wal::open(sim.clone(), WalOptions::default()).unwrap();
    let name = segment_name(0);
    let file_len = || sim.snapshot()[&name].len() as u64;
    append_synced_counting(&mut wal, &sim, 300);
    let (before, grown) = append_until_extended(&mut wal, &file_len);
    assert_eq!(grown, 2 * before, "an extension doubles a small file");
    let valid_len = records(&sim).1.segments[0].valid_len;
    let padding = usize::try_from(valid_len).unwrap()..usize::try_from(grown).unwrap();
    assert!(sim.snapshot()[&name][padding].iter().all(|byte| *byte == 0));
    let n = (grown - valid_len) / RECORD_BYTES_MAX_HERE;
    assert!(n >= 100, "{n}");
    let (syncs_before, syncs_after) = append_synced_counting(&mut wal, &sim, n);
    assert_eq!(file_len(), grown, "no growth");
    assert_eq!(
        syncs_after - syncs_before,
        n,
        "one sync per commit, none for an extension"
    );
    // When the zeros run out: one extension, one extra sync.
    let (syncs_before, idx_before) = (sim.n_syncs(), wal.next_idx());
    let (before, after) = append_until_extended(&mut wal, &file_len);
    assert_eq!((before, after), (grown, 2 * grown));
    let n_commits = wal.next_idx() - idx_before;
    assert_eq!(sim.n_syncs() - syncs_before, n_commits + 1, "one extension");
    assert_eq!(scan(&sim).unwrap().end, ScanEnd::Clean);
}

/// The same on a real file system: after an extension, a run of appends and fsyncs leaves the
/// segment's length, and its allocated blocks, unchanged; the preallocated bytes are real
/// blocks, not a hole.
#[test]
fn fs_storage_steady_state_appends_leave_the_file_length_unchanged() {
    let dir = TempDir::new("fs-steady-state");
    let storage = FsStorage::open(&dir.0).unwrap();
    let (mut wal, _) = Wal::open(storage, WalOptions::default()).unwrap();
    let path = dir.0.join(segment_name(0));
    let file_len = || std::fs::metadata(&path).unwrap().len();
    for _ in 0..300 {
        wal.append(entry_for(wal.next_idx()).entry()).unwrap();
        wal.sync().unwrap();
    }
    let (_, grown) = append_until_extended(&mut wal, &file_len);
    #[cfg(unix)]
    let blocks = {
        use std::os::unix::fs::MetadataExt;
        let metadata = std::fs::metadata(&path).unwrap();
        assert!(
            metadata.blocks() * 512 >= grown,
            "written zeros, not a hole"
        );
        metadata.blocks()
    };
    for _ in 0..100 {
        wal.append(entry_for(wal.next_idx()).entry()).unwrap();
        wal.sync().unwrap();
        assert_eq!(file_len(), grown);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        assert_eq!(std::fs::metadata(&path).unwrap().blocks(), blocks);
    }
    let n = wal.next_idx();
    drop(wal);
    let storage = FsStorage::open(&dir.0).unwrap();
    let (seen, scan) = records(&storage);
    assert_eq!((seen.len() as u64, scan.end), (n, ScanEnd::Clean));
    assert!(scan.segments[0].padding_len > 0);
}

/// `write_at` is a positioned write even though the same handle appends: a handle opened with
/// `O_APPEND` would make Linux's `pwrite` ignore the offset and append.
#[test]
fn fs_storage_write_at_overwrites_in_place_and_append_appends() {
    let dir = TempDir::new("fs-write-at");
    let mut storage = FsStorage::open(&dir.0).unwrap();
    storage.create("f").unwrap();
    storage.append("f", b"0123456789").unwrap();
    storage.write_at("f", 2, b"ab").unwrap();
    storage.append("f", b"xy").unwrap();
    storage.write_at("f", 11, b"ZZZ").unwrap();
    storage.sync("f").unwrap();
    assert_eq!(storage.read("f").unwrap(), b"01ab456789xZZZ");
    let mut reopened = FsStorage::open(&dir.0).unwrap();
    reopened.write_at("f", 0, b"!").unwrap();
    reopened.append("f", b"?").unwrap();
    assert_eq!(reopened.read("f").unwrap(), b"!1ab456789xZZZ?");
}

/// Segments rotate as before; a sealed segment loses its padding (exactly its records), only
/// the last one ends in zeros, and no file exceeds the segment size.
#[test]
fn a_sealed_segment_is_exactly_its_records_and_only_the_last_is_padded() {
    let sim = SimStorage::new();
    let options = WalOptions {
        segment_bytes_max: 3000,
        write_buffer_bytes: 500,
        ..WalOptions::default()
    };
    let (mut wal, _) = Wal::open(sim.clone(), options).unwrap();
    append_synced_counting(&mut wal, &sim, 80);
    let files = sim.snapshot();
    let (_, scan) = records(&sim);
    assert_eq!(scan.end, ScanEnd::Clean);
    assert!(scan.segments.len() > 3);
    let (last, sealed) = scan.segments.split_last().unwrap();
    for summary in sealed {
        assert_eq!(files[&summary.name].len() as u64, summary.valid_len);
        assert_eq!(summary.padding_len, 0);
    }
    let file_len = files[&last.name].len() as u64;
    assert!(file_len <= 3000, "{file_len}");
    assert_eq!(last.valid_len + last.padding_len, file_len);
}

/// An extension is a write: a failure to write its zeros or to sync them poisons the `Wal`,
/// and what was durable before stays readable.
#[test]
fn an_extension_that_fails_to_write_or_sync_poisons_the_wal() {
    for fail_sync in [false, true] {
        let sim = SimStorage::new();
        let (mut wal, _) = Wal::open(sim.clone(), WalOptions::default()).unwrap();
        append_synced_counting(&mut wal, &sim, 3);
        let file_len = sim.snapshot()[&segment_name(0)].len();
        // One record that runs past the preallocated bytes.
        let big = vec![0xb0; file_len];
        wal.append(jitos_wal::Entry {
            body: &big,
            ..entry_for(3).entry()
        })
        .unwrap();
        if fail_sync {
            sim.fail_next_sync();
        } else {
            sim.fail_next_write();
        }
        let error = wal.sync().unwrap_err();
        let op = if fail_sync { "fsync" } else { "extend" };
        assert!(
            matches!(&error, WalError::Io { op: o, .. } if *o == op),
            "{error:?}"
        );
        assert!(wal.is_poisoned());
        assert!(matches!(wal.sync(), Err(WalError::Poisoned)));
        drop(wal);
        sim.power_cut(fail_sync.into());
        let (wal, _) = Wal::open(sim.clone(), WalOptions::default()).unwrap();
        assert_eq!(wal.next_idx(), 3, "fail_sync {fail_sync}");
        assert_eq!(scan(&sim).unwrap().end, ScanEnd::Clean);
    }
}
