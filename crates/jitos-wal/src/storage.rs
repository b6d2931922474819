//! The storage the WAL runs on: the [`Storage`] trait and [`FsStorage`], its `std::fs` form.
//!
//! A storage is one flat directory of named files. The WAL needs little from it: list, create,
//! append, write at an offset, read, truncate, remove, rename, and two kinds of sync.
//! [`crate::SimStorage`] implements the same trait in memory so a seeded simulation runs the
//! very code the daemon runs.
//!
//! The WAL writes its records with [`Storage::write_at`] over zeros it wrote (and synced) ahead
//! of them, so that the file's size does not change when a record is synced: on ext4 (and
//! most file systems) an `fdatasync` that has no size change or block allocation to commit
//! writes only the data, while one after an append must also commit the new size through the
//! journal (`docs/spec/wal.md`, "Preallocation").
//!
//! # Invariants
//! - Nothing written is durable until `sync(name)` returned `Ok` for that file, and nothing
//!   created, removed or renamed is durable in the directory until `sync_dir` returned `Ok`.
//! - A rename never replaces a file: its target must not exist.
//! - `write_at` never leaves a hole: its offset is at most the file's length (a storage may
//!   refuse a larger one; [`crate::SimStorage`] does).
//! - A failed `sync` says nothing about what reached the disk: callers treat it as fatal
//!   (fail-stop) and never retry it as if a later success covered the earlier writes.
//! - `list` returns names in ascending byte order.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// A flat directory of files, as the WAL sees it.
pub trait Storage {
    /// Names of the files in the directory, ascending.
    ///
    /// # Errors
    /// The directory cannot be read.
    fn list(&self) -> io::Result<Vec<String>>;

    /// Creates the empty file `name`; fails if it exists. Not durable until `sync_dir`.
    ///
    /// # Errors
    /// It exists, or the file system refused.
    fn create(&mut self, name: &str) -> io::Result<()>;

    /// Appends `bytes` to the end of `name` (all of them, or an error).
    ///
    /// # Errors
    /// The file does not exist, the disk is full, or the write failed.
    fn append(&mut self, name: &str, bytes: &[u8]) -> io::Result<()>;

    /// Writes `bytes` into `name` at byte `offset`, replacing what is there and extending the
    /// file where the write runs past its end (all of them, or an error). `offset` must not
    /// exceed the file's length. Not durable until `sync(name)`.
    ///
    /// # Errors
    /// The file does not exist, `offset` is past its end, the disk is full, or the write
    /// failed.
    fn write_at(&mut self, name: &str, offset: u64, bytes: &[u8]) -> io::Result<()>;

    /// The whole current contents of `name`.
    ///
    /// # Errors
    /// The file does not exist or cannot be read.
    fn read(&self, name: &str) -> io::Result<Vec<u8>>;

    /// The whole current contents of `name`, in `buf` (replacing what it held): a reader of
    /// many files reuses one buffer, and so memory that is already mapped.
    ///
    /// # Errors
    /// As [`Storage::read`]; `buf` then holds no particular contents.
    fn read_into(&self, name: &str, buf: &mut Vec<u8>) -> io::Result<()> {
        *buf = self.read(name)?;
        Ok(())
    }

    /// Cuts `name` to `len_bytes` bytes. Not durable until `sync(name)`.
    ///
    /// # Errors
    /// The file does not exist or the file system refused.
    fn truncate(&mut self, name: &str, len_bytes: u64) -> io::Result<()>;

    /// Makes the contents of `name` durable (`fdatasync`).
    ///
    /// # Errors
    /// The sync failed; what reached the disk is then unknown.
    fn sync(&mut self, name: &str) -> io::Result<()>;

    /// Makes the directory's entries (creations, removals) durable.
    ///
    /// # Errors
    /// The sync failed.
    fn sync_dir(&mut self) -> io::Result<()>;

    /// Removes `name`. Not durable until `sync_dir`.
    ///
    /// # Errors
    /// The file does not exist or the file system refused.
    fn remove(&mut self, name: &str) -> io::Result<()>;

    /// Gives the file `from` the name `to`, atomically: after a crash the directory holds the
    /// file under one of the two names, never both, never neither. Not durable until
    /// `sync_dir`. `to` must not exist (no storage replaces a file by renaming onto it).
    ///
    /// # Errors
    /// `from` does not exist, `to` does, or the file system refused.
    fn rename(&mut self, from: &str, to: &str) -> io::Result<()>;
}

/// [`Storage`] on a real directory through `std::fs`.
///
/// Keeps one open write handle per file it writes, so writes do not reopen files. `write_at` is
/// `pwrite` (`FileExt::write_all_at`); the handles are opened without `O_APPEND`, which on
/// Linux would make `pwrite` ignore its offset.
#[derive(Debug)]
pub struct FsStorage {
    dir: PathBuf,
    handles: BTreeMap<String, File>,
}

impl FsStorage {
    /// Storage on `dir`, creating the directory (and its parents) if missing.
    ///
    /// # Errors
    /// The directory cannot be created.
    pub fn open(dir: impl Into<PathBuf>) -> io::Result<FsStorage> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(FsStorage {
            dir,
            handles: BTreeMap::new(),
        })
    }

    /// The directory this storage works in.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, name: &str) -> io::Result<PathBuf> {
        let plain =
            !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0']);
        if plain {
            Ok(self.dir.join(name))
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name:?} is not a plain file name"),
            ))
        }
    }

    fn handle(&mut self, name: &str) -> io::Result<&mut File> {
        if !self.handles.contains_key(name) {
            let file = OpenOptions::new().write(true).open(self.path(name)?)?;
            self.handles.insert(name.to_owned(), file);
        }
        Ok(self.handles.get_mut(name).expect("inserted above"))
    }
}

impl Storage for FsStorage {
    fn list(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            if entry.file_type()?.is_file()
                && let Ok(name) = entry.file_name().into_string()
            {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    fn create(&mut self, name: &str) -> io::Result<()> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.path(name)?)?;
        self.handles.insert(name.to_owned(), file);
        Ok(())
    }

    fn append(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let file = self.handle(name)?;
        file.seek(SeekFrom::End(0))?;
        file.write_all(bytes)
    }

    fn write_at(&mut self, name: &str, offset: u64, bytes: &[u8]) -> io::Result<()> {
        write_all_at(self.handle(name)?, offset, bytes)
    }

    fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        std::fs::read(self.path(name)?)
    }

    fn read_into(&self, name: &str, buf: &mut Vec<u8>) -> io::Result<()> {
        buf.clear();
        File::open(self.path(name)?)?.read_to_end(buf)?;
        Ok(())
    }

    fn truncate(&mut self, name: &str, len_bytes: u64) -> io::Result<()> {
        self.handle(name)?.set_len(len_bytes)
    }

    fn sync(&mut self, name: &str) -> io::Result<()> {
        self.handle(name)?.sync_data()
    }

    fn sync_dir(&mut self) -> io::Result<()> {
        File::open(&self.dir)?.sync_all()
    }

    fn remove(&mut self, name: &str) -> io::Result<()> {
        self.handles.remove(name);
        std::fs::remove_file(self.path(name)?)
    }

    fn rename(&mut self, from: &str, to: &str) -> io::Result<()> {
        let (from_path, to_path) = (self.path(from)?, self.path(to)?);
        if to_path.try_exists()? {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{to}: exists"),
            ));
        }
        std::fs::rename(from_path, to_path)?;
        if let Some(file) = self.handles.remove(from) {
            self.handles.insert(to.to_owned(), file);
        }
        Ok(())
    }
}

/// `pwrite` until every byte is written.
#[cfg(unix)]
fn write_all_at(file: &mut File, offset: u64, bytes: &[u8]) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
}

/// A positioned write where `pwrite` is not available.
#[cfg(not(unix))]
fn write_all_at(file: &mut File, offset: u64, bytes: &[u8]) -> io::Result<()> {
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(bytes)
}
