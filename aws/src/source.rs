//! The blocking face of the S3 reader: an iterator of objects in key order, each with a
//! [`Read`] body, over an async runtime of its own.

use std::io::{self, Read};
use std::sync::Arc;

use sigil_engine::{Input, InputError, InputSource, Skipped, SourceItem};
use tokio::sync::mpsc;

use crate::client::{ClientOptions, Clients};
use crate::event::ObjectCreated;
use crate::fetch::{self, FetchError, FetchOptions, Pending, Piece, Pieces};
use crate::layout::{Filter, Pruned};
use crate::list::{self, Listed};
use crate::stats::S3Stats;
use crate::url::S3Url;

/// How a hunt reads S3.
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    /// How to reach S3 (profile, endpoint, requester pays, retries).
    pub client: ClientOptions,
    /// What the hunt lets through (`--from`/`--to`, `--account`, `--region`), used to prune
    /// the listing.
    pub filter: Filter,
    /// How objects are fetched (concurrency, parts, memory).
    pub fetch: FetchOptions,
}

/// Objects listed ahead of the fetcher at most.
const LISTED_AHEAD: usize = 4096;

/// Objects handed to the fetcher ahead of the reader at most (the memory budget bounds them
/// too).
const OBJECTS_AHEAD: usize = 4096;

/// Folder listings running at once.
const LISTINGS_AHEAD: usize = 16;

/// Worker threads of the runtime that lists and fetches (the scan has the other cores).
const RUNTIME_THREADS: usize = 2;

/// What an [`S3Source`] yields, in key order.
#[derive(Debug)]
pub enum Entry {
    /// An object to read.
    Object(S3Object),
    /// An object or folder left out on purpose, with why.
    Skipped {
        /// Its URL (a folder's ends with `/`).
        url: String,
        /// Why.
        reason: Pruned,
    },
    /// An object that could not be read at all, or a folder that could not be listed.
    Failed {
        /// Its URL.
        url: String,
        /// Why.
        error: FetchError,
    },
}

/// An object being fetched.
#[derive(Debug)]
pub struct S3Object {
    /// `s3://bucket/key`, how matches name their source.
    pub url: String,
    /// The key, path-like (`AWSLogs/…/x.json.gz`): for format detection and skip rules.
    pub key: String,
    /// Its size in bytes, as listed.
    pub size: u64,
    /// Its bytes, as they arrive.
    pub body: Body,
}

/// The objects under some `s3://` prefixes, listed (pruned by the layout and the filter),
/// fetched ahead with bounded concurrency and memory, and yielded in key order.
///
/// Creating one starts the listing and the fetching on a runtime of its own; iterating
/// blocks until the next entry is ready; dropping it stops everything.
///
/// ```no_run
/// use std::io::Read;
/// use sigil_aws::{Entry, S3Options, S3Source, S3Url};
///
/// let url = S3Url::parse("s3://trail-bucket/AWSLogs/").unwrap()?;
/// for entry in S3Source::open(vec![url], S3Options::default())? {
///     if let Entry::Object(mut object) = entry {
///         let mut bytes = Vec::new();
///         object.body.read_to_end(&mut bytes)?;
///         println!("{}: {} bytes", object.url, bytes.len());
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct S3Source {
    runtime: Option<tokio::runtime::Runtime>,
    pending: mpsc::Receiver<Pending>,
    stats: Arc<S3Stats>,
}

impl S3Source {
    /// Starts reading `roots`, in order.
    pub fn open(roots: Vec<S3Url>, options: S3Options) -> io::Result<S3Source> {
        let filter = Arc::new(options.filter.clone());
        S3Source::start(options, move |clients, stats, listed| {
            list::walk(clients, roots, filter, LISTINGS_AHEAD, stats, listed)
        })
    }

    /// Starts reading `objects`, known by name (announced by S3 event notifications), in
    /// the order given, without listing anything (so `s3:ListBucket` is not needed). Each
    /// is judged by its key as a listed object is (digests and probe objects are skipped);
    /// one whose size is not known is asked for it first. An object that does not exist, or
    /// cannot be read, is an [`Entry::Failed`].
    pub fn announced(objects: Vec<ObjectCreated>, options: S3Options) -> io::Result<S3Source> {
        let filter = options.filter.clone();
        S3Source::start(options, move |clients, stats, listed| {
            list::announced(clients, objects, filter, stats, listed)
        })
    }

    /// Starts the runtime, the client, `lister` (what hands the objects to fetch out) and
    /// the fetcher.
    fn start<L, F>(options: S3Options, lister: L) -> io::Result<S3Source>
    where
        L: FnOnce(Arc<Clients>, Arc<S3Stats>, mpsc::Sender<Listed>) -> F + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(RUNTIME_THREADS)
            .thread_name("sigil-s3")
            .enable_all()
            .build()?;
        let stats = Arc::new(S3Stats::default());
        let (out, pending) = mpsc::channel(OBJECTS_AHEAD);
        let task_stats = Arc::clone(&stats);
        runtime.spawn(async move {
            let stats = task_stats;
            let clients = Arc::new(Clients::load(&options.client, Arc::clone(&stats)).await);
            let (listed_out, listed) = mpsc::channel(LISTED_AHEAD);
            tokio::spawn(lister(Arc::clone(&clients), Arc::clone(&stats), listed_out));
            fetch::drive(clients, listed, options.fetch, stats, out).await;
        });
        Ok(S3Source {
            runtime: Some(runtime),
            pending,
            stats,
        })
    }

    /// The counters of the listing and fetching, live.
    pub fn stats(&self) -> Arc<S3Stats> {
        Arc::clone(&self.stats)
    }
}

impl Iterator for S3Source {
    type Item = Entry;

    /// The next entry; for an object, once its first piece has arrived, so that an object
    /// that cannot be read at all is an [`Entry::Failed`].
    fn next(&mut self) -> Option<Entry> {
        Some(match self.pending.blocking_recv()? {
            Pending::Skipped { url, reason } => Entry::Skipped { url, reason },
            Pending::Failed { url, error } => Entry::Failed { url, error },
            Pending::Object {
                url,
                key,
                size,
                pieces,
            } => {
                let mut body = Body {
                    pieces,
                    current: None,
                    offset: 0,
                    state: State::Reading,
                    stats: Arc::clone(&self.stats),
                };
                match body.next_piece() {
                    Err(error) => {
                        body.state = State::Failed;
                        Entry::Failed { url, error }
                    }
                    Ok(_) => Entry::Object(S3Object {
                        url,
                        key,
                        size,
                        body,
                    }),
                }
            }
        })
    }
}

/// The engine's view: objects become inputs named by their `s3://` URL (their key is the path
/// that format detection and skip rules look at), skips by name become skipped inputs, and
/// failures input errors. Objects and folders left out by `--account`, `--region` or the dates
/// in their keys are only counted, in [`S3Source::stats`].
impl sigil_engine::Source for S3Source {
    fn next(&mut self) -> Option<SourceItem> {
        loop {
            return Some(match Iterator::next(self)? {
                Entry::Object(object) => {
                    let source = InputSource::Url(object.url);
                    SourceItem::Input(Input::reader(source, object.body, Some(object.size)))
                }
                Entry::Skipped {
                    url,
                    reason: Pruned::Skip(reason),
                } => SourceItem::Skipped(Skipped {
                    input: InputSource::Url(url),
                    reason,
                }),
                Entry::Skipped { .. } => continue,
                Entry::Failed { url, error } => SourceItem::Error(InputError::Io {
                    input: InputSource::Url(url),
                    error: io::Error::other(error),
                }),
            });
        }
    }
}

impl Drop for S3Source {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// An object's bytes as they arrive: reading blocks until the next piece is there. When the
/// download broke off, the bytes received come first, then the error.
///
/// Dropping it counts the object as done in the [statistics](S3Stats) (or failed, if an
/// error was read), and gives the memory of its pieces back.
#[derive(Debug)]
pub struct Body {
    pieces: Pieces,
    /// The piece being read, and how far.
    current: Option<Piece>,
    offset: usize,
    state: State,
    stats: Arc<S3Stats>,
}

/// Where a [`Body`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    /// All pieces were read: reads return 0.
    Ended,
    /// An error was returned: reads return 0.
    Failed,
}

impl Body {
    /// Waits for the next piece: `Ok(false)` at the end of the object, `Err` if the piece
    /// is missing entirely (its data, if any, is kept in `current`).
    fn next_piece(&mut self) -> Result<bool, FetchError> {
        let Some(piece) = self.pieces.blocking_recv() else {
            return Ok(false);
        };
        let mut piece = piece.blocking_recv().map_err(|_| FetchError::Broken {
            received: 0,
            reason: "the fetch was stopped".into(),
            resumes: 0,
        })?;
        let error = match piece.data.is_empty() {
            true => piece.error.take(),
            false => None,
        };
        self.current = Some(piece);
        self.offset = 0;
        match error {
            Some(error) => {
                self.current = None;
                Err(error)
            }
            None => Ok(true),
        }
    }
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.state != State::Reading {
                return Ok(0);
            }
            if let Some(piece) = &mut self.current {
                let rest = &piece.data[self.offset..];
                if !rest.is_empty() {
                    let n = rest.len().min(buf.len());
                    buf[..n].copy_from_slice(&rest[..n]);
                    self.offset += n;
                    return Ok(n);
                }
                let error = piece.error.take();
                self.current = None; // gives its memory back
                if let Some(error) = error {
                    return Err(self.fail(error));
                }
            }
            match self.next_piece() {
                Ok(true) => {}
                Ok(false) => {
                    self.state = State::Ended;
                    return Ok(0);
                }
                Err(error) => return Err(self.fail(error)),
            }
        }
    }
}

impl Body {
    fn fail(&mut self, error: FetchError) -> io::Error {
        self.state = State::Failed;
        io::Error::other(error)
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        match self.state {
            State::Failed => self.stats.failed(1),
            State::Reading | State::Ended => self.stats.done(1),
        }
    }
}
