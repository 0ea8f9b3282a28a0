//! `s3://` prefixes as sources: polled for new objects, each stream listed from the last key
//! seen ([`NewObjects`]), each new object scanned whole. The last key of a stream is saved with
//! the positions once the object's matches are delivered, so a restart lists from there.

use crate::Notice;
use crate::scan::Job;
use sigil_aws::poll::{NewObjects, stream_of};
use sigil_aws::{S3Options, S3Source, S3Url, object_url};
use sigil_engine::{Source, SourceItem};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::Duration;
use tokio::sync::mpsc;

/// Polls `root` every `interval` until `stop` is set; `saved` are the positions of the last
/// run (the last key per stream, by stream URL).
pub async fn run(
    root: S3Url,
    saved: &BTreeMap<String, String>,
    options: S3Options,
    interval: Duration,
    jobs: mpsc::Sender<Job>,
    notices: Sender<Notice>,
    stop: Arc<AtomicBool>,
) {
    let base = object_url(&root.bucket, "");
    let last = saved
        .iter()
        .filter_map(|(url, key)| Some((url.strip_prefix(&base)?.to_string(), key.clone())))
        .filter(|(stream, _)| stream.starts_with(&root.prefix))
        .collect();
    let mut objects = NewObjects::connect(root.clone(), &options.client, last).await;
    let mut failing = false;
    while !stop.load(Ordering::Relaxed) {
        match objects.poll().await {
            Ok(keys) if !keys.is_empty() => {
                failing = false;
                let (root, options, jobs, notices) =
                    (root.clone(), options.clone(), jobs.clone(), notices.clone());
                let read = tokio::task::spawn_blocking(move || {
                    read(&root, keys, options, &jobs, &notices)
                });
                if read.await.is_err() {
                    return;
                }
            }
            Ok(_) => failing = false,
            Err(error) => {
                if !failing {
                    let _ = notices.send(Notice::Problem(format!(
                        "s3://{}/{}: {error}",
                        root.bucket, root.prefix
                    )));
                }
                failing = true;
            }
        }
        let mut waited = Duration::ZERO;
        while waited < interval && !stop.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            waited += Duration::from_millis(100);
        }
    }
}

/// Fetches `keys` and sends each to the scanner, followed by its stream's new last key.
fn read(
    root: &S3Url,
    keys: Vec<String>,
    options: S3Options,
    jobs: &mpsc::Sender<Job>,
    notices: &Sender<Notice>,
) {
    let roots = keys
        .iter()
        .map(|key| S3Url {
            bucket: root.bucket.clone(),
            prefix: key.clone(),
        })
        .collect();
    let mut source = match S3Source::open(roots, options) {
        Ok(source) => source,
        Err(error) => {
            let _ = notices.send(Notice::Problem(format!("S3: {error}")));
            return;
        }
    };
    let mut wanted: BTreeMap<String, String> = keys
        .iter()
        .map(|key| (object_url(&root.bucket, key), key.clone()))
        .collect();
    while let Some(item) = Source::next(&mut source) {
        let (url, job) = match item {
            SourceItem::Input(input) => {
                let url = input.source.to_string();
                let job = Job::Whole {
                    input,
                    instance: String::new(),
                    done: None,
                    ack: None,
                };
                (url, Some(job))
            }
            SourceItem::Skipped(skipped) => (skipped.input.to_string(), None),
            SourceItem::Error(error) => {
                let _ = notices.send(Notice::Problem(error.to_string()));
                (error.input().to_string(), None)
            }
            _ => continue,
        };
        let Some(key) = wanted.remove(&url) else {
            continue;
        };
        let stream = object_url(&root.bucket, stream_of(&key));
        for job in job.into_iter().chain([Job::S3Key(stream, key)]) {
            if jobs.blocking_send(job).is_err() {
                return;
            }
        }
    }
}
