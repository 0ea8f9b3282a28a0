//! Sources: where a hunt's inputs come from (see [`Source`]), and the local one.

mod local;

use std::io::Read;

pub use crate::input::{InputError, InputSource, Skipped};
pub use local::LocalSource;

/// Where a hunt's inputs come from.
///
/// A [`Source`] hands the driver its inputs one at a time, in the order their matches are
/// written, each as an [`Input`]: what to call it (an [`InputSource`]) and how to get its bytes
/// (a [`Content`]). It may also report inputs it left out on purpose ([`Skipped`], such as
/// CloudTrail digests) and inputs it could not even list or fetch ([`InputError`]); both are
/// counted and reported by the driver, and neither stops the hunt.
///
/// The driver does everything after that in one place, whatever the source: gzip and zstd are
/// recognised by their magic bytes, binary data and Parquet are refused, the record layout and
/// the log format are detected (from the content, helped by [`InputSource::path`]), and
/// memory stays bounded. So a new kind of input (an object store, a followed file, an HTTP
/// intake) only has to implement [`Source::next`].
///
/// [`LocalSource`] is the source of the command line's paths: files, folders walked in sorted
/// order, and `-` for stdin.
///
/// ```
/// use sigil_engine::{Input, InputSource, Source, SourceItem};
///
/// /// Inputs held in memory, named like objects of a store.
/// struct InMemory(std::vec::IntoIter<(String, &'static [u8])>);
///
/// impl Source for InMemory {
///     fn next(&mut self) -> Option<SourceItem> {
///         let (url, bytes) = self.0.next()?;
///         let size = Some(bytes.len() as u64);
///         Some(SourceItem::Input(Input::reader(InputSource::Url(url), bytes, size)))
///     }
/// }
///
/// let mut source = InMemory(vec![("mem://logs/a.json".to_string(), &b"{\"a\":1}\n"[..])].into_iter());
/// let Some(SourceItem::Input(input)) = source.next() else { panic!() };
/// assert_eq!(input.source.to_string(), "mem://logs/a.json");
/// assert_eq!(input.source.path().unwrap(), std::path::Path::new("a.json"));
/// ```
///
/// `next` may block (a download, a pipe); the driver calls it on a thread of its own while the
/// inputs before are scanned.
pub trait Source: Send {
    /// The next input, skipped input or error, in output order; `None` when there are no more.
    fn next(&mut self) -> Option<SourceItem>;

    /// How many inputs and bytes (as stored, before decompression) the source will deliver in
    /// all, when it knows, for progress reports.
    fn total(&self) -> Option<Total> {
        None
    }
}

/// One thing a [`Source`] hands the driver.
#[derive(Debug)]
#[non_exhaustive]
pub enum SourceItem {
    /// An input to read.
    Input(Input),
    /// An input left out on purpose (counted, not an error).
    Skipped(Skipped),
    /// An input that could not be listed or fetched (reported, counted, not fatal).
    Error(InputError),
}

/// An input to read: its name and its content.
#[derive(Debug)]
pub struct Input {
    /// What the input is called in matches and messages.
    pub source: InputSource,
    /// How to get its bytes.
    pub content: Content,
    /// Its size as stored (compressed or not), when known, for progress reports; the driver
    /// looks a local file's size up itself.
    pub size: Option<u64>,
}

impl Input {
    /// An input that the driver opens by its name: a local file (memory-mapped when the
    /// policy allows) or stdin.
    pub fn open(source: InputSource) -> Input {
        Input {
            source,
            content: Content::Open,
            size: None,
        }
    }

    /// An input read from `reader`, `size` bytes long as stored when known.
    pub fn reader(
        source: InputSource,
        reader: impl Read + Send + 'static,
        size: Option<u64>,
    ) -> Input {
        Input {
            source,
            content: Content::Reader(Box::new(reader)),
            size,
        }
    }
}

/// How the driver gets an input's bytes.
#[non_exhaustive]
pub enum Content {
    /// Open the input by its name: [`InputSource::Path`] is a local file,
    /// [`InputSource::Stdin`] the standard input.
    Open,
    /// Read this stream (compressed or not: codecs are recognised by their magic bytes).
    Reader(Box<dyn Read + Send>),
}

impl std::fmt::Debug for Content {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Content::Open => f.write_str("Open"),
            Content::Reader(_) => f.write_str("Reader(..)"),
        }
    }
}

/// What a source will deliver in all (see [`Source::total`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Total {
    /// Inputs to read.
    pub inputs: u64,
    /// Their size as stored, in bytes.
    pub bytes: u64,
}
