//! S3 event notifications from an SQS queue (`--sqs-queue URL`): each object announced is
//! fetched and scanned whole, and its message deleted only once the matches of every object
//! it announces are delivered.
//!
//! The notifications may come straight from S3, wrapped by SNS, or from EventBridge
//! ([`objects_created`] reads them all). A message that announces nothing to read (S3's test
//! event, a removal) is deleted at once. A message that is not a notification, or whose object
//! cannot be read, is left in the queue: it comes back after the queue's visibility timeout,
//! and goes to the queue's dead-letter queue when its redrive policy says so. Matches of an
//! object are named by its `s3://` URL, so the same object announced twice gives the same
//! match ids.

use crate::Notice;
use crate::metrics::Metrics;
use crate::scan::{Ack, Job};
use sigil_aws::event::objects_created;
use sigil_aws::sqs::{Message, SqsQueue};
use sigil_aws::{S3Options, S3Source, S3Url};
use sigil_engine::{Source, SourceItem};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long a receive waits for messages.
const WAIT_SECONDS: i32 = 2;

/// Receives notifications from `queue` until `stop` is set, sending the objects they
/// announce to the scanner (fetched as `s3` says).
pub async fn run(
    queue: SqsQueue,
    s3: S3Options,
    jobs: mpsc::Sender<Job>,
    metrics: Arc<Metrics>,
    notices: Sender<Notice>,
    stop: Arc<AtomicBool>,
) {
    let mut failures = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let messages = match queue.receive(10, WAIT_SECONDS).await {
            Ok(messages) => {
                failures = 0;
                messages
            }
            Err(error) => {
                if failures == 0 {
                    let _ = notices.send(Notice::Problem(format!("{}: {error}", queue.url())));
                }
                failures += 1;
                tokio::time::sleep(Duration::from_millis(200 << failures.min(7))).await;
                continue;
            }
        };
        for message in messages {
            handle(&queue, &s3, message, &jobs, &metrics, &notices).await;
        }
    }
}

fn count(metrics: &Metrics, outcome: &str) {
    metrics.add("sigil_sqs_messages_total", &[("outcome", outcome)], 1.0);
}

/// Sends the objects of one message to the scanner, its deletion tied to their delivery.
async fn handle(
    queue: &SqsQueue,
    s3: &S3Options,
    message: Message,
    jobs: &mpsc::Sender<Job>,
    metrics: &Arc<Metrics>,
    notices: &Sender<Notice>,
) {
    let objects = match objects_created(&message.body) {
        Ok(objects) => objects,
        Err(error) => {
            count(metrics, "not_a_notification");
            let _ = notices.send(Notice::Problem(format!(
                "{}: message {}: {error}; left in the queue",
                queue.url(),
                message.id
            )));
            return;
        }
    };
    let delete = deleter(
        queue.clone(),
        message.receipt.clone(),
        objects.len(),
        Arc::clone(metrics),
        notices.clone(),
    );
    if objects.is_empty() {
        count(metrics, "nothing_to_read");
        delete();
        return;
    }
    let roots: Vec<S3Url> = objects
        .iter()
        .map(|o| S3Url {
            bucket: o.bucket.clone(),
            prefix: o.key.clone(),
        })
        .collect();
    let wanted: Vec<String> = objects.iter().map(|o| o.url()).collect();
    let (s3, jobs, notices) = (s3.clone(), jobs.clone(), notices.clone());
    let delete = Arc::new(delete);
    // The objects are fetched by the S3 source's own runtime, and read by the scanner.
    let _ = tokio::task::spawn_blocking(move || {
        let mut source = match S3Source::open(roots, s3) {
            Ok(source) => source,
            Err(error) => {
                let _ = notices.send(Notice::Problem(format!("S3: {error}")));
                return;
            }
        };
        while let Some(item) = Source::next(&mut source) {
            match item {
                SourceItem::Input(input) if wanted.contains(&input.source.to_string()) => {
                    let done = Arc::clone(&delete);
                    let ack: Ack = Box::new(move || done());
                    let job = Job::Whole {
                        input,
                        instance: String::new(),
                        done: None,
                        ack: Some(ack),
                    };
                    if jobs.blocking_send(job).is_err() {
                        return;
                    }
                }
                SourceItem::Skipped(skipped) if wanted.contains(&skipped.input.to_string()) => {
                    // A digest or a probe object: nothing to scan, nothing to wait for.
                    delete();
                }
                SourceItem::Error(error) => {
                    let _ = notices.send(Notice::Problem(format!(
                        "{error}; its message is left in the queue"
                    )));
                }
                _ => {}
            }
        }
    })
    .await;
}

/// What deletes a message once `objects` acknowledgements have come (at once for none).
fn deleter(
    queue: SqsQueue,
    receipt: String,
    objects: usize,
    metrics: Arc<Metrics>,
    notices: Sender<Notice>,
) -> impl Fn() + Send + Sync + 'static {
    let left = Arc::new(AtomicUsize::new(objects.max(1)));
    let runtime = tokio::runtime::Handle::current();
    move || {
        if left.fetch_sub(1, Ordering::SeqCst) != 1 {
            return;
        }
        let (queue, receipt, metrics, notices) = (
            queue.clone(),
            receipt.clone(),
            Arc::clone(&metrics),
            notices.clone(),
        );
        runtime.spawn(async move {
            match queue.delete(&receipt).await {
                Ok(()) => count(&metrics, "deleted"),
                Err(error) => {
                    let _ = notices.send(Notice::Problem(format!(
                        "{}: deleting a message: {error}",
                        queue.url()
                    )));
                }
            }
        });
    }
}
