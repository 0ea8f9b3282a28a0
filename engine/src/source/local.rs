//! The source of the command line's paths: files, folders and stdin.

use super::{Input, Source, SourceItem, Total};
use crate::input::{Discovery, InputSource, discover};
use std::collections::VecDeque;
use std::fs::OpenOptions;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Files ahead of the one being opened whose reading is started (see [`read_ahead`]).
const READ_AHEAD_FILES: usize = 64;

/// The most of each file whose reading is started ahead: the system's own read-ahead takes
/// over once a file is being read.
const READ_AHEAD_BYTES: libc::off_t = 2 << 20;

/// Files, folders (walked recursively, in sorted order, digests and noise skipped) and `-` for
/// stdin, as [`discover`] expands them.
///
/// The paths are listed when the source is made, so [`Source::total`] knows the number and
/// size of the files; errors of listing come first, then the inputs and skips in order. As
/// each item is taken, the system is asked to start reading the files after it, up to 64 of
/// them and 2 MiB of each, so that a folder of many small files comes from disk while the
/// files before are scanned.
///
/// ```
/// use sigil_engine::{LocalSource, Source, SourceItem};
///
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("b.json"), "{}\n")?;
/// std::fs::write(dir.path().join("a.json"), "{}\n")?;
/// let mut source = LocalSource::new(&[dir.path().to_path_buf()]);
/// assert_eq!(source.total().unwrap().inputs, 2);
/// let names: Vec<String> = std::iter::from_fn(|| source.next())
///     .map(|item| match item {
///         SourceItem::Input(input) => input.source.to_string(),
///         other => panic!("{other:?}"),
///     })
///     .collect();
/// assert!(names[0].ends_with("a.json") && names[1].ends_with("b.json"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct LocalSource {
    items: VecDeque<SourceItem>,
    total: Total,
    /// How many of the first `items` had their reading started.
    read_ahead: usize,
}

impl LocalSource {
    /// Lists `paths` (files, folders, `-` for stdin).
    pub fn new(paths: &[PathBuf]) -> LocalSource {
        let Discovery {
            inputs,
            skipped,
            errors,
        } = discover(paths);
        let mut total = Total::default();
        for input in &inputs {
            total.inputs += 1;
            if let InputSource::Path(path) = input {
                total.bytes += std::fs::metadata(path).map_or(0, |meta| meta.len());
            }
        }
        let mut items: VecDeque<SourceItem> = errors.into_iter().map(SourceItem::Error).collect();
        items.extend(skipped.into_iter().map(SourceItem::Skipped));
        items.extend(
            inputs
                .into_iter()
                .map(|source| SourceItem::Input(Input::open(source))),
        );
        LocalSource {
            items,
            total,
            read_ahead: 0,
        }
    }
}

impl Source for LocalSource {
    fn next(&mut self) -> Option<SourceItem> {
        let item = self.items.pop_front();
        self.read_ahead = self.read_ahead.saturating_sub(1);
        for ahead in self
            .items
            .range(self.read_ahead..)
            .take(READ_AHEAD_FILES - self.read_ahead)
        {
            if let SourceItem::Input(input) = ahead
                && let InputSource::Path(path) = &input.source
            {
                read_ahead(path);
            }
            self.read_ahead += 1;
        }
        item
    }

    fn total(&self) -> Option<Total> {
        Some(self.total)
    }
}

/// Asks the system to start reading the first [`READ_AHEAD_BYTES`] of `path` into the page
/// cache (`POSIX_FADV_WILLNEED`, which does not wait for the reads), so that a folder of many
/// small files (CloudTrail's S3 layout) comes from disk while the files before it are
/// scanned, rather than one file at a time as each is opened. Best effort: a file that cannot
/// be opened here is reported when it is opened to be read. Only regular files are read
/// ahead: opening a named pipe here would let its waiting writer start writing to a reader
/// that is about to close (and die of `SIGPIPE`).
fn read_ahead(path: &Path) {
    if !std::fs::metadata(path).is_ok_and(|meta| meta.is_file()) {
        return;
    }
    // Without blocking, should the file have become a named pipe since.
    let opened = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path);
    if let Ok(file) = opened {
        // SAFETY: a valid descriptor; the advice only starts reads into the page cache.
        unsafe {
            libc::posix_fadvise(
                file.as_raw_fd(),
                0,
                READ_AHEAD_BYTES,
                libc::POSIX_FADV_WILLNEED,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn a_named_pipe_ahead_is_not_opened_before_its_turn() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.json"), "{}\n").unwrap();
        let fifo = dir.path().join("b.json");
        let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        // A writer waits for a reader: its open returns once the pipe is opened for reading.
        let opened = Arc::new(AtomicBool::new(false));
        let writer = std::thread::spawn({
            let (fifo, opened) = (fifo.clone(), Arc::clone(&opened));
            move || {
                let file = OpenOptions::new().write(true).open(fifo).unwrap();
                opened.store(true, Ordering::SeqCst);
                drop(file);
            }
        });
        std::thread::sleep(std::time::Duration::from_millis(200)); // the writer is waiting
        let mut source = LocalSource::new(&[dir.path().join("a.json"), fifo.clone()]);
        assert!(matches!(source.next(), Some(SourceItem::Input(_))));
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(!opened.load(Ordering::SeqCst), "the pipe was opened ahead");
        // Its turn: the hunt opens it, and the writer goes on.
        let reader = File::open(&fifo).unwrap();
        writer.join().unwrap();
        drop(reader);
    }
}
