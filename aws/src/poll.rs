//! New objects under an `s3://` prefix, found by polling: each stream listed from the last key
//! seen.
//!
//! The AWS key layouts put the delivery date in the path (`…/CloudTrail/us-east-1/2026/11/02/
//! <file>`, Firehose's `prefix/2026/11/02/13/<file>`), so within a *stream* (the folder above
//! the date: one account, service and region) keys sort in delivery order. [`NewObjects`]
//! keeps the last key seen per stream and lists each stream with `StartAfter` that key: a
//! poll costs a listing of what is new, not of the history. Streams are found by walking the
//! folders above the dates (accounts, services, regions: a few listings), again every
//! [`WALK_EVERY`] polls, so a new region or account is picked up; a stream found after the
//! first walk is read from its start, one present at the first walk from its end (a watcher
//! watches what comes; `sigil hunt` reads history). Folders without dates are streams of
//! their own, listed in key order.
//!
//! ```
//! use sigil_aws::poll::stream_of;
//! assert_eq!(stream_of("AWSLogs/1/CloudTrail/us-east-1/2026/11/02/x.json.gz"), "AWSLogs/1/CloudTrail/us-east-1/");
//! assert_eq!(stream_of("waf/2026/11/02/13/x.gz"), "waf/");
//! assert_eq!(stream_of("plain/x.json"), "plain/");
//! ```

use crate::client::{ClientOptions, Clients, RequestError};
use crate::stats::S3Stats;
use crate::url::S3Url;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Polls between two walks for new streams.
pub const WALK_EVERY: u32 = 10;

/// The deepest folder a walk for streams looks into.
const MAX_DEPTH: usize = 8;

/// The stream of a key: its folder above the first `YYYY/MM/` of its path, or its folder.
pub fn stream_of(key: &str) -> &str {
    let mut at = 0;
    for segment in key.split('/') {
        let rest = &key[at..];
        let dated = segment.len() == 4
            && segment.bytes().all(|b| b.is_ascii_digit())
            && rest
                .get(5..7)
                .is_some_and(|m| m.bytes().all(|b| b.is_ascii_digit()));
        if dated {
            return &key[..at];
        }
        at += segment.len() + 1;
        if at > key.len() {
            break;
        }
    }
    key.rfind('/').map_or("", |i| &key[..=i])
}

/// Whether a folder (ending with `/`) is a year folder (`…/2026/`).
fn is_year(folder: &str) -> bool {
    let name = folder
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    name.len() == 4 && name.bytes().all(|b| b.is_ascii_digit())
}

/// The new objects of one `s3://` prefix (see the module docs).
pub struct NewObjects {
    clients: Clients,
    root: S3Url,
    /// The last key seen per stream (`None`: read the stream from its start).
    last: BTreeMap<String, Option<String>>,
    polls: u32,
}

impl NewObjects {
    /// Polls `root`, going on from `last` (the last key per stream of an earlier run).
    pub async fn connect(
        root: S3Url,
        options: &ClientOptions,
        last: BTreeMap<String, String>,
    ) -> NewObjects {
        let clients = Clients::load(options, Arc::new(S3Stats::default())).await;
        NewObjects {
            clients,
            root,
            last: last
                .into_iter()
                .map(|(stream, key)| (stream, Some(key)))
                .collect(),
            polls: 0,
        }
    }

    /// The new keys since the last poll, stream by stream, each stream in key order.
    pub async fn poll(&mut self) -> Result<Vec<String>, RequestError> {
        if self.polls.is_multiple_of(WALK_EVERY) {
            let first = self.polls == 0 && self.last.is_empty();
            for stream in self.walk().await? {
                if self.last.contains_key(&stream) {
                    continue;
                }
                let start = if first {
                    self.newest(&stream).await?
                } else {
                    None
                };
                self.last.insert(stream, start);
            }
        }
        self.polls += 1;
        let mut new = Vec::new();
        let streams: Vec<String> = self.last.keys().cloned().collect();
        for stream in streams {
            let mut after = self.last[&stream].clone();
            let mut token = None;
            loop {
                let page = self
                    .clients
                    .list_after(&self.root.bucket, &stream, false, after.clone(), token)
                    .await?;
                for (key, _) in page.objects {
                    // A stream's listing also holds its sub-streams' keys: leave those to them.
                    if stream_of(&key) == stream || !self.last.contains_key(stream_of(&key)) {
                        new.push(key.clone());
                    }
                    after = Some(key);
                }
                token = page.next;
                if token.is_none() {
                    break;
                }
            }
            self.last.insert(stream, after);
        }
        Ok(new)
    }

    /// The folders under the root that are streams.
    async fn walk(&self) -> Result<Vec<String>, RequestError> {
        let mut streams = Vec::new();
        let mut folders = vec![(self.root.prefix.clone(), 0)];
        while let Some((folder, depth)) = folders.pop() {
            let mut token = None;
            let mut is_stream = false;
            loop {
                let page = self
                    .clients
                    .list(&self.root.bucket, &folder, true, token)
                    .await?;
                is_stream |= !page.objects.is_empty() || page.folders.iter().any(|f| is_year(f));
                if depth < MAX_DEPTH {
                    folders.extend(
                        page.folders
                            .into_iter()
                            .filter(|f| !is_year(f))
                            .map(|f| (f, depth + 1)),
                    );
                }
                token = page.next;
                if token.is_none() {
                    break;
                }
            }
            if is_stream {
                streams.push(folder);
            }
        }
        Ok(streams)
    }

    /// The greatest key of a stream now: found down its latest year, month, day folders.
    async fn newest(&self, stream: &str) -> Result<Option<String>, RequestError> {
        let mut folder = stream.to_string();
        let mut newest = None;
        for _ in 0..MAX_DEPTH {
            let mut token = None;
            let (mut last_folder, mut last_key) = (None, None);
            loop {
                let page = self
                    .clients
                    .list(&self.root.bucket, &folder, true, token)
                    .await?;
                last_folder = page.folders.last().cloned().or(last_folder);
                last_key = page.objects.last().map(|(k, _)| k.clone()).or(last_key);
                token = page.next;
                if token.is_none() {
                    break;
                }
            }
            newest = last_key.or(newest);
            match last_folder {
                Some(next) => folder = next,
                None => break,
            }
        }
        Ok(newest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_the_folders_above_the_dates() {
        assert_eq!(stream_of("a/b/2026/01/02/k"), "a/b/");
        assert_eq!(stream_of("2026/01/02/k"), "");
        assert_eq!(stream_of("a/b/k"), "a/b/");
        assert_eq!(stream_of("k"), "");
        assert_eq!(stream_of("a/20261/01/k"), "a/20261/01/");
        assert!(is_year("a/2026/") && !is_year("a/us-east-1/"));
    }
}
