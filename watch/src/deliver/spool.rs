//! A bounded queue of batches a sink could not deliver yet: on disk in the state directory
//! (one file per batch, synced before it counts as taken), or in memory without one.
//!
//! Batches leave in the order they came. When the queue holds its limit in bytes,
//! [`Spool::push`] refuses the next batch, and the delivery stage waits: the watcher then
//! stops taking input (backpressure) rather than drop a match.

use std::collections::VecDeque;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A sink's queue (see the module docs).
#[derive(Debug)]
pub struct Spool {
    /// Where batches are kept; `None`: in memory.
    dir: Option<PathBuf>,
    /// The queued batches, oldest first: their number, and their bytes when in memory.
    queue: VecDeque<(u64, usize, Option<Vec<u8>>)>,
    bytes: usize,
    limit: usize,
    next: u64,
}

impl Spool {
    /// A queue of at most `limit` bytes, in `dir` (its batches left by a previous run are
    /// queued first) or in memory.
    pub fn open(dir: Option<&Path>, limit: usize) -> io::Result<Spool> {
        let mut spool = Spool {
            dir: dir.map(Path::to_path_buf),
            queue: VecDeque::new(),
            bytes: 0,
            limit,
            next: 0,
        };
        let Some(dir) = dir else {
            return Ok(spool);
        };
        fs::create_dir_all(dir)?;
        let mut found: Vec<(u64, usize)> = Vec::new();
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(number) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue; // a batch being written when the last run stopped, or a stray file
            };
            found.push((number, entry.metadata()?.len() as usize));
        }
        found.sort();
        for (number, len) in found {
            spool.queue.push_back((number, len, None));
            spool.bytes += len;
            spool.next = number + 1;
        }
        Ok(spool)
    }

    /// Whether no batch waits.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// How many batches wait.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Queues a batch; `Ok(false)` when the queue is full (nothing queued).
    pub fn push(&mut self, body: &[u8]) -> io::Result<bool> {
        if !self.queue.is_empty() && self.bytes + body.len() > self.limit {
            return Ok(false);
        }
        let number = self.next;
        let kept = match &self.dir {
            Some(dir) => {
                let aside = dir.join(format!("{number:020}.tmp"));
                let mut file = fs::File::create(&aside)?;
                file.write_all(body)?;
                file.sync_data()?;
                fs::rename(&aside, self.path(number).expect("on disk"))?;
                None
            }
            None => Some(body.to_vec()),
        };
        self.next += 1;
        self.bytes += body.len();
        self.queue.push_back((number, body.len(), kept));
        Ok(true)
    }

    /// The oldest batch, left queued.
    pub fn front(&self) -> io::Result<Option<Vec<u8>>> {
        let Some((number, _, kept)) = self.queue.front() else {
            return Ok(None);
        };
        match (kept, self.path(*number)) {
            (Some(bytes), _) => Ok(Some(bytes.clone())),
            (None, Some(path)) => fs::read(path).map(Some),
            (None, None) => Ok(None),
        }
    }

    /// Removes the oldest batch (delivered).
    pub fn pop(&mut self) -> io::Result<()> {
        let Some((number, len, _)) = self.queue.pop_front() else {
            return Ok(());
        };
        self.bytes -= len;
        if let Some(path) = self.path(number) {
            fs::remove_file(path)?;
        }
        Ok(())
    }

    fn path(&self, number: u64) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|dir| dir.join(format!("{number:020}.json")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_survive_a_restart_in_order_and_the_limit_holds() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(Some(dir.path()), 10).unwrap();
        assert!(spool.push(b"first").unwrap());
        assert!(spool.push(b"12345").unwrap());
        assert!(!spool.push(b"x").unwrap(), "over the limit");
        drop(spool);
        let mut spool = Spool::open(Some(dir.path()), 10).unwrap();
        assert_eq!(spool.len(), 2);
        assert_eq!(spool.front().unwrap().unwrap(), b"first");
        spool.pop().unwrap();
        assert!(spool.push(b"third").unwrap());
        assert_eq!(spool.front().unwrap().unwrap(), b"12345");
        spool.pop().unwrap();
        assert_eq!(spool.front().unwrap().unwrap(), b"third");
        spool.pop().unwrap();
        assert!(spool.is_empty());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_batch_larger_than_the_limit_still_goes_alone() {
        let mut spool = Spool::open(None, 4).unwrap();
        assert!(spool.push(b"too large").unwrap());
        assert!(!spool.push(b"y").unwrap());
    }
}
