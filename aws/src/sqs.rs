//! Receiving from an SQS queue, and deleting what was handled.
//!
//! [`SqsQueue::receive`] long-polls for up to 10 messages; a message stays invisible to other
//! receivers for the queue's visibility timeout, and comes back if it is not deleted by then.
//! A receiver deletes a message ([`SqsQueue::delete`]) only once it is done with it (for
//! `sigil watch`: once the matches of the objects it announces are delivered), so a crash
//! before that only delays it. What the messages announce is read by
//! [`event::objects_created`](crate::event::objects_created).

use crate::client::{ClientOptions, RequestError, shared_config};

/// A received message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Its id.
    pub id: String,
    /// The handle to delete it with.
    pub receipt: String,
    /// Its body.
    pub body: String,
}

/// A queue, by its URL.
#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl SqsQueue {
    /// The queue at `url`, configured as `options` say.
    pub async fn connect(url: &str, options: &ClientOptions) -> SqsQueue {
        let shared = shared_config(options).await;
        SqsQueue {
            client: aws_sdk_sqs::Client::new(&shared),
            url: url.to_string(),
        }
    }

    /// The queue's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Waits up to `wait_seconds` (at most 20) for messages, and returns up to `max` (at most
    /// 10) of them.
    pub async fn receive(&self, max: i32, wait_seconds: i32) -> Result<Vec<Message>, RequestError> {
        let output = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max.clamp(1, 10))
            .wait_time_seconds(wait_seconds.clamp(0, 20))
            .send()
            .await
            .map_err(RequestError::of)?;
        Ok(output
            .messages()
            .iter()
            .filter_map(|m| {
                Some(Message {
                    id: m.message_id()?.to_string(),
                    receipt: m.receipt_handle()?.to_string(),
                    body: m.body().unwrap_or_default().to_string(),
                })
            })
            .collect())
    }

    /// Deletes a handled message.
    pub async fn delete(&self, receipt: &str) -> Result<(), RequestError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(RequestError::of)?;
        Ok(())
    }
}
