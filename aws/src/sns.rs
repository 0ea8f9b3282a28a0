//! Publishing to an SNS topic: one message per match, in `PublishBatch` calls.
//!
//! [`SnsPublisher::publish`] sends [`Notification`]s in order, at most 10 per call and at most
//! 256 KiB per call (SNS's limits), each with its subject (at most 100 characters, which
//! e-mail subscriptions show). For a FIFO topic (its name ends with `.fifo`) each message
//! carries its id as the deduplication id, so SNS itself drops a match sent twice within five
//! minutes. An entry SNS refuses fails the call, after the SDK's own retries of throttling
//! and server errors: the caller tries the batch again (matches are delivered at least once).

use crate::client::{ClientOptions, RequestError, shared_config};
use aws_sdk_sns::types::PublishBatchRequestEntry;

/// SNS's limit on a message, and on all the messages of one `PublishBatch` call.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// Most messages of one `PublishBatch` call.
const MAX_ENTRIES: usize = 10;

/// One message to publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// A stable id (the match id): the deduplication id on a FIFO topic.
    pub id: String,
    /// The subject: ASCII, at most 100 characters.
    pub subject: String,
    /// The message, at most [`MAX_PAYLOAD_BYTES`].
    pub message: String,
}

/// A publisher to one topic.
#[derive(Clone, Debug)]
pub struct SnsPublisher {
    client: aws_sdk_sns::Client,
    topic: String,
    fifo: bool,
}

impl SnsPublisher {
    /// A publisher to the topic `topic_arn`, configured as `options` say.
    pub async fn connect(topic_arn: &str, options: &ClientOptions) -> SnsPublisher {
        let shared = shared_config(options).await;
        SnsPublisher {
            client: aws_sdk_sns::Client::new(&shared),
            topic: topic_arn.to_string(),
            fifo: topic_arn.ends_with(".fifo"),
        }
    }

    /// The topic's ARN.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Publishes `notifications`, in order; returns once SNS has accepted every one.
    pub async fn publish(&self, notifications: &[Notification]) -> Result<(), RequestError> {
        for batch in batches(notifications) {
            let entries = batch
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let mut entry = PublishBatchRequestEntry::builder()
                        .id(i.to_string())
                        .subject(&n.subject)
                        .message(&n.message);
                    if self.fifo {
                        entry = entry
                            .message_group_id("sigil")
                            .message_deduplication_id(&n.id);
                    }
                    entry.build().map_err(|e| RequestError {
                        code: None,
                        message: e.to_string(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let output = self
                .client
                .publish_batch()
                .topic_arn(&self.topic)
                .set_publish_batch_request_entries(Some(entries))
                .send()
                .await
                .map_err(RequestError::of)?;
            if let Some(failed) = output.failed().first() {
                return Err(RequestError {
                    code: Some(failed.code().to_string()),
                    message: format!(
                        "{} of {} messages refused: {}",
                        output.failed().len(),
                        batch.len(),
                        failed.message().unwrap_or(failed.code())
                    ),
                });
            }
        }
        Ok(())
    }
}

/// Cuts `notifications` into runs within SNS's limits per call (a message alone over the
/// payload limit still goes alone, and SNS refuses it).
fn batches(notifications: &[Notification]) -> Vec<&[Notification]> {
    crate::batch::batches(notifications, MAX_ENTRIES, MAX_PAYLOAD_BYTES, |n| {
        n.message.len() + n.subject.len()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(size: usize) -> Notification {
        Notification {
            id: "i".into(),
            subject: String::new(),
            message: "x".repeat(size),
        }
    }

    #[test]
    fn batches_hold_ten_messages_and_256_kib_at_most() {
        let small: Vec<Notification> = (0..25).map(|_| note(10)).collect();
        let sizes: Vec<usize> = batches(&small).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [10, 10, 5]);
        let large: Vec<Notification> = (0..5).map(|_| note(100 * 1024)).collect();
        let sizes: Vec<usize> = batches(&large).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [2, 2, 1]);
        assert!(batches(&[]).is_empty());
    }
}
