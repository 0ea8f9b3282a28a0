//! The state directory (`--state DIR`): what a watcher needs to go on after a restart.
//!
//! ```text
//! DIR/lock               held (flock) while a watcher uses the directory: a second is refused
//! DIR/positions.json     where each input stands: followed files (identity, record, offset),
//!                        whole files read, S3 prefixes (last key)
//! DIR/correlations.json  the live correlation state, saved with the positions it belongs to
//! DIR/spool/<sink>/      batches a webhook has not taken yet, one file each, oldest first
//! ```
//!
//! Positions are written only once every sink has acknowledged the matches of the input
//! before them ([`StateDir::commit`]), each file replaced whole (written aside, synced,
//! renamed), so a `kill -9` leaves either the old state or the new one.
//!
//! A file is known by its device and inode, and by a digest of its first bytes
//! ([`FileId`]): a file replaced under the same inode (truncated and rewritten) is not taken
//! for the one before. Its `generation` counts the times a file was started over at the same
//! identity, and enters its matches' ids.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sigil_engine::correlate::LiveState;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// How many first bytes of a file its digest covers.
pub const HEAD_DIGEST_BYTES: usize = 512;

/// A file's identity (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileId {
    /// Its device.
    pub dev: u64,
    /// Its inode.
    pub ino: u64,
    /// How many first bytes `head` digests (fewer than [`HEAD_DIGEST_BYTES`] while the file
    /// was shorter).
    pub head_len: u32,
    /// SHA-256 of its first `head_len` bytes, in hex.
    pub head: String,
    /// How many times it was started over at this identity (truncated, or rewritten).
    pub generation: u32,
}

impl FileId {
    /// The identity of a file whose first bytes are `head` (at most [`HEAD_DIGEST_BYTES`]
    /// are used).
    pub fn new(dev: u64, ino: u64, head: &[u8], generation: u32) -> FileId {
        let head = &head[..head.len().min(HEAD_DIGEST_BYTES)];
        FileId {
            dev,
            ino,
            head_len: head.len() as u32,
            head: hex::encode(Sha256::digest(head)),
            generation,
        }
    }

    /// Whether a file at `dev`/`ino` whose first bytes are `head` is this file.
    pub fn matches(&self, dev: u64, ino: u64, head: &[u8]) -> bool {
        let len = self.head_len as usize;
        self.dev == dev
            && self.ino == ino
            && head.len() >= len
            && hex::encode(Sha256::digest(&head[..len])) == self.head
    }

    /// The instance name of the file's matches (see [`crate::alert`]).
    pub fn instance(&self) -> String {
        format!("{}:{}:{}", self.dev, self.ino, self.generation)
    }
}

/// Where a followed file stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FilePosition {
    /// Its path when last seen.
    pub path: PathBuf,
    /// Its identity.
    pub id: FileId,
    /// The number of the next record to scan.
    pub record: u64,
    /// The byte offset of the next record to scan.
    pub offset: u64,
}

/// Where every input stands.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Positions {
    /// Followed files, read line by line.
    pub files: Vec<FilePosition>,
    /// Files read whole (compressed files of followed folders), not to be read again.
    pub done: Vec<FileId>,
    /// Per polled `s3://` prefix, the last key read.
    pub s3: BTreeMap<String, String>,
}

/// What is saved once a batch of matches is delivered.
#[derive(Clone, Debug, Default)]
pub struct Commit {
    /// Every position.
    pub positions: Positions,
    /// The live correlation state (serialised), when it changed.
    pub correlations: Option<String>,
}

/// An open state directory (see the module docs).
#[derive(Debug)]
pub struct StateDir {
    path: PathBuf,
    _lock: File,
}

/// Why the state directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Creating, reading or writing it failed.
    #[error("{path}: {error}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The system's error.
        error: io::Error,
    },
    /// Another watcher holds it.
    #[error("{0}: another watcher uses this state directory")]
    Locked(PathBuf),
    /// A state file does not parse.
    #[error("{path}: not a state file of this version ({error}); move it away to start afresh")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        error: serde_json::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> StateError + '_ {
    move |error| StateError::Io {
        path: path.to_path_buf(),
        error,
    }
}

impl StateDir {
    /// Opens (creating it if needed) and locks the state directory at `path`.
    pub fn open(path: &Path) -> Result<StateDir, StateError> {
        fs::create_dir_all(path).map_err(io_error(path))?;
        let lock_path = path.join("lock");
        let lock = File::create(&lock_path).map_err(io_error(&lock_path))?;
        // SAFETY: flock on a file descriptor we own; it is released when the file is closed.
        let locked = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if locked != 0 {
            return Err(StateError::Locked(path.to_path_buf()));
        }
        Ok(StateDir {
            path: path.to_path_buf(),
            _lock: lock,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved positions (none on a first start).
    pub fn positions(&self) -> Result<Positions, StateError> {
        Ok(self.read("positions.json")?.unwrap_or_default())
    }

    /// The saved correlation state, if any.
    pub fn correlations(&self) -> Result<Option<LiveState>, StateError> {
        self.read("correlations.json")
    }

    /// Where the spool of the sink named `name` keeps its batches.
    pub fn spool(&self, name: &str) -> PathBuf {
        self.path.join("spool").join(name)
    }

    /// Saves a commit: the correlation state first (when given), then the positions.
    pub fn commit(&self, commit: &Commit) -> Result<(), StateError> {
        if let Some(correlations) = &commit.correlations {
            self.write("correlations.json", correlations.as_bytes())?;
        }
        let positions = serde_json::to_vec(&commit.positions).expect("positions serialise");
        self.write("positions.json", &positions)
    }

    fn read<T: for<'de> Deserialize<'de>>(&self, name: &str) -> Result<Option<T>, StateError> {
        let path = self.path.join(name);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(StateError::Io { path, error }),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|error| StateError::Corrupt { path, error })
    }

    fn write(&self, name: &str, bytes: &[u8]) -> Result<(), StateError> {
        write_atomically(&self.path.join(name), bytes)
    }
}

/// Replaces the file at `path` with `bytes`: written aside, synced, renamed over it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let aside = path.with_extension("tmp");
    let mut file = File::create(&aside).map_err(io_error(&aside))?;
    file.write_all(bytes).map_err(io_error(&aside))?;
    file.sync_data().map_err(io_error(&aside))?;
    fs::rename(&aside, path).map_err(io_error(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_watcher_is_refused_and_commits_survive() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        assert!(matches!(
            StateDir::open(dir.path()),
            Err(StateError::Locked(_))
        ));
        let id = FileId::new(1, 2, b"{\"a\":1}\n", 0);
        let commit = Commit {
            positions: Positions {
                files: vec![FilePosition {
                    path: "a.jsonl".into(),
                    id: id.clone(),
                    record: 2,
                    offset: 8,
                }],
                ..Positions::default()
            },
            correlations: None,
        };
        state.commit(&commit).unwrap();
        drop(state);
        let state = StateDir::open(dir.path()).unwrap();
        assert_eq!(state.positions().unwrap(), commit.positions);
        assert!(id.matches(1, 2, b"{\"a\":1}\n{\"b\":2}\n"));
        assert!(!id.matches(1, 2, b"{\"a\":9}\n"));
    }
}
