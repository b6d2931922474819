//! Seeded power cuts on `SimStorage`: a random workload of appends, batches, syncs and injected
//! faults, a power cut, then recovery.
//!
//! # Invariants
//! - For every seed: every record appended before a successful `sync` survives; every record
//!   that survives is exactly the one appended at its idx; recovery never sees corruption; the
//!   recovered log is clean and can be appended to.
//! - The writer writes records over preallocated zeros, so the writes a cut tears are
//!   overwrites in place: the workload must produce torn tails inside padding (a torn record
//!   with zeros after it, the file longer than the damage), not only at the end of a file.
//! - The same seed gives the same files, the same recovery report and the same log, byte for
//!   byte (the run is executed twice and compared).

use std::collections::BTreeMap;

use jitos_wal::{
    RECORD_HEADER_LEN, Recovery, ScanEnd, SimStorage, SplitMix64, Wal, WalOptions, scan,
};

use crate::support::{assert_is_entry, entry_for, records};

const N_SEEDS: u64 = 1000;

/// Everything a run produced, for the determinism comparison.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    n_acked: u64,
    recovery: Recovery,
    files: BTreeMap<String, Vec<u8>>,
    /// Whether the cut tore a record written in place: a torn tail with only zeros after the
    /// damaged record, at least a record header past the damage.
    torn_in_place: bool,
}

/// Whether `end` is a torn tail inside padding of `files` (as the cut left them).
fn is_torn_in_place(end: &ScanEnd, files: &BTreeMap<String, Vec<u8>>) -> bool {
    let ScanEnd::TornTail {
        segment, offset, ..
    } = end
    else {
        return false;
    };
    let bytes = &files[segment];
    let offset = usize::try_from(*offset).unwrap();
    offset > 0
        && bytes.len() > offset + RECORD_HEADER_LEN
        && bytes[offset] != 0
        && bytes.last() == Some(&0)
}

/// Runs the random workload of `seed` until its power cut; returns the acknowledged count.
fn workload(sim: &SimStorage, wal: &mut Wal<SimStorage>, rng: &mut SplitMix64) -> u64 {
    let mut n_acked = 0;
    for _ in 0..rng.below(60) {
        let result = match rng.below(20) {
            0 => {
                sim.fail_next_sync();
                Ok(())
            }
            1 => {
                sim.fail_next_write();
                Ok(())
            }
            2 => {
                let used: usize = sim.snapshot().values().map(Vec::len).sum();
                sim.set_capacity(Some(used + rng.below_usize(1500)));
                Ok(())
            }
            3..=8 => wal.sync().map(|n_durable| n_acked = n_durable),
            9..=13 => {
                let owned = entry_for(wal.next_idx());
                wal.append(owned.entry()).map(|_| ())
            }
            _ => {
                let first = wal.next_idx();
                let owned: Vec<_> = (first..first + 1 + rng.below(8)).map(entry_for).collect();
                let entries: Vec<_> = owned.iter().map(|entry| entry.entry()).collect();
                wal.append_batch(&entries)
                    .map(|_| n_acked = wal.n_durable())
            }
        };
        if result.is_err() {
            assert!(wal.is_poisoned());
            break;
        }
    }
    n_acked
}

fn run(seed: u64) -> Outcome {
    let mut rng = SplitMix64::new(seed);
    let sim = SimStorage::new();
    let options = WalOptions {
        segment_bytes_max: 600 + rng.below(4000),
        write_buffer_bytes: 1 + rng.below_usize(1500),
        ..WalOptions::default()
    };
    let (mut wal, _) = Wal::open(sim.clone(), options.clone()).unwrap();
    let n_acked = workload(&sim, &mut wal, &mut rng);
    let n_appended = wal.next_idx();
    drop(wal);
    sim.power_cut(rng.next_u64());
    sim.set_capacity(None);
    sim.clear_faults();
    let cut_files = sim.snapshot();

    let mut seen = Vec::new();
    let (mut wal, recovery) = Wal::open_visit(sim.clone(), options.clone(), &mut |decoded| {
        seen.push(decoded.into_owned());
    })
    .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
    assert!(
        !matches!(recovery.scan.end, ScanEnd::Corrupt { .. }),
        "seed {seed}"
    );
    let n = wal.next_idx();
    assert!(
        n >= n_acked,
        "seed {seed}: {n} records survive, {n_acked} were acknowledged"
    );
    assert!(n <= n_appended, "seed {seed}");
    for decoded in &seen {
        assert_is_entry(&decoded.record);
    }
    assert_eq!(scan(&sim).unwrap().end, ScanEnd::Clean, "seed {seed}");

    // The recovered log goes on, and survives another cut once synced.
    let owned = entry_for(n);
    wal.append(owned.entry()).unwrap();
    wal.sync().unwrap();
    drop(wal);
    sim.power_cut(rng.next_u64());
    let (seen, scan) = records(&sim);
    assert_eq!(scan.end, ScanEnd::Clean, "seed {seed}");
    assert_eq!(seen.len() as u64, n + 1, "seed {seed}");
    let torn_in_place = is_torn_in_place(&recovery.scan.end, &cut_files);
    Outcome {
        n_acked,
        recovery,
        files: sim.snapshot(),
        torn_in_place,
    }
}

#[test]
fn acknowledged_records_survive_power_cuts_and_every_seed_reproduces() {
    let mut n_torn = 0;
    let mut n_torn_in_place = 0;
    let mut n_unacked_survivors = 0;
    for seed in 0..N_SEEDS {
        let first = run(seed);
        assert_eq!(first, run(seed), "seed {seed} is not reproducible");
        if matches!(first.recovery.scan.end, ScanEnd::TornTail { .. }) {
            n_torn += 1;
        }
        n_torn_in_place += u64::from(first.torn_in_place);
        if first.recovery.scan.n_records > first.n_acked {
            n_unacked_survivors += 1;
        }
    }
    // The workload must actually exercise torn tails and unacknowledged survivors.
    assert!(n_torn > N_SEEDS / 10, "only {n_torn} torn tails");
    assert!(
        n_torn_in_place > N_SEEDS / 20,
        "only {n_torn_in_place} torn tails inside padding"
    );
    assert!(n_unacked_survivors > 0);
}

/// A writer crashes (no power cut) with records written but never synced; the next open keeps
/// them and must make them durable before anyone builds on them: a power cut after the reopened
/// log grew past a rotation keeps every record the reopen reported, and shows no corruption.
#[test]
fn open_makes_what_a_crashed_writer_left_unsynced_durable() {
    let options = WalOptions {
        segment_bytes_max: 1500,
        ..WalOptions::default()
    };
    let sim = SimStorage::new();
    let (mut wal, _) = Wal::open(sim.clone(), options.clone()).expect("opens");
    for idx in 0..6 {
        wal.append(entry_for(idx).entry()).expect("appends");
        if idx == 1 {
            wal.sync().expect("syncs");
        }
    }
    wal.append_batch_unsynced(&[])
        .expect("writes the buffer out, no fsync");
    drop(wal); // The process dies: the page cache keeps the writes; nothing more was synced.

    // Reopened with segments as small as the tail already is, the next append rotates at once,
    // and its sync covers only the new segment: the old tail's unsynced records must already
    // be durable.
    let tail_len = records(&sim)
        .1
        .segments
        .last()
        .expect("a segment")
        .valid_len;
    let small = WalOptions {
        segment_bytes_max: tail_len,
        ..options.clone()
    };
    let (mut reopened, _) = Wal::open(sim.clone(), small).expect("reopens");
    assert_eq!(reopened.n_durable(), 6);
    reopened.append(entry_for(6).entry()).expect("appends");
    reopened.sync().expect("syncs");
    assert_eq!(sim.snapshot().len(), 2, "the reopened log rotated");
    drop(reopened);
    sim.power_cut(5);
    let (after, recovery) = Wal::open(sim.clone(), options).expect("no corruption after the cut");
    assert_eq!(after.n_durable(), 7, "{recovery:?}");
    let (kept, _) = records(&sim);
    assert_eq!(kept.len(), 7);
    for record in &kept {
        assert_is_entry(&record.record);
    }
}
