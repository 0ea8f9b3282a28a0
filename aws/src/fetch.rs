//! Fetching: the listed objects' bytes, many requests at once, handed out in key order with
//! memory bounded.
//!
//! Each object is cut into pieces: the whole object if it is at most
//! [`FetchOptions::part_size`], ranges of that size otherwise. The driver walks the listing
//! in order and, for each piece, first takes its size from a memory budget
//! ([`FetchOptions::memory`]), then starts a task that takes one of
//! [`FetchOptions::concurrency`] request slots and gets the piece. The reader of an object
//! receives its pieces in order; a piece's budget is given back when the reader is done with
//! it. So the driver runs ahead of the reader by at most the budget, the earliest piece the
//! reader waits for always has its budget already (no deadlock), and memory stays bounded
//! whatever the number and size of the objects:
//!
//! ```text
//! listing:  a.gz (90 KiB)  b.gz (120 KiB)  big.gz (20 MiB)             c.gz …
//! pieces:   [a]            [b]             [0-8M] [8-16M] [16-20M]      [c]   ← budget taken in order
//! requests: ──a──   ──b──   ──0-8M──   ──8-16M──   ──16-20M──   ──c──        ← up to 32 at once
//! reader:   a … b … big (0-8M, 8-16M, 16-20M) … c                            ← budget given back
//! ```
//!
//! Requests are retried by the client (throttling, server errors, timeouts, resets). A body
//! that breaks off midway (a reset connection, a truncated response, no data for
//! [`FetchOptions::stall_timeout`]) is resumed from where it broke with a range request, up
//! to [`FetchOptions::resumes`] times with exponential backoff and jitter; after that, the
//! bytes received are handed out, followed by the error, so that the records before the
//! break are still read.

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rand::Rng;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use crate::client::{Clients, RequestError};
use crate::list::Listed;
use crate::stats::S3Stats;
use crate::url::object_url;

/// How objects are fetched.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Requests in flight at most (default 32).
    pub concurrency: usize,
    /// Objects larger than this are read in ranged parts of this size, in parallel
    /// (default 8 MiB).
    pub part_size: u64,
    /// Bytes fetched ahead of the reader at most (default 256 MiB).
    pub memory: u64,
    /// How long a response may send nothing before it is taken as broken (default 30 s).
    pub stall_timeout: Duration,
    /// How many times a broken body is resumed (default 5).
    pub resumes: u32,
}

impl Default for FetchOptions {
    fn default() -> FetchOptions {
        FetchOptions {
            concurrency: 32,
            part_size: 8 << 20,
            memory: 256 << 20,
            stall_timeout: Duration::from_secs(30),
            resumes: 5,
        }
    }
}

/// Why an object, or part of it, could not be fetched.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// The request failed after its retries (missing, denied, throttled throughout...).
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The body broke off and could not be resumed.
    #[error("the download broke off after {received} bytes ({reason}), {resumes} resumes tried")]
    Broken {
        /// Bytes of the object received before the break.
        received: u64,
        /// What broke it.
        reason: String,
        /// How many times it was resumed before giving up.
        resumes: u32,
    },
}

/// One piece of an object: its bytes, and the error that cut it short, if one did.
#[derive(Debug)]
pub(crate) struct Piece {
    pub data: Bytes,
    pub error: Option<FetchError>,
    /// The piece's share of the memory budget, given back when the piece is dropped.
    _budget: OwnedSemaphorePermit,
}

/// The pieces of an object, in order, as they are started.
pub(crate) type Pieces = mpsc::UnboundedReceiver<oneshot::Receiver<Piece>>;

/// What the driver hands to the reader, in key order.
pub(crate) enum Pending {
    /// An object, whose pieces arrive on `pieces`.
    Object {
        url: String,
        key: String,
        size: u64,
        pieces: Pieces,
    },
    /// An object or folder left out on purpose.
    Skipped {
        url: String,
        reason: crate::layout::Pruned,
    },
    /// A folder that could not be listed.
    Failed { url: String, error: FetchError },
}

/// The budget is counted in KiB, so that a semaphore's permits can hold it.
const BUDGET_UNIT: u64 = 1024;

/// Hands out what `listed` yields, objects with their pieces fetched ahead, until `listed`
/// ends or `out` is closed.
pub(crate) async fn drive(
    clients: Arc<Clients>,
    mut listed: mpsc::Receiver<Listed>,
    options: FetchOptions,
    stats: Arc<S3Stats>,
    out: mpsc::Sender<Pending>,
) {
    let part_size = options.part_size.max(BUDGET_UNIT);
    let budget_units = (options.memory / BUDGET_UNIT).max(part_size / BUDGET_UNIT);
    let budget = Arc::new(Semaphore::new(budget_units as usize));
    let requests = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let options = Arc::new(options);
    while let Some(item) = listed.recv().await {
        let (bucket, key, size) = match item {
            Listed::Object { bucket, key, size } => (bucket, key, size),
            Listed::Skipped { url, reason } => {
                if out.send(Pending::Skipped { url, reason }).await.is_err() {
                    return;
                }
                continue;
            }
            Listed::Failed { url, error } => {
                let error = FetchError::Request(error);
                if out.send(Pending::Failed { url, error }).await.is_err() {
                    return;
                }
                continue;
            }
        };
        let (pieces_in, pieces) = mpsc::unbounded_channel();
        let url = object_url(&bucket, &key);
        let pending = Pending::Object {
            url,
            key: key.clone(),
            size,
            pieces,
        };
        if out.send(pending).await.is_err() {
            return;
        }
        let key: Arc<str> = key.into();
        for part in parts(size, part_size) {
            let units = part
                .range
                .end
                .saturating_sub(part.range.start)
                .div_ceil(BUDGET_UNIT);
            let Ok(permit) = Arc::clone(&budget)
                .acquire_many_owned(units.clamp(1, budget_units) as u32)
                .await
            else {
                return;
            };
            let (reply, piece) = oneshot::channel();
            if pieces_in.send(piece).is_err() {
                break; // the reader dropped the object
            }
            let fetch = PieceFetch {
                clients: Arc::clone(&clients),
                bucket: Arc::clone(&bucket),
                key: Arc::clone(&key),
                part,
                options: Arc::clone(&options),
                stats: Arc::clone(&stats),
            };
            let requests = Arc::clone(&requests);
            tokio::spawn(async move {
                let Ok(_slot) = requests.acquire_owned().await else {
                    return;
                };
                let (data, error) = fetch.run().await;
                let _ = reply.send(Piece {
                    data,
                    error,
                    _budget: permit,
                });
            });
        }
    }
}

/// A piece to fetch: bytes `range` of an object, or the `whole` object (a plain GET, whose
/// size is known from the listing).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Part {
    range: Range<u64>,
    whole: bool,
}

/// The pieces of an object of `size` bytes.
fn parts(size: u64, part_size: u64) -> Vec<Part> {
    if size <= part_size {
        return vec![Part {
            range: 0..size,
            whole: true,
        }];
    }
    (0..size.div_ceil(part_size))
        .map(|i| Part {
            range: i * part_size..((i + 1) * part_size).min(size),
            whole: false,
        })
        .collect()
}

/// Everything needed to fetch one piece.
struct PieceFetch {
    clients: Arc<Clients>,
    bucket: Arc<str>,
    key: Arc<str>,
    part: Part,
    options: Arc<FetchOptions>,
    stats: Arc<S3Stats>,
}

impl PieceFetch {
    /// Gets the piece, resuming a body that breaks off: its bytes, and the error that cut it
    /// short if resuming did not help.
    async fn run(&self) -> (Bytes, Option<FetchError>) {
        let expected = self.part.range.end - self.part.range.start;
        let mut data = BytesMut::with_capacity(expected as usize);
        let mut resumes = 0;
        loop {
            let got = data.len() as u64;
            let range = match self.part.whole && got == 0 {
                true => None,
                false => Some(self.part.range.start + got..self.part.range.end),
            };
            let body = match self.clients.get(&self.bucket, &self.key, range).await {
                Ok(body) => body,
                Err(error) if got == 0 => return (data.freeze(), Some(error.into())),
                Err(error) => {
                    let reason = error.to_string();
                    let broken = FetchError::Broken {
                        received: self.part.range.start + got,
                        reason,
                        resumes,
                    };
                    return (data.freeze(), Some(broken));
                }
            };
            let reason = match self.read(body, &mut data).await {
                Ok(()) => return (data.freeze(), None),
                Err(reason) => reason,
            };
            if resumes == self.options.resumes || data.len() as u64 >= expected {
                let received = self.part.range.start + data.len() as u64;
                let broken = FetchError::Broken {
                    received,
                    reason,
                    resumes,
                };
                return (data.freeze(), Some(broken));
            }
            resumes += 1;
            self.stats.resume(1);
            tokio::time::sleep(backoff(resumes)).await;
        }
    }

    /// Reads a response body into `data`: `Err` with the reason if it breaks off or stalls.
    async fn read(
        &self,
        mut body: aws_sdk_s3::primitives::ByteStream,
        data: &mut BytesMut,
    ) -> Result<(), String> {
        let stall = self.options.stall_timeout;
        loop {
            match tokio::time::timeout(stall, body.next()).await {
                Err(_) => return Err(format!("no data for {} s", stall.as_secs_f64())),
                Ok(None) => return Ok(()),
                Ok(Some(Ok(chunk))) => {
                    self.stats.received(chunk.len() as u64);
                    data.extend_from_slice(&chunk);
                }
                Ok(Some(Err(error))) => {
                    return Err(aws_sdk_s3::error::DisplayErrorContext(&error).to_string());
                }
            }
        }
    }
}

/// The wait before resume `n` (from 1): a random time up to 100 ms × 2^n, at most 10 s
/// ("full jitter").
fn backoff(n: u32) -> Duration {
    let ceiling = Duration::from_millis(100).saturating_mul(1 << n.min(10));
    let ceiling = ceiling.min(Duration::from_secs(10));
    ceiling.mul_f64(rand::rng().random::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_objects_are_one_whole_piece_and_large_ones_ranges() {
        let whole = |size| Part {
            range: 0..size,
            whole: true,
        };
        assert_eq!(parts(0, 8), [whole(0)]);
        assert_eq!(parts(8, 8), [whole(8)]);
        let ranges: Vec<_> = parts(20, 8)
            .into_iter()
            .map(|p| (p.range, p.whole))
            .collect();
        assert_eq!(ranges, [(0..8, false), (8..16, false), (16..20, false)]);
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        for n in 1..40 {
            let ceiling = Duration::from_millis(100 << n.min(10)).min(Duration::from_secs(10));
            assert!(backoff(n) <= ceiling);
        }
    }
}
