//! Inputs: finding log files, opening them, and reading them as blocks of whole records.
//!
//! Three steps, one module each:
//!
//! 1. [`discover`] expands the paths given on the command line (files, folders walked
//!    recursively in sorted order, `-` for stdin) into a [`Discovery`]: the inputs to read,
//!    the files skipped on purpose with their [`SkipReason`] (CloudTrail digests, AWS probe
//!    objects, hidden files), and the paths that could not be listed.
//! 2. [`open`] (or [`open_reader`] for any byte stream) recognises gzip and zstd by their
//!    magic bytes, memory-maps plain files (the policy is documented on [`OpenOptions::mmap`]),
//!    decodes Parquet into JSON lines, one per row (see [`Codec::Parquet`]),
//!    sniffs the content for binary data, CloudTrail digests and documentation files
//!    (`LICENSE`, `README.md`), and detects the record [`Shape`](crate::framing::Shape).
//! 3. The resulting [`Blocks`] yield [`Block`]s of whole records, numbered where they start.
//!    A memory-mapped file is one block, which a driver may cut into chunks for threads with
//!    [`split_ndjson`](crate::framing::split_ndjson). Compressed files and stdin are streamed
//!    in blocks of about [`BLOCK_BYTES`] cut at newlines when they are NDJSON, so memory stays
//!    bounded however large the input; other shapes need the whole document, up to
//!    [`MAX_DOCUMENT_BYTES`].
//!
//! Errors are values: an unreadable file is an [`InputError`] for that file only, and a record
//! that cannot be framed is a [`BadRecord`](crate::framing::BadRecord). When a compressed
//! stream breaks, the records decompressed before the break are still delivered, followed by an
//! error saying where the stream broke.
//!
//! # Example
//!
//! ```
//! use std::io::Write;
//! use sigil_engine::input::{InputSource, OpenOptions, Opened, discover, open};
//!
//! let dir = tempfile::tempdir()?;
//! let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
//! gz.write_all(br#"{"Records":[{"eventName":"A"},{"eventName":"B"}]}"#)?;
//! std::fs::write(dir.path().join("events.json.gz"), gz.finish()?)?;
//! std::fs::write(dir.path().join(".DS_Store"), b"\0\0\0\x01Bud1")?;
//!
//! let found = discover(&[dir.path().to_path_buf()]);
//! assert_eq!((found.inputs.len(), found.skipped.len()), (1, 1));
//!
//! let Opened::Blocks(blocks) = open(&found.inputs[0], &OpenOptions::default())? else {
//!     panic!("not skipped");
//! };
//! let mut names = Vec::new();
//! for block in blocks {
//!     let block = block?;
//!     for record in block.records() {
//!         names.push(record?.bytes.to_vec());
//!     }
//! }
//! assert_eq!(names, [br#"{"eventName":"A"}"#.to_vec(), br#"{"eventName":"B"}"#.to_vec()]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

mod blocks;
mod discover;
mod guard;
mod open;
mod parquet;
mod shared;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

pub use blocks::{BLOCK_BYTES, Block, BlockError, Blocks, MAX_DOCUMENT_BYTES};
pub use discover::{
    DELIVERY_MARGIN, Discovery, cloudtrail_delivery_time, delivery_skip, discover, name_skip,
};
pub use open::{OpenOptions, Opened, open, open_reader};
pub use parquet::quiet_caught_panics;
pub use shared::SharedInput;

/// How much of an input's head (its first bytes, decompressed) content sniffing, shape
/// detection and log format detection look at: 64 KiB.
pub const HEAD_BYTES: usize = 64 << 10;

/// Where a log comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InputSource {
    /// A file.
    Path(PathBuf),
    /// The standard input (`-` on the command line).
    Stdin,
    /// An object of a store, by its URL (`s3://bucket/key`).
    Url(String),
}

impl InputSource {
    /// The input's name as matches and messages show it: a file's path (lossily converted to
    /// UTF-8), `<stdin>`, or an object's URL. Borrowed, unless a path is not UTF-8.
    pub fn name(&self) -> std::borrow::Cow<'_, str> {
        match self {
            InputSource::Path(path) => path.to_string_lossy(),
            InputSource::Stdin => "<stdin>".into(),
            InputSource::Url(url) => url.as_str().into(),
        }
    }

    /// The path-like name that format detection and skip rules look at: a file's path, an
    /// object's key (the URL after `scheme://authority/`); `None` for stdin.
    ///
    /// ```
    /// use sigil_engine::InputSource;
    /// let object = InputSource::Url("s3://trail/AWSLogs/1/CloudTrail/x.json.gz".into());
    /// assert_eq!(object.path().unwrap(), std::path::Path::new("AWSLogs/1/CloudTrail/x.json.gz"));
    /// assert_eq!(InputSource::Stdin.path(), None);
    /// ```
    pub fn path(&self) -> Option<&Path> {
        match self {
            InputSource::Path(path) => Some(path),
            InputSource::Stdin => None,
            InputSource::Url(url) => {
                let rest = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
                rest.split_once('/').map(|(_, key)| Path::new(key))
            }
        }
    }
}

impl fmt::Display for InputSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// An input left out on purpose, and why. Not an error: such inputs hold no events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The skipped file or folder.
    pub input: InputSource,
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// Why an input is skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, thiserror::Error)]
pub enum SkipReason {
    /// A CloudTrail digest file (log-file hashes for integrity validation), found by its
    /// `CloudTrail-Digest` folder, its `_CloudTrail-Digest_` name (backfill digests too) or
    /// its content.
    #[error("CloudTrail digest file (integrity hashes, not events)")]
    CloudTrailDigest,
    /// The `ConfigWritabilityCheckFile` object AWS Config writes to test bucket access.
    #[error("AWS Config writability check object")]
    ConfigWritabilityCheck,
    /// The `aws-logs-write-test` object AWS log delivery writes to test bucket access.
    #[error("AWS log delivery write test object")]
    WriteTest,
    /// A hidden file or folder met while walking a folder (`.name`, `._name`, `Thumbs.db`).
    #[error("hidden file")]
    Hidden,
    /// Neither a regular file nor a folder (a socket, a FIFO, a device) met while walking.
    #[error("not a regular file")]
    Special,
    /// A Parquet file inside a gzip or zstd stream (Parquet compresses its own pages; a
    /// Parquet file as such is read, see [`Codec::Parquet`]).
    #[error("Parquet file inside a gzip or zstd stream: decompress it to hunt it")]
    Parquet,
    /// A file named as documentation or metadata (`LICENSE`, `README.md`, `notes.txt`,
    /// `*.yml`, `*.csv`...) whose content does not start like JSON, is no known text log, and
    /// gives no record in its first 64 KiB.
    #[error("not a log: a documentation or metadata file, with no JSON or log record in its head")]
    NotALog,
    /// A CloudTrail log file delivered before `--from` (by the time in its name): it holds
    /// only earlier events.
    #[error("CloudTrail file delivered before --from: holds only earlier events")]
    DeliveredBeforeFrom,
    /// A CloudTrail log file delivered over an hour after `--to` (by the time in its name): it
    /// holds only later events.
    #[error("CloudTrail file delivered over an hour after --to: holds only later events")]
    DeliveredAfterTo,
}

/// How an input's bytes are encoded, as recognised by their magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// Not compressed.
    Plain,
    /// gzip, possibly several members back to back.
    Gzip,
    /// zstd, possibly several frames back to back.
    Zstd,
    /// Apache Parquet: decoded into one JSON line per row (see the `parquet` module).
    Parquet,
}

impl Codec {
    /// The codec of content that starts with `magic` (its first four bytes, or fewer if the
    /// content is shorter).
    pub fn sniff(magic: &[u8]) -> Codec {
        match magic {
            [0x1f, 0x8b, ..] => Codec::Gzip,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Codec::Zstd,
            [b'P', b'A', b'R', b'1', ..] => Codec::Parquet,
            _ => Codec::Plain,
        }
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Codec::Plain => "plain",
            Codec::Gzip => "gzip",
            Codec::Zstd => "zstd",
            Codec::Parquet => "Parquet",
        })
    }
}

/// An input that cannot be read, or stopped being readable. It concerns that input only.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Opening, listing or reading failed (missing file, permissions, I/O error).
    #[error("{input}: {error}")]
    Io {
        /// The input.
        input: InputSource,
        /// The operating system's error.
        error: io::Error,
    },
    /// A compressed stream ends before its end marker: the file was cut short.
    #[error("{input}: truncated {codec} stream after {output} bytes of output")]
    Truncated {
        /// The input.
        input: InputSource,
        /// Its compression.
        codec: Codec,
        /// How many bytes were decompressed before the break.
        output: u64,
    },
    /// A compressed stream holds invalid data.
    #[error("{input}: corrupt {codec} stream after {output} bytes of output: {error}")]
    Corrupt {
        /// The input.
        input: InputSource,
        /// Its compression.
        codec: Codec,
        /// How many bytes were decompressed before the corruption.
        output: u64,
        /// The decoder's error.
        error: io::Error,
    },
    /// The content is binary data, not a log (perhaps compressed with an unsupported codec):
    /// a large share of its first bytes are not text, and no record can be read from its head.
    #[error(
        "{input}: binary data, not a log: {non_text} of its first {sniffed} bytes are not text \
         and no record could be read from them"
    )]
    Binary {
        /// The input.
        input: InputSource,
        /// How many of the bytes looked at are not text (control bytes, invalid UTF-8).
        non_text: usize,
        /// How many bytes were looked at.
        sniffed: usize,
    },
    /// The content is UTF-16 text (by its byte order mark, or a NUL byte every other byte);
    /// Sigil reads UTF-8.
    #[error("{input}: UTF-16 text: convert it to UTF-8 (`iconv -f UTF-16 -t UTF-8`) to hunt it")]
    Utf16 {
        /// The input.
        input: InputSource,
    },
    /// The file shrank while it was memory-mapped and read (truncated, or rotated with
    /// `copytruncate`): what was read from it after that was discarded (see
    /// [`Block::shrunk`]).
    #[error(
        "{input}: the file shrank while it was read (from {mapped} to {} bytes: truncated or \
         rotated?); what was read from it after that was discarded",
        now.map_or_else(|| "an unknown number of".to_owned(), |n| n.to_string())
    )]
    Shrank {
        /// The input.
        input: InputSource,
        /// Its size when it was mapped.
        mapped: u64,
        /// Its size after, if known.
        now: Option<u64>,
    },
    /// A document that must be framed whole is larger than [`MAX_DOCUMENT_BYTES`]; only its
    /// first [`MAX_DOCUMENT_BYTES`] were framed.
    #[error(
        "{input}: document larger than {limit} bytes, only its beginning was read \
         (convert it to NDJSON, which is read in blocks)"
    )]
    DocumentTooLarge {
        /// The input.
        input: InputSource,
        /// The limit.
        limit: u64,
    },
}

impl InputError {
    /// The input the error is about.
    pub fn input(&self) -> &InputSource {
        match self {
            InputError::Io { input, .. }
            | InputError::Truncated { input, .. }
            | InputError::Corrupt { input, .. }
            | InputError::Binary { input, .. }
            | InputError::Utf16 { input }
            | InputError::Shrank { input, .. }
            | InputError::DocumentTooLarge { input, .. } => input,
        }
    }
}
