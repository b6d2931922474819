//! Unit tests: percentiles, the window's counting rule, row bodies, `/proc` parsing and the
//! option checks.

use std::path::Path;
use std::time::Duration;

use crate::jitos::{cpu_ticks_of_stat, key_of};
use crate::machine::{DiskCounters, counters_of, mount_of};
use crate::window::{Samples, Timing, Window, latencies_of, percentile};
use crate::{BenchError, Options, System, row_body};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn percentiles_are_nearest_rank_samples() {
    let sorted: Vec<Duration> = (1..=100).map(ms).collect();
    assert_eq!(percentile(&sorted, 500), Some(ms(50)));
    assert_eq!(percentile(&sorted, 990), Some(ms(99)));
    assert_eq!(percentile(&sorted, 1000), Some(ms(100)));
    assert_eq!(percentile(&[ms(7)], 990), Some(ms(7)));
    assert_eq!(percentile(&[], 500), None);
    let summary = latencies_of(vec![ms(3), ms(1), ms(2)]).expect("samples");
    assert_eq!(
        (summary.p50_us, summary.p99_us, summary.max_us),
        (2000, 3000, 3000)
    );
    assert!(latencies_of(Vec::new()).is_none());
}

#[test]
fn only_commits_finishing_inside_the_window_count() {
    let window = Window::starting_now(Timing {
        warmup: ms(100),
        duration: ms(100),
    });
    let mut samples = Samples::default();
    let before = window.measured_from - ms(10);
    assert!(
        samples.take(&window, before - ms(5), before),
        "warmup goes on"
    );
    let inside = window.measured_from + ms(10);
    assert!(
        samples.take(&window, before, inside),
        "a straddling commit counts at its end"
    );
    assert!(
        !samples.take(&window, inside, window.end),
        "the end stops the client"
    );
    assert_eq!(samples.latencies, vec![ms(20)]);
    assert_eq!(samples.n_acknowledged, 3);
}

#[test]
fn row_bodies_keep_the_template_size_and_differ_by_key() {
    let template = vec![0xAA; 160];
    let first = row_body(&template, key_of(0, 1));
    let second = row_body(&template, key_of(1, 1));
    assert_eq!(first.len(), 160);
    assert_ne!(first, second);
    assert_eq!(first[..152], template[..152]);
    assert_eq!(
        row_body(&[1, 2], 0x0304),
        vec![3, 4],
        "short templates take the low bytes"
    );
    assert_ne!(key_of(0, 1), key_of(1, 0));
}

#[test]
fn the_event_template_is_a_real_event_of_plausible_size() {
    let template = crate::event_template().expect("encodes");
    assert!(
        (100..=400).contains(&template.len()),
        "{} bytes",
        template.len()
    );
    let event = jitos_kernel::decode_event(&template).expect("decodes");
    assert_eq!(event.kind, jitos_schema::enums::EventKind::RewriteApplied);
}

#[test]
fn stat_lines_give_user_plus_system_ticks() {
    let stat = "4242 (jitos kernel) S 1 2 3 4 5 6 7 8 9 10 17 25 0 0 20 0 1 0";
    assert_eq!(cpu_ticks_of_stat(stat), Some(42));
    assert_eq!(cpu_ticks_of_stat("garbage"), None);
}

#[test]
fn the_deepest_mount_holding_the_path_wins() {
    let mountinfo = "\
22 1 254:0 / / rw,relatime - ext4 /dev/vda rw
30 22 0:25 / /tmp rw - tmpfs tmpfs rw
31 22 0:26 / /mnt/my\\040disk rw - xfs /dev/vdb rw";
    let root = mount_of(mountinfo, Path::new("/work/x")).expect("root");
    assert_eq!(root.to_string(), "ext4 on /dev/vda (mounted at /)");
    assert_eq!(root.device(), Some("vda"));
    let tmp = mount_of(mountinfo, Path::new("/tmp/a")).expect("tmp");
    assert_eq!(tmp.to_string(), "tmpfs on tmpfs (mounted at /tmp)");
    assert_eq!(tmp.device(), None, "tmpfs is no block device");
    let spaced = mount_of(mountinfo, Path::new("/mnt/my disk/b")).expect("escaped");
    assert_eq!(
        spaced.to_string(),
        "xfs on /dev/vdb (mounted at /mnt/my disk)"
    );
    assert!(mount_of("", Path::new("/")).is_none());
}

#[test]
fn bad_options_are_refused_before_anything_is_written() {
    let options = |clients: Vec<usize>, duration: Duration| Options {
        dir: "/nonexistent/durable-commit".into(),
        clients,
        systems: System::ALL.to_vec(),
        timing: Timing {
            warmup: Duration::ZERO,
            duration,
        },
        rounds: 1,
        keep: false,
    };
    let mut no_rounds = options(vec![1], ms(10));
    no_rounds.rounds = 0;
    for bad in [
        no_rounds,
        options(vec![], ms(10)),
        options(vec![0], ms(10)),
        options(vec![crate::CLIENTS_MAX + 1], ms(10)),
        options(vec![1], Duration::ZERO),
    ] {
        let error = crate::run(&bad).expect_err("refused");
        assert!(matches!(error, BenchError::Options(_)), "{error}");
    }
}

#[test]
fn diskstats_give_writes_sectors_and_flushes() {
    let diskstats = "\
 254       0 vda 1 2 3 4 576180 9 1721525 11 12 13 14 15 16 17 18 2738 155
 254       1 vdb 1 2 3 4 5 6 7 8 9 10 11
   7       0 loop0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17";
    let vda = counters_of(diskstats, "vda").expect("vda");
    let expected = DiskCounters {
        n_writes: 576_180,
        n_sectors: 1_721_525,
        n_flushes: 2738,
    };
    assert_eq!(vda, expected);
    assert!(
        counters_of(diskstats, "vdb").is_none(),
        "no flush field, no counters"
    );
    assert!(counters_of(diskstats, "vdc").is_none());
    let later = DiskCounters {
        n_writes: 576_190,
        n_sectors: 1_721_625,
        n_flushes: 2748,
    };
    let delta = later.since(vda);
    assert_eq!(
        (delta.n_writes, delta.n_sectors, delta.n_flushes),
        (10, 100, 10)
    );
    assert_eq!(delta.plus(delta).n_flushes, 20);
}
