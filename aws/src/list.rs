//! Listing: the objects under the hunted prefixes, in key order, pruned by the layout.
//!
//! The walk keeps a frontier: the entries still to hand out, in key order, where a folder
//! stands for everything under it. The folder at the front is replaced by one page of its
//! listing (objects and, when it is explored, subfolders, merged in key order, each judged
//! by [`layout`](crate::layout)), and so on until only objects are left at the front, which
//! are handed out. Meanwhile the listings of the next few folders of the frontier run
//! ahead, so that an organisation trail's thousands of account and region folders are
//! listed many at a time while the order stays that of the keys:
//!
//! ```text
//! frontier: [AWSLogs/]                                     (listed with a delimiter)
//!        -> [AWSLogs/111/, AWSLogs/222/]                   (both listed at once)
//!        -> [AWSLogs/111/CloudTrail/, AWSLogs/111/CloudTrail-Digest/ (skipped), AWSLogs/222/]
//!        -> [AWSLogs/111/CloudTrail/us-east-1/2026/…/a.json.gz, …, AWSLogs/222/]
//! ```
//!
//! S3 lists keys in the byte order of their UTF-8 encoding, and a folder's keys all come
//! between the folder's name and the next sibling, so this order is the order of a flat
//! listing. It is the order of the local walker too, except where a name is a prefix of a
//! sibling followed by a character below `/` (`a.json` before `a/x` in S3, after it on disk).
//!
//! Memory holds the frontier: one page (1,000 entries) per level being listed, plus the
//! pages of the listings running ahead.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::client::{Clients, Page, RequestError};
use crate::event::ObjectCreated;
use crate::layout::{self, Filter, Listing, Pruned};
use crate::stats::S3Stats;
use crate::url::{S3Url, object_url};

/// How far ahead of the front the walk looks for folders to list early.
const SCAN_AHEAD: usize = 4096;

/// What the listing hands out, in key order.
#[derive(Debug)]
pub(crate) enum Listed {
    /// An object to read.
    Object {
        bucket: Arc<str>,
        key: String,
        size: u64,
    },
    /// An object or folder left out on purpose.
    Skipped { url: String, reason: Pruned },
    /// A folder that could not be listed (after retries).
    Failed { url: String, error: RequestError },
}

/// A folder still to list, from `token` on.
struct Folder {
    bucket: Arc<str>,
    prefix: String,
    listing: Listing,
    token: Option<String>,
    /// Its listing, once started.
    task: Option<JoinHandle<Result<Page, RequestError>>>,
}

enum Slot {
    Ready(Listed),
    Folder(Folder),
}

/// Lists `roots` in order, sending what it finds to `out` until done or `out` is closed,
/// with up to `ahead` folder listings running at once.
pub(crate) async fn walk(
    clients: Arc<Clients>,
    roots: Vec<S3Url>,
    filter: Arc<Filter>,
    ahead: usize,
    stats: Arc<S3Stats>,
    out: mpsc::Sender<Listed>,
) {
    let mut frontier: VecDeque<Slot> = roots
        .into_iter()
        .map(|root| {
            Slot::Folder(Folder {
                listing: layout::root_listing(&root.prefix, &filter),
                bucket: root.bucket.into(),
                prefix: root.prefix,
                token: None,
                task: None,
            })
        })
        .collect();
    loop {
        start_ahead(&mut frontier, &clients, ahead.max(1));
        let Some(slot) = frontier.pop_front() else {
            return;
        };
        let mut folder = match slot {
            Slot::Ready(listed) => {
                if out.send(listed).await.is_err() {
                    return;
                }
                continue;
            }
            Slot::Folder(folder) => folder,
        };
        let page = match folder.task.take() {
            Some(task) => task.await.unwrap_or_else(|error| Err(cancelled(error))),
            None => list(&clients, &folder).await,
        };
        match page {
            Ok(page) => {
                let children = expand(&folder, page, &filter, &stats);
                for child in children.into_iter().rev() {
                    frontier.push_front(child);
                }
            }
            Err(error) => {
                let url = object_url(&folder.bucket, &folder.prefix);
                frontier.push_front(Slot::Ready(Listed::Failed { url, error }));
            }
        }
    }
}

/// Starts the listings of the first folders of the frontier, up to `ahead` at once.
fn start_ahead(frontier: &mut VecDeque<Slot>, clients: &Arc<Clients>, ahead: usize) {
    let mut running = 0;
    for slot in frontier.iter_mut().take(SCAN_AHEAD) {
        let Slot::Folder(folder) = slot else { continue };
        if folder.task.is_none() {
            let clients = Arc::clone(clients);
            let request = Folder {
                bucket: Arc::clone(&folder.bucket),
                prefix: folder.prefix.clone(),
                listing: folder.listing,
                token: folder.token.clone(),
                task: None,
            };
            folder.task = Some(tokio::spawn(async move { list(&clients, &request).await }));
        }
        running += 1;
        if running == ahead {
            return;
        }
    }
}

/// Lists one page of `folder`.
async fn list(clients: &Clients, folder: &Folder) -> Result<Page, RequestError> {
    let delimiter = folder.listing == Listing::Explore;
    clients
        .list(
            &folder.bucket,
            &folder.prefix,
            delimiter,
            folder.token.clone(),
        )
        .await
}

/// What a page of `folder` adds to the frontier, in key order: its objects and subfolders,
/// judged, then the folder again from the next page's token if there is one.
fn expand(folder: &Folder, page: Page, filter: &Filter, stats: &S3Stats) -> Vec<Slot> {
    let mut slots = Vec::with_capacity(page.objects.len() + page.folders.len() + 1);
    let mut objects = page.objects.into_iter().peekable();
    let mut folders = page.folders.into_iter().peekable();
    loop {
        let object_first = match (objects.peek(), folders.peek()) {
            (Some((key, _)), Some(prefix)) => key < prefix,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        if object_first {
            let Some((key, size)) = objects.next() else {
                break;
            };
            if key.ends_with('/') {
                continue; // a folder marker made by the console, not a log
            }
            stats.listed(1);
            let listed = match layout::judge_key(&key, filter) {
                Ok(()) => Listed::Object {
                    bucket: Arc::clone(&folder.bucket),
                    key,
                    size,
                },
                Err(reason) => {
                    stats.skipped(1);
                    let url = object_url(&folder.bucket, &key);
                    Listed::Skipped { url, reason }
                }
            };
            slots.push(Slot::Ready(listed));
        } else {
            let Some(prefix) = folders.next() else { break };
            match layout::judge_folder(&prefix, filter) {
                Ok(listing) => slots.push(Slot::Folder(Folder {
                    bucket: Arc::clone(&folder.bucket),
                    prefix,
                    listing,
                    token: None,
                    task: None,
                })),
                Err(reason) => {
                    stats.pruned(1);
                    // Digest folders are reported as the local walker reports them; folders
                    // filtered out are only counted.
                    if let Pruned::Skip(_) = reason {
                        let url = object_url(&folder.bucket, &prefix);
                        slots.push(Slot::Ready(Listed::Skipped { url, reason }));
                    }
                }
            }
        }
    }
    if let Some(token) = page.next {
        slots.push(Slot::Folder(Folder {
            bucket: Arc::clone(&folder.bucket),
            prefix: folder.prefix.clone(),
            listing: folder.listing,
            token: Some(token),
            task: None,
        }));
    }
    slots
}

/// A listing task that panicked or was cancelled (the runtime shutting down).
fn cancelled(error: tokio::task::JoinError) -> RequestError {
    RequestError {
        code: None,
        message: format!("listing stopped: {error}"),
    }
}

/// Hands out objects known by name (announced by S3 event notifications) instead of listed,
/// in the order given, each judged by its key as a listed one is. An object whose size the
/// announcement did not tell is asked for it (`HeadObject`); one that cannot be (missing,
/// denied) is handed out as failed.
pub(crate) async fn announced(
    clients: Arc<Clients>,
    objects: Vec<ObjectCreated>,
    filter: Filter,
    stats: Arc<S3Stats>,
    out: mpsc::Sender<Listed>,
) {
    for object in objects {
        stats.listed(1);
        let listed = match layout::judge_key(&object.key, &filter) {
            Err(reason) => {
                stats.skipped(1);
                Listed::Skipped {
                    url: object.url(),
                    reason,
                }
            }
            Ok(()) => {
                let size = match object.size {
                    Some(size) => Ok(size),
                    None => clients.size(&object.bucket, &object.key).await,
                };
                match size {
                    Ok(size) => Listed::Object {
                        bucket: object.bucket.as_str().into(),
                        key: object.key,
                        size,
                    },
                    Err(error) => Listed::Failed {
                        url: object.url(),
                        error,
                    },
                }
            }
        };
        if out.send(listed).await.is_err() {
            return;
        }
    }
}
