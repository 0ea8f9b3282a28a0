//! Followed files and folders: `tail -F`, by polling.
//!
//! A file is followed by its identity (device and inode), not its name:
//!
//! - **growth**: new bytes are read from the open file and sent to the scanner in pieces of
//!   at most [`READ_BYTES`], as soon as a poll sees them;
//! - **rotation by rename** (`app.log` renamed `app.log.1`, a new `app.log` created): the old
//!   file is read to its end, and ended once it stays unchanged for the settle time; the new
//!   file at the name is followed from its start;
//! - **truncation** (`copytruncate`): the file shrank below what was read, so it starts over
//!   from its start, with a new generation (its matches get new ids);
//! - **a file that appears later** is followed from its start;
//! - a **folder** is listed every [`Follow::folder_poll`] (recursively, skipping what a hunt
//!   skips: digests, hidden files...): each plain file in it is followed as above;
//!   a compressed file (gzip, zstd: a CloudTrail `.json.gz` of an `aws s3 sync` target) or a
//!   Parquet file is read whole once it has stopped changing for the settle time, and
//!   remembered as done.
//!
//! Why polling and not inotify: inotify does not see writes made over NFS or from other
//! containers sharing an overlay, loses events when its queue overflows, and a rename seen
//! through it must still be checked with `stat`; a `stat` and a `read` per followed file every
//! [`Follow::poll`] (50 ms by default) cost little, work on every file system, and bound the
//! delay between a write and its scan. While a file grows, it is read again at once, without
//! waiting for the next poll.
//!
//! Positions saved by an earlier run ([`Positions`]) resume a file when its identity matches
//! ([`FileId::matches`]: same inode, same first bytes).

use crate::Notice;
use crate::scan::{FeedId, Job, OpenFile};
use crate::state::{FileId, FilePosition, HEAD_DIGEST_BYTES, Positions};
use sigil_engine::framing::{Origin, count_records};
use sigil_engine::input::{Codec, HEAD_BYTES, discover};
use sigil_engine::{Input, InputSource};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The most bytes sent to the scanner in one piece.
pub const READ_BYTES: usize = 256 << 10;

/// How files and folders are followed.
#[derive(Clone, Debug)]
pub struct Follow {
    /// Files to follow.
    pub files: Vec<PathBuf>,
    /// Folders whose files to follow.
    pub folders: Vec<PathBuf>,
    /// How often files are checked for new bytes.
    pub poll: Duration,
    /// How often folders are listed.
    pub folder_poll: Duration,
    /// How long a file must stay unchanged before a rotated file is ended or a compressed
    /// file read whole.
    pub settle: Duration,
    /// Start files present at the first start (without a saved position) at their end.
    pub from_end: bool,
}

impl Default for Follow {
    /// 50 ms polls, folders listed every second, one second to settle, from the start.
    fn default() -> Self {
        Follow {
            files: Vec::new(),
            folders: Vec::new(),
            poll: Duration::from_millis(50),
            folder_poll: Duration::from_secs(1),
            settle: Duration::from_secs(1),
            from_end: false,
        }
    }
}

/// One followed file.
struct Tracked {
    path: PathBuf,
    /// Open while it is read; `None` once a whole file was sent.
    file: Option<File>,
    dev: u64,
    ino: u64,
    /// Bytes read.
    offset: u64,
    feed: FeedId,
    generation: u32,
    /// Read whole once settled (compressed).
    whole: bool,
    /// Its size at the last poll, and when that last changed.
    size: u64,
    changed: Instant,
    /// Since when no followed name leads to it.
    gone: Option<Instant>,
    /// Found in a folder (not named on its own).
    in_folder: bool,
    /// For a whole file sent: its identity.
    done: Option<FileId>,
}

/// The follower thread's state.
struct Follower {
    options: Follow,
    tracked: Vec<Tracked>,
    saved: Positions,
    jobs: mpsc::Sender<Job>,
    ids: Arc<AtomicU64>,
    notices: Sender<Notice>,
    first: bool,
}

/// Follows `options`' files and folders until `stop` is set, sending their bytes as jobs.
/// `saved` are the positions of the last run; `ids` numbers feeds (shared with other sources).
pub fn run(
    options: Follow,
    saved: Positions,
    jobs: mpsc::Sender<Job>,
    ids: Arc<AtomicU64>,
    notices: Sender<Notice>,
    stop: Arc<AtomicBool>,
) {
    let mut follower = Follower {
        options,
        tracked: Vec::new(),
        saved,
        jobs,
        ids,
        notices,
        first: true,
    };
    let mut folders_listed = Instant::now() - follower.options.folder_poll;
    while !stop.load(Ordering::Relaxed) {
        let list_folders = folders_listed.elapsed() >= follower.options.folder_poll;
        if list_folders {
            folders_listed = Instant::now();
        }
        let Ok(busy) = follower.poll(list_folders) else {
            return; // the scanner is gone
        };
        follower.first = false;
        if !busy {
            std::thread::sleep(follower.options.poll);
        }
    }
}

/// The scanner is gone: the watcher is stopping.
struct Stopped;

/// The first bytes of the file at `path` (at most `len`).
fn head_of(path: &Path, len: usize) -> Vec<u8> {
    let mut head = Vec::new();
    if let Ok(file) = File::open(path) {
        let _ = file.take(len as u64).read_to_end(&mut head);
    }
    head
}

impl Follower {
    fn send(&self, job: Job) -> Result<(), Stopped> {
        self.jobs.blocking_send(job).map_err(|_| Stopped)
    }

    /// One round: names checked (folders listed when due), every file read. Returns whether
    /// anything was read, so that the next round comes at once.
    fn poll(&mut self, list_folders: bool) -> Result<bool, Stopped> {
        let mut present: Vec<(PathBuf, bool)> = self
            .options
            .files
            .iter()
            .map(|p| (p.clone(), false))
            .collect();
        if list_folders {
            present.extend(
                discover(&self.options.folders)
                    .inputs
                    .into_iter()
                    .filter_map(|input| match input {
                        InputSource::Path(path) => Some((path, true)),
                        _ => None,
                    }),
            );
        } else {
            present.extend(
                self.tracked
                    .iter()
                    .filter(|t| t.in_folder)
                    .map(|t| (t.path.clone(), true)),
            );
        }
        let now = Instant::now();
        let mut seen = vec![false; self.tracked.len()];
        for (path, in_folder) in present {
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let (dev, ino) = (meta.dev(), meta.ino());
            match self
                .tracked
                .iter()
                .position(|t| t.dev == dev && t.ino == ino)
            {
                Some(i) => {
                    let t = &mut self.tracked[i];
                    t.path = path;
                    t.gone = None;
                    seen[i] = true;
                }
                None => {
                    self.start(path, dev, ino, in_folder)?;
                    seen.resize(self.tracked.len(), true);
                }
            }
        }
        for (t, seen) in self.tracked.iter_mut().zip(&seen) {
            let named = !t.in_folder || list_folders;
            if !seen && named && t.gone.is_none() {
                t.gone = Some(now);
            }
        }
        let mut busy = false;
        for i in 0..self.tracked.len() {
            busy |= self.read(i)?;
        }
        self.drop_ended()?;
        Ok(busy)
    }

    /// Starts following a file found at `path`.
    fn start(&mut self, path: PathBuf, dev: u64, ino: u64, in_folder: bool) -> Result<(), Stopped> {
        let head = head_of(&path, HEAD_BYTES);
        let whole = in_folder && Codec::sniff(&head) != Codec::Plain;
        let feed = self.ids.fetch_add(1, Ordering::Relaxed);
        let mut tracked = Tracked {
            path: path.clone(),
            file: None,
            dev,
            ino,
            offset: 0,
            feed,
            generation: 0,
            whole,
            size: 0,
            changed: Instant::now(),
            gone: None,
            in_folder,
            done: None,
        };
        if whole {
            if let Some(at) = self
                .saved
                .done
                .iter()
                .position(|d| d.matches(dev, ino, &head))
            {
                tracked.done = Some(self.saved.done.swap_remove(at));
            }
            self.tracked.push(tracked);
            return Ok(());
        }
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(error) => {
                let _ = self
                    .notices
                    .send(Notice::Problem(format!("{}: {error}", path.display())));
                return Ok(());
            }
        };
        let resume = self.resume_point(&path, &file, dev, ino, &head, &mut tracked.generation);
        if let Some((at, _)) = &resume {
            tracked.offset = at.offset;
        }
        tracked.file = Some(file);
        self.send(Job::Open {
            feed,
            source: InputSource::Path(path.clone()),
            file: Some(OpenFile {
                path,
                dev,
                ino,
                generation: tracked.generation,
                resume,
            }),
        })?;
        self.tracked.push(tracked);
        Ok(())
    }

    /// Where a file starts: its saved position when it is the same file, its end with
    /// `--from-end` at the first start, else its beginning (`None`).
    fn resume_point(
        &mut self,
        path: &Path,
        file: &File,
        dev: u64,
        ino: u64,
        head: &[u8],
        generation: &mut u32,
    ) -> Option<(Origin, Vec<u8>)> {
        if let Some(i) = self
            .saved
            .files
            .iter()
            .position(|p| p.id.dev == dev && p.id.ino == ino)
        {
            let FilePosition {
                id, record, offset, ..
            } = self.saved.files.swap_remove(i);
            let size = file.metadata().map_or(0, |m| m.len());
            if id.matches(dev, ino, head) && offset <= size {
                *generation = id.generation;
                return Some((
                    Origin {
                        index: record,
                        offset,
                    },
                    head.to_vec(),
                ));
            }
            *generation = id.generation + 1;
            let _ = self.notices.send(Notice::Problem(format!(
                "{}: not the file saved at this inode (rewritten?): read from its start",
                path.display()
            )));
            return None;
        }
        if !(self.first && self.options.from_end) {
            return None;
        }
        let size = file.metadata().map_or(0, |m| m.len());
        let records = count_lines(path, size).ok()?;
        Some((
            Origin {
                index: records + 1,
                offset: size,
            },
            head.to_vec(),
        ))
    }

    /// Reads what is new in file `i`; returns whether anything was.
    fn read(&mut self, i: usize) -> Result<bool, Stopped> {
        let t = &mut self.tracked[i];
        if t.whole {
            return self.read_whole(i);
        }
        let Some(file) = &mut t.file else {
            return Ok(false);
        };
        let size = file.metadata().map_or(t.offset, |m| m.len());
        if size != t.size {
            t.size = size;
            t.changed = Instant::now();
        }
        if size < t.offset {
            // Truncated: what was read is gone; the file starts over.
            let (old, path) = (t.feed, t.path.clone());
            t.feed = self.ids.fetch_add(1, Ordering::Relaxed);
            t.generation += 1;
            t.offset = 0;
            let _ = file.seek(SeekFrom::Start(0));
            let open = Job::Open {
                feed: t.feed,
                source: InputSource::Path(path.clone()),
                file: Some(OpenFile {
                    path,
                    dev: t.dev,
                    ino: t.ino,
                    generation: t.generation,
                    resume: None,
                }),
            };
            self.send(Job::End { feed: old })?;
            self.send(open)?;
            return Ok(true);
        }
        let t = &mut self.tracked[i];
        let Some(file) = &mut t.file else {
            return Ok(false);
        };
        if size == t.offset {
            return Ok(false);
        }
        if file.seek(SeekFrom::Start(t.offset)).is_err() {
            return Ok(false);
        }
        let want = ((size - t.offset) as usize).min(READ_BYTES);
        let mut bytes = vec![0; want];
        let n = match file.read(&mut bytes) {
            Ok(n) => n,
            Err(error) => {
                let message = format!("{}: {error}", t.path.display());
                let _ = self.notices.send(Notice::Problem(message));
                return Ok(false);
            }
        };
        bytes.truncate(n);
        t.offset += n as u64;
        let feed = t.feed;
        self.send(Job::Bytes { feed, bytes })?;
        Ok(n > 0)
    }

    /// A compressed or Parquet file of a folder: read whole once it stopped changing.
    fn read_whole(&mut self, i: usize) -> Result<bool, Stopped> {
        let settle = self.options.settle;
        let t = &mut self.tracked[i];
        if t.done.is_some() {
            return Ok(false);
        }
        let size = std::fs::metadata(&t.path).map_or(t.size, |m| m.len());
        if size != t.size {
            t.size = size;
            t.changed = Instant::now();
            return Ok(false);
        }
        if t.changed.elapsed() < settle || t.gone.is_some() {
            return Ok(false);
        }
        let head = head_of(&t.path, HEAD_DIGEST_BYTES);
        let id = FileId::new(t.dev, t.ino, &head, t.generation);
        t.done = Some(id.clone());
        let job = Job::Whole {
            input: Input::open(InputSource::Path(t.path.clone())),
            instance: id.instance(),
            done: Some(id),
            ack: None,
        };
        self.send(job)?;
        Ok(true)
    }

    /// Ends the files no name leads to any more, once read to their end and settled.
    fn drop_ended(&mut self) -> Result<(), Stopped> {
        let settle = self.options.settle;
        let mut i = 0;
        while i < self.tracked.len() {
            let t = &self.tracked[i];
            let ended = t.gone.is_some_and(|since| since.elapsed() >= settle)
                && t.changed.elapsed() >= settle
                && (t.whole || t.offset >= t.size);
            if !ended {
                i += 1;
                continue;
            }
            let t = self.tracked.swap_remove(i);
            if !t.whole {
                self.send(Job::End { feed: t.feed })?;
            } else if let Some(id) = t.done {
                self.send(Job::Forget(id))?;
            }
        }
        Ok(())
    }
}

/// The records in the first `size` bytes of the file at `path` (for `--from-end`).
fn count_lines(path: &Path, size: u64) -> io::Result<u64> {
    let mut file = File::open(path)?.take(size);
    let mut buf = vec![0; READ_BYTES];
    let (mut records, mut carry) = (0, Vec::new());
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(records + count_records(&carry));
        }
        carry.extend_from_slice(&buf[..n]);
        if let Some(last) = memchr_last(&carry) {
            records += count_records(&carry[..=last]);
            carry.drain(..=last);
        }
    }
}

fn memchr_last(bytes: &[u8]) -> Option<usize> {
    bytes.iter().rposition(|&b| b == b'\n')
}
