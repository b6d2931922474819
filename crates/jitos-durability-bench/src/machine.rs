//! What the numbers were measured on: CPU, kernel, the file system under the data directory,
//! and the load average, all read from `/proc`; and the block device's request counters
//! (`/proc/diskstats`), read around each measured window.
//!
//! # Invariants
//! - Probing never fails: what cannot be read is reported as `None`, never guessed.

use std::path::{Path, PathBuf};

/// The machine a run measured.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Machine {
    /// `model name` of the first CPU in `/proc/cpuinfo`.
    pub cpu_model: Option<String>,
    /// CPUs this process may run on.
    pub n_cpus: Option<usize>,
    /// `/proc/sys/kernel/osrelease`.
    pub kernel: Option<String>,
    /// The file system holding the data directory: type, device and mount point.
    pub filesystem: Option<String>,
    /// The 1-minute load average (`/proc/loadavg`).
    pub load_average: Option<f64>,
}

impl Machine {
    /// Reads what `/proc` tells about this machine and the file system under `dir`.
    pub fn probe(dir: &Path) -> Machine {
        let read = |path: &str| std::fs::read_to_string(path).ok();
        let cpu_model = read("/proc/cpuinfo").and_then(|cpuinfo| {
            cpuinfo
                .lines()
                .find_map(|line| line.strip_prefix("model name"))
                .and_then(|rest| rest.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        });
        let load_average =
            read("/proc/loadavg").and_then(|text| text.split_whitespace().next()?.parse().ok());
        Machine {
            cpu_model,
            n_cpus: std::thread::available_parallelism().ok().map(usize::from),
            kernel: read("/proc/sys/kernel/osrelease").map(|text| text.trim().to_owned()),
            filesystem: filesystem_of(dir).map(|mount| mount.to_string()),
            load_average,
        }
    }
}

/// A mounted file system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Its type (`ext4`, `xfs`, `tmpfs`, ...).
    pub fs_type: String,
    /// What is mounted (`/dev/vda`, ...).
    pub source: String,
    /// Where.
    pub point: PathBuf,
}

impl std::fmt::Display for Mount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Mount {
            fs_type,
            source,
            point,
        } = self;
        write!(f, "{fs_type} on {source} (mounted at {})", point.display())
    }
}

impl Mount {
    /// The block device's name in `/proc/diskstats` (`vda` for `/dev/vda`), if the source is
    /// a device.
    pub fn device(&self) -> Option<&str> {
        self.source
            .strip_prefix("/dev/")
            .filter(|name| !name.is_empty() && !name.contains('/'))
    }
}

/// The file system `dir` lives on, from `/proc/self/mountinfo`.
pub fn filesystem_of(dir: &Path) -> Option<Mount> {
    let dir = std::fs::canonicalize(dir).ok()?;
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    mount_of(&mountinfo, &dir)
}

/// The mount in `mountinfo` (the `/proc/self/mountinfo` format) whose mount point is the
/// longest prefix of `path`; the last such line wins, as the last mount hides earlier ones.
pub(crate) fn mount_of(mountinfo: &str, path: &Path) -> Option<Mount> {
    let mut best: Option<(usize, Mount)> = None;
    for line in mountinfo.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let Some(separator) = fields.iter().position(|field| *field == "-") else {
            continue;
        };
        let (Some(point), Some(fs_type), Some(source)) = (
            fields.get(4),
            fields.get(separator + 1),
            fields.get(separator + 2),
        ) else {
            continue;
        };
        let point = PathBuf::from(unescape(point));
        if !path.starts_with(&point) {
            continue;
        }
        let depth = point.components().count();
        if best
            .as_ref()
            .is_none_or(|(best_depth, _)| depth >= *best_depth)
        {
            let mount = Mount {
                fs_type: (*fs_type).to_owned(),
                source: unescape(source),
                point,
            };
            best = Some((depth, mount));
        }
    }
    best.map(|(_, mount)| mount)
}

/// Undoes mountinfo's octal escapes (`\040` for a space, and so on).
fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut rest = field;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let code = rest
            .get(at + 1..at + 4)
            .and_then(|digits| u8::from_str_radix(digits, 8).ok());
        match code {
            Some(byte) => {
                out.push(char::from(byte));
                rest = &rest[at + 4..];
            }
            None => {
                out.push('\\');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A block device's cumulative write-side counters (`/proc/diskstats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DiskCounters {
    /// Write requests completed.
    pub(crate) n_writes: u64,
    /// 512-byte sectors written.
    pub(crate) n_sectors: u64,
    /// Flush requests completed (a cache flush: what an fsync costs the device).
    pub(crate) n_flushes: u64,
}

impl DiskCounters {
    /// The counters of `device` now, or `None` when `/proc/diskstats` does not tell.
    pub(crate) fn read(device: &str) -> Option<DiskCounters> {
        let diskstats = std::fs::read_to_string("/proc/diskstats").ok()?;
        counters_of(&diskstats, device)
    }

    /// What happened between `earlier` and `self`.
    pub(crate) fn since(self, earlier: DiskCounters) -> DiskCounters {
        DiskCounters {
            n_writes: self.n_writes.saturating_sub(earlier.n_writes),
            n_sectors: self.n_sectors.saturating_sub(earlier.n_sectors),
            n_flushes: self.n_flushes.saturating_sub(earlier.n_flushes),
        }
    }

    /// Both together.
    pub(crate) fn plus(self, other: DiskCounters) -> DiskCounters {
        DiskCounters {
            n_writes: self.n_writes + other.n_writes,
            n_sectors: self.n_sectors + other.n_sectors,
            n_flushes: self.n_flushes + other.n_flushes,
        }
    }
}

/// The counters of `device` in `diskstats` (fields 8, 10 and 19 of its line: writes completed,
/// sectors written, flushes completed; kernels before 5.5 have no flush field).
pub(crate) fn counters_of(diskstats: &str, device: &str) -> Option<DiskCounters> {
    let line = diskstats
        .lines()
        .find(|line| line.split_whitespace().nth(2) == Some(device))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(3)
        .map(|field| field.parse().ok())
        .collect::<Option<_>>()?;
    Some(DiskCounters {
        n_writes: *fields.get(4)?,
        n_sectors: *fields.get(6)?,
        n_flushes: *fields.get(15)?,
    })
}
